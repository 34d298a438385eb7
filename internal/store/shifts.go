package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Shift is an open 30-minute slot with its bookings counted.
type Shift struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"-"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Headcount   int       `json:"headcount"`
	// Multiplier is the slot's pay multiplier in hundredths (150: ×1.5).
	Multiplier int64     `json:"multiplier_percent"`
	Booked     int       `json:"booked"`
	CreatedAt  time.Time `json:"created_at"`
	// BookedByMe: the person asking holds a booking of it.
	BookedByMe bool `json:"booked_by_me"`
	// Attended: that person was available during it (past slots).
	Attended bool `json:"attended,omitempty"`
}

// NewShift is a slot to open.
type NewShift struct {
	StartsAt, EndsAt time.Time
	Headcount        int
	Multiplier       int64
}

// CreateShifts opens slots in one transaction; a slot that starts when
// another of the workspace does is ErrConflict, and nothing is written.
func (s *Store) CreateShifts(ctx context.Context, workspaceID int64, slots []NewShift, by int64, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids = nil
		for _, sl := range slots {
			var id int64
			err := tx.QueryRowContext(ctx, s.q(`INSERT INTO shifts (workspace_id, starts_at, ends_at, headcount, multiplier, created_by, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, starts_at) DO NOTHING RETURNING id`),
				workspaceID, micros(sl.StartsAt), micros(sl.EndsAt), sl.Headcount, sl.Multiplier, nullInt64(nonZero(by)), micros(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("a slot starting at %s exists already: %w", sl.StartsAt.Format(time.RFC3339), ErrConflict)
			}
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: create shifts: %w", err)
	}
	return ids, nil
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

const shiftColumns = `sh.id, sh.workspace_id, sh.starts_at, sh.ends_at, sh.headcount, sh.multiplier, sh.created_at,
	(SELECT COUNT(*) FROM shift_bookings b WHERE b.shift_id = sh.id AND b.released_at IS NULL),
	EXISTS (SELECT 1 FROM shift_bookings b WHERE b.shift_id = sh.id AND b.agent_id = ? AND b.released_at IS NULL),
	EXISTS (SELECT 1 FROM shift_bookings b WHERE b.shift_id = sh.id AND b.agent_id = ? AND b.attended_at IS NOT NULL)`

func scanShift(row scanner) (*Shift, error) {
	var sh Shift
	var start, end, created int64
	if err := row.Scan(&sh.ID, &sh.WorkspaceID, &start, &end, &sh.Headcount, &sh.Multiplier, &created, &sh.Booked, &sh.BookedByMe, &sh.Attended); err != nil {
		return nil, err
	}
	sh.StartsAt, sh.EndsAt, sh.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
	return &sh, nil
}

// Shifts lists a workspace's slots that overlap [from, to), by start, as
// seen by agentID (BookedByMe, Attended).
func (s *Store) Shifts(ctx context.Context, workspaceID, agentID int64, from, to time.Time) ([]*Shift, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+shiftColumns+` FROM shifts sh
		WHERE sh.workspace_id = ? AND sh.ends_at > ? AND sh.starts_at < ? ORDER BY sh.starts_at`), agentID, agentID, workspaceID, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: list shifts: %w", err)
	}
	defer rows.Close()
	var out []*Shift
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list shifts: %w", err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// ShiftByID finds a workspace's slot.
func (s *Store) ShiftByID(ctx context.Context, workspaceID, agentID, id int64) (*Shift, error) {
	sh, err := scanShift(s.db.QueryRowContext(ctx, s.q(`SELECT `+shiftColumns+` FROM shifts sh WHERE sh.workspace_id = ? AND sh.id = ?`),
		agentID, agentID, workspaceID, id))
	if err != nil {
		return nil, notFound(err, "shift")
	}
	return sh, nil
}

// BookShift books a slot for a person: refused (ErrConflict) when the
// slot has ended, is full, or opens to them only at opensAt(start) (their
// tier's head start) which is still ahead. A slot under way may be joined. Booking twice changes nothing.
// The slot is locked, so two people cannot take its last place at once.
func (s *Store) BookShift(ctx context.Context, workspaceID, shiftID, agentID int64, opensAt func(start time.Time) time.Time, now time.Time) (*Shift, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var start, end int64
		var headcount int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT starts_at, ends_at, headcount FROM shifts WHERE workspace_id = ? AND id = ?`+s.d.forUpdate),
			workspaceID, shiftID).Scan(&start, &end, &headcount); err != nil {
			return notFound(err, "shift")
		}
		var mine, booked int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM shift_bookings WHERE shift_id = ? AND agent_id = ? AND released_at IS NULL`),
			shiftID, agentID).Scan(&mine); err != nil {
			return err
		}
		if mine > 0 {
			return nil
		}
		if !now.Before(fromMicros(end)) {
			return fmt.Errorf("the slot has ended: %w", ErrConflict)
		}
		if at := opensAt(fromMicros(start)); now.Before(at) {
			return fmt.Errorf("this slot opens to you at %s (better-rated people book first): %w", at.Format(time.RFC3339), ErrConflict)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM shift_bookings WHERE shift_id = ? AND released_at IS NULL`), shiftID).Scan(&booked); err != nil {
			return err
		}
		if booked >= headcount {
			return fmt.Errorf("the slot is full: %w", ErrConflict)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO shift_bookings (shift_id, agent_id, workspace_id, booked_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (shift_id, agent_id) DO UPDATE SET booked_at = excluded.booked_at, released_at = NULL, attended_at = NULL`),
			shiftID, agentID, workspaceID, micros(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: book shift: %w", err)
	}
	return s.ShiftByID(ctx, workspaceID, agentID, shiftID)
}

// ReleaseShift gives a booked slot back, allowed until the release
// deadline (the slot's start minus releaseBefore; ErrConflict after it).
// Releasing a slot one has not booked is ErrNotFound.
func (s *Store) ReleaseShift(ctx context.Context, workspaceID, shiftID, agentID int64, releaseBefore time.Duration, now time.Time) (*Shift, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var start int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT starts_at FROM shifts WHERE workspace_id = ? AND id = ?`+s.d.forUpdate), workspaceID, shiftID).Scan(&start); err != nil {
			return notFound(err, "shift")
		}
		if deadline := fromMicros(start).Add(-releaseBefore); now.After(deadline) {
			return fmt.Errorf("the release deadline (%s) has passed: %w", deadline.Format(time.RFC3339), ErrConflict)
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE shift_bookings SET released_at = ? WHERE shift_id = ? AND agent_id = ? AND released_at IS NULL`),
			micros(now), shiftID, agentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("booking: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: release shift: %w", err)
	}
	return s.ShiftByID(ctx, workspaceID, agentID, shiftID)
}

// bookedSlotPercent is the pay multiplier of the slot the person booked
// that covers now; 0 when none does.
func (s *Store) bookedSlotPercent(ctx context.Context, workspaceID, agentID int64, now time.Time) (int64, error) {
	var m sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT MAX(sh.multiplier) FROM shifts sh JOIN shift_bookings b ON b.shift_id = sh.id
		WHERE sh.workspace_id = ? AND b.agent_id = ? AND b.released_at IS NULL AND sh.starts_at <= ? AND sh.ends_at > ?`),
		workspaceID, agentID, micros(now), micros(now)).Scan(&m)
	if err != nil {
		return 0, err
	}
	return m.Int64, nil
}

// markAttendance records that the person was available from since until
// now: their bookings of slots overlapping that time are attended. It runs
// in the transaction that changes their status.
func (s *Store) markAttendance(ctx context.Context, tx *sql.Tx, agentID int64, since, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE shift_bookings SET attended_at = ? WHERE agent_id = ? AND released_at IS NULL AND attended_at IS NULL
		AND shift_id IN (SELECT id FROM shifts WHERE starts_at <= ? AND ends_at > ?)`), micros(now), agentID, micros(now), micros(since))
	return err
}

// attendance records, as a person's status changes from cur's to status,
// the booked slots they were available in: those they leave (available
// from then until now) or join (available now).
func (s *Store) attendance(ctx context.Context, tx *sql.Tx, cur *model.Agent, status model.AgentStatus, now time.Time) error {
	switch {
	case cur.Status == model.AgentAvailable && status != model.AgentAvailable:
		return s.markAttendance(ctx, tx, cur.ID, cur.StatusChangedAt, now)
	case cur.Status != model.AgentAvailable && status == model.AgentAvailable:
		return s.markAttendance(ctx, tx, cur.ID, now, now)
	}
	return nil
}

// Adherence counts a person's booked slots that have started by now and
// how many of them they attended (were available at some moment of the
// slot; being available now counts for the slot under way).
func (s *Store) Adherence(ctx context.Context, workspaceID, agentID int64, now time.Time) (booked, attended int, err error) {
	var status model.AgentStatus
	var since int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT status, status_changed_at FROM agents WHERE workspace_id = ? AND id = ?`), workspaceID, agentID).Scan(&status, &since); err != nil {
		return 0, 0, notFound(err, "agent")
	}
	availableSince := micros(now) + 1 // nobody is available from after now
	if status == model.AgentAvailable {
		availableSince = since
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN b.attended_at IS NOT NULL OR sh.ends_at > ? THEN 1 ELSE 0 END), 0)
		FROM shift_bookings b JOIN shifts sh ON sh.id = b.shift_id
		WHERE b.workspace_id = ? AND b.agent_id = ? AND b.released_at IS NULL AND sh.starts_at <= ?`),
		availableSince, workspaceID, agentID, micros(now)).Scan(&booked, &attended)
	if err != nil {
		return 0, 0, fmt.Errorf("store: adherence: %w", err)
	}
	return booked, attended, nil
}

// AgentTier reads a person's tier.
func (s *Store) AgentTier(ctx context.Context, workspaceID, agentID int64) (string, error) {
	var tier string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT tier FROM agents WHERE workspace_id = ? AND id = ?`), workspaceID, agentID).Scan(&tier); err != nil {
		return "", notFound(err, "agent")
	}
	return tier, nil
}
