package store

import (
	"context"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/store/storetest"
)

// TestPostgresHotPathsUseIndexes seeds a database large enough for the
// planner to care (20 workspaces, 4,000 conversations, 60,000 messages,
// 60,000 events (few and old for workspace 7), 4,000 offers, 60,000
// webhook deliveries), and checks with EXPLAIN that each hot query
// is served by the index meant for it rather than a scan of the table.
// docs/scaling.md lists the same plans.
func TestPostgresHotPathsUseIndexes(t *testing.T) {
	ctx := t.Context()
	s, err := OpenPostgres(ctx, storetest.NewPostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed := []string{
		`INSERT INTO workspaces (slug, name, created_at) SELECT 'ws' || i, 'W' || i, 0 FROM generate_series(1, 20) i`,
		`INSERT INTO customers (workspace_id, name, created_at) SELECT 1 + i % 20, 'c' || i, 0 FROM generate_series(1, 2000) i`,
		`INSERT INTO agents (workspace_id, email, name, role, password_hash, status, status_changed_at, created_at)
			SELECT 1 + i % 20, 'a' || i || '@x', 'a', 'agent', 'x', CASE WHEN i % 3 = 0 THEN 'available' ELSE 'offline' END, 0, 0 FROM generate_series(1, 400) i`,
		`INSERT INTO conversations (workspace_id, customer_id, status, created_at, updated_at, queued_at)
			SELECT 1 + (i % 2000) % 20, 1 + i % 2000, CASE WHEN i % 50 = 0 THEN 'queued' ELSE 'resolved' END, i, i, i FROM generate_series(1, 4000) i`,
		`INSERT INTO messages (workspace_id, conversation_id, seq, author_kind, body, created_at)
			SELECT c.workspace_id, c.id, k, 'customer', 'hello', k FROM conversations c, generate_series(1, 15) k`,
		// Workspace 7 is small and quiet: its few events are old, the log's
		// head belongs to the busy others — the case where reading "after
		// my cursor" by the primary key would wade through everyone's events.
		`INSERT INTO events (workspace_id, type, conversation_id, customer_id, data, at)
			SELECT 7, 'message.created', c.id, c.customer_id, '{}', k FROM conversations c, generate_series(1, 2) k WHERE c.workspace_id = 7`,
		`INSERT INTO events (workspace_id, type, conversation_id, customer_id, data, at)
			SELECT c.workspace_id, 'message.created', c.id, c.customer_id, '{}', k FROM conversations c, generate_series(1, 15) k WHERE c.workspace_id <> 7`,
		`INSERT INTO offers (workspace_id, conversation_id, agent_id, status, created_at, expires_at)
			SELECT c.workspace_id, c.id, 1 + c.id % 400, CASE WHEN c.id % 100 = 0 THEN 'pending' ELSE 'expired' END, 0, c.id FROM conversations c`,
		`INSERT INTO webhook_endpoints (workspace_id, url, event_types, secret, from_seq, created_at, updated_at)
			SELECT i, 'https://example.test/hook', '*', 'whsec_x', 0, 0, 0 FROM generate_series(1, 20) i`,
		`INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_seq, event_type, msg_id, payload, status, next_attempt_at, created_at)
			SELECT ev.workspace_id, e.id, ev.seq, ev.type, 'msg_' || ev.seq, '{}',
				CASE WHEN ev.seq % 500 = 0 THEN 'pending' ELSE 'delivered' END, CASE WHEN ev.seq % 500 = 0 THEN ev.seq END, 0
			FROM events ev JOIN webhook_endpoints e ON e.workspace_id = ev.workspace_id`,
		`ANALYZE`,
	}
	for _, q := range seed {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("seed %q: %v", q, err)
		}
	}
	cases := []struct {
		name, query, index string
		args               []any
	}{
		{"the queue of a workspace (dispatch snapshot)",
			`SELECT c.id, c.queued_at FROM conversations c WHERE c.workspace_id = ? AND c.status = ?
			AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.conversation_id = c.id AND o.status = 'pending')
			ORDER BY c.queued_at, c.id LIMIT 1000`, "conversations_queue|conversations_waiting", []any{7, "queued"}},
		{"messages after a seq",
			`SELECT id, seq, body FROM messages WHERE workspace_id = ? AND conversation_id = ? AND seq > ? ORDER BY seq LIMIT 200`,
			"messages_conversation_id_seq_key", []any{7, 1234, 5}},
		{"events of a workspace after a seq (the stream)",
			`SELECT seq, type, data FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT 500`,
			"events_workspace_seq", []any{7, 100}},
		{"a customer's events after a seq (a stream resuming from far back)",
			`SELECT seq, type, data FROM events WHERE workspace_id = ? AND seq > ? AND customer_id = ? AND staff_only = ? ORDER BY seq LIMIT 500`,
			"events_customer_seq", []any{1, 0, 20, false}},
		{"the head of a workspace's log",
			`SELECT MAX(seq) FROM events WHERE workspace_id = ?`, "events_workspace_seq", []any{7}},
		{"the next offer deadline",
			`SELECT MIN(expires_at) FROM offers WHERE status = 'pending'`, "offers_deadline", nil},
		{"an agent's pending offers",
			`SELECT COUNT(*) FROM offers WHERE agent_id = ? AND status = 'pending'`, "offers_agent_pending", []any{42}},
		{"an agent's assigned conversations",
			`SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = ? AND c.status = 'assigned'`, "conversations_assignee", []any{42}},
		{"due webhook deliveries",
			`SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 50`,
			"webhook_deliveries_due", []any{1 << 50}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := explain(ctx, t, s, c.query, c.args...)
			used := false
			for _, index := range strings.Split(c.index, "|") {
				used = used || strings.Contains(plan, index)
			}
			if !used {
				t.Errorf("plan does not use %s:\n%s", c.index, plan)
			}
			t.Logf("%s\n%s", c.name, plan)
		})
	}
}

func explain(ctx context.Context, t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.db.QueryContext(ctx, s.q("EXPLAIN "+query), args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
