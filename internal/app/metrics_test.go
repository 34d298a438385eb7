package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
)

// scrape reads url (a /metrics) as Prometheus does and parses the text format.
func scrape(t *testing.T, url string) metricFamilies {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET %s: Content-Type %q, want the text format", url, ct)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("GET %s: not the Prometheus text format: %v", url, err)
	}
	return fams
}

type metricFamilies map[string]*dto.MetricFamily

// value sums the series of a family whose labels include labels: a
// counter's or gauge's value, a histogram's count.
func (m metricFamilies) value(name string, labels ...string) float64 {
	f := m[name]
	if f == nil {
		return -1
	}
	var sum float64
series:
	for _, s := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range s.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case s.Counter != nil:
			sum += s.GetCounter().GetValue()
		case s.Gauge != nil:
			sum += s.GetGauge().GetValue()
		case s.Histogram != nil:
			sum += float64(s.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// labelValues lists the values label takes in a family.
func (m metricFamilies) labelValues(name, label string) []string {
	var out []string
	for _, s := range m[name].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// TestMetricsAfterAConversation: a customer conversation through the HTTP
// API — an answer, a request for a person, an offer accepted, a reply, a
// resolution, a webhook delivered — moves the counters an operator watches,
// and the route labels are ServeMux patterns, never raw ids.
func TestMetricsAfterAConversation(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) { c.WebhookAllowPrivate = true }})
	runWebhooks(t, e.app)
	metricsURL := e.srv.URL + "/metrics"

	before := scrape(t, metricsURL)
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "tandem_build_info", "tandem_messages_stored_total", "tandem_offers_closed_total", "tandem_queue_conversations", "tandem_agents"} {
		if before[name] == nil {
			t.Errorf("no %s before any traffic", name)
		}
	}
	if v := before.value("tandem_messages_stored_total"); v != 0 {
		t.Errorf("messages stored before any traffic: %v, want 0", v)
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	e.call(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": receiver.URL}, http.StatusCreated, nil)

	cust := e.customer(t, "acme")
	cs := e.openStream(t, cust, -1)
	if v := scrape(t, metricsURL).value("tandem_http_streams_open"); v != 1 {
		t.Errorf("streams open with one stream: %v, want 1", v)
	}
	conv := e.start(t, cust, "c-1", cardQuestion)
	if conv.Status != "ai" {
		t.Fatalf("conversation %+v, want the assistant's", conv)
	}
	e.post(t, cust, conv.ID, "c-2", "I want to talk to a person", false)
	queued := scrape(t, metricsURL)
	if v := queued.value("tandem_queue_conversations"); v != 1 {
		t.Errorf("queue with one customer waiting: %v, want 1", v)
	}
	if v := queued.value("tandem_queue_oldest_wait_seconds"); v < 0 {
		t.Errorf("oldest wait %v, want ≥ 0", v)
	}
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	of := e.waitOffer(t, ana, conv.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ana, nil, http.StatusOK, nil)
	e.post(t, ana, conv.ID, "a-1", "Hi, I'm Ana. Let me look at your card order.", false)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", conv.ID), ana, nil, http.StatusOK, nil)
	cs.close()

	exact := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tandem_messages_stored_total", []string{"author", "customer"}, 2},
		{"tandem_messages_stored_total", []string{"author", "agent"}, 1},
		{"tandem_triage_decisions_total", nil, 2}, // two customer messages, each triaged once
		{"tandem_triage_decisions_total", []string{"decision", "answer"}, 1},
		{"tandem_triage_decisions_total", []string{"decision", "handoff"}, 1},
		{"tandem_handoffs_total", []string{"by", "assistant"}, 1},
		{"tandem_handoffs_total", []string{"by", "request"}, 0},
		{"tandem_conversations_resolved_total", []string{"by", "agent"}, 1},
		{"tandem_offers_made_total", []string{"source", "dispatch"}, 1},
		{"tandem_offers_closed_total", []string{"outcome", "accepted"}, 1},
		{"tandem_offers_closed_total", []string{"outcome", "expired"}, 0},
		{"tandem_queue_conversations", nil, 0},
		{"tandem_agents", []string{"status", "available"}, 1},
		{"tandem_http_requests_total", []string{"route", "/api/v1/conversations/{id}/resolve", "method", "POST", "code", "200"}, 1},
		{"tandem_http_requests_total", []string{"route", "/api/v1/offers/{id}/accept", "method", "POST", "code", "200"}, 1},
		{"tandem_http_requests_total", []string{"route", "/api/v1/stream", "method", "GET", "code", "101"}, 1},
		{"tandem_http_request_duration_seconds", []string{"route", "/api/v1/stream"}, 0}, // a stream's lifetime is no latency
	}
	atLeast := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tandem_messages_stored_total", []string{"author", "assistant"}, 2}, // the answer and the handover notice
		{"tandem_http_requests_total", []string{"route", "/api/v1/conversations/{id}/messages", "method", "POST"}, 2},
		{"tandem_http_request_duration_seconds", []string{"route", "/api/v1/conversations/{id}/messages", "method", "POST"}, 2},
		{"tandem_dispatch_pass_duration_seconds", nil, 1},
		{"tandem_webhook_attempt_duration_seconds", nil, 1},
	}
	// A request is counted when its handler has returned, after the client
	// has its answer, and the stream when its handler returns after the
	// close: wait until every counter asserted below has got that far.
	var after metricFamilies
	eventually(t, waitTimeout, "the stream closed, a webhook delivered and every request counted", func() bool {
		after = scrape(t, metricsURL)
		if after.value("tandem_http_streams_open") != 0 || after.value("tandem_webhook_attempts_total", "outcome", "delivered") < 1 {
			return false
		}
		for _, c := range append(exact, atLeast...) {
			if after.value(c.name, c.labels...) < c.want {
				return false
			}
		}
		return true
	})

	for _, c := range exact {
		if got := after.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range atLeast {
		if got := after.value(c.name, c.labels...); got < c.want {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.want)
		}
	}

	rawID := regexp.MustCompile(`/\d+(/|$)`)
	routes := after.labelValues("tandem_http_requests_total", "route")
	if len(routes) == 0 {
		t.Fatal("no HTTP requests counted")
	}
	for _, r := range routes {
		if rawID.MatchString(r) || !strings.HasPrefix(r, "/") && r != "unmatched" {
			t.Errorf("route label %q is not a ServeMux pattern", r)
		}
	}
	// A path no route knows is one label, not one per path.
	for _, p := range []string{"/nope/1", "/nope/2"} {
		res, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	var unmatched float64
	eventually(t, waitTimeout, "the two 404s counted", func() bool {
		unmatched = scrape(t, metricsURL).value("tandem_http_requests_total", "route", "unmatched", "code", "404")
		return unmatched >= 2
	})
	if unmatched != 2 {
		t.Errorf("unmatched 404s: %v, want 2", unmatched)
	}
}

// TestMetricsMailSent: a follow-up email sent through a real SMTP server
// is counted.
func TestMetricsMailSent(t *testing.T) {
	t.Parallel()
	srv := mailtest.NewServer(t)
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) {
		c.SMTPURL, c.MailFrom, c.MailDelay = srv.URL(), "Acme Support <support@acme.example>", 0
	}})
	runMail(t, e.app)
	_, ana, convID, _ := followUpConversation(t, e)
	e.post(t, ana, convID, "r-1", "Your refund is on its way.", false)
	srv.WaitFor(t, 1, waitTimeout)
	eventually(t, waitTimeout, "the mail counted as sent", func() bool {
		return scrape(t, e.srv.URL+"/metrics").value("tandem_mails_total", "outcome", "sent") == 1
	})
	if got := scrape(t, e.srv.URL+"/metrics").value("tandem_handoffs_total", "by", "assistant"); got != 1 {
		t.Errorf("handoffs by the assistant (a person asked for in words): %v, want 1", got)
	}
}

// TestMetricsOwnListener: with --metrics-addr the public handler answers
// 404 for /metrics, and the metrics handler serves it.
func TestMetricsOwnListener(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public handler with --metrics-addr: %d, want 404", res.StatusCode)
	}
	if e.app.MetricsHandler == nil {
		t.Fatal("no metrics handler with --metrics-addr")
	}
	ms := httptest.NewServer(e.app.MetricsHandler)
	defer ms.Close()
	got := scrape(t, ms.URL+"/metrics")
	if v := got.value("tandem_http_requests_total", "route", "unmatched", "code", "404"); v != 1 {
		t.Errorf("the public 404 for /metrics counted %v times, want 1", v)
	}
}

// TestServeMetricsAddr runs the real serve command with --metrics-addr:
// /metrics answers there, and 404 on --addr.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	srv, addrs := runServe(t, []string{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--data-dir", t.TempDir()},
		regexp.MustCompile(` addr=(127\.0\.0\.1:\d+) metrics_addr=(127\.0\.0\.1:\d+)`))
	addr, metricsAddr := addrs[0], addrs[1]

	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on --addr: %d, want 404", res.StatusCode)
	}
	got := scrape(t, "http://"+metricsAddr+"/metrics")
	if v := got.value("tandem_http_requests_total", "route", "unmatched", "code", "404"); v != 1 {
		t.Errorf("the 404 on --addr counted %v times, want 1", v)
	}
	if got["tandem_queue_conversations"] == nil || got["process_resident_memory_bytes"] == nil {
		t.Error("the load gauges or the process collector are missing")
	}
	srv.stopAndWait(t)
}
