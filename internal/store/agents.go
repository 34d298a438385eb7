package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// agentColumns reads an agent with the number of conversations assigned now.
const agentColumns = `a.id, a.workspace_id, a.email, a.name, a.role, a.password_hash, a.status, a.capacity,
	a.status_changed_at, a.last_offered_at, a.created_at, a.quality_score, a.status_reason, a.deactivated_at,
	(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'assigned')`

func scanAgent(row scanner) (*model.Agent, error) {
	var a model.Agent
	var changed, created int64
	var offered, deactivated sql.NullInt64
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Email, &a.Name, &a.Role, &a.PasswordHash, &a.Status, &a.Capacity,
		&changed, &offered, &created, &a.QualityScore, &a.StatusReason, &deactivated, &a.Active); err != nil {
		return nil, err
	}
	a.DeactivatedAt = timePtr(deactivated)
	a.StatusChangedAt, a.CreatedAt = fromMicros(changed), fromMicros(created)
	a.LastOfferedAt = timePtr(offered)
	return &a, nil
}

// EnsureAgent creates the agent unless one with that email exists, and
// returns the stored agent either way. A new agent is certified for their
// own workspace; without a capacity they get the workspace's default
// (routing settings' default_capacity, else 3).
func (s *Store) EnsureAgent(ctx context.Context, a model.Agent) (*model.Agent, error) {
	if a.Status == "" {
		a.Status = model.AgentOffline
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		capacity := a.Capacity
		if capacity <= 0 {
			var err error
			if capacity, err = s.defaultCapacity(ctx, tx, a.WorkspaceID); err != nil {
				return err
			}
		}
		now := micros(time.Now())
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO agents (workspace_id, email, name, role, password_hash, status, capacity, status_changed_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id`),
			a.WorkspaceID, a.Email, a.Name, a.Role, a.PasswordHash, a.Status, capacity, now, now).Scan(&id)
		if err == sql.ErrNoRows {
			return nil // exists: keep it as it is
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO agent_certifications (agent_id, workspace_id, certified_at) VALUES (?, ?, ?)`), id, a.WorkspaceID, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ensure agent: %w", err)
	}
	return s.AgentByEmail(ctx, a.Email)
}

// defaultCapacity reads default_capacity from a workspace's routing settings.
func (s *Store) defaultCapacity(ctx context.Context, q queryer, workspaceID int64) (int, error) {
	var raw string
	err := q.QueryRowContext(ctx, s.q(`SELECT settings FROM routing_settings WHERE workspace_id = ?`), workspaceID).Scan(&raw)
	if err == sql.ErrNoRows {
		return 3, nil
	}
	if err != nil {
		return 0, err
	}
	var v struct {
		DefaultCapacity int `json:"default_capacity"`
	}
	if json.Unmarshal([]byte(raw), &v) != nil || v.DefaultCapacity <= 0 {
		return 3, nil
	}
	return v.DefaultCapacity, nil
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
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET status = ?, status_changed_at = ?, status_reason = '', expired_in_row = 0 WHERE id = ?`), status, micros(now), agentID); err != nil {
			return err
		}
		if err := s.attendance(ctx, tx, cur, status, now); err != nil {
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

// SetAgentAwayAfterExpiries sets an available agent away when setsAway
// says so of the offers in a row they let run out (routing's rule), giving
// back their pending offers — in one transaction, so an offer accepted
// meanwhile (which resets the count) keeps them available. It reports
// whether the agent was set away.
func (s *Store) SetAgentAwayAfterExpiries(ctx context.Context, workspaceID, agentID int64, setsAway func(inRow int) bool, now time.Time) (agent *model.Agent, away bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		agent, away = nil, false
		cur, err := s.lockAgent(ctx, tx, workspaceID, agentID)
		if err != nil {
			return err
		}
		var inRow int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT expired_in_row FROM agents WHERE id = ?`), agentID).Scan(&inRow); err != nil {
			return err
		}
		if cur.Status != model.AgentAvailable || !setsAway(inRow) {
			agent = cur
			return nil
		}
		if err := s.attendance(ctx, tx, cur, model.AgentAway, now); err != nil {
			return err
		}
		reason := fmt.Sprintf("%d offers in a row ran out", inRow)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET status = ?, status_changed_at = ?, status_reason = ?, expired_in_row = 0 WHERE id = ?`),
			model.AgentAway, micros(now), reason, agentID); err != nil {
			return err
		}
		if _, err := s.closeOffers(ctx, tx, `o.agent_id = ?`, []any{agentID}, model.OfferRescinded, now); err != nil {
			return err
		}
		if agent, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return err
		}
		away = true
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentStatusChanged, AgentID: &agentID, StaffOnly: true}, agent, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: set agent away: %w", err)
	}
	return agent, away, nil
}

// FillRoutingProfiles adds to each agent their skills, languages,
// certifications (workspace slugs) and offer statistics.
func (s *Store) FillRoutingProfiles(ctx context.Context, agents []*model.Agent) error {
	if len(agents) == 0 {
		return nil
	}
	byID := map[int64]*model.Agent{}
	ids := make([]string, 0, len(agents))
	args := make([]any, 0, len(agents))
	for _, a := range agents {
		byID[a.ID] = a
		a.Skills, a.Languages, a.CertifiedFor = []model.AgentSkill{}, []string{}, []string{}
		ids = append(ids, "?")
		args = append(args, a.ID)
	}
	in := "(" + strings.Join(ids, ", ") + ")"
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT agent_id, skill, level FROM agent_skills WHERE agent_id IN `+in+` ORDER BY agent_id, skill`), args...)
	if err != nil {
		return fmt.Errorf("store: agent skills: %w", err)
	}
	for rows.Next() {
		var id int64
		var sk model.AgentSkill
		if err := rows.Scan(&id, &sk.Name, &sk.Level); err != nil {
			rows.Close()
			return fmt.Errorf("store: agent skills: %w", err)
		}
		a := byID[id]
		if lang, ok := strings.CutPrefix(sk.Name, "lang:"); ok {
			a.Languages = append(a.Languages, lang)
		} else {
			a.Skills = append(a.Skills, sk)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: agent skills: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT ac.agent_id, w.slug FROM agent_certifications ac JOIN workspaces w ON w.id = ac.workspace_id
		WHERE ac.agent_id IN `+in+` ORDER BY ac.agent_id, w.slug`), args...)
	if err != nil {
		return fmt.Errorf("store: agent certifications: %w", err)
	}
	for rows.Next() {
		var id int64
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			rows.Close()
			return fmt.Errorf("store: agent certifications: %w", err)
		}
		byID[id].CertifiedFor = append(byID[id].CertifiedFor, slug)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: agent certifications: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT id, offers_received, offers_accepted, offers_declined, offers_expired, expired_in_row
		FROM agents WHERE id IN `+in), args...)
	if err != nil {
		return fmt.Errorf("store: offer statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st model.OfferStats
		if err := rows.Scan(&id, &st.Received, &st.Accepted, &st.Declined, &st.Expired, &st.ExpiredInRow); err != nil {
			return fmt.Errorf("store: offer statistics: %w", err)
		}
		if answered := st.Accepted + st.Declined + st.Expired; answered > 0 {
			st.AcceptanceRate = float64(st.Accepted) / float64(answered)
		}
		byID[id].OfferStats = &st
	}
	return rows.Err()
}

// AgentUpdate changes an agent's routing profile; nil fields stay as they are.
type AgentUpdate struct {
	// Skills and Languages replace the agent's skills and languages.
	Skills    *[]model.AgentSkill
	Languages *[]string
	Capacity  *int
	Quality   *float64
	// CertifiedFor replaces the workspaces (ids) the agent is certified for.
	CertifiedFor *[]int64
}

// Limits on an agent's routing profile.
const (
	MaxAgentSkills = 100
	MaxCapacity    = 50
)

// UpdateAgent changes an agent's routing profile in one transaction and
// records an agent.updated event. A capacity below the conversations the
// agent holds is allowed: routing gives them nothing until they are below it.
func (s *Store) UpdateAgent(ctx context.Context, workspaceID, agentID int64, u AgentUpdate, now time.Time) (*model.Agent, error) {
	if err := u.validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var agent *model.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockAgent(ctx, tx, workspaceID, agentID); err != nil {
			return err
		}
		if u.Capacity != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET capacity = ? WHERE id = ?`), *u.Capacity, agentID); err != nil {
				return err
			}
		}
		if u.Quality != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE agents SET quality_score = ? WHERE id = ?`), *u.Quality, agentID); err != nil {
				return err
			}
		}
		replace := func(where string, names []string, levels []int) error {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agent_skills WHERE agent_id = ? AND `+where), agentID); err != nil {
				return err
			}
			for i, n := range names {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_skills (agent_id, skill, level) VALUES (?, ?, ?)`), agentID, n, levels[i]); err != nil {
					return err
				}
			}
			return nil
		}
		if u.Skills != nil {
			var names []string
			var levels []int
			for _, sk := range *u.Skills {
				names, levels = append(names, sk.Name), append(levels, sk.Level)
			}
			if err := replace(`skill NOT LIKE 'lang:%'`, names, levels); err != nil {
				return err
			}
		}
		if u.Languages != nil {
			var names []string
			var levels []int
			for _, l := range *u.Languages {
				names, levels = append(names, "lang:"+l), append(levels, 5)
			}
			if err := replace(`skill LIKE 'lang:%'`, names, levels); err != nil {
				return err
			}
		}
		if u.CertifiedFor != nil {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agent_certifications WHERE agent_id = ?`), agentID); err != nil {
				return err
			}
			for _, ws := range *u.CertifiedFor {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO agent_certifications (agent_id, workspace_id, certified_at) VALUES (?, ?, ?)`),
					agentID, ws, micros(now)); err != nil {
					return err
				}
			}
			// Offers of workspaces the agent is no longer certified for go back.
			if _, err := s.closeOffers(ctx, tx, `o.agent_id = ? AND NOT EXISTS (SELECT 1 FROM agent_certifications ac
				WHERE ac.agent_id = o.agent_id AND ac.workspace_id = o.workspace_id)`, []any{agentID}, model.OfferRescinded, now); err != nil {
				return err
			}
		}
		var err error
		if agent, err = agentByID(ctx, s, tx, workspaceID, agentID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAgentUpdated, AgentID: &agentID, StaffOnly: true}, agent, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: update agent: %w", err)
	}
	if err := s.FillRoutingProfiles(ctx, []*model.Agent{agent}); err != nil {
		return nil, err
	}
	return agent, nil
}

func (u AgentUpdate) validate() error {
	if u.Capacity != nil && (*u.Capacity < 1 || *u.Capacity > MaxCapacity) {
		return model.Invalid("capacity", "must be between 1 and %d", MaxCapacity)
	}
	if u.Quality != nil && !(*u.Quality >= 0 && *u.Quality <= 1) {
		return model.Invalid("quality_score", "must be between 0 and 1")
	}
	if u.Skills != nil {
		if len(*u.Skills) > MaxAgentSkills {
			return model.Invalid("skills", "must list at most %d skills", MaxAgentSkills)
		}
		seen := map[string]bool{}
		for _, sk := range *u.Skills {
			if !validSkill(sk.Name) || strings.HasPrefix(sk.Name, "lang:") {
				return model.Invalid("skills", "%q is not a skill name (lowercase letters, digits, _ - .; languages go in languages)", sk.Name)
			}
			if sk.Level < 1 || sk.Level > 5 {
				return model.Invalid("skills", "the level of %q must be 1 to 5", sk.Name)
			}
			if seen[sk.Name] {
				return model.Invalid("skills", "%q is listed twice", sk.Name)
			}
			seen[sk.Name] = true
		}
	}
	if u.Languages != nil {
		if len(*u.Languages) > MaxAgentSkills {
			return model.Invalid("languages", "must list at most %d languages", MaxAgentSkills)
		}
		for i, l := range *u.Languages {
			if len(l) < 2 || len(l) > 8 || !validSkill(l) || slices.Contains((*u.Languages)[:i], l) {
				return model.Invalid("languages", "%q must be a language code such as en or sv, listed once", l)
			}
		}
	}
	return nil
}

// validSkill: 1 to 64 bytes of lowercase letters, digits, _ - . (after an optional "lang:").
func validSkill(name string) bool {
	rest := strings.TrimPrefix(name, "lang:")
	if rest == "" || len(name) > 64 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
