package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// ---- canned replies ---------------------------------------------------------------------------

const cannedColumns = `id, workspace_id, shortcut, title, body, created_by, created_at, updated_at`

func scanCanned(row scanner) (*model.CannedReply, error) {
	var c model.CannedReply
	var by sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ID, &c.WorkspaceID, &c.Shortcut, &c.Title, &c.Body, &by, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedBy = int64Ptr(by)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CannedReplies lists a workspace's canned replies by shortcut.
func (s *Store) CannedReplies(ctx context.Context, workspaceID int64) ([]*model.CannedReply, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+cannedColumns+` FROM canned_replies WHERE workspace_id = ? ORDER BY shortcut, id`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: canned replies: %w", err)
	}
	defer rows.Close()
	out := []*model.CannedReply{}
	for rows.Next() {
		c, err := scanCanned(rows)
		if err != nil {
			return nil, fmt.Errorf("store: canned replies: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CannedReply returns one canned reply of a workspace.
func (s *Store) CannedReply(ctx context.Context, workspaceID, id int64) (*model.CannedReply, error) {
	c, err := scanCanned(s.db.QueryRowContext(ctx, s.q(`SELECT `+cannedColumns+` FROM canned_replies WHERE workspace_id = ? AND id = ?`), workspaceID, id))
	if err != nil {
		return nil, notFound(err, "canned reply")
	}
	return c, nil
}

// SaveCannedReply creates a canned reply (c.ID zero) or replaces one. The
// reply is normalized (model.NormalizeCannedReply); a shortcut another reply
// of the workspace has is a conflict, and a workspace keeps at most
// model.MaxCannedReplies.
func (s *Store) SaveCannedReply(ctx context.Context, c model.CannedReply, now time.Time) (*model.CannedReply, error) {
	c, err := model.NormalizeCannedReply(c)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var out *model.CannedReply
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var taken int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM canned_replies WHERE workspace_id = ? AND shortcut = ? AND id <> ?`),
			c.WorkspaceID, c.Shortcut, c.ID).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("a canned reply with the shortcut /%s exists already: %w", c.Shortcut, ErrConflict)
		}
		id := c.ID
		if id == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM canned_replies WHERE workspace_id = ?`), c.WorkspaceID).Scan(&n); err != nil {
				return err
			}
			if n >= model.MaxCannedReplies {
				return fmt.Errorf("the workspace has %d canned replies, the most it may have: %w", n, ErrConflict)
			}
			err := tx.QueryRowContext(ctx, s.q(`INSERT INTO canned_replies (workspace_id, shortcut, title, body, created_by, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				c.WorkspaceID, c.Shortcut, c.Title, c.Body, nullInt64(c.CreatedBy), micros(now), micros(now)).Scan(&id)
			if err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE canned_replies SET shortcut = ?, title = ?, body = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`),
				c.Shortcut, c.Title, c.Body, micros(now), c.WorkspaceID, c.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("canned reply: %w", ErrNotFound)
			}
		}
		var err error
		out, err = scanCanned(tx.QueryRowContext(ctx, s.q(`SELECT `+cannedColumns+` FROM canned_replies WHERE id = ?`), id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: save canned reply: %w", err)
	}
	return out, nil
}

// DeleteCannedReply removes a canned reply of a workspace.
func (s *Store) DeleteCannedReply(ctx context.Context, workspaceID, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM canned_replies WHERE workspace_id = ? AND id = ?`), workspaceID, id)
	if err != nil {
		return fmt.Errorf("store: delete canned reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: canned reply: %w", ErrNotFound)
	}
	return nil
}

// ---- conversation tags ------------------------------------------------------------------------

// ConversationTags returns the tags of the given conversations of a
// workspace, sorted; conversations without tags are absent from the map.
func (s *Store) ConversationTags(ctx context.Context, workspaceID int64, ids []int64) (map[int64][]string, error) {
	return conversationTags(ctx, s, s.db, workspaceID, ids)
}

func conversationTags(ctx context.Context, s *Store, q queryer, workspaceID int64, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		args := make([]any, 0, len(batch)+1)
		args = append(args, workspaceID)
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := q.QueryContext(ctx, s.q(`SELECT conversation_id, tag FROM conversation_tags WHERE workspace_id = ? AND conversation_id IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`) ORDER BY conversation_id, tag`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: conversation tags: %w", err)
		}
		for rows.Next() {
			var id int64
			var tag string
			if err := rows.Scan(&id, &tag); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: conversation tags: %w", err)
			}
			out[id] = append(out[id], tag)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: conversation tags: %w", err)
		}
	}
	return out, nil
}

// SetConversationTags replaces a conversation's tags (normalized by
// model.NormalizeTags) and returns the conversation with them. A change
// appends the staff-only event conversation.tagged, whose data is the
// conversation with its tags; the same tags again change nothing
// (changed=false, no event).
func (s *Store) SetConversationTags(ctx context.Context, workspaceID, conversationID int64, tags []string, now time.Time) (conv *model.Conversation, changed bool, err error) {
	tags, err = model.NormalizeTags(tags)
	if err != nil {
		return nil, false, fmt.Errorf("store: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		changed = false
		c, err := s.lockConversation(ctx, tx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		cur, err := conversationTags(ctx, s, tx, workspaceID, []int64{conversationID})
		if err != nil {
			return err
		}
		old := cur[conversationID]
		c.Tags = tags
		conv = c
		if slices.Equal(old, tags) {
			return nil
		}
		changed = true
		for _, t := range old {
			if !slices.Contains(tags, t) {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM conversation_tags WHERE conversation_id = ? AND tag = ?`), conversationID, t); err != nil {
					return err
				}
			}
		}
		for _, t := range tags {
			if !slices.Contains(old, t) {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO conversation_tags (conversation_id, workspace_id, tag, created_at) VALUES (?, ?, ?, ?)`),
					conversationID, workspaceID, t, micros(now)); err != nil {
					return err
				}
			}
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationTagged, c, true), c, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: set conversation tags: %w", err)
	}
	return conv, changed, nil
}
