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
	// Streams, when set, measures the message path twice in the run:
	// first with no other stream open, then with Streams customers each
	// holding an idle stream; then they all drop and reconnect at once
	// (see benchStreams).
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

func (r *BenchResult) phase() string {
	return fmt.Sprintf("tandem bench: %s, %s bus, %d clients, %v measured\n"+
		"messages:         %d acknowledged, %.0f/s, %d errors\n"+
		"ack latency:      p50 %s   p99 %s   (POST → 201)\n"+
		"delivery latency: p50 %s   p99 %s   (POST → frame on a staff stream)\n",
		r.Dialect, r.Bus, r.Clients, r.Duration, r.Messages, r.PerSecond, r.Errors,
		ms(r.AckP50), ms(r.AckP99), ms(r.DeliveryP50), ms(r.DeliveryP99))
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
	if o.Streams < 0 || o.Streams > maxBenchStreams {
		return nil, fmt.Errorf("bench: streams must be between 0 and %d", maxBenchStreams)
	}
	if o.Duration <= 0 || o.Duration > maxBenchDuration || o.Warmup < 0 || o.Warmup > time.Minute {
		return nil, fmt.Errorf("bench: duration must be in (0, %v], warmup in [0, 1m]", maxBenchDuration)
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
	log := slog.New(slog.DiscardHandler)
	a, err := Open(ctx, cfg, log)
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
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients + 8},
	}}
	slug := "bench-" + id
	agentTok, adminTok, err := b.seed(ctx, a, slug, o.Clients)
	if err != nil {
		return nil, err
	}
	convs, tokens, err := b.assign(ctx, slug, agentTok, o.Clients)
	if err != nil {
		return nil, err
	}

	res, err := b.measure(ctx, o, "b", adminTok, convs, tokens)
	if err != nil {
		return nil, err
	}
	res.Dialect, res.Bus, res.Clients = a.Store.Dialect(), busName(cfg), o.Clients
	if o.Streams > 0 {
		if res.Idle, err = b.streams(ctx, a, o, slug, adminTok, convs, tokens); err != nil {
			return nil, err
		}
		// Once more without them: the machine's noise and the grown
		// database weigh on both sides of the comparison.
		if res.Idle.After, err = b.measure(ctx, o, "a", adminTok, convs, tokens); err != nil {
			return nil, err
		}
		for _, r := range []*BenchResult{res.Idle.With, res.Idle.After} {
			r.Dialect, r.Bus, r.Clients = res.Dialect, res.Bus, res.Clients
		}
		res.Idle.Cost = 1 - res.Idle.With.PerSecond/((res.PerSecond+res.Idle.After.PerSecond)/2)
	}
	return res, nil
}

// measure has every customer send messages back to back for Warmup +
// Duration, while an admin's stream receives them. run makes the messages'
// client_ids differ from those of another measurement in the same run.
func (b *bencher) measure(ctx context.Context, o BenchOptions, run, adminTok string, convs []int64, tokens []string) (*BenchResult, error) {
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
	var sentAt sync.Map // body → time sent
	var mu sync.Mutex
	var ack, delivery []time.Duration
	measuring := false
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
			if json.Unmarshal(raw, &f) != nil || f.Type != model.EventMessageCreated {
				continue
			}
			if v, ok := sentAt.LoadAndDelete(f.Data.Body); ok {
				mu.Lock()
				if measuring {
					delivery = append(delivery, now.Sub(v.(time.Time)))
				}
				mu.Unlock()
			}
		}
	}()

	var wg sync.WaitGroup
	errCount, sent := 0, 0
	var start time.Time
	deadline := time.Now().Add(o.Warmup + o.Duration)
	time.AfterFunc(o.Warmup, func() {
		mu.Lock()
		measuring, start = true, time.Now()
		mu.Unlock()
	})
	for i := range o.Clients {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				body := fmt.Sprintf("bench %s %d %d", run, i, n)
				t0 := time.Now()
				sentAt.Store(body, t0)
				status, _, err := b.do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convs[i]), tokens[i],
					map[string]any{"client_id": fmt.Sprint(run, n), "body": body})
				d := time.Since(t0)
				mu.Lock()
				if err == nil && status == http.StatusCreated {
					sent++
				}
				if measuring {
					if err != nil || status != http.StatusCreated {
						errCount++
					} else {
						ack = append(ack, d)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // the last frames
	mu.Lock()
	defer mu.Unlock()
	elapsed := time.Since(start) - 200*time.Millisecond
	res := &BenchResult{
		Duration: elapsed.Round(time.Millisecond),
		Messages: len(ack), Errors: errCount, PerSecond: float64(len(ack)) / elapsed.Seconds(), sent: sent,
	}
	res.AckP50, res.AckP99 = percentile(ack, 50), percentile(ack, 99)
	res.DeliveryP50, res.DeliveryP99 = percentile(delivery, 50), percentile(delivery, 99)
	return res, nil
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

// seed creates the workspace with an agent who can hold every conversation,
// and an admin; it returns their tokens.
func (b *bencher) seed(ctx context.Context, a *App, slug string, clients int) (agentTok, adminTok string, err error) {
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
		var out struct {
			Token string `json:"token"`
		}
		if err := b.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.email, "password": "bench"}, 200, &out); err != nil {
			return "", "", err
		}
		*s.tok = out.Token
	}
	return agentTok, adminTok, b.call(ctx, "PUT", "/api/v1/agents/me/status", agentTok, map[string]string{"status": "available"}, 200, nil)
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
