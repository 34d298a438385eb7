package desk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/routing"
	"github.com/tandem-desk/tandem/internal/store"
)

// Offers lists the calling agent's pending offers.
func (d *Desk) Offers(ctx context.Context, a Actor) ([]*model.Offer, error) {
	return d.store.PendingOffers(ctx, a.WorkspaceID, a.AgentID)
}

// AcceptOffer makes the calling agent the conversation's owner.
func (d *Desk) AcceptOffer(ctx context.Context, a Actor, offerID int64) (*model.Offer, *model.Conversation, error) {
	offer, conv, err := d.store.AcceptOffer(ctx, a.WorkspaceID, offerID, a.AgentID, d.now())
	if err != nil {
		return nil, nil, err
	}
	d.metrics.OffersClosed("accepted", 1)
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID) // the queue moved up: the customers waiting are told
	return offer, conv, nil
}

// DeclineOffer passes on an offer; the conversation is offered to the next agent.
func (d *Desk) DeclineOffer(ctx context.Context, a Actor, offerID int64) (*model.Offer, error) {
	offer, err := d.store.DeclineOffer(ctx, a.WorkspaceID, offerID, a.AgentID, d.now())
	if err != nil {
		return nil, err
	}
	d.metrics.OffersClosed("declined", 1)
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return offer, nil
}

// dispatcher holds the workspaces whose queue needs a look, now or at a
// given time (when an agent's cooldown on a conversation ends).
type dispatcher struct {
	mu      sync.Mutex
	dirty   map[int64]bool
	recheck map[int64]time.Time
	wake    chan struct{}
}

func (p *dispatcher) init() {
	p.dirty = map[int64]bool{}
	p.recheck = map[int64]time.Time{}
	p.wake = make(chan struct{}, 1)
}

// recheckAt asks for another look at a workspace at time at.
func (d *Desk) recheckAt(workspaceID int64, at time.Time) {
	d.dispatch.mu.Lock()
	defer d.dispatch.mu.Unlock()
	if cur, ok := d.dispatch.recheck[workspaceID]; !ok || at.Before(cur) {
		d.dispatch.recheck[workspaceID] = at
	}
}

// dueRechecks marks the workspaces whose recheck time has come dirty and
// returns the earliest recheck still ahead (zero if none).
func (d *Desk) dueRechecks(now time.Time) time.Time {
	d.dispatch.mu.Lock()
	defer d.dispatch.mu.Unlock()
	var next time.Time
	for ws, at := range d.dispatch.recheck {
		if !at.After(now) {
			d.dispatch.dirty[ws] = true
			delete(d.dispatch.recheck, ws)
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
func (d *Desk) Kick(workspaceID int64) {
	if d.enqueueKick(workspaceID) {
		return // a durable trigger on the bus: some node's dispatcher takes it
	}
	d.dispatch.mu.Lock()
	d.dispatch.dirty[workspaceID] = true
	d.dispatch.mu.Unlock()
	select {
	case d.dispatch.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends. It reacts to kicks and wakes exactly when
// the earliest pending offer expires or an agent's cooldown on a declined
// conversation ends; beyond that it only looks, every idleRecheck, for
// workspaces with people waiting (a safety net for a trigger lost with a
// killed node, see cluster.go). On start it looks at every workspace, so
// nothing queued before a restart waits.
func (d *Desk) Run(ctx context.Context) error {
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
		case <-d.dispatch.wake:
		case <-offersMade.C:
		case <-timer.C:
		}
	}
}

// expire closes offers whose deadline passed and queues their workspaces.
func (d *Desk) expire(ctx context.Context) {
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

// dispatchError logs a failed step of a dispatch pass. A step cut short
// because the dispatcher is stopping is not a failure: it is logged at
// debug level (a node shutting down must not report database errors).
func (d *Desk) dispatchError(ctx context.Context, msg string, args ...any) {
	if ctx.Err() != nil {
		d.log.Debug(msg+" (stopping)", args...)
		return
	}
	d.log.Error(msg, args...)
}

func (d *Desk) markDirty(workspaceID int64) {
	d.dispatch.mu.Lock()
	d.dispatch.dirty[workspaceID] = true
	d.dispatch.mu.Unlock()
}

func (d *Desk) dispatchDirty(ctx context.Context) {
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
func (d *Desk) dispatchWorkspace(ctx context.Context, workspaceID int64) error {
	set, err := d.routingSettings(ctx, workspaceID)
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
	res := routing.Plan(snap, now)
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
		d.offersMade()
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
