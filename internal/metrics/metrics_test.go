package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tandem-desk/tandem/internal/metrics"
)

// TestNilIsANoOp: packages call their *Metrics without checking it.
func TestNilIsANoOp(t *testing.T) {
	var m *metrics.Metrics
	m.HTTPRequest("GET /x", "GET", 200, time.Millisecond, false)
	m.StreamOpened()
	m.StreamClosed()
	m.MessageStored("customer")
	m.TriageDecision("answer")
	m.Handoff(true)
	m.Resolved("agent")
	m.OffersMade("dispatch", 2)
	m.OffersClosed("expired", 1)
	m.DispatchPass(time.Now())
	m.DispatchError()
	m.WebhookAttempt("delivered", time.Millisecond)
	m.WebhookEndpointDisabled()
	m.Mail("sent")
	m.WatchLoad(func(context.Context) (metrics.Load, error) { return metrics.Load{}, nil }, time.Second)
}

func TestRouteOf(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /api/v1/conversations/{id}": "/api/v1/conversations/{id}",
		"/api/v1/":                       "/api/v1/",
		"GET /{$}":                       "/{$}",
		"":                               "unmatched",
	} {
		if got := metrics.RouteOf(pattern); got != want {
			t.Errorf("RouteOf(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestRegistriesAreSeparate: two instances (two apps in one test binary)
// never share a counter.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := metrics.New("test", nil), metrics.New("test", nil)
	a.MessageStored("customer")
	if n, err := testutil.GatherAndCount(b.Registry(), "tandem_messages_stored_total"); err != nil || n != 4 {
		t.Fatalf("series in b: %d, %v", n, err)
	}
	want := "# HELP tandem_messages_stored_total Messages stored, by author kind (customer, assistant, agent, system); a retried send is counted once.\n" +
		"# TYPE tandem_messages_stored_total counter\n" +
		"tandem_messages_stored_total{author=\"agent\"} 0\n" +
		"tandem_messages_stored_total{author=\"assistant\"} 0\n" +
		"tandem_messages_stored_total{author=\"customer\"} 0\n" +
		"tandem_messages_stored_total{author=\"system\"} 0\n"
	if err := testutil.GatherAndCompare(b.Registry(), strings.NewReader(want), "tandem_messages_stored_total"); err != nil {
		t.Error(err)
	}
}

// TestLoadFailureLeavesTheRest: a database that does not answer on a
// scrape costs the load gauges, not the whole scrape.
func TestLoadFailureLeavesTheRest(t *testing.T) {
	m := metrics.New("test", nil)
	fail := true
	m.WatchLoad(func(ctx context.Context) (metrics.Load, error) {
		if fail {
			return metrics.Load{}, errors.New("database unreachable")
		}
		return metrics.Load{Queued: 3, OldestQueued: 90 * time.Second, Agents: map[string]int{"available": 2}}, nil
	}, time.Second)
	m.MessageStored("customer")

	scrape := func() (int, string) {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Code, rec.Body.String()
	}
	code, body := scrape()
	if code != 200 || !strings.Contains(body, `tandem_messages_stored_total{author="customer"} 1`) || strings.Contains(body, "tandem_queue_conversations") {
		t.Fatalf("with the database down: %d\n%s", code, body)
	}
	fail = false
	_, body = scrape()
	for _, want := range []string{"tandem_queue_conversations 3", "tandem_queue_oldest_wait_seconds 90", `tandem_agents{status="available"} 2`, `tandem_agents{status="away"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in\n%s", want, body)
		}
	}
}

// BenchmarkPerMessage is what instrumentation adds to one customer
// message through the API: the request counted and timed, the message and
// the assistant's reply counted, the triage decision counted.
func BenchmarkPerMessage(b *testing.B) {
	m := metrics.New("bench", nil)
	b.ReportAllocs()
	for b.Loop() {
		m.HTTPRequest("POST /api/v1/conversations/{id}/messages", "POST", 201, 3*time.Millisecond, false)
		m.MessageStored("customer")
		m.TriageDecision("answer")
		m.MessageStored("assistant")
	}
}
