package desk

import (
	"context"
	"slices"
	"strings"

	"github.com/tandem-desk/tandem/internal/model"
)

// ArticleInput is what staff send to create or replace an article.
type ArticleInput struct {
	Title     string
	Body      string
	Language  string
	Intents   []string
	Published bool
}

// ArticleQuery filters and searches the knowledge base.
type ArticleQuery struct {
	// Q, when set, searches (BM25F) instead of listing; results best first.
	Q        string
	Language string
	Limit    int
}

// ArticleHit is an article found by a search, with its score.
type ArticleHit struct {
	*model.Article
	Score    float64 `json:"score,omitempty"`
	Coverage float64 `json:"coverage,omitempty"`
}

// Articles lists the workspace's articles (drafts included) for staff, or
// searches the published ones when q.Q is set.
func (d *Desk) Articles(ctx context.Context, a Actor, q ArticleQuery) ([]ArticleHit, error) {
	if q.Language != "" {
		q.Language = strings.ToLower(q.Language)
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 200
	}
	out := []ArticleHit{}
	if strings.TrimSpace(q.Q) != "" {
		kb, err := d.knowledge(ctx, a.WorkspaceID)
		if err != nil {
			return nil, err
		}
		for _, h := range kb.index.Search(q.Q, q.Language, q.Limit) {
			out = append(out, ArticleHit{Article: h.Article, Score: round3(h.Score), Coverage: round3(h.Coverage)})
		}
		return out, nil
	}
	list, err := d.store.Articles(ctx, a.WorkspaceID, false)
	if err != nil {
		return nil, err
	}
	for _, art := range list {
		if q.Language != "" && art.Language != q.Language {
			continue
		}
		if len(out) == q.Limit {
			break
		}
		out = append(out, ArticleHit{Article: art})
	}
	return out, nil
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// Article returns one article (drafts included) to staff.
func (d *Desk) Article(ctx context.Context, a Actor, id int64) (*model.Article, error) {
	return d.store.ArticleByID(ctx, a.WorkspaceID, id)
}

// CreateArticle adds an article; supervisors and admins. The assistant answers from
// it at once.
func (d *Desk) CreateArticle(ctx context.Context, a Actor, in ArticleInput) (*model.Article, error) {
	art, err := d.validArticle(in)
	if err != nil {
		return nil, err
	}
	art.WorkspaceID = a.WorkspaceID
	out, err := d.store.CreateArticle(ctx, *art, d.now())
	if err != nil {
		return nil, err
	}
	d.KnowledgeChanged(a.WorkspaceID)
	return out, nil
}

// UpdateArticle replaces an article's fields; supervisors and admins.
func (d *Desk) UpdateArticle(ctx context.Context, a Actor, id int64, in ArticleInput) (*model.Article, error) {
	art, err := d.validArticle(in)
	if err != nil {
		return nil, err
	}
	art.ID, art.WorkspaceID = id, a.WorkspaceID
	out, err := d.store.UpdateArticle(ctx, *art, d.now())
	if err != nil {
		return nil, err
	}
	d.KnowledgeChanged(a.WorkspaceID)
	return out, nil
}

// DeleteArticle removes an article; supervisors and admins. Answers that cited it keep
// their citation.
func (d *Desk) DeleteArticle(ctx context.Context, a Actor, id int64) error {
	if err := d.store.DeleteArticle(ctx, a.WorkspaceID, id); err != nil {
		return err
	}
	d.KnowledgeChanged(a.WorkspaceID)
	return nil
}

// validArticle checks an article; its intents must be ones the triage
// model knows (or the assistant could never pick the article by intent).
func (d *Desk) validArticle(in ArticleInput) (*model.Article, error) {
	art := &model.Article{Title: in.Title, Body: strings.TrimSpace(in.Body), Language: in.Language, Published: in.Published}
	for _, i := range in.Intents {
		if i = strings.TrimSpace(i); i != "" && !slices.Contains(art.Intents, i) {
			art.Intents = append(art.Intents, i)
		}
	}
	if art.Intents == nil {
		art.Intents = []string{}
	}
	if art.Language == "" {
		art.Language = "en"
	}
	if err := model.ValidateArticle(art); err != nil {
		return nil, err
	}
	if d.triage != nil {
		known := d.triage.Model().Intents()
		for _, i := range art.Intents {
			if !slices.Contains(known, i) {
				return nil, model.Invalid("intents", "unknown intent %q (GET /api/v1/intents lists them)", i)
			}
		}
	}
	return art, nil
}

// Intents lists the intents the triage model knows, for the editor.
func (d *Desk) Intents(a Actor) ([]string, error) {
	out := d.triage.Model().Intents()
	slices.Sort(out)
	return out, nil
}
