// Package webhooks sends a workspace's events to the HTTP endpoints it
// subscribed, signed per the Standard Webhooks convention, at least once.
//
// The events table is the transactional outbox: an event and the change it
// records commit together. A fan-out pass reads a workspace's events past a
// cursor and records one delivery per (endpoint, event) in the same
// transaction that moves the cursor, so nothing is skipped or doubled even
// with several nodes. Deliveries are then claimed with a lease (one node
// sends each attempt; if it dies, the lease runs out and another node does),
// retried with exponential back-off for up to three days, and every attempt
// is logged for the admins.
//
// What wakes the fan-out is a job on the bus's "webhooks" work queue,
// enqueued when a workspace with endpoints has new events: on NATS it is a
// durable JetStream consumer shared by the nodes, so the job of a node that
// died is handled by another. A slow timer catches up on anything a lost job
// left behind.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/backoff"
	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/store"
)

// Queue is the bus work queue of fan-out jobs (the job is a workspace id).
const Queue = "webhooks"

// TopicEndpoints is signalled when a workspace's endpoints change, so every
// node refreshes which workspaces have webhooks.
const TopicEndpoints = "webhooks.endpoints"

// Options configure a Sender. Zero values are what a server uses.
type Options struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
	// Client sends the requests; when nil, a client with a 10 s timeout
	// that does not follow redirects and, unless AllowPrivateNetworks,
	// connects to public addresses only (guard.go).
	Client *http.Client
	// AllowPrivateNetworks lets deliveries reach loopback, private,
	// link-local and other non-public addresses (an operator's own
	// receivers on the same network). Off by default.
	AllowPrivateNetworks bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// FirstRetry is the delay after the first failure (5 s); each further
	// failure doubles it, up to MaxRetryDelay (12 h).
	FirstRetry, MaxRetryDelay time.Duration
	// GiveUpAfter is how long a delivery is retried (72 h).
	GiveUpAfter time.Duration
	// Lease is how long a claimed delivery is this node's (1 min).
	Lease time.Duration
	// Idle bounds the wait between passes when nothing wakes the sender (30 s).
	Idle time.Duration
	// Concurrency is how many requests are in flight at once (8).
	Concurrency int
	// Metrics counts the attempts by outcome and times them; nil: none.
	Metrics *metrics.Metrics
}

// Sender fans out events to deliveries and sends them. Run it on every node.
type Sender struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	enabled map[int64]bool // workspaces with an enabled endpoint
	pending map[int64]bool // workspaces to enqueue a fan-out job for
	flush   chan struct{}
	wake    chan struct{}
}

// NewSender returns a Sender.
func NewSender(o Options) *Sender {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = newClient(o.AllowPrivateNetworks)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FirstRetry <= 0 {
		o.FirstRetry = 5 * time.Second
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = 12 * time.Hour
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 72 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return &Sender{
		o: o, log: o.Logger, enabled: map[int64]bool{}, pending: map[int64]bool{},
		flush: make(chan struct{}, 1), wake: make(chan struct{}, 1),
	}
}

func (s *Sender) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// Notify says a workspace has new events. It never blocks: a workspace with
// webhooks gets a fan-out job on the bus soon after.
func (s *Sender) Notify(workspaceID int64) {
	s.mu.Lock()
	if !s.enabled[workspaceID] {
		s.mu.Unlock()
		return
	}
	s.pending[workspaceID] = true
	s.mu.Unlock()
	select {
	case s.flush <- struct{}{}:
	default:
	}
}

// EndpointsChanged tells every node to refresh which workspaces have webhooks.
func (s *Sender) EndpointsChanged() {
	s.o.Bus.Publish(TopicEndpoints)
}

func (s *Sender) refresh(ctx context.Context) error {
	ids, err := s.o.Store.WebhookWorkspaces(ctx)
	if err != nil {
		return err
	}
	enabled := make(map[int64]bool, len(ids))
	for _, id := range ids {
		enabled[id] = true
	}
	s.mu.Lock()
	s.enabled = enabled
	s.mu.Unlock()
	return nil
}

func (s *Sender) workspaces() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.enabled))
	for id := range s.enabled {
		out = append(out, id)
	}
	return out
}

func (s *Sender) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run fans out and delivers until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	if err := s.refresh(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("webhooks: %w", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.flusher(ctx) })
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := s.o.Bus.Work(ctx, Queue, s.handleJob); err != nil {
				s.log.Error("webhooks: work queue", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Second):
				}
			}
		}
	})
	sub := s.o.Bus.Subscribe(TopicEndpoints)
	defer sub.Close()

	lastSweep := time.Time{}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if time.Since(lastSweep) >= s.o.Idle {
			// Catch up on what a lost job left behind (a node that died
			// between its commit and its enqueue).
			lastSweep = time.Now()
			for _, ws := range s.workspaces() {
				s.fanOut(ctx, ws)
			}
		}
		for s.deliverDue(ctx) {
		}
		wait := s.o.Idle
		if next, ok, err := s.o.Store.NextWebhookAttempt(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("webhooks: next attempt", "err", err)
			wait = time.Second
		} else if ok {
			wait = min(wait, max(next.Sub(s.now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-sub.C:
			if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("webhooks: refresh endpoints", "err", err)
			}
		case <-timer.C:
		}
	}
}

// flusher turns notified workspaces into fan-out jobs on the bus.
func (s *Sender) flusher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.flush:
		}
		s.mu.Lock()
		pending := s.pending
		s.pending = map[int64]bool{}
		s.mu.Unlock()
		for ws := range pending {
			if err := s.o.Bus.Enqueue(ctx, Queue, strconv.FormatInt(ws, 10)); err != nil {
				if ctx.Err() != nil {
					return
				}
				// The bus is down: fan out here; the timer catches up anyway.
				s.log.Warn("webhooks: enqueue fan-out", "workspace", ws, "err", err)
				s.fanOut(ctx, ws)
				s.poke()
			}
		}
	}
}

// handleJob fans out one workspace; the job is acknowledged only when its
// deliveries are recorded.
func (s *Sender) handleJob(ctx context.Context, job string) error {
	ws, err := strconv.ParseInt(job, 10, 64)
	if err != nil {
		s.log.Warn("webhooks: dropping a malformed job", "job", job)
		return nil
	}
	if err := s.fanOutErr(ctx, ws); err != nil {
		return err
	}
	s.poke()
	return nil
}

func (s *Sender) fanOut(ctx context.Context, ws int64) {
	if err := s.fanOutErr(ctx, ws); err != nil && ctx.Err() == nil {
		s.log.Error("webhooks: fan-out", "workspace", ws, "err", err)
	}
}

func (s *Sender) fanOutErr(ctx context.Context, ws int64) error {
	for {
		n, more, err := s.o.Store.FanOutWebhooks(ctx, ws, 500, Message, s.now())
		if err != nil {
			return err
		}
		if n > 0 {
			s.poke()
		}
		if !more {
			return nil
		}
	}
}

// deliverDue claims a batch of due deliveries and sends them; it reports
// whether the batch was full (more may be due).
func (s *Sender) deliverDue(ctx context.Context) bool {
	limit := 4 * s.o.Concurrency
	batch, err := s.o.Store.ClaimWebhookDeliveries(ctx, s.now(), s.o.Lease, limit)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("webhooks: claim deliveries", "err", err)
		}
		return false
	}
	sem := make(chan struct{}, s.o.Concurrency)
	var wg sync.WaitGroup
	for _, d := range batch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.attempt(ctx, d)
		})
	}
	wg.Wait()
	return len(batch) == limit && ctx.Err() == nil
}

// attempt sends one delivery and records the outcome.
func (s *Sender) attempt(ctx context.Context, d *store.WebhookDelivery) {
	start, began := s.now(), time.Now()
	code, resp, err := s.send(ctx, d, start)
	if err != nil && ctx.Err() != nil {
		return // shutting down mid-request: the lease runs out and someone retries
	}
	took := time.Since(began)
	// start is on the injected clock, which need not move with the wall
	// clock: how long the request took is measured on the wall clock.
	a := store.WebhookAttempt{At: start, Duration: took, Response: resp}
	if code != 0 {
		a.StatusCode = &code
	}
	ok := err == nil && code >= 200 && code < 300
	switch {
	case err != nil:
		a.Error = err.Error()
	case !ok:
		a.Error = fmt.Sprintf("status %d", code)
	}
	var next *time.Time
	outcome := "delivered"
	if !ok {
		outcome = "failed"
		if next = s.nextAttempt(d, start); next != nil {
			outcome = "retry"
		}
	}
	s.o.Metrics.WebhookAttempt(outcome, took)
	disabled, err := s.o.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), d.ID, a, ok, next)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// The endpoint was deleted while we were sending: nothing left to record.
			s.log.Info("webhooks: delivery gone before its attempt was recorded", "delivery", d.ID)
			return
		}
		s.log.Error("webhooks: record attempt", "delivery", d.ID, "err", err)
		return
	}
	switch {
	case ok:
		s.log.Debug("webhook delivered", "delivery", d.ID, "endpoint", d.EndpointID, "type", d.EventType, "status", code)
	case next == nil:
		s.log.Warn("webhook delivery failed for good", "delivery", d.ID, "endpoint", d.EndpointID, "attempts", d.Attempts+1, "err", a.Error)
	default:
		s.log.Info("webhook delivery failed; will retry", "delivery", d.ID, "endpoint", d.EndpointID, "attempt", d.Attempts+1, "next", next, "err", a.Error)
	}
	if disabled {
		// Its deliveries now wait for an admin to enable it again.
		s.o.Metrics.WebhookEndpointDisabled()
		s.log.Warn("webhook endpoint disabled: every delivery failed for as long as deliveries are retried",
			"endpoint", d.EndpointID, "workspace", d.WorkspaceID, "url", d.Endpoint.URL)
		s.EndpointsChanged()
	}
}

// nextAttempt is when to try again after a failure, or nil to give up: the
// delay doubles from FirstRetry up to MaxRetryDelay, with ±10 % jitter so
// that a recovering receiver is not hit by every retry at once, until
// GiveUpAfter has passed since the delivery was created.
func (s *Sender) nextAttempt(d *store.WebhookDelivery, now time.Time) *time.Time {
	return backoff.Next(now, d.Attempts, s.o.FirstRetry, s.o.MaxRetryDelay, d.CreatedAt.Add(s.o.GiveUpAfter))
}

// send POSTs a delivery, signed with the endpoint's secret and, during a
// rotation's overlap, with the previous one too.
func (s *Sender) send(ctx context.Context, d *store.WebhookDelivery, now time.Time) (int, string, error) {
	e := d.Endpoint
	body := []byte(d.Payload)
	sig, err := Sign(e.Secret, d.MsgID, now, body)
	if err != nil {
		return 0, "", err
	}
	if e.PreviousSecret != "" && e.PreviousExpiresAt != nil && now.Before(*e.PreviousExpiresAt) {
		old, err := Sign(e.PreviousSecret, d.MsgID, now, body)
		if err == nil {
			sig += " " + old
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem-Webhooks/1")
	req.Header.Set(HeaderID, d.MsgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	res, err := s.o.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the "Post URL:" prefix
		}
		return 0, "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, string(raw), nil
}
