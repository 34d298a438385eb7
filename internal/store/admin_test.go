package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestOverview counts a scripted day in every dialect: what is open now,
// today's conversations by hour and what became of them, and today's ratings.
func TestOverview(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "globex")
		ana := seedAgent(t, s, ws, "ana", 3, model.AgentAvailable)
		seedAgent(t, s, ws, "ben", 2, model.AgentAway)
		seedAgent(t, s, ws, "cleo", 3, model.AgentOffline)
		seedAgent(t, s, other, "olga", 5, model.AgentAvailable)
		cust := seedCustomer(t, s, ws, "c1")
		day := time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC) // t0 is 09:00 that day
		now := at(30 * time.Minute)

		// Yesterday: resolved and rated before midnight; it counts nowhere today.
		old := openConversation(t, s, cust, "yesterday", at(-10*time.Hour))
		_, _, err := s.ResolveConversation(ctx, ws.ID, old.ID, at(-9*time.Hour-30*time.Minute))
		must(t, err, "resolve yesterday's")
		_, _, err = s.SubmitCSAT(ctx, ws.ID, old.ID, cust.ID, 1, "", at(-9*time.Hour-20*time.Minute))
		must(t, err, "rate yesterday's")

		// 07:00 answered by the assistant, still with it.
		answered := openConversation(t, s, cust, "card?", at(-2*time.Hour))
		must(t, s.AddAssistantTurn(ctx, model.AssistantTurn{WorkspaceID: ws.ID, ConversationID: answered.ID, Kind: model.TurnAnswer, CreatedAt: at(-2 * time.Hour)}), "turn")
		// 08:30 queued at 08:40, waiting.
		waiting := openConversation(t, s, cust, "a person please", at(-30*time.Minute))
		_, _, err = s.QueueConversation(ctx, ws.ID, waiting.ID, "human_request", at(-20*time.Minute))
		must(t, err, "queue")
		// 09:00 answered, then handed to Ana, resolved at 09:10.
		handled := assignedConversation(t, s, cust, ana, at(0))
		must(t, s.AddAssistantTurn(ctx, model.AssistantTurn{WorkspaceID: ws.ID, ConversationID: handled.ID, Kind: model.TurnAnswer, CreatedAt: at(0)}), "turn")
		_, _, err = s.ResolveConversation(ctx, ws.ID, handled.ID, at(10*time.Minute))
		must(t, err, "resolve")
		// 09:05 resolved by the assistant ("that helped").
		contained := openConversation(t, s, cust, "thanks", at(5*time.Minute))
		_, _, err = s.ResolveByAssistant(ctx, ws.ID, contained.ID, 0, at(6*time.Minute))
		must(t, err, "resolve by assistant")
		// Another workspace's conversation counts only there.
		openConversation(t, s, seedCustomer(t, s, other, "o1"), "elsewhere", at(0))

		// Ratings: not before resolution, not by someone else; a repeat is a no-op, a change replaces.
		_, _, err = s.SubmitCSAT(ctx, ws.ID, waiting.ID, cust.ID, 5, "", now)
		wantErr(t, err, store.ErrConflict, "rating a queued conversation")
		stranger := seedCustomer(t, s, ws, "c2")
		_, _, err = s.SubmitCSAT(ctx, ws.ID, handled.ID, stranger.ID, 5, "", now)
		wantErr(t, err, store.ErrNotFound, "rating another customer's conversation")
		_, _, err = s.SubmitCSAT(ctx, other.ID, handled.ID, cust.ID, 5, "", now)
		wantErr(t, err, store.ErrNotFound, "rating from another workspace")
		_, _, err = s.SubmitCSAT(ctx, ws.ID, handled.ID, cust.ID, 6, "", now)
		wantErr(t, err, model.ErrInvalid, "rating 6")
		before := head(t, s, ws.ID)
		r, created, err := s.SubmitCSAT(ctx, ws.ID, handled.ID, cust.ID, 5, "great", now)
		must(t, err, "rate")
		if !created || r.Score != 5 || r.Comment != "great" || r.AgentID == nil || *r.AgentID != ana.ID || !r.CreatedAt.Equal(now) {
			t.Fatalf("rating: %+v created=%v", r, created)
		}
		_, created, err = s.SubmitCSAT(ctx, ws.ID, handled.ID, cust.ID, 5, "great", now.Add(time.Second))
		must(t, err, "rate again")
		r, created2, err := s.SubmitCSAT(ctx, ws.ID, handled.ID, cust.ID, 3, "", now.Add(2*time.Second))
		must(t, err, "change the rating")
		if created || created2 || r.Score != 3 || !r.CreatedAt.Equal(now) || !r.UpdatedAt.Equal(now.Add(2*time.Second)) {
			t.Fatalf("changed rating: %+v created=%v,%v", r, created, created2)
		}
		got, err := s.CSAT(ctx, ws.ID, handled.ID)
		must(t, err, "read the rating")
		if got.Score != 3 || got.ConversationID != handled.ID {
			t.Errorf("stored rating: %+v", got)
		}
		_, err = s.CSAT(ctx, ws.ID, waiting.ID)
		wantErr(t, err, store.ErrNotFound, "an unrated conversation")
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cust.ID})
		wantTypes(t, evs, []string{model.EventCSATSubmitted, model.EventCSATSubmitted}, "the customer's events after rating twice and repeating once")

		o, err := s.Overview(ctx, ws.ID, day, now)
		must(t, err, "overview")
		if o.Open[model.StatusAI] != 1 || o.Open[model.StatusQueued] != 1 || o.Open[model.StatusAssigned] != 0 || o.ResolvedToday != 2 {
			t.Errorf("open %v, resolved today %d; want ai 1, queued 1, assigned 0, resolved 2", o.Open, o.ResolvedToday)
		}
		if o.OldestQueuedAt == nil || !o.OldestQueuedAt.Equal(at(-20*time.Minute)) {
			t.Errorf("oldest queued at %v, want %v", o.OldestQueuedAt, at(-20*time.Minute))
		}
		if o.Agents[model.AgentAvailable] != 1 || o.Agents[model.AgentAway] != 1 || o.Agents[model.AgentOffline] != 1 || o.Capacity != 3 || o.Active != 0 {
			t.Errorf("agents %v capacity %d active %d", o.Agents, o.Capacity, o.Active)
		}
		want := make([]store.HourCounts, 10)
		want[7] = store.HourCounts{Created: 1, AIAnswered: 1}
		want[8] = store.HourCounts{Created: 1, HandedOver: 1}
		want[9] = store.HourCounts{Created: 2, HandedOver: 1, ResolvedByAssistant: 1, AIAnswered: 1}
		if !slices.Equal(o.Hours, want) {
			t.Errorf("hours\n got %+v\nwant %+v", o.Hours, want)
		}
		if o.CSAT != [5]int{0, 0, 1, 0, 0} {
			t.Errorf("today's ratings %v, want one 3", o.CSAT)
		}

		// An assigned conversation of an available agent takes a slot.
		cust3 := seedCustomer(t, s, ws, "c3")
		assignedConversation(t, s, cust3, ana, now)
		o, err = s.Overview(ctx, ws.ID, day, now.Add(2*time.Second))
		must(t, err, "overview")
		if o.Open[model.StatusAssigned] != 1 || o.Active != 1 || o.Open[model.StatusQueued] != 1 {
			t.Errorf("after an assignment: open %v active %d", o.Open, o.Active)
		}
	})
}

// TestWorkspaceSettingsStore: origins replace as a list; the secret and the
// policy change with staff-only events that agents and customers never see.
func TestWorkspaceSettingsStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ana := seedAgent(t, s, ws, "ana", 3, model.AgentAvailable)
		cust := seedCustomer(t, s, ws, "c1")
		list, err := s.WidgetOrigins(ctx, ws.ID)
		must(t, err, "origins")
		if list == nil || len(list) != 0 {
			t.Fatalf("origins of a new workspace: %#v", list)
		}
		var seen []string
		record := func(w *model.Workspace, origins []string) any {
			seen = origins
			return map[string]any{"name": w.Name, "origins": origins}
		}
		origins := []string{"https://b.example", "https://a.example", "https://a.example"}
		w, got, err := s.UpdateWorkspace(ctx, ws.ID, store.WorkspaceUpdate{WidgetOrigins: &origins, Name: ptr("Acme")}, record, at(0))
		must(t, err, "update")
		if w.Name != "Acme" || w.AssistantName != ws.AssistantName || !slices.Equal(got, []string{"https://a.example", "https://b.example"}) || !slices.Equal(seen, got) {
			t.Fatalf("after update: %+v %q %q", w, got, seen)
		}
		w, got, err = s.UpdateWorkspace(ctx, ws.ID, store.WorkspaceUpdate{AssistantName: ptr("Penny")}, record, at(1))
		must(t, err, "update the assistant's name")
		if w.Name != "Acme" || w.AssistantName != "Penny" || len(got) != 2 {
			t.Fatalf("after renaming the assistant: %+v %q", w, got)
		}
		must(t, s.RotateIdentitySecret(ctx, ws.ID, "new-secret", at(2)), "rotate")
		must(t, s.UpdateTriagePolicy(ctx, ws.ID, `{"vip_to_human":true}`, map[string]bool{"vip_to_human": true}, at(3)), "policy")
		w, err = s.WorkspaceByID(ctx, ws.ID)
		must(t, err, "workspace")
		if w.IdentitySecret != "new-secret" || w.TriagePolicy != `{"vip_to_human":true}` {
			t.Errorf("workspace after rotation and policy: %+v", w)
		}
		wantErr(t, s.RotateIdentitySecret(ctx, 999999, "x", at(4)), store.ErrNotFound, "rotating a missing workspace")

		wantTypes(t, allEvents(t, s, ws.ID, store.EventAudience{}), []string{
			model.EventWorkspaceSettingsUpdated, model.EventWorkspaceSettingsUpdated, model.EventIdentitySecretRotated, model.EventAssistantPolicyUpdated,
		}, "the admins' events")
		for _, ev := range allEvents(t, s, ws.ID, store.EventAudience{}) {
			if !ev.StaffOnly || string(ev.Data) == "" || strings.Contains(string(ev.Data), "new-secret") {
				t.Errorf("event %s: staff only %v, data %s", ev.Type, ev.StaffOnly, ev.Data)
			}
		}
		wantTypes(t, allEvents(t, s, ws.ID, store.EventAudience{AgentID: ana.ID}), nil, "an agent's events")
		wantTypes(t, allEvents(t, s, ws.ID, store.EventAudience{CustomerID: cust.ID}), nil, "a customer's events")
	})
}
