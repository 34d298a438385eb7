package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/web/api/apitest"
)

// waitTimeout bounds every wait for something asynchronous (dispatch, stream frames).
const waitTimeout = 5 * time.Second

// env is one running Tandem server over its own database, with the demo
// workspace "acme" seeded and the dispatcher running.
type env struct {
	t    *testing.T
	app  *app.App
	srv  *httptest.Server
	info *app.DemoInfo
	logs *syncBuffer
	// dataDir holds the server's SQLite database.
	dataDir string
}

// syncBuffer collects the server's log lines; the server writes from many goroutines.
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

// cheapHash hashes a password at bcrypt's minimum cost. Under -race a
// default-cost hash or login takes about a second; tests would spend most of
// their time in bcrypt.
func cheapHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// demoStaff mirrors the staff app.Seed creates.
var demoStaff = []struct {
	email, name string
	role        model.Role
}{
	{"admin@acme.test", "Alex Admin", model.RoleAdmin},
	{"ana@acme.test", "Ana", model.RoleAgent},
	{"ben@acme.test", "Ben", model.RoleAgent},
	{"chen@acme.test", "Chen", model.RoleAgent},
}

// newEnv starts a server with the demo data. The demo staff are created
// before app.Seed with cheap password hashes (same emails, names, roles,
// password app.DemoPassword); Seed keeps existing staff and adds the rest of
// the demo: identity secret, customers, articles. TestSeedIdempotent runs
// the real Seed from scratch.
func newEnv(t *testing.T) *env {
	t.Helper()
	return startEnv(t, envOptions{logLevel: slog.LevelWarn})
}

// envOptions vary the server startEnv starts.
type envOptions struct {
	logLevel slog.Level
	// configure, when set, adjusts the configuration before the server opens.
	configure func(*config.Config)
	// knowsOwnURL tells the desk the test server's address, which actions
	// with a path-only endpoint (the demo backend) need.
	knowsOwnURL bool
}

func startEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: o.logLevel}))
	cfg := configFor(t)
	if o.configure != nil {
		o.configure(&cfg)
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	ws, err := a.Store.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme Pay", AssistantName: "Acme Pay assistant"})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	hash := cheapHash(t, app.DemoPassword)
	for _, s := range demoStaff {
		if _, err := a.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: s.email, Name: s.name, Role: s.role, PasswordHash: hash, Capacity: 3}); err != nil {
			a.Close()
			t.Fatal(err)
		}
	}
	info, err := app.Seed(ctx, a.Store)
	if err != nil {
		a.Close()
		t.Fatalf("app.Seed: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	if o.knowsOwnURL {
		a.Desk.SetSelfURL(srv.URL)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Desk.Run(runCtx) }()
	e := &env{t: t, app: a, srv: srv, info: info, logs: logs, dataDir: cfg.DataDir}
	t.Cleanup(func() {
		// The server must not have logged an error (a 500, a failed stream, a failed dispatch).
		if s := logs.String(); strings.Contains(s, "level=ERROR") {
			t.Errorf("the server logged errors:\n%s", s)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Desk.Run: %v", err)
		}
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("App.Close: %v", err)
		}
	})
	return e
}

// addWorkspace creates another workspace with one agent (password "pw"),
// and returns the workspace.
func (e *env) addWorkspace(slug string, timeout time.Duration, agents ...string) *model.Workspace {
	e.t.Helper()
	ctx := context.Background()
	ws, err := e.app.Store.EnsureWorkspace(ctx, model.Workspace{Slug: slug, Name: strings.ToUpper(slug[:1]) + slug[1:], OfferTimeout: timeout})
	if err != nil {
		e.t.Fatal(err)
	}
	hash := cheapHash(e.t, "pw")
	for _, email := range agents {
		_, err := e.app.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: email, Name: strings.Split(email, "@")[0], Role: model.RoleAgent, PasswordHash: hash, Capacity: 3})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return ws
}

// ---- HTTP ----------------------------------------------------------------

// rawBody is sent as is, without JSON encoding.
type rawBody = apitest.Raw

// do sends a request and returns the status and the body. body may be nil
// (no body), a rawBody, or a value to encode as JSON.
func (e *env) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	status, hdr, raw := apitest.Do(t, e.srv.Client(), e.srv.URL, method, path, token, body)
	if strings.HasPrefix(path, "/api/v1/") && status != http.StatusNoContent {
		if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
		}
	}
	return status, raw
}

// call sends a request, requires the status want and decodes the JSON
// answer into out (when out is not nil).
func (e *env) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, raw := e.do(t, method, path, token, body)
	apitest.Expect(t, method+" "+path, status, want, raw, out)
}

// apiError is the JSON error body of every failed API call.
type apiError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// checkError requires a JSON error with status and code, and a message.
func checkError(t *testing.T, what string, status int, raw []byte, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d; body: %s", what, status, wantStatus, raw)
		return
	}
	var ae apiError
	if err := json.Unmarshal(raw, &ae); err != nil || ae.Error == nil {
		t.Errorf("%s: body is not a JSON error (%v): %s", what, err, raw)
		return
	}
	if ae.Error.Code != wantCode {
		t.Errorf("%s: error code %q, want %q; body: %s", what, ae.Error.Code, wantCode, raw)
	}
	if strings.TrimSpace(ae.Error.Message) == "" {
		t.Errorf("%s: error has no message: %s", what, raw)
	}
}

// fails sends a request and requires a JSON error with status and code.
func (e *env) fails(t *testing.T, method, path, token string, body any, wantStatus int, wantCode string) {
	t.Helper()
	status, raw := e.do(t, method, path, token, body)
	checkError(t, method+" "+path, status, raw, wantStatus, wantCode)
}

// ---- API objects, as the contract in docs/api.md describes them -------------

type queueInfo struct {
	Position            int  `json:"position"`
	ExpectedWaitSeconds *int `json:"expected_wait_seconds"`
	ExpectedWaitUnknown bool `json:"expected_wait_unknown"`
	AgentsOnline        int  `json:"agents_online"`
}

type conversation struct {
	ID            int64      `json:"id"`
	CustomerID    int64      `json:"customer_id"`
	Status        string     `json:"status"`
	AssigneeID    *int64     `json:"assignee_id"`
	AssigneeName  string     `json:"assignee_name"`
	HandoffReason string     `json:"handoff_reason"`
	LastSeq       int64      `json:"last_seq"`
	QueuedAt      *time.Time `json:"queued_at"`
	Queue         *queueInfo `json:"queue"`
}

type citation struct {
	ArticleID int64  `json:"article_id"`
	Title     string `json:"title"`
	URL       string `json:"url"`
}

type message struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	AuthorKind     string    `json:"author_kind"`
	AuthorID       *int64    `json:"author_id"`
	AuthorName     string    `json:"author_name"`
	Body           string    `json:"body"`
	Internal       bool      `json:"internal"`
	ClientID       string    `json:"client_id"`
	Citation       *citation `json:"citation"`
}

type offer struct {
	ID             int64         `json:"id"`
	ConversationID int64         `json:"conversation_id"`
	AgentID        int64         `json:"agent_id"`
	Status         string        `json:"status"`
	ExpiresAt      time.Time     `json:"expires_at"`
	Conversation   *conversation `json:"conversation"`
	Preview        string        `json:"preview"`
}

type agent struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	Capacity int    `json:"capacity"`
	Active   int    `json:"active_conversations"`
}

// ---- Actors ----------------------------------------------------------------

// customer opens an anonymous widget session in the workspace and returns its token.
func (e *env) customer(t *testing.T, workspace string) string {
	t.Helper()
	var out struct {
		Token      string `json:"token"`
		CustomerID int64  `json:"customer_id"`
		Verified   bool   `json:"verified"`
	}
	e.call(t, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": workspace}, http.StatusCreated, &out)
	if out.Token == "" || out.CustomerID == 0 || out.Verified {
		t.Fatalf("widget session: %+v, want a token, a customer id, verified false", out)
	}
	return out.Token
}

// login logs a staff member in and returns the token and the agent.
func (e *env) login(t *testing.T, email, password string) (string, agent) {
	t.Helper()
	var out struct {
		Token string `json:"token"`
		Agent agent  `json:"agent"`
	}
	e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, http.StatusOK, &out)
	if out.Token == "" || out.Agent.Email != email {
		t.Fatalf("login %s: %+v", email, out)
	}
	return out.Token, out.Agent
}

func (e *env) setStatus(t *testing.T, token, status string) agent {
	t.Helper()
	var a agent
	e.call(t, "PUT", "/api/v1/agents/me/status", token, map[string]string{"status": status}, http.StatusOK, &a)
	if a.Status != status {
		t.Fatalf("status is %q after setting %q", a.Status, status)
	}
	return a
}

// start opens a conversation as a customer and returns it.
func (e *env) start(t *testing.T, token, clientID, body string) conversation {
	t.Helper()
	var c conversation
	e.call(t, "POST", "/api/v1/conversations", token, map[string]any{"message": map[string]string{"client_id": clientID, "body": body}}, http.StatusCreated, &c)
	if c.ID == 0 {
		t.Fatalf("created conversation has no id")
	}
	return c
}

func (e *env) conversation(t *testing.T, token string, id int64) conversation {
	t.Helper()
	var c conversation
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", id), token, nil, http.StatusOK, &c)
	return c
}

func (e *env) messages(t *testing.T, token string, id int64) []message {
	t.Helper()
	var out struct {
		Messages []message `json:"messages"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/messages", id), token, nil, http.StatusOK, &out)
	return out.Messages
}

func (e *env) post(t *testing.T, token string, id int64, clientID, body string, internal bool) message {
	t.Helper()
	var m message
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", id), token,
		map[string]any{"client_id": clientID, "body": body, "internal": internal}, http.StatusCreated, &m)
	return m
}

func (e *env) offers(t *testing.T, token string) []offer {
	t.Helper()
	var out struct {
		Offers []offer `json:"offers"`
	}
	e.call(t, "GET", "/api/v1/offers", token, nil, http.StatusOK, &out)
	return out.Offers
}

func (e *env) me(t *testing.T, token string) agent {
	t.Helper()
	var a agent
	e.call(t, "GET", "/api/v1/agents/me", token, nil, http.StatusOK, &a)
	return a
}

// waitOffer polls the agent's pending offers until one is for the conversation.
func (e *env) waitOffer(t *testing.T, token string, convID int64) offer {
	t.Helper()
	var got offer
	eventually(t, waitTimeout, fmt.Sprintf("an offer of conversation %d", convID), func() bool {
		for _, o := range e.offers(t, token) {
			if o.ConversationID == convID {
				got = o
				return true
			}
		}
		return false
	})
	return got
}

// eventually polls cond every 15 ms until it holds, and fails the test
// when it still does not after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(15 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if t.Failed() {
			t.FailNow()
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// ---- The stream ------------------------------------------------------------

type frame struct {
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	ConversationID *int64          `json:"conversation_id"`
	At             *time.Time      `json:"at"`
	Data           json.RawMessage `json:"data"`
}

func (f frame) String() string {
	conv := "-"
	if f.ConversationID != nil {
		conv = fmt.Sprint(*f.ConversationID)
	}
	return fmt.Sprintf("#%d %s conv=%s", f.Seq, f.Type, conv)
}

// message decodes the frame's data as a Message.
func (f frame) message(t *testing.T) message {
	t.Helper()
	var m message
	if err := json.Unmarshal(f.Data, &m); err != nil {
		t.Fatalf("frame %v: data is not a message: %v", f, err)
	}
	return m
}

type stream struct {
	t     *testing.T
	conn  *websocket.Conn
	ready int64   // the seq of the ready frame
	last  int64   // the seq of the latest frame
	seen  []frame // every frame after ready
}

// openStream connects to the stream; after < 0 connects without a cursor.
// It reads the ready frame.
func (e *env) openStream(t *testing.T, token string, after int64) *stream {
	t.Helper()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/stream"
	if after >= 0 {
		url += fmt.Sprintf("?after=%d", after)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatalf("dial stream: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial stream: status %d", res.StatusCode)
	}
	conn.SetReadLimit(1 << 20)
	s := &stream{t: t, conn: conn}
	t.Cleanup(func() { conn.CloseNow() })
	f := s.read()
	if f.Type != "ready" {
		t.Fatalf("first frame is %v, want ready", f)
	}
	if after >= 0 && f.Seq != after {
		t.Fatalf("ready frame has seq %d, want the cursor %d", f.Seq, after)
	}
	s.ready, s.last = f.Seq, f.Seq
	return s
}

func (s *stream) read() frame {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	typ, raw, err := s.conn.Read(ctx)
	if err != nil {
		s.t.Fatalf("stream read (after %d frames: %v): %v", len(s.seen), s.seen, err)
	}
	if typ != websocket.MessageText {
		s.t.Fatalf("stream frame of type %v, want text", typ)
	}
	var f frame
	if err := json.Unmarshal(raw, &f); err != nil {
		s.t.Fatalf("stream frame %s: %v", raw, err)
	}
	return f
}

// next reads the next event frame, checking that seqs strictly increase.
func (s *stream) next() frame {
	s.t.Helper()
	f := s.read()
	if f.Seq <= s.last {
		s.t.Fatalf("frame %v after seq %d: seqs must strictly increase", f, s.last)
	}
	if f.At == nil || f.At.Location() != time.UTC {
		s.t.Errorf("frame %v: at %v, want an RFC 3339 UTC time", f, f.At)
	}
	s.last = f.Seq
	s.seen = append(s.seen, f)
	return f
}

// waitFor reads frames until one satisfies match, and returns it.
func (s *stream) waitFor(what string, match func(frame) bool) frame {
	s.t.Helper()
	for {
		f := s.next()
		if match(f) {
			return f
		}
		if s.t.Failed() {
			s.t.Fatalf("stream: gave up waiting for %s", what)
		}
	}
}

// waitType reads frames until one of the type for the conversation.
func (s *stream) waitType(typ string, convID int64) frame {
	s.t.Helper()
	return s.waitFor(typ, func(f frame) bool {
		return f.Type == typ && f.ConversationID != nil && *f.ConversationID == convID
	})
}

// waitMessage reads frames until a message.created with the body.
func (s *stream) waitMessage(body string) message {
	s.t.Helper()
	f := s.waitFor("message "+body, func(f frame) bool {
		return f.Type == model.EventMessageCreated && strings.Contains(string(f.Data), body) && f.message(s.t).Body == body
	})
	return f.message(s.t)
}

func (s *stream) close() { s.conn.Close(websocket.StatusNormalClosure, "") }

// conversation decodes the frame's data as a Conversation.
func (f frame) conversation(t *testing.T) conversation {
	t.Helper()
	var c conversation
	if err := json.Unmarshal(f.Data, &c); err != nil {
		t.Fatalf("frame %v: data is not a conversation: %v", f, err)
	}
	return c
}

// offer decodes the frame's data as an Offer.
func (f frame) offer(t *testing.T) offer {
	t.Helper()
	var o offer
	if err := json.Unmarshal(f.Data, &o); err != nil {
		t.Fatalf("frame %v: data is not an offer: %v", f, err)
	}
	return o
}

// configFor is a configuration over a fresh data directory.
func configFor(t *testing.T) config.Config {
	return config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", LogFormat: "text", ShutdownTimeout: 5 * time.Second}
}
