package bustest

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
)

// castSeq makes the probes of listening unique, so a late one is told apart.
var castSeq atomic.Int64

// hear waits for a payload on l.
func hear(t *testing.T, l *bus.Listener, what string) []byte {
	t.Helper()
	select {
	case p, ok := <-l.C:
		if !ok {
			t.Fatalf("listener closed while waiting for %s", what)
		}
		return p
	case <-time.After(wait):
		t.Fatalf("no broadcast for %s within %v", what, wait)
	}
	return nil
}

// silent fails if l gets a payload within d.
func silent(t *testing.T, l *bus.Listener, d time.Duration, what string) {
	t.Helper()
	select {
	case p, ok := <-l.C:
		if ok {
			t.Fatalf("unexpected broadcast %q: %s", p, what)
		}
	case <-time.After(d):
	}
}

// listening waits until broadcasts of topic from one node reach l on the
// other (a new listener may take a moment to reach the server), then
// drains the probes, so that l is empty and hears from.
func listening(t *testing.T, from bus.Bus, l *bus.Listener, topic string) {
	t.Helper()
	probe := []byte(fmt.Sprintf("probe-%d", castSeq.Add(1)))
	deadline := time.Now().Add(wait)
	for {
		if err := from.Broadcast(topic, probe); err != nil {
			t.Fatalf("broadcast probe: %v", err)
		}
		select {
		case p := <-l.C:
			if !bytes.Equal(p, probe) {
				t.Fatalf("probe arrived as %q, want %q", p, probe)
			}
			for { // the retries may still bring probes in, until quiet
				select {
				case p := <-l.C:
					if !bytes.Equal(p, probe) {
						t.Fatalf("unexpected broadcast %q while draining probes", p)
					}
				case <-time.After(100 * time.Millisecond):
					return
				}
			}
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener of %s never heard the other node", topic)
		}
	}
}

// drainCast empties l of what is waiting (the probes of listening).
func drainCast(l *bus.Listener) {
	for {
		select {
		case <-l.C:
		default:
			return
		}
	}
}

func broadcastReachesEveryNode(t *testing.T, a, b bus.Bus) {
	onA := a.Listen("ws.1.typing")
	defer onA.Close()
	onB := b.Listen("ws.1.typing")
	defer onB.Close()
	onB2 := b.Listen("ws.1.typing") // two listeners of one topic on one node
	defer onB2.Close()
	other := b.Listen("ws.2.typing")
	defer other.Close()
	listening(t, a, onB, "ws.1.typing")
	listening(t, a, other, "ws.2.typing")
	drainCast(onA)
	drainCast(onB2)

	if err := a.Broadcast("ws.1.typing", []byte("ana")); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*bus.Listener{"on the sending node": onA, "on another node": onB, "second on another node": onB2} {
		if p := hear(t, l, "a listener "+name); string(p) != "ana" {
			t.Errorf("listener %s got %q, want ana", name, p)
		}
	}
	settle(t, a, b)
	silent(t, other, 50*time.Millisecond, "a listener of ws.2.typing got a broadcast to ws.1.typing")
	silent(t, onB, 50*time.Millisecond, "a broadcast arrived twice")
	silent(t, onA, 0, "a broadcast arrived twice on the sending node")

	// Signals and broadcasts are apart: a subscriber of the topic hears no broadcast.
	s := b.Subscribe("ws.1.typing")
	defer s.Close()
	connected(t, a, s, "ws.1.typing")
	drainCast(onB)
	drainCast(onB2)
	if err := a.Broadcast("ws.1.typing", []byte("x")); err != nil {
		t.Fatal(err)
	}
	hear(t, onB, "the broadcast")
	quiet(t, s, 50*time.Millisecond, "a broadcast signalled a subscriber")
}

func broadcastIntact(t *testing.T, a, b bus.Bus) {
	l := b.Listen("intact")
	defer l.Close()
	listening(t, a, l, "intact")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	max := bytes.Repeat([]byte("0123456789abcdef"), bus.MaxBroadcast/16)
	payloads := [][]byte{[]byte(`{"name":"Ana","at":"2026-01-02T03:04:05Z"}`), all, max, []byte("é ✓ \x00 end")}
	for i, p := range payloads {
		buf := bytes.Clone(p)
		if err := a.Broadcast("intact", buf); err != nil {
			t.Fatalf("payload %d (%d bytes): %v", i, len(p), err)
		}
		for j := range buf { // the sender reuses its buffer at once
			buf[j] = 'X'
		}
		got := hear(t, l, fmt.Sprintf("payload %d", i))
		if !bytes.Equal(got, p) {
			t.Fatalf("payload %d arrived changed: %d bytes %q…, want %d bytes", i, len(got), got[:min(len(got), 32)], len(p))
		}
		got[0] ^= 0xff // a listener owns its copy
	}

	// Two listeners each own their copy.
	l2 := b.Listen("intact")
	defer l2.Close()
	listening(t, a, l2, "intact")
	drainCast(l)
	if err := a.Broadcast("intact", []byte("shared")); err != nil {
		t.Fatal(err)
	}
	p1, p2 := hear(t, l, "first listener"), hear(t, l2, "second listener")
	p1[0] = 'S'
	if string(p2) != "shared" {
		t.Fatalf("a listener's copy changed with another's: %q", p2)
	}
}

func broadcastOversize(t *testing.T, a, b bus.Bus) {
	l := b.Listen("big")
	defer l.Close()
	listening(t, a, l, "big")
	err := a.Broadcast("big", make([]byte, bus.MaxBroadcast+1))
	if !errors.Is(err, bus.ErrTooLarge) {
		t.Fatalf("broadcast of %d bytes: %v, want ErrTooLarge", bus.MaxBroadcast+1, err)
	}
	if err := a.Broadcast("big", []byte("small")); err != nil {
		t.Fatal(err)
	}
	if p := hear(t, l, "the small broadcast"); string(p) != "small" {
		t.Fatalf("got %d bytes %q…, want small: the refused one went out", len(p), p[:min(len(p), 16)])
	}
}

func closedListenerGetsNothing(t *testing.T, a, b bus.Bus) {
	l := b.Listen("t")
	keep := b.Listen("t") // the topic stays listened to on the node
	defer keep.Close()
	listening(t, a, keep, "t")
	// l has the probes waiting: Close discards them.
	l.Close()
	l.Close() // closing twice is harmless
	if err := a.Broadcast("t", []byte("after")); err != nil {
		t.Fatal(err)
	}
	if p := hear(t, keep, "the remaining listener"); string(p) != "after" {
		t.Fatalf("remaining listener got %q", p)
	}
	settle(t, a, b)
	if p, ok := <-l.C; ok {
		t.Fatalf("closed listener received %q", p)
	}

	// A topic whose last listener left and is listened to again works.
	keep.Close()
	again := b.Listen("t")
	defer again.Close()
	listening(t, a, again, "t")
}

func slowListener(t *testing.T, a, b bus.Bus) {
	slow := b.Listen("slow")
	defer slow.Close()
	listening(t, a, slow, "slow")
	const n = 20 * bus.ListenerBuffer
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if err := a.Broadcast("slow", fmt.Appendf(nil, "p%d", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatalf("%d broadcasts to an unread listener blocked", n)
	}
	// The unread listener's buffer fills up; the rest is dropped for it.
	deadline := time.Now().Add(wait)
	for len(slow.C) < bus.ListenerBuffer {
		if time.Now().After(deadline) {
			t.Fatalf("an unread listener holds %d payloads, want its buffer full (%d)", len(slow.C), bus.ListenerBuffer)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Having dropped some, it reads what it kept, each payload whole, and
	// then hears what comes next. (A networked bus may still be handing
	// over stragglers as the buffer empties.)
	got := 0
	check := func(p []byte) {
		got++
		var i int
		if _, err := fmt.Sscanf(string(p), "p%d", &i); err != nil || i < 0 || i >= n {
			t.Fatalf("payload %q", p)
		}
	}
	for quietFor := time.After(100 * time.Millisecond); ; {
		select {
		case p := <-slow.C:
			check(p)
			quietFor = time.After(100 * time.Millisecond)
			continue
		case <-quietFor:
		}
		break
	}
	if err := a.Broadcast("slow", []byte("next")); err != nil {
		t.Fatal(err)
	}
	for {
		p := hear(t, slow, "a broadcast after the drops")
		if string(p) == "next" {
			break
		}
		check(p)
	}
	if got >= n {
		t.Errorf("a listener that did not read got all %d broadcasts: nothing was dropped", n)
	}
}
