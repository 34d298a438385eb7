package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// PayPolicy reads a workspace's pay policy (JSON); ErrNotFound when it has none.
func (s *Store) PayPolicy(ctx context.Context, workspaceID int64) (string, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT policy FROM pay_policies WHERE workspace_id = ?`), workspaceID).Scan(&raw)
	if err != nil {
		return "", notFound(err, "pay policy")
	}
	return raw, nil
}

// SetPayPolicy stores a workspace's pay policy (validated by the caller).
// The currency cannot change once the ledger has entries in another one:
// totals must add up in one currency (ErrConflict).
func (s *Store) SetPayPolicy(ctx context.Context, workspaceID int64, raw, currency string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var other int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM ledger_entries WHERE workspace_id = ? AND currency <> ?`), workspaceID, currency).Scan(&other); err != nil {
			return err
		}
		if other > 0 {
			return fmt.Errorf("the ledger has entries in another currency; the currency cannot change: %w", ErrConflict)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO pay_policies (workspace_id, policy, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (workspace_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`), workspaceID, raw, micros(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set pay policy: %w", err)
	}
	return nil
}

// QueueLoad is how many conversations of a workspace wait and since when
// the oldest has waited (nil: none waits).
func (s *Store) QueueLoad(ctx context.Context, workspaceID int64) (queued int, oldest *time.Time, err error) {
	var min sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), MIN(queued_at) FROM conversations WHERE workspace_id = ? AND status = ?`),
		workspaceID, model.StatusQueued).Scan(&queued, &min); err != nil {
		return 0, nil, fmt.Errorf("store: queue load: %w", err)
	}
	return queued, timePtr(min), nil
}

// PayLoad is the pressure surge pay reads: the queue now, and the pay
// multiplier of the shift slot the person booked that covers now.
type PayLoad struct {
	Queued      int
	OldestWait  time.Duration
	SlotPercent int64 // 0: no booked slot now
}

// PayLoad reads the load surge pay depends on for a person of a workspace.
func (s *Store) PayLoad(ctx context.Context, workspaceID, agentID int64, now time.Time) (PayLoad, error) {
	var l PayLoad
	queued, oldest, err := s.QueueLoad(ctx, workspaceID)
	if err != nil {
		return l, err
	}
	l.Queued = queued
	if oldest != nil {
		l.OldestWait = max(now.Sub(*oldest), 0)
	}
	if l.SlotPercent, err = s.bookedSlotPercent(ctx, workspaceID, agentID, now); err != nil {
		return l, fmt.Errorf("store: pay load: %w", err)
	}
	return l, nil
}

// Earning is what resolving a conversation pays the person who holds it:
// entries written in the resolving transaction, once.
type Earning struct {
	AgentID  int64
	Currency string
	Entries  []EarningEntry
}

// EarningEntry is one amount of an Earning.
type EarningEntry struct {
	Kind       string
	Amount     int64
	Multiplier int64 // hundredths: 150 is ×1.5
}

// LedgerEntry is one amount owed to a person.
type LedgerEntry struct {
	ID             int64     `json:"id"`
	WorkspaceID    int64     `json:"-"`
	AgentID        int64     `json:"agent_id"`
	Kind           string    `json:"kind"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	ConversationID *int64    `json:"conversation_id"`
	Multiplier     int64     `json:"multiplier_percent"`
	Reason         string    `json:"reason,omitempty"`
	CreatedBy      *int64    `json:"created_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// payResolve writes what a resolve earned, in the resolving transaction:
// only to the person who held the conversation when it was resolved, and
// once per conversation, person and kind (source_key), whatever retries or
// races happen.
func (s *Store) payResolve(ctx context.Context, tx *sql.Tx, cur *model.Conversation, pay *Earning, now time.Time) error {
	if pay == nil || cur.Status != model.StatusAssigned || cur.AssigneeID == nil || *cur.AssigneeID != pay.AgentID {
		return nil
	}
	for _, e := range pay.Entries {
		key := fmt.Sprintf("resolve:%d:%d:%s", cur.ID, pay.AgentID, e.Kind)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ledger_entries (workspace_id, agent_id, kind, amount, currency, conversation_id, multiplier, source_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`),
			cur.WorkspaceID, pay.AgentID, e.Kind, e.Amount, pay.Currency, cur.ID, e.Multiplier, key, micros(now)); err != nil {
			return err
		}
	}
	return nil
}

// AddAdjustment appends a manual entry (an adjustment or a bonus) with its
// reason, for a person of the workspace.
func (s *Store) AddAdjustment(ctx context.Context, e LedgerEntry) (*LedgerEntry, error) {
	var out *LedgerEntry
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := agentByID(ctx, s, tx, e.WorkspaceID, e.AgentID); err != nil {
			return notFound(err, "agent")
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO ledger_entries (workspace_id, agent_id, kind, amount, currency, reason, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.WorkspaceID, e.AgentID, e.Kind, e.Amount, e.Currency, e.Reason,
			nullInt64(e.CreatedBy), micros(e.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		e.ID, e.Multiplier = id, 100
		out = &e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: add adjustment: %w", err)
	}
	return out, nil
}

// Ledger lists a workspace's entries created in [from, to), oldest first;
// agentID 0 means everyone's.
func (s *Store) Ledger(ctx context.Context, workspaceID, agentID int64, from, to time.Time) ([]*LedgerEntry, error) {
	q := `SELECT id, workspace_id, agent_id, kind, amount, currency, conversation_id, multiplier, reason, created_by, created_at
		FROM ledger_entries WHERE workspace_id = ? AND created_at >= ? AND created_at < ?`
	args := []any{workspaceID, micros(from), micros(to)}
	if agentID != 0 {
		q += ` AND agent_id = ?`
		args = append(args, agentID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: ledger: %w", err)
	}
	defer rows.Close()
	var out []*LedgerEntry
	for rows.Next() {
		var e LedgerEntry
		var conv, by sql.NullInt64
		var at int64
		if err := rows.Scan(&e.ID, &e.WorkspaceID, &e.AgentID, &e.Kind, &e.Amount, &e.Currency, &conv, &e.Multiplier, &e.Reason, &by, &at); err != nil {
			return nil, fmt.Errorf("store: ledger: %w", err)
		}
		e.ConversationID, e.CreatedBy, e.CreatedAt = int64Ptr(conv), int64Ptr(by), fromMicros(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// PayPeriod is a closed pay period.
type PayPeriod struct {
	Period   string    `json:"period"`
	Total    int64     `json:"total"`
	Currency string    `json:"currency"`
	ClosedBy *int64    `json:"closed_by,omitempty"`
	ClosedAt time.Time `json:"closed_at"`
}

// PeriodRatings sums, per person, the CSAT ratings given in [from, to) of
// conversations they handled: sum and count.
func (s *Store) PeriodRatings(ctx context.Context, workspaceID int64, from, to time.Time) (map[int64][2]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT agent_id, SUM(score), COUNT(*) FROM csat_ratings
		WHERE workspace_id = ? AND agent_id IS NOT NULL AND updated_at >= ? AND updated_at < ? GROUP BY agent_id`), workspaceID, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: period ratings: %w", err)
	}
	defer rows.Close()
	out := map[int64][2]int{}
	for rows.Next() {
		var id int64
		var sum, n int
		if err := rows.Scan(&id, &sum, &n); err != nil {
			return nil, fmt.Errorf("store: period ratings: %w", err)
		}
		out[id] = [2]int{sum, n}
	}
	return out, rows.Err()
}

// ClosePeriod closes a pay period that has ended, recording the total of
// its entries, and appends in the same transaction the bonuses it pays
// (dated now, in the open period; each once, by its source key
// "bonus:<period>:<agent>"). Closing twice is ErrConflict.
func (s *Store) ClosePeriod(ctx context.Context, workspaceID int64, period string, from, to time.Time, currency string, bonuses []LedgerEntry, by int64, now time.Time) (*PayPeriod, error) {
	var out *PayPeriod
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var total sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT SUM(amount) FROM ledger_entries WHERE workspace_id = ? AND created_at >= ? AND created_at < ?`),
			workspaceID, micros(from), micros(to)).Scan(&total); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO pay_periods (workspace_id, period, total, currency, closed_by, closed_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, period) DO NOTHING`), workspaceID, period, total.Int64, currency, by, micros(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("pay period %s is closed already: %w", period, ErrConflict)
		}
		for _, b := range bonuses {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ledger_entries (workspace_id, agent_id, kind, amount, currency, multiplier, reason, source_key, created_at)
				VALUES (?, ?, ?, ?, ?, 100, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`), workspaceID, b.AgentID, b.Kind, b.Amount, currency, b.Reason,
				fmt.Sprintf("bonus:%s:%d", period, b.AgentID), micros(now)); err != nil {
				return err
			}
		}
		out = &PayPeriod{Period: period, Total: total.Int64, Currency: currency, ClosedBy: &by, ClosedAt: now}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: close period: %w", err)
	}
	return out, nil
}

// PayPeriodClosed returns a closed period; ErrNotFound while it is open.
func (s *Store) PayPeriodClosed(ctx context.Context, workspaceID int64, period string) (*PayPeriod, error) {
	var p PayPeriod
	var by sql.NullInt64
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT period, total, currency, closed_by, closed_at FROM pay_periods WHERE workspace_id = ? AND period = ?`),
		workspaceID, period).Scan(&p.Period, &p.Total, &p.Currency, &by, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: pay period: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: pay period: %w", err)
	}
	p.ClosedBy, p.ClosedAt = int64Ptr(by), fromMicros(at)
	return &p, nil
}

// PayPeriods lists a workspace's closed pay periods, newest first.
func (s *Store) PayPeriods(ctx context.Context, workspaceID int64) ([]*PayPeriod, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT period, total, currency, closed_by, closed_at FROM pay_periods WHERE workspace_id = ? ORDER BY period DESC`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: pay periods: %w", err)
	}
	defer rows.Close()
	var out []*PayPeriod
	for rows.Next() {
		var p PayPeriod
		var by sql.NullInt64
		var at int64
		if err := rows.Scan(&p.Period, &p.Total, &p.Currency, &by, &at); err != nil {
			return nil, fmt.Errorf("store: pay periods: %w", err)
		}
		p.ClosedBy, p.ClosedAt = int64Ptr(by), fromMicros(at)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// SeedLedgerEntry appends an entry under a source key unless one with that
// key exists (the demo's history, written once however often it seeds).
func (s *Store) SeedLedgerEntry(ctx context.Context, e LedgerEntry, sourceKey string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ledger_entries (workspace_id, agent_id, kind, amount, currency, conversation_id, multiplier, reason, source_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`),
		e.WorkspaceID, e.AgentID, e.Kind, e.Amount, e.Currency, nullInt64(e.ConversationID), e.Multiplier, e.Reason, sourceKey, micros(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: seed ledger entry: %w", err)
	}
	return nil
}
