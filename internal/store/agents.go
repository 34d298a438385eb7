package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// agentColumns reads an agent with the number of conversations assigned now.
const agentColumns = `a.id, a.workspace_id, a.email, a.name, a.role, a.password_hash, a.status, a.capacity,
	a.status_changed_at, a.last_offered_at, a.created_at,
	(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'assigned')`

func scanAgent(row scanner) (*model.Agent, error) {
	var a model.Agent
	var changed, created int64
	var offered sql.NullInt64
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Email, &a.Name, &a.Role, &a.PasswordHash, &a.Status, &a.Capacity,
		&changed, &offered, &created, &a.Active); err != nil {
		return nil, err
	}
	a.StatusChangedAt, a.CreatedAt = fromMicros(changed), fromMicros(created)
	a.LastOfferedAt = timePtr(offered)
	return &a, nil
}

// EnsureAgent creates the agent unless one with that email exists, and
// returns the stored agent either way.
func (s *Store) EnsureAgent(ctx context.Context, a model.Agent) (*model.Agent, error) {
	if a.Capacity <= 0 {
		a.Capacity = 3
	}
	if a.Status == "" {
		a.Status = model.AgentOffline
	}
	now := micros(time.Now())
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO agents (workspace_id, email, name, role, password_hash, status, capacity, status_changed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING`),
		a.WorkspaceID, a.Email, a.Name, a.Role, a.PasswordHash, a.Status, a.Capacity, now, now)
	if err != nil {
		return nil, fmt.Errorf("store: ensure agent: %w", err)
	}
	return s.AgentByEmail(ctx, a.Email)
}

// AgentByEmail finds a staff member by login email, in any workspace.
func (s *Store) AgentByEmail(ctx context.Context, email string) (*model.Agent, error) {
	a, err := scanAgent(s.db.QueryRowContext(ctx, s.q(`SELECT `+agentColumns+` FROM agents a WHERE a.email = ?`), email))
	if err != nil {
		return nil, notFound(err, "agent")
	}
	return a, nil
}

// AgentByID finds a staff member of a workspace.
func (s *Store) AgentByID(ctx context.Context, workspaceID, id int64) (*model.Agent, error) {
	a, err := agentByID(ctx, s, s.db, workspaceID, id)
	if err != nil {
		return nil, notFound(err, "agent")
	}
	return a, nil
}

func agentByID(ctx context.Context, s *Store, q queryer, workspaceID, id int64) (*model.Agent, error) {
	return scanAgent(q.QueryRowContext(ctx, s.q(`SELECT `+agentColumns+` FROM agents a WHERE a.workspace_id = ? AND a.id = ?`), workspaceID, id))
}

// Agents lists a workspace's staff, by id.
func (s *Store) Agents(ctx context.Context, workspaceID int64) ([]*model.Agent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+agentColumns+` FROM agents a WHERE a.workspace_id = ? ORDER BY a.id`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	defer rows.Close()
	var out []*model.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list agents: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAgentStatus changes an agent's status. An agent who stops being
// available gives back their pending offers (rescinded), so the work moves on
// to someone else at once instead of waiting for the deadline.
func (s *Store) SetAgentStatus(ctx context.Context, workspaceID, agentID int64, status model.AgentStatus, now time.Time) (*model.Agent, []*model.Offer, error) {
	if !status.Valid() {
		return nil, nil, fmt.Errorf("store: %w", model.Invalid("status", "must be offline, available or away"))
	}
	var agent *model.Agent
	var rescinded []*model.Offer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := agentByID(ctx, s, tx, workspaceID, agentID)
		if err != nil {
			return notFound(err, "agent")
		}
		if cur.Status == status {
			agent = cur
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET status = ?, status_changed_at = ? WHERE id = ?`), status, micros(now), agentID); err != nil {
			return err
		}
		if status != model.AgentAvailable {
			rescinded, err = s.closeOffers(ctx, tx, `o.agent_id = ?`, []any{agentID}, model.OfferRescinded, now)
			if err != nil {
				return err
			}
		}
		agent, err = agentByID(ctx, s, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentStatusChanged, AgentID: &agentID, StaffOnly: true}, agent, now)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: set agent status: %w", err)
	}
	return agent, rescinded, nil
}
