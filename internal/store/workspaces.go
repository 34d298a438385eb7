package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const workspaceColumns = `id, slug, name, identity_secret, offer_timeout_ms, assistant_name, triage_policy, created_at`

func scanWorkspace(row scanner) (*model.Workspace, error) {
	var w model.Workspace
	var timeoutMS, created int64
	if err := row.Scan(&w.ID, &w.Slug, &w.Name, &w.IdentitySecret, &timeoutMS, &w.AssistantName, &w.TriagePolicy, &created); err != nil {
		return nil, err
	}
	w.OfferTimeout = time.Duration(timeoutMS) * time.Millisecond
	w.CreatedAt = fromMicros(created)
	return &w, nil
}

// EnsureWorkspace creates the workspace with w.Slug unless it exists, and
// returns the stored one either way (existing settings are kept).
func (s *Store) EnsureWorkspace(ctx context.Context, w model.Workspace) (*model.Workspace, error) {
	if w.OfferTimeout <= 0 {
		w.OfferTimeout = 30 * time.Second
	}
	if w.AssistantName == "" {
		w.AssistantName = "Assistant"
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO workspaces (slug, name, identity_secret, offer_timeout_ms, assistant_name, triage_policy, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING`),
		w.Slug, w.Name, w.IdentitySecret, w.OfferTimeout.Milliseconds(), w.AssistantName, w.TriagePolicy, micros(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: ensure workspace: %w", err)
	}
	return s.WorkspaceBySlug(ctx, w.Slug)
}

// WorkspaceBySlug finds a workspace by its slug.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (*model.Workspace, error) {
	w, err := scanWorkspace(s.db.QueryRowContext(ctx, s.q(`SELECT `+workspaceColumns+` FROM workspaces WHERE slug = ?`), slug))
	if err != nil {
		return nil, notFound(err, "workspace "+slug)
	}
	return w, nil
}

// WorkspaceByID finds a workspace by id.
func (s *Store) WorkspaceByID(ctx context.Context, id int64) (*model.Workspace, error) {
	w, err := scanWorkspace(s.db.QueryRowContext(ctx, s.q(`SELECT `+workspaceColumns+` FROM workspaces WHERE id = ?`), id))
	if err != nil {
		return nil, notFound(err, "workspace")
	}
	return w, nil
}

// Workspaces lists every workspace, by id.
func (s *Store) Workspaces(ctx context.Context) ([]*model.Workspace, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list workspaces: %w", err)
	}
	defer rows.Close()
	var out []*model.Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list workspaces: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// SetIdentitySecret changes the secret that verifies customers' user_hash.
func (s *Store) SetIdentitySecret(ctx context.Context, workspaceID int64, secret string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE workspaces SET identity_secret = ? WHERE id = ?`), secret, workspaceID)
	if err != nil {
		return fmt.Errorf("store: set identity secret: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set identity secret: %w", ErrNotFound)
	}
	return nil
}

// SetTriagePolicy stores a workspace's triage policy (JSON; the caller validates it).
func (s *Store) SetTriagePolicy(ctx context.Context, workspaceID int64, policy string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE workspaces SET triage_policy = ? WHERE id = ?`), policy, workspaceID)
	if err != nil {
		return fmt.Errorf("store: set triage policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set triage policy: %w", ErrNotFound)
	}
	return nil
}

// UpsertCustomer stores a customer. A customer with an external id is one
// row per workspace: later sessions update the name, email and locale they
// give and keep what they leave empty. Anonymous visitors get a new row.
func (s *Store) UpsertCustomer(ctx context.Context, c model.Customer) (*model.Customer, error) {
	if c.Tier == "" {
		c.Tier = "standard"
	}
	var out *model.Customer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := micros(time.Now())
		if c.ExternalID == "" {
			var id int64
			err := tx.QueryRowContext(ctx, s.q(`INSERT INTO customers (workspace_id, name, email, locale, tier, verified, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				c.WorkspaceID, c.Name, c.Email, c.Locale, c.Tier, c.Verified, now).Scan(&id)
			if err != nil {
				return err
			}
			var e error
			out, e = customerByID(ctx, s, tx, c.WorkspaceID, id)
			return e
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO customers (workspace_id, external_id, name, email, locale, tier, verified, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace_id, external_id) DO UPDATE SET
				name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,
				email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE customers.email END,
				locale = CASE WHEN excluded.locale <> '' THEN excluded.locale ELSE customers.locale END,
				verified = excluded.verified`),
			c.WorkspaceID, c.ExternalID, c.Name, c.Email, c.Locale, c.Tier, c.Verified, now)
		if err != nil {
			return err
		}
		var e error
		out, e = scanCustomer(tx.QueryRowContext(ctx, s.q(`SELECT `+customerColumns+` FROM customers WHERE workspace_id = ? AND external_id = ?`), c.WorkspaceID, c.ExternalID))
		return e
	})
	if err != nil {
		return nil, fmt.Errorf("store: upsert customer: %w", err)
	}
	return out, nil
}

const customerColumns = `id, workspace_id, COALESCE(external_id, ''), name, email, locale, tier, verified, created_at`

func scanCustomer(row scanner) (*model.Customer, error) {
	var c model.Customer
	var created int64
	if err := row.Scan(&c.ID, &c.WorkspaceID, &c.ExternalID, &c.Name, &c.Email, &c.Locale, &c.Tier, &c.Verified, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

func customerByID(ctx context.Context, s *Store, q queryer, workspaceID, id int64) (*model.Customer, error) {
	return scanCustomer(q.QueryRowContext(ctx, s.q(`SELECT `+customerColumns+` FROM customers WHERE workspace_id = ? AND id = ?`), workspaceID, id))
}

// CustomerByID finds a customer of a workspace.
func (s *Store) CustomerByID(ctx context.Context, workspaceID, id int64) (*model.Customer, error) {
	c, err := customerByID(ctx, s, s.db, workspaceID, id)
	if err != nil {
		return nil, notFound(err, "customer")
	}
	return c, nil
}
