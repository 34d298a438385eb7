package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const offerColumns = `o.id, o.workspace_id, o.conversation_id, o.agent_id, o.status, o.created_at, o.expires_at, o.decided_at`

func scanOffer(row scanner) (*model.Offer, error) {
	var o model.Offer
	var created, expires int64
	var decided sql.NullInt64
	if err := row.Scan(&o.ID, &o.WorkspaceID, &o.ConversationID, &o.AgentID, &o.Status, &created, &expires, &decided); err != nil {
		return nil, err
	}
	o.CreatedAt, o.ExpiresAt, o.DecidedAt = fromMicros(created), fromMicros(expires), timePtr(decided)
	return &o, nil
}

func (s *Store) queryOffers(ctx context.Context, q queryer, where string, args ...any) ([]*model.Offer, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+offerColumns+` FROM offers o WHERE `+where+` ORDER BY o.id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Offer
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func offerEvent(typ string, o *model.Offer) model.Event {
	return model.Event{WorkspaceID: o.WorkspaceID, Type: typ, ConversationID: &o.ConversationID, AgentID: &o.AgentID, StaffOnly: true}
}

// closeOffers moves the pending offers matching where (over alias o) to
// status, each with its event, inside tx.
func (s *Store) closeOffers(ctx context.Context, tx *sql.Tx, where string, args []any, status model.OfferStatus, now time.Time) ([]*model.Offer, error) {
	offers, err := s.queryOffers(ctx, tx, `o.status = 'pending' AND `+where+s.d.forUpdate, args...)
	if err != nil {
		return nil, err
	}
	typ := map[model.OfferStatus]string{
		model.OfferExpired: model.EventOfferExpired, model.OfferRescinded: model.EventOfferRescinded, model.OfferDeclined: model.EventOfferDeclined,
	}[status]
	for _, o := range offers {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE offers SET status = ?, decided_at = ? WHERE id = ?`), status, micros(now), o.ID); err != nil {
			return nil, err
		}
		o.Status, o.DecidedAt = status, &now
		if err := s.appendEvent(ctx, tx, offerEvent(typ, o), o, now); err != nil {
			return nil, err
		}
	}
	return offers, nil
}

// DispatchSnapshot is what the routing policy needs to decide offers.
type DispatchSnapshot struct {
	// Queue holds the queued conversations without a pending offer, oldest first.
	Queue []QueuedConversation
	// Agents holds the workspace's available agents.
	Agents []AgentLoad
}

// QueuedConversation is a conversation waiting for a person.
type QueuedConversation struct {
	ID       int64
	QueuedAt time.Time
	// TriedAgents are agents who already let an offer of it go (declined,
	// expired or rescinded), with the time of their latest one.
	TriedAgents map[int64]time.Time
}

// AgentLoad is an available agent and the work they hold.
type AgentLoad struct {
	ID              int64
	Capacity        int
	Active          int
	PendingOffers   int
	StatusChangedAt time.Time
	LastOfferedAt   *time.Time
}

// DispatchSnapshot reads the queue and the available agents of a workspace.
func (s *Store) DispatchSnapshot(ctx context.Context, workspaceID int64) (*DispatchSnapshot, error) {
	snap := &DispatchSnapshot{}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT c.id, c.queued_at FROM conversations c
		WHERE c.workspace_id = ? AND c.status = ?
		AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.conversation_id = c.id AND o.status = 'pending')
		ORDER BY c.queued_at, c.id LIMIT 1000`), workspaceID, model.StatusQueued)
	if err != nil {
		return nil, fmt.Errorf("store: dispatch queue: %w", err)
	}
	index := map[int64]int{}
	for rows.Next() {
		var q QueuedConversation
		var queued sql.NullInt64
		if err := rows.Scan(&q.ID, &queued); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: dispatch queue: %w", err)
		}
		q.QueuedAt = fromMicros(queued.Int64)
		index[q.ID] = len(snap.Queue)
		snap.Queue = append(snap.Queue, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: dispatch queue: %w", err)
	}
	if len(snap.Queue) > 0 {
		// Offers let go since the conversation was last queued.
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT o.conversation_id, o.agent_id, MAX(o.decided_at) FROM offers o
			JOIN conversations c ON c.id = o.conversation_id
			WHERE c.workspace_id = ? AND c.status = ? AND o.status <> 'pending' AND o.status <> 'accepted' AND o.created_at >= c.queued_at
			GROUP BY o.conversation_id, o.agent_id`), workspaceID, model.StatusQueued)
		if err != nil {
			return nil, fmt.Errorf("store: dispatch history: %w", err)
		}
		for rows.Next() {
			var convID, agentID int64
			var at sql.NullInt64
			if err := rows.Scan(&convID, &agentID, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: dispatch history: %w", err)
			}
			if i, ok := index[convID]; ok {
				q := &snap.Queue[i]
				if q.TriedAgents == nil {
					q.TriedAgents = map[int64]time.Time{}
				}
				q.TriedAgents[agentID] = fromMicros(at.Int64)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: dispatch history: %w", err)
		}
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT a.id, a.capacity, a.status_changed_at, a.last_offered_at,
		(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'assigned'),
		(SELECT COUNT(*) FROM offers o WHERE o.agent_id = a.id AND o.status = 'pending')
		FROM agents a WHERE a.workspace_id = ? AND a.status = ? ORDER BY a.id`), workspaceID, model.AgentAvailable)
	if err != nil {
		return nil, fmt.Errorf("store: dispatch agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AgentLoad
		var changed int64
		var offered sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Capacity, &changed, &offered, &a.Active, &a.PendingOffers); err != nil {
			return nil, fmt.Errorf("store: dispatch agents: %w", err)
		}
		a.StatusChangedAt, a.LastOfferedAt = fromMicros(changed), timePtr(offered)
		snap.Agents = append(snap.Agents, a)
	}
	return snap, rows.Err()
}

// CreateOffer reserves a queued conversation for an available agent until
// expiresAt. It re-checks everything inside the transaction — the
// conversation is still queued with no pending offer, the agent is available
// with a free slot counting their pending offers — and returns ErrConflict
// when the world moved on since the snapshot.
func (s *Store) CreateOffer(ctx context.Context, workspaceID, conversationID, agentID int64, expiresAt, now time.Time) (*model.Offer, error) {
	var offer *model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		conv, err := s.lockConversation(ctx, tx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		if conv.Status != model.StatusQueued {
			return fmt.Errorf("conversation is %s, not queued: %w", conv.Status, ErrConflict)
		}
		agent, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		if agent.Status != model.AgentAvailable {
			return fmt.Errorf("agent is %s: %w", agent.Status, ErrConflict)
		}
		var pending int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM offers WHERE agent_id = ? AND status = 'pending'`), agentID).Scan(&pending); err != nil {
			return err
		}
		if agent.Active+pending >= agent.Capacity {
			return fmt.Errorf("agent has no free slot: %w", ErrConflict)
		}
		var id int64
		// The partial unique index turns a second pending offer into no row.
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at)
			VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (conversation_id) WHERE status = 'pending' DO NOTHING RETURNING id`),
			workspaceID, conversationID, agentID, micros(now), micros(expiresAt)).Scan(&id)
		if err == sql.ErrNoRows {
			return fmt.Errorf("conversation already has a pending offer: %w", ErrConflict)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET last_offered_at = ? WHERE id = ?`), micros(now), agentID); err != nil {
			return err
		}
		if offer, err = scanOffer(tx.QueryRowContext(ctx, s.q(`SELECT `+offerColumns+` FROM offers o WHERE o.id = ?`), id)); err != nil {
			return err
		}
		offer.Conversation = conv
		var preview sql.NullString
		if err := tx.QueryRowContext(ctx, s.q(`SELECT body FROM messages WHERE conversation_id = ? AND author_kind = ?
			ORDER BY seq DESC LIMIT 1`), conversationID, model.AuthorCustomer).Scan(&preview); err != nil && err != sql.ErrNoRows {
			return err
		}
		offer.Preview = preview.String
		return s.appendEvent(ctx, tx, offerEvent(model.EventOfferCreated, offer), offer, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create offer: %w", err)
	}
	return offer, nil
}

func (s *Store) lockAgent(ctx context.Context, tx *sql.Tx, workspaceID, agentID int64) (*model.Agent, error) {
	if s.d.forUpdate != "" {
		if _, err := tx.ExecContext(ctx, s.q(`SELECT id FROM agents WHERE workspace_id = ? AND id = ?`+s.d.forUpdate), workspaceID, agentID); err != nil {
			return nil, err
		}
	}
	a, err := agentByID(ctx, s, tx, workspaceID, agentID)
	if err != nil {
		return nil, notFound(err, "agent")
	}
	return a, nil
}

// pendingOfferOf locks and returns agentID's offer; another agent's offer is not found.
func (s *Store) offerOf(ctx context.Context, tx *sql.Tx, workspaceID, offerID, agentID int64) (*model.Offer, error) {
	offers, err := s.queryOffers(ctx, tx, `o.workspace_id = ? AND o.id = ? AND o.agent_id = ?`+s.d.forUpdate, workspaceID, offerID, agentID)
	if err != nil {
		return nil, err
	}
	if len(offers) == 0 {
		return nil, fmt.Errorf("offer: %w", ErrNotFound)
	}
	return offers[0], nil
}

// AcceptOffer makes the agent the conversation's owner. It fails with
// ErrOfferUnavailable when the offer is no longer pending or its deadline
// passed, and with ErrCapacityFull when the agent has no free slot; the
// conversation's single owner is guaranteed by a conditional update.
func (s *Store) AcceptOffer(ctx context.Context, workspaceID, offerID, agentID int64, now time.Time) (*model.Offer, *model.Conversation, error) {
	var offer *model.Offer
	var conv *model.Conversation
	err := s.tx(ctx, func(tx *sql.Tx) error {
		o, err := s.offerOf(ctx, tx, workspaceID, offerID, agentID)
		if err != nil {
			return err
		}
		if o.Status != model.OfferPending || !now.Before(o.ExpiresAt) {
			return ErrOfferUnavailable
		}
		agent, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		if agent.Active >= agent.Capacity {
			return ErrCapacityFull
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, assignee_id = ?, assigned_at = ?, had_human = ?, updated_at = ?
			WHERE id = ? AND status = ? AND assignee_id IS NULL`),
			model.StatusAssigned, agentID, micros(now), true, micros(now), o.ConversationID, model.StatusQueued)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOfferUnavailable
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE offers SET status = 'accepted', decided_at = ? WHERE id = ?`), micros(now), o.ID); err != nil {
			return err
		}
		o.Status, o.DecidedAt = model.OfferAccepted, &now
		if err := s.appendEvent(ctx, tx, offerEvent(model.EventOfferAccepted, o), o, now); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, o.ConversationID); err != nil {
			return err
		}
		offer = o
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationAssigned, conv, false), conv, now)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: accept offer: %w", err)
	}
	return offer, conv, nil
}

// DeclineOffer lets a pending offer go; the conversation goes back to dispatch.
func (s *Store) DeclineOffer(ctx context.Context, workspaceID, offerID, agentID int64, now time.Time) (*model.Offer, error) {
	var offer *model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		o, err := s.offerOf(ctx, tx, workspaceID, offerID, agentID)
		if err != nil {
			return err
		}
		if o.Status != model.OfferPending {
			return ErrOfferUnavailable
		}
		closed, err := s.closeOffers(ctx, tx, `o.id = ?`, []any{o.ID}, model.OfferDeclined, now)
		if err != nil {
			return err
		}
		offer = closed[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: decline offer: %w", err)
	}
	return offer, nil
}

// ExpireOffers closes every pending offer whose deadline has passed, in all
// workspaces, and returns them.
func (s *Store) ExpireOffers(ctx context.Context, now time.Time) ([]*model.Offer, error) {
	var expired []*model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		expired, err = s.closeOffers(ctx, tx, `o.expires_at <= ?`, []any{micros(now)}, model.OfferExpired, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: expire offers: %w", err)
	}
	return expired, nil
}

// NextOfferDeadline is the earliest deadline of any pending offer; ok is
// false when there is none.
func (s *Store) NextOfferDeadline(ctx context.Context) (deadline time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM offers WHERE status = 'pending'`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next offer deadline: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v.Int64), true, nil
}

// PendingOffers lists an agent's pending offers with their conversations
// and the customer's latest words.
func (s *Store) PendingOffers(ctx context.Context, workspaceID, agentID int64) ([]*model.Offer, error) {
	offers, err := s.queryOffers(ctx, s.db, `o.workspace_id = ? AND o.agent_id = ? AND o.status = 'pending'`, workspaceID, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: pending offers: %w", err)
	}
	for _, o := range offers {
		if o.Conversation, err = s.ConversationByID(ctx, workspaceID, o.ConversationID); err != nil {
			return nil, err
		}
		if m, err := s.LastCustomerMessage(ctx, workspaceID, o.ConversationID); err == nil {
			o.Preview = m.Body
		}
	}
	if offers == nil {
		offers = []*model.Offer{}
	}
	return offers, nil
}
