package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// WidgetOrigins lists the web origins allowed to open widget sessions for
// the workspace, sorted; empty means any origin.
func (s *Store) WidgetOrigins(ctx context.Context, workspaceID int64) ([]string, error) {
	return widgetOrigins(ctx, s, s.db, workspaceID)
}

func widgetOrigins(ctx context.Context, s *Store, q queryer, workspaceID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT origin FROM widget_origins WHERE workspace_id = ? ORDER BY origin`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: widget origins: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("store: widget origins: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// WorkspaceUpdate is an admin's change to a workspace's settings; nil fields
// stay as they are. The caller validates and normalizes them.
type WorkspaceUpdate struct {
	Name          *string
	AssistantName *string
	// WidgetOrigins replaces the whole list.
	WidgetOrigins *[]string
}

// UpdateWorkspace applies u and appends a staff-only event whose data is
// what event(ws, origins) returns, in one transaction. The updated
// workspace and its origins are returned.
func (s *Store) UpdateWorkspace(ctx context.Context, workspaceID int64, u WorkspaceUpdate, event func(*model.Workspace, []string) any, now time.Time) (ws *model.Workspace, origins []string, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if u.Name != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE workspaces SET name = ? WHERE id = ?`), *u.Name, workspaceID); err != nil {
				return err
			}
		}
		if u.AssistantName != nil {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE workspaces SET assistant_name = ? WHERE id = ?`), *u.AssistantName, workspaceID); err != nil {
				return err
			}
		}
		if u.WidgetOrigins != nil {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM widget_origins WHERE workspace_id = ?`), workspaceID); err != nil {
				return err
			}
			for _, o := range *u.WidgetOrigins {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO widget_origins (workspace_id, origin, created_at) VALUES (?, ?, ?)
					ON CONFLICT (workspace_id, origin) DO NOTHING`), workspaceID, o, micros(now)); err != nil {
					return err
				}
			}
		}
		w, err := scanWorkspace(tx.QueryRowContext(ctx, s.q(`SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`), workspaceID))
		if err != nil {
			return notFound(err, "workspace")
		}
		list, err := widgetOrigins(ctx, s, tx, workspaceID)
		if err != nil {
			return err
		}
		ws, origins = w, list
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventWorkspaceSettingsUpdated, StaffOnly: true},
			event(w, list), now)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: update workspace: %w", err)
	}
	return ws, origins, nil
}

// RotateIdentitySecret replaces the workspace's identity secret, with a
// staff-only event that does not carry it.
func (s *Store) RotateIdentitySecret(ctx context.Context, workspaceID int64, secret string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE workspaces SET identity_secret = ? WHERE id = ?`), secret, workspaceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("workspace: %w", ErrNotFound)
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventIdentitySecretRotated, StaffOnly: true},
			map[string]any{"rotated_at": now}, now)
	})
	if err != nil {
		return fmt.Errorf("store: rotate identity secret: %w", err)
	}
	return nil
}

// UpdateTriagePolicy stores the workspace's triage policy (JSON; the caller
// validates it) with a staff-only event whose data is data.
func (s *Store) UpdateTriagePolicy(ctx context.Context, workspaceID int64, policy string, data any, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE workspaces SET triage_policy = ? WHERE id = ?`), policy, workspaceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("workspace: %w", ErrNotFound)
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventAssistantPolicyUpdated, StaffOnly: true}, data, now)
	})
	if err != nil {
		return fmt.Errorf("store: update triage policy: %w", err)
	}
	return nil
}
