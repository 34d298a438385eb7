// Package metrics holds Tandem's Prometheus metrics: a registry owned by
// the process (no global state, so tests never share counters), the
// instruments the edges update — HTTP, desk, dispatcher, webhook and mail
// senders — and the /metrics handler.
//
// Every method is safe on a nil *Metrics and then does nothing: a package
// takes an optional *Metrics in its Options, and tests that don't care pass
// none. Labels are bounded sets (route patterns, author kinds, outcomes);
// never a conversation, customer or workspace id — the number of
// workspaces is not bounded, so there is no workspace label either.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values the callers use; pre-created so each series exists (at 0)
// from the start and rate() over it works from the first scrape.
var (
	authorKinds      = []string{"customer", "assistant", "agent", "system"}
	triageDecisions  = []string{"answer", "clarify", "handoff"}
	handoffBy        = []string{"assistant", "request"}
	resolvedBy       = []string{"assistant", "agent", "customer"}
	offerOutcomes    = []string{"accepted", "declined", "expired", "rescinded"}
	offerSources     = []string{"dispatch", "transfer"}
	webhookOutcomes  = []string{"delivered", "retry", "failed"}
	mailOutcomes     = []string{"sent", "retry", "failed"}
	agentStatuses    = []string{"offline", "available", "away"}
	knownHTTPMethods = map[string]bool{
		http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
		http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	}
)

// Metrics is one process's instruments and the registry they are in.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	streams      prometheus.Gauge

	messages *prometheus.CounterVec
	triage   *prometheus.CounterVec
	handoffs *prometheus.CounterVec
	resolved *prometheus.CounterVec

	offersMade     *prometheus.CounterVec
	offerOutcomes  *prometheus.CounterVec
	dispatchPass   prometheus.Histogram
	dispatchErrors prometheus.Counter

	webhookAttempts *prometheus.CounterVec
	webhookDuration prometheus.Histogram
	webhookDisabled prometheus.Counter
	mails           *prometheus.CounterVec
}

// New returns the instruments in a registry of their own, with the Go
// runtime and process collectors and tandem_build_info{version}.
func New(version string, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, log: log}
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tandem_build_info", Help: "Always 1; its labels say which Tandem and Go built this process.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	f(build)

	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_http_requests_total",
		Help: "HTTP requests served, by route pattern, method and status code. A WebSocket stream is counted (code 101) when it ends.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tandem_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route pattern and method; WebSocket streams are left out.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tandem_http_streams_open", Help: "WebSocket streams (GET /api/v1/stream) open now.",
	})
	m.messages = counterVec(reg, "tandem_messages_stored_total",
		"Messages stored, by author kind (customer, assistant, agent, system); a retried send is counted once.", "author", authorKinds)
	m.triage = counterVec(reg, "tandem_triage_decisions_total",
		"Customer messages triaged, by triage decision (answer, clarify, handoff).", "decision", triageDecisions)
	m.handoffs = counterVec(reg, "tandem_handoffs_total",
		"Conversations handed to people: by the assistant's decision, or by request (the widget's button, the API).", "by", handoffBy)
	m.resolved = counterVec(reg, "tandem_conversations_resolved_total",
		"Conversations resolved, by who resolved them (assistant: the customer said its answer helped).", "by", resolvedBy)
	m.offersMade = counterVec(reg, "tandem_offers_made_total",
		"Offers of a conversation to an agent, by source (dispatch, or a colleague's transfer).", "source", offerSources)
	m.offerOutcomes = counterVec(reg, "tandem_offers_closed_total",
		"Offers that ended, by outcome (accepted, declined, expired, rescinded).", "outcome", offerOutcomes)
	m.dispatchPass = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tandem_dispatch_pass_duration_seconds",
		Help:    "Time of one dispatch pass over the workspaces that needed a look (snapshot, plan, offers each); its _count is the number of passes, as GET /api/v1/dispatch/passes counts them.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.dispatchErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tandem_dispatch_errors_total", Help: "Workspaces whose dispatch failed in a pass (they are planned again).",
	})
	m.webhookAttempts = counterVec(reg, "tandem_webhook_attempts_total",
		"Webhook delivery attempts, by outcome: delivered, retry (failed, will be tried again), failed (given up).", "outcome", webhookOutcomes)
	m.webhookDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tandem_webhook_attempt_duration_seconds",
		Help:    "Time of one webhook delivery attempt, request to response (or error).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.webhookDisabled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tandem_webhook_endpoints_disabled_total",
		Help: "Webhook endpoints Tandem disabled because every delivery failed for as long as deliveries are retried.",
	})
	m.mails = counterVec(reg, "tandem_mails_total",
		"Follow-up email send attempts, by outcome: sent, retry (temporary failure), failed (given up).", "outcome", mailOutcomes)
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpDuration, m.streams, m.dispatchPass, m.dispatchErrors, m.webhookDuration, m.webhookDisabled} {
		f(c)
	}
	return m
}

// counterVec registers a counter with one label and creates its series.
func counterVec(reg *prometheus.Registry, name, help, label string, values []string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	for _, v := range values {
		c.WithLabelValues(v)
	}
	reg.MustRegister(c)
	return c
}

// Registry is where the metrics are; tests gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or protobuf)
// exposition format. A collector that fails (the database, on a scrape)
// leaves its metrics out and is logged; the rest is still served.
// Concurrent scrapes share one collection, so a burst of scrapes costs the
// database one query.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            logAdapter{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg,
		MaxRequestsInFlight: 4,
		CoalesceGather:      true,
	})
}

type logAdapter struct{ log *slog.Logger }

func (l logAdapter) Println(v ...any) { l.log.Warn("metrics: scrape", "err", fmt.Sprint(v...)) }

// ---- HTTP -----------------------------------------------------------------

// HTTPRequest records one served request. pattern is the ServeMux pattern
// that matched ("GET /api/v1/conversations/{id}"; empty when none did), so
// the route label is bounded by the routes, never the raw path. stream
// leaves the request out of the duration histogram: a WebSocket's lifetime
// is not a latency.
func (m *Metrics) HTTPRequest(pattern, method string, code int, d time.Duration, stream bool) {
	if m == nil {
		return
	}
	route := RouteOf(pattern)
	if !knownHTTPMethods[method] {
		method = "other" // methods are the client's to choose: keep the label bounded
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	if !stream {
		m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	}
}

// RouteOf is the route label of a ServeMux pattern: its path, without the
// method; "unmatched" when no pattern matched (a 404 or 405 of the mux).
func RouteOf(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// StreamOpened and StreamClosed count the WebSocket streams open.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.streams.Inc()
	}
}

// StreamClosed: see StreamOpened.
func (m *Metrics) StreamClosed() {
	if m != nil {
		m.streams.Dec()
	}
}

// ---- Conversations ----------------------------------------------------------

// MessageStored counts a newly stored message by its author kind.
func (m *Metrics) MessageStored(author string) {
	if m != nil {
		m.messages.WithLabelValues(author).Inc()
	}
}

// TriageDecision counts a customer message triaged to decision.
func (m *Metrics) TriageDecision(decision string) {
	if m != nil {
		m.triage.WithLabelValues(decision).Inc()
	}
}

// Handoff counts a conversation handed to people; byAssistant says whether
// the assistant decided it (else it was requested).
func (m *Metrics) Handoff(byAssistant bool) {
	if m == nil {
		return
	}
	by := "request"
	if byAssistant {
		by = "assistant"
	}
	m.handoffs.WithLabelValues(by).Inc()
}

// Resolved counts a conversation resolved by "assistant", "agent" or "customer".
func (m *Metrics) Resolved(by string) {
	if m != nil {
		m.resolved.WithLabelValues(by).Inc()
	}
}

// ---- Dispatch ---------------------------------------------------------------

// OffersMade counts n offers made by source ("dispatch" or "transfer").
func (m *Metrics) OffersMade(source string, n int) {
	if m != nil && n > 0 {
		m.offersMade.WithLabelValues(source).Add(float64(n))
	}
}

// OffersClosed counts n offers that ended with outcome (accepted,
// declined, expired, rescinded).
func (m *Metrics) OffersClosed(outcome string, n int) {
	if m != nil && n > 0 {
		m.offerOutcomes.WithLabelValues(outcome).Add(float64(n))
	}
}

// DispatchPass records one dispatch pass, begun at start.
func (m *Metrics) DispatchPass(start time.Time) {
	if m != nil {
		m.dispatchPass.Observe(time.Since(start).Seconds())
	}
}

// DispatchError counts a workspace whose dispatch failed in a pass.
func (m *Metrics) DispatchError() {
	if m != nil {
		m.dispatchErrors.Inc()
	}
}

// ---- Webhooks and mail --------------------------------------------------------

// WebhookAttempt records one delivery attempt: outcome delivered, retry or
// failed, and how long the request took.
func (m *Metrics) WebhookAttempt(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.webhookAttempts.WithLabelValues(outcome).Inc()
	m.webhookDuration.Observe(d.Seconds())
}

// WebhookEndpointDisabled records that Tandem disabled a failing endpoint.
func (m *Metrics) WebhookEndpointDisabled() {
	if m != nil {
		m.webhookDisabled.Inc()
	}
}

// Mail records one follow-up email attempt: sent, retry or failed.
func (m *Metrics) Mail(outcome string) {
	if m != nil {
		m.mails.WithLabelValues(outcome).Inc()
	}
}

// WatchStreamReads registers tandem_stream_event_reads_total, which reads
// the count on each scrape: the reads of the event log for the streams.
// The fan-out keeps it at one per batch of new events per workspace (plus
// one per stream that resumes from further back than the node keeps in
// memory), however many streams are open; growing with the streams, it
// says they cost the database per visitor again.
func (m *Metrics) WatchStreamReads(read func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "tandem_stream_event_reads_total",
		Help: "Reads of the event log for this node's WebSocket streams: one per batch of new events per workspace, plus one per stream resuming from further back than the node keeps in memory.",
	}, read))
}

// ---- Load, read on scrape -------------------------------------------------------

// Load is the installation's live load, read from the database on each
// scrape: the same figures on every node of a cluster (aggregate with
// max, not sum).
type Load struct {
	// Queued is the number of conversations waiting for a person, and
	// OldestQueued how long the first of them has waited (0 when none).
	Queued       int
	OldestQueued time.Duration
	// Agents counts the staff by status (offline, available, away).
	Agents map[string]int
}

// WatchLoad registers gauges of the live load that read calls on each
// scrape, bounded by timeout. When read fails, the scrape goes on without
// these gauges and the error is logged.
func (m *Metrics) WatchLoad(read func(context.Context) (Load, error), timeout time.Duration) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&loadCollector{read: read, timeout: timeout})
}

var (
	queuedDesc = prometheus.NewDesc("tandem_queue_conversations",
		"Conversations waiting for a person now, in all workspaces (read from the database on scrape).", nil, nil)
	oldestDesc = prometheus.NewDesc("tandem_queue_oldest_wait_seconds",
		"How long the longest-waiting queued conversation has waited; 0 when nobody waits.", nil, nil)
	agentsDesc = prometheus.NewDesc("tandem_agents",
		"Staff by status now, in all workspaces (read from the database on scrape).", []string{"status"}, nil)
)

type loadCollector struct {
	read    func(context.Context) (Load, error)
	timeout time.Duration
}

func (c *loadCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queuedDesc
	ch <- oldestDesc
	ch <- agentsDesc
}

func (c *loadCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	l, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queuedDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(l.Queued))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, l.OldestQueued.Seconds())
	for _, s := range agentStatuses {
		ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(l.Agents[s]), s)
	}
	for s, n := range l.Agents {
		if !slices.Contains(agentStatuses, s) {
			ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(n), s)
		}
	}
}
