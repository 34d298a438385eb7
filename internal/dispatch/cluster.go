package dispatch

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
)

// Dispatch across nodes. Every node runs the dispatcher; correctness comes
// from the database (row locks, conditional updates, the unique pending
// offer), so two nodes planning the same offer cost one refused insert,
// never a double offer. The bus only decides who looks when:
//
//   - A kick (a conversation queued, an agent available, an offer let go)
//     is, on a bus shared by nodes, a job on its durable "dispatch" work
//     queue (in one process it is simply a wake-up of the local dispatcher). One node's
//     dispatcher takes it, runs a pass over the workspace, and only then
//     acknowledges it; if that node dies first, another node gets the job.
//   - A node that makes offers signals TopicOffers: every node re-reads the
//     earliest offer deadline, so an offer made by a node that is then
//     killed still expires on time, on the others, and is offered again.
//   - Two nodes planning at once can each have an offer refused where the
//     other's plan would have fitted; a refused offer has its workspace
//     planned again replanDelay later, on a fresh snapshot.
//   - Each dispatcher sleeps at most idleRecheck and then looks at the
//     workspaces with people waiting: a trigger lost with a node killed
//     between its commit and its enqueue delays someone by that much, at most.

// QueueDispatch is the bus work queue of dispatch triggers; a job is a workspace id.
const QueueDispatch = "dispatch"

// TopicOffers is signalled when offers are made anywhere.
const TopicOffers = "dispatch.offers"

// idleRecheck bounds the dispatcher's sleep when nothing else wakes it.
const idleRecheck = 30 * time.Second

// replanDelay is how soon a workspace is planned again after one of its
// offers was refused: another node planned at the same time, and the slot
// that offer was for may now have none.
const replanDelay = 25 * time.Millisecond

// clusterState numbers the dispatcher's passes, so a dispatch job is
// acknowledged only after a pass that started after it was taken.
type clusterState struct {
	// started and finished count passes; guarded by Dispatcher.mu.
	started, finished uint64
	// passDone is closed when a pass finishes; guarded by Dispatcher.mu.
	passDone chan struct{}
	// working is set while Run consumes the dispatch queue: kicks then go
	// through the bus.
	working atomic.Bool
	// lastSweep is when the dispatcher last looked at every waiting
	// workspace; only Run's goroutine uses it.
	lastSweep time.Time
	// busDownUntil (unix nanoseconds, on the dispatcher's clock): after the
	// bus refused a trigger, kicks are handled here for a while rather than
	// each waiting for it.
	busDownUntil atomic.Int64
}

// busRetryAfter is how long kicks stay local after the bus refused one.
const busRetryAfter = 5 * time.Second

// enqueueKick sends a kick through the bus's dispatch queue. It reports
// false when the kick must be handled here instead: in one process (the
// in-process bus) the dispatcher is right here and a kick is a wake-up, as
// ever; and when Run is not consuming the queue or the bus refused a job.
func (d *Dispatcher) enqueueKick(workspaceID int64) bool {
	if _, inProcess := d.bus.(*bus.Memory); inProcess {
		return false
	}
	if !d.cluster.working.Load() || d.now().UnixNano() < d.cluster.busDownUntil.Load() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := d.bus.Enqueue(ctx, QueueDispatch, strconv.FormatInt(workspaceID, 10)); err != nil {
		d.cluster.busDownUntil.Store(d.now().Add(busRetryAfter).UnixNano())
		d.log.Warn("dispatch: the bus refused a trigger; dispatching on this node for a while", "workspace", workspaceID, "err", err)
		return false
	}
	return true
}

// consumeKicks runs the dispatch queue's worker until ctx ends.
func (d *Dispatcher) consumeKicks(ctx context.Context) {
	for ctx.Err() == nil {
		if err := d.bus.Work(ctx, QueueDispatch, d.dispatchJob); err != nil {
			d.dispatchError(ctx, "dispatch: work queue", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// dispatchJob marks the job's workspace for the dispatcher and waits for
// the pass that covers it.
func (d *Dispatcher) dispatchJob(ctx context.Context, job string) error {
	ws, err := strconv.ParseInt(job, 10, 64)
	if err != nil {
		d.log.Warn("dispatch: dropping a malformed trigger", "job", job)
		return nil
	}
	d.mu.Lock()
	d.dirty[ws] = true
	want := d.cluster.started + 1
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	for {
		d.mu.Lock()
		if d.cluster.finished >= want {
			d.mu.Unlock()
			return nil
		}
		if d.cluster.passDone == nil {
			d.cluster.passDone = make(chan struct{})
		}
		done := d.cluster.passDone
		d.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// takeDirty starts a dispatch pass: it takes the workspaces to look at and
// numbers the pass. Call finishPass with the number when the pass is done.
func (d *Dispatcher) takeDirty() (map[int64]bool, uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dirty := d.dirty
	d.dirty = map[int64]bool{}
	d.cluster.started++
	return dirty, d.cluster.started
}

func (d *Dispatcher) finishPass(n uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cluster.finished = n
	if d.cluster.passDone != nil {
		close(d.cluster.passDone)
		d.cluster.passDone = nil
	}
}

// Passes counts this node's dispatch passes: Started when one begins,
// Finished when it ends. A node runs its passes one at a time, in order,
// so once Finished reaches a Started read earlier, every pass that began
// before that read has ended: each offer it planned, on however old a
// view of the queue, has been made or refused by then.
type Passes struct {
	Started  uint64 `json:"started"`
	Finished uint64 `json:"finished"`
}

// Passes reports this node's dispatch passes. The dispatcher does not
// need it: it lets a test or an operator see that a node's dispatcher has
// caught up with what happened so far, instead of waiting a while to see
// whether a late offer turns up.
func (d *Dispatcher) Passes() Passes {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Passes{Started: d.cluster.started, Finished: d.cluster.finished}
}

// OffersMade tells every node's dispatcher to re-read the offer deadlines:
// call it after making an offer outside a dispatch pass (a transfer).
func (d *Dispatcher) OffersMade() { d.bus.Publish(TopicOffers) }

// sweepWaiting marks the workspaces with people waiting, once per idleRecheck.
func (d *Dispatcher) sweepWaiting(ctx context.Context) {
	now := d.now()
	if !d.cluster.lastSweep.IsZero() && now.Sub(d.cluster.lastSweep) < idleRecheck && !now.Before(d.cluster.lastSweep) {
		return
	}
	d.cluster.lastSweep = now
	ids, err := d.store.WaitingWorkspaces(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("dispatch: waiting workspaces", "err", err)
		}
		return
	}
	for _, ws := range ids {
		d.markDirty(ws)
	}
}
