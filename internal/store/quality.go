package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// QualityData is what a person's quality score is computed from.
type QualityData struct {
	// CSAT are the ratings of the latest limit rated conversations they
	// handled, newest first.
	CSAT                           []int
	OffersReceived, OffersAccepted int
	SlotsBooked, SlotsAttended     int
	Tier                           string
	Certified                      bool
}

// QualityData reads the inputs of a person's quality score.
func (s *Store) QualityData(ctx context.Context, workspaceID, agentID int64, limit int, now time.Time) (*QualityData, error) {
	var d QualityData
	var certified int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT offers_received, offers_accepted, tier,
		(SELECT COUNT(*) FROM agent_certifications ac WHERE ac.agent_id = a.id AND ac.workspace_id = a.workspace_id)
		FROM agents a WHERE workspace_id = ? AND id = ?`), workspaceID, agentID).Scan(&d.OffersReceived, &d.OffersAccepted, &d.Tier, &certified)
	if err != nil {
		return nil, notFound(err, "agent")
	}
	d.Certified = certified > 0
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT score FROM csat_ratings WHERE workspace_id = ? AND agent_id = ? ORDER BY updated_at DESC, conversation_id DESC LIMIT ?`),
		workspaceID, agentID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: quality data: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: quality data: %w", err)
		}
		d.CSAT = append(d.CSAT, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if d.SlotsBooked, d.SlotsAttended, err = s.Adherence(ctx, workspaceID, agentID, now); err != nil {
		return nil, err
	}
	return &d, nil
}

// QualityPoint is a stored score.
type QualityPoint struct {
	Score float64   `json:"score"`
	Parts string    `json:"-"`
	Tier  string    `json:"tier"`
	At    time.Time `json:"at"`
}

// RecordQuality stores a computed score: the person's quality_score (a
// routing weight) and tier change, and the history gains a point.
func (s *Store) RecordQuality(ctx context.Context, workspaceID, agentID int64, score float64, parts, tier string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET quality_score = ?, tier = ? WHERE workspace_id = ? AND id = ?`), score, tier, workspaceID, agentID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO quality_scores (workspace_id, agent_id, score, parts, tier, computed_at) VALUES (?, ?, ?, ?, ?, ?)`),
			workspaceID, agentID, score, parts, tier, micros(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record quality: %w", err)
	}
	return nil
}

// QualityHistory lists a person's scores since since, oldest first, with
// the last one before since (so a period can be judged from its start).
func (s *Store) QualityHistory(ctx context.Context, workspaceID, agentID int64, since time.Time) ([]*QualityPoint, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT score, parts, tier, computed_at FROM quality_scores WHERE workspace_id = ? AND agent_id = ?
		AND computed_at >= COALESCE((SELECT MAX(computed_at) FROM quality_scores WHERE workspace_id = ? AND agent_id = ? AND computed_at <= ?), ?)
		ORDER BY computed_at, id`), workspaceID, agentID, workspaceID, agentID, micros(since), micros(since))
	if err != nil {
		return nil, fmt.Errorf("store: quality history: %w", err)
	}
	defer rows.Close()
	var out []*QualityPoint
	for rows.Next() {
		var p QualityPoint
		var at int64
		if err := rows.Scan(&p.Score, &p.Parts, &p.Tier, &at); err != nil {
			return nil, fmt.Errorf("store: quality history: %w", err)
		}
		p.At = fromMicros(at)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// SuspendCertification takes a person's certification for their
// workspace away, with the reason they are told; their pending offers of
// it are rescinded. Passing the workspace's training again restores it.
func (s *Store) SuspendCertification(ctx context.Context, workspaceID, agentID int64, reason string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET suspended_reason = ? WHERE id = ?`), reason, agentID); err != nil {
			return err
		}
		if _, err := s.closeOffers(ctx, tx, `o.agent_id = ? AND o.workspace_id = ?`, []any{agentID, workspaceID}, model.OfferRescinded, now); err != nil {
			return err
		}
		agent, err := agentByID(ctx, s, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentUpdated, AgentID: &agentID, StaffOnly: true}, agent, now)
	})
	if err != nil {
		return fmt.Errorf("store: suspend certification: %w", err)
	}
	return nil
}

// SuspendedReason says why a person's certification was suspended ("" if not).
func (s *Store) SuspendedReason(ctx context.Context, workspaceID, agentID int64) (string, error) {
	var r string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT suspended_reason FROM agents WHERE workspace_id = ? AND id = ?`), workspaceID, agentID).Scan(&r); err != nil {
		return "", notFound(err, "agent")
	}
	return r, nil
}

// ActiveStaff lists the ids of a workspace's people who are not deactivated.
func (s *Store) ActiveStaff(ctx context.Context, workspaceID int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM agents WHERE workspace_id = ? AND deactivated_at IS NULL ORDER BY id`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: active staff: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
