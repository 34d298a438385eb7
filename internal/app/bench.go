package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// BenchOptions configure a benchmark run.
type BenchOptions struct {
	// DB is a postgres:// URL, or empty for a fresh SQLite file in a
	// temporary directory. On PostgreSQL the run adds a workspace of its own.
	DB string
	// NATS is a nats:// URL, or empty for the in-process bus.
	NATS string
	// Clients is how many customers send at once, each in a conversation of
	// its own that an agent has accepted.
	Clients int
	// Warmup is sent but not measured; Duration is measured.
	Warmup, Duration time.Duration
	// Handover, when above 0, runs the handover scenario instead: customers
	// start conversations with the assistant and write in a loop, and this
	// percentage of the conversations asks for a person, whom dispatch
	// finds among Agents agents (default 4) who accept, answer and resolve.
	Handover, Agents int
	// Streams, when set (not with Handover), measures the message path
	// three times in the run: with no other stream open, with Streams
	// customers each holding an idle stream, and without them again;
	// between the last two they all drop and reconnect at once
	// (bench_streams.go).
	Streams int
}

// BenchResult is what a run measured.
type BenchResult struct {
	Dialect  string        `json:"db"`
	Bus      string        `json:"bus"`
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"duration_ns"`
	Messages int           `json:"messages"`
	Errors   int           `json:"errors"`
	// PerSecond is acknowledged messages per second.
	PerSecond float64 `json:"messages_per_second"`
	// Ack is from sending POST /messages to its 201; Delivery is from
	// sending to the message.created frame on a staff WebSocket stream.
	AckP50, AckP99           time.Duration
	DeliveryP50, DeliveryP99 time.Duration
	// Handover scenario: the share asked for, the conversations agents
	// accepted, and the agents' failed calls.
	Handover    int `json:"handover_percent"`
	Accepted    int `json:"accepted"`
	AgentErrors int `json:"agent_errors"`
	// Deadlocks PostgreSQL detected in the database during the run
	// (pg_stat_database; -1 on SQLite); LoggedDeadlocks are the server's
	// log records about one, of LoggedProblems warnings and errors.
	Deadlocks       int64 `json:"deadlocks"`
	LoggedDeadlocks int64 `json:"logged_deadlocks"`
	LoggedProblems  int64 `json:"logged_problems"`
	// Idle is the run with Streams idle customer streams open; nil
	// without Streams.
	Idle *StreamsResult `json:"streams,omitempty"`
	// sent counts the acknowledged messages, warm-up included.
	sent int
}

func (r *BenchResult) String() string {
	out := r.phase()
	if r.Idle != nil {
		out += r.Idle.String(r)
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// phase prints one measurement.
func (r *BenchResult) phase() string {
	out := fmt.Sprintf("tandem bench: %s, %s bus, %d clients, %v measured\n"+
		"messages:         %d acknowledged, %.0f/s, %d errors\n"+
		"ack latency:      p50 %s   p99 %s   (POST → 201)\n"+
		"delivery latency: p50 %s   p99 %s   (POST → frame on a staff stream)\n",
		r.Dialect, r.Bus, r.Clients, r.Duration, r.Messages, r.PerSecond, r.Errors,
		ms(r.AckP50), ms(r.AckP99), ms(r.DeliveryP50), ms(r.DeliveryP99))
	if r.Handover > 0 {
		out += fmt.Sprintf("handovers:        %d%% asked, %d accepted by agents, %d agent errors\n", r.Handover, r.Accepted, r.AgentErrors)
	}
	deadlocks := fmt.Sprint(r.Deadlocks)
	if r.Deadlocks < 0 {
		deadlocks = "n/a"
	}
	return out + fmt.Sprintf("deadlocks:        %s detected by the database, %d in the log (%d warnings and errors logged)\n",
		deadlocks, r.LoggedDeadlocks, r.LoggedProblems)
}

// maxBenchDuration bounds a run: the benchmark is a load test of a server
// this process starts on 127.0.0.1, and it stops by itself.
const maxBenchDuration = 5 * time.Minute

// Bench starts a Tandem server in this process, listening on 127.0.0.1
// only, puts Clients conversations in the hands of an agent, and has every
// customer send messages back to back through the HTTP API for Warmup +
// Duration, while a staff WebSocket stream receives them.
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	if o.Clients <= 0 || o.Clients > 256 {
		return nil, errors.New("bench: clients must be between 1 and 256")
	}
	if o.Duration <= 0 || o.Duration > maxBenchDuration || o.Warmup < 0 || o.Warmup > time.Minute {
		return nil, fmt.Errorf("bench: duration must be in (0, %v], warmup in [0, 1m]", maxBenchDuration)
	}
	if o.Handover < 0 || o.Handover > 100 {
		return nil, errors.New("bench: handover must be a percentage, 0 to 100")
	}
	if o.Agents == 0 {
		o.Agents = 4
	}
	if o.Agents < 1 || o.Agents > 64 {
		return nil, errors.New("bench: agents must be between 1 and 64")
	}
	if o.Streams < 0 || o.Streams > maxBenchStreams || (o.Streams > 0 && o.Handover > 0) {
		return nil, fmt.Errorf("bench: streams must be between 0 and %d, and not with handover", maxBenchStreams)
	}
	dir, err := os.MkdirTemp("", "tandem-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	id := hex.EncodeToString(raw)
	cfg := config.Config{DataDir: dir, DB: o.DB, NATSURL: o.NATS, NATSPrefix: "tandembench_" + id, Addr: "127.0.0.1:0"}
	logs := newLogCounter()
	a, err := Open(ctx, cfg, slog.New(logs))
	if err != nil {
		return nil, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	workers := make(chan error, 1)
	go func() { workers <- a.RunWorkers(runCtx) }()
	defer func() { stop(); <-workers }()

	b := &bencher{base: "http://" + ln.Addr().String(), client: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients + o.Agents + 8},
	}}
	slug := "bench-" + id
	// In the handover scenario the agents of seedAgents take the work: the
	// seeded agent stays offline, or offers would wait for them in vain.
	agentTok, adminTok, err := b.seed(ctx, a, slug, o.Clients, o.Handover == 0)
	if err != nil {
		return nil, err
	}
	var convs []int64
	var tokens []string
	if o.Handover == 0 {
		if convs, tokens, err = b.assign(ctx, slug, agentTok, o.Clients); err != nil {
			return nil, err
		}
	}
	m := benchMeasure{a: a, o: o, cfg: cfg, logs: logs, slug: slug, adminTok: adminTok, convs: convs, tokens: tokens}
	res, err := b.measure(ctx, m, "b")
	if err != nil || o.Streams == 0 {
		return res, err
	}
	if res.Idle, err = b.streams(ctx, m); err != nil {
		return nil, err
	}
	// Once more without them: the machine's noise and the grown database
	// weigh on both sides of the comparison.
	if res.Idle.After, err = b.measure(ctx, m, "a"); err != nil {
		return nil, err
	}
	res.Idle.Cost = 1 - res.Idle.With.PerSecond/((res.PerSecond+res.Idle.After.PerSecond)/2)
	return res, nil
}

// benchMeasure is what a measurement of a run needs.
type benchMeasure struct {
	a              *App
	o              BenchOptions
	cfg            config.Config
	logs           *logCounter
	slug, adminTok string
	convs          []int64
	tokens         []string
}

// measure runs the scenario once for Warmup + Duration while an admin's
// stream receives the messages. run makes the messages' client_ids differ
// from those of another measurement in the same run.
func (b *bencher) measure(ctx context.Context, m benchMeasure, run string) (*BenchResult, error) {
	a, o, cfg, logs, slug, adminTok, convs, tokens := m.a, m.o, m.cfg, m.logs, m.slug, m.adminTok, m.convs, m.tokens
	// A staff stream sees every message: the delivery half of the latency.
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	conn, _, err := websocket.Dial(streamCtx, "ws"+strings.TrimPrefix(b.base, "http")+"/api/v1/stream",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + adminTok}}})
	if err != nil {
		return nil, fmt.Errorf("bench: stream: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	rec := &benchRecorder{}
	go func() {
		for {
			_, raw, err := conn.Read(streamCtx)
			if err != nil {
				return
			}
			now := time.Now()
			var f struct {
				Type string `json:"type"`
				Data struct {
					Body string `json:"body"`
				} `json:"data"`
			}
			if json.Unmarshal(raw, &f) == nil && f.Type == model.EventMessageCreated {
				rec.delivered(f.Data.Body, now)
			}
		}
	}()

	deadlocksBefore := int64(-1)
	if store.IsPostgresURL(o.DB) {
		if deadlocksBefore, err = pgDeadlocks(ctx, o.DB); err != nil {
			return nil, fmt.Errorf("bench: read pg_stat_database: %w", err)
		}
	}
	time.AfterFunc(o.Warmup, rec.startMeasuring)
	if o.Handover > 0 {
		if err := b.conversations(ctx, a, o, slug, rec); err != nil {
			return nil, err
		}
	} else {
		b.messages(ctx, o, run, convs, tokens, rec)
	}
	time.Sleep(200 * time.Millisecond) // the last frames
	rec.mu.Lock()
	defer rec.mu.Unlock()
	elapsed := time.Since(rec.start) - 200*time.Millisecond
	res := &BenchResult{
		Dialect: a.Store.Dialect(), Bus: busName(cfg), Clients: o.Clients, Duration: elapsed.Round(time.Millisecond),
		Messages: len(rec.ack), Errors: rec.errors, PerSecond: float64(len(rec.ack)) / elapsed.Seconds(),
		Handover: o.Handover, Accepted: rec.accepted, AgentErrors: rec.agentErrors,
		Deadlocks: -1, LoggedDeadlocks: logs.deadlocks.Load(), LoggedProblems: logs.problems.Load(), sent: rec.acks,
	}
	res.AckP50, res.AckP99 = percentile(rec.ack, 50), percentile(rec.ack, 99)
	res.DeliveryP50, res.DeliveryP99 = percentile(rec.delivery, 50), percentile(rec.delivery, 99)
	if deadlocksBefore >= 0 {
		// The statistics collector publishes with a delay: read until the
		// figure stops moving (at most a second).
		after := deadlocksBefore
		for range 5 {
			n, err := pgDeadlocks(ctx, o.DB)
			if err != nil {
				return nil, fmt.Errorf("bench: read pg_stat_database: %w", err)
			}
			if n == after && n != deadlocksBefore {
				break
			}
			after = n
			time.Sleep(200 * time.Millisecond)
		}
		res.Deadlocks = after - deadlocksBefore
	}
	return res, nil
}

// messages has every customer send messages back to back in the
// conversation an agent holds, until the run's end.
func (b *bencher) messages(ctx context.Context, o BenchOptions, run string, convs []int64, tokens []string, rec *benchRecorder) {
	var wg sync.WaitGroup
	deadline := time.Now().Add(o.Warmup + o.Duration)
	for i := range o.Clients {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				body := fmt.Sprintf("bench %s %d %d", run, i, n)
				t0 := rec.sent(body)
				status, _, err := b.do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convs[i]), tokens[i],
					map[string]any{"client_id": fmt.Sprint(run, n), "body": body})
				rec.acked(t0, err == nil && status == http.StatusCreated)
			}
		})
	}
	wg.Wait()
}

// benchRecorder collects what a run measures; nothing counts before
// startMeasuring (the warm-up).
type benchRecorder struct {
	sentAt sync.Map // body → time sent

	mu                    sync.Mutex
	measuring             bool
	start                 time.Time
	ack, delivery         []time.Duration
	errors                int
	accepted, agentErrors int
	// acks counts the acknowledged messages, warm-up included.
	acks int
}

func (r *benchRecorder) startMeasuring() {
	r.mu.Lock()
	r.measuring, r.start = true, time.Now()
	r.mu.Unlock()
}

// sent notes that the message body is being sent now, and returns now.
func (r *benchRecorder) sent(body string) time.Time {
	t0 := time.Now()
	r.sentAt.Store(body, t0)
	return t0
}

// acked records the answer to a message sent at t0.
func (r *benchRecorder) acked(t0 time.Time, ok bool) {
	d := time.Since(t0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.acks++
	}
	switch {
	case !r.measuring:
	case ok:
		r.ack = append(r.ack, d)
	default:
		r.errors++
	}
}

// delivered records that the stream brought the message body at now.
func (r *benchRecorder) delivered(body string, now time.Time) {
	v, ok := r.sentAt.LoadAndDelete(body)
	if !ok {
		return
	}
	r.mu.Lock()
	if r.measuring {
		r.delivery = append(r.delivery, now.Sub(v.(time.Time)))
	}
	r.mu.Unlock()
}

func (r *benchRecorder) handedOver() {
	r.mu.Lock()
	if r.measuring {
		r.accepted++
	}
	r.mu.Unlock()
}

func (r *benchRecorder) agentError() {
	r.mu.Lock()
	if r.measuring {
		r.agentErrors++
	}
	r.mu.Unlock()
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

type bencher struct {
	base   string
	client *http.Client
}

func (b *bencher) do(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

func (b *bencher) call(ctx context.Context, method, path, token string, body any, want int, out any) error {
	status, raw, err := b.do(ctx, method, path, token, body)
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	if status != want {
		return fmt.Errorf("bench: %s %s: status %d: %s", method, path, status, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// seed creates the workspace with an agent who can hold every conversation
// (available when asked to be), and an admin; it returns their tokens.
func (b *bencher) seed(ctx context.Context, a *App, slug string, clients int, available bool) (agentTok, adminTok string, err error) {
	ws, err := a.Store.EnsureWorkspace(ctx, model.Workspace{Slug: slug, Name: "Bench", OfferTimeout: time.Minute})
	if err != nil {
		return "", "", err
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("bench"), bcrypt.MinCost)
	for _, s := range []struct {
		email string
		role  model.Role
		tok   *string
	}{{"agent@" + slug + ".test", model.RoleAgent, &agentTok}, {"admin@" + slug + ".test", model.RoleAdmin, &adminTok}} {
		if _, err := a.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: s.email, Name: string(s.role), Role: s.role,
			PasswordHash: string(hash), Capacity: clients}); err != nil {
			return "", "", err
		}
		if *s.tok, err = b.login(ctx, s.email); err != nil {
			return "", "", err
		}
	}
	if !available {
		return agentTok, adminTok, nil
	}
	return agentTok, adminTok, b.call(ctx, "PUT", "/api/v1/agents/me/status", agentTok, map[string]string{"status": "available"}, 200, nil)
}

// login signs the bench's staff member in and returns the token.
func (b *bencher) login(ctx context.Context, email string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := b.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "bench"}, 200, &out)
	return out.Token, err
}

// assign opens one conversation per client, hands each to people and has
// the agent accept every offer.
func (b *bencher) assign(ctx context.Context, slug, agentTok string, clients int) ([]int64, []string, error) {
	convs, tokens := make([]int64, clients), make([]string, clients)
	for i := range clients {
		var sess struct {
			Token string `json:"token"`
		}
		if err := b.call(ctx, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": slug}, 201, &sess); err != nil {
			return nil, nil, err
		}
		var c struct {
			ID int64 `json:"id"`
		}
		if err := b.call(ctx, "POST", "/api/v1/conversations", sess.Token, map[string]any{"message": map[string]string{"body": "hello"}}, 201, &c); err != nil {
			return nil, nil, err
		}
		if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", c.ID), sess.Token, nil, 200, nil); err != nil {
			return nil, nil, err
		}
		convs[i], tokens[i] = c.ID, sess.Token
	}
	accepted := 0
	for deadline := time.Now().Add(30 * time.Second); accepted < clients; {
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("bench: only %d of %d conversations were offered to the agent", accepted, clients)
		}
		var out struct {
			Offers []struct {
				ID int64 `json:"id"`
			} `json:"offers"`
		}
		if err := b.call(ctx, "GET", "/api/v1/offers", agentTok, nil, 200, &out); err != nil {
			return nil, nil, err
		}
		for _, o := range out.Offers {
			if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), agentTok, nil, 200, nil); err != nil {
				return nil, nil, err
			}
			accepted++
		}
		time.Sleep(10 * time.Millisecond)
	}
	return convs, tokens, nil
}

// benchCommand runs `tandem bench`.
func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tandem bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := BenchOptions{}
	fs.StringVar(&o.DB, "db", getenv("TANDEM_DB"), "postgres:// URL of a scratch database (env TANDEM_DB); empty: a fresh SQLite file")
	fs.StringVar(&o.NATS, "nats", getenv("TANDEM_NATS_URL"), "nats:// URL (env TANDEM_NATS_URL); empty: the in-process bus")
	fs.IntVar(&o.Clients, "clients", 16, "customers sending at once, each in its own conversation")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "time sent but not measured")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "time measured (at most 5m)")
	fs.IntVar(&o.Handover, "handover", 0, "percent of conversations handed to a person: above 0, customers start conversations with the assistant\nand write in a loop while dispatch offers the handed-over ones to --agents agents, who accept, answer and resolve them")
	fs.IntVar(&o.Agents, "agents", 4, "agents taking handed-over conversations (with --handover)")
	fs.IntVar(&o.Streams, "streams", 0, fmt.Sprintf("also measure with this many idle customer streams open, then reconnect them all at once (at most %d)", maxBenchStreams))
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: tandem bench [flags]\n\nMeasures messages per second and latency through the HTTP API and the WebSocket\nstream of a Tandem server it starts in this process on 127.0.0.1.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	res, err := Bench(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "tandem:", err)
		return 1
	}
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(res)
	} else {
		fmt.Fprint(stdout, res)
	}
	return 0
}
