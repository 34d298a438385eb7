package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestCannedReplies: a workspace's canned replies are created normalized,
// listed by shortcut, replaced and deleted; a shortcut is unique per
// workspace, and another workspace's reply is not found.
func TestCannedReplies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		admin := seedAgent(t, s, ws, "alex", 3, model.AgentOffline)

		refund, err := s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: ws.ID, Shortcut: " /Refund ", Body: "  Refunds take 5 days.  ", CreatedBy: &admin.ID}, at(0))
		must(t, err, "create")
		if refund.Shortcut != "refund" || refund.Title != "refund" || refund.Body != "Refunds take 5 days." || *refund.CreatedBy != admin.ID || !refund.CreatedAt.Equal(at(0)) {
			t.Fatalf("created %+v", refund)
		}
		_, err = s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: ws.ID, Shortcut: "hello", Title: "Greeting", Body: "Hi {{first_name}}!"}, at(time.Second))
		must(t, err, "create second")
		_, err = s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: ws.ID, Shortcut: "REFUND", Body: "again"}, at(2*time.Second))
		wantErr(t, err, store.ErrConflict, "a taken shortcut")
		_, err = s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: ws.ID, Shortcut: "two words", Body: "x"}, at(2*time.Second))
		wantErr(t, err, model.ErrInvalid, "a shortcut with a space")
		_, err = s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: ws.ID, Shortcut: "empty", Body: "  "}, at(2*time.Second))
		wantErr(t, err, model.ErrInvalid, "an empty body")
		// Another workspace may use the same shortcut.
		_, err = s.SaveCannedReply(ctx, model.CannedReply{WorkspaceID: other.ID, Shortcut: "refund", Body: "Theirs"}, at(2*time.Second))
		must(t, err, "the same shortcut elsewhere")

		list, err := s.CannedReplies(ctx, ws.ID)
		must(t, err, "list")
		if len(list) != 2 || list[0].Shortcut != "hello" || list[1].Shortcut != "refund" {
			t.Fatalf("list %+v", list)
		}

		refund.Body, refund.Title = "Refunds take 3 to 5 working days.", "Refund times"
		upd, err := s.SaveCannedReply(ctx, *refund, at(time.Minute))
		must(t, err, "update")
		if upd.ID != refund.ID || upd.Body != refund.Body || upd.Title != "Refund times" || !upd.UpdatedAt.Equal(at(time.Minute)) || !upd.CreatedAt.Equal(at(0)) {
			t.Fatalf("updated %+v", upd)
		}
		_, err = s.SaveCannedReply(ctx, model.CannedReply{ID: refund.ID, WorkspaceID: other.ID, Shortcut: "x", Body: "y"}, at(time.Minute))
		wantErr(t, err, store.ErrNotFound, "update across workspaces")
		_, err = s.CannedReply(ctx, other.ID, refund.ID)
		wantErr(t, err, store.ErrNotFound, "read across workspaces")
		wantErr(t, s.DeleteCannedReply(ctx, other.ID, refund.ID), store.ErrNotFound, "delete across workspaces")
		must(t, s.DeleteCannedReply(ctx, ws.ID, refund.ID), "delete")
		wantErr(t, s.DeleteCannedReply(ctx, ws.ID, refund.ID), store.ErrNotFound, "delete again")
		list, err = s.CannedReplies(ctx, ws.ID)
		must(t, err, "list after delete")
		if len(list) != 1 || list[0].Shortcut != "hello" {
			t.Fatalf("list after delete %+v", list)
		}
	})
}

// TestConversationTags: tags are normalized and replaced as a set; a change
// is one staff-only conversation.tagged event (its agent sees it, the
// customer does not); the same tags again change nothing.
func TestConversationTags(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cust := seedCustomer(t, s, ws, "c1")
		ana := seedAgent(t, s, ws, "ana", 3, model.AgentAvailable)
		conv := assignedConversation(t, s, cust, ana, at(0))
		before := head(t, s, ws.ID)

		payload := `<img src=x onerror="window.__xss=1">`
		c, changed, err := s.SetConversationTags(ctx, ws.ID, conv.ID, []string{" Billing ", "refund   request", "billing", payload, ""}, at(time.Minute))
		must(t, err, "tag")
		want := []string{payload, "billing", "refund request"}
		if !changed || !reflect.DeepEqual(c.Tags, want) || c.ID != conv.ID {
			t.Fatalf("tags %q changed=%v, want %q", c.Tags, changed, want)
		}
		got, err := s.ConversationTags(ctx, ws.ID, []int64{conv.ID, conv.ID + 1000})
		must(t, err, "read tags")
		if !reflect.DeepEqual(got, map[int64][]string{conv.ID: want}) {
			t.Fatalf("read %v", got)
		}
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: ana.ID})
		wantTypes(t, evs, []string{model.EventConversationTagged}, "the agent's events")
		if !strings.Contains(string(evs[0].Data), `"tags":[`) {
			t.Errorf("event data %s has no tags", evs[0].Data)
		}
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cust.ID}), nil, "the customer's events")

		_, changed, err = s.SetConversationTags(ctx, ws.ID, conv.ID, []string{"refund request", "BILLING", payload}, at(2*time.Minute))
		must(t, err, "the same tags")
		if changed || head(t, s, ws.ID) != evs[0].Seq {
			t.Fatalf("the same tags again: changed=%v or a new event", changed)
		}
		c, changed, err = s.SetConversationTags(ctx, ws.ID, conv.ID, []string{"vip"}, at(3*time.Minute))
		must(t, err, "replace")
		if !changed || !reflect.DeepEqual(c.Tags, []string{"vip"}) {
			t.Fatalf("replaced: %q", c.Tags)
		}
		c, _, err = s.SetConversationTags(ctx, ws.ID, conv.ID, nil, at(4*time.Minute))
		must(t, err, "clear")
		if len(c.Tags) != 0 {
			t.Fatalf("cleared: %q", c.Tags)
		}

		_, _, err = s.SetConversationTags(ctx, ws.ID, conv.ID, []string{strings.Repeat("x", 51)}, at(5*time.Minute))
		wantErr(t, err, model.ErrInvalid, "a long tag")
		_, _, err = s.SetConversationTags(ctx, ws.ID, conv.ID, []string{"a\nb"}, at(5*time.Minute))
		wantErr(t, err, model.ErrInvalid, "a line break")
		many := make([]string, 21)
		for i := range many {
			many[i] = strings.Repeat("t", i+1)
		}
		_, _, err = s.SetConversationTags(ctx, ws.ID, conv.ID, many, at(5*time.Minute))
		wantErr(t, err, model.ErrInvalid, "21 tags")
		other := seedWorkspace(t, s, "other")
		_, _, err = s.SetConversationTags(ctx, other.ID, conv.ID, []string{"x"}, at(5*time.Minute))
		wantErr(t, err, store.ErrNotFound, "another workspace's conversation")
	})
}

// TestTransferToTheQueue: the owner gives an assigned conversation back to
// the queue; their slot frees, the customer is told (conversation.queued),
// and routing sees the owner as having passed on it (cooldown).
func TestTransferToTheQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cust := seedCustomer(t, s, ws, "c1")
		ana := seedAgent(t, s, ws, "ana", 1, model.AgentAvailable)
		ben := seedAgent(t, s, ws, "ben", 1, model.AgentAvailable)
		conv := assignedConversation(t, s, cust, ana, at(0))
		before := head(t, s, ws.ID)

		_, _, err := s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: ben.ID, Reason: "x"}, at(time.Minute))
		wantErr(t, err, store.ErrConflict, "someone else's conversation")

		now := at(2 * time.Minute)
		c, offer, err := s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: ana.ID, Reason: "transferred by ana"}, now)
		must(t, err, "transfer to the queue")
		if offer != nil || c.Status != model.StatusQueued || c.AssigneeID != nil || c.HandoffReason != "transferred by ana" || !c.QueuedAt.Equal(now) {
			t.Fatalf("transferred: %+v, offer %+v", c, offer)
		}
		a, err := s.AgentByID(ctx, ws.ID, ana.ID)
		must(t, err, "ana")
		if a.Active != 0 {
			t.Errorf("ana holds %d conversations after the transfer, want 0", a.Active)
		}
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cust.ID}), []string{model.EventConversationQueued}, "the customer's events")
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: ana.ID}), []string{model.EventConversationTransferred}, "ana's events")
		snap, err := s.RoutingSnapshot(ctx, ws.ID, time.Time{})
		must(t, err, "snapshot")
		if len(snap.Queue) != 1 || snap.Queue[0].ID != conv.ID || !snap.Queue[0].TriedAgents[ana.ID].Equal(now) {
			t.Fatalf("queue %+v: want the conversation, with ana as having passed at %v", snap.Queue, now)
		}
		_, _, err = s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: ana.ID, Reason: "x"}, now)
		wantErr(t, err, store.ErrConflict, "a queued conversation")
	})
}

// TestTransferToAColleague: the conversation is offered to the colleague at
// once (offer.created to them, with the customer's words); a colleague who
// cannot take it — away, full, not certified, unknown, its owner — is
// refused and nothing changes. An admin may transfer anyone's conversation.
func TestTransferToAColleague(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		cust := seedCustomer(t, s, ws, "c1")
		ana := seedAgent(t, s, ws, "ana", 2, model.AgentAvailable)
		ben := seedAgent(t, s, ws, "ben", 1, model.AgentAvailable)
		away := seedAgent(t, s, ws, "cid", 2, model.AgentAway)
		full := seedAgent(t, s, ws, "dee", 1, model.AgentAvailable)
		stranger := seedAgent(t, s, other, "eve", 2, model.AgentAvailable)
		boss, err := s.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "boss@acme.test", Name: "Boss", Role: model.RoleAdmin, PasswordHash: "x", Capacity: 1})
		must(t, err, "admin")
		conv := assignedConversation(t, s, cust, ana, at(0))
		_ = assignedConversation(t, s, seedCustomer(t, s, ws, "c2"), full, at(0))
		_, _, _, err = s.AddMessage(ctx, customerMsg(cust, conv, "Still there?", ""), at(time.Second))
		must(t, err, "customer message")

		transfer := func(to int64) error {
			_, _, err := s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: ana.ID, To: to, Reason: "transferred", ExpiresAt: at(time.Hour)}, at(time.Minute))
			return err
		}
		for name, tc := range map[string]struct {
			to   int64
			want error
			msg  string
		}{
			"away":          {away.ID, store.ErrConflict, "cid is away"},
			"full":          {full.ID, store.ErrConflict, "dee has no free slot (1 of 1"},
			"other tenant":  {stranger.ID, store.ErrNotFound, "not found"},
			"the owner":     {ana.ID, store.ErrConflict, "already"},
			"nobody at all": {999999, store.ErrNotFound, "not found"},
		} {
			err := transfer(tc.to)
			wantErr(t, err, tc.want, name)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: %v, want a message with %q", name, err, tc.msg)
			}
		}
		got, err := s.ConversationByID(ctx, ws.ID, conv.ID)
		must(t, err, "reread")
		if got.Status != model.StatusAssigned || *got.AssigneeID != ana.ID {
			t.Fatalf("after refused transfers: %+v", got)
		}

		before := head(t, s, ws.ID)
		c, offer, err := s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: ana.ID, To: ben.ID, Reason: "transferred by ana", ExpiresAt: at(time.Hour)}, at(time.Minute))
		must(t, err, "transfer to ben")
		if c.Status != model.StatusQueued || offer == nil || offer.AgentID != ben.ID || offer.Status != model.OfferPending ||
			offer.Preview != "Still there?" || !offer.ExpiresAt.Equal(at(time.Hour)) || offer.Conversation.HandoffReason != "transferred by ana" {
			t.Fatalf("transfer: %+v offer %+v", c, offer)
		}
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: ben.ID}), []string{model.EventOfferCreated}, "ben's events")
		pending, err := s.PendingOffers(ctx, ws.ID, ben.ID)
		must(t, err, "ben's offers")
		if len(pending) != 1 || pending[0].ID != offer.ID {
			t.Fatalf("ben's offers %+v", pending)
		}
		_, c, err = s.AcceptOffer(ctx, ws.ID, offer.ID, ben.ID, at(2*time.Minute))
		must(t, err, "ben accepts")
		if c.Status != model.StatusAssigned || *c.AssigneeID != ben.ID {
			t.Fatalf("accepted: %+v", c)
		}

		// The admin moves Ben's conversation back to the queue.
		_, _, err = s.TransferConversation(ctx, store.Transfer{WorkspaceID: ws.ID, ConversationID: conv.ID, By: boss.ID, Admin: true, Reason: "transferred by boss"}, at(3*time.Minute))
		must(t, err, "the admin transfers")
	})
}
