package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestEventsNeverSkipUnderConcurrentWriters follows a workspace's event log
// with a cursor, as the stream does, while many transactions append to it at
// once. On PostgreSQL a seq is drawn at insert time, so without the
// per-workspace append lock a transaction holding seq N can commit after one
// holding N+1, and a reader already past N+1 never sees N. The reader must
// end with exactly the full log: no gap, no duplicate.
func TestEventsNeverSkipUnderConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		const writers, each = 8, 40
		convs := make([]*model.Conversation, writers)
		custs := make([]*model.Customer, writers)
		for i := range writers {
			w := ws
			if i%4 == 3 {
				w = other // appends to another workspace interleave in the global sequence
			}
			custs[i] = seedCustomer(t, s, w, fmt.Sprintf("c%d", i))
			convs[i] = openConversation(t, s, custs[i], "hello", at(0))
		}
		start := head(t, s, ws.ID)

		var done atomic.Bool
		var seen []int64
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			after := start
			for {
				finished := done.Load() // read once more after the writers stop
				page, err := s.EventsAfter(ctx, ws.ID, after, store.EventAudience{}, 1000)
				if err != nil {
					t.Errorf("reader: %v", err)
					return
				}
				for _, e := range page {
					seen = append(seen, e.Seq)
					after = e.Seq
				}
				if finished && len(page) == 0 {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				for j := range each {
					_, _, _, err := s.AddMessage(ctx, customerMsg(custs[i], convs[i], fmt.Sprintf("m%d", j), ""), at(time.Duration(j)*time.Millisecond))
					if err != nil {
						t.Errorf("writer %d: %v", i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		done.Store(true)
		<-readerDone

		want := seqsOf(eventsAfter(t, s, ws.ID, start, store.EventAudience{}))
		if len(want) != 6*each {
			t.Fatalf("%d events in the log, want %d", len(want), 6*each)
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			missing := map[int64]bool{}
			for _, q := range want {
				missing[q] = true
			}
			for _, q := range seen {
				delete(missing, q)
			}
			t.Fatalf("the following reader saw %d events, the log has %d; skipped %v", len(seen), len(want), missing)
		}
	})
}
