package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/web/api"
)

const password = "correct horse"

// fixture is the API over a fresh database with two workspaces: "acme",
// with an identity secret and an admin, a supervisor and an agent, and
// "globex", with its own admin.
type fixture struct {
	t      *testing.T
	url    string
	st     *store.Store
	logs   *syncBuffer
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
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d := desk.New(desk.Options{Store: st, Bus: bus.NewMemory(), Triage: engine, Logger: log, WebhooksAllowPrivate: true})
	mux := http.NewServeMux()
	api.New(d, log).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		// A refused request is a 4xx, never a logged error (a 500).
		if s := logs.String(); strings.Contains(s, "level=ERROR") {
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
type rawBody string

// do sends a request; body is nil (none), a rawBody, or a value to encode.
func (f *fixture) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case rawBody:
		r = strings.NewReader(string(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, raw
}

// call requires status want and decodes the answer into out (unless nil).
func (f *fixture) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, raw := f.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
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

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
