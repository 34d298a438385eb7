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

// AssistantSettings returns a workspace's assistant settings, defaults filled in.
func (s *Store) AssistantSettings(ctx context.Context, workspaceID int64) (model.AssistantSettings, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT settings FROM assistant_settings WHERE workspace_id = ?`), workspaceID).Scan(&raw)
	var st model.AssistantSettings
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st, fmt.Errorf("store: assistant settings: %w", err)
	case raw != "":
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return st, fmt.Errorf("store: assistant settings: %w", err)
		}
	}
	return st.WithDefaults(), nil
}

// SetAssistantSettings stores a workspace's assistant settings.
func (s *Store) SetAssistantSettings(ctx context.Context, workspaceID int64, st model.AssistantSettings, now time.Time) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: assistant settings: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO assistant_settings (workspace_id, settings, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`),
		workspaceID, string(raw), micros(now))
	if err != nil {
		return fmt.Errorf("store: set assistant settings: %w", err)
	}
	return nil
}

// AddAssistantTurn records what the assistant did on one turn.
func (s *Store) AddAssistantTurn(ctx context.Context, t model.AssistantTurn) error {
	var msg, article sql.NullInt64
	if t.MessageID != 0 {
		msg = sql.NullInt64{Int64: t.MessageID, Valid: true}
	}
	if t.ArticleID != 0 {
		article = sql.NullInt64{Int64: t.ArticleID, Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO assistant_turns (workspace_id, conversation_id, message_id, kind, intent, language,
		confidence, article_id, action, reasons, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		t.WorkspaceID, t.ConversationID, msg, t.Kind, t.Intent, t.Language, t.Confidence, article, t.Action,
		strings.Join(t.Reasons, ","), micros(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: add assistant turn: %w", err)
	}
	return nil
}

// AssistantTurns lists a conversation's assistant turns, oldest first.
func (s *Store) AssistantTurns(ctx context.Context, workspaceID, conversationID int64) ([]model.AssistantTurn, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, workspace_id, conversation_id, message_id, kind, intent, language, confidence,
		article_id, action, reasons, created_at FROM assistant_turns WHERE workspace_id = ? AND conversation_id = ? ORDER BY id`),
		workspaceID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("store: assistant turns: %w", err)
	}
	defer rows.Close()
	out := []model.AssistantTurn{}
	for rows.Next() {
		var t model.AssistantTurn
		var msg, article sql.NullInt64
		var reasons string
		var created int64
		if err := rows.Scan(&t.ID, &t.WorkspaceID, &t.ConversationID, &msg, &t.Kind, &t.Intent, &t.Language, &t.Confidence,
			&article, &t.Action, &reasons, &created); err != nil {
			return nil, fmt.Errorf("store: assistant turns: %w", err)
		}
		t.MessageID, t.ArticleID = msg.Int64, article.Int64
		t.Reasons = splitList(reasons)
		t.CreatedAt = fromMicros(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddHandoffPacket stores the packet built at a handover.
func (s *Store) AddHandoffPacket(ctx context.Context, workspaceID, conversationID int64, p *model.HandoffPacket) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: encode handoff packet: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO handoff_packets (workspace_id, conversation_id, packet, created_at) VALUES (?, ?, ?, ?)`),
		workspaceID, conversationID, string(raw), micros(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: add handoff packet: %w", err)
	}
	return nil
}

// LatestHandoffPacket returns the conversation's newest handoff packet.
func (s *Store) LatestHandoffPacket(ctx context.Context, workspaceID, conversationID int64) (*model.HandoffPacket, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT packet FROM handoff_packets WHERE workspace_id = ? AND conversation_id = ? ORDER BY id DESC LIMIT 1`),
		workspaceID, conversationID).Scan(&raw)
	if err != nil {
		return nil, notFound(err, "handoff packet")
	}
	var p model.HandoffPacket
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("store: decode handoff packet: %w", err)
	}
	return &p, nil
}

// ResolveByAssistant resolves a conversation the assistant holds because
// the customer said its answer helped; it records the resolution (which
// counts toward containment) with a staff-only feedback event and the
// conversation.resolved event, whose data says resolved_by "assistant".
// Again on a conversation it already resolved that way changes nothing.
// A conversation with people (queued, assigned) is a conflict.
func (s *Store) ResolveByAssistant(ctx context.Context, workspaceID, id, messageID int64, now time.Time) (conv *model.Conversation, changed bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockConversation(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case model.StatusAI:
		case model.StatusResolved:
			var at int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT resolved_at FROM assistant_resolutions WHERE conversation_id = ?`), id).Scan(&at)
			if err == nil && cur.ResolvedAt != nil && at == micros(*cur.ResolvedAt) {
				conv = cur
				conv.ResolvedBy = model.ResolvedByAssistant
				return nil
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			return fmt.Errorf("conversation is already resolved: %w", ErrConflict)
		default:
			return fmt.Errorf("conversation is %s, not with the assistant: %w", cur.Status, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = ?, resolved_at = ?, updated_at = ? WHERE id = ?`),
			model.StatusResolved, micros(now), micros(now), id); err != nil {
			return err
		}
		var msg sql.NullInt64
		if messageID != 0 {
			msg = sql.NullInt64{Int64: messageID, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO assistant_resolutions (conversation_id, workspace_id, message_id, resolved_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET message_id = excluded.message_id, resolved_at = excluded.resolved_at`),
			id, workspaceID, msg, micros(now)); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, id); err != nil {
			return err
		}
		conv.ResolvedBy = model.ResolvedByAssistant
		changed = true
		if err := s.appendEvent(ctx, tx, conversationEvent(model.EventAssistantFeedback, conv, true),
			map[string]any{"conversation_id": id, "message_id": messageID, "helpful": true}, now); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationResolved, conv, false), conv, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: resolve by assistant: %w", err)
	}
	return conv, changed, nil
}

// AddFeedbackEvent records a customer's "no, that did not help" (staff only).
func (s *Store) AddFeedbackEvent(ctx context.Context, c *model.Conversation, messageID int64, helpful bool, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return s.appendEvent(ctx, tx, conversationEvent(model.EventAssistantFeedback, c, true),
			map[string]any{"conversation_id": c.ID, "message_id": messageID, "helpful": helpful}, now)
	})
}

// ResolvedByAssistant reports whether the conversation stands resolved by
// the assistant: its current resolution is the one the customer confirmed.
func (s *Store) ResolvedByAssistant(ctx context.Context, c *model.Conversation) (bool, error) {
	if c.Status != model.StatusResolved || c.ResolvedAt == nil {
		return false, nil
	}
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT resolved_at FROM assistant_resolutions WHERE workspace_id = ? AND conversation_id = ?`),
		c.WorkspaceID, c.ID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: assistant resolution: %w", err)
	}
	return at == micros(*c.ResolvedAt), nil
}

// CustomerConversationsSince counts a customer's conversations created at or after since.
func (s *Store) CustomerConversationsSince(ctx context.Context, workspaceID, customerID int64, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM conversations WHERE workspace_id = ? AND customer_id = ? AND created_at >= ?`),
		workspaceID, customerID, micros(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count customer conversations: %w", err)
	}
	return n, nil
}

// AssistantStats are a workspace's assistant figures since a time.
type AssistantStats struct {
	Conversations int `json:"conversations"`
	// ResolvedByAssistant: the customer said the assistant's answer helped,
	// and the conversation stands resolved that way.
	ResolvedByAssistant int `json:"resolved_by_assistant"`
	// HandedOver: the conversation went to people at some point.
	HandedOver int `json:"handed_over"`
	// Containment is ResolvedByAssistant / Conversations.
	Containment float64 `json:"containment"`
	// Answers and Actions count the assistant's answering turns.
	Answers int `json:"answers"`
	Actions int `json:"actions"`
}

// AssistantStats counts what the assistant did with the conversations created since.
func (s *Store) AssistantStats(ctx context.Context, workspaceID int64, since time.Time) (AssistantStats, error) {
	var st AssistantStats
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN c.queued_at IS NOT NULL OR c.had_human THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.status = ? AND r.resolved_at = c.resolved_at THEN 1 ELSE 0 END), 0)
		FROM conversations c LEFT JOIN assistant_resolutions r ON r.conversation_id = c.id
		WHERE c.workspace_id = ? AND c.created_at >= ?`), model.StatusResolved, workspaceID, micros(since)).
		Scan(&st.Conversations, &st.HandedOver, &st.ResolvedByAssistant)
	if err != nil {
		return st, fmt.Errorf("store: assistant stats: %w", err)
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END), 0)
		FROM assistant_turns WHERE workspace_id = ? AND created_at >= ?`), model.TurnAnswer, model.TurnAction, workspaceID, micros(since)).
		Scan(&st.Answers, &st.Actions)
	if err != nil {
		return st, fmt.Errorf("store: assistant stats: %w", err)
	}
	if st.Conversations > 0 {
		st.Containment = float64(st.ResolvedByAssistant) / float64(st.Conversations)
	}
	return st, nil
}
