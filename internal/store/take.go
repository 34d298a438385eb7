package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// TakeConversation makes an agent the owner of a queued conversation they
// picked from the queue, with the invariants of an accepted offer, checked
// in one transaction: the conversation is still queued and has no pending
// offer to anyone else (an offer to the agent themselves is accepted), the
// agent is available, certified for the workspace and has a free slot
// counting their other pending offers; the conditional update keeps one
// owner. The take is recorded as an accepted offer (offer.accepted and
// conversation.assigned events), as if offered and accepted at once, so
// statistics and sticky routing see it. Conflicts are ErrConflict with a
// message for people; whether the agent has the skills is the caller's
// (routing's) to decide.
func (s *Store) TakeConversation(ctx context.Context, workspaceID, conversationID, agentID int64, now time.Time) (*model.Offer, *model.Conversation, error) {
	var offer *model.Offer
	var conv *model.Conversation
	err := s.tx(ctx, func(tx *sql.Tx) error {
		offer, conv = nil, nil
		c, err := s.lockConversation(ctx, tx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		if c.Status != model.StatusQueued {
			return fmt.Errorf("the conversation is %s, not waiting in the queue: %w", c.Status, ErrConflict)
		}
		agent, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		if agent.Status != model.AgentAvailable {
			return fmt.Errorf("you are %s; set yourself available to take conversations: %w", agent.Status, ErrConflict)
		}
		var certified int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID).Scan(&certified); err != nil {
			return err
		}
		if certified == 0 {
			return fmt.Errorf("you are not certified for this workspace: %w", ErrConflict)
		}
		pending, err := s.queryOffers(ctx, tx, `o.status = 'pending' AND (o.conversation_id = ? OR o.agent_id = ?)`+s.d.forUpdate, conversationID, agentID)
		if err != nil {
			return err
		}
		var mine *model.Offer
		others := 0
		for _, o := range pending {
			switch {
			case o.ConversationID == conversationID && o.AgentID != agentID:
				return fmt.Errorf("the conversation is being offered to a colleague: %w", ErrConflict)
			case o.ConversationID == conversationID:
				mine = o
			default:
				others++
			}
		}
		if agent.Active+others >= agent.Capacity {
			return fmt.Errorf("you have no free slot (%d of %d in hand or offered): %w", agent.Active+others, agent.Capacity, ErrConflict)
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, assignee_id = ?, assigned_at = ?, had_human = ?, updated_at = ?
			WHERE id = ? AND status = ? AND assignee_id IS NULL`),
			model.StatusAssigned, agentID, micros(now), true, micros(now), conversationID, model.StatusQueued)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("the conversation changed meanwhile: %w", ErrConflict)
		}
		if mine != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE offers SET status = 'accepted', decided_at = ? WHERE id = ?`), micros(now), mine.ID); err != nil {
				return err
			}
			mine.Status, mine.DecidedAt = model.OfferAccepted, &now
			offer = mine
		} else {
			var id int64
			if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at, decided_at, ring)
				VALUES (?, ?, ?, 'accepted', ?, ?, ?, 0) RETURNING id`), workspaceID, conversationID, agentID, micros(now), micros(now), micros(now)).Scan(&id); err != nil {
				return err
			}
			if offer, err = scanOffer(tx.QueryRowContext(ctx, s.q(`SELECT `+offerColumns+` FROM offers o WHERE o.id = ?`), id)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET offers_accepted = offers_accepted + 1, expired_in_row = 0 WHERE id = ?`), agentID); err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, offerEvent(model.EventOfferAccepted, offer), offer, now); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, conversationID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationAssigned, conv, false), conv, now)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: take conversation: %w", err)
	}
	return offer, conv, nil
}

// HandBack gives an agent's work back, in one transaction: their pending
// offers are rescinded, and every conversation they hold goes back to the
// queue (no assignee, with reason) queued at queuedAt(i) for the i-th of
// them in id order — the caller picks the times that put
// them at the front. Each gets the conversation.queued event that tells
// its customer, and conversation.transferred for the agent's stream. It
// returns the conversations requeued and the offers rescinded.
func (s *Store) HandBack(ctx context.Context, workspaceID, agentID int64, reason string, boost func(i int) time.Duration, now time.Time) ([]*model.Conversation, []*model.Offer, error) {
	var convs []*model.Conversation
	var rescinded []*model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		_, convs, rescinded, err = s.handBack(ctx, tx, workspaceID, agentID, reason, boost, false, now)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: hand back: %w", err)
	}
	return convs, rescinded, nil
}

// GoOffline sets an agent offline and hands their work back (as HandBack
// does) in one transaction, so a failure leaves them as they were — still
// holding their conversations, with their status — rather than offline
// with conversations nobody will answer. It returns the agent as they are
// now, the conversations requeued and the offers rescinded.
func (s *Store) GoOffline(ctx context.Context, workspaceID, agentID int64, reason string, boost func(i int) time.Duration, now time.Time) (*model.Agent, []*model.Conversation, []*model.Offer, error) {
	var agent *model.Agent
	var convs []*model.Conversation
	var rescinded []*model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		agent, convs, rescinded, err = s.handBack(ctx, tx, workspaceID, agentID, reason, boost, true, now)
		return err
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("store: go offline: %w", err)
	}
	return agent, convs, rescinded, nil
}

// handBack is HandBack inside tx, setting the agent offline first if offline.
func (s *Store) handBack(ctx context.Context, tx *sql.Tx, workspaceID, agentID int64, reason string, boost func(i int) time.Duration, offline bool, now time.Time) (agent *model.Agent, convs []*model.Conversation, rescinded []*model.Offer, err error) {
	// The lock order (offers.go): conversations, the agent, its offers.
	ids, err := queryIDs(ctx, tx, s.q(`SELECT id FROM conversations WHERE workspace_id = ? AND assignee_id = ? AND status = ?
		ORDER BY id`), workspaceID, agentID, model.StatusAssigned)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, id := range ids {
		if _, err := s.lockConversation(ctx, tx, workspaceID, id); err != nil {
			return nil, nil, nil, err
		}
	}
	if agent, err = s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
		return nil, nil, nil, err
	}
	if offline && agent.Status != model.AgentOffline {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET status = ?, status_changed_at = ?, status_reason = '', expired_in_row = 0 WHERE id = ?`),
			model.AgentOffline, micros(now), agentID); err != nil {
			return nil, nil, nil, err
		}
		if agent, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return nil, nil, nil, err
		}
		if err := s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentStatusChanged, AgentID: &agentID, StaffOnly: true}, agent, now); err != nil {
			return nil, nil, nil, err
		}
	}
	if rescinded, err = s.closeOffers(ctx, tx, `o.agent_id = ?`, []any{agentID}, model.OfferRescinded, now); err != nil {
		return nil, nil, nil, err
	}
	for i, id := range ids {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, handoff_reason = ?, queued_at = ?, updated_at = ?, assignee_id = NULL, resolved_at = NULL,
			front_boost = ?, front_queued_at = ? WHERE id = ? AND status = ? AND assignee_id = ?`),
			model.StatusQueued, reason, micros(now), micros(now), boost(i).Microseconds(), micros(now), id, model.StatusAssigned, agentID)
		if err != nil {
			return nil, nil, nil, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		conv, err := conversationByID(ctx, s, tx, workspaceID, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := s.appendEvent(ctx, tx, conversationEvent(model.EventConversationQueued, conv, false), conv, now); err != nil {
			return nil, nil, nil, err
		}
		left := model.Event{WorkspaceID: workspaceID, Type: model.EventConversationTransferred, ConversationID: &conv.ID, AgentID: &agentID, StaffOnly: true}
		if err := s.appendEvent(ctx, tx, left, conv, now); err != nil {
			return nil, nil, nil, err
		}
		convs = append(convs, conv)
	}
	if offline { // as they are now, without the work handed back
		if agent, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return nil, nil, nil, err
		}
	}
	return agent, convs, rescinded, nil
}
