// Package bus carries "something changed" signals and small jobs between
// the parts of Tandem: inside one process (Memory) or between the nodes of a
// cluster (NATS, with JetStream for the jobs). The store is the source of
// truth everywhere: a signal only tells a reader (a WebSocket stream, the
// dispatcher) to look again, and a job only says what to look at.
//
// Signals to one subscriber coalesce, so a slow reader never blocks a writer
// and never misses that there is something new. Jobs go to durable work
// queues: each job is handled by one worker, at least once — a job whose
// handler fails, or whose worker dies, is delivered again.
//
// Broadcasts are the one kind of message that carries data: a small
// payload for a transient hint (someone is typing), given to the listeners
// of its topic on every node, at most once, and dropped rather than ever
// blocking the sender. Nothing that must not be lost goes there.
//
// internal/bus/bustest holds the conformance suite both implementations pass.
package bus

import (
	"context"
	"errors"
	"sync"
)

// MaxBroadcast bounds a broadcast's payload: broadcasts are hints, not data
// transfer (a typing notice is a few hundred bytes).
const MaxBroadcast = 8 << 10

// ErrTooLarge refuses a broadcast payload over MaxBroadcast.
var ErrTooLarge = errors.New("bus: broadcast payload too large")

// Bus is what Tandem needs from an event bus. Two implementations exist:
// Memory (one process) and NATS (a cluster).
type Bus interface {
	// Publish signals every subscriber of topic, on every node, without blocking.
	Publish(topic string)
	// Subscribe starts receiving signals for topic. Call Close when done.
	Subscribe(topic string) *Subscription
	// Enqueue adds a job to a durable work queue. When it returns nil the
	// job will be handled by one worker of the queue, at least once.
	Enqueue(ctx context.Context, queue, job string) error
	// Work handles the jobs of queue, one at a time, until ctx ends. A job
	// whose handler returns an error is delivered again later. Every node
	// may run a worker for the same queue: each job goes to one of them.
	Work(ctx context.Context, queue string, handle Handler) error
	// Broadcast gives a copy of data to every listener of topic, on every
	// node (this one included), at most once and without blocking: it may
	// be lost on the way, or dropped for a listener that reads too slowly.
	// A payload over MaxBroadcast is refused with ErrTooLarge.
	Broadcast(topic string, data []byte) error
	// Listen starts receiving the broadcasts of topic. Call Close when done.
	Listen(topic string) *Listener
	// Close releases the bus.
	Close() error
}

// Handler handles one job of a work queue.
type Handler func(ctx context.Context, job string) error

// Compile-time guards: both implementations are Buses.
var (
	_ Bus = (*Memory)(nil)
	_ Bus = (*NATS)(nil)
)

// Subscription receives a signal on C after each Publish to its topic;
// several publishes before a receive arrive as one signal.
type Subscription struct {
	C     <-chan struct{}
	c     chan struct{}
	once  sync.Once
	close func()
}

func newSubscription(close func(*Subscription)) *Subscription {
	c := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c}
	s.close = func() { close(s) }
	return s
}

// signal wakes the reader unless a signal is already waiting.
func (s *Subscription) signal() {
	select {
	case s.c <- struct{}{}:
	default: // a signal is already waiting: the reader will look anyway
	}
}

// Close stops the subscription; calling it again does nothing.
func (s *Subscription) Close() { s.once.Do(s.close) }

// hub fans signals out to the local subscribers of each topic.
type hub struct {
	mu sync.Mutex
	topics[*Subscription]
}

// topics holds the local members (subscribers, listeners) of each topic.
// first and last are told when a topic gains its first member and loses
// its last (NATS subscribes to the subject only while needed). The owner's
// lock guards it.
type topics[M comparable] struct {
	members     map[string]map[M]struct{}
	first, last func(topic string)
}

func (t *topics[M]) add(topic string, m M) {
	if t.members == nil {
		t.members = map[string]map[M]struct{}{}
	}
	if t.members[topic] == nil {
		t.members[topic] = map[M]struct{}{}
		if t.first != nil {
			t.first(topic)
		}
	}
	t.members[topic][m] = struct{}{}
}

func (t *topics[M]) remove(topic string, m M) {
	delete(t.members[topic], m)
	if len(t.members[topic]) == 0 && t.members[topic] != nil {
		delete(t.members, topic)
		if t.last != nil {
			t.last(topic)
		}
	}
}

func (h *hub) subscribe(topic string) *Subscription {
	s := newSubscription(func(s *Subscription) { h.unsubscribe(topic, s) })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.add(topic, s)
	return s
}

func (h *hub) unsubscribe(topic string, s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(topic, s)
}

func (h *hub) publish(topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.members[topic] {
		s.signal()
	}
}

// signalAll wakes every subscriber: after a gap in which signals may have
// been lost (a reconnect), everyone looks again.
func (h *hub) signalAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.members {
		for s := range subs {
			s.signal()
		}
	}
}
