package store

// Lock order. A transaction that locks several conversations, agents and
// offers takes them in ONE order, or two of them can each hold what the
// other waits for (PostgreSQL's 40P01):
//
//	conversations → agents → offers → the workspace's event lock
//
// each kind in ascending id order, skipping the kinds it does not need.
// A transaction that learns what to lock from an offer (accept, decline,
// expire) reads the offer first without a lock, locks its conversation
// and agent, then locks the offer and checks it again. Inserting an offer
// locks nothing anyone else can wait for before commit. The events are
// inserted at commit (insertEvents), after every row lock.
// TestOffersTakesAndHandBacksDoNotDeadlock holds us to it.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const offerColumns = `o.id, o.workspace_id, o.conversation_id, o.agent_id, o.status, o.created_at, o.expires_at, o.decided_at, o.ring`

func scanOffer(row scanner) (*model.Offer, error) {
	var o model.Offer
	var created, expires int64
	var decided sql.NullInt64
	if err := row.Scan(&o.ID, &o.WorkspaceID, &o.ConversationID, &o.AgentID, &o.Status, &created, &expires, &decided, &o.Ring); err != nil {
		return nil, err
	}
	o.CreatedAt, o.ExpiresAt, o.DecidedAt = fromMicros(created), fromMicros(expires), timePtr(decided)
	return &o, nil
}

func (s *Store) queryOffers(ctx context.Context, q queryer, where string, args ...any) ([]*model.Offer, error) {
	// A row-lock clause belongs after ORDER BY (PostgreSQL insists).
	lock := ""
	if s.d.forUpdate != "" && strings.HasSuffix(where, s.d.forUpdate) {
		where, lock = strings.TrimSuffix(where, s.d.forUpdate), s.d.forUpdate
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+offerColumns+` FROM offers o WHERE `+where+` ORDER BY o.id`+lock), args...)
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
	// Offered holds the queued conversations that have a pending offer.
	Offered []QueuedConversation
	// Agents holds the workspace's available agents certified for it.
	Agents []AgentLoad
	// Pending holds the workspace's pending offers.
	Pending []PendingOffer
	// StaffSkills lists every skill (and "lang:xx") of the workspace's
	// certified staff, whatever their status.
	StaffSkills []string
}

// QueuedConversation is a conversation waiting for a person, with what
// routing reads from it.
type QueuedConversation struct {
	ID         int64
	CustomerID int64
	QueuedAt   time.Time
	// What triage read, and the customer's tier.
	Language, Intent, Sensitive string
	Frustrated, VIP             bool
	// Ring is the bullseye ring recorded for this time in the queue.
	Ring int
	// Boost is extra priority for this time in the queue: a conversation
	// handed back by an agent who went offline goes to the front.
	Boost time.Duration
	// TriedAgents are agents who already let an offer of it go (declined,
	// expired or rescinded), with the time of their latest one.
	TriedAgents map[int64]time.Time
	// PreviousAgentID served the customer last, at PreviousAt (sticky
	// routing); zero when nobody did within the window asked for.
	PreviousAgentID int64
	PreviousAt      time.Time
}

// AgentLoad is an available agent and the work they hold.
type AgentLoad struct {
	ID              int64
	Capacity        int
	Active          int
	PendingOffers   int
	StatusChangedAt time.Time
	LastOfferedAt   *time.Time
	Quality         float64
	// Skills maps skills (and "lang:xx") to levels; Workspaces lists the
	// workspaces the agent is certified for.
	Skills     map[string]int
	Workspaces []int64
}

// PendingOffer is an offer waiting for its agent's answer.
type PendingOffer struct {
	ID, ConversationID, AgentID int64
	CreatedAt, ExpiresAt        time.Time
}

// maxSnapshotQueue bounds the conversations a dispatch pass reads: the
// oldest, which — priority being waiting time plus bounded boosts — are
// the ones that can be served next.
const maxSnapshotQueue = 2000

// RoutingSnapshot reads what routing decides on: the queue (with who was
// tried and, for customers served since stickySince, by whom), the
// available certified agents with their skills and load, the pending
// offers, and the staff's skills. A zero stickySince skips stickiness.
func (s *Store) RoutingSnapshot(ctx context.Context, workspaceID int64, stickySince time.Time) (*DispatchSnapshot, error) {
	snap := &DispatchSnapshot{StaffSkills: []string{}}
	// One read transaction: the queue, who was tried and the pending
	// offers must agree, or a conversation declined between two reads
	// could look free and untried.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name != sqliteDialect.name {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("store: dispatch snapshot: %w", err)
	}
	defer tx.Rollback()
	if err := s.snapshotQueue(ctx, tx, workspaceID, stickySince, snap); err != nil {
		return nil, fmt.Errorf("store: dispatch queue: %w", err)
	}
	if err := s.snapshotAgents(ctx, tx, workspaceID, snap); err != nil {
		return nil, fmt.Errorf("store: dispatch agents: %w", err)
	}
	return snap, nil
}

func (s *Store) snapshotQueue(ctx context.Context, db queryer, workspaceID int64, stickySince time.Time, snap *DispatchSnapshot) error {
	rows, err := db.QueryContext(ctx, s.q(`SELECT c.id, c.customer_id, c.queued_at, c.language, c.intent, c.sensitive, c.frustrated, cu.tier,
		CASE WHEN c.ring_queued_at = c.queued_at THEN c.ring ELSE 0 END,
		CASE WHEN c.front_queued_at = c.queued_at THEN c.front_boost ELSE 0 END,
		CASE WHEN EXISTS (SELECT 1 FROM offers o WHERE o.conversation_id = c.id AND o.status = 'pending') THEN 1 ELSE 0 END
		FROM conversations c JOIN customers cu ON cu.id = c.customer_id
		WHERE c.workspace_id = ? AND c.status = ?
		ORDER BY c.queued_at, c.id LIMIT ?`), workspaceID, model.StatusQueued, maxSnapshotQueue)
	if err != nil {
		return err
	}
	type where struct {
		offered bool
		i       int
	}
	index := map[int64]where{}
	byCustomer := map[int64][]where{}
	for rows.Next() {
		var q QueuedConversation
		var queued sql.NullInt64
		var tier string
		var pending int
		var boost int64
		if err := rows.Scan(&q.ID, &q.CustomerID, &queued, &q.Language, &q.Intent, &q.Sensitive, &q.Frustrated, &tier, &q.Ring, &boost, &pending); err != nil {
			rows.Close()
			return err
		}
		q.QueuedAt, q.VIP, q.Boost = fromMicros(queued.Int64), tier == "vip", time.Duration(boost)*time.Microsecond
		w := where{offered: pending > 0}
		if w.offered {
			w.i = len(snap.Offered)
			snap.Offered = append(snap.Offered, q)
		} else {
			w.i = len(snap.Queue)
			snap.Queue = append(snap.Queue, q)
		}
		index[q.ID] = w
		byCustomer[q.CustomerID] = append(byCustomer[q.CustomerID], w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	at := func(w where) *QueuedConversation {
		if w.offered {
			return &snap.Offered[w.i]
		}
		return &snap.Queue[w.i]
	}
	if len(index) == 0 {
		return nil
	}
	// Offers let go since the conversation was last queued.
	rows, err = db.QueryContext(ctx, s.q(`SELECT o.conversation_id, o.agent_id, MAX(o.decided_at) FROM offers o
		JOIN conversations c ON c.id = o.conversation_id
		WHERE c.workspace_id = ? AND c.status = ? AND o.status <> 'pending' AND o.status <> 'accepted' AND o.created_at >= c.queued_at
		GROUP BY o.conversation_id, o.agent_id`), workspaceID, model.StatusQueued)
	if err != nil {
		return err
	}
	for rows.Next() {
		var convID, agentID int64
		var decided sql.NullInt64
		if err := rows.Scan(&convID, &agentID, &decided); err != nil {
			rows.Close()
			return err
		}
		if w, ok := index[convID]; ok {
			q := at(w)
			if q.TriedAgents == nil {
				q.TriedAgents = map[int64]time.Time{}
			}
			q.TriedAgents[agentID] = fromMicros(decided.Int64)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if stickySince.IsZero() {
		return nil
	}
	// Who served each waiting customer last, if recently.
	rows, err = db.QueryContext(ctx, s.q(`SELECT c.customer_id, o.agent_id, COALESCE(c.resolved_at, o.decided_at) FROM offers o
		JOIN conversations c ON c.id = o.conversation_id
		WHERE c.workspace_id = ? AND o.status = 'accepted' AND COALESCE(c.resolved_at, o.decided_at) >= ?
		AND c.customer_id IN (SELECT q.customer_id FROM conversations q WHERE q.workspace_id = ? AND q.status = ?)`),
		workspaceID, micros(stickySince), workspaceID, model.StatusQueued)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var customerID, agentID, last int64
		if err := rows.Scan(&customerID, &agentID, &last); err != nil {
			return err
		}
		for _, w := range byCustomer[customerID] {
			if q := at(w); fromMicros(last).After(q.PreviousAt) {
				q.PreviousAgentID, q.PreviousAt = agentID, fromMicros(last)
			}
		}
	}
	return rows.Err()
}

func (s *Store) snapshotAgents(ctx context.Context, db queryer, workspaceID int64, snap *DispatchSnapshot) error {
	const certified = `EXISTS (SELECT 1 FROM agent_certifications ac WHERE ac.agent_id = a.id AND ac.workspace_id = a.workspace_id)`
	rows, err := db.QueryContext(ctx, s.q(`SELECT a.id, a.capacity, a.status_changed_at, a.last_offered_at, a.quality_score,
		(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'assigned'),
		(SELECT COUNT(*) FROM offers o WHERE o.agent_id = a.id AND o.status = 'pending')
		FROM agents a WHERE a.workspace_id = ? AND a.status = ? AND `+certified+` ORDER BY a.id`), workspaceID, model.AgentAvailable)
	if err != nil {
		return err
	}
	index := map[int64]int{}
	for rows.Next() {
		var a AgentLoad
		var changed int64
		var offered sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Capacity, &changed, &offered, &a.Quality, &a.Active, &a.PendingOffers); err != nil {
			rows.Close()
			return err
		}
		a.StatusChangedAt, a.LastOfferedAt = fromMicros(changed), timePtr(offered)
		a.Skills = map[string]int{}
		index[a.ID] = len(snap.Agents)
		snap.Agents = append(snap.Agents, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Skills of the whole certified staff: of the available ones, with levels.
	rows, err = db.QueryContext(ctx, s.q(`SELECT sk.agent_id, sk.skill, sk.level FROM agent_skills sk JOIN agents a ON a.id = sk.agent_id
		WHERE a.workspace_id = ? AND `+certified+` ORDER BY sk.skill`), workspaceID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for rows.Next() {
		var agentID int64
		var skill string
		var level int
		if err := rows.Scan(&agentID, &skill, &level); err != nil {
			rows.Close()
			return err
		}
		if !seen[skill] {
			seen[skill] = true
			snap.StaffSkills = append(snap.StaffSkills, skill)
		}
		if i, ok := index[agentID]; ok {
			snap.Agents[i].Skills[skill] = level
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, s.q(`SELECT ac.agent_id, ac.workspace_id FROM agent_certifications ac JOIN agents a ON a.id = ac.agent_id
		WHERE a.workspace_id = ? AND a.status = ? ORDER BY ac.agent_id, ac.workspace_id`), workspaceID, model.AgentAvailable)
	if err != nil {
		return err
	}
	for rows.Next() {
		var agentID, ws int64
		if err := rows.Scan(&agentID, &ws); err != nil {
			rows.Close()
			return err
		}
		if i, ok := index[agentID]; ok {
			snap.Agents[i].Workspaces = append(snap.Agents[i].Workspaces, ws)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, s.q(`SELECT id, conversation_id, agent_id, created_at, expires_at FROM offers
		WHERE workspace_id = ? AND status = 'pending' ORDER BY id`), workspaceID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o PendingOffer
		var created, expires int64
		if err := rows.Scan(&o.ID, &o.ConversationID, &o.AgentID, &created, &expires); err != nil {
			return err
		}
		o.CreatedAt, o.ExpiresAt = fromMicros(created), fromMicros(expires)
		snap.Pending = append(snap.Pending, o)
	}
	return rows.Err()
}

// CreateTimedOffer reserves a queued conversation for an available agent
// for window, noting the bullseye ring the agent was chosen in. It
// re-checks everything inside the transaction — the conversation is still
// queued with no pending offer, the agent is available, certified for the
// workspace, with a free slot counting their pending offers — and returns
// ErrConflict when the world moved on since the snapshot. Its creation
// time is read from clock once the transaction holds its locks,
// so time spent waiting for the database (SQLite's write lock, a row lock
// held by another node) is not taken from the agent's time to accept.
func (s *Store) CreateTimedOffer(ctx context.Context, workspaceID, conversationID, agentID int64, ring int, window time.Duration, clock func() time.Time) (*model.Offer, error) {
	return s.createOffer(ctx, workspaceID, conversationID, agentID, ring, func() (time.Time, time.Time) {
		now := clock()
		return now, now.Add(window)
	})
}

// createOffer reserves the conversation for the agent, with the offer's times (created,
// expires) asked for once the conversation and the agent are locked.
func (s *Store) createOffer(ctx context.Context, workspaceID, conversationID, agentID int64, ring int, times func() (time.Time, time.Time)) (*model.Offer, error) {
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
		now, expiresAt := times()
		var certified int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID).Scan(&certified); err != nil {
			return err
		}
		if certified == 0 {
			return fmt.Errorf("agent is not certified for the workspace: %w", ErrConflict)
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
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at, ring)
			VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (conversation_id) WHERE status = 'pending' DO NOTHING RETURNING id`),
			workspaceID, conversationID, agentID, micros(now), micros(expiresAt), ring).Scan(&id)
		if err == sql.ErrNoRows {
			return fmt.Errorf("conversation already has a pending offer: %w", ErrConflict)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET last_offered_at = ?, offers_received = offers_received + 1 WHERE id = ?`), micros(now), agentID); err != nil {
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

// offerOf returns agentID's offer, locked if lock; another agent's offer is not found.
func (s *Store) offerOf(ctx context.Context, tx *sql.Tx, workspaceID, offerID, agentID int64, lock bool) (*model.Offer, error) {
	where := `o.workspace_id = ? AND o.id = ? AND o.agent_id = ?`
	if lock {
		where += s.d.forUpdate
	}
	offers, err := s.queryOffers(ctx, tx, where, workspaceID, offerID, agentID)
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
		offer, conv = nil, nil
		o, err := s.offerOf(ctx, tx, workspaceID, offerID, agentID, false)
		if err != nil {
			return err
		}
		// The lock order: conversation, agent, then the offer again.
		if _, err := s.lockConversation(ctx, tx, workspaceID, o.ConversationID); err != nil {
			return err
		}
		agent, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		if o, err = s.offerOf(ctx, tx, workspaceID, offerID, agentID, true); err != nil {
			return err
		}
		if o.Status != model.OfferPending || !now.Before(o.ExpiresAt) {
			return ErrOfferUnavailable
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
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET offers_accepted = offers_accepted + 1, expired_in_row = 0 WHERE id = ?`), agentID); err != nil {
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
		offer = nil
		// The lock order: the agent, then the offer.
		if _, err := s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
			return err
		}
		o, err := s.offerOf(ctx, tx, workspaceID, offerID, agentID, false)
		if err != nil {
			return err
		}
		closed, err := s.closeOffers(ctx, tx, `o.id = ?`, []any{o.ID}, model.OfferDeclined, now)
		if err != nil {
			return err
		}
		if len(closed) == 0 {
			return ErrOfferUnavailable
		}
		offer = closed[0]
		_, err = tx.ExecContext(ctx, s.q(`UPDATE agents SET offers_declined = offers_declined + 1, expired_in_row = 0 WHERE id = ?`), agentID)
		return err
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
		expired = nil
		// The lock order: the agents (ascending), then their offers.
		due, err := s.queryOffers(ctx, tx, `o.status = 'pending' AND o.expires_at <= ?`, micros(now))
		if err != nil || len(due) == 0 {
			return err
		}
		var agents, ids []int64
		for _, o := range due {
			agents, ids = append(agents, o.AgentID), append(ids, o.ID)
		}
		slices.Sort(agents)
		for _, id := range slices.Compact(agents) {
			if s.d.forUpdate != "" {
				if _, err := tx.ExecContext(ctx, s.q(`SELECT id FROM agents WHERE id = ?`+s.d.forUpdate), id); err != nil {
					return err
				}
			}
		}
		// Only the offers seen due: one made after the agents were locked waits for the next pass.
		in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		args := []any{micros(now)}
		for _, id := range ids {
			args = append(args, id)
		}
		expired, err = s.closeOffers(ctx, tx, `o.expires_at <= ? AND o.id IN (`+in+`)`, args, model.OfferExpired, now)
		if err != nil {
			return err
		}
		for _, o := range expired {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET offers_expired = offers_expired + 1, expired_in_row = expired_in_row + 1 WHERE id = ?`), o.AgentID); err != nil {
				return err
			}
		}
		return nil
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

// RescindOffer withdraws a pending offer (the routing policy found its
// agent no longer fit to take it); an offer no longer pending is left as it is.
func (s *Store) RescindOffer(ctx context.Context, workspaceID, offerID int64, now time.Time) (*model.Offer, error) {
	var offer *model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		offer = nil
		closed, err := s.closeOffers(ctx, tx, `o.workspace_id = ? AND o.id = ?`, []any{workspaceID, offerID}, model.OfferRescinded, now)
		if len(closed) == 1 {
			offer = closed[0]
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: rescind offer: %w", err)
	}
	return offer, nil
}
