package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// ErrTooEarly: a quiz retake before the module's cool-down has passed.
var ErrTooEarly = errors.New("too early")

// TrainingModule is a stored training module. Questions is the quiz as
// JSON, with the right answers in it: the people service decides who may
// read them.
type TrainingModule struct {
	ID                 int64
	WorkspaceID        int64
	Title              string
	Body               string
	Certifies          string
	Questions          string
	PassMark           float64
	RetakeAfterSeconds int64
	ValidForDays       int
	CreatedBy          *int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

const moduleColumns = `id, workspace_id, title, body, certifies, questions, pass_mark, retake_after_seconds, valid_for_days, created_by, created_at, updated_at`

func scanModule(row scanner) (*TrainingModule, error) {
	var m TrainingModule
	var by sql.NullInt64
	var created, updated int64
	if err := row.Scan(&m.ID, &m.WorkspaceID, &m.Title, &m.Body, &m.Certifies, &m.Questions, &m.PassMark, &m.RetakeAfterSeconds,
		&m.ValidForDays, &by, &created, &updated); err != nil {
		return nil, err
	}
	m.CreatedBy, m.CreatedAt, m.UpdatedAt = int64Ptr(by), fromMicros(created), fromMicros(updated)
	return &m, nil
}

// CreateModule stores a new training module (validated by the caller).
func (s *Store) CreateModule(ctx context.Context, m TrainingModule) (*TrainingModule, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO training_modules (workspace_id, title, body, certifies, questions, pass_mark,
		retake_after_seconds, valid_for_days, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		m.WorkspaceID, m.Title, m.Body, m.Certifies, m.Questions, m.PassMark, m.RetakeAfterSeconds, m.ValidForDays,
		nullInt64(m.CreatedBy), micros(m.CreatedAt), micros(m.CreatedAt)).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("store: create module: %w", err)
	}
	return s.Module(ctx, m.WorkspaceID, id)
}

// UpdateModule replaces a module's content; its attempts stay.
func (s *Store) UpdateModule(ctx context.Context, m TrainingModule, now time.Time) (*TrainingModule, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE training_modules SET title = ?, body = ?, certifies = ?, questions = ?, pass_mark = ?,
		retake_after_seconds = ?, valid_for_days = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`),
		m.Title, m.Body, m.Certifies, m.Questions, m.PassMark, m.RetakeAfterSeconds, m.ValidForDays, micros(now), m.WorkspaceID, m.ID)
	if err != nil {
		return nil, fmt.Errorf("store: update module: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("store: module: %w", ErrNotFound)
	}
	return s.Module(ctx, m.WorkspaceID, m.ID)
}

// Module finds a workspace's training module.
func (s *Store) Module(ctx context.Context, workspaceID, id int64) (*TrainingModule, error) {
	m, err := scanModule(s.db.QueryRowContext(ctx, s.q(`SELECT `+moduleColumns+` FROM training_modules WHERE workspace_id = ? AND id = ?`), workspaceID, id))
	if err != nil {
		return nil, notFound(err, "module")
	}
	return m, nil
}

// Modules lists a workspace's training modules by id.
func (s *Store) Modules(ctx context.Context, workspaceID int64) ([]*TrainingModule, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+moduleColumns+` FROM training_modules WHERE workspace_id = ? ORDER BY id`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: list modules: %w", err)
	}
	defer rows.Close()
	var out []*TrainingModule
	for rows.Next() {
		m, err := scanModule(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list modules: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Attempt is one quiz attempt.
type Attempt struct {
	ID        int64     `json:"id"`
	ModuleID  int64     `json:"module_id"`
	AgentID   int64     `json:"agent_id"`
	Score     float64   `json:"score"`
	Passed    bool      `json:"passed"`
	CreatedAt time.Time `json:"created_at"`
}

// NewAttempt is a scored attempt to record, with what passing grants.
type NewAttempt struct {
	WorkspaceID, ModuleID, AgentID int64
	Answers                        string // JSON
	Score                          float64
	Passed                         bool
	// RetakeAfter: an attempt within this long of a failed one is ErrTooEarly.
	RetakeAfter time.Duration
	// GrantWorkspace or GrantSkill is what a pass grants, until ExpiresAt
	// (nil: no expiry).
	GrantWorkspace bool
	GrantSkill     string
	ExpiresAt      *time.Time
	// ProbationReviews starts probation for a person certified for the
	// workspace for the first time: capacity 1, this many conversations
	// marked for review.
	ProbationReviews int
}

// RecordAttempt stores an attempt and, when it passed, grants the
// certification or skill — in one transaction with the person locked, so
// two attempts at once cannot both slip past the retake cool-down. A retake
// too soon after a failure is ErrTooEarly, with nothing written.
func (s *Store) RecordAttempt(ctx context.Context, n NewAttempt, now time.Time) (*Attempt, error) {
	var out *Attempt
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockAgent(ctx, tx, n.WorkspaceID, n.AgentID); err != nil {
			return err
		}
		var lastAt sql.NullInt64
		var lastPassed sql.NullBool
		err := tx.QueryRowContext(ctx, s.q(`SELECT created_at, passed FROM training_attempts WHERE agent_id = ? AND module_id = ?
			ORDER BY id DESC LIMIT 1`), n.AgentID, n.ModuleID).Scan(&lastAt, &lastPassed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastAt.Valid && !lastPassed.Bool {
			if retake := fromMicros(lastAt.Int64).Add(n.RetakeAfter); now.Before(retake) {
				return fmt.Errorf("you may retake this quiz at %s: %w", retake.Format(time.RFC3339), ErrTooEarly)
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO training_attempts (workspace_id, module_id, agent_id, answers, score, passed, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), n.WorkspaceID, n.ModuleID, n.AgentID, n.Answers, n.Score, n.Passed, micros(now)).Scan(&id); err != nil {
			return err
		}
		out = &Attempt{ID: id, ModuleID: n.ModuleID, AgentID: n.AgentID, Score: n.Score, Passed: n.Passed, CreatedAt: now}
		if !n.Passed {
			return nil
		}
		if n.GrantWorkspace {
			if err := s.certifyWithProbation(ctx, tx, n.WorkspaceID, n.AgentID, n.ExpiresAt, n.ProbationReviews, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET suspended_reason = '' WHERE id = ?`), n.AgentID); err != nil {
				return err
			}
			// An applicant certified by training is accepted by it
			// (the caller grants the workspace only when auto-accept is on).
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE applications SET status = ?, decided_at = ? WHERE agent_id = ? AND status = ?`),
				ApplicationAccepted, micros(now), n.AgentID, ApplicationPending); err != nil {
				return err
			}
		}
		if n.GrantSkill != "" {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_skills (agent_id, skill, level, expires_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (agent_id, skill) DO UPDATE SET expires_at = excluded.expires_at`),
				n.AgentID, n.GrantSkill, 3, nullMicros(n.ExpiresAt)); err != nil {
				return err
			}
		}
		cur, err := agentByID(ctx, s, tx, n.WorkspaceID, n.AgentID)
		if err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: n.WorkspaceID, Type: model.EventAgentUpdated, AgentID: &n.AgentID, StaffOnly: true}, cur, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: record attempt: %w", err)
	}
	return out, nil
}

// Attempts lists a person's attempts at a workspace's modules, newest first.
func (s *Store) Attempts(ctx context.Context, workspaceID, agentID int64) ([]*Attempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, module_id, agent_id, score, passed, created_at FROM training_attempts
		WHERE workspace_id = ? AND agent_id = ? ORDER BY id DESC`), workspaceID, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: list attempts: %w", err)
	}
	defer rows.Close()
	var out []*Attempt
	for rows.Next() {
		var a Attempt
		var at int64
		if err := rows.Scan(&a.ID, &a.ModuleID, &a.AgentID, &a.Score, &a.Passed, &at); err != nil {
			return nil, fmt.Errorf("store: list attempts: %w", err)
		}
		a.CreatedAt = fromMicros(at)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// Grants is what a person holds from training: certification expiries
// and skills with expiries.
type Grants struct {
	// Certified is whether they are certified for the workspace, and until when.
	Certified        bool
	CertifiedExpires *time.Time
	SkillExpires     map[string]*time.Time
	// ProbationReviews > 0: on probation, that many conversations are marked for review.
	ProbationReviews int
}

// AgentGrants reads what a person holds in a workspace.
func (s *Store) AgentGrants(ctx context.Context, workspaceID, agentID int64) (*Grants, error) {
	g := &Grants{SkillExpires: map[string]*time.Time{}}
	var exp sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT expires_at FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID).Scan(&exp)
	switch {
	case err == nil:
		g.Certified, g.CertifiedExpires = true, timePtr(exp)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: grants: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT probation_reviews FROM agents WHERE workspace_id = ? AND id = ?`), workspaceID, agentID).Scan(&g.ProbationReviews); err != nil {
		return nil, notFound(err, "agent")
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT skill, expires_at FROM agent_skills WHERE agent_id = ?`), agentID)
	if err != nil {
		return nil, fmt.Errorf("store: grants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var e sql.NullInt64
		if err := rows.Scan(&name, &e); err != nil {
			return nil, fmt.Errorf("store: grants: %w", err)
		}
		g.SkillExpires[name] = timePtr(e)
	}
	return g, rows.Err()
}

// ExpireGrants removes the certifications and skills whose expiry has
// passed, and rescinds the pending offers of workspaces a person is no
// longer certified for. It returns the workspaces whose people changed.
func (s *Store) ExpireGrants(ctx context.Context, now time.Time) ([]int64, error) {
	var touched []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		touched = nil
		rows, err := tx.QueryContext(ctx, s.q(`SELECT DISTINCT a.workspace_id FROM agents a WHERE
			EXISTS (SELECT 1 FROM agent_certifications ac WHERE ac.agent_id = a.id AND ac.expires_at <= ?)
			OR EXISTS (SELECT 1 FROM agent_skills sk WHERE sk.agent_id = a.id AND sk.expires_at <= ?) ORDER BY a.workspace_id`), micros(now), micros(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			touched = append(touched, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(touched) == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agent_certifications WHERE expires_at <= ?`), micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agent_skills WHERE expires_at <= ?`), micros(now)); err != nil {
			return err
		}
		_, err = s.closeOffers(ctx, tx, `NOT EXISTS (SELECT 1 FROM agent_certifications ac
			WHERE ac.agent_id = o.agent_id AND ac.workspace_id = o.workspace_id)`, nil, model.OfferRescinded, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: expire grants: %w", err)
	}
	return touched, nil
}

// NextGrantExpiry is the earliest expiry of a certification or skill.
func (s *Store) NextGrantExpiry(ctx context.Context) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(e) FROM (SELECT MIN(expires_at) AS e FROM agent_certifications
		UNION ALL SELECT MIN(expires_at) FROM agent_skills) x`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next grant expiry: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v.Int64), true, nil
}

// EndProbation ends a person's probation (a supervisor approved them): they
// get back the capacity they had. Not on probation: ErrConflict.
func (s *Store) EndProbation(ctx context.Context, workspaceID, agentID int64, now time.Time) (*model.Agent, error) {
	a, err := s.changeAgent(ctx, workspaceID, agentID, now, `UPDATE agents SET capacity = CASE WHEN probation_capacity > 0 THEN probation_capacity ELSE capacity END,
		probation_reviews = 0, probation_capacity = 0 WHERE id = ? AND probation_reviews > 0`, agentID)
	if errors.Is(err, ErrConflict) {
		return nil, fmt.Errorf("store: not on probation: %w", ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("store: end probation: %w", err)
	}
	return a, nil
}

// ReviewMark is a conversation marked for review.
type ReviewMark struct {
	ConversationID int64      `json:"conversation_id"`
	AgentID        int64      `json:"agent_id"`
	Reason         string     `json:"reason"`
	MarkedAt       time.Time  `json:"marked_at"`
	ReviewedAt     *time.Time `json:"reviewed_at,omitempty"`
}

// markProbationReview marks a conversation the person resolved for review
// while they are on probation and fewer than their probation count are
// marked. It runs in the resolving transaction.
func (s *Store) markProbationReview(ctx context.Context, tx *sql.Tx, conv *model.Conversation, agentID int64, now time.Time) error {
	var reviews, marked int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT probation_reviews FROM agents WHERE id = ?`), agentID).Scan(&reviews); err != nil {
		return err
	}
	if reviews <= 0 {
		return nil
	}
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM review_marks WHERE agent_id = ? AND reason = 'probation'`), agentID).Scan(&marked); err != nil {
		return err
	}
	if marked >= reviews {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO review_marks (conversation_id, workspace_id, agent_id, reason, marked_at) VALUES (?, ?, ?, 'probation', ?)
		ON CONFLICT DO NOTHING`), conv.ID, conv.WorkspaceID, agentID, micros(now))
	return err
}

// ReviewMarks lists a workspace's conversations marked for review, newest first.
func (s *Store) ReviewMarks(ctx context.Context, workspaceID int64) ([]*ReviewMark, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT conversation_id, agent_id, reason, marked_at, reviewed_at FROM review_marks
		WHERE workspace_id = ? ORDER BY marked_at DESC, conversation_id DESC`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: review marks: %w", err)
	}
	defer rows.Close()
	var out []*ReviewMark
	for rows.Next() {
		var m ReviewMark
		var marked int64
		var reviewed sql.NullInt64
		if err := rows.Scan(&m.ConversationID, &m.AgentID, &m.Reason, &marked, &reviewed); err != nil {
			return nil, fmt.Errorf("store: review marks: %w", err)
		}
		m.MarkedAt, m.ReviewedAt = fromMicros(marked), timePtr(reviewed)
		out = append(out, &m)
	}
	return out, rows.Err()
}
