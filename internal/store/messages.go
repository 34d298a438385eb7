package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// NewMessage is what a caller supplies to add a message.
type NewMessage struct {
	WorkspaceID    int64
	ConversationID int64
	AuthorKind     model.AuthorKind
	// AuthorID is the customer's id for customer messages, the agent's for
	// agent messages, nil for the assistant and the system.
	AuthorID   *int64
	AuthorName string
	Body       string
	Internal   bool
	// ClientID makes a retried send idempotent; empty means no key.
	ClientID string
	Citation *model.Citation
	// Choices are the answers offered on a question back; ChoiceID is the
	// one a customer tapped.
	Choices  []model.Choice
	ChoiceID string
	// FollowUpMail, on a public agent message, emails it to a customer who
	// left a follow-up address (see FollowUpMail); nil: no email.
	FollowUpMail *FollowUpMail
}

const messageColumns = `id, workspace_id, conversation_id, seq, author_kind, author_id, author_name, body, internal,
	COALESCE(client_id, ''), citation_article_id, citation_title, citation_url, choices, choice_id, created_at`

func scanMessage(row scanner) (*model.Message, error) {
	var m model.Message
	var author, article sql.NullInt64
	var title, url, choices string
	var created int64
	if err := row.Scan(&m.ID, &m.WorkspaceID, &m.ConversationID, &m.Seq, &m.AuthorKind, &author, &m.AuthorName, &m.Body,
		&m.Internal, &m.ClientID, &article, &title, &url, &choices, &m.ChoiceID, &created); err != nil {
		return nil, err
	}
	if choices != "" {
		if err := json.Unmarshal([]byte(choices), &m.Choices); err != nil {
			return nil, fmt.Errorf("store: message %d choices: %w", m.ID, err)
		}
	}
	m.AuthorID = int64Ptr(author)
	if article.Valid {
		m.Citation = &model.Citation{ArticleID: article.Int64, Title: title, URL: url}
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// AddMessage appends a message to a conversation and returns it with the
// conversation as it stands afterwards. A retry with the same client_id from
// the same author returns the first message and created=false; the same
// client_id with a different body is a conflict. A customer message on a
// resolved conversation reopens it: to the queue if a person had handled it,
// otherwise back to the assistant.
func (s *Store) AddMessage(ctx context.Context, m NewMessage, now time.Time) (msg *model.Message, conv *model.Conversation, created bool, err error) {
	if !m.AuthorKind.Valid() {
		return nil, nil, false, fmt.Errorf("store: %w", model.Invalid("author_kind", "unknown kind %q", m.AuthorKind))
	}
	if err := model.ValidateBody(m.Body); err != nil {
		return nil, nil, false, fmt.Errorf("store: %w", err)
	}
	if err := model.ValidateClientID(m.ClientID); err != nil {
		return nil, nil, false, fmt.Errorf("store: %w", err)
	}
	if m.Internal && m.AuthorKind == model.AuthorCustomer {
		return nil, nil, false, fmt.Errorf("store: %w", model.Invalid("internal", "customers cannot write internal notes"))
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockConversation(ctx, tx, m.WorkspaceID, m.ConversationID)
		if err != nil {
			return err
		}
		if m.ClientID != "" {
			// The assistant and the system have no author id: "author_id = NULL"
			// would never match, so compare with NULL folded to 0 (ids start at 1).
			var authorKey int64
			if m.AuthorID != nil {
				authorKey = *m.AuthorID
			}
			prev, err := scanMessage(tx.QueryRowContext(ctx, s.q(`SELECT `+messageColumns+` FROM messages
				WHERE conversation_id = ? AND author_kind = ? AND COALESCE(author_id, 0) = ? AND client_id = ?`),
				m.ConversationID, m.AuthorKind, authorKey, m.ClientID))
			switch {
			case err == nil:
				if prev.Body != m.Body || prev.Internal != m.Internal {
					return fmt.Errorf("client_id %q was already used for a different message: %w", m.ClientID, ErrConflict)
				}
				msg, conv = prev, cur
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if cur.Status == model.StatusClosed {
			return fmt.Errorf("conversation is closed: %w", ErrConflict)
		}
		if m.AuthorKind == model.AuthorCustomer && cur.Status == model.StatusResolved {
			if err := s.reopen(ctx, tx, cur, now); err != nil {
				return err
			}
		}
		if msg, err = s.insertMessage(ctx, tx, cur, m, now); err != nil {
			return err
		}
		created = true
		if m.FollowUpMail != nil && m.AuthorKind == model.AuthorAgent && !m.Internal {
			if err := s.enqueueFollowUp(ctx, tx, cur.ID, m.FollowUpMail, now); err != nil {
				return err
			}
		}
		conv, err = conversationByID(ctx, s, tx, m.WorkspaceID, m.ConversationID)
		return err
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("store: add message: %w", err)
	}
	return msg, conv, created, nil
}

// reopen brings a resolved conversation back on a new customer message.
func (s *Store) reopen(ctx context.Context, tx *sql.Tx, c *model.Conversation, now time.Time) error {
	status, queuedAt := model.StatusAI, sql.NullInt64{}
	if c.HadHuman {
		status, queuedAt = model.StatusQueued, sql.NullInt64{Int64: micros(now), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, queued_at = ?, assignee_id = NULL, resolved_at = NULL,
		handoff_reason = ?, updated_at = ? WHERE id = ?`), status, queuedAt, "reopened by the customer", micros(now), c.ID); err != nil {
		return err
	}
	after, err := conversationByID(ctx, s, tx, c.WorkspaceID, c.ID)
	if err != nil {
		return err
	}
	if err := s.appendEvent(ctx, tx, conversationEvent(model.EventConversationReopened, after, false), after, now); err != nil {
		return err
	}
	if status == model.StatusQueued {
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationQueued, after, false), after, now)
	}
	return nil
}

// insertMessage takes the conversation's next seq and stores the message
// with its event. The seq comes from an UPDATE of the conversation row, which
// serialises concurrent writers to one conversation in every dialect.
func (s *Store) insertMessage(ctx context.Context, tx *sql.Tx, c *model.Conversation, m NewMessage, now time.Time) (*model.Message, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, s.q(`UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq`),
		micros(now), c.ID).Scan(&seq); err != nil {
		return nil, err
	}
	var articleID sql.NullInt64
	var title, url string
	if m.Citation != nil {
		articleID = sql.NullInt64{Int64: m.Citation.ArticleID, Valid: true}
		title, url = m.Citation.Title, m.Citation.URL
	}
	choices := ""
	if len(m.Choices) > 0 {
		b, err := json.Marshal(m.Choices)
		if err != nil {
			return nil, err
		}
		choices = string(b)
	}
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO messages (workspace_id, conversation_id, seq, author_kind, author_id, author_name, body,
		internal, client_id, citation_article_id, citation_title, citation_url, choices, choice_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		c.WorkspaceID, c.ID, seq, m.AuthorKind, nullInt64(m.AuthorID), m.AuthorName, m.Body,
		m.Internal, nullString(m.ClientID), articleID, title, url, choices, m.ChoiceID, micros(now)).Scan(&id)
	if err != nil {
		return nil, err
	}
	msg := &model.Message{
		ID: id, WorkspaceID: c.WorkspaceID, ConversationID: c.ID, Seq: seq, AuthorKind: m.AuthorKind, AuthorID: m.AuthorID,
		AuthorName: m.AuthorName, Body: m.Body, Internal: m.Internal, ClientID: m.ClientID, Citation: m.Citation,
		Choices: m.Choices, ChoiceID: m.ChoiceID, CreatedAt: now.UTC().Truncate(time.Microsecond),
	}
	if err := s.appendEvent(ctx, tx, conversationEvent(model.EventMessageCreated, c, m.Internal), msg, now); err != nil {
		return nil, err
	}
	return msg, nil
}

// Messages lists a conversation's messages with seq > after, ascending.
// Internal notes are included only when includeInternal is set (staff).
func (s *Store) Messages(ctx context.Context, workspaceID, conversationID, after int64, limit int, includeInternal bool) ([]*model.Message, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query := `SELECT ` + messageColumns + ` FROM messages WHERE workspace_id = ? AND conversation_id = ? AND seq > ?`
	args := []any{workspaceID, conversationID, after}
	if !includeInternal {
		query += ` AND internal = ?`
		args = append(args, false)
	}
	query += ` ORDER BY seq LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	defer rows.Close()
	out := []*model.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// LastCustomerMessage is the newest message the customer wrote, for previews.
func (s *Store) LastCustomerMessage(ctx context.Context, workspaceID, conversationID int64) (*model.Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, s.q(`SELECT `+messageColumns+` FROM messages
		WHERE workspace_id = ? AND conversation_id = ? AND author_kind = ? ORDER BY seq DESC LIMIT 1`),
		workspaceID, conversationID, model.AuthorCustomer))
	if err != nil {
		return nil, notFound(err, "message")
	}
	return m, nil
}
