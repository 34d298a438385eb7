package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/store"
)

// maxBenchStreams bounds --streams: each stream is two sockets and two
// goroutines of this process.
const maxBenchStreams = 10000

// StreamsResult is what `tandem bench --streams N` adds: the message path
// measured again with N idle customer streams open (the BenchResult it
// belongs to is the measurement without them, in the same run), and a
// reconnect storm of all N.
type StreamsResult struct {
	Streams int          `json:"streams"`
	With    *BenchResult `json:"with_streams"`
	// After is the message path measured once more without the streams,
	// after they closed.
	After *BenchResult `json:"after_streams"`
	// Cost is the share of messages/s the open streams took: 1 − with /
	// the mean of without (before) and without (after).
	Cost float64 `json:"cost"`
	// ReadsPerMessage is reads of the event log per acknowledged message
	// while the streams were open (tandem_stream_event_reads_total).
	ReadsPerMessage float64 `json:"event_reads_per_message"`
	// RSS is the process's resident memory with the streams open (both
	// ends of every stream: the clients run in this process too); 0 where
	// /proc is not there.
	RSS int64 `json:"rss_bytes"`
	// The storm: every stream dropped, one message for each customer while
	// away, all reconnected at once with their cursors, then one more each.
	// Missed and Repeated compare what each stream got with the customer's
	// events in the database.
	Reconnected   int           `json:"reconnected"`
	Missed        int           `json:"missed"`
	Repeated      int           `json:"repeated"`
	ReconnectTime time.Duration `json:"reconnect_ns"` // first dial → every stream ready
	RecoverTime   time.Duration `json:"recover_ns"`   // first dial → every stream has what it missed
}

// String prints the streams part of a run; r is the run without streams.
func (s *StreamsResult) String(r *BenchResult) string {
	return fmt.Sprintf("\nwith %d idle customer streams open:\n%s"+
		"reconnect storm:  %d streams reconnected at once, %d events missed, %d repeated; all ready in %s, all had what they missed in %s\n"+
		"\nwithout them again, after they closed:\n%s"+
		"\ncost of %d idle streams: %.1f %% of messages/s (%.0f/s with; %.0f/s and %.0f/s without, before and after); %.2f event-log reads per message; %d MiB resident with them open (both ends)\n",
		s.Streams, s.With.phase(), s.Reconnected, s.Missed, s.Repeated, ms(s.ReconnectTime), ms(s.RecoverTime),
		s.After.phase(), s.Streams, 100*s.Cost, s.With.PerSecond, r.PerSecond, s.After.PerSecond, s.ReadsPerMessage, s.RSS>>20)
}

// idleStream is a customer's widget holding a stream and doing nothing.
type idleStream struct {
	token    string
	customer int64
	conv     int64
	conn     *websocket.Conn
	// last is the seq of the last frame; seqs are the event frames since
	// the last (re)connect. The reading goroutine owns both until done.
	last int64
	seqs []int64
	done chan error
	// caughtUp is when the message the stream waited for arrived.
	caughtUp time.Time
}

// streams opens o.Streams idle customer streams, measures the message
// path again, then drops and reconnects them all.
func (b *bencher) streams(ctx context.Context, m benchMeasure) (*StreamsResult, error) {
	a, o, slug := m.a, m.o, m.slug
	idle := make([]*idleStream, o.Streams)
	err := b.parallel(ctx, o.Clients, o.Streams, func(i int) error {
		s := &idleStream{}
		var sess struct {
			Token string `json:"token"`
		}
		if err := b.call(ctx, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": slug}, 201, &sess); err != nil {
			return err
		}
		var c struct {
			ID         int64 `json:"id"`
			CustomerID int64 `json:"customer_id"`
		}
		if err := b.call(ctx, "POST", "/api/v1/conversations", sess.Token, map[string]any{"message": map[string]string{"body": "hello"}}, 201, &c); err != nil {
			return err
		}
		s.token, s.customer, s.conv = sess.Token, c.CustomerID, c.ID
		idle[i] = s
		return b.connect(ctx, s, -1, "", "")
	})
	defer func() {
		for _, s := range idle {
			if s != nil && s.conn != nil {
				s.conn.CloseNow()
			}
		}
	}()
	if err != nil {
		return nil, err
	}

	reads := a.Store.EventReads()
	with, err := b.measure(ctx, m, "s")
	if err != nil {
		return nil, err
	}
	res := &StreamsResult{Streams: o.Streams, With: with, RSS: residentBytes()}
	res.ReadsPerMessage = float64(a.Store.EventReads()-reads) / float64(max(with.sent, 1))
	return res, b.storm(ctx, a, o, slug, m.adminTok, idle, res)
}

// storm drops every idle stream, writes to each customer while they are
// away, reconnects them all at once and checks what each one got.
func (b *bencher) storm(ctx context.Context, a *App, o BenchOptions, slug, adminTok string, idle []*idleStream, res *StreamsResult) error {
	for _, s := range idle {
		s.conn.CloseNow()
		<-s.done
	}
	cursors := make([]int64, len(idle))
	for i, s := range idle {
		cursors[i] = s.last
	}
	say := func(what string) error {
		return b.parallel(ctx, o.Clients, len(idle), func(i int) error {
			return b.call(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", idle[i].conv), adminTok,
				map[string]any{"body": fmt.Sprint(what, " ", i)}, 201, nil)
		})
	}
	if err := say("missed"); err != nil {
		return err
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(idle))
	for i, s := range idle {
		wg.Go(func() { errs[i] = b.connect(ctx, s, cursors[i], fmt.Sprint("missed ", i), fmt.Sprint("sentinel ", i)) })
	}
	wg.Wait()
	res.ReconnectTime = time.Since(start)
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("bench: reconnect: %w", err)
		}
	}
	if err := say("sentinel"); err != nil {
		return err
	}
	timeout := time.After(time.Minute)
	for i, s := range idle {
		select {
		case err := <-s.done:
			if err != nil {
				return fmt.Errorf("bench: stream %d after reconnecting: %w", i, err)
			}
		case <-timeout:
			return fmt.Errorf("bench: stream %d never got its last message", i)
		}
	}
	for _, s := range idle {
		res.RecoverTime = max(res.RecoverTime, s.caughtUp.Sub(start))
	}
	res.Reconnected = len(idle)

	ws, err := a.Store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return err
	}
	for i, s := range idle {
		log, err := a.Store.EventsAfter(ctx, ws.ID, cursors[i], store.EventAudience{CustomerID: s.customer}, 1000)
		if err != nil {
			return err
		}
		var want []int64
		for _, ev := range log {
			want = append(want, ev.Seq)
			if strings.Contains(string(ev.Data), fmt.Sprintf(`"body":"sentinel %d"`, i)) {
				break
			}
		}
		for _, seq := range want {
			if !slices.Contains(s.seqs, seq) {
				res.Missed++
			}
		}
		seen := map[int64]bool{}
		for _, seq := range s.seqs {
			if seen[seq] || !slices.Contains(want, seq) {
				res.Repeated++
			}
			seen[seq] = true
		}
	}
	return nil
}

// connect opens s's stream after the cursor (from the present when < 0)
// and reads it in the background until it closes, or until the message
// with body until arrives when until is set; s.done then says how it
// ended. The message with body catchUp sets s.caughtUp.
func (b *bencher) connect(ctx context.Context, s *idleStream, after int64, catchUp, until string) error {
	url := "ws" + strings.TrimPrefix(b.base, "http") + "/api/v1/stream"
	if after >= 0 {
		url += fmt.Sprintf("?after=%d", after)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + s.token}}})
	if err != nil {
		return err
	}
	conn.SetReadLimit(1 << 20)
	f, err := readBenchFrame(dctx, conn)
	if err != nil || f.Type != "ready" {
		conn.CloseNow()
		return fmt.Errorf("bench: first frame %+v, %v; want ready", f, err)
	}
	s.conn, s.last, s.seqs, s.done = conn, f.Seq, nil, make(chan error, 1)
	go func() {
		for {
			f, err := readBenchFrame(ctx, conn)
			if err != nil {
				s.done <- err
				return
			}
			s.last = f.Seq
			s.seqs = append(s.seqs, f.Seq)
			if catchUp != "" && f.Data.Body == catchUp {
				s.caughtUp = time.Now()
			}
			if until != "" && f.Data.Body == until {
				conn.CloseNow()
				s.done <- nil
				return
			}
		}
	}()
	return nil
}

type benchFrame struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	Data struct {
		Body string `json:"body"`
	} `json:"data"`
}

func readBenchFrame(ctx context.Context, conn *websocket.Conn) (benchFrame, error) {
	var f benchFrame
	_, raw, err := conn.Read(ctx)
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(raw, &f)
}

// parallel runs fn(0…n-1) on workers goroutines (the setup and the storm
// send as many requests at once as the clients do) and returns the first
// error.
func (b *bencher) parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// residentBytes is the process's resident set size (VmRSS), or 0 where
// /proc does not say.
func residentBytes() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
