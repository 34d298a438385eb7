package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Transfer says where a conversation a person holds goes next.
type Transfer struct {
	WorkspaceID, ConversationID int64
	// By is the staff member transferring it. Only its owner may, unless
	// Admin is set.
	By    int64
	Admin bool
	// To is the colleague to offer it to; zero sends it back to the queue.
	To int64
	// Reason becomes the conversation's handoff reason ("transferred by Ana").
	Reason string
	// ExpiresAt is the deadline of the offer to the colleague.
	ExpiresAt time.Time
}

// TransferConversation moves an assigned conversation off its owner, in one
// transaction: it goes back to the queue (status queued, no assignee,
// queued now, with Reason; the conversation.queued event tells its
// customer, conversation.transferred its owner), which frees the owner's slot. The owner is recorded as having
// passed on it, so routing spares them for its cooldown rather than offer
// it straight back. With To set, the conversation is offered to that
// colleague at once — the offer routing would make, with the same checks
// (available, certified for the workspace, a free slot counting their
// pending offers) and the same offer.created event; should they decline or
// let it expire, routing offers it on as usual.
//
// Conflicts (ErrConflict, with a message for people): the conversation is
// not assigned, or not the caller's; the colleague is its owner already,
// not available, not certified or has no free slot. An unknown colleague is
// ErrNotFound.
func (s *Store) TransferConversation(ctx context.Context, t Transfer, now time.Time) (conv *model.Conversation, offer *model.Offer, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		conv, offer = nil, nil
		c, err := s.lockConversation(ctx, tx, t.WorkspaceID, t.ConversationID)
		if err != nil {
			return err
		}
		if c.Status != model.StatusAssigned || c.AssigneeID == nil {
			return fmt.Errorf("the conversation is %s; only a conversation a person holds can be transferred: %w", c.Status, ErrConflict)
		}
		from := *c.AssigneeID
		if from != t.By && !t.Admin {
			return fmt.Errorf("the conversation is %s's, not yours to transfer: %w", c.AssigneeName, ErrConflict)
		}
		if t.To != 0 {
			if t.To == from {
				return fmt.Errorf("the conversation is %s's already: %w", c.AssigneeName, ErrConflict)
			}
			if err := s.checkTransferTarget(ctx, tx, t.WorkspaceID, t.To); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, handoff_reason = ?, queued_at = ?, updated_at = ?, assignee_id = NULL, resolved_at = NULL
			WHERE id = ? AND status = ?`), model.StatusQueued, t.Reason, micros(now), micros(now), c.ID, model.StatusAssigned)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("the conversation changed meanwhile: %w", ErrConflict)
		}
		// The owner passed on it: routing's cooldown reads offers let go
		// since the conversation was queued.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at, decided_at, ring)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0)`), t.WorkspaceID, c.ID, from, model.OfferDeclined, micros(now), micros(now), micros(now)); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, t.WorkspaceID, c.ID); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, conversationEvent(model.EventConversationQueued, conv, false), conv, now); err != nil {
			return err
		}
		// The owner's stream no longer follows the conversation: tell them it left them.
		left := model.Event{WorkspaceID: t.WorkspaceID, Type: model.EventConversationTransferred, ConversationID: &conv.ID, AgentID: &from, StaffOnly: true}
		if err := s.appendEvent(ctx, tx, left, conv, now); err != nil {
			return err
		}
		if t.To == 0 {
			return nil
		}
		offer, err = s.offerTransfer(ctx, tx, conv, t.To, t.ExpiresAt, now)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: transfer conversation: %w", err)
	}
	return conv, offer, nil
}

// checkTransferTarget locks the colleague and checks they can take an
// offer now.
func (s *Store) checkTransferTarget(ctx context.Context, tx *sql.Tx, workspaceID, agentID int64) error {
	agent, err := s.lockAgent(ctx, tx, workspaceID, agentID)
	if err != nil {
		return err
	}
	if agent.Status != model.AgentAvailable {
		return fmt.Errorf("%s is %s; only an available colleague can take a transfer: %w", agent.Name, agent.Status, ErrConflict)
	}
	var certified int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID).Scan(&certified); err != nil {
		return err
	}
	if certified == 0 {
		return fmt.Errorf("%s is not certified for this workspace: %w", agent.Name, ErrConflict)
	}
	var pending int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM offers WHERE agent_id = ? AND status = 'pending'`), agentID).Scan(&pending); err != nil {
		return err
	}
	if agent.Active+pending >= agent.Capacity {
		return fmt.Errorf("%s has no free slot (%d of %d in hand or offered): %w", agent.Name, agent.Active+pending, agent.Capacity, ErrConflict)
	}
	return nil
}

// offerTransfer offers the just re-queued conversation to a colleague, as
// CreateTimedOffer does in ring 0, inside the transfer's transaction.
func (s *Store) offerTransfer(ctx context.Context, tx *sql.Tx, conv *model.Conversation, agentID int64, expiresAt, now time.Time) (*model.Offer, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at, ring)
		VALUES (?, ?, ?, 'pending', ?, ?, 0) ON CONFLICT (conversation_id) WHERE status = 'pending' DO NOTHING RETURNING id`),
		conv.WorkspaceID, conv.ID, agentID, micros(now), micros(expiresAt)).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("conversation already has a pending offer: %w", ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET last_offered_at = ?, offers_received = offers_received + 1 WHERE id = ?`), micros(now), agentID); err != nil {
		return nil, err
	}
	offer, err := scanOffer(tx.QueryRowContext(ctx, s.q(`SELECT `+offerColumns+` FROM offers o WHERE o.id = ?`), id))
	if err != nil {
		return nil, err
	}
	offer.Conversation = conv
	var preview sql.NullString
	if err := tx.QueryRowContext(ctx, s.q(`SELECT body FROM messages WHERE conversation_id = ? AND author_kind = ? AND internal = ?
		ORDER BY seq DESC LIMIT 1`), conv.ID, model.AuthorCustomer, false).Scan(&preview); err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	offer.Preview = preview.String
	if err := s.appendEvent(ctx, tx, offerEvent(model.EventOfferCreated, offer), offer, now); err != nil {
		return nil, err
	}
	return offer, nil
}
