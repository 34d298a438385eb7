package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

const articleColumns = `id, workspace_id, title, body, language, intents, published, created_at, updated_at`

func scanArticle(row scanner) (*model.Article, error) {
	var a model.Article
	var created, updated int64
	var intents string
	if err := row.Scan(&a.ID, &a.WorkspaceID, &a.Title, &a.Body, &a.Language, &intents, &a.Published, &created, &updated); err != nil {
		return nil, err
	}
	a.Intents = splitList(intents)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &a, nil
}

// EnsureArticle creates the article unless the workspace has one with the
// same title and language, and returns the stored one (unchanged).
func (s *Store) EnsureArticle(ctx context.Context, a model.Article) (*model.Article, error) {
	if a.Language == "" {
		a.Language = "en"
	}
	now := micros(time.Now())
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO articles (workspace_id, title, body, language, intents, published, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, language, title) DO NOTHING`),
		a.WorkspaceID, a.Title, a.Body, a.Language, strings.Join(a.Intents, ","), a.Published, now, now)
	if err != nil {
		return nil, fmt.Errorf("store: ensure article: %w", err)
	}
	out, err := scanArticle(s.db.QueryRowContext(ctx, s.q(`SELECT `+articleColumns+` FROM articles
		WHERE workspace_id = ? AND language = ? AND title = ?`), a.WorkspaceID, a.Language, a.Title))
	if err != nil {
		return nil, notFound(err, "article")
	}
	return out, nil
}

// CreateArticle stores a new article; the same title in the same language
// twice is a conflict.
func (s *Store) CreateArticle(ctx context.Context, a model.Article, now time.Time) (*model.Article, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO articles (workspace_id, title, body, language, intents, published, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, language, title) DO NOTHING RETURNING id`),
		a.WorkspaceID, a.Title, a.Body, a.Language, strings.Join(a.Intents, ","), a.Published, micros(now), micros(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: an article titled %q in %q exists already: %w", a.Title, a.Language, ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("store: create article: %w", err)
	}
	return s.ArticleByID(ctx, a.WorkspaceID, id)
}

// UpdateArticle replaces an article's fields. updated_at strictly
// increases, also for two edits within one clock tick.
func (s *Store) UpdateArticle(ctx context.Context, a model.Article, now time.Time) (*model.Article, error) {
	var out *model.Article
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanArticle(tx.QueryRowContext(ctx, s.q(`SELECT `+articleColumns+` FROM articles WHERE workspace_id = ? AND id = ?`), a.WorkspaceID, a.ID))
		if err != nil {
			return notFound(err, "article")
		}
		var clash int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM articles WHERE workspace_id = ? AND language = ? AND title = ? AND id <> ?`),
			a.WorkspaceID, a.Language, a.Title, a.ID).Scan(&clash); err != nil {
			return err
		}
		if clash > 0 {
			return fmt.Errorf("an article titled %q in %q exists already: %w", a.Title, a.Language, ErrConflict)
		}
		updated := micros(now)
		if updated <= micros(cur.UpdatedAt) {
			updated = micros(cur.UpdatedAt) + 1
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE articles SET title = ?, body = ?, language = ?, intents = ?, published = ?, updated_at = ?
			WHERE workspace_id = ? AND id = ?`),
			a.Title, a.Body, a.Language, strings.Join(a.Intents, ","), a.Published, updated, a.WorkspaceID, a.ID); err != nil {
			return err
		}
		out, err = scanArticle(tx.QueryRowContext(ctx, s.q(`SELECT `+articleColumns+` FROM articles WHERE workspace_id = ? AND id = ?`), a.WorkspaceID, a.ID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: update article: %w", err)
	}
	return out, nil
}

// DeleteArticle removes an article. Messages that cited it keep their
// citation's title and link.
func (s *Store) DeleteArticle(ctx context.Context, workspaceID, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM articles WHERE workspace_id = ? AND id = ?`), workspaceID, id)
	if err != nil {
		return fmt.Errorf("store: delete article: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: article: %w", ErrNotFound)
	}
	return nil
}

// ArticleByID finds an article of a workspace.
func (s *Store) ArticleByID(ctx context.Context, workspaceID, id int64) (*model.Article, error) {
	a, err := scanArticle(s.db.QueryRowContext(ctx, s.q(`SELECT `+articleColumns+` FROM articles WHERE workspace_id = ? AND id = ?`), workspaceID, id))
	if err != nil {
		return nil, notFound(err, "article")
	}
	return a, nil
}

// Articles lists a workspace's articles by id; publishedOnly hides drafts.
func (s *Store) Articles(ctx context.Context, workspaceID int64, publishedOnly bool) ([]*model.Article, error) {
	query := `SELECT ` + articleColumns + ` FROM articles WHERE workspace_id = ?`
	args := []any{workspaceID}
	if publishedOnly {
		query += ` AND published = ?`
		args = append(args, true)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	var out []*model.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list articles: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// splitList reads a comma-separated column.
func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
