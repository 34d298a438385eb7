package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-desk/tandem/internal/actions"
	"github.com/tandem-desk/tandem/internal/actions/demobackend"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

// newAssistantEnv is newEnv with a configuration of the test's choosing
// (an LLM, an action time-out) and debug-level logs, so that tests can check
// what the server writes to its logs. The server knows its own address, so
// the demo actions reach the built-in demo backend.
func newAssistantEnv(t *testing.T, configure func(*config.Config)) *env {
	t.Helper()
	return startEnv(t, envOptions{logLevel: slog.LevelDebug, configure: configure, knowsOwnURL: true})
}

// verifiedCustomer opens a widget session as a demo customer proven by
// their user_hash, and returns the token.
func (e *env) verifiedCustomer(t *testing.T, externalID string) string {
	t.Helper()
	var out struct {
		Token    string `json:"token"`
		Verified bool   `json:"verified"`
	}
	e.call(t, "POST", "/api/v1/widget/session", "", map[string]any{
		"workspace": "acme", "customer": map[string]string{"external_id": externalID},
		"user_hash": desk.UserHash(e.info.IdentitySecret, externalID),
	}, http.StatusCreated, &out)
	if !out.Verified {
		t.Fatalf("session for %s is not verified", externalID)
	}
	return out.Token
}

// customerIn opens an anonymous session with a locale.
func (e *env) customerIn(t *testing.T, locale string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	e.call(t, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": "acme", "customer": map[string]string{"locale": locale}}, http.StatusCreated, &out)
	return out.Token
}

// ask posts a customer message and returns the messages after it: the
// assistant's reply (and a hand-over notice, if any).
func (e *env) ask(t *testing.T, token string, convID int64, body string) []message {
	t.Helper()
	m := e.post(t, token, convID, fmt.Sprintf("ask-%d", nextID()), body, false)
	var out struct {
		Messages []message `json:"messages"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/messages?after=%d", convID, m.Seq), token, nil, http.StatusOK, &out)
	return out.Messages
}

var (
	idMu sync.Mutex
	ids  int64
)

func nextID() int64 {
	idMu.Lock()
	defer idMu.Unlock()
	ids++
	return ids
}

// lastReply is the newest assistant message of a conversation.
func (e *env) lastReply(t *testing.T, token string, convID int64) message {
	t.Helper()
	msgs := e.messages(t, token, convID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].AuthorKind == "assistant" {
			return msgs[i]
		}
	}
	t.Fatalf("conversation %d has no assistant message: %+v", convID, msgs)
	return message{}
}

// staffConversation is a conversation as staff see it, with the handoff packet.
type staffConversation struct {
	conversation
	ResolvedBy string               `json:"resolved_by"`
	Handoff    *model.HandoffPacket `json:"handoff"`
}

func (e *env) staffView(t *testing.T, token string, id int64) staffConversation {
	t.Helper()
	var c staffConversation
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", id), token, nil, http.StatusOK, &c)
	return c
}

// backend is the demo backend on a server of its own, recording every
// request it receives, with the demo workspace's actions pointed at it.
type backend struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []actions.Request
}

func (b *backend) requests() []actions.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]actions.Request(nil), b.reqs...)
}

// recordingBackend serves the demo backend (verifying signatures with the
// demo actions' secrets) and repoints the demo actions at it.
func (e *env) recordingBackend(t *testing.T, admin string) *backend {
	t.Helper()
	be := &backend{}
	// It accepts the signatures of any of the demo workspace's actions.
	demo := demobackend.New(func(ctx context.Context) ([]string, error) {
		acts, err := e.app.Store.Actions(ctx, e.info.Workspace.ID)
		var out []string
		for _, a := range acts {
			out = append(out, a.Secret)
		}
		return out, err
	}, nil)
	be.srv = httptest.NewServer(http.StripPrefix("/demo-backend", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var req actions.Request
		_ = json.Unmarshal(raw, &req)
		be.mu.Lock()
		be.reqs = append(be.reqs, req)
		be.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		demo.ServeHTTP(w, r)
	})))
	t.Cleanup(be.srv.Close)
	// Point the actions at it; an update without a secret keeps theirs.
	var list struct {
		Actions []model.Action `json:"actions"`
	}
	e.call(t, "GET", "/api/v1/actions", admin, nil, http.StatusOK, &list)
	for _, a := range list.Actions {
		e.call(t, "PUT", fmt.Sprintf("/api/v1/actions/%d", a.ID), admin, map[string]any{
			"name": a.Name, "description": a.Description, "parameters": a.Parameters, "endpoint": be.srv.URL + "/demo-backend/" + a.Name,
			"intents": a.Intents, "examples": a.Examples, "use_in_handoff": a.UseInHandoff, "enabled": a.Enabled,
		}, http.StatusOK, nil)
	}
	return be
}

// newHTTPServer starts a server with one handler, closed when the test ends.
func newHTTPServer(t *testing.T, fn http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	return srv
}

// drain reads a request's body, so that the server notices when the client
// gives up (it watches the connection only once the body is read).
func drain(r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }
