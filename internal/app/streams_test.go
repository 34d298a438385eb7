package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestStreamsCostOneReadPerEvent: however many customers hold a stream
// open, a new event costs the node one read of the event log (as /metrics
// counts them), not one per stream. Before the fan-out every event woke
// every stream of the workspace, and each re-read the log.
func TestStreamsCostOneReadPerEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	const streams, messages = 100, 5
	var convs []conversation
	var talking []*stream
	for i := range streams {
		cust := e.customer(t, "acme")
		if i < messages {
			convs = append(convs, e.start(t, cust, "c", "Hello"))
		}
		s := e.openStream(t, cust, -1)
		if i < messages {
			talking = append(talking, s)
		}
	}
	adm := e.openStream(t, admin, -1)
	reads := func() float64 { return scrape(t, e.srv.URL+"/metrics").value("tandem_stream_event_reads_total") }
	before := reads()
	for i, conv := range convs {
		body := fmt.Sprint("to customer ", i)
		e.post(t, admin, conv.ID, "", body, false)
		talking[i].waitMessage(body)
	}
	adm.waitMessage(fmt.Sprint("to customer ", messages-1))
	// Each message is one commit and a signal or two (a signal may find
	// nothing new: its event came with an earlier read). A few reads per
	// message, then, whatever the number of streams; before the fan-out
	// every stream read on every signal: about 100 reads per message here.
	if got := reads() - before; got > 3*messages || got < 1 {
		t.Errorf("%d messages with %d streams open cost %v reads of the event log, want 1 to %d", messages, streams+1, got, 3*messages)
	}
}

// TestMassReconnect: every customer's stream drops at once, events happen
// for all of them while they are away, and all reconnect at once with
// their cursors — each gets exactly the events it missed, no gap, no
// duplicate, in order. Once with another stream keeping the node's feed
// (and its memory of recent events) alive, once with the feed stopped
// and started again by the reconnecting streams themselves.
func TestMassReconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	const n = 50 // at once; tandem bench --streams shows thousands
	tokens := make([]string, n)
	convs := make([]conversation, n)
	for i := range n {
		tokens[i] = e.customer(t, "acme")
		convs[i] = e.start(t, tokens[i], "c", "Hello")
	}
	for _, keepFeed := range []bool{true, false} {
		t.Run(fmt.Sprintf("feed kept %v", keepFeed), func(t *testing.T) {
			cursors := make([]int64, n)
			for i := range n {
				s := e.openStream(t, tokens[i], -1)
				cursors[i] = s.ready
				s.close()
			}
			var adm *stream
			if keepFeed {
				adm = e.openStream(t, admin, -1)
			}
			// While they are away: a public message and an internal note in
			// every conversation.
			for i, c := range convs {
				e.post(t, admin, c.ID, "", fmt.Sprint("missed ", i), false)
				e.post(t, admin, c.ID, "", fmt.Sprint("note ", i), true)
			}
			// All at once, each with its cursor.
			got := make([][]frame, n)
			errs := make([]error, n)
			sentinels := make([]int64, n)
			var ready, done sync.WaitGroup
			ready.Add(n)
			for i := range n {
				done.Go(func() {
					conn, err := dialStream(e, tokens[i], cursors[i])
					ready.Done()
					if err != nil {
						errs[i] = err
						return
					}
					defer conn.CloseNow()
					got[i], errs[i] = readUntil(conn, fmt.Sprint("sentinel ", i))
				})
			}
			ready.Wait()
			for i, c := range convs {
				sentinels[i] = e.post(t, admin, c.ID, "", fmt.Sprint("sentinel ", i), false).ID
			}
			done.Wait()

			// The truth: the store's log of each customer's events.
			ws, err := e.app.Store.WorkspaceBySlug(t.Context(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("customer %d: %v", i, errs[i])
				}
				log, err := e.app.Store.EventsAfter(t.Context(), ws.ID, cursors[i], store.EventAudience{CustomerID: convs[i].CustomerID}, 1000)
				if err != nil {
					t.Fatal(err)
				}
				var want, seqs []int64
				for _, ev := range log {
					want = append(want, ev.Seq)
					if ev.Type == model.EventMessageCreated && strings.Contains(string(ev.Data), fmt.Sprintf(`"id":%d,`, sentinels[i])) {
						break
					}
				}
				for _, f := range got[i] {
					seqs = append(seqs, f.Seq)
				}
				if !slices.Equal(seqs, want) {
					t.Fatalf("customer %d resumed after %d got %v, want %v", i, cursors[i], seqs, want)
				}
				if len(seqs) < 2 {
					t.Fatalf("customer %d got %v: the missed message and the sentinel at least", i, seqs)
				}
			}
			if adm != nil {
				adm.close()
			}
		})
	}
}

// dialStream opens a stream after the cursor and reads its ready frame,
// from any goroutine (the test's helpers stop the test on failure).
func dialStream(e *env, token string, after int64) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // all dial at once
	defer cancel()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + fmt.Sprintf("/api/v1/stream?after=%d", after)
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	f, err := readFrame(ctx, conn)
	if err != nil || f.Type != "ready" || f.Seq != after {
		conn.CloseNow()
		return nil, fmt.Errorf("first frame %v (%v), want ready at %d", f, err, after)
	}
	return conn, nil
}

func readFrame(ctx context.Context, conn *websocket.Conn) (frame, error) {
	var f frame
	_, raw, err := conn.Read(ctx)
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(raw, &f)
}

// readUntil reads event frames up to the message with the body, and
// returns them all.
func readUntil(conn *websocket.Conn, body string) ([]frame, error) {
	// A bound against a hang, not a speed test: the sentinels go out one
	// by one after every stream has reconnected (slow under -race).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out []frame
	for {
		f, err := readFrame(ctx, conn)
		if err != nil {
			return out, fmt.Errorf("after %v: %w", out, err)
		}
		out = append(out, f)
		if f.Type == model.EventMessageCreated {
			var m message
			if json.Unmarshal(f.Data, &m) == nil && m.Body == body {
				return out, nil
			}
		}
	}
}
