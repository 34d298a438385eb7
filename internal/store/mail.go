package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Mail statuses.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// FollowUpMail asks AddMessage to email an agent's public reply to the
// customer who left a follow-up address. It is enqueued in the message's
// transaction, and only while the customer has not written since leaving
// the address; otherwise it is ignored.
type FollowUpMail struct {
	// Subject of a new mail.
	Subject string
	// Intro starts a new mail's body; Part is this reply's text, appended
	// (after a blank line) to a mail that is still pending instead.
	Intro, Part string
	// Due is when a new mail is first sent: replies written until then
	// join it.
	Due time.Time
}

// OutboxMail is one email owed to a customer.
type OutboxMail struct {
	ID             int64
	WorkspaceID    int64
	ConversationID int64
	Recipient      string
	Subject        string
	Body           string
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	CreatedAt      time.Time
	SentAt         *time.Time
}

const mailColumns = `id, workspace_id, COALESCE(conversation_id, 0), recipient, subject, body, status, attempts, next_attempt_at,
	last_error, created_at, sent_at`

func scanMail(row scanner) (*OutboxMail, error) {
	var m OutboxMail
	var next, created int64
	var sent sql.NullInt64
	if err := row.Scan(&m.ID, &m.WorkspaceID, &m.ConversationID, &m.Recipient, &m.Subject, &m.Body, &m.Status, &m.Attempts,
		&next, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	m.NextAttemptAt, m.CreatedAt, m.SentAt = fromMicros(next), fromMicros(created), timePtr(sent)
	return &m, nil
}

// enqueueFollowUp records the mail an agent's reply owes the customer, in
// the reply's transaction (the conversation row is locked). It appends to
// the conversation's pending mail that no sender holds, if there is one.
func (s *Store) enqueueFollowUp(ctx context.Context, tx *sql.Tx, conversationID int64, f *FollowUpMail, now time.Time) error {
	var email string
	var since int64
	var workspaceID int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT workspace_id, follow_up_email, follow_up_seq FROM conversations WHERE id = ?`),
		conversationID).Scan(&workspaceID, &email, &since); err != nil {
		return err
	}
	if email == "" {
		return nil
	}
	// Back in the chat since leaving the address: the chat is where they read us.
	var back int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND author_kind = ?`),
		conversationID, since, model.AuthorCustomer).Scan(&back); err != nil {
		return err
	}
	if back > 0 {
		return nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM mail_outbox WHERE conversation_id = ? AND recipient = ? AND status = ?
		AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id DESC LIMIT 1`+s.d.forUpdate),
		conversationID, email, MailPending, micros(now)).Scan(&id)
	switch {
	case err == nil:
		_, err = tx.ExecContext(ctx, s.q(`UPDATE mail_outbox SET body = body || ? WHERE id = ?`), "\n\n"+f.Part, id)
		return err
	case err != sql.ErrNoRows:
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO mail_outbox (workspace_id, conversation_id, recipient, subject, body, status,
		next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		workspaceID, conversationID, email, f.Subject, f.Intro+f.Part, MailPending, micros(f.Due), micros(now))
	return err
}

// ClaimMail takes up to limit mails that are due, for this caller alone:
// each is leased until now+lease (its next attempt moves there, and nothing
// is appended to it meanwhile), so another node takes it only if this one
// dies before recording the outcome. The sender must finish an attempt well
// within the lease.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*OutboxMail, error) {
	var out []*OutboxMail
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+mailColumns+` FROM mail_outbox
			WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`+s.d.skipLocked), MailPending, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, err := scanMail(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := micros(now.Add(lease))
		for _, m := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE mail_outbox SET next_attempt_at = ?, claimed_until = ? WHERE id = ?`), until, until, m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim mail: %w", err)
	}
	return out, nil
}

// MailSent records that a claimed mail went out.
func (s *Store) MailSent(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE mail_outbox SET status = ?, attempts = attempts + 1, claimed_until = NULL,
		last_error = '', sent_at = ? WHERE id = ?`), MailSent, micros(at), id)
	if err != nil {
		return fmt.Errorf("store: mail sent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: mail sent: %w", ErrNotFound)
	}
	return nil
}

// MailFailed records a failed attempt at a claimed mail: it is tried again
// at next, or, when next is nil, given up (status failed).
func (s *Store) MailFailed(ctx context.Context, id int64, errText string, next *time.Time) error {
	status, nextAt := MailFailed, sql.NullInt64{}
	if next != nil {
		status, nextAt = MailPending, sql.NullInt64{Int64: micros(*next), Valid: true}
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE mail_outbox SET status = ?, attempts = attempts + 1, claimed_until = NULL,
		last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?`), status, errText, nextAt, id)
	if err != nil {
		return fmt.Errorf("store: mail failed: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: mail failed: %w", ErrNotFound)
	}
	return nil
}

// NextMailAttempt is when the earliest pending mail is due; ok is false
// when none is pending.
func (s *Store) NextMailAttempt(ctx context.Context) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(next_attempt_at) FROM mail_outbox WHERE status = ?`), MailPending).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next mail attempt: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v.Int64), true, nil
}

// ConversationMail lists the mails owed or sent for a conversation, oldest first.
func (s *Store) ConversationMail(ctx context.Context, workspaceID, conversationID int64) ([]*OutboxMail, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+mailColumns+` FROM mail_outbox WHERE workspace_id = ? AND conversation_id = ? ORDER BY id`),
		workspaceID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("store: conversation mail: %w", err)
	}
	defer rows.Close()
	out := []*OutboxMail{}
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("store: conversation mail: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
