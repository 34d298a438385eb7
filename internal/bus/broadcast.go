package bus

import (
	"bytes"
	"fmt"
	"sync"
)

// ListenerBuffer is how many payloads a listener holds unread; beyond that
// new ones are dropped for it until it reads.
const ListenerBuffer = 64

// Listener receives the payloads broadcast to its topic on C, each its own
// copy. A listener that falls ListenerBuffer payloads behind misses the
// newer ones: the sender never waits for it.
type Listener struct {
	// C delivers the payloads; it is closed by Close.
	C     <-chan []byte
	c     chan []byte
	once  sync.Once
	close func()
}

// Close stops the listener: nothing is delivered after it returns, the
// payloads still buffered are discarded and C is closed. Calling it again
// does nothing.
func (l *Listener) Close() { l.once.Do(l.close) }

// checkBroadcast refuses a payload over MaxBroadcast.
func checkBroadcast(topic string, data []byte) error {
	if len(data) > MaxBroadcast {
		return fmt.Errorf("%w: %d bytes to %s, at most %d", ErrTooLarge, len(data), topic, MaxBroadcast)
	}
	return nil
}

// castHub fans broadcasts out to the local listeners of each topic.
type castHub struct {
	mu sync.Mutex
	topics[*Listener]
}

func (h *castHub) listen(topic string) *Listener {
	c := make(chan []byte, ListenerBuffer)
	l := &Listener{C: c, c: c}
	l.close = func() { h.unlisten(topic, l) }
	h.mu.Lock()
	defer h.mu.Unlock()
	h.add(topic, l)
	return l
}

func (h *castHub) unlisten(topic string, l *Listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(topic, l)
	// Deliveries happen under h.mu, so none can reach l any more.
	for {
		select {
		case <-l.c:
			continue
		default:
		}
		break
	}
	close(l.c)
}

// deliver hands each local listener of topic its own copy of data, dropping
// it for a listener whose buffer is full.
func (h *castHub) deliver(topic string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.members[topic] {
		select {
		case l.c <- bytes.Clone(data):
		default: // too slow: a hint it misses is no loss worth waiting for
		}
	}
}
