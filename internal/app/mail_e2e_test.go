package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
	"github.com/tandem-desk/tandem/internal/store"
)

// runMail runs the app's mail sender until the test ends.
func runMail(t *testing.T, a *app.App) {
	t.Helper()
	if a.Mail == nil {
		t.Fatal("mail is configured but the app has no mail sender")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Mail.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mail: %v", err)
		}
	})
}

// followUpConversation has a customer ask for a person while nobody is
// online, leave an email, and Ana accept the conversation. It returns the
// tokens, the conversation id and the confirmation the customer got.
func followUpConversation(t *testing.T, e *env) (cust, ana string, convID int64, notice string) {
	t.Helper()
	cust = e.customer(t, "acme")
	conv := e.start(t, cust, "m-1", "I want to talk to a person")
	if conv.Status != "queued" {
		t.Fatalf("conversation %+v, want queued", conv)
	}
	var got struct {
		FollowUpEmail   string `json:"follow_up_email"`
		FollowUpByEmail bool   `json:"follow_up_by_email"`
	}
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/follow-up", conv.ID), cust, map[string]string{"email": "dora@example.com"}, http.StatusOK, &got)
	if got.FollowUpEmail != "dora@example.com" || got.FollowUpByEmail != (e.app.Mail != nil) {
		t.Errorf("after the follow-up: %+v, want follow_up_by_email %v", got, e.app.Mail != nil)
	}
	msgs := e.messages(t, cust, conv.ID)
	notice = msgs[len(msgs)-1].Body
	ana, _ = e.login(t, "ana@acme.test", "demo")
	e.setStatus(t, ana, "available")
	of := e.waitOffer(t, ana, conv.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ana, nil, http.StatusOK, nil)
	return cust, ana, conv.ID, notice
}

func (e *env) outbox(t *testing.T, convID int64) []*store.OutboxMail {
	t.Helper()
	list, err := e.app.Store.ConversationMail(t.Context(), e.info.Workspace.ID, convID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestFollowUpEmailed: the customer who left an address gets one email
// with the agent's public reply — not the internal note — and no more once
// they are back in the chat.
func TestFollowUpEmailed(t *testing.T) {
	t.Parallel()
	srv := mailtest.NewServer(t)
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) {
		c.SMTPURL, c.MailFrom, c.MailDelay = srv.URL(), "Acme Support <support@acme.example>", 0
	}})
	runMail(t, e.app)
	cust, ana, convID, notice := followUpConversation(t, e)
	if !strings.Contains(notice, "email you at dora@example.com") {
		t.Errorf("with mail on, the confirmation should promise an email: %q", notice)
	}

	e.post(t, ana, convID, "n-1", "Internal: refund was approved yesterday", true)
	if got := e.outbox(t, convID); len(got) != 0 {
		t.Fatalf("an internal note was mailed: %+v", got)
	}
	e.post(t, ana, convID, "r-1", "Your refund is on its way — 3 to 5 days.", false)
	got := srv.WaitFor(t, 1, waitTimeout)
	if len(got) != 1 || got[0].To[0] != "dora@example.com" || got[0].From != "support@acme.example" {
		t.Fatalf("received %+v", got)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if s := msg.Header.Get("Subject"); s != "Re: your conversation with Acme Pay" {
		t.Errorf("Subject %q", s)
	}
	raw, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if !strings.Contains(body, "Ana wrote:") || !strings.Contains(body, "Your refund is on its way — 3 to 5 days.") || strings.Contains(body, "Internal") {
		t.Errorf("body:\n%s", body)
	}
	eventually(t, waitTimeout, "the mail recorded as sent", func() bool {
		list := e.outbox(t, convID)
		return len(list) == 1 && list[0].Status == store.MailSent
	})

	// Back in the chat: replies are read there, not mailed.
	e.post(t, cust, convID, "c-2", "Thanks, I'm here now", false)
	e.post(t, ana, convID, "r-2", "Great, anything else?", false)
	if list := e.outbox(t, convID); len(list) != 1 {
		t.Errorf("%d mails after the customer came back, want still 1", len(list))
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages at the SMTP server, want 1", n)
	}
}

// TestFollowUpWithoutMail: with no SMTP server configured the address is
// recorded, the customer is not promised an email, and nothing is queued.
func TestFollowUpWithoutMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if e.app.Mail != nil {
		t.Fatal("a mail sender without --smtp-url")
	}
	_, ana, convID, notice := followUpConversation(t, e)
	if strings.Contains(strings.ToLower(notice), "email you") || !strings.Contains(notice, "dora@example.com") ||
		!strings.Contains(notice, "answer here") {
		t.Errorf("without mail the confirmation must not promise an email: %q", notice)
	}
	e.post(t, ana, convID, "r-1", "Hello from Ana", false)
	if list := e.outbox(t, convID); len(list) != 0 {
		t.Errorf("mail queued with mail off: %+v", list)
	}
}
