// Package bus carries "something changed" signals between the parts of one
// Tandem process: the store is the source of truth, and a signal only tells a
// reader (a WebSocket stream, the dispatcher) to look again. Signals to one
// subscriber coalesce, so a slow reader never blocks a writer and never
// misses that there is something new.
package bus

import "sync"

// Memory is the in-process bus.
type Memory struct {
	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory {
	return &Memory{subs: map[string]map[*Subscription]struct{}{}}
}

// Subscription receives a signal on C after each Publish to its topic;
// several publishes before a receive arrive as one signal.
type Subscription struct {
	C     <-chan struct{}
	c     chan struct{}
	topic string
	bus   *Memory
}

// Subscribe starts receiving signals for topic. Call Close when done.
func (b *Memory) Subscribe(topic string) *Subscription {
	c := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c, topic: topic, bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[topic] == nil {
		b.subs[topic] = map[*Subscription]struct{}{}
	}
	b.subs[topic][s] = struct{}{}
	return s
}

// Publish signals every subscriber of topic without blocking.
func (b *Memory) Publish(topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[topic] {
		select {
		case s.c <- struct{}{}:
		default: // a signal is already waiting: the reader will look anyway
		}
	}
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	delete(s.bus.subs[s.topic], s)
	if len(s.bus.subs[s.topic]) == 0 {
		delete(s.bus.subs, s.topic)
	}
}
