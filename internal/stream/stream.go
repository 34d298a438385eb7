// Package stream fans a workspace's event log out to the streams open on
// this node (the WebSocket streams of GET /api/v1/stream).
//
// The database's event log is the truth and the bus only says "look
// again". A Hub keeps, per workspace with a stream open here, one feed: it
// listens to the workspace's bus topic and, on each signal, reads the new
// events from the store once and hands each to the followers that may see
// it (store.EventAudience.Sees, the rule the store's query applies), so a
// new event costs one read per node however many streams are open. The
// feed's cursor moves on every read, whoever the events were for.
//
// A follower that resumes from a cursor behind the feed first catches up:
// from the feed's recent events in memory when they reach back far enough
// (a customer's or an admin's stream), else from the store with its own
// audience; events above the point where it joined the feed come from the
// feed. Every follower drops what is at or below its cursor, so the
// guarantee of the stream holds: exactly the events after the cursor, no
// gap, no duplicate, on whichever node it resumes.
//
// A follower holds at most Buffer undelivered events. One that falls
// further behind (a client that does not read) is cut off with ErrBehind
// instead of slowing the feed or growing without bound; it resumes with
// its cursor like after any disconnect.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-desk/tandem/internal/backoff"
	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// ErrBehind ends a follower that fell more than Buffer events behind. The
// client resumes from the last event it received.
var ErrBehind = errors.New("stream: too far behind; resume from the last seq received")

// Defaults of Options.
const (
	DefaultBuffer  = 1024
	DefaultHistory = 1024
	// batch is how many events one read takes.
	batch = 500
)

// Options configure a Hub.
type Options struct {
	Store *store.Store
	Bus   bus.Bus
	// Topic names the bus topic signalled when a workspace has new events.
	Topic func(workspaceID int64) string
	Log   *slog.Logger
	// Buffer bounds the events a follower holds undelivered (DefaultBuffer).
	Buffer int
	// History is how many of a workspace's latest events (at least; up to
	// twice as many) stay in memory for followers that resume a little
	// behind (DefaultHistory).
	History int
}

// Hub holds this node's feeds, one per workspace with a follower.
//
// Locks: Hub.mu guards the feeds and their users and is never held with
// another; feed.mu guards a feed's cursor, memory and followers and may be
// held while taking a Follower.mu (to queue an event), never the reverse.
// No lock is held across a database read.
type Hub struct {
	o Options

	mu    sync.Mutex
	feeds map[int64]*feed
	// resumeReads counts the followers' catch-up reads of the store (tests).
	resumeReads atomic.Int64
}

// New returns a Hub with no feeds.
func New(o Options) *Hub {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Hub{o: o, feeds: map[int64]*feed{}}
}

// feed reads one workspace's new events for this node's followers of it.
type feed struct {
	ws int64
	// users counts the followers that hold or are getting the feed; the
	// hub's lock guards it. The last to leave stops the feed.
	users int
	// ready is closed when the feed has its starting cursor, or err.
	ready chan struct{}
	err   error
	stop  context.CancelFunc

	mu sync.Mutex
	// cursor: every event up to it has been read and handed out.
	cursor int64
	// recent holds the events in (from, cursor], oldest first.
	recent []model.Event
	from   int64
	// customers holds the customers' followers by customer, so an event
	// costs its own customer's streams, not every stream; staff holds the
	// agents' and admins' followers, and agents counts the agents', who
	// need to know who holds each conversation now.
	customers map[int64]map[*Follower]struct{}
	staff     map[*Follower]struct{}
	agents    int
}

// Follow starts following the workspace's events that aud may see, after
// the cursor after, or from the present when after is nil. Close the
// follower when done.
func (h *Hub) Follow(ctx context.Context, workspaceID int64, aud store.EventAudience, after *int64) (*Follower, error) {
	if after == nil {
		// The present is where the log ends now, which the feed may not
		// have read yet: an event committed before the stream opened is
		// not sent on it.
		head, err := h.o.Store.HeadSeq(ctx, workspaceID)
		if err != nil {
			return nil, err
		}
		after = &head
	}
	f, err := h.acquire(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	c := make(chan struct{}, 1)
	fl := &Follower{C: c, c: c, hub: h, feed: f, aud: aud}
	f.mu.Lock()
	fl.joined, fl.after, fl.start = f.cursor, *after, *after
	fl.caughtUp = fl.after >= fl.joined
	f.add(fl)
	f.mu.Unlock()
	if !fl.caughtUp {
		fl.signal()
	}
	return fl, nil
}

// acquire returns the workspace's feed, starting it if needed.
func (h *Hub) acquire(ctx context.Context, ws int64) (*feed, error) {
	h.mu.Lock()
	f := h.feeds[ws]
	starter := f == nil
	if starter {
		f = &feed{ws: ws, ready: make(chan struct{}), customers: map[int64]map[*Follower]struct{}{}, staff: map[*Follower]struct{}{}}
		h.feeds[ws] = f
	}
	f.users++
	h.mu.Unlock()
	if starter {
		h.start(f)
	}
	select {
	case <-f.ready:
	case <-ctx.Done():
		h.release(f)
		return nil, ctx.Err()
	}
	if f.err != nil {
		h.release(f)
		return nil, f.err
	}
	return f, nil
}

// start subscribes to the workspace's signals, then reads where its log
// ends: a signal for anything after that point is not missed.
func (h *Hub) start(f *feed) {
	defer close(f.ready)
	sub := h.o.Bus.Subscribe(h.o.Topic(f.ws))
	ctx, cancel := context.WithCancel(context.Background())
	head, err := h.o.Store.HeadSeq(ctx, f.ws)
	if err != nil {
		sub.Close()
		cancel()
		f.err = err
		h.mu.Lock()
		if h.feeds[f.ws] == f {
			delete(h.feeds, f.ws) // the next follower tries again
		}
		h.mu.Unlock()
		return
	}
	f.cursor, f.from, f.stop = head, head, cancel
	go h.run(ctx, f, sub)
}

// release drops a user of the feed; the last stops it.
func (h *Hub) release(f *feed) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.users--
	if f.users > 0 {
		return
	}
	if h.feeds[f.ws] == f {
		delete(h.feeds, f.ws)
	}
	if f.stop != nil {
		f.stop()
	}
}

// run reads the new events on every signal until the feed stops. A failed
// read is tried again with back-off: the followers wait, and get
// everything once the store answers.
func (h *Hub) run(ctx context.Context, f *feed, sub *bus.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.C:
		}
		for failures := 0; ; failures++ {
			err := h.pull(ctx, f)
			if err == nil || ctx.Err() != nil {
				break
			}
			h.o.Log.Error("stream: read new events", "workspace", f.ws, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff.Delay(failures, 100*time.Millisecond, 5*time.Second, 0)):
			}
		}
	}
}

// pull reads every event after the feed's cursor and hands each to the
// followers that may see it. Only run moves the cursor.
func (h *Hub) pull(ctx context.Context, f *feed) error {
	for {
		f.mu.Lock()
		after, agents := f.cursor, f.agents
		f.mu.Unlock()
		evs, err := h.o.Store.EventsAfter(ctx, f.ws, after, store.EventAudience{}, batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		var owners map[int64]int64
		for loaded := false; ; {
			if agents > 0 && !loaded {
				if owners, err = h.owners(ctx, f.ws, evs); err != nil {
					return err
				}
				loaded = true
			}
			f.mu.Lock()
			if f.agents > 0 && !loaded { // an agent joined meanwhile
				agents = f.agents
				f.mu.Unlock()
				continue
			}
			break
		}
		owner := func(conv int64) int64 { return owners[conv] }
		for _, ev := range evs {
			if ev.CustomerID != nil {
				for fl := range f.customers[*ev.CustomerID] {
					if fl.aud.Sees(ev, owner) {
						fl.push(ev, h.o.Buffer)
					}
				}
			}
			for fl := range f.staff {
				if fl.aud.Sees(ev, owner) {
					fl.push(ev, h.o.Buffer)
				}
			}
		}
		f.remember(evs, h.o.History)
		f.cursor = evs[len(evs)-1].Seq
		f.mu.Unlock()
		if len(evs) < batch {
			return nil
		}
	}
}

// owners reads who holds the conversations of the events that name no
// agent, when an agent follows the workspace: their streams see the
// events of the conversations they hold now. One read for the batch.
func (h *Hub) owners(ctx context.Context, ws int64, evs []model.Event) (map[int64]int64, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, ev := range evs {
		if ev.AgentID == nil && ev.ConversationID != nil && !seen[*ev.ConversationID] {
			seen[*ev.ConversationID] = true
			ids = append(ids, *ev.ConversationID)
		}
	}
	return h.o.Store.ConversationOwners(ctx, ws, ids)
}

// add and remove keep the follower sets; f.mu is held.
func (f *feed) add(fl *Follower) {
	switch {
	case fl.aud.CustomerID != 0:
		if f.customers[fl.aud.CustomerID] == nil {
			f.customers[fl.aud.CustomerID] = map[*Follower]struct{}{}
		}
		f.customers[fl.aud.CustomerID][fl] = struct{}{}
	case fl.aud.AgentID != 0:
		f.agents++
		f.staff[fl] = struct{}{}
	default:
		f.staff[fl] = struct{}{}
	}
}

func (f *feed) remove(fl *Follower) {
	switch {
	case fl.aud.CustomerID != 0:
		delete(f.customers[fl.aud.CustomerID], fl)
		if len(f.customers[fl.aud.CustomerID]) == 0 {
			delete(f.customers, fl.aud.CustomerID)
		}
	case fl.aud.AgentID != 0:
		f.agents--
		delete(f.staff, fl)
	default:
		delete(f.staff, fl)
	}
}

// remember keeps at least the latest keep events (at most twice as many,
// so that dropping the oldest is a copy now and then, not on every read);
// from moves with the oldest dropped, so recent always holds every event
// in (from, cursor].
func (f *feed) remember(evs []model.Event, keep int) {
	f.recent = append(f.recent, evs...)
	if len(f.recent) > 2*keep {
		over := len(f.recent) - keep
		f.from = f.recent[over-1].Seq
		f.recent = append(f.recent[:0:0], f.recent[over:]...)
	}
}

// Follower receives the events of one stream.
type Follower struct {
	// C signals that Next may have events.
	C    <-chan struct{}
	c    chan struct{}
	hub  *Hub
	feed *feed
	aud  store.EventAudience
	once sync.Once

	// start is the cursor the follower began after.
	start int64
	// Only Next uses after, joined and caughtUp: after is the last seq
	// handed out; events above joined come through pending.
	after    int64
	joined   int64
	caughtUp bool

	mu      sync.Mutex
	pending []model.Event
	behind  bool
}

// Start is the cursor the follower continues after: the one it was given,
// or the end of the log when it started.
func (fl *Follower) Start() int64 { return fl.start }

func (fl *Follower) signal() {
	select {
	case fl.c <- struct{}{}:
	default: // already signalled: Next takes everything anyway
	}
}

// push queues ev, or marks the follower behind when max are waiting.
func (fl *Follower) push(ev model.Event, max int) {
	fl.mu.Lock()
	if !fl.behind {
		if len(fl.pending) >= max {
			fl.behind, fl.pending = true, nil
		} else {
			fl.pending = append(fl.pending, ev)
		}
	}
	fl.mu.Unlock()
	fl.signal()
}

// Next returns the events that arrived since the last call, in seq order;
// none when there are none yet (wait for C). After ErrBehind the follower
// is done. Call it from one goroutine.
func (fl *Follower) Next(ctx context.Context) ([]model.Event, error) {
	if !fl.caughtUp {
		evs, err := fl.catchUp(ctx)
		if err != nil {
			return nil, err
		}
		if !fl.caughtUp {
			fl.signal() // more to read
		}
		return fl.handOut(evs), nil
	}
	fl.mu.Lock()
	evs, behind := fl.pending, fl.behind
	fl.pending = nil
	fl.mu.Unlock()
	if behind {
		return nil, ErrBehind
	}
	return fl.handOut(evs), nil
}

// handOut drops what is at or below the cursor (a client that resumed
// ahead of this node's feed) and moves the cursor.
func (fl *Follower) handOut(evs []model.Event) []model.Event {
	out := evs[:0:0]
	for _, ev := range evs {
		if ev.Seq > fl.after {
			out = append(out, ev)
			fl.after = ev.Seq
		}
	}
	return out
}

// catchUp returns the next events in (after, joined]: from the feed's
// recent events when they reach back to the cursor, else from the store.
// An agent's catch-up always reads the store, which knows who holds each
// conversation now.
func (fl *Follower) catchUp(ctx context.Context) ([]model.Event, error) {
	f := fl.feed
	if fl.aud.AgentID == 0 {
		f.mu.Lock()
		if f.from <= fl.after {
			var out []model.Event
			for _, ev := range f.recent {
				if ev.Seq > fl.after && ev.Seq <= fl.joined && fl.aud.Sees(ev, nil) {
					out = append(out, ev)
				}
			}
			f.mu.Unlock()
			fl.caughtUp = true
			return out, nil
		}
		f.mu.Unlock()
	}
	fl.hub.resumeReads.Add(1)
	evs, err := fl.hub.o.Store.EventsAfter(ctx, f.ws, fl.after, fl.aud, batch)
	if err != nil {
		return nil, err
	}
	if len(evs) < batch {
		fl.caughtUp = true
	}
	for i, ev := range evs {
		if ev.Seq > fl.joined { // the feed has handed these over already
			fl.caughtUp = true
			return evs[:i], nil
		}
	}
	if len(evs) > 0 && evs[len(evs)-1].Seq == fl.joined {
		fl.caughtUp = true
	}
	return evs, nil
}

// Close stops following; the workspace's last follower on this node stops
// its feed. Calling it again does nothing.
func (fl *Follower) Close() {
	fl.once.Do(func() {
		f := fl.feed
		f.mu.Lock()
		f.remove(fl)
		f.mu.Unlock()
		fl.hub.release(f)
	})
}
