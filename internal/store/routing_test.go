package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

func skills(pairs ...any) *[]model.AgentSkill {
	var out []model.AgentSkill
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, model.AgentSkill{Name: pairs[i].(string), Level: pairs[i+1].(int)})
	}
	return &out
}

// TestRoutingSnapshot: the snapshot carries what routing decides on —
// triage, tier, the ring on record, who was tried, who served the customer
// last, the agents' skills and certifications, the pending offers and
// the whole staff's skills — and only certified agents.
func TestRoutingSnapshot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		ann := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
		bob := seedAgent(t, s, ws, "bob", 1, model.AgentAvailable)
		cid := seedAgent(t, s, ws, "cid", 2, model.AgentOffline)
		dee := seedAgent(t, s, ws, "dee", 2, model.AgentAvailable)
		_, err := s.UpdateAgent(ctx, ws.ID, ann.ID, store.AgentUpdate{Skills: skills("cards", 5), Languages: &[]string{"en", "sv"}}, at(0))
		must(t, err, "ann's skills")
		_, err = s.UpdateAgent(ctx, ws.ID, cid.ID, store.AgentUpdate{Skills: skills("fraud", 4)}, at(0))
		must(t, err, "cid's skills")
		_, err = s.UpdateAgent(ctx, ws.ID, bob.ID, store.AgentUpdate{CertifiedFor: &[]int64{ws.ID, other.ID}}, at(0))
		must(t, err, "bob's certifications")
		_, err = s.UpdateAgent(ctx, ws.ID, dee.ID, store.AgentUpdate{CertifiedFor: &[]int64{}}, at(0))
		must(t, err, "dee loses her certification")

		vip, err := s.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws.ID, ExternalID: "v", Tier: "vip"})
		must(t, err, "vip")
		regular := seedCustomer(t, s, ws, "r")
		// The regular customer was served by ann an hour ago.
		old := assignedConversation(t, s, regular, ann, at(-2*time.Hour))
		_, _, err = s.ResolveConversation(ctx, ws.ID, old.ID, at(-time.Hour))
		must(t, err, "resolve")

		c1 := queuedConversation(t, s, vip, at(time.Minute))
		must(t, s.SetConversationTriage(ctx, ws.ID, c1.ID, model.ConversationTriage{Language: "sv", Intent: "card_arrival", Sensitive: "fraud", Frustrated: true}), "triage")
		c2 := queuedConversation(t, s, regular, at(2*time.Minute))
		o := makeOffer(t, s, c2, bob, at(3*time.Minute))
		ok, err := s.RecordWidening(ctx, ws.ID, store.Widening{ConversationID: c1.ID, Ring: 2, Skills: []string{"lang:sv"}}, *c1.QueuedAt, at(4*time.Minute))
		must(t, err, "widening")
		if !ok {
			t.Fatal("the first widening was not recorded")
		}

		snap, err := s.RoutingSnapshot(ctx, ws.ID, at(-24*time.Hour))
		must(t, err, "snapshot")
		if len(snap.Queue) != 1 || len(snap.Offered) != 1 {
			t.Fatalf("queue %+v offered %+v", snap.Queue, snap.Offered)
		}
		q := snap.Queue[0]
		if q.ID != c1.ID || !q.VIP || q.Language != "sv" || q.Intent != "card_arrival" || q.Sensitive != "fraud" || !q.Frustrated || q.Ring != 2 || q.PreviousAgentID != 0 {
			t.Errorf("queued %+v", q)
		}
		if p := snap.Offered[0]; p.ID != c2.ID || p.VIP || p.PreviousAgentID != ann.ID || !p.PreviousAt.Equal(at(-time.Hour)) {
			t.Errorf("offered %+v, want regular's conversation, last served by ann an hour ago", p)
		}
		if len(snap.Pending) != 1 || snap.Pending[0].ID != o.ID || snap.Pending[0].AgentID != bob.ID {
			t.Errorf("pending %+v", snap.Pending)
		}
		var ids []int64
		for _, a := range snap.Agents {
			ids = append(ids, a.ID)
		}
		if !slices.Equal(ids, []int64{ann.ID, bob.ID}) {
			t.Fatalf("agents %v, want ann and bob (cid offline, dee not certified)", ids)
		}
		if a := snap.Agents[0]; a.Skills["cards"] != 5 || a.Skills["lang:sv"] != 5 || len(a.Skills) != 3 || !slices.Equal(a.Workspaces, []int64{ws.ID}) {
			t.Errorf("ann %+v", a)
		}
		if b := snap.Agents[1]; len(b.Skills) != 0 || !slices.Equal(b.Workspaces, []int64{ws.ID, other.ID}) || b.PendingOffers != 1 {
			t.Errorf("bob %+v", b)
		}
		if want := []string{"cards", "fraud", "lang:en", "lang:sv"}; !slices.Equal(snap.StaffSkills, want) {
			t.Errorf("staff skills %v, want %v (cid's too, though offline)", snap.StaffSkills, want)
		}
		// Without a sticky window, nobody is remembered.
		snap, err = s.DispatchSnapshot(ctx, ws.ID)
		must(t, err, "snapshot")
		if snap.Offered[0].PreviousAgentID != 0 {
			t.Errorf("previous agent without a window: %+v", snap.Offered[0])
		}
		// An agent not certified is refused an offer.
		c3 := queuedConversation(t, s, regular, at(5*time.Minute))
		_, err = s.UpdateAgent(ctx, ws.ID, dee.ID, store.AgentUpdate{}, at(5*time.Minute))
		must(t, err, "no change")
		if _, err := s.CreateOffer(ctx, ws.ID, c3.ID, dee.ID, at(time.Hour), at(5*time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("offer to an agent not certified: %v, want ErrConflict", err)
		}
	})
}

// TestWideningIsRecordedOnce: a ring is recorded once per time in the
// queue, never lowered, and starts again when the conversation is queued again.
func TestWideningIsRecordedOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u")
		ann := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
		c := queuedConversation(t, s, cu, at(0))
		record := func(ring int, queued time.Time) bool {
			ok, err := s.RecordWidening(ctx, ws.ID, store.Widening{ConversationID: c.ID, Ring: ring, Skills: []string{}}, queued, at(time.Minute))
			must(t, err, "widening")
			return ok
		}
		if !record(1, *c.QueuedAt) || record(1, *c.QueuedAt) || record(0, *c.QueuedAt) || !record(3, *c.QueuedAt) {
			t.Fatal("ring 1 once, never again nor lower, then 3")
		}
		if n := countType(allEvents(t, s, ws.ID, store.EventAudience{}), model.EventConversationRingWidened); n != 2 {
			t.Errorf("%d ring_widened events, want 2", n)
		}
		if n := countType(allEvents(t, s, ws.ID, store.EventAudience{CustomerID: cu.ID}), model.EventConversationRingWidened); n != 0 {
			t.Errorf("the customer sees %d ring_widened events", n)
		}
		// Served, resolved, reopened: a new time in the queue starts at ring 0.
		o := makeOffer(t, s, c, ann, at(2*time.Minute))
		_, _, err := s.AcceptOffer(ctx, ws.ID, o.ID, ann.ID, at(2*time.Minute))
		must(t, err, "accept")
		_, _, err = s.ResolveConversation(ctx, ws.ID, c.ID, at(3*time.Minute))
		must(t, err, "resolve")
		_, again, _, err := s.AddMessage(ctx, customerMsg(cu, c, "again", ""), at(4*time.Minute))
		must(t, err, "reopen")
		snap, err := s.DispatchSnapshot(ctx, ws.ID)
		must(t, err, "snapshot")
		if len(snap.Queue) != 1 || snap.Queue[0].Ring != 0 {
			t.Fatalf("after a requeue: %+v", snap.Queue)
		}
		if !record(1, *again.QueuedAt) {
			t.Error("ring 1 of the new time in the queue was not recorded")
		}
		if record(2, *c.QueuedAt) {
			t.Error("a widening for the old time in the queue was recorded")
		}
	})
}

// TestOfferStatisticsAndAway: offers received, accepted, declined and
// expired are counted; expiries in a row reset on an answer; the agent
// is set away after n in a row, with their offers given back.
func TestOfferStatisticsAndAway(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		stats := func() model.OfferStats {
			a, err := s.AgentByID(ctx, ws.ID, ann.ID)
			must(t, err, "agent")
			must(t, s.FillRoutingProfiles(ctx, []*model.Agent{a}), "profile")
			return *a.OfferStats
		}
		expire := func(minute int) {
			c := queuedConversation(t, s, cu, at(time.Duration(minute)*time.Minute))
			_, err := s.CreateOffer(ctx, ws.ID, c.ID, ann.ID, at(time.Duration(minute)*time.Minute+time.Second), at(time.Duration(minute)*time.Minute))
			must(t, err, "offer")
			_, err = s.ExpireOffers(ctx, at(time.Duration(minute)*time.Minute+time.Second))
			must(t, err, "expire")
		}
		expire(1)
		expire(2)
		c := queuedConversation(t, s, cu, at(3*time.Minute))
		o := makeOffer(t, s, c, ann, at(3*time.Minute))
		_, err := s.DeclineOffer(ctx, ws.ID, o.ID, ann.ID, at(3*time.Minute))
		must(t, err, "decline")
		if st := stats(); st.Received != 3 || st.Expired != 2 || st.Declined != 1 || st.ExpiredInRow != 0 || st.AcceptanceRate != 0 {
			t.Errorf("after 2 expiries and a decline: %+v", st)
		}
		o = makeOffer(t, s, c, ann, at(4*time.Minute))
		_, _, err = s.AcceptOffer(ctx, ws.ID, o.ID, ann.ID, at(4*time.Minute))
		must(t, err, "accept")
		expire(5)
		if st := stats(); st.Received != 5 || st.Accepted != 1 || st.Expired != 3 || st.ExpiredInRow != 1 || st.AcceptanceRate != 0.2 {
			t.Errorf("after an accept and an expiry: %+v", st)
		}
		// Not yet two in a row: nothing happens.
		a, away, err := s.SetAgentAwayAfterExpiries(ctx, ws.ID, ann.ID, func(n int) bool { return n >= 2 }, at(6*time.Minute))
		must(t, err, "away")
		if away || a.Status != model.AgentAvailable {
			t.Fatalf("set away after one expiry in a row: %+v", a)
		}
		expire(6)
		pending := queuedConversation(t, s, cu, at(7*time.Minute))
		makeOffer(t, s, pending, ann, at(7*time.Minute))
		a, away, err = s.SetAgentAwayAfterExpiries(ctx, ws.ID, ann.ID, func(n int) bool { return n >= 2 }, at(8*time.Minute))
		must(t, err, "away")
		if !away || a.Status != model.AgentAway || a.StatusReason == "" {
			t.Fatalf("after two expiries in a row: %+v", a)
		}
		if list, err := s.PendingOffers(ctx, ws.ID, ann.ID); err != nil || len(list) != 0 {
			t.Errorf("ann away still holds %v (%v)", list, err)
		}
		if st := stats(); st.ExpiredInRow != 0 {
			t.Errorf("the count did not start again: %+v", st)
		}
	})
}

// TestAgentProfile: skills, languages, capacity, quality and
// certifications are replaced as given and validated; a revoked
// certification gives back the workspace's offers; new agents are
// certified for their workspace with its default capacity.
func TestAgentProfile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		cap5, q := 5, 0.75
		a, err := s.UpdateAgent(ctx, ws.ID, ann.ID, store.AgentUpdate{Skills: skills("cards", 4, "payments", 2), Languages: &[]string{"en"}, Capacity: &cap5, Quality: &q}, at(0))
		must(t, err, "update")
		if a.Capacity != 5 || a.QualityScore != 0.75 || len(a.Skills) != 2 || a.Skills[0] != (model.AgentSkill{Name: "cards", Level: 4}) ||
			!slices.Equal(a.Languages, []string{"en"}) || !slices.Equal(a.CertifiedFor, []string{"acme"}) {
			t.Errorf("profile %+v", a)
		}
		// Languages alone leave the skills be.
		a, err = s.UpdateAgent(ctx, ws.ID, ann.ID, store.AgentUpdate{Languages: &[]string{"sv", "de"}}, at(0))
		must(t, err, "languages")
		if len(a.Skills) != 2 || !slices.Equal(a.Languages, []string{"de", "sv"}) {
			t.Errorf("after new languages %+v", a)
		}
		for _, bad := range []store.AgentUpdate{
			{Skills: skills("Cards", 3)},
			{Skills: skills("cards", 6)},
			{Skills: skills("lang:en", 3)},
			{Skills: skills("cards", 3, "cards", 2)},
			{Languages: &[]string{"x"}},
			{Languages: &[]string{"en", "en"}},
			{Capacity: new(int)},
			{Quality: ptr(1.5)},
		} {
			if _, err := s.UpdateAgent(ctx, ws.ID, ann.ID, bad, at(0)); !errors.Is(err, model.ErrInvalid) {
				t.Errorf("update %+v: %v, want invalid", bad, err)
			}
		}
		if n := countType(allEvents(t, s, ws.ID, store.EventAudience{}), model.EventAgentUpdated); n != 2 {
			t.Errorf("%d agent.updated events, want 2", n)
		}
		// Revoking the certification gives the offers back.
		c := queuedConversation(t, s, seedCustomer(t, s, ws, "u"), at(0))
		makeOffer(t, s, c, ann, at(time.Minute))
		_, err = s.UpdateAgent(ctx, ws.ID, ann.ID, store.AgentUpdate{CertifiedFor: &[]int64{}}, at(2*time.Minute))
		must(t, err, "decertify")
		if list, _ := s.PendingOffers(ctx, ws.ID, ann.ID); len(list) != 0 {
			t.Errorf("offers kept after the certification was revoked: %+v", list)
		}
		// New agents get the workspace's default capacity.
		must(t, s.SetRoutingSettings(ctx, ws.ID, `{"default_capacity": 4}`, 30*time.Second, map[string]int{"default_capacity": 4}, at(0)), "settings")
		raw, timeout, err := s.RoutingSettings(ctx, ws.ID)
		must(t, err, "settings")
		if raw != `{"default_capacity": 4}` || timeout != 30*time.Second {
			t.Errorf("settings %q %v", raw, timeout)
		}
		bob, err := s.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "bob@acme.test", Name: "Bob", Role: model.RoleAgent, PasswordHash: "x"})
		must(t, err, "bob")
		must(t, s.FillRoutingProfiles(ctx, []*model.Agent{bob}), "profile")
		if bob.Capacity != 4 || !slices.Equal(bob.CertifiedFor, []string{"acme"}) {
			t.Errorf("new agent %+v", bob)
		}
	})
}

// TestQueueUpdatesAndFollowUp: queue updates reach the customer, and only
// while the conversation is queued; a follow-up email is kept and told.
func TestQueueUpdatesAndFollowUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u")
		ann := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
		waiting := queuedConversation(t, s, cu, at(0))
		taken := assignedConversation(t, s, cu, ann, at(0))
		minute := 60
		n, err := s.AppendQueueUpdates(ctx, ws.ID, []store.QueueUpdate{
			{ConversationID: waiting.ID, Queue: model.QueueInfo{Position: 2, ExpectedWaitSeconds: &minute, AgentsOnline: 1}},
			{ConversationID: taken.ID, Queue: model.QueueInfo{Position: 1}},
			{ConversationID: 999999},
		}, at(time.Minute))
		must(t, err, "queue updates")
		if n != 1 {
			t.Fatalf("%d updates written, want 1 (only the queued conversation)", n)
		}
		evs := allEvents(t, s, ws.ID, store.EventAudience{CustomerID: cu.ID})
		var got struct {
			ID     int64           `json:"id"`
			Status string          `json:"status"`
			Queue  model.QueueInfo `json:"queue"`
		}
		for _, e := range evs {
			if e.Type == model.EventConversationQueueUpdated {
				must(t, json.Unmarshal(e.Data, &got), "data")
			}
		}
		if got.ID != waiting.ID || got.Status != "queued" || got.Queue.Position != 2 || got.Queue.ExpectedWaitSeconds == nil || *got.Queue.ExpectedWaitSeconds != 60 {
			t.Errorf("queue update on the customer's stream: %+v", got)
		}
		conv, err := s.SetFollowUpEmail(ctx, ws.ID, waiting.ID, "u@example.com", at(2*time.Minute))
		must(t, err, "follow-up")
		if email, err := s.FollowUpEmail(ctx, ws.ID, waiting.ID); err != nil || email != "u@example.com" || conv.Status != model.StatusQueued {
			t.Errorf("follow-up email %q (%v), conversation %+v", email, err, conv)
		}
		if n := countType(allEvents(t, s, ws.ID, store.EventAudience{CustomerID: cu.ID}), model.EventConversationFollowUp); n != 1 {
			t.Errorf("%d follow-up events on the customer's stream, want 1", n)
		}
		if _, err := s.FollowUpEmail(ctx, ws.ID, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("follow-up of an unknown conversation: %v", err)
		}
	})
}
