package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Application statuses.
const (
	ApplicationPending  = "pending"
	ApplicationAccepted = "accepted"
	ApplicationRejected = "rejected"
)

// JoinSettings configure a workspace's public join page.
type JoinSettings struct {
	Open       bool     `json:"open"`
	Questions  []string `json:"questions"`
	AutoAccept bool     `json:"auto_accept"`
}

// JoinSettings reads a workspace's join page settings (closed when unset).
func (s *Store) JoinSettings(ctx context.Context, workspaceID int64) (*JoinSettings, error) {
	js := &JoinSettings{Questions: []string{}}
	var qs string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT open, questions, auto_accept FROM join_settings WHERE workspace_id = ?`), workspaceID).Scan(&js.Open, &qs, &js.AutoAccept)
	if errors.Is(err, sql.ErrNoRows) {
		return js, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: join settings: %w", err)
	}
	if err := json.Unmarshal([]byte(qs), &js.Questions); err != nil {
		return nil, fmt.Errorf("store: join settings: %w", err)
	}
	return js, nil
}

// SetJoinSettings stores a workspace's join page settings.
func (s *Store) SetJoinSettings(ctx context.Context, workspaceID int64, js JoinSettings, now time.Time) error {
	qs, _ := json.Marshal(nonNil(js.Questions))
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO join_settings (workspace_id, open, questions, auto_accept, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id) DO UPDATE SET open = excluded.open, questions = excluded.questions, auto_accept = excluded.auto_accept, updated_at = excluded.updated_at`),
		workspaceID, js.Open, string(qs), js.AutoAccept, micros(now))
	if err != nil {
		return fmt.Errorf("store: set join settings: %w", err)
	}
	return nil
}

// Application is a person's application to join a workspace's crowd.
type Application struct {
	AgentID    int64      `json:"agent_id"`
	Name       string     `json:"name"`
	Email      string     `json:"email"`
	Languages  []string   `json:"languages"`
	Motivation string     `json:"motivation"`
	Answers    []string   `json:"answers"`
	Status     string     `json:"status"`
	Trained    bool       `json:"trained"`
	CreatedAt  time.Time  `json:"created_at"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
}

// CreateApplicant adds a person who applied on the join page: they can
// sign in, are not certified (no work), and their application is pending.
func (s *Store) CreateApplicant(ctx context.Context, n NewStaff, motivation string, answers []string, now time.Time) (*model.Agent, error) {
	var a *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n.Certified, n.Role = false, model.RoleAgent
		var err error
		if a, err = s.insertStaff(ctx, tx, n, now); err != nil {
			return err
		}
		ans, _ := json.Marshal(nonNil(answers))
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO applications (agent_id, workspace_id, motivation, answers, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			a.ID, n.WorkspaceID, motivation, string(ans), ApplicationPending, micros(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create applicant: %w", err)
	}
	return a, nil
}

const applicationQuery = `SELECT ap.agent_id, a.name, a.email, ap.motivation, ap.answers, ap.status, ap.created_at, ap.decided_at,
	EXISTS (SELECT 1 FROM training_attempts t JOIN training_modules m ON m.id = t.module_id
		WHERE t.agent_id = ap.agent_id AND t.passed AND m.certifies = 'workspace' AND m.workspace_id = ap.workspace_id)
	FROM applications ap JOIN agents a ON a.id = ap.agent_id WHERE ap.workspace_id = ?`

func (s *Store) scanApplications(ctx context.Context, rows *sql.Rows) ([]*Application, error) {
	defer rows.Close()
	var out []*Application
	for rows.Next() {
		var ap Application
		var answers string
		var created int64
		var decided sql.NullInt64
		if err := rows.Scan(&ap.AgentID, &ap.Name, &ap.Email, &ap.Motivation, &answers, &ap.Status, &created, &decided, &ap.Trained); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(answers), &ap.Answers); err != nil {
			return nil, err
		}
		ap.CreatedAt, ap.DecidedAt = fromMicros(created), timePtr(decided)
		out = append(out, &ap)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ap := range out {
		a := &model.Agent{ID: ap.AgentID}
		if err := s.FillRoutingProfiles(ctx, []*model.Agent{a}); err != nil {
			return nil, err
		}
		ap.Languages = nonNil(a.Languages)
	}
	return out, nil
}

// Applications lists a workspace's applications, newest first.
func (s *Store) Applications(ctx context.Context, workspaceID int64) ([]*Application, error) {
	rows, err := s.db.QueryContext(ctx, s.q(applicationQuery+` ORDER BY ap.created_at DESC, ap.agent_id DESC`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: applications: %w", err)
	}
	out, err := s.scanApplications(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("store: applications: %w", err)
	}
	return out, nil
}

// ApplicationOf returns a person's application; ErrNotFound when they
// did not apply (staff created or invited).
func (s *Store) ApplicationOf(ctx context.Context, workspaceID, agentID int64) (*Application, error) {
	rows, err := s.db.QueryContext(ctx, s.q(applicationQuery+` AND ap.agent_id = ?`), workspaceID, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: application: %w", err)
	}
	out, err := s.scanApplications(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("store: application: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("store: application: %w", ErrNotFound)
	}
	return out[0], nil
}

// DecideApplication accepts or rejects a pending application in one
// transaction. Accepted: the person is certified for the workspace and
// starts probation (probationReviews). Rejected: they are deactivated
// (cannot sign in), their row kept. A decided application is ErrConflict.
func (s *Store) DecideApplication(ctx context.Context, workspaceID, agentID int64, accept bool, probationReviews int, by int64, now time.Time) (*Application, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
			return err
		}
		status := ApplicationRejected
		if accept {
			status = ApplicationAccepted
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE applications SET status = ?, decided_at = ?, decided_by = ? WHERE agent_id = ? AND workspace_id = ? AND status = ?`),
			status, micros(now), by, agentID, workspaceID, ApplicationPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM applications WHERE agent_id = ? AND workspace_id = ?`), agentID, workspaceID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("application: %w", ErrNotFound)
			}
			return fmt.Errorf("the application is decided already: %w", ErrConflict)
		}
		if accept {
			return s.certifyWithProbation(ctx, tx, workspaceID, agentID, nil, probationReviews, now)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET deactivated_at = ?, status = ?, status_reason = ? WHERE id = ?`),
			micros(now), model.AgentOffline, "application rejected", agentID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE kind = ? AND subject_id = ?`), SessionStaff, agentID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: decide application: %w", err)
	}
	return s.ApplicationOf(ctx, workspaceID, agentID)
}

// certifyWithProbation certifies a person for a workspace until expires
// (nil: no expiry); certified for the first time, they start probation:
// capacity 1 (theirs kept aside) and probationReviews conversations marked.
func (s *Store) certifyWithProbation(ctx context.Context, tx *sql.Tx, workspaceID, agentID int64, expires *time.Time, probationReviews int, now time.Time) error {
	var had int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM agent_certifications WHERE agent_id = ? AND workspace_id = ?`),
		agentID, workspaceID).Scan(&had); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_certifications (agent_id, workspace_id, certified_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (agent_id, workspace_id) DO UPDATE SET certified_at = excluded.certified_at, expires_at = excluded.expires_at`),
		agentID, workspaceID, micros(now), nullMicros(expires)); err != nil {
		return err
	}
	if had == 0 && probationReviews > 0 {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET probation_reviews = ?, probation_capacity = capacity, capacity = 1
			WHERE id = ? AND probation_reviews = 0`), probationReviews, agentID); err != nil {
			return err
		}
	}
	agent, err := agentByID(ctx, s, tx, workspaceID, agentID)
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentUpdated, AgentID: &agentID, StaffOnly: true}, agent, now)
}
