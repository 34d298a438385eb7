package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/web/api"
	"github.com/tandem-desk/tandem/internal/web/api/apitest"
)

const password = "correct horse"

// fixture is the API over a fresh database with two workspaces: "acme",
// with an identity secret and an admin, a supervisor and an agent, and
// "globex", with its own admin.
type fixture struct {
	t      *testing.T
	url    string
	st     *store.Store
	logs   *errorLog
	acme   *model.Workspace
	globex *model.Workspace
}

// forEachDatabase runs fn on SQLite and on PostgreSQL (skipped, saying why,
// when TANDEM_TEST_POSTGRES_URL is not set).
func forEachDatabase(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newFixture(t, filepath.Join(t.TempDir(), "t.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, newFixture(t, storetest.NewPostgresDB(t)))
	})
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engine, err := triage.DefaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	logs := &errorLog{}
	log := slog.New(logs)
	d := desk.New(desk.Options{Store: st, Bus: bus.NewMemory(), Triage: engine, Logger: log, WebhooksAllowPrivate: true})
	mux := http.NewServeMux()
	api.New(d, log, api.WithPeople(people.New(people.Options{Store: st, Desk: d, Logger: log, HashCost: bcrypt.MinCost}))).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		// A refused request is a 4xx, never a logged error (a 500).
		if s := logs.String(); s != "" {
			t.Errorf("the server logged errors:\n%s", s)
		}
	})
	f := &fixture{t: t, url: srv.URL, st: st, logs: logs}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	workspaces := []struct {
		ws    model.Workspace
		staff map[string]model.Role
	}{
		{model.Workspace{Slug: "acme", Name: "Acme", IdentitySecret: "acme identity secret"}, map[string]model.Role{
			"admin@acme.test": model.RoleAdmin, "sue@acme.test": model.RoleSupervisor, "ana@acme.test": model.RoleAgent}},
		{model.Workspace{Slug: "globex", Name: "Globex"}, map[string]model.Role{"root@globex.test": model.RoleAdmin}},
	}
	for i, w := range workspaces {
		ws, err := st.EnsureWorkspace(ctx, w.ws)
		if err != nil {
			t.Fatal(err)
		}
		for email, role := range w.staff {
			a := model.Agent{WorkspaceID: ws.ID, Email: email, Name: strings.Split(email, "@")[0], Role: role, PasswordHash: string(hash), Capacity: 3}
			if _, err := st.EnsureAgent(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			f.acme = ws
		} else {
			f.globex = ws
		}
	}
	return f
}

// login returns a fresh staff token.
func (f *fixture) login(t *testing.T, email string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	f.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, http.StatusOK, &out)
	return out.Token
}

// customer returns a fresh token of acme's verified customer externalID,
// with a user_hash made with the workspace's current identity secret.
func (f *fixture) customer(t *testing.T, externalID string) string {
	t.Helper()
	ws, err := f.st.WorkspaceBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Token string `json:"token"`
	}
	f.call(t, "POST", "/api/v1/widget/session", "", map[string]any{
		"workspace": "acme", "customer": map[string]string{"external_id": externalID}, "user_hash": desk.UserHash(ws.IdentitySecret, externalID),
	}, http.StatusCreated, &out)
	return out.Token
}

// rawBody is sent as is, without JSON encoding.
type rawBody = apitest.Raw

// do sends a request; body is nil (none), a rawBody, or a value to encode.
func (f *fixture) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	status, _, raw := apitest.Do(t, http.DefaultClient, f.url, method, path, token, body)
	return status, raw
}

// call requires status want and decodes the answer into out (unless nil).
func (f *fixture) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, raw := f.do(t, method, path, token, body)
	apitest.Expect(t, method+" "+path, status, want, raw, out)
}

// errorCode is the code of a JSON error answer, "" when there is none.
func errorCode(raw []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	return e.Error.Code
}

// errorLog is the server's log as far as the tests care: the records at
// level ERROR, which a refused request must never cause.
type errorLog struct {
	mu     sync.Mutex
	errors []string
}

func (l *errorLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelError }
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *errorLog) WithGroup(string) slog.Handler                    { return l }

func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, line)
	return nil
}

func (l *errorLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.errors, "\n")
}
