package store

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/tandem-desk/tandem/internal/model"
)

// ConversationSearch is a staff search of a workspace's conversations,
// newest first. Zero fields don't filter.
type ConversationSearch struct {
	Status model.ConversationStatus
	// Text must occur in the conversation's messages: every word of it
	// (SQLite: FTS5; PostgreSQL: full-text over a GIN index).
	Text     string
	AgentID  int64 // owned by this person
	Intent   string
	Language string
	Tag      string
	// From and To bound the creation time: From ≤ created_at < To.
	From, To *time.Time
	// CSATMax keeps the conversations rated at most this score.
	CSATMax int
	// MineOrQueued: an agent's view, the conversations they own and the queue.
	MineOrQueued int64
	// After continues a listing after the page that ended with this
	// conversation (created_at, id): the opaque cursor's content.
	AfterCreated time.Time
	AfterID      int64
	Limit        int
}

// SearchConversations lists the conversations matching q, newest first
// (by creation, then id), up to q.Limit (default 50, at most 200).
func (s *Store) SearchConversations(ctx context.Context, workspaceID int64, q ConversationSearch) ([]*model.Conversation, error) {
	query := `SELECT ` + conversationColumns + conversationFrom + ` WHERE c.workspace_id = ?`
	args := []any{workspaceID}
	add := func(cond string, v ...any) {
		query += " AND " + cond
		args = append(args, v...)
	}
	if q.Status != "" {
		add(`c.status = ?`, q.Status)
	}
	if q.AgentID != 0 {
		add(`c.assignee_id = ?`, q.AgentID)
	}
	if q.MineOrQueued != 0 {
		add(`(c.assignee_id = ? OR c.status = ?)`, q.MineOrQueued, model.StatusQueued)
	}
	if q.Intent != "" {
		add(`c.intent = ?`, q.Intent)
	}
	if q.Language != "" {
		add(`c.language = ?`, q.Language)
	}
	if q.Tag != "" {
		add(`EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.workspace_id = ? AND t.tag = ?)`, workspaceID, q.Tag)
	}
	if q.From != nil {
		add(`c.created_at >= ?`, micros(*q.From))
	}
	if q.To != nil {
		add(`c.created_at < ?`, micros(*q.To))
	}
	if q.CSATMax > 0 {
		add(`EXISTS (SELECT 1 FROM csat_ratings r WHERE r.conversation_id = c.id AND r.workspace_id = ? AND r.score <= ?)`, workspaceID, q.CSATMax)
	}
	if q.AfterID != 0 {
		at := micros(q.AfterCreated)
		add(`(c.created_at < ? OR (c.created_at = ? AND c.id < ?))`, at, at, q.AfterID)
	}
	if text := strings.TrimSpace(q.Text); text != "" {
		if s.d.name == sqliteDialect.name {
			match := ftsQuery(text)
			if match == "" {
				return []*model.Conversation{}, nil // nothing but punctuation: no word to find
			}
			add(`c.id IN (SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.id = f.rowid
				WHERE messages_fts MATCH ? AND m.workspace_id = ?)`, match, workspaceID)
		} else {
			add(`c.id IN (SELECT m.conversation_id FROM messages m
				WHERE m.workspace_id = ? AND to_tsvector('simple', m.body) @@ plainto_tsquery('simple', ?))`, workspaceID, text)
		}
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	query += ` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`
	args = append(args, q.Limit)
	return s.queryConversations(ctx, "search conversations", query, args)
}

// ftsQuery turns what a person typed into an FTS5 query that finds every
// word of it: each word quoted, so no character of theirs is FTS syntax.
// Words are split as PostgreSQL's 'simple' parser splits them (letters and
// digits), so both dialects find the same conversations.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " ")
}
