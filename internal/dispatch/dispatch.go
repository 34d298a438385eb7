// Package dispatch is the dispatcher around Tandem's routing policy: it
// runs the loop that wakes on kicks, offer deadlines and rechecks, reads
// the workspace's snapshot from the store, asks internal/routing what to
// do, and applies the decisions — offers, rescinds, widened rings, expired
// offers, agents set away — through the store and the bus. It also keeps
// the queue view waiting customers and agents read (position and expected
// wait from routing.Rank, the order Plan serves in), lets an agent take a
// conversation from the queue, and hands an agent's work back to it.
//
// The decisions are all routing's; this package only reads, writes and
// signals. The use cases in internal/desk call it; it never calls desk.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/routing"
	"github.com/tandem-desk/tandem/internal/store"
)

// Options configure a Dispatcher.
type Options struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
	// Now is the clock, already trimmed to what the store keeps
	// (microseconds); time.Now when nil.
	Now func() time.Time
	// Changed tells readers of a workspace's event log to look again;
	// required.
	Changed func(workspaceID int64)
	// Metrics counts offers and dispatch passes; nil counts nothing.
	Metrics *metrics.Metrics
}

// Dispatcher makes offers. Create it with New; start it with Run.
type Dispatcher struct {
	store   *store.Store
	bus     bus.Bus
	log     *slog.Logger
	now     func() time.Time
	changed func(workspaceID int64)
	metrics *metrics.Metrics

	// mu guards the workspaces to look at, now (dirty) or later
	// (recheck), and the pass counters in cluster.
	mu      sync.Mutex
	dirty   map[int64]bool
	recheck map[int64]time.Time
	wake    chan struct{}
	cluster clusterState
	queue   queueState
	// planner is only used by Run's goroutine.
	planner routing.Planner
}

// New returns a Dispatcher.
func New(o Options) *Dispatcher {
	d := &Dispatcher{
		store: o.Store, bus: o.Bus, log: o.Logger, now: o.Now, changed: o.Changed, metrics: o.Metrics,
		dirty: map[int64]bool{}, recheck: map[int64]time.Time{}, wake: make(chan struct{}, 1),
	}
	if d.now == nil {
		d.now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.changed == nil {
		d.changed = func(int64) {}
	}
	return d
}

// recheckAt asks for another look at a workspace at time at.
func (d *Dispatcher) recheckAt(workspaceID int64, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.recheck[workspaceID]; !ok || at.Before(cur) {
		d.recheck[workspaceID] = at
	}
}

// dueRechecks marks the workspaces whose recheck time has come dirty and
// returns the earliest recheck still ahead (zero if none).
func (d *Dispatcher) dueRechecks(now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next time.Time
	for ws, at := range d.recheck {
		if !at.After(now) {
			d.dirty[ws] = true
			delete(d.recheck, ws)
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// Kick asks the dispatcher to look at a workspace's queue: a conversation
// was queued, an agent became available, a slot freed, an offer was let go.
// With a bus shared by several nodes the kick is a durable job that one
// node's dispatcher takes (see cluster.go); it returns once the bus has it.
func (d *Dispatcher) Kick(workspaceID int64) {
	if d.enqueueKick(workspaceID) {
		return // a durable trigger on the bus: some node's dispatcher takes it
	}
	d.markDirty(workspaceID)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends. It reacts to kicks and wakes exactly when
// the earliest pending offer expires or an agent's cooldown on a declined
// conversation ends; beyond that it only looks, every idleRecheck, for
// workspaces with people waiting (a safety net for a trigger lost with a
// killed node, see cluster.go). On start it looks at every workspace, so
// nothing queued before a restart waits.
func (d *Dispatcher) Run(ctx context.Context) error {
	workspaces, err := d.store.Workspaces(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	// Kicks from any node arrive as jobs of the bus's dispatch queue, and
	// offers made anywhere move the deadline this node waits for.
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	go d.consumeKicks(workerCtx)
	d.cluster.working.Store(true)
	defer d.cluster.working.Store(false)
	offersMade := d.bus.Subscribe(TopicOffers)
	defer offersMade.Close()
	for _, ws := range workspaces {
		d.Kick(ws.ID)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.expire(ctx)
		d.dueRechecks(d.now())
		d.sweepWaiting(ctx)
		d.dispatchDirty(ctx)
		wait := idleRecheck
		if deadline, ok, err := d.store.NextOfferDeadline(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while reading: not a database error
			}
			d.log.Error("dispatch: next deadline", "err", err)
			wait = time.Second // the database hiccuped: try again soon
		} else if ok {
			wait = min(wait, max(deadline.Sub(d.now()), 0))
		}
		if next := d.dueRechecks(d.now()); !next.IsZero() {
			wait = min(wait, max(next.Sub(d.now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-offersMade.C:
		case <-timer.C:
		}
	}
}

// expire closes offers whose deadline passed (routing.Expired: the
// deadline is not after now) and queues their workspaces.
func (d *Dispatcher) expire(ctx context.Context) {
	expired, err := d.store.ExpireOffers(ctx, d.now())
	if err != nil {
		d.dispatchError(ctx, "dispatch: expire offers", "err", err)
		return
	}
	d.metrics.OffersClosed("expired", len(expired))
	for _, o := range expired {
		d.log.Info("offer expired", "offer", o.ID, "conversation", o.ConversationID, "agent", o.AgentID)
		d.changed(o.WorkspaceID)
		d.markDirty(o.WorkspaceID)
	}
	// Agents who let too many offers in a row run out are set away.
	d.autoAway(ctx, expired)
}

// autoAway sets away the agents who let too many offers in a row run out,
// by routing's rule (Settings.SetsAway), the one the simulator follows.
func (d *Dispatcher) autoAway(ctx context.Context, expired []*model.Offer) {
	type key struct{ ws, agent int64 }
	seen := map[key]bool{}
	for _, o := range expired {
		k := key{o.WorkspaceID, o.AgentID}
		if seen[k] {
			continue
		}
		seen[k] = true
		set, err := d.Settings(ctx, o.WorkspaceID)
		if err != nil {
			d.dispatchError(ctx, "dispatch: routing settings", "workspace", o.WorkspaceID, "err", err)
			continue
		}
		agent, away, err := d.store.SetAgentAwayAfterExpiries(ctx, o.WorkspaceID, o.AgentID, set.SetsAway, d.now())
		if err != nil {
			d.dispatchError(ctx, "dispatch: set agent away", "agent", o.AgentID, "err", err)
			continue
		}
		if away {
			d.log.Info("agent set away", "agent", agent.ID, "reason", agent.StatusReason)
			d.changed(o.WorkspaceID)
			d.markDirty(o.WorkspaceID)
		}
	}
}

// dispatchError logs a failed step of a dispatch pass. A step cut short
// because the dispatcher is stopping is not a failure: it is logged at
// debug level (a node shutting down must not report database errors).
func (d *Dispatcher) dispatchError(ctx context.Context, msg string, args ...any) {
	if ctx.Err() != nil {
		d.log.Debug(msg+" (stopping)", args...)
		return
	}
	d.log.Error(msg, args...)
}

func (d *Dispatcher) markDirty(workspaceID int64) {
	d.mu.Lock()
	d.dirty[workspaceID] = true
	d.mu.Unlock()
}

func (d *Dispatcher) dispatchDirty(ctx context.Context) {
	// How long a pass took is a wall-clock duration, not the injected clock's.
	defer d.metrics.DispatchPass(time.Now())
	dirty, pass := d.takeDirty()
	defer d.finishPass(pass)
	for ws := range dirty {
		if err := d.dispatchWorkspace(ctx, ws); err != nil && ctx.Err() == nil {
			d.metrics.DispatchError()
			d.log.Error("dispatch", "workspace", ws, "err", err)
			d.markDirty(ws)
		}
	}
}

// dispatchWorkspace asks the routing policy what to offer and makes the
// offers. The store re-checks every offer in its transaction, so a plan made
// on a stale snapshot (another node, a concurrent accept) loses nothing: the
// offer is refused and the workspace is planned again a moment later — on a
// fresh snapshot, since the refusal may have left a slot without an offer.
func (d *Dispatcher) dispatchWorkspace(ctx context.Context, workspaceID int64) error {
	set, err := d.Settings(ctx, workspaceID)
	if err != nil {
		return err
	}
	now := d.now()
	head, err := d.store.HeadSeq(ctx, workspaceID)
	if err != nil {
		return err
	}
	snap, err := d.snapshot(ctx, workspaceID, set, now)
	if err != nil {
		return err
	}
	if len(snap.Queue) == 0 {
		return nil
	}
	res := d.planner.Plan(snap, now)
	if !res.Recheck.IsZero() {
		// A ring widens or a cooldown ends then. In a long queue these come
		// often: look again at most once a second.
		d.recheckAt(workspaceID, maxTime(res.Recheck, now.Add(time.Second)))
	}
	d.applyRescinds(ctx, workspaceID, res.Rescind, now)
	d.recordWidenings(ctx, &snap, res.Widened, now)
	made, refused := 0, 0
	for _, o := range res.Offers {
		// The agent's time to accept counts from when the offer is made, not
		// from when the pass began: reading the snapshot, recording
		// widenings, writing the offers before this one and waiting for the
		// database's locks take time, on a busy database enough of it that
		// an offer would be born expired — never seen, yet counted against
		// the agent. The store reads the clock once it holds the locks.
		offer, err := d.store.CreateTimedOffer(ctx, workspaceID, o.ConversationID, o.AgentID, o.Ring, o.ExpiresAt.Sub(now), d.now)
		if errors.Is(err, store.ErrConflict) {
			d.log.Debug("dispatch: offer refused", "conversation", o.ConversationID, "agent", o.AgentID, "err", err)
			refused++
			continue
		}
		if err != nil {
			return fmt.Errorf("offer conversation %d to agent %d: %w", o.ConversationID, o.AgentID, err)
		}
		d.log.Info("offer made", "offer", offer.ID, "conversation", o.ConversationID, "agent", o.AgentID, "ring", o.Ring, "expires", offer.ExpiresAt)
		made++
	}
	d.metrics.OffersMade("dispatch", made)
	if made > 0 {
		d.changed(workspaceID)
		d.OffersMade()
	}
	if refused > 0 {
		d.recheckAt(workspaceID, d.now().Add(replanDelay))
	}
	// Waiting customers learn where they now stand.
	return d.tellQueue(ctx, workspaceID, head, &snap, now)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Settings returns a workspace's routing settings: the stored ones over
// the defaults, with the workspace's accept deadline. Settings that no
// longer parse are logged and the defaults apply: dispatch must go on.
func (d *Dispatcher) Settings(ctx context.Context, workspaceID int64) (routing.Settings, error) {
	raw, timeout, err := d.store.RoutingSettings(ctx, workspaceID)
	if err != nil {
		return routing.Settings{}, err
	}
	set, err := routing.ParseSettings([]byte(raw))
	if err != nil {
		d.log.Error("routing settings are invalid; using the defaults", "workspace", workspaceID, "err", err)
		set = routing.DefaultSettings()
	}
	if timeout > 0 {
		set.AcceptTimeout = timeout
	}
	return set, nil
}

// snapshot reads what routing decides on and converts it for the policy.
func (d *Dispatcher) snapshot(ctx context.Context, workspaceID int64, set routing.Settings, now time.Time) (routing.Snapshot, error) {
	since := time.Time{}
	if set.StickyWindow > 0 {
		since = now.Add(-set.StickyWindow)
	}
	ds, err := d.store.RoutingSnapshot(ctx, workspaceID, since)
	if err != nil {
		return routing.Snapshot{}, err
	}
	return toRouting(ds, set, workspaceID), nil
}

func toRouting(ds *store.DispatchSnapshot, set routing.Settings, workspaceID int64) routing.Snapshot {
	out := routing.Snapshot{Settings: set, StaffSkills: ds.StaffSkills}
	for _, list := range [][]store.QueuedConversation{ds.Queue, ds.Offered} {
		for _, q := range list {
			out.Queue = append(out.Queue, routing.Conversation{
				ID: q.ID, WorkspaceID: workspaceID, QueuedAt: q.QueuedAt,
				Intent: q.Intent, Sensitive: q.Sensitive, Language: q.Language, Frustrated: q.Frustrated, VIP: q.VIP,
				PreviousAgentID: q.PreviousAgentID, PreviousAt: q.PreviousAt, Tried: q.TriedAgents, Ring: q.Ring, Boost: q.Boost,
			})
		}
	}
	for _, a := range ds.Agents {
		idle := a.StatusChangedAt
		if a.LastOfferedAt != nil && a.LastOfferedAt.After(idle) {
			idle = *a.LastOfferedAt
		}
		out.Agents = append(out.Agents, routing.Agent{
			ID: a.ID, Capacity: a.Capacity, Active: a.Active, Skills: a.Skills, Workspaces: a.Workspaces, IdleSince: idle, Quality: a.Quality,
		})
	}
	for _, o := range ds.Pending {
		out.Pending = append(out.Pending, routing.PendingOffer{ID: o.ID, ConversationID: o.ConversationID, AgentID: o.AgentID, CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt})
	}
	return out
}

// applyRescinds withdraws the pending offers the policy found unfit; the
// workspace is then planned again, for the slots they held.
func (d *Dispatcher) applyRescinds(ctx context.Context, workspaceID int64, rescinds []routing.Rescind, now time.Time) {
	for _, r := range rescinds {
		o, err := d.store.RescindOffer(ctx, workspaceID, r.OfferID, now)
		if err != nil {
			d.dispatchError(ctx, "dispatch: rescind offer", "offer", r.OfferID, "err", err)
			continue
		}
		if o != nil {
			d.metrics.OffersClosed("rescinded", 1)
			d.log.Info("offer rescinded", "offer", o.ID, "conversation", o.ConversationID, "agent", o.AgentID, "reason", r.Reason)
			d.changed(workspaceID)
			d.recheckAt(workspaceID, now)
		}
	}
}

// recordWidenings writes the rings that widened, or were skipped, into
// the conversations' events: routing never widens silently.
func (d *Dispatcher) recordWidenings(ctx context.Context, snap *routing.Snapshot, widened []routing.Widening, now time.Time) {
	if len(widened) == 0 {
		return
	}
	queued := map[int64]*routing.Conversation{}
	for i := range snap.Queue {
		queued[snap.Queue[i].ID] = &snap.Queue[i]
	}
	for _, w := range widened {
		c := queued[w.ConversationID]
		if c == nil {
			continue
		}
		rec := store.Widening{ConversationID: w.ConversationID, Ring: w.Ring, Skills: w.Skills, WaitedSeconds: int(now.Sub(c.QueuedAt).Seconds()), Skipped: w.Skipped}
		ok, err := d.store.RecordWidening(ctx, c.WorkspaceID, rec, c.QueuedAt, now)
		if err != nil {
			d.dispatchError(ctx, "dispatch: record widening", "conversation", w.ConversationID, "err", err)
			continue
		}
		if ok {
			d.log.Info("required skills widened", "conversation", w.ConversationID, "ring", w.Ring, "skills", w.Skills, "skipped", w.Skipped)
			d.changed(c.WorkspaceID)
		}
	}
}
