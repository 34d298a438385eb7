// Package outbox sends the follow-up emails the store's mail outbox holds.
//
// A mail is written to the outbox in the same transaction as the agent's
// reply that causes it (see store.FollowUpMail), so a reply is never
// committed without its mail nor a mail without its reply. The Sender, run
// on every node, claims due mails with a lease (one node sends each
// attempt; if it dies, the lease runs out and another node does), sends
// them over SMTP, and records the outcome: sent; retried with exponential
// back-off after a temporary failure (a 4xx reply, a network error); or
// failed for good, with the error, after a permanent one (a 5xx reply) or
// when retries run out.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/backoff"
	"github.com/tandem-desk/tandem/internal/mail"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/store"
)

// Footer ends every follow-up email.
const Footer = "\n\n-- \nYou get this email because you left your address in our chat and asked to be emailed when someone answered."

// Options configure a Sender. Zero durations take the defaults in brackets.
type Options struct {
	Store  *store.Store
	Client *mail.Client
	From   netmail.Address
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// FirstRetry is the delay after the first temporary failure (30 s);
	// each further one doubles it, up to MaxRetryDelay (1 h).
	FirstRetry, MaxRetryDelay time.Duration
	// GiveUpAfter is how long after its creation a mail is retried (48 h).
	GiveUpAfter time.Duration
	// Lease is how long a claimed mail is this node's (2 min). It must be
	// well above the client's timeout: nothing is appended to a leased
	// mail, and a mail whose lease ran out may be claimed again.
	Lease time.Duration
	// Idle bounds the wait between passes when nothing wakes the sender (30 s).
	Idle time.Duration
	// Metrics counts the sends by outcome; nil: none.
	Metrics *metrics.Metrics
}

// Sender sends due mails. Create it with New; run it with Run.
type Sender struct {
	o    Options
	log  *slog.Logger
	wake chan struct{}
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FirstRetry <= 0 {
		o.FirstRetry = 30 * time.Second
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = time.Hour
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 48 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	return &Sender{o: o, log: o.Logger, wake: make(chan struct{}, 1)}
}

func (s *Sender) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// Notify says a mail may have been enqueued; it never blocks. Mails
// enqueued on other nodes are found within Idle.
func (s *Sender) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due mails until ctx ends. A send cut short by the end is not
// recorded: its lease runs out and it is sent again later.
func (s *Sender) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var claimErr error
		for {
			n, err := s.SendDue(ctx)
			if err != nil || n == 0 {
				claimErr = err
				break
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := s.o.Idle
		if claimErr != nil {
			wait = time.Second // the database cannot take a claim now: do not spin
		} else if next, ok, err := s.o.Store.NextMailAttempt(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("mail: next attempt", "err", err)
			wait = time.Second
		} else if ok {
			wait = min(wait, max(next.Sub(s.now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// SendDue claims a mail due now, sends it and records the outcome. It
// returns how many it claimed (0 or 1). One at a time, so that a claim's
// lease covers its send: a mail whose lease ran out while it was being
// sent could be appended to (a reply lost) or claimed and sent again by
// another node.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	batch, err := s.o.Store.ClaimMail(ctx, s.now(), s.o.Lease, 1)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("mail: claim", "err", err)
		}
		return 0, err
	}
	for _, m := range batch {
		if ctx.Err() != nil {
			break
		}
		s.attempt(ctx, m)
	}
	return len(batch), nil
}

// attempt sends one mail and records the outcome. The send may take at
// most half the lease, whatever the client's own timeout.
func (s *Sender) attempt(ctx context.Context, m *store.OutboxMail) {
	sendCtx, cancel := context.WithTimeout(ctx, s.o.Lease/2)
	err := s.send(sendCtx, m)
	cancel()
	if err != nil && ctx.Err() != nil {
		return // shutting down mid-send: the lease runs out and someone retries
	}
	rec := context.WithoutCancel(ctx)
	if err == nil {
		s.o.Metrics.Mail("sent")
		if err := s.o.Store.MailSent(rec, m.ID, s.now()); err != nil {
			s.log.Error("mail: record sent", "mail", m.ID, "err", err)
			return
		}
		s.log.Info("follow-up email sent", "mail", m.ID, "workspace", m.WorkspaceID, "conversation", m.ConversationID, "attempt", m.Attempts+1)
		return
	}
	var next *time.Time
	if !mail.Permanent(err) {
		next = s.nextAttempt(m)
	}
	if next == nil {
		s.o.Metrics.Mail("failed")
	} else {
		s.o.Metrics.Mail("retry")
	}
	if rerr := s.o.Store.MailFailed(rec, m.ID, truncate(err.Error(), 500), next); rerr != nil {
		s.log.Error("mail: record failure", "mail", m.ID, "err", rerr)
		return
	}
	if next == nil {
		s.log.Warn("follow-up email failed for good", "mail", m.ID, "workspace", m.WorkspaceID, "conversation", m.ConversationID,
			"attempts", m.Attempts+1, "err", err)
		return
	}
	s.log.Info("follow-up email failed; will retry", "mail", m.ID, "conversation", m.ConversationID, "attempt", m.Attempts+1,
		"next", next, "err", err)
}

func (s *Sender) send(ctx context.Context, m *store.OutboxMail) error {
	to, err := mail.ParseAddress(m.Recipient)
	if err != nil {
		return err
	}
	msg := mail.Message{
		From: s.o.From, To: to, Subject: m.Subject, Body: m.Body + Footer,
		Date: s.now(), MessageID: MessageID(m, s.o.From),
	}
	raw, err := msg.Bytes()
	if err != nil {
		return err
	}
	if s.o.Client == nil {
		return errors.New("mail: no SMTP client configured")
	}
	return s.o.Client.Send(ctx, s.o.From.Address, to.Address, raw)
}

// MessageID is a mail's Message-ID: the same on every attempt, so that a
// mail sent twice (a node died after sending, before recording) is one
// message to the recipient's client.
func MessageID(m *store.OutboxMail, from netmail.Address) string {
	domain := "tandem.invalid"
	if i := strings.LastIndex(from.Address, "@"); i >= 0 {
		domain = from.Address[i+1:]
	}
	return fmt.Sprintf("tandem.%d.%d@%s", m.ID, m.CreatedAt.UnixMicro(), domain)
}

// nextAttempt is when to try again after a temporary failure, or nil to
// give up: the delay doubles from FirstRetry up to MaxRetryDelay, ±10 %,
// until GiveUpAfter has passed since the mail was created.
func (s *Sender) nextAttempt(m *store.OutboxMail) *time.Time {
	return backoff.Next(s.now(), m.Attempts, s.o.FirstRetry, s.o.MaxRetryDelay, m.CreatedAt.Add(s.o.GiveUpAfter))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
