package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// appendEvent records ev as part of the caller's transaction, so the change
// and its event commit or roll back together. data is marshalled to JSON.
//
// Inside Store.tx the event is only queued: flushEvents writes the queued
// events when fn has returned, just before the commit (see flushEvents for
// why).
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, ev model.Event, data any, at time.Time) error {
	if c, ok := data.(*model.Conversation); ok && c.Triage != nil {
		// Events reach customers' streams; how triage read them is for staff
		// only, who get it from the conversation itself.
		cp := *c
		cp.Triage = nil
		data = &cp
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: encode %s event: %w", ev.Type, err)
	}
	p := pendingEvent{ev: ev, data: string(raw), at: at}
	if q, ok := s.queued.Load(tx); ok {
		*q.(*[]pendingEvent) = append(*q.(*[]pendingEvent), p)
		return nil
	}
	return s.insertEvents(ctx, tx, []pendingEvent{p})
}

// pendingEvent is an event queued in a transaction until its commit.
type pendingEvent struct {
	ev   model.Event
	data string
	at   time.Time
}

// flushEvents writes the events queued in tx. It runs last in the
// transaction, after every row lock the transaction takes.
//
// Why last: on PostgreSQL the seqs of one workspace must become visible in
// order, so an appending transaction holds the workspace's event lock from
// its insert until its commit (see postgresDialect). A transaction that held
// that lock and then waited for a row lock (a conversation, an agent) closed
// a cycle with any transaction holding the row and waiting for the event
// lock — PostgreSQL's deadlock detector broke it after deadlock_timeout
// (1 s), which made messages wait in 1 s steps under concurrency. Taken
// last, the event lock is held only by transactions that wait for nothing
// else: the inserts (whose one foreign key, the workspace, nobody locks for
// update) and the commit.
func (s *Store) flushEvents(ctx context.Context, tx *sql.Tx, queued []pendingEvent) error {
	if len(queued) == 0 {
		return nil
	}
	return s.insertEvents(ctx, tx, queued)
}

// insertEvents takes the event locks of the events' workspaces, in
// ascending order so two transactions never take them crosswise, and
// inserts the events in the order they were appended: one statement per
// workspace, which on PostgreSQL takes the lock too, so a transaction holds
// the lock for one statement and its commit.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, events []pendingEvent) error {
	workspaces := make([]int64, 0, 1)
	for _, p := range events {
		if !slices.Contains(workspaces, p.ev.WorkspaceID) {
			workspaces = append(workspaces, p.ev.WorkspaceID)
		}
	}
	slices.Sort(workspaces)
	for _, ws := range workspaces {
		var rows []string
		var args []any
		if s.d.eventLock != "" {
			args = append(args, lockEvents, ws)
		}
		for i, p := range events {
			if ev := p.ev; ev.WorkspaceID == ws {
				row := []any{ws, ev.Type, nullInt64(ev.ConversationID), nullInt64(ev.CustomerID), nullInt64(ev.AgentID), ev.StaffOnly, p.data, micros(p.at)}
				if s.d.eventLock != "" {
					rows = append(rows, `(?::bigint, ?::text, ?::bigint, ?::bigint, ?::bigint, ?::boolean, ?::text, ?::bigint, ?::int)`)
					row = append(row, i)
				} else {
					rows = append(rows, `(?, ?, ?, ?, ?, ?, ?, ?)`)
				}
				args = append(args, row...)
			}
		}
		query := `INSERT INTO events (workspace_id, type, conversation_id, customer_id, agent_id, staff_only, data, at) VALUES ` + strings.Join(rows, ", ")
		if s.d.eventLock != "" {
			// One appending transaction per workspace at a time, until it
			// commits: seqs then become visible in order (see
			// postgresDialect). The lock is taken by this very statement
			// (re-taking it in the same transaction does not wait), and the
			// seqs are drawn after it, as rows leave the ORDER BY: in the
			// order the events were appended.
			query = `INSERT INTO events (workspace_id, type, conversation_id, customer_id, agent_id, staff_only, data, at)
				SELECT w, type, conv, cust, agent, staff, data, at FROM (` + s.d.eventLock + `) AS l,
				(VALUES ` + strings.Join(rows, ", ") + `) AS v (w, type, conv, cust, agent, staff, data, at, ord) ORDER BY ord`
		}
		if _, err := tx.ExecContext(ctx, s.q(query), args...); err != nil {
			return fmt.Errorf("store: append %s event: %w", events[0].ev.Type, err)
		}
	}
	return nil
}

// conversationEvent builds an event about c, visible to its customer unless staffOnly.
func conversationEvent(typ string, c *model.Conversation, staffOnly bool) model.Event {
	ev := model.Event{WorkspaceID: c.WorkspaceID, Type: typ, ConversationID: &c.ID, StaffOnly: staffOnly}
	if !staffOnly {
		ev.CustomerID = &c.CustomerID
	}
	return ev
}

// EventAudience says whose view of the event log a reader gets.
type EventAudience struct {
	// CustomerID set: only that customer's public events.
	CustomerID int64
	// AgentID set: offers addressed to the agent and events of the
	// conversations assigned to the agent now.
	AgentID int64
	// Neither set: every event of the workspace (admins).
}

// Sees reports whether the audience sees ev: the rule EventsAfter applies
// in SQL, applied in memory, for the streams that share one read of the
// log (internal/stream). owner returns the agent a conversation is
// assigned to now (0: nobody); it is asked only for an agent audience,
// about events that name no agent (see ConversationOwners).
func (a EventAudience) Sees(ev model.Event, owner func(conversationID int64) int64) bool {
	switch {
	case a.CustomerID != 0:
		return ev.CustomerID != nil && *ev.CustomerID == a.CustomerID && !ev.StaffOnly
	case a.AgentID != 0:
		if ev.AgentID != nil {
			return *ev.AgentID == a.AgentID
		}
		return ev.ConversationID != nil && owner(*ev.ConversationID) == a.AgentID
	}
	return true
}

// EventsAfter returns up to limit events of the workspace with seq > after,
// in seq order, filtered for the audience. Each call is counted (see
// EventReads).
func (s *Store) EventsAfter(ctx context.Context, workspaceID, after int64, aud EventAudience, limit int) ([]model.Event, error) {
	s.eventReads.Add(1)
	return s.eventsAfter(ctx, s.db, workspaceID, after, aud, limit)
}

// EventReads is how many times EventsAfter has read the event log since
// the store was opened: the cost of the streams, which /metrics shows
// (tandem_stream_event_reads_total) and the stream fan-out keeps at one
// read per batch of new events per workspace, however many streams are open.
func (s *Store) EventReads() int64 { return s.eventReads.Load() }

func (s *Store) eventsAfter(ctx context.Context, q queryer, workspaceID, after int64, aud EventAudience, limit int) ([]model.Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query := `SELECT seq, workspace_id, type, conversation_id, customer_id, agent_id, staff_only, data, at
		FROM events WHERE workspace_id = ? AND seq > ?`
	args := []any{workspaceID, after}
	switch {
	case aud.CustomerID != 0:
		query += ` AND customer_id = ? AND staff_only = ?`
		args = append(args, aud.CustomerID, false)
	case aud.AgentID != 0:
		query += ` AND (agent_id = ? OR (agent_id IS NULL AND conversation_id IN
			(SELECT id FROM conversations WHERE assignee_id = ? AND workspace_id = ?)))`
		args = append(args, aud.AgentID, aud.AgentID, workspaceID)
	}
	query += ` ORDER BY seq LIMIT ?`
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var ev model.Event
		var conv, cust, agent sql.NullInt64
		var data string
		var at int64
		if err := rows.Scan(&ev.Seq, &ev.WorkspaceID, &ev.Type, &conv, &cust, &agent, &ev.StaffOnly, &data, &at); err != nil {
			return nil, fmt.Errorf("store: events after %d: %w", after, err)
		}
		ev.ConversationID, ev.CustomerID, ev.AgentID = int64Ptr(conv), int64Ptr(cust), int64Ptr(agent)
		ev.Data = []byte(data)
		ev.At = fromMicros(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// HeadSeq is the seq of the workspace's latest event (0 when there is none):
// a new stream without a cursor starts there.
func (s *Store) HeadSeq(ctx context.Context, workspaceID int64) (int64, error) {
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT MAX(seq) FROM events WHERE workspace_id = ?`), workspaceID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: head seq: %w", err)
	}
	return seq.Int64, nil
}

// ConversationOwners returns the agent each of the workspace's
// conversations ids is assigned to now; conversations nobody holds (and
// ids of other workspaces) are left out. An agent's stream sees the events
// of the conversations it holds now (EventAudience.Sees).
func (s *Store) ConversationOwners(ctx context.Context, workspaceID int64, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{workspaceID}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = "?"
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, assignee_id FROM conversations
		WHERE workspace_id = ? AND assignee_id IS NOT NULL AND id IN (`+strings.Join(marks, ", ")+`)`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: conversation owners: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, agent int64
		if err := rows.Scan(&id, &agent); err != nil {
			return nil, fmt.Errorf("store: conversation owners: %w", err)
		}
		out[id] = agent
	}
	return out, rows.Err()
}
