package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/bus/bustest"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
	"github.com/tandem-desk/tandem/internal/web/api/apitest"
)

// wait bounds every wait for something asynchronous.
const wait = 20 * time.Second

// binary is the tandem binary TestMain built.
var binary string

func TestMain(m *testing.M) {
	_, pgWhy := storetest.PostgresURL()
	_, natsWhy := bustest.NATSURL()
	if pgWhy != "" || natsWhy != "" {
		os.Exit(m.Run()) // every test skips, saying why
	}
	dir, err := os.MkdirTemp("", "tandem-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tandem")
	build := exec.Command("go", "build", "-o", binary, "github.com/tandem-desk/tandem/cmd/tandem")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tandem:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a node's log; the reader goroutine writes while tests read.
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

// node is one `tandem serve` process.
type node struct {
	name   string
	cmd    *exec.Cmd
	url    string
	logs   *syncBuffer
	exited chan struct{}
	killed bool
}

// cluster is N nodes on one fresh database and one NATS prefix.
type cluster struct {
	t      *testing.T
	db     string
	nats   string
	prefix string
	store  *store.Store
	nodes  []*node
	ws     *model.Workspace
}

// newCluster seeds a database with the workspace "acme" (offer timeout
// offerTimeout) and starts n nodes on it.
func newCluster(t *testing.T, n int, offerTimeout time.Duration) *cluster {
	t.Helper()
	natsURL, why := bustest.NATSURL()
	if why != "" {
		t.Skipf("nats: skipped: %s", why)
	}
	db := storetest.NewPostgresDB(t) // skips without PostgreSQL
	st, err := store.OpenPostgres(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 5)
	_, _ = rand.Read(raw)
	c := &cluster{t: t, db: db, nats: natsURL, prefix: "tandemtest_" + hex.EncodeToString(raw), store: st}
	t.Cleanup(c.stop)
	c.ws, err = st.EnsureWorkspace(t.Context(), model.Workspace{Slug: "acme", Name: "Acme Pay", OfferTimeout: offerTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c.start(string(rune('A' + i)))
	}
	return c
}

var addrRE = regexp.MustCompile(`msg="tandem listening" addr=(127\.0\.0\.1:\d+)`)

// start runs a node and waits until it listens.
func (c *cluster) start(name string) *node {
	c.t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", c.t.TempDir())
	cmd.Env = append(os.Environ(),
		"TANDEM_DB="+c.db, "TANDEM_NATS_URL="+c.nats, "TANDEM_NATS_PREFIX="+c.prefix,
		"TANDEM_LOG_LEVEL=info", "TANDEM_LOG_FORMAT=text", "TANDEM_SHUTDOWN_TIMEOUT=5s",
		"TANDEM_WEBHOOK_ALLOW_PRIVATE=true") // the tests' receivers listen on 127.0.0.1
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	n := &node{name: name, cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	c.nodes = append(c.nodes, n)
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			fmt.Fprintln(n.logs, lines.Text())
			if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
				addr <- m[1]
			}
		}
		_ = cmd.Wait()
		close(n.exited)
	}()
	select {
	case a := <-addr:
		n.url = "http://" + a
	case <-n.exited:
		c.t.Fatalf("node %s exited at start:\n%s", name, n.logs)
	case <-time.After(wait):
		c.t.Fatalf("node %s did not listen within %v:\n%s", name, wait, n.logs)
	}
	return n
}

// kill ends a node with SIGKILL: no shutdown, no flush, no goodbye.
func (c *cluster) kill(n *node) {
	c.t.Helper()
	n.killed = true
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill node %s: %v", n.name, err)
	}
	<-n.exited
}

// stop ends the nodes gracefully, checks they logged no error, and removes
// the test's NATS stream.
func (c *cluster) stop() {
	for _, n := range c.nodes {
		if !n.killed {
			_ = n.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, n := range c.nodes {
		select {
		case <-n.exited:
		case <-time.After(15 * time.Second):
			_ = n.cmd.Process.Signal(syscall.SIGKILL)
			<-n.exited
			c.t.Errorf("node %s did not stop within 15 s of SIGTERM", n.name)
		}
		if !n.killed && n.cmd.ProcessState != nil && n.cmd.ProcessState.ExitCode() != 0 {
			c.t.Errorf("node %s exited with %d", n.name, n.cmd.ProcessState.ExitCode())
		}
		if strings.Contains(n.logs.String(), "level=ERROR") {
			c.t.Errorf("node %s logged errors:\n%s", n.name, n.logs)
		}
		if c.t.Failed() {
			c.t.Logf("log of node %s:\n%s", n.name, n.logs)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bus.NewNATS(ctx, c.nats, bus.NATSOptions{Prefix: c.prefix, Stream: strings.ToUpper(c.prefix) + "_WORK"})
	if err == nil {
		_ = b.DeleteStream(ctx)
		_ = b.Close()
	}
	_ = c.store.Close()
}

// alive returns the nodes not killed.
func (c *cluster) alive() []*node {
	var out []*node
	for _, n := range c.nodes {
		if !n.killed {
			out = append(out, n)
		}
	}
	return out
}

// agent creates a staff member (password "pw") and logs in on node n.
func (c *cluster) agent(n *node, name string, capacity int) (token string, id int64) {
	c.t.Helper()
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	a, err := c.store.EnsureAgent(c.t.Context(), model.Agent{WorkspaceID: c.ws.ID, Email: name + "@acme.test", Name: name,
		Role: model.RoleAgent, PasswordHash: string(h), Capacity: capacity})
	if err != nil {
		c.t.Fatal(err)
	}
	var out struct {
		Token string `json:"token"`
	}
	call(c.t, n, "POST", "/api/v1/auth/login", "", map[string]string{"email": a.Email, "password": "pw"}, 200, &out)
	return out.Token, a.ID
}

// admin creates an admin and logs in on node n.
func (c *cluster) admin(n *node) string {
	c.t.Helper()
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if _, err := c.store.EnsureAgent(c.t.Context(), model.Agent{WorkspaceID: c.ws.ID, Email: "admin@acme.test", Name: "Admin",
		Role: model.RoleAdmin, PasswordHash: string(h)}); err != nil {
		c.t.Fatal(err)
	}
	var out struct {
		Token string `json:"token"`
	}
	call(c.t, n, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@acme.test", "password": "pw"}, 200, &out)
	return out.Token
}

// dispatchCaughtUp waits until every live node's dispatcher has finished
// the passes it had begun when this was called (GET /api/v1/dispatch/passes,
// as an admin). A node runs its passes one at a time, so then no pass
// planned on a view of the queue older than the call is still under way
// anywhere, and whatever offer such a pass made is in the event log. Passes
// that begin later read everything that happened before the call.
func (c *cluster) dispatchCaughtUp(adminToken string) {
	c.t.Helper()
	read := func(n *node) (started, finished uint64) {
		c.t.Helper()
		var p struct {
			Started  uint64 `json:"started"`
			Finished uint64 `json:"finished"`
		}
		call(c.t, n, "GET", "/api/v1/dispatch/passes", adminToken, nil, 200, &p)
		return p.Started, p.Finished
	}
	for _, n := range c.alive() {
		begun, _ := read(n)
		eventually(c.t, wait, fmt.Sprintf("node %s to finish dispatch pass %d", n.name, begun), func() bool {
			_, finished := read(n)
			return finished >= begun
		})
	}
}

// customer opens a widget session on node n.
func customer(t *testing.T, n *node) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	call(t, n, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": "acme"}, 201, &out)
	return out.Token
}

var client = &http.Client{Timeout: 10 * time.Second}

// do sends a request to a node; err is a transport error (a killed node).
func do(n *node, method, path, token string, body any) (int, []byte, error) {
	status, _, raw, err := apitest.Send(client, n.url, method, path, token, body)
	return status, raw, err
}

// call sends a request, requires status want and decodes the answer into out.
func call(t *testing.T, n *node, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, raw, err := do(n, method, path, token, body)
	if err != nil {
		t.Fatalf("node %s: %s %s: %v", n.name, method, path, err)
	}
	if status != want {
		t.Fatalf("node %s: %s %s: status %d, want %d; body: %s", n.name, method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("node %s: %s %s: decode %s: %v", n.name, method, path, raw, err)
		}
	}
}

type conversation struct {
	ID         int64  `json:"id"`
	Status     string `json:"status"`
	AssigneeID *int64 `json:"assignee_id"`
}

type message struct {
	ID       int64  `json:"id"`
	Seq      int64  `json:"seq"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

type offer struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	AgentID        int64  `json:"agent_id"`
	Status         string `json:"status"`
}

// startConversation opens a conversation on node n and hands it to people.
func startConversation(t *testing.T, n *node, token, body string) conversation {
	t.Helper()
	var c conversation
	call(t, n, "POST", "/api/v1/conversations", token, map[string]any{"message": map[string]string{"client_id": "first", "body": body}}, 201, &c)
	call(t, n, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", c.ID), token, map[string]string{"reason": "test"}, 200, &c)
	if c.Status != "queued" && c.Status != "assigned" {
		t.Fatalf("conversation %d is %s after the handoff", c.ID, c.Status)
	}
	return c
}

func setStatus(t *testing.T, n *node, token, status string) {
	t.Helper()
	call(t, n, "PUT", "/api/v1/agents/me/status", token, map[string]string{"status": status}, 200, nil)
}

// eventually polls cond until it holds, or fails the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if t.Failed() {
			t.FailNow()
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- streams ------------------------------------------------------------------

type frame struct {
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	ConversationID *int64          `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
	received       time.Time
}

// stream is a WebSocket stream on one node, read in the background.
type stream struct {
	t      *testing.T
	frames chan frame
	last   int64
}

// openStream connects to a node's stream (after < 0: from the present).
func openStream(t *testing.T, n *node, token string, after int64) *stream {
	t.Helper()
	return openStreamQuery(t, n, token, after, "")
}

// openStreamQuery is openStream with more query parameters ("typing=1").
func openStreamQuery(t *testing.T, n *node, token string, after int64, query string) *stream {
	t.Helper()
	var params []string
	if after >= 0 {
		params = append(params, fmt.Sprintf("after=%d", after))
	}
	if query != "" {
		params = append(params, query)
	}
	url := "ws" + strings.TrimPrefix(n.url, "http") + "/api/v1/stream"
	if len(params) > 0 {
		url += "?" + strings.Join(params, "&")
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatalf("node %s: dial stream: %v", n.name, err)
	}
	conn.SetReadLimit(1 << 20)
	s := &stream{t: t, frames: make(chan frame, 10000)}
	readCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(func() { stop(); conn.CloseNow() })
	go func() {
		defer close(s.frames)
		for {
			_, raw, err := conn.Read(readCtx)
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(raw, &f) == nil {
				f.received = time.Now()
				s.frames <- f
			}
		}
	}()
	if f := s.next(); f.Type != "ready" {
		t.Fatalf("first frame %s, want ready", f.Type)
	} else {
		s.last = f.Seq
	}
	return s
}

// next returns the next frame, checking that seqs strictly increase.
func (s *stream) next() frame {
	s.t.Helper()
	f, ok := s.nextWithin(wait)
	if !ok {
		s.t.Fatalf("no frame within %v", wait)
	}
	return f
}

// nextWithin is next, reporting false when no frame comes within d.
// Typing frames are outside the event log and carry no seq.
func (s *stream) nextWithin(d time.Duration) (frame, bool) {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatal("the stream closed")
		}
		if f.Type != "ready" && f.Type != "typing" {
			if f.Seq <= s.last {
				s.t.Fatalf("frame %d %s after seq %d: seqs must strictly increase", f.Seq, f.Type, s.last)
			}
			s.last = f.Seq
		}
		return f, true
	case <-time.After(d):
		return frame{}, false
	}
}

// waitFor reads frames until match.
func (s *stream) waitFor(what string, match func(f frame) bool) frame {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if f := s.next(); match(f) {
			return f
		}
	}
	s.t.Fatalf("stream: no %s within %v", what, wait)
	return frame{}
}

func isType(typ string, convID int64) func(f frame) bool {
	return func(f frame) bool {
		return f.Type == typ && f.ConversationID != nil && *f.ConversationID == convID
	}
}

func isMessage(body string) func(f frame) bool {
	return func(f frame) bool {
		var m message
		return f.Type == model.EventMessageCreated && json.Unmarshal(f.Data, &m) == nil && m.Body == body
	}
}
