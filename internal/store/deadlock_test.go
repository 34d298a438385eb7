package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestAppendsAndDispatchDoNotDeadlock runs what a busy workspace runs at
// once — customers' messages, the dispatcher's queue updates over many
// conversations (in both orders), offers made and declined — with the
// store's deadlock retry switched off, so any deadlock PostgreSQL detects
// (40P01) fails the test instead of costing a second and a retry.
// Transactions used to take the workspace's event lock at their first
// event and row locks after it, while others held a row and waited for the
// event lock.
func TestAppendsAndDispatchDoNotDeadlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		store.WithoutRetryForTest(s)
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		agent := seedAgent(t, s, ws, "ana", 100, model.AgentAvailable)
		const n, rounds = 8, 15
		custs := make([]*model.Customer, n)
		convs := make([]*model.Conversation, n)
		for i := range n {
			custs[i] = seedCustomer(t, s, ws, fmt.Sprint("c", i))
			convs[i] = queuedConversation(t, s, custs[i], at(0))
		}
		updates := func(reverse bool) []store.QueueUpdate {
			var u []store.QueueUpdate
			for i, c := range convs {
				u = append(u, store.QueueUpdate{ConversationID: c.ID, Queue: model.QueueInfo{Position: i + 1}})
			}
			if reverse {
				slices.Reverse(u)
			}
			return u
		}
		clock := func() time.Time { return at(time.Second) }
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { // a customer writing
				for j := range rounds {
					if _, _, _, err := s.AddMessage(ctx, customerMsg(custs[i], convs[i], fmt.Sprint("m", j), ""), at(time.Second)); err != nil {
						t.Errorf("customer %d: %v", i, err)
						return
					}
				}
			})
		}
		for k := range 2 {
			wg.Go(func() { // dispatch telling the queue where it stands
				for range rounds {
					if _, err := s.AppendQueueUpdates(ctx, ws.ID, updates(k == 1), at(time.Second)); err != nil {
						t.Errorf("queue updates: %v", err)
						return
					}
				}
			})
		}
		wg.Go(func() { // dispatch offering, the agent passing
			for j := range rounds {
				conv := convs[j%n]
				o, err := s.CreateTimedOffer(ctx, ws.ID, conv.ID, agent.ID, 0, time.Minute, clock)
				if err != nil {
					t.Errorf("offer: %v", err)
					return
				}
				if _, err := s.DeclineOffer(ctx, ws.ID, o.ID, agent.ID, at(time.Second)); err != nil {
					t.Errorf("decline: %v", err)
					return
				}
			}
		})
		wg.Wait()
	})
}
