package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// The assistant's part of the contract: articles, actions, settings, turns,
// handoff packets and resolutions by the assistant.

func TestArticleCRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws, other := seedWorkspace(t, s, "acme"), seedWorkspace(t, s, "other")
		a, err := s.CreateArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "b1", Language: "en", Intents: []string{"request_refund"}, Published: true}, at(0))
		must(t, err, "create article")
		if a.ID == 0 || a.Title != "Refunds" || len(a.Intents) != 1 || !a.Published || !a.CreatedAt.Equal(at(0)) {
			t.Fatalf("created %+v", a)
		}
		_, err = s.CreateArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "dup", Language: "en"}, at(0))
		wantErr(t, err, store.ErrConflict, "the same title and language twice")
		_, err = s.CreateArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "sv", Language: "sv", Published: true}, at(0))
		must(t, err, "the same title in another language")
		b, err := s.CreateArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Cards", Body: "c", Language: "en", Published: true}, at(0))
		must(t, err, "create another")

		up, err := s.UpdateArticle(ctx, model.Article{ID: a.ID, WorkspaceID: ws.ID, Title: "Refunds 2", Body: "b2", Language: "en", Intents: []string{}, Published: false}, at(0))
		must(t, err, "update article")
		if up.Title != "Refunds 2" || up.Body != "b2" || up.Published || len(up.Intents) != 0 || !up.UpdatedAt.After(up.CreatedAt) {
			t.Errorf("updated %+v: want the new fields and a later updated_at even at the same clock", up)
		}
		_, err = s.UpdateArticle(ctx, model.Article{ID: b.ID, WorkspaceID: ws.ID, Title: "Refunds 2", Body: "x", Language: "en"}, at(time.Second))
		wantErr(t, err, store.ErrConflict, "renaming onto another article's title")
		_, err = s.UpdateArticle(ctx, model.Article{ID: a.ID, WorkspaceID: other.ID, Title: "X", Body: "x", Language: "en"}, at(time.Second))
		wantErr(t, err, store.ErrNotFound, "updating another workspace's article")

		published, err := s.Articles(ctx, ws.ID, true)
		must(t, err, "published articles")
		all, err := s.Articles(ctx, ws.ID, false)
		must(t, err, "all articles")
		if len(published) != 2 || len(all) != 3 {
			t.Errorf("%d published, %d in all; want 2 and 3 (the draft is hidden)", len(published), len(all))
		}
		wantErr(t, s.DeleteArticle(ctx, other.ID, a.ID), store.ErrNotFound, "deleting another workspace's article")
		must(t, s.DeleteArticle(ctx, ws.ID, a.ID), "delete article")
		wantErr(t, s.DeleteArticle(ctx, ws.ID, a.ID), store.ErrNotFound, "deleting twice")
		_, err = s.ArticleByID(ctx, ws.ID, a.ID)
		wantErr(t, err, store.ErrNotFound, "a deleted article")
	})
}

func TestActionCRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws, other := seedWorkspace(t, s, "acme"), seedWorkspace(t, s, "other")
		in := model.Action{
			WorkspaceID: ws.ID, Name: "order_status", Description: "orders", Endpoint: "https://api.example/orders", Secret: "s3cret-s3cret-s3cret",
			Parameters: []model.ActionParam{{Name: "order_id", Type: "string", Pattern: "ORD-[0-9]+"}},
			Intents:    []string{"card_arrival"}, Examples: []string{"where is my order", "track my order"}, UseInHandoff: true, Enabled: true,
		}
		a, err := s.CreateAction(ctx, in, at(0))
		must(t, err, "create action")
		if a.Secret != in.Secret || !a.HasSecret || len(a.Parameters) != 1 || a.Parameters[0].Pattern != "ORD-[0-9]+" ||
			len(a.Examples) != 2 || !a.UseInHandoff || !a.Enabled {
			t.Fatalf("created %+v", a)
		}
		_, err = s.CreateAction(ctx, in, at(0))
		wantErr(t, err, store.ErrConflict, "the same name twice")
		again, err := s.EnsureAction(ctx, model.Action{WorkspaceID: ws.ID, Name: "order_status", Endpoint: "https://other", Secret: "other-secret-123456"}, at(0))
		must(t, err, "ensure an existing action")
		if again.ID != a.ID || again.Endpoint != in.Endpoint || again.Secret != in.Secret {
			t.Errorf("ensure changed the existing action: %+v", again)
		}

		upd := *a
		upd.Secret, upd.Endpoint, upd.Enabled = "", "https://api.example/v2/orders", false
		got, err := s.UpdateAction(ctx, upd, at(time.Second))
		must(t, err, "update without a secret")
		if got.Secret != in.Secret || got.Endpoint != upd.Endpoint || got.Enabled {
			t.Errorf("update: %+v; want the secret kept, the endpoint changed, disabled", got)
		}
		upd.Secret = "rotated-secret-123456"
		got, err = s.UpdateAction(ctx, upd, at(2*time.Second))
		must(t, err, "update with a secret")
		if got.Secret != "rotated-secret-123456" {
			t.Errorf("secret not rotated")
		}
		upd.WorkspaceID = other.ID
		_, err = s.UpdateAction(ctx, upd, at(time.Second))
		wantErr(t, err, store.ErrNotFound, "another workspace's action")
		list, err := s.Actions(ctx, ws.ID)
		must(t, err, "list actions")
		if len(list) != 1 {
			t.Errorf("%d actions, want 1", len(list))
		}
		must(t, s.DeleteAction(ctx, ws.ID, a.ID), "delete action")
		_, err = s.ActionByName(ctx, ws.ID, "order_status")
		wantErr(t, err, store.ErrNotFound, "a deleted action")
	})
}

func TestAssistantSettingsAndTurns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		st, err := s.AssistantSettings(ctx, ws.ID)
		must(t, err, "default settings")
		if st.OfferPersonAfter != model.DefaultOfferPersonAfter || st.AskFeedback == nil || !*st.AskFeedback {
			t.Errorf("defaults: %+v", st)
		}
		no := false
		must(t, s.SetAssistantSettings(ctx, ws.ID, model.AssistantSettings{OfferPersonAfter: 5, AskFeedback: &no}, at(0)), "set settings")
		st, err = s.AssistantSettings(ctx, ws.ID)
		must(t, err, "settings")
		if st.OfferPersonAfter != 5 || *st.AskFeedback {
			t.Errorf("stored settings: %+v", st)
		}

		c := seedCustomer(t, s, ws, "cus_1")
		conv := openConversation(t, s, c, "where is my card", at(0))
		must(t, s.AddAssistantTurn(ctx, model.AssistantTurn{WorkspaceID: ws.ID, ConversationID: conv.ID, MessageID: 2, Kind: model.TurnAnswer,
			Intent: "card_arrival", Language: "en", Confidence: 0.97, ArticleID: 7, Reasons: []string{"confident"}, CreatedAt: at(time.Second)}), "add turn")
		must(t, s.AddAssistantTurn(ctx, model.AssistantTurn{WorkspaceID: ws.ID, ConversationID: conv.ID, Kind: model.TurnHandoff,
			Reasons: []string{"not_helpful", "frustration"}, CreatedAt: at(2 * time.Second)}), "add turn")
		turns, err := s.AssistantTurns(ctx, ws.ID, conv.ID)
		must(t, err, "turns")
		if len(turns) != 2 || turns[0].ArticleID != 7 || turns[0].MessageID != 2 || turns[0].Intent != "card_arrival" ||
			turns[1].Kind != model.TurnHandoff || len(turns[1].Reasons) != 2 || turns[1].ArticleID != 0 {
			t.Errorf("turns: %+v", turns)
		}

		_, err = s.LatestHandoffPacket(ctx, ws.ID, conv.ID)
		wantErr(t, err, store.ErrNotFound, "no packet yet")
		for i, reason := range []string{"first", "second"} {
			p := &model.HandoffPacket{Reason: reason, Summary: "s", CreatedAt: at(time.Duration(i) * time.Minute), Customer: model.CustomerProfile{Orders: []map[string]any{{"id": "ORD-1"}}}}
			must(t, s.AddHandoffPacket(ctx, ws.ID, conv.ID, p), "add packet")
		}
		p, err := s.LatestHandoffPacket(ctx, ws.ID, conv.ID)
		must(t, err, "latest packet")
		if p.Reason != "second" || !p.CreatedAt.Equal(at(time.Minute)) || len(p.Customer.Orders) != 1 {
			t.Errorf("latest packet: %+v", p)
		}
	})
}

func TestResolveByAssistant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		c := seedCustomer(t, s, ws, "cus_1")
		conv := openConversation(t, s, c, "where is my card", at(0))
		before := head(t, s, ws.ID)

		got, changed, err := s.ResolveByAssistant(ctx, ws.ID, conv.ID, 2, at(time.Minute))
		must(t, err, "resolve by assistant")
		if !changed || got.Status != model.StatusResolved || got.ResolvedBy != model.ResolvedByAssistant || !got.ResolvedAt.Equal(at(time.Minute)) {
			t.Fatalf("resolved: changed %v, %+v", changed, got)
		}
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
		wantTypes(t, evs, []string{model.EventAssistantFeedback, model.EventConversationResolved}, "resolution events")
		if cust := eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: c.ID}); countType(cust, model.EventAssistantFeedback) != 0 {
			t.Errorf("the customer sees the staff-only feedback event")
		}
		by, err := s.ResolvedByAssistant(ctx, got)
		must(t, err, "resolved by assistant")
		if !by {
			t.Errorf("the resolution does not stand")
		}
		again, changed, err := s.ResolveByAssistant(ctx, ws.ID, conv.ID, 2, at(2*time.Minute))
		must(t, err, "resolve again")
		if changed || !again.ResolvedAt.Equal(at(time.Minute)) {
			t.Errorf("a second yes changed the conversation: %+v", again)
		}

		// Reopened and resolved by someone else: no longer the assistant's.
		_, reopened, _, err := s.AddMessage(ctx, customerMsg(c, conv, "one more thing", ""), at(3*time.Minute))
		must(t, err, "reopen")
		if reopened.Status != model.StatusAI {
			t.Fatalf("reopened to %s, want ai", reopened.Status)
		}
		resolved, _, err := s.ResolveConversation(ctx, ws.ID, conv.ID, at(4*time.Minute))
		must(t, err, "resolve")
		if by, _ := s.ResolvedByAssistant(ctx, resolved); by {
			t.Errorf("a later resolution still counts as the assistant's")
		}
		stats, err := s.AssistantStats(ctx, ws.ID, at(-time.Hour))
		must(t, err, "stats")
		if stats.Conversations != 1 || stats.ResolvedByAssistant != 0 {
			t.Errorf("stats %+v", stats)
		}

		// With people: a conflict.
		queued := queuedConversation(t, s, c, at(5*time.Minute))
		_, _, err = s.ResolveByAssistant(ctx, ws.ID, queued.ID, 0, at(6*time.Minute))
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("resolving a queued conversation by the assistant: %v, want a conflict", err)
		}
		n, err := s.CustomerConversationsSince(ctx, ws.ID, c.ID, at(-time.Hour))
		must(t, err, "count")
		if n != 2 {
			t.Errorf("%d conversations since, want 2", n)
		}
		n, err = s.CustomerConversationsSince(ctx, ws.ID, c.ID, at(time.Minute))
		must(t, err, "count")
		if n != 1 {
			t.Errorf("%d conversations since the first one, want 1", n)
		}
	})
}
