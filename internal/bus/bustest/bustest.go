// Package bustest is the conformance suite every bus.Bus implementation
// passes: the in-process bus and the NATS bus run the very same tests.
package bustest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
)

// wait bounds every wait for something asynchronous.
const wait = 5 * time.Second

// Cluster returns the buses of two nodes that must hear each other (the
// same instance twice for an in-process bus). Both are closed by the caller's
// cleanup.
type Cluster func(t *testing.T) (a, b bus.Bus)

// Run runs the suite.
func Run(t *testing.T, newCluster Cluster) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b bus.Bus)
	}{
		{"PublishReachesSubscribersOfTheTopicOnly", publishReachesTopicOnly},
		{"SignalsCoalesceAndNeverBlock", signalsCoalesce},
		{"NoSignalIsLostAfterARead", noLostWakeup},
		{"ClosedSubscriptionGetsNothing", closedGetsNothing},
		{"JobsEnqueuedBeforeAWorkerWait", jobsWaitForWorker},
		{"EachJobIsHandledOnceAcrossNodes", eachJobOnce},
		{"FailedJobsAreDeliveredAgain", failedJobsRetried},
		{"AStoppedWorkersJobGoesToAnother", stoppedWorkerJobMoves},
		{"QueuesAreSeparate", queuesSeparate},
		{"BroadcastReachesListenersOnEveryNode", broadcastReachesEveryNode},
		{"BroadcastPayloadsArriveIntact", broadcastIntact},
		{"OversizeBroadcastIsRefused", broadcastOversize},
		{"ClosedListenerGetsNothing", closedListenerGetsNothing},
		{"SlowListenerNeverBlocksTheSender", slowListener},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newCluster(t)
			tc.fn(t, a, b)
		})
	}
}

// receive waits for a signal on s.
func receive(t *testing.T, s *bus.Subscription, what string) {
	t.Helper()
	select {
	case <-s.C:
	case <-time.After(wait):
		t.Fatalf("no signal for %s within %v", what, wait)
	}
}

// quiet fails if s has a signal waiting, or gets one within d.
func quiet(t *testing.T, s *bus.Subscription, d time.Duration, what string) {
	t.Helper()
	select {
	case <-s.C:
		t.Fatalf("unexpected signal: %s", what)
	case <-time.After(d):
	}
}

// settle publishes on a fresh topic from the publisher and waits until the
// other node hears it: everything published before has then reached the
// other node (though maybe not yet each of its subscriptions).
func settle(t *testing.T, from, to bus.Bus) {
	t.Helper()
	topic := fmt.Sprintf("settle.%d", time.Now().UnixNano())
	s := to.Subscribe(topic)
	defer s.Close()
	deadline := time.Now().Add(wait)
	for {
		from.Publish(topic)
		select {
		case <-s.C:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the nodes never heard each other")
		}
	}
}

// connected waits until a signal from one node reaches a subscription on
// the other (a new subscription may take a moment to reach the server).
func connected(t *testing.T, from bus.Bus, s *bus.Subscription, topic string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		from.Publish(topic)
		select {
		case <-s.C:
			// Drain what the retries may still bring in, until quiet.
			for {
				select {
				case <-s.C:
				case <-time.After(100 * time.Millisecond):
					return
				}
			}
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription to %s never heard the other node", topic)
		}
	}
}

func publishReachesTopicOnly(t *testing.T, a, b bus.Bus) {
	onA := a.Subscribe("ws.1")
	defer onA.Close()
	onB := b.Subscribe("ws.1")
	defer onB.Close()
	other := b.Subscribe("ws.2")
	defer other.Close()
	connected(t, a, onB, "ws.1")
	connected(t, a, other, "ws.2")
	select { // connected's publishes to ws.1 may have reached onA
	case <-onA.C:
	default:
	}

	a.Publish("ws.1")
	receive(t, onA, "a subscriber on the publishing node")
	receive(t, onB, "a subscriber on another node")
	settle(t, a, b)
	quiet(t, other, 50*time.Millisecond, "a subscriber of ws.2 got a signal for ws.1")
}

func signalsCoalesce(t *testing.T, a, b bus.Bus) {
	s := b.Subscribe("t")
	defer s.Close()
	connected(t, a, s, "t")
	done := make(chan struct{})
	go func() {
		for range 1000 {
			a.Publish("t") // must not block although nobody reads
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("1000 publishes to an unread subscription blocked")
	}
	settle(t, a, b)
	receive(t, s, "1000 publishes")
	// A networked bus may still be handing over stragglers (its client
	// delivers each subscription on a goroutine of its own): they coalesce
	// into at most one more signal.
	time.Sleep(200 * time.Millisecond)
	select {
	case <-s.C:
	default:
	}
	quiet(t, s, 100*time.Millisecond, "1000 publishes before a read should arrive as one signal, or two")
}

// noLostWakeup: a publish after the reader took its signal always wakes it
// again — the property the stream and the dispatcher rely on.
func noLostWakeup(t *testing.T, a, b bus.Bus) {
	s := b.Subscribe("w")
	defer s.Close()
	connected(t, a, s, "w")
	for i := range 100 {
		a.Publish("w")
		receive(t, s, fmt.Sprintf("publish %d", i))
	}
}

func closedGetsNothing(t *testing.T, a, b bus.Bus) {
	s := b.Subscribe("t")
	keep := b.Subscribe("t") // the topic stays subscribed on the node
	defer keep.Close()
	connected(t, a, keep, "t")
	select {
	case <-s.C:
	default:
	}
	s.Close()
	s.Close() // closing twice is harmless
	a.Publish("t")
	receive(t, keep, "the remaining subscription")
	quiet(t, s, 50*time.Millisecond, "closed subscription received a signal")

	// A topic whose last subscriber left and is subscribed again works.
	keep.Close()
	again := b.Subscribe("t")
	defer again.Close()
	connected(t, a, again, "t")
}

// collector runs a worker and records the jobs it handled.
type collector struct {
	mu   sync.Mutex
	jobs []string
	got  chan string
}

func newCollector() *collector { return &collector{got: make(chan string, 1000)} }

func (c *collector) handle(ctx context.Context, job string) error {
	c.mu.Lock()
	c.jobs = append(c.jobs, job)
	c.mu.Unlock()
	c.got <- job
	return nil
}

func (c *collector) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.jobs...)
}

// work runs a worker until the test ends (or stop is called).
func work(t *testing.T, b bus.Bus, queue string, h bus.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Work(ctx, queue, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Work(%s): %v", queue, err)
				}
			case <-time.After(wait):
				t.Errorf("Work(%s) did not return after its context ended", queue)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func enqueue(t *testing.T, b bus.Bus, queue, job string) {
	t.Helper()
	if err := b.Enqueue(t.Context(), queue, job); err != nil {
		t.Fatalf("enqueue %s %s: %v", queue, job, err)
	}
}

// take waits for n jobs from c.
func take(t *testing.T, c *collector, n int) []string {
	t.Helper()
	var out []string
	for range n {
		select {
		case j := <-c.got:
			out = append(out, j)
		case <-time.After(wait):
			t.Fatalf("got %d of %d jobs: %v", len(out), n, out)
		}
	}
	return out
}

func jobsWaitForWorker(t *testing.T, a, b bus.Bus) {
	for i := range 3 {
		enqueue(t, a, "early", fmt.Sprint(i))
	}
	c := newCollector()
	work(t, b, "early", c.handle)
	got := take(t, c, 3)
	sort.Strings(got)
	if fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("jobs %v, want [0 1 2]", got)
	}
}

func eachJobOnce(t *testing.T, a, b bus.Bus) {
	ca, cb := newCollector(), newCollector()
	merged := make(chan string, 1000)
	fwd := func(c *collector) bus.Handler {
		return func(ctx context.Context, job string) error {
			_ = c.handle(ctx, job)
			merged <- job
			return nil
		}
	}
	work(t, a, "once", fwd(ca))
	work(t, b, "once", fwd(cb))
	const n = 60
	for i := range n {
		from := a
		if i%2 == 1 {
			from = b
		}
		enqueue(t, from, "once", fmt.Sprint(i))
	}
	seen := map[string]int{}
	for range n {
		select {
		case j := <-merged:
			seen[j]++
		case <-time.After(wait):
			t.Fatalf("got %d of %d jobs", len(seen), n)
		}
	}
	// Nothing more arrives: no job was handled twice.
	select {
	case j := <-merged:
		t.Fatalf("job %s handled again", j)
	case <-time.After(200 * time.Millisecond):
	}
	for i := range n {
		if seen[fmt.Sprint(i)] != 1 {
			t.Errorf("job %d handled %d times", i, seen[fmt.Sprint(i)])
		}
	}
	t.Logf("node a handled %d jobs, node b %d", len(ca.list()), len(cb.list()))
}

func failedJobsRetried(t *testing.T, a, b bus.Bus) {
	var mu sync.Mutex
	tries := 0
	ok := make(chan struct{})
	work(t, b, "flaky", func(ctx context.Context, job string) error {
		mu.Lock()
		defer mu.Unlock()
		if job != "j" {
			t.Errorf("job %q, want j", job)
		}
		tries++
		if tries < 3 {
			return errors.New("not yet")
		}
		close(ok)
		return nil
	})
	enqueue(t, a, "flaky", "j")
	select {
	case <-ok:
	case <-time.After(3 * wait):
		t.Fatalf("the job was not retried to success (%d tries)", tries)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if tries != 3 {
		t.Errorf("handled %d times, want 3 (two failures, one success)", tries)
	}
}

func stoppedWorkerJobMoves(t *testing.T, a, b bus.Bus) {
	started := make(chan struct{})
	stopA := work(t, a, "moving", func(ctx context.Context, job string) error {
		close(started)
		<-ctx.Done() // the node stops in the middle of the job
		return ctx.Err()
	})
	enqueue(t, a, "moving", "j")
	select {
	case <-started:
	case <-time.After(wait):
		t.Fatal("the first worker never got the job")
	}
	stopA()
	c := newCollector()
	work(t, b, "moving", c.handle)
	got := take(t, c, 1)
	if got[0] != "j" {
		t.Fatalf("job %q, want j", got[0])
	}
}

func queuesSeparate(t *testing.T, a, b bus.Bus) {
	c1, c2 := newCollector(), newCollector()
	work(t, b, "q1", c1.handle)
	work(t, b, "q2", c2.handle)
	enqueue(t, a, "q1", "for-q1")
	enqueue(t, a, "q2", "for-q2")
	if got := take(t, c1, 1); got[0] != "for-q1" {
		t.Errorf("q1 got %q", got[0])
	}
	if got := take(t, c2, 1); got[0] != "for-q2" {
		t.Errorf("q2 got %q", got[0])
	}
}
