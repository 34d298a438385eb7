package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const actionColumns = `id, workspace_id, name, description, parameters, endpoint, secret, intents, examples, use_in_handoff, enabled, created_at, updated_at`

func scanAction(row scanner) (*model.Action, error) {
	var a model.Action
	var params, intents, examples string
	var created, updated int64
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Name, &a.Description, &params, &a.Endpoint, &a.Secret, &intents, &examples,
		&a.UseInHandoff, &a.Enabled, &created, &updated); err != nil {
		return nil, err
	}
	a.Parameters = []model.ActionParam{}
	if params != "" {
		if err := json.Unmarshal([]byte(params), &a.Parameters); err != nil {
			return nil, fmt.Errorf("action %d parameters: %w", a.ID, err)
		}
	}
	a.Intents = splitList(intents)
	a.Examples = splitLines(examples)
	a.HasSecret = a.Secret != ""
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

func splitLines(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, "\n") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func actionArgs(a model.Action) (params, intents, examples string, err error) {
	if a.Parameters == nil {
		a.Parameters = []model.ActionParam{}
	}
	raw, err := json.Marshal(a.Parameters)
	if err != nil {
		return "", "", "", err
	}
	return string(raw), strings.Join(a.Intents, ","), strings.Join(a.Examples, "\n"), nil
}

// CreateAction stores a new action; the same name twice in a workspace is a conflict.
func (s *Store) CreateAction(ctx context.Context, a model.Action, now time.Time) (*model.Action, error) {
	params, intents, examples, err := actionArgs(a)
	if err != nil {
		return nil, fmt.Errorf("store: create action: %w", err)
	}
	var id int64
	err = s.db.QueryRowContext(ctx, s.q(`INSERT INTO actions (workspace_id, name, description, parameters, endpoint, secret, intents, examples,
		use_in_handoff, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, name) DO NOTHING RETURNING id`),
		a.WorkspaceID, a.Name, a.Description, params, a.Endpoint, a.Secret, intents, examples, a.UseInHandoff, a.Enabled, micros(now), micros(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: an action named %q exists already: %w", a.Name, ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("store: create action: %w", err)
	}
	return s.ActionByID(ctx, a.WorkspaceID, id)
}

// EnsureAction creates the action unless the workspace has one of that
// name, and returns the stored one (existing settings are kept).
func (s *Store) EnsureAction(ctx context.Context, a model.Action, now time.Time) (*model.Action, error) {
	out, err := s.CreateAction(ctx, a, now)
	if errors.Is(err, ErrConflict) {
		return s.ActionByName(ctx, a.WorkspaceID, a.Name)
	}
	return out, err
}

// UpdateAction replaces an action's fields; an empty secret keeps the stored one.
func (s *Store) UpdateAction(ctx context.Context, a model.Action, now time.Time) (*model.Action, error) {
	params, intents, examples, err := actionArgs(a)
	if err != nil {
		return nil, fmt.Errorf("store: update action: %w", err)
	}
	var clash int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM actions WHERE workspace_id = ? AND name = ? AND id <> ?`),
		a.WorkspaceID, a.Name, a.ID).Scan(&clash); err != nil {
		return nil, fmt.Errorf("store: update action: %w", err)
	}
	if clash > 0 {
		return nil, fmt.Errorf("store: an action named %q exists already: %w", a.Name, ErrConflict)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE actions SET name = ?, description = ?, parameters = ?, endpoint = ?,
		secret = CASE WHEN ? <> '' THEN ? ELSE secret END, intents = ?, examples = ?, use_in_handoff = ?, enabled = ?, updated_at = ?
		WHERE workspace_id = ? AND id = ?`),
		a.Name, a.Description, params, a.Endpoint, a.Secret, a.Secret, intents, examples, a.UseInHandoff, a.Enabled, micros(now), a.WorkspaceID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("store: update action: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("store: action: %w", ErrNotFound)
	}
	return s.ActionByID(ctx, a.WorkspaceID, a.ID)
}

// DeleteAction removes an action.
func (s *Store) DeleteAction(ctx context.Context, workspaceID, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM actions WHERE workspace_id = ? AND id = ?`), workspaceID, id)
	if err != nil {
		return fmt.Errorf("store: delete action: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: action: %w", ErrNotFound)
	}
	return nil
}

// ActionByID finds an action of a workspace.
func (s *Store) ActionByID(ctx context.Context, workspaceID, id int64) (*model.Action, error) {
	a, err := scanAction(s.db.QueryRowContext(ctx, s.q(`SELECT `+actionColumns+` FROM actions WHERE workspace_id = ? AND id = ?`), workspaceID, id))
	if err != nil {
		return nil, notFound(err, "action")
	}
	return a, nil
}

// ActionByName finds an action of a workspace by name.
func (s *Store) ActionByName(ctx context.Context, workspaceID int64, name string) (*model.Action, error) {
	a, err := scanAction(s.db.QueryRowContext(ctx, s.q(`SELECT `+actionColumns+` FROM actions WHERE workspace_id = ? AND name = ?`), workspaceID, name))
	if err != nil {
		return nil, notFound(err, "action")
	}
	return a, nil
}

// Actions lists a workspace's actions by name.
func (s *Store) Actions(ctx context.Context, workspaceID int64) ([]*model.Action, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+actionColumns+` FROM actions WHERE workspace_id = ? ORDER BY name`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: list actions: %w", err)
	}
	defer rows.Close()
	out := []*model.Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list actions: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
