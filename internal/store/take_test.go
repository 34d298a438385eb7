package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestTakeConversation: an agent takes a queued conversation with the
// invariants of an accepted offer, on every backend.
func TestTakeConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u")
		ann := seedAgent(t, s, ws, "ann", 1, model.AgentAvailable)
		bob := seedAgent(t, s, ws, "bob", 2, model.AgentAvailable)
		away := seedAgent(t, s, ws, "cid", 2, model.AgentAway)
		a := queuedConversation(t, s, cu, at(0))
		b := queuedConversation(t, s, cu, at(time.Second))
		makeOffer(t, s, b, bob, at(2*time.Second))

		conflict := func(what string, _ *model.Offer, _ *model.Conversation, err error) {
			t.Helper()
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: %v, want a conflict", what, err)
			}
		}
		o, c, err := s.TakeConversation(ctx, ws.ID, a.ID, away.ID, at(3*time.Second))
		conflict("an agent away", o, c, err)
		o, c, err = s.TakeConversation(ctx, ws.ID, b.ID, ann.ID, at(3*time.Second))
		conflict("offered to a colleague", o, c, err)

		o, c, err = s.TakeConversation(ctx, ws.ID, a.ID, ann.ID, at(3*time.Second))
		must(t, err, "take")
		if c.Status != model.StatusAssigned || c.AssigneeID == nil || *c.AssigneeID != ann.ID || o.Status != model.OfferAccepted || o.AgentID != ann.ID {
			t.Errorf("taken: %+v, offer %+v", c, o)
		}
		o, c, err = s.TakeConversation(ctx, ws.ID, a.ID, bob.ID, at(4*time.Second))
		conflict("not queued any more", o, c, err)
		c2 := queuedConversation(t, s, cu, at(5*time.Second))
		o, c, err = s.TakeConversation(ctx, ws.ID, c2.ID, ann.ID, at(5*time.Second))
		conflict("no free slot", o, c, err)

		// Bob's own pending offer is accepted by taking.
		o, c, err = s.TakeConversation(ctx, ws.ID, b.ID, bob.ID, at(6*time.Second))
		must(t, err, "take what was offered to me")
		if o.Status != model.OfferAccepted || c.Status != model.StatusAssigned {
			t.Errorf("take of my offer: %+v %+v", o, c)
		}
		if pending, err := s.PendingOffers(ctx, ws.ID, bob.ID); err != nil || len(pending) != 0 {
			t.Errorf("bob's pending offers after taking: %v %v", pending, err)
		}
	})
}

// TestHandBack: an agent's conversations go back to the queue with the
// boost given, their pending offers are rescinded, on every backend.
func TestHandBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		held1 := assignedConversation(t, s, cu, ann, at(0))
		held2 := assignedConversation(t, s, cu, ann, at(time.Second))
		offered := queuedConversation(t, s, cu, at(2*time.Second))
		makeOffer(t, s, offered, ann, at(2*time.Second))
		now := at(time.Minute)
		convs, rescinded, err := s.HandBack(ctx, ws.ID, ann.ID, "ann went offline", func(i int) time.Duration { return time.Duration(100-i) * time.Second }, now)
		must(t, err, "hand back")
		if len(convs) != 2 || convs[0].ID != held1.ID || convs[1].ID != held2.ID || len(rescinded) != 1 || rescinded[0].ConversationID != offered.ID {
			t.Fatalf("handed back %v, rescinded %v", convs, rescinded)
		}
		for _, c := range convs {
			if c.Status != model.StatusQueued || c.AssigneeID != nil || c.HandoffReason != "ann went offline" || !c.QueuedAt.Equal(now) {
				t.Errorf("handed back: %+v", c)
			}
		}
		snap, err := s.RoutingSnapshot(ctx, ws.ID, time.Time{})
		must(t, err, "snapshot")
		boost := map[int64]time.Duration{}
		for _, q := range snap.Queue {
			boost[q.ID] = q.Boost
		}
		if boost[held1.ID] != 100*time.Second || boost[held2.ID] != 99*time.Second || boost[offered.ID] != 0 {
			t.Errorf("boosts %v", boost)
		}
		// A new time in the queue starts without the boost.
		o := makeOffer(t, s, held1, ann, now)
		_, _, err = s.AcceptOffer(ctx, ws.ID, o.ID, ann.ID, now)
		must(t, err, "accept")
		_, _, err = s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: held1.ID, By: ann.ID, Reason: "x"}, now.Add(time.Second))
		must(t, err, "back to the queue")
		snap, err = s.RoutingSnapshot(ctx, ws.ID, time.Time{})
		must(t, err, "snapshot")
		for _, q := range snap.Queue {
			if q.ID == held1.ID && q.Boost != 0 {
				t.Errorf("boost %v kept in a new time in the queue", q.Boost)
			}
		}
	})
}

// TestGoOfflineIsOneTransaction: going offline sets the status and hands
// the work back together — and when the hand-back fails (here, the
// request is cancelled halfway through it), the agent is neither offline
// nor rid of their conversation: everything is as before.
func TestGoOfflineIsOneTransaction(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ws := seedWorkspace(t, s, "acme")
		agent := seedAgent(t, s, ws, "ana", 2, model.AgentAvailable)
		conv := queuedConversation(t, s, seedCustomer(t, s, ws, "c"), at(0))
		_, _, err := s.TakeConversation(t.Context(), ws.ID, conv.ID, agent.ID, at(time.Second))
		must(t, err, "take")

		ctx, cancel := context.WithCancel(t.Context())
		_, _, _, err = s.GoOffline(ctx, ws.ID, agent.ID, "ana went offline", func(int) time.Duration { cancel(); return time.Minute }, at(2*time.Second))
		if err == nil {
			t.Fatal("go offline with the request cancelled during the hand-back: no error")
		}
		a, err := s.AgentByID(t.Context(), ws.ID, agent.ID)
		must(t, err, "agent")
		c, err := s.ConversationByID(t.Context(), ws.ID, conv.ID)
		must(t, err, "conversation")
		if a.Status != model.AgentAvailable || c.Status != model.StatusAssigned || c.AssigneeID == nil || *c.AssigneeID != agent.ID {
			t.Fatalf("after a failed go-offline: agent %s, conversation %s (assignee %v); want available and still assigned to them", a.Status, c.Status, c.AssigneeID)
		}

		a, convs, _, err := s.GoOffline(t.Context(), ws.ID, agent.ID, "ana went offline", func(int) time.Duration { return time.Minute }, at(3*time.Second))
		must(t, err, "go offline")
		c, err = s.ConversationByID(t.Context(), ws.ID, conv.ID)
		must(t, err, "conversation")
		if a.Status != model.AgentOffline || a.Active != 0 || len(convs) != 1 || c.Status != model.StatusQueued || c.AssigneeID != nil {
			t.Fatalf("after going offline: agent %s with %d active, %d handed back, conversation %s (assignee %v); want offline, 0, 1, queued, none",
				a.Status, a.Active, len(convs), c.Status, c.AssigneeID)
		}
	})
}
