package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// hourMicros is one hour in the schema's time unit.
const hourMicros = int64(time.Hour / time.Microsecond)

// OverviewCounts are the raw figures of a workspace's live overview: where
// its conversations stand now, and what happened since the start of the day.
type OverviewCounts struct {
	// Open counts the conversations with the assistant (ai), waiting for a
	// person (queued) and with a person (assigned), whatever their age.
	Open map[model.ConversationStatus]int
	// ResolvedToday counts the conversations standing resolved since the day began.
	ResolvedToday int
	// OldestQueuedAt is when the longest-waiting queued conversation was queued.
	OldestQueuedAt *time.Time
	// Agents counts the staff by status; Capacity and Active are the
	// slots of the available agents and the conversations they hold.
	Agents   map[model.AgentStatus]int
	Capacity int
	Active   int
	// Hours holds, per hour since the day began (index 0 is its first
	// hour), the conversations created in it and what became of them.
	Hours []HourCounts
	// CSAT counts the ratings given (or changed) since the day began, by
	// score: CSAT[0] is the number of 1s … CSAT[4] the number of 5s.
	CSAT [5]int
}

// HourCounts describes the conversations created in one hour.
type HourCounts struct {
	Created int
	// HandedOver went to people at some point (queued, or owned by a person).
	HandedOver int
	// ResolvedByAssistant stand resolved by the customer's "that helped".
	ResolvedByAssistant int
	// AIAnswered were never handed over, and the assistant answered them
	// (from an article or an action) or the customer said its answer
	// resolved them. AIAnswered includes ResolvedByAssistant.
	AIAnswered int
}

// Overview counts a workspace's overview figures. dayStart is the start of
// the day the "today" figures count from; now bounds the hours.
func (s *Store) Overview(ctx context.Context, workspaceID int64, dayStart, now time.Time) (*OverviewCounts, error) {
	out := &OverviewCounts{Open: map[model.ConversationStatus]int{}, Agents: map[model.AgentStatus]int{}}
	// Separate statements, no transaction: on SQLite a transaction would
	// take the write lock; figures a few milliseconds apart are fine here.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT status, COUNT(*), MIN(queued_at) FROM conversations
		WHERE workspace_id = ? AND status IN (?, ?, ?) GROUP BY status`),
		workspaceID, model.StatusAI, model.StatusQueued, model.StatusAssigned)
	if err != nil {
		return nil, fmt.Errorf("store: overview: open conversations: %w", err)
	}
	for rows.Next() {
		var st model.ConversationStatus
		var n int
		var oldest sql.NullInt64
		if err := rows.Scan(&st, &n, &oldest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: overview: open conversations: %w", err)
		}
		out.Open[st] = n
		if st == model.StatusQueued {
			out.OldestQueuedAt = timePtr(oldest)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: overview: open conversations: %w", err)
	}

	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM conversations WHERE workspace_id = ? AND resolved_at >= ? AND status = ?`),
		workspaceID, micros(dayStart), model.StatusResolved).Scan(&out.ResolvedToday)
	if err != nil {
		return nil, fmt.Errorf("store: overview: resolved today: %w", err)
	}

	rows, err = s.db.QueryContext(ctx, s.q(`SELECT status, COUNT(*), COALESCE(SUM(capacity), 0) FROM agents WHERE workspace_id = ? GROUP BY status`), workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: overview: agents: %w", err)
	}
	for rows.Next() {
		var st model.AgentStatus
		var n, capacity int
		if err := rows.Scan(&st, &n, &capacity); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: overview: agents: %w", err)
		}
		out.Agents[st] = n
		if st == model.AgentAvailable {
			out.Capacity = capacity
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: overview: agents: %w", err)
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM conversations c JOIN agents a ON a.id = c.assignee_id
		WHERE c.workspace_id = ? AND c.status = ? AND a.status = ?`),
		workspaceID, model.StatusAssigned, model.AgentAvailable).Scan(&out.Active)
	if err != nil {
		return nil, fmt.Errorf("store: overview: active: %w", err)
	}

	// Today's conversations by hour. A conversation went to people when it
	// was ever queued or owned by a person (queued_at is never cleared).
	// The assistant's resolution stands while assistant_resolutions holds
	// the conversation's current resolved_at.
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT h, COUNT(*), COALESCE(SUM(handed), 0), COALESCE(SUM(by_ai), 0), COALESCE(SUM(answered), 0)
		FROM (SELECT (c.created_at - ?) / ? AS h,
			CASE WHEN c.queued_at IS NOT NULL OR c.had_human THEN 1 ELSE 0 END AS handed,
			CASE WHEN c.status = ? AND r.resolved_at = c.resolved_at THEN 1 ELSE 0 END AS by_ai,
			CASE WHEN c.queued_at IS NULL AND NOT c.had_human AND ((c.status = ? AND r.resolved_at = c.resolved_at)
				OR EXISTS (SELECT 1 FROM assistant_turns t WHERE t.conversation_id = c.id AND t.kind IN (?, ?))) THEN 1 ELSE 0 END AS answered
			FROM conversations c LEFT JOIN assistant_resolutions r ON r.conversation_id = c.id
			WHERE c.workspace_id = ? AND c.created_at >= ? AND c.created_at <= ?) today
		GROUP BY h ORDER BY h`),
		micros(dayStart), hourMicros, model.StatusResolved, model.StatusResolved, model.TurnAnswer, model.TurnAction,
		workspaceID, micros(dayStart), micros(now))
	if err != nil {
		return nil, fmt.Errorf("store: overview: today: %w", err)
	}
	n := int(now.Sub(dayStart)/time.Hour) + 1
	out.Hours = make([]HourCounts, max(n, 1))
	for rows.Next() {
		var h int64
		var c HourCounts
		if err := rows.Scan(&h, &c.Created, &c.HandedOver, &c.ResolvedByAssistant, &c.AIAnswered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: overview: today: %w", err)
		}
		if h >= 0 && h < int64(len(out.Hours)) {
			out.Hours[h] = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: overview: today: %w", err)
	}

	rows, err = s.db.QueryContext(ctx, s.q(`SELECT score, COUNT(*) FROM csat_ratings WHERE workspace_id = ? AND updated_at >= ? GROUP BY score`),
		workspaceID, micros(dayStart))
	if err != nil {
		return nil, fmt.Errorf("store: overview: csat: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var score, n int
		if err := rows.Scan(&score, &n); err != nil {
			return nil, fmt.Errorf("store: overview: csat: %w", err)
		}
		if score >= model.MinCSATScore && score <= model.MaxCSATScore {
			out.CSAT[score-1] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: overview: csat: %w", err)
	}
	return out, nil
}
