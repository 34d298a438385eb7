package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
)

// TestBenchRuns runs `tandem bench` briefly on SQLite: the command that
// produces docs/scaling.md's figures keeps working.
func TestBenchRuns(t *testing.T) {
	var out, errs bytes.Buffer
	code := app.Run(context.Background(), []string{"bench", "--clients", "3", "--warmup", "100ms", "--duration", "700ms"},
		func(string) string { return "" }, nil, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"sqlite, memory bus, 3 clients", "acknowledged", "ack latency:", "delivery latency:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	res, err := app.Bench(context.Background(), app.BenchOptions{Clients: 2, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.Errors != 0 || res.AckP99 <= 0 || res.DeliveryP99 <= 0 {
		t.Errorf("result %+v", res)
	}
	// The handover scenario: conversations with the assistant, some handed to agents.
	res, err = app.Bench(context.Background(), app.BenchOptions{Clients: 2, Handover: 100, Agents: 1, Duration: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.Errors != 0 || res.AgentErrors != 0 || res.Handover != 100 || res.Deadlocks != -1 {
		t.Errorf("handover result %+v", res)
	}
	if _, err := app.Bench(context.Background(), app.BenchOptions{Clients: 2, Handover: 101, Duration: time.Second}); err == nil {
		t.Error("a handover share over 100 % was accepted")
	}
	if _, err := app.Bench(context.Background(), app.BenchOptions{Clients: 2, Duration: time.Hour}); err == nil {
		t.Error("an hour-long run was accepted")
	}
}

// TestBenchStreams runs `tandem bench --streams` small: the message path
// measured without, with and again without idle customer streams, and a
// reconnect storm in which no stream misses or repeats an event.
func TestBenchStreams(t *testing.T) {
	var out, errs bytes.Buffer
	code := app.Run(context.Background(), []string{"bench", "--clients", "2", "--warmup", "100ms", "--duration", "400ms", "--streams", "40"},
		func(string) string { return "" }, nil, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"with 40 idle customer streams open", "40 streams reconnected at once, 0 events missed, 0 repeated; all ready in",
		"without them again", "cost of 40 idle streams:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := app.Bench(context.Background(), app.BenchOptions{Clients: 2, Duration: time.Second, Streams: 1_000_000}); err == nil {
		t.Error("a million streams were accepted")
	}
}
