package bus_test

import (
	"testing"

	"github.com/tandem-desk/tandem/internal/bus"
)

func TestPublishReachesSubscribersOfTheTopicOnly(t *testing.T) {
	b := bus.NewMemory()
	a := b.Subscribe("ws:1")
	defer a.Close()
	other := b.Subscribe("ws:2")
	defer other.Close()

	b.Publish("ws:1")
	select {
	case <-a.C:
	default:
		t.Fatal("subscriber of ws:1 got no signal")
	}
	select {
	case <-other.C:
		t.Fatal("subscriber of ws:2 got a signal for ws:1")
	default:
	}
}

func TestSignalsCoalesceAndNeverBlock(t *testing.T) {
	b := bus.NewMemory()
	s := b.Subscribe("t")
	defer s.Close()
	for range 100 {
		b.Publish("t") // must not block although nobody reads
	}
	<-s.C
	select {
	case <-s.C:
		t.Fatal("100 publishes before a read should arrive as one signal")
	default:
	}
}

func TestClosedSubscriptionGetsNothing(t *testing.T) {
	b := bus.NewMemory()
	s := b.Subscribe("t")
	s.Close()
	b.Publish("t")
	select {
	case <-s.C:
		t.Fatal("closed subscription received a signal")
	default:
	}
}
