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

// lockSetup serialises the one-time setup of a fresh server, so two setup
// links used at once create one first workspace, not two.
const lockSetup int64 = 0x54440010

// CountWorkspaces tells how many workspaces exist; 0 means a fresh server.
func (s *Store) CountWorkspaces(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count workspaces: %w", err)
	}
	return n, nil
}

// CreateWorkspace creates a workspace; a taken slug is ErrConflict.
func (s *Store) CreateWorkspace(ctx context.Context, w model.Workspace, now time.Time) (*model.Workspace, error) {
	var ws *model.Workspace
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		ws, err = s.insertWorkspace(ctx, tx, w, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create workspace: %w", err)
	}
	return ws, nil
}

func (s *Store) insertWorkspace(ctx context.Context, tx *sql.Tx, w model.Workspace, now time.Time) (*model.Workspace, error) {
	if w.OfferTimeout <= 0 {
		w.OfferTimeout = 30 * time.Second
	}
	if w.AssistantName == "" {
		w.AssistantName = "Assistant"
	}
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO workspaces (slug, name, identity_secret, offer_timeout_ms, assistant_name, triage_policy, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING RETURNING id`),
		w.Slug, w.Name, w.IdentitySecret, w.OfferTimeout.Milliseconds(), w.AssistantName, w.TriagePolicy, micros(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("workspace %q exists already: %w", w.Slug, ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	return scanWorkspace(tx.QueryRowContext(ctx, s.q(`SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`), id))
}

// NewStaff is a person to add to a workspace's staff.
type NewStaff struct {
	WorkspaceID  int64
	Email        string
	Name         string
	Role         model.Role
	PasswordHash string
	Skills       []string
	Languages    []string
	// Certified makes them certified for their workspace at once (staff an
	// admin creates or invites); applicants are certified by training.
	Certified bool
}

// CreateStaff adds a person; an email in use (in any workspace) is ErrConflict.
func (s *Store) CreateStaff(ctx context.Context, n NewStaff, now time.Time) (*model.Agent, error) {
	var a *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.insertStaff(ctx, tx, n, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create staff: %w", err)
	}
	return a, nil
}

func (s *Store) insertStaff(ctx context.Context, tx *sql.Tx, n NewStaff, now time.Time) (*model.Agent, error) {
	capacity, err := s.defaultCapacity(ctx, tx, n.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO agents (workspace_id, email, name, role, password_hash, status, capacity, status_changed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id`),
		n.WorkspaceID, n.Email, n.Name, n.Role, n.PasswordHash, model.AgentOffline, capacity, micros(now), micros(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s has an account already: %w", n.Email, ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	if n.Certified {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_certifications (agent_id, workspace_id, certified_at) VALUES (?, ?, ?)`), id, n.WorkspaceID, micros(now)); err != nil {
			return nil, err
		}
	}
	for _, sk := range n.Skills {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_skills (agent_id, skill, level) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), id, sk, 3); err != nil {
			return nil, err
		}
	}
	for _, l := range n.Languages {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_skills (agent_id, skill, level) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`), id, "lang:"+l, 5); err != nil {
			return nil, err
		}
	}
	a, err := agentByID(ctx, s, tx, n.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	return a, s.appendEvent(ctx, tx, model.Event{WorkspaceID: n.WorkspaceID, Type: model.EventAgentUpdated, AgentID: &id, StaffOnly: true}, a, now)
}

// CreateSetupToken stores the hash of a one-time setup link.
func (s *Store) CreateSetupToken(ctx context.Context, hash string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)`), hash, micros(now)); err != nil {
		return fmt.Errorf("store: create setup token: %w", err)
	}
	return nil
}

// SetupTokenValid reports whether hash names an unused setup link of a
// server that has no workspace yet.
func (s *Store) SetupTokenValid(ctx context.Context, hash string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM setup_tokens WHERE token_hash = ? AND used_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM workspaces)`), hash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: setup token: %w", err)
	}
	return n > 0, nil
}

// Setup creates the first workspace and its admin with a setup link, in
// one transaction: the link must be unused and the server without any
// workspace; every setup link is used up by it. An unknown or used link
// is ErrNotFound; a server set up already is ErrConflict.
func (s *Store) Setup(ctx context.Context, tokenHash string, w model.Workspace, admin NewStaff, now time.Time) (*model.Workspace, *model.Agent, error) {
	var ws *model.Workspace
	var agent *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, lockSetup, 0); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM setup_tokens WHERE token_hash = ? AND used_at IS NULL`), tokenHash).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("setup link: %w", ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("this server is set up already: %w", ErrConflict)
		}
		var err error
		if ws, err = s.insertWorkspace(ctx, tx, w, now); err != nil {
			return err
		}
		admin.WorkspaceID, admin.Role, admin.Certified = ws.ID, model.RoleAdmin, true
		if agent, err = s.insertStaff(ctx, tx, admin, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE setup_tokens SET used_at = ? WHERE used_at IS NULL`), micros(now))
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: setup: %w", err)
	}
	return ws, agent, nil
}

// Invitation is a one-time link to join a workspace's staff. Only the
// hash of its token is stored.
type Invitation struct {
	ID          int64      `json:"id"`
	WorkspaceID int64      `json:"-"`
	Email       string     `json:"email"`
	Role        model.Role `json:"role"`
	Skills      []string   `json:"skills"`
	Languages   []string   `json:"languages"`
	InvitedBy   *int64     `json:"invited_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	AcceptedAt  *time.Time `json:"accepted_at,omitempty"`
	AgentID     *int64     `json:"agent_id,omitempty"`
}

const invitationColumns = `id, workspace_id, email, role, skills, languages, invited_by, created_at, expires_at, accepted_at, agent_id`

func scanInvitation(row scanner) (*Invitation, error) {
	var inv Invitation
	var skills, langs string
	var by, accepted, agent sql.NullInt64
	var created, expires int64
	if err := row.Scan(&inv.ID, &inv.WorkspaceID, &inv.Email, &inv.Role, &skills, &langs, &by, &created, &expires, &accepted, &agent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(skills), &inv.Skills); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(langs), &inv.Languages); err != nil {
		return nil, err
	}
	inv.InvitedBy, inv.AgentID = int64Ptr(by), int64Ptr(agent)
	inv.CreatedAt, inv.ExpiresAt, inv.AcceptedAt = fromMicros(created), fromMicros(expires), timePtr(accepted)
	return &inv, nil
}

// Mail is an email to send through the outbox, not tied to a conversation.
type Mail struct {
	Subject, Body string
}

// CreateInvitation stores an invitation under the hash of its token and,
// when mail is set, the email carrying its link to the outbox — in one
// transaction, so neither exists without the other.
func (s *Store) CreateInvitation(ctx context.Context, inv Invitation, tokenHash string, mail *Mail) (*Invitation, error) {
	skills, _ := json.Marshal(nonNil(inv.Skills))
	langs, _ := json.Marshal(nonNil(inv.Languages))
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO invitations (workspace_id, token_hash, email, role, skills, languages, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), inv.WorkspaceID, tokenHash, inv.Email, inv.Role, string(skills), string(langs),
			nullInt64(inv.InvitedBy), micros(inv.CreatedAt), micros(inv.ExpiresAt)).Scan(&id)
		if err != nil || mail == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO mail_outbox (workspace_id, recipient, subject, body, status, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), inv.WorkspaceID, inv.Email, mail.Subject, mail.Body, MailPending, micros(inv.CreatedAt), micros(inv.CreatedAt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create invitation: %w", err)
	}
	out, err := scanInvitation(s.db.QueryRowContext(ctx, s.q(`SELECT `+invitationColumns+` FROM invitations WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("store: create invitation: %w", err)
	}
	return out, nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Invitations lists a workspace's invitations, newest first.
func (s *Store) Invitations(ctx context.Context, workspaceID int64) ([]*Invitation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+invitationColumns+` FROM invitations WHERE workspace_id = ? ORDER BY id DESC`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: list invitations: %w", err)
	}
	defer rows.Close()
	var out []*Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list invitations: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// AcceptInvitation turns an open invitation into a person of its
// workspace, certified for it, in one transaction: a used, expired or
// unknown token is ErrNotFound, an email that has an account ErrConflict.
func (s *Store) AcceptInvitation(ctx context.Context, tokenHash, name, passwordHash string, now time.Time) (*model.Agent, error) {
	var agent *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inv, err := scanInvitation(tx.QueryRowContext(ctx, s.q(`SELECT `+invitationColumns+` FROM invitations
			WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?`+s.d.forUpdate), tokenHash, micros(now)))
		if err != nil {
			return notFound(err, "invitation")
		}
		agent, err = s.insertStaff(ctx, tx, NewStaff{WorkspaceID: inv.WorkspaceID, Email: inv.Email, Name: name, Role: inv.Role,
			PasswordHash: passwordHash, Skills: inv.Skills, Languages: inv.Languages, Certified: true}, now)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE invitations SET accepted_at = ?, agent_id = ? WHERE id = ?`), micros(now), agent.ID, inv.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: accept invitation: %w", err)
	}
	return agent, nil
}

// SetAgentRole changes a person's role and records agent.updated.
func (s *Store) SetAgentRole(ctx context.Context, workspaceID, agentID int64, role model.Role, now time.Time) (*model.Agent, error) {
	a, err := s.changeAgent(ctx, workspaceID, agentID, now, `UPDATE agents SET role = ? WHERE id = ?`, role, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: set role: %w", err)
	}
	return a, nil
}

// changeAgent runs one update of a person's row, with the row locked, and
// records agent.updated with the person as they are after it.
func (s *Store) changeAgent(ctx context.Context, workspaceID, agentID int64, now time.Time, update string, args ...any) (*model.Agent, error) {
	var agent *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(update), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no change: %w", ErrConflict)
		}
		if agent, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentUpdated, AgentID: &agentID, StaffOnly: true}, agent, now)
	})
	return agent, err
}

// DeactivateAgent deactivates a person in one transaction: they go
// offline and their sessions end, their row stays (history, ratings and
// ledger refer to it). Their work is handed back by the dispatcher
// (dispatch.Dispatcher.HandBack) after it. Deactivating twice changes
// nothing the second time.
func (s *Store) DeactivateAgent(ctx context.Context, workspaceID, agentID int64, now time.Time) (*model.Agent, error) {
	var out *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		if cur.DeactivatedAt != nil {
			out = cur
			return nil
		}
		if err := s.attendance(ctx, tx, cur, model.AgentOffline, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET deactivated_at = ?, status = ?, status_changed_at = ?, status_reason = ? WHERE id = ?`),
			micros(now), model.AgentOffline, micros(now), "deactivated", agentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE kind = ? AND subject_id = ?`), SessionStaff, agentID); err != nil {
			return err
		}
		if out, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentStatusChanged, AgentID: &agentID, StaffOnly: true}, out, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: deactivate agent: %w", err)
	}
	return out, nil
}

// ReactivateAgent lets a deactivated person sign in again (offline).
func (s *Store) ReactivateAgent(ctx context.Context, workspaceID, agentID int64, now time.Time) (*model.Agent, error) {
	a, err := s.changeAgent(ctx, workspaceID, agentID, now, `UPDATE agents SET deactivated_at = NULL, status_reason = '' WHERE id = ?`, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: reactivate agent: %w", err)
	}
	return a, nil
}

// DeleteStaffSessions ends every session of a person ("sign out everywhere").
func (s *Store) DeleteStaffSessions(ctx context.Context, agentID int64) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE kind = ? AND subject_id = ?`), SessionStaff, agentID); err != nil {
		return fmt.Errorf("store: delete sessions: %w", err)
	}
	return nil
}

// LoginFailures counts the failed sign-ins recorded under each key since since.
func (s *Store) LoginFailures(ctx context.Context, since time.Time, keys ...string) ([]int, error) {
	out := make([]int, len(keys))
	for i, k := range keys {
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?`), k, micros(since)).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("store: login failures: %w", err)
		}
	}
	return out, nil
}

// RecordLoginFailure notes a failed sign-in under each key and forgets
// failures older than before.
func (s *Store) RecordLoginFailure(ctx context.Context, now, before time.Time, keys ...string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM login_failures WHERE at <= ?`), micros(before)); err != nil {
			return fmt.Errorf("store: record login failure: %w", err)
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO login_failures (key, at) VALUES (?, ?)`), k, micros(now)); err != nil {
				return fmt.Errorf("store: record login failure: %w", err)
			}
		}
		return nil
	})
}

// ClearLoginFailures forgets the failures under key (after a good sign-in).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM login_failures WHERE key = ?`), key); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}
