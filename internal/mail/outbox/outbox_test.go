package outbox_test

import (
	"context"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/mail"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
	"github.com/tandem-desk/tandem/internal/mail/outbox"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

var t0 = time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

type fixture struct {
	st   *store.Store
	srv  *mailtest.Server
	clk  *clock
	s    *outbox.Sender
	conv *model.Conversation
	ag   *model.Agent
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "tandem.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme Pay"})
	must(t, err)
	cu, err := st.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws.ID, ExternalID: "u1", Name: "Dora"})
	must(t, err)
	ag, err := st.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAgent, PasswordHash: "x", Capacity: 3})
	must(t, err)
	conv, _, _, err := st.CreateConversation(ctx, ws.ID, cu.ID, store.NewMessage{Body: "I need a person"}, t0)
	must(t, err)
	conv, _, err = st.QueueConversation(ctx, ws.ID, conv.ID, "asked for a human", t0)
	must(t, err)
	_, err = st.SetFollowUpEmail(ctx, ws.ID, conv.ID, "dora@example.com", t0)
	must(t, err)
	srv := mailtest.NewServer(t)
	server, err := mail.ParseURL(srv.URL())
	must(t, err)
	clk := &clock{now: t0}
	s := outbox.New(outbox.Options{
		Store: st, Client: &mail.Client{Server: server, HelloName: "tandem.test"},
		From: netmail.Address{Name: "Acme Support", Address: "support@acme.example"}, Now: clk.Now,
	})
	return &fixture{st: st, srv: srv, clk: clk, s: s, conv: conv, ag: ag}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// reply stores an agent's reply that owes the customer an email due at due.
func (f *fixture) reply(t *testing.T, body string, due time.Time) {
	t.Helper()
	_, _, _, err := f.st.AddMessage(t.Context(), store.NewMessage{
		WorkspaceID: f.conv.WorkspaceID, ConversationID: f.conv.ID, AuthorKind: model.AuthorAgent, AuthorID: &f.ag.ID, AuthorName: f.ag.Name,
		Body: body, FollowUpMail: &store.FollowUpMail{Subject: "Re: your conversation with Acme Pay", Intro: "Hello,\n\n", Part: "Ana wrote:\n\n" + body, Due: due},
	}, f.clk.Now())
	must(t, err)
}

func (f *fixture) mails(t *testing.T) []*store.OutboxMail {
	t.Helper()
	list, err := f.st.ConversationMail(t.Context(), f.conv.WorkspaceID, f.conv.ID)
	must(t, err)
	return list
}

func (f *fixture) sendDue(t *testing.T) int {
	t.Helper()
	n, err := f.s.SendDue(t.Context())
	must(t, err)
	return n
}

// decoded is a received message's headers and decoded body.
func decoded(t *testing.T, m mailtest.Message) (*netmail.Message, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(m.Data))
	must(t, err)
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	must(t, err)
	return msg, strings.ReplaceAll(string(body), "\r\n", "\n")
}

// TestTemporaryFailureThenSent: a 451 leaves the mail pending with the
// error and a back-off; at its retry time it is sent, once.
func TestTemporaryFailureThenSent(t *testing.T) {
	f := newFixture(t)
	f.reply(t, "Your refund is on its way.", t0)
	f.srv.Script(mailtest.Reply{Code: 451, Text: "4.3.0 try again later"})

	if n := f.sendDue(t); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	m := f.mails(t)[0]
	if m.Status != store.MailPending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") {
		t.Fatalf("after a 451: %+v", m)
	}
	if lo, hi := t0.Add(27*time.Second), t0.Add(33*time.Second); m.NextAttemptAt.Before(lo) || m.NextAttemptAt.After(hi) {
		t.Errorf("next attempt %v, want 30 s ± 10 %% after %v", m.NextAttemptAt, t0)
	}
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("claimed %d before the retry was due", n)
	}
	f.clk.Set(m.NextAttemptAt)
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("retry: sent %d, want 1", n)
	}
	m = f.mails(t)[0]
	if m.Status != store.MailSent || m.Attempts != 2 || m.SentAt == nil || m.LastError != "" {
		t.Fatalf("after the retry: %+v", m)
	}
	got := f.srv.Messages()
	if len(got) != 1 || f.srv.Attempts() != 2 {
		t.Fatalf("server accepted %d of %d attempts, want 1 of 2", len(got), f.srv.Attempts())
	}
	if got[0].From != "support@acme.example" || got[0].To[0] != "dora@example.com" {
		t.Errorf("envelope %s → %v", got[0].From, got[0].To)
	}
	msg, body := decoded(t, got[0])
	if s := msg.Header.Get("Subject"); s != "Re: your conversation with Acme Pay" {
		t.Errorf("Subject %q", s)
	}
	if id := msg.Header.Get("Message-ID"); id != "<"+outbox.MessageID(m, netmail.Address{Address: "support@acme.example"})+">" {
		t.Errorf("Message-ID %q", id)
	}
	if want := "Hello,\n\nAna wrote:\n\nYour refund is on its way." + outbox.Footer + "\n"; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if n := f.sendDue(t); n != 0 {
		t.Errorf("a sent mail was claimed again")
	}
}

// TestPermanentFailure: a 550 fails the mail for good, with the error.
func TestPermanentFailure(t *testing.T) {
	f := newFixture(t)
	f.reply(t, "Hello", t0)
	f.srv.Script(mailtest.Reply{Code: 550, Text: "5.1.1 no such user"})
	f.sendDue(t)
	m := f.mails(t)[0]
	if m.Status != store.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") || !strings.Contains(m.LastError, "no such user") {
		t.Fatalf("after a 550: %+v", m)
	}
	if _, ok, err := f.st.NextMailAttempt(t.Context()); err != nil || ok {
		t.Errorf("a failed mail is still pending (%v)", err)
	}
}

// TestGivesUpWhenRetriesRunOut: temporary failures past GiveUpAfter fail it.
func TestGivesUpWhenRetriesRunOut(t *testing.T) {
	f := newFixture(t)
	f.reply(t, "Hello", t0)
	f.clk.Set(t0.Add(49 * time.Hour))
	f.srv.Script(mailtest.Reply{Code: 421, Text: "4.7.0 closing"})
	f.sendDue(t)
	if m := f.mails(t)[0]; m.Status != store.MailFailed || !strings.Contains(m.LastError, "421") {
		t.Fatalf("after retries ran out: %+v", m)
	}
}

// TestRunSendsAndStops: the running sender sends a mail it is told about
// and returns when its context ends.
func TestRunSendsAndStops(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.s.Run(ctx) }()
	f.reply(t, "Sent by the loop", t0)
	f.s.Notify()
	got := f.srv.WaitFor(t, 1, 10*time.Second)
	if _, body := decoded(t, got[0]); !strings.Contains(body, "Sent by the loop") {
		t.Errorf("body %q", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
