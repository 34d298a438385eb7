package store_test

import (
	"errors"
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

// TestOffersTakesAndHandBacksDoNotDeadlock runs, on the same
// conversations and agents at once, everything that locks a conversation,
// an agent and their offers — offers made, accepted and declined,
// conversations taken from the queue, work handed back — with the
// deadlock retry off. Accepting an offer used to lock offer → agent →
// conversation while taking one locked conversation → agent, so an agent
// taking the conversation they were being offered deadlocked (see the
// lock order at the top of offers.go).
func TestOffersTakesAndHandBacksDoNotDeadlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		store.WithoutRetryForTest(s)
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		const n, rounds = 4, 15
		agents := []*model.Agent{
			seedAgent(t, s, ws, "ana", n, model.AgentAvailable),
			seedAgent(t, s, ws, "ben", n, model.AgentAvailable),
		}
		convs := make([]*model.Conversation, n)
		for i := range n {
			convs[i] = queuedConversation(t, s, seedCustomer(t, s, ws, fmt.Sprint("c", i)), at(0))
		}
		// Losing a race is an answer; a deadlock (or anything else) is not.
		check := func(what string, err error) bool {
			if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrOfferUnavailable) || errors.Is(err, store.ErrCapacityFull) {
				return true
			}
			t.Errorf("%s: %v", what, err)
			return false
		}
		clock := func() time.Time { return at(time.Second) }
		front := func(int) time.Duration { return time.Minute }
		// Rounds: each starts with every agent holding nothing but an
		// offer, then everything runs at once on those conversations.
		for r := range rounds {
			for i, a := range agents {
				_, _, err := s.HandBack(ctx, ws.ID, a.ID, "next round", front, at(time.Second))
				check("hand back", err)
				_, err = s.CreateTimedOffer(ctx, ws.ID, convs[(r+i)%n].ID, a.ID, 0, time.Hour, clock)
				check("offer", err)
			}
			var wg sync.WaitGroup
			for i, a := range agents {
				mine, theirs := convs[(r+i)%n], convs[(r+i+1)%n]
				wg.Go(func() { // the agent answering offers
					offers, err := s.PendingOffers(ctx, ws.ID, a.ID)
					if !check("pending offers", err) {
						return
					}
					for _, o := range offers {
						if r%2 == 0 {
							_, _, err = s.AcceptOffer(ctx, ws.ID, o.ID, a.ID, at(2*time.Second))
						} else {
							_, err = s.DeclineOffer(ctx, ws.ID, o.ID, a.ID, at(2*time.Second))
						}
						check("answer offer", err)
					}
				})
				for _, c := range []*model.Conversation{mine, theirs} {
					wg.Go(func() { // the agent taking from the queue
						_, _, err := s.TakeConversation(ctx, ws.ID, c.ID, a.ID, at(2*time.Second))
						check("take", err)
					})
				}
				wg.Go(func() { // dispatch offering
					_, err := s.CreateTimedOffer(ctx, ws.ID, theirs.ID, a.ID, 0, time.Hour, clock)
					check("offer", err)
				})
				if r%3 == 2 {
					wg.Go(func() { // the agent leaving, giving the work back
						_, _, err := s.HandBack(ctx, ws.ID, a.ID, "went offline", front, at(3*time.Second))
						check("hand back", err)
					})
				}
			}
			wg.Wait()
			if t.Failed() {
				return
			}
		}
	})
}
