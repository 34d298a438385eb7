package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const csatColumns = `conversation_id, workspace_id, customer_id, agent_id, score, comment, created_at, updated_at`

func scanCSAT(row scanner) (*model.CSAT, error) {
	var c model.CSAT
	var agent sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ConversationID, &c.WorkspaceID, &c.CustomerID, &agent, &c.Score, &c.Comment, &created, &updated); err != nil {
		return nil, err
	}
	c.AgentID = int64Ptr(agent)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

func csatOf(ctx context.Context, s *Store, q queryer, workspaceID, conversationID int64) (*model.CSAT, error) {
	return scanCSAT(q.QueryRowContext(ctx, s.q(`SELECT `+csatColumns+` FROM csat_ratings WHERE workspace_id = ? AND conversation_id = ?`),
		workspaceID, conversationID))
}

// CSAT returns the customer's rating of a conversation; ErrNotFound when
// there is none.
func (s *Store) CSAT(ctx context.Context, workspaceID, conversationID int64) (*model.CSAT, error) {
	c, err := csatOf(ctx, s, s.db, workspaceID, conversationID)
	if err != nil {
		return nil, notFound(err, "csat")
	}
	return c, nil
}

// SubmitCSAT records a customer's rating of their resolved (or closed)
// conversation, with a csat.submitted event the customer's stream sees too.
// A conversation keeps one rating: a new score or comment replaces it
// (created=false, another event); the same score and comment again changes
// nothing and appends no event, so a retried request is harmless. A
// conversation that is not resolved is a conflict; one of another customer
// is not found.
func (s *Store) SubmitCSAT(ctx context.Context, workspaceID, conversationID, customerID int64, score int, comment string, now time.Time) (rating *model.CSAT, created bool, err error) {
	comment, err = model.ValidateCSAT(score, comment)
	if err != nil {
		return nil, false, fmt.Errorf("store: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		created = false
		conv, err := s.lockConversation(ctx, tx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		if conv.CustomerID != customerID {
			return fmt.Errorf("conversation: %w", ErrNotFound)
		}
		if conv.Status != model.StatusResolved && conv.Status != model.StatusClosed {
			return fmt.Errorf("the conversation is %s; it can be rated once it is resolved: %w", conv.Status, ErrConflict)
		}
		prev, err := csatOf(ctx, s, tx, workspaceID, conversationID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			prev = nil
		case err != nil:
			return err
		case prev.Score == score && prev.Comment == comment:
			rating = prev
			return nil
		}
		if prev == nil {
			created = true
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO csat_ratings (`+csatColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
				conversationID, workspaceID, customerID, nullInt64(conv.AssigneeID), score, comment, micros(now), micros(now))
		} else {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE csat_ratings SET score = ?, comment = ?, agent_id = ?, updated_at = ? WHERE conversation_id = ?`),
				score, comment, nullInt64(conv.AssigneeID), micros(now), conversationID)
		}
		if err != nil {
			return err
		}
		if rating, err = csatOf(ctx, s, tx, workspaceID, conversationID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventCSATSubmitted, conv, false), rating, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: submit csat: %w", err)
	}
	return rating, created, nil
}
