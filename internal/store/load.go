package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Load is the installation's live load across all workspaces: what the
// Prometheus gauges report on each scrape.
type Load struct {
	// Queued counts the conversations waiting for a person; OldestQueuedAt
	// is when the first of them was queued (nil when nobody waits).
	Queued         int
	OldestQueuedAt *time.Time
	// Agents counts the staff by status.
	Agents map[model.AgentStatus]int
}

// Load reads the live load. It is two small queries — the queued
// conversations through their partial index (conversations_waiting), the
// staff grouped by status — and no transaction, so a scrape never holds a
// lock that dispatch waits for.
func (s *Store) Load(ctx context.Context) (*Load, error) {
	out := &Load{Agents: map[model.AgentStatus]int{}}
	var oldest sql.NullInt64
	// 'queued' is written out, not bound: SQLite uses a partial index only
	// for a literal that matches its WHERE.
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(queued_at) FROM conversations WHERE status = 'queued'`).Scan(&out.Queued, &oldest)
	if err != nil {
		return nil, fmt.Errorf("store: load: queue: %w", err)
	}
	out.OldestQueuedAt = timePtr(oldest)
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM agents GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: load: agents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st model.AgentStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: load: agents: %w", err)
		}
		out.Agents[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: load: agents: %w", err)
	}
	return out, nil
}
