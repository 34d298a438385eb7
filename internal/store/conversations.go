package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const conversationColumns = `c.id, c.workspace_id, c.customer_id, cu.name, c.status, c.assignee_id, COALESCE(a.name, ''),
	c.handoff_reason, c.had_human, COALESCE(c.client_id, ''), c.last_seq,
	c.created_at, c.updated_at, c.queued_at, c.assigned_at, c.resolved_at,
	c.language, c.intent, c.intent_confidence, c.sentiment, c.frustrated, c.sensitive`

const conversationFrom = ` FROM conversations c JOIN customers cu ON cu.id = c.customer_id LEFT JOIN agents a ON a.id = c.assignee_id`

func scanConversation(row scanner) (*model.Conversation, error) {
	var c model.Conversation
	var assignee, queued, assigned, resolved sql.NullInt64
	var created, updated int64
	var tr model.ConversationTriage
	if err := row.Scan(&c.ID, &c.WorkspaceID, &c.CustomerID, &c.CustomerName, &c.Status, &assignee, &c.AssigneeName,
		&c.HandoffReason, &c.HadHuman, &c.ClientID, &c.LastSeq, &created, &updated, &queued, &assigned, &resolved,
		&tr.Language, &tr.Intent, &tr.IntentConfidence, &tr.Sentiment, &tr.Frustrated, &tr.Sensitive); err != nil {
		return nil, err
	}
	if tr != (model.ConversationTriage{}) {
		c.Triage = &tr
	}
	c.AssigneeID = int64Ptr(assignee)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.QueuedAt, c.AssignedAt, c.ResolvedAt = timePtr(queued), timePtr(assigned), timePtr(resolved)
	return &c, nil
}

func conversationByID(ctx context.Context, s *Store, q queryer, workspaceID, id int64) (*model.Conversation, error) {
	return scanConversation(q.QueryRowContext(ctx, s.q(`SELECT `+conversationColumns+conversationFrom+` WHERE c.workspace_id = ? AND c.id = ?`), workspaceID, id))
}

// lockConversation reads a conversation for update inside tx.
func (s *Store) lockConversation(ctx context.Context, tx *sql.Tx, workspaceID, id int64) (*model.Conversation, error) {
	if s.d.forUpdate != "" {
		if _, err := tx.ExecContext(ctx, s.q(`SELECT id FROM conversations WHERE workspace_id = ? AND id = ?`+s.d.forUpdate), workspaceID, id); err != nil {
			return nil, err
		}
	}
	c, err := conversationByID(ctx, s, tx, workspaceID, id)
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// ConversationByID finds a conversation of a workspace.
func (s *Store) ConversationByID(ctx context.Context, workspaceID, id int64) (*model.Conversation, error) {
	c, err := conversationByID(ctx, s, s.db, workspaceID, id)
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// ConversationFilter narrows a conversation list. Zero fields don't filter.
type ConversationFilter struct {
	CustomerID int64
	AssigneeID int64
	Status     model.ConversationStatus
	Limit      int
}

// Conversations lists a workspace's conversations, most recently updated first.
func (s *Store) Conversations(ctx context.Context, workspaceID int64, f ConversationFilter) ([]*model.Conversation, error) {
	query := `SELECT ` + conversationColumns + conversationFrom + ` WHERE c.workspace_id = ?`
	args := []any{workspaceID}
	if f.CustomerID != 0 {
		query += ` AND c.customer_id = ?`
		args = append(args, f.CustomerID)
	}
	if f.AssigneeID != 0 {
		query += ` AND c.assignee_id = ?`
		args = append(args, f.AssigneeID)
	}
	if f.Status != "" {
		query += ` AND c.status = ?`
		args = append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	query += ` ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	defer rows.Close()
	var out []*model.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateConversation opens a conversation for a customer with its first
// message. A retry with the same client_id returns the conversation the
// first attempt created, and created=false.
func (s *Store) CreateConversation(ctx context.Context, workspaceID, customerID int64, first NewMessage, now time.Time) (conv *model.Conversation, msg *model.Message, created bool, err error) {
	if err := model.ValidateBody(first.Body); err != nil {
		return nil, nil, false, fmt.Errorf("store: %w", err)
	}
	if err := model.ValidateClientID(first.ClientID); err != nil {
		return nil, nil, false, fmt.Errorf("store: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// The customer must belong to the workspace: no cross-tenant rows.
		if _, err := customerByID(ctx, s, tx, workspaceID, customerID); err != nil {
			return notFound(err, "customer")
		}
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO conversations (workspace_id, customer_id, client_id, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, client_id) DO NOTHING RETURNING id`),
			workspaceID, customerID, nullString(first.ClientID), model.StatusAI, micros(now), micros(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// A retry: hand back what the first attempt made.
			if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM conversations WHERE customer_id = ? AND client_id = ?`), customerID, first.ClientID).Scan(&id); err != nil {
				return err
			}
			if conv, err = conversationByID(ctx, s, tx, workspaceID, id); err != nil {
				return err
			}
			msg, err = scanMessage(tx.QueryRowContext(ctx, s.q(`SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? AND seq = 1`), id))
			if err == nil && msg.Body != first.Body {
				return fmt.Errorf("client_id %q was already used for a different message: %w", first.ClientID, ErrConflict)
			}
			return err
		}
		if err != nil {
			return err
		}
		created = true
		if conv, err = conversationByID(ctx, s, tx, workspaceID, id); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, conversationEvent(model.EventConversationCreated, conv, false), conv, now); err != nil {
			return err
		}
		first.WorkspaceID, first.ConversationID = workspaceID, id
		first.AuthorKind, first.AuthorID, first.Internal = model.AuthorCustomer, &customerID, false
		msg, err = s.insertMessage(ctx, tx, conv, first, now)
		if err != nil {
			return err
		}
		conv.LastSeq, conv.UpdatedAt = msg.Seq, now
		return nil
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("store: create conversation: %w", err)
	}
	return conv, msg, created, nil
}

// SetConversationTriage records what triage read in the customer's latest
// message. It is not an event of its own: the message is.
func (s *Store) SetConversationTriage(ctx context.Context, workspaceID, id int64, t model.ConversationTriage) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE conversations SET language = ?, intent = ?, intent_confidence = ?, sentiment = ?,
		frustrated = ?, sensitive = ? WHERE workspace_id = ? AND id = ?`),
		t.Language, t.Intent, t.IntentConfidence, t.Sentiment, t.Frustrated, t.Sensitive, workspaceID, id)
	if err != nil {
		return fmt.Errorf("store: set conversation triage: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set conversation triage: %w", ErrNotFound)
	}
	return nil
}

// QueueConversation hands a conversation to people: status queued, at once.
// A conversation already queued or assigned is left as it is (changed=false).
func (s *Store) QueueConversation(ctx context.Context, workspaceID, id int64, reason string, now time.Time) (conv *model.Conversation, changed bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockConversation(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case model.StatusQueued, model.StatusAssigned:
			conv = cur
			return nil
		case model.StatusClosed:
			return fmt.Errorf("conversation is closed: %w", ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, handoff_reason = ?, queued_at = ?, updated_at = ?, assignee_id = NULL, resolved_at = NULL
			WHERE id = ?`), model.StatusQueued, reason, micros(now), micros(now), id); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, id); err != nil {
			return err
		}
		changed = true
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationQueued, conv, false), conv, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: queue conversation: %w", err)
	}
	return conv, changed, nil
}

// ResolveConversation marks a conversation resolved and withdraws any
// pending offer for it. Resolving a resolved conversation changes nothing.
func (s *Store) ResolveConversation(ctx context.Context, workspaceID, id int64, now time.Time) (conv *model.Conversation, rescinded []*model.Offer, err error) {
	return s.ResolveAndPay(ctx, workspaceID, id, nil, now)
}

// ResolveAndPay is ResolveConversation that also, in the same
// transaction, writes what the resolve earned the person holding the
// conversation (pay, when not nil; see payResolve) and marks the
// conversation for review while that person is on probation.
func (s *Store) ResolveAndPay(ctx context.Context, workspaceID, id int64, pay *Earning, now time.Time) (conv *model.Conversation, rescinded []*model.Offer, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockConversation(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case model.StatusResolved:
			conv = cur
			return nil
		case model.StatusClosed:
			return fmt.Errorf("conversation is closed: %w", ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, resolved_at = ?, updated_at = ? WHERE id = ?`),
			model.StatusResolved, micros(now), micros(now), id); err != nil {
			return err
		}
		if rescinded, err = s.closeOffers(ctx, tx, `o.conversation_id = ?`, []any{id}, model.OfferRescinded, now); err != nil {
			return err
		}
		if err := s.payResolve(ctx, tx, cur, pay, now); err != nil {
			return err
		}
		if cur.Status == model.StatusAssigned && cur.AssigneeID != nil {
			if err := s.markProbationReview(ctx, tx, cur, *cur.AssigneeID, now); err != nil {
				return err
			}
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, id); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationResolved, conv, false), conv, now)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: resolve conversation: %w", err)
	}
	return conv, rescinded, nil
}
