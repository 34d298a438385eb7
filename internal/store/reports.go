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

// ReportSettings are a workspace's settings for reports; costs in minor units.
type ReportSettings struct {
	RepeatDays        int   `json:"repeat_days"`
	AssistantCost     int64 `json:"assistant_cost_per_conversation"`
	PersonCostPerHour int64 `json:"person_cost_per_hour"`
}

// ReportSettings returns the workspace's report settings (the defaults
// when it never set them: a 7-day repeat window, no costs).
func (s *Store) ReportSettings(ctx context.Context, workspaceID int64) (ReportSettings, error) {
	rs := ReportSettings{RepeatDays: 7}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT repeat_days, assistant_cost, person_cost_per_hour FROM report_settings WHERE workspace_id = ?`),
		workspaceID).Scan(&rs.RepeatDays, &rs.AssistantCost, &rs.PersonCostPerHour)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rs, fmt.Errorf("store: report settings: %w", err)
	}
	return rs, nil
}

// SetReportSettings stores the workspace's report settings (validated by the caller).
func (s *Store) SetReportSettings(ctx context.Context, workspaceID int64, rs ReportSettings, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO report_settings (workspace_id, repeat_days, assistant_cost, person_cost_per_hour, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET repeat_days = excluded.repeat_days,
		assistant_cost = excluded.assistant_cost, person_cost_per_hour = excluded.person_cost_per_hour, updated_at = excluded.updated_at`),
		workspaceID, rs.RepeatDays, rs.AssistantCost, rs.PersonCostPerHour, micros(now))
	if err != nil {
		return fmt.Errorf("store: set report settings: %w", err)
	}
	return nil
}

// ReportConversation is what a report groups a conversation by.
type ReportConversation struct {
	ID, CustomerID   int64
	Intent, Language string
}

// reportEventTypes are the events reports fold; the rest are not read.
var reportEventTypes = []string{
	model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued,
	model.EventConversationAssigned, model.EventConversationResolved, model.EventConversationReopened,
	model.EventAssistantFeedback, model.EventCSATSubmitted,
	model.EventOfferAccepted, model.EventOfferDeclined, model.EventOfferExpired,
}

// ReportEvents returns the events reports read of the workspace's
// conversations created in [from, to), each conversation's in seq order
// (conversation after conversation), and those conversations.
func (s *Store) ReportEvents(ctx context.Context, workspaceID int64, from, to time.Time) ([]model.Event, []ReportConversation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, customer_id, intent, language FROM conversations
		WHERE workspace_id = ? AND created_at >= ? AND created_at < ?`), workspaceID, micros(from), micros(to))
	if err != nil {
		return nil, nil, fmt.Errorf("store: report conversations: %w", err)
	}
	var convs []ReportConversation
	for rows.Next() {
		var c ReportConversation
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.Intent, &c.Language); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("store: report conversations: %w", err)
		}
		convs = append(convs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: report conversations: %w", err)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(reportEventTypes)), ", ")
	args := []any{model.EventConversationCreated, model.EventConversationResolved, model.EventConversationReopened,
		workspaceID, micros(from), micros(to)}
	for _, t := range reportEventTypes {
		args = append(args, t)
	}
	// A conversation's events are its workspace's: the conversation's
	// workspace is the one condition (one on events too misleads
	// PostgreSQL's planner into intersecting two indexes per conversation).
	// Ordered by conversation, then seq: a conversation's events in the
	// order they happened, straight from the events_conversation index,
	// with no sort of the whole period.
	// Only the events whose payload the fold reads bring it along.
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT e.seq, e.type, e.conversation_id, e.at,
		CASE WHEN e.type IN (?, ?, ?) THEN '' ELSE e.data END
		FROM conversations c JOIN events e ON e.conversation_id = c.id
		WHERE c.workspace_id = ? AND c.created_at >= ? AND c.created_at < ?
		AND e.type IN (`+marks+`) ORDER BY e.conversation_id, e.seq`), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: report events: %w", err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		ev := model.Event{WorkspaceID: workspaceID}
		var conv, at int64
		var data string
		if err := rows.Scan(&ev.Seq, &ev.Type, &conv, &at, &data); err != nil {
			return nil, nil, fmt.Errorf("store: report events: %w", err)
		}
		ev.ConversationID, ev.At, ev.Data = &conv, fromMicros(at), []byte(data)
		out = append(out, ev)
	}
	return out, convs, rows.Err()
}

// ConversationEvents returns every event of a conversation, in order (staff).
func (s *Store) ConversationEvents(ctx context.Context, workspaceID, conversationID int64) ([]model.Event, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, type, at, data FROM events WHERE workspace_id = ? AND conversation_id = ? ORDER BY seq LIMIT 2000`),
		workspaceID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("store: conversation events: %w", err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		ev := model.Event{WorkspaceID: workspaceID, ConversationID: &conversationID}
		var at int64
		var data string
		if err := rows.Scan(&ev.Seq, &ev.Type, &at, &data); err != nil {
			return nil, fmt.Errorf("store: conversation events: %w", err)
		}
		ev.At, ev.Data = fromMicros(at), []byte(data)
		out = append(out, ev)
	}
	return out, rows.Err()
}
