package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// reply is an agent's public reply that asks for a follow-up email.
func reply(a *model.Agent, conv *model.Conversation, body string, due time.Time) store.NewMessage {
	m := agentMsg(a, conv, body, false)
	m.FollowUpMail = &store.FollowUpMail{Subject: "Re: your conversation", Intro: "Hello,\n\n", Part: a.Name + " wrote:\n" + body, Due: due}
	return m
}

func conversationMail(t *testing.T, s *store.Store, conv *model.Conversation) []*store.OutboxMail {
	t.Helper()
	list, err := s.ConversationMail(t.Context(), conv.WorkspaceID, conv.ID)
	must(t, err, "conversation mail")
	return list
}

// TestFollowUpMailOutbox: an agent's public reply to a customer who left a
// follow-up address is enqueued with the reply; further replies join the
// pending mail until a sender holds it; notes, conversations without an
// address and customers back in the chat get no mail.
func TestFollowUpMailOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := queuedConversation(t, s, cu, at(0))

		// No address yet: nothing to send.
		_, _, _, err := s.AddMessage(ctx, reply(ag, conv, "before", at(time.Minute)), at(time.Second))
		must(t, err, "reply without an address")
		if got := conversationMail(t, s, conv); len(got) != 0 {
			t.Fatalf("mail without a follow-up address: %+v", got)
		}

		_, err = s.SetFollowUpEmail(ctx, ws.ID, conv.ID, "dora@example.com", at(2*time.Second))
		must(t, err, "follow-up")

		// An internal note, and a reply without a FollowUpMail, are not mailed.
		note := reply(ag, conv, "internal", at(time.Minute))
		note.Internal = true
		_, _, _, err = s.AddMessage(ctx, note, at(3*time.Second))
		must(t, err, "note")
		_, _, _, err = s.AddMessage(ctx, agentMsg(ag, conv, "plain", false), at(3*time.Second))
		must(t, err, "plain reply")
		if got := conversationMail(t, s, conv); len(got) != 0 {
			t.Fatalf("a note or a plain reply was mailed: %+v", got)
		}

		due := at(time.Minute)
		_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "first", due), at(4*time.Second))
		must(t, err, "first reply")
		_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "second", at(2*time.Minute)), at(5*time.Second))
		must(t, err, "second reply")
		got := conversationMail(t, s, conv)
		if len(got) != 1 {
			t.Fatalf("%d mails after two replies, want one", len(got))
		}
		m := got[0]
		if m.Recipient != "dora@example.com" || m.Subject != "Re: your conversation" || m.Status != store.MailPending ||
			m.Body != "Hello,\n\nann wrote:\nfirst\n\nann wrote:\nsecond" || !m.NextAttemptAt.Equal(due) || m.Attempts != 0 {
			t.Fatalf("pending mail %+v", m)
		}
		if next, ok, err := s.NextMailAttempt(ctx); err != nil || !ok || !next.Equal(due) {
			t.Fatalf("next mail attempt %v %v %v, want %v", next, ok, err, due)
		}

		// Not due yet: nothing to claim.
		if claimed, err := s.ClaimMail(ctx, at(30*time.Second), time.Minute, 10); err != nil || len(claimed) != 0 {
			t.Fatalf("claimed %d before due (%v)", len(claimed), err)
		}
		claimed, err := s.ClaimMail(ctx, due, time.Minute, 10)
		must(t, err, "claim")
		if len(claimed) != 1 || claimed[0].ID != m.ID || claimed[0].Body != m.Body {
			t.Fatalf("claimed %+v", claimed)
		}
		if again, err := s.ClaimMail(ctx, due, time.Minute, 10); err != nil || len(again) != 0 {
			t.Fatalf("a leased mail was claimed again: %d (%v)", len(again), err)
		}

		// A reply while a sender holds the mail starts a new one.
		_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "third", at(3*time.Minute)), due.Add(time.Second))
		must(t, err, "third reply")
		got = conversationMail(t, s, conv)
		if len(got) != 2 || got[0].Body != m.Body || got[1].Body != "Hello,\n\nann wrote:\nthird" {
			t.Fatalf("after a reply during the send: %+v", got)
		}

		// A temporary failure: pending again, at the retry time.
		retry := due.Add(5 * time.Minute)
		must(t, s.MailFailed(ctx, m.ID, "451 try later", &retry), "failed once")
		got = conversationMail(t, s, conv)
		if got[0].Status != store.MailPending || got[0].Attempts != 1 || got[0].LastError != "451 try later" || !got[0].NextAttemptAt.Equal(retry) {
			t.Fatalf("after a temporary failure: %+v", got[0])
		}
		claimed, err = s.ClaimMail(ctx, retry, time.Minute, 10)
		must(t, err, "claim the retry")
		if len(claimed) != 2 { // the retry and the third reply's mail
			t.Fatalf("claimed %d at the retry, want 2", len(claimed))
		}
		must(t, s.MailSent(ctx, m.ID, retry), "sent")
		must(t, s.MailFailed(ctx, got[1].ID, "550 no such user", nil), "failed for good")
		got = conversationMail(t, s, conv)
		if got[0].Status != store.MailSent || got[0].Attempts != 2 || got[0].SentAt == nil || !got[0].SentAt.Equal(retry) || got[0].LastError != "" {
			t.Errorf("sent mail %+v", got[0])
		}
		if got[1].Status != store.MailFailed || got[1].LastError != "550 no such user" || got[1].Attempts != 1 {
			t.Errorf("failed mail %+v", got[1])
		}
		if _, ok, err := s.NextMailAttempt(ctx); err != nil || ok {
			t.Errorf("a mail is still pending (%v)", err)
		}

		// The customer is back in the chat: replies are no longer mailed...
		_, _, _, err = s.AddMessage(ctx, customerMsg(cu, conv, "I'm back", ""), at(10*time.Minute))
		must(t, err, "customer back")
		_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "welcome back", at(11*time.Minute)), at(10*time.Minute))
		must(t, err, "reply to a customer who is back")
		if got := conversationMail(t, s, conv); len(got) != 2 {
			t.Fatalf("a reply to a customer back in the chat was mailed: %+v", got[len(got)-1])
		}
		// ...until they leave an address again.
		_, err = s.SetFollowUpEmail(ctx, ws.ID, conv.ID, "dora@work.example", at(12*time.Minute))
		must(t, err, "follow-up again")
		_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "later", at(13*time.Minute)), at(12*time.Minute))
		must(t, err, "reply after the new address")
		got = conversationMail(t, s, conv)
		if len(got) != 3 || got[2].Recipient != "dora@work.example" || !strings.HasSuffix(got[2].Body, "later") {
			t.Fatalf("after a new address: %+v", got)
		}
		if err := s.MailSent(ctx, 1<<40, at(0)); !strings.Contains(fmt.Sprint(err), "not found") {
			t.Errorf("MailSent of an unknown mail: %v", err)
		}
	})
}

// TestMailClaimConcurrentNodes: senders claiming at once get each mail once.
func TestMailClaimConcurrentNodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		const n = 12
		for i := range n {
			cu := seedCustomer(t, s, ws, fmt.Sprintf("u%d", i))
			conv := queuedConversation(t, s, cu, at(0))
			_, err := s.SetFollowUpEmail(ctx, ws.ID, conv.ID, fmt.Sprintf("u%d@example.com", i), at(time.Second))
			must(t, err, "follow-up")
			_, _, _, err = s.AddMessage(ctx, reply(ag, conv, "hi", at(time.Minute)), at(2*time.Second))
			must(t, err, "reply")
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		errs := race(4, func(int) error {
			for {
				batch, err := s.ClaimMail(ctx, at(time.Minute), time.Minute, 2)
				if err != nil {
					return err
				}
				if len(batch) == 0 {
					return nil
				}
				mu.Lock()
				for _, m := range batch {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
		if ok := tally(t, errs); ok != 4 {
			t.Fatalf("%d of 4 claimers succeeded", ok)
		}
		if len(seen) != n {
			t.Errorf("%d mails claimed, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("mail %d claimed %d times", id, k)
			}
		}
	})
}
