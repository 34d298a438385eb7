package store

import (
	"context"
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
// same title and language, and returns the stored one.
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
