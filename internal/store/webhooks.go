package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookEndpoint is where a workspace wants its events POSTed.
type WebhookEndpoint struct {
	ID          int64
	WorkspaceID int64
	URL         string
	Description string
	// EventTypes are the webhook event types sent; "*" means all.
	EventTypes []string
	// StaffEvents lets staff-only events out: internal notes, offers, agent status.
	StaffEvents bool
	Enabled     bool
	// DisabledReason says why Tandem disabled the endpoint itself (it
	// failed every delivery for as long as they are retried); empty when
	// it is enabled or an admin disabled it.
	DisabledReason string
	// Secret signs every delivery ("whsec_" + base64 key).
	Secret string
	// PreviousSecret also signs until PreviousExpiresAt: the overlap of a rotation.
	PreviousSecret    string
	PreviousExpiresAt *time.Time
	// FromSeq: only events after it are delivered (the log's head when the
	// endpoint was created).
	FromSeq   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WebhookDelivery is one event owed to one endpoint, with its attempts so far.
type WebhookDelivery struct {
	ID            int64
	WorkspaceID   int64
	EndpointID    int64
	EventSeq      int64
	EventType     string
	MsgID         string
	Payload       string
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LastAttemptAt *time.Time
	LastStatus    *int
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	// Endpoint is filled in by ClaimWebhookDeliveries.
	Endpoint *WebhookEndpoint
	// Log is filled in by WebhookDeliveries: every attempt, oldest first.
	Log []WebhookAttempt
}

// Test reports whether the delivery is a test an admin asked for, from no
// event: its EventSeq is negative (-1, -2, … per endpoint), which keeps
// (endpoint_id, event_seq) unique without a row in the event log.
func (d *WebhookDelivery) Test() bool { return d.EventSeq < 0 }

// WebhookAttempt is one try at delivering.
type WebhookAttempt struct {
	Attempt    int
	At         time.Time
	StatusCode *int
	Error      string
	Duration   time.Duration
	// Response is the start of the receiver's answer, for debugging.
	Response string
}

const endpointColumns = `id, workspace_id, url, description, event_types, staff_events, enabled, secret,
	previous_secret, previous_expires_at, from_seq, created_at, updated_at, disabled_reason`

func scanEndpoint(row scanner) (*WebhookEndpoint, error) {
	var e WebhookEndpoint
	var types string
	var prevExp sql.NullInt64
	var created, updated int64
	if err := row.Scan(&e.ID, &e.WorkspaceID, &e.URL, &e.Description, &types, &e.StaffEvents, &e.Enabled, &e.Secret,
		&e.PreviousSecret, &prevExp, &e.FromSeq, &created, &updated, &e.DisabledReason); err != nil {
		return nil, err
	}
	e.EventTypes = splitList(types)
	e.PreviousExpiresAt = timePtr(prevExp)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &e, nil
}

func (s *Store) queryEndpoints(ctx context.Context, q queryer, where string, args ...any) ([]*WebhookEndpoint, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE `+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*WebhookEndpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CreateWebhookEndpoint stores an endpoint. It receives the events appended
// after this moment.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint, now time.Time) (*WebhookEndpoint, error) {
	var out *WebhookEndpoint
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var head sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(seq) FROM events WHERE workspace_id = ?`), e.WorkspaceID).Scan(&head); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO webhook_endpoints (workspace_id, url, description, event_types, staff_events, enabled,
			secret, from_seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			e.WorkspaceID, e.URL, e.Description, strings.Join(e.EventTypes, ","), e.StaffEvents, e.Enabled,
			e.Secret, head.Int64, micros(now), micros(now)).Scan(&id)
		if err != nil {
			return err
		}
		out, err = scanEndpoint(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`), id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create webhook endpoint: %w", err)
	}
	return out, nil
}

// WebhookEndpoints lists a workspace's endpoints, by id.
func (s *Store) WebhookEndpoints(ctx context.Context, workspaceID int64) ([]*WebhookEndpoint, error) {
	out, err := s.queryEndpoints(ctx, s.db, `workspace_id = ?`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("store: list webhook endpoints: %w", err)
	}
	return out, nil
}

// WebhookEndpoint finds an endpoint of a workspace.
func (s *Store) WebhookEndpoint(ctx context.Context, workspaceID, id int64) (*WebhookEndpoint, error) {
	e, err := scanEndpoint(s.db.QueryRowContext(ctx, s.q(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`), workspaceID, id))
	if err != nil {
		return nil, notFound(err, "webhook endpoint")
	}
	return e, nil
}

// UpdateWebhookEndpoint changes an endpoint: edit gets the stored endpoint
// and changes what it wants (URL, description, types, staff events, enabled,
// secrets); the rest is kept.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, workspaceID, id int64, edit func(e *WebhookEndpoint) error, now time.Time) (*WebhookEndpoint, error) {
	var out *WebhookEndpoint
	err := s.tx(ctx, func(tx *sql.Tx) error {
		e, err := scanEndpoint(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`+s.d.forUpdate), workspaceID, id))
		if err != nil {
			return notFound(err, "webhook endpoint")
		}
		wasEnabled := e.Enabled
		if err := edit(e); err != nil {
			return err
		}
		if e.Enabled {
			e.DisabledReason = "" // enabled again: the reason no longer holds
		}
		if e.Enabled && !wasEnabled {
			// The deliveries that waited start afresh: their retry period
			// counts from now, not from before the pause (else the first
			// failure would give up on them, and disable the endpoint again).
			// Test deliveries never waited (they go out while disabled).
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET created_at = ?, attempts = 0, next_attempt_at = ?
				WHERE endpoint_id = ? AND status = ? AND event_seq >= 0`), micros(now), micros(now), id, DeliveryPending); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, staff_events = ?, enabled = ?,
			secret = ?, previous_secret = ?, previous_expires_at = ?, updated_at = ?, disabled_reason = ? WHERE id = ?`),
			e.URL, e.Description, strings.Join(e.EventTypes, ","), e.StaffEvents, e.Enabled,
			e.Secret, e.PreviousSecret, nullMicros(e.PreviousExpiresAt), micros(now), e.DisabledReason, id)
		if err != nil {
			return err
		}
		out, err = scanEndpoint(tx.QueryRowContext(ctx, s.q(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`), id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: update webhook endpoint: %w", err)
	}
	return out, nil
}

// DeleteWebhookEndpoint removes an endpoint and its deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, workspaceID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`), workspaceID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook endpoint: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete webhook endpoint: %w", err)
	}
	return nil
}

// WebhookWorkspaces lists the workspaces with an enabled endpoint.
func (s *Store) WebhookWorkspaces(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT workspace_id FROM webhook_endpoints WHERE enabled = ? ORDER BY workspace_id`), true)
	if err != nil {
		return nil, fmt.Errorf("store: webhook workspaces: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: webhook workspaces: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// WebhookMessage is what a fan-out decides to send an endpoint for an event.
type WebhookMessage struct {
	Type    string
	Payload []byte
}

// FanOutWebhooks reads up to limit events of the workspace past its webhook
// cursor and records a delivery for every (endpoint, event) that build
// accepts, then moves the cursor — all in one transaction, under a lock on
// the cursor row, so that concurrent nodes neither skip nor repeat: the
// events table is the transactional outbox, and a delivery is owed exactly
// when its event committed. It returns how many deliveries it created and
// whether more events wait.
func (s *Store) FanOutWebhooks(ctx context.Context, workspaceID int64, limit int, build func(ev model.Event, e *WebhookEndpoint) (WebhookMessage, bool), now time.Time) (created int, more bool, err error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		created, more = 0, false
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_cursors (workspace_id, seq) VALUES (?, 0) ON CONFLICT (workspace_id) DO NOTHING`), workspaceID); err != nil {
			return err
		}
		var cursor int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT seq FROM webhook_cursors WHERE workspace_id = ?`+s.d.forUpdate), workspaceID).Scan(&cursor); err != nil {
			return err
		}
		endpoints, err := s.queryEndpoints(ctx, tx, `workspace_id = ? AND enabled = ?`, workspaceID, true)
		if err != nil {
			return err
		}
		events, err := s.eventsAfter(ctx, tx, workspaceID, cursor, EventAudience{}, limit)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		for _, ev := range events {
			for _, e := range endpoints {
				if ev.Seq <= e.FromSeq {
					continue
				}
				m, ok := build(ev, e)
				if !ok {
					continue
				}
				res, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_seq, event_type, msg_id, payload,
					status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint_id, event_seq) DO NOTHING`),
					workspaceID, e.ID, ev.Seq, m.Type, newMsgID(), string(m.Payload), DeliveryPending, micros(now), micros(now))
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					created++
				}
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE webhook_cursors SET seq = ? WHERE workspace_id = ?`), events[len(events)-1].Seq, workspaceID)
		more = len(events) == limit
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: webhook fan-out: %w", err)
	}
	return created, more, nil
}

// WebhookCursor is the seq of the last event the webhook fan-out has
// processed for the workspace (0 before its first pass): every event up to
// it has its deliveries recorded. Equal to HeadSeq, it says the fan-out has
// caught up, so the deliveries listed are all that the events so far are
// owed. The sender does not need it (it reads the cursor under a lock in
// FanOutWebhooks); it lets tests and operators see "caught up" instead of
// waiting a while to see whether anything more turns up.
func (s *Store) WebhookCursor(ctx context.Context, workspaceID int64) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT seq FROM webhook_cursors WHERE workspace_id = ?`), workspaceID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // no fan-out yet
	}
	if err != nil {
		return 0, fmt.Errorf("store: webhook cursor: %w", err)
	}
	return seq, nil
}

// newMsgID is a webhook-id: unique, and the same on every attempt.
func newMsgID() string {
	raw := make([]byte, 15)
	_, _ = rand.Read(raw)
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
}

const deliveryColumns = `id, workspace_id, endpoint_id, event_seq, event_type, msg_id, payload, status, attempts,
	next_attempt_at, last_attempt_at, last_status, last_error, created_at, delivered_at`

func scanDelivery(row scanner) (*WebhookDelivery, error) {
	var d WebhookDelivery
	var next, last, status, delivered sql.NullInt64
	var created int64
	if err := row.Scan(&d.ID, &d.WorkspaceID, &d.EndpointID, &d.EventSeq, &d.EventType, &d.MsgID, &d.Payload, &d.Status, &d.Attempts,
		&next, &last, &status, &d.LastError, &created, &delivered); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.LastAttemptAt, d.DeliveredAt = timePtr(next), timePtr(last), timePtr(delivered)
	if status.Valid {
		v := int(status.Int64)
		d.LastStatus = &v
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

// sendable selects the pending deliveries the sender may send (alias d; one
// parameter: true): those of enabled endpoints, and tests whatever the
// endpoint's state, since a test is how an admin checks a fixed receiver
// before enabling it again.
const sendable = `d.status = 'pending' AND (d.event_seq < 0
	OR d.endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.enabled = ?))`

// ClaimWebhookDeliveries takes up to limit deliveries that are due, for this
// caller alone: each is leased until now+lease (its next attempt moves
// there), so another node takes it only if this one dies before recording
// the attempt. Deliveries of disabled endpoints wait, except tests.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*WebhookDelivery, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, s.q(`SELECT d.id FROM webhook_deliveries d
			WHERE d.next_attempt_at <= ? AND `+sendable+`
			ORDER BY d.next_attempt_at LIMIT ?`+s.d.skipLocked), micros(now), true, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`), micros(now.Add(lease)), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	out := make([]*WebhookDelivery, 0, len(ids))
	endpoints := map[int64]*WebhookEndpoint{}
	for _, id := range ids {
		d, err := scanDelivery(s.db.QueryRowContext(ctx, s.q(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`), id))
		if err != nil {
			return nil, notFound(err, "webhook delivery")
		}
		if endpoints[d.EndpointID] == nil {
			if endpoints[d.EndpointID], err = s.WebhookEndpoint(ctx, d.WorkspaceID, d.EndpointID); err != nil {
				return nil, err
			}
		}
		d.Endpoint = endpoints[d.EndpointID]
		out = append(out, d)
	}
	return out, nil
}

// RecordWebhookAttempt logs an attempt at a delivery and moves it on:
// delivered; failed for good (next is nil); or pending until next.
//
// A delivery that fails for good while its endpoint delivered nothing since
// that delivery was created means the endpoint has failed everything for
// as long as deliveries are retried: the endpoint is then disabled, in the
// same transaction, with the reason, so that its deliveries wait for an
// admin instead of piling up retries. disabled reports that it happened.
func (s *Store) RecordWebhookAttempt(ctx context.Context, deliveryID int64, a WebhookAttempt, delivered bool, next *time.Time) (disabled bool, err error) {
	status := DeliveryPending
	switch {
	case delivered:
		status, next = DeliveryDelivered, nil
	case next == nil:
		status = DeliveryFailed
	}
	var deliveredAt sql.NullInt64
	if delivered {
		deliveredAt = sql.NullInt64{Int64: micros(a.At), Valid: true}
	}
	var code sql.NullInt64
	if a.StatusCode != nil {
		code = sql.NullInt64{Int64: int64(*a.StatusCode), Valid: true}
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		disabled = false
		var attempts int
		var endpointID, created int64
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?,
			last_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ? RETURNING attempts, endpoint_id, created_at`),
			status, nullMicros(next), micros(a.At), code, a.Error, deliveredAt, deliveryID).Scan(&attempts, &endpointID, &created); err != nil {
			return notFound(err, "webhook delivery")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms, response)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), deliveryID, attempts, micros(a.At), code, a.Error, a.Duration.Milliseconds(), a.Response); err != nil {
			return err
		}
		if status != DeliveryFailed {
			return nil
		}
		var since int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM webhook_deliveries
			WHERE endpoint_id = ? AND status = ? AND delivered_at >= ?`), endpointID, DeliveryDelivered, created).Scan(&since); err != nil {
			return err
		}
		if since > 0 {
			return nil // it works for other events: this one was the problem
		}
		reason := fmt.Sprintf("disabled by Tandem on %s: every delivery failed since %s; the last error: %s",
			a.At.UTC().Format(time.RFC3339), fromMicros(created).Format(time.RFC3339), a.Error)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, updated_at = ?
			WHERE id = ? AND enabled = ?`), false, reason, micros(a.At), endpointID, true)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		disabled = n > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: record webhook attempt: %w", err)
	}
	return disabled, nil
}

// NextWebhookAttempt is when the earliest pending delivery the sender may
// claim is due; ok is false when none is. Deliveries of disabled endpoints
// wait (ClaimWebhookDeliveries skips them, tests aside): counting them
// would wake the sender for nothing, at once and forever, once one of them
// is due.
func (s *Store) NextWebhookAttempt(ctx context.Context) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d WHERE `+sendable), true).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next webhook attempt: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v.Int64), true, nil
}

// WebhookDeliveries lists an endpoint's deliveries, newest first, with
// their attempts; beforeID > 0 pages back from there.
func (s *Store) WebhookDeliveries(ctx context.Context, workspaceID, endpointID, beforeID int64, limit int) ([]*WebhookDelivery, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	query := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE workspace_id = ? AND endpoint_id = ?`
	args := []any{workspaceID, endpointID}
	if beforeID > 0 {
		query += ` AND id < ?`
		args = append(args, beforeID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list webhook deliveries: %w", err)
	}
	out := []*WebhookDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list webhook deliveries: %w", err)
	}
	for _, d := range out {
		if d.Log, err = s.webhookAttempts(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) webhookAttempts(ctx context.Context, deliveryID int64) ([]WebhookAttempt, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT attempt, at, status_code, error, duration_ms, response FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY id`), deliveryID)
	if err != nil {
		return nil, fmt.Errorf("store: webhook attempts: %w", err)
	}
	defer rows.Close()
	out := []WebhookAttempt{}
	for rows.Next() {
		var a WebhookAttempt
		var at, ms int64
		var code sql.NullInt64
		if err := rows.Scan(&a.Attempt, &at, &code, &a.Error, &ms, &a.Response); err != nil {
			return nil, fmt.Errorf("store: webhook attempts: %w", err)
		}
		a.At, a.Duration = fromMicros(at), time.Duration(ms)*time.Millisecond
		if code.Valid {
			v := int(code.Int64)
			a.StatusCode = &v
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RetryWebhookDelivery makes a failed (or pending) delivery due now again.
func (s *Store) RetryWebhookDelivery(ctx context.Context, workspaceID, endpointID, deliveryID int64, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?
		WHERE workspace_id = ? AND endpoint_id = ? AND id = ? AND status <> ?`),
		DeliveryPending, micros(now), workspaceID, endpointID, deliveryID, DeliveryDelivered)
	if err != nil {
		return fmt.Errorf("store: retry webhook delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: retry webhook delivery: %w", ErrNotFound)
	}
	return nil
}

// CreateTestWebhookDelivery records a delivery of m to one endpoint of the
// workspace, due now, from no event: a test an admin asked for. It goes
// through the outbox like any delivery (its own webhook-id, signed, logged,
// retried), whatever the endpoint subscribed to and even when the endpoint
// is disabled (see sendable). Its EventSeq is the endpoint's lowest so far
// minus one, taken under a lock on the endpoint.
func (s *Store) CreateTestWebhookDelivery(ctx context.Context, workspaceID, endpointID int64, m WebhookMessage, now time.Time) (*WebhookDelivery, error) {
	var out *WebhookDelivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`+s.d.forUpdate),
			workspaceID, endpointID).Scan(&id); err != nil {
			return notFound(err, "webhook endpoint")
		}
		var lowest int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MIN(event_seq), 0) FROM webhook_deliveries WHERE endpoint_id = ? AND event_seq < 0`),
			endpointID).Scan(&lowest); err != nil {
			return err
		}
		var deliveryID int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_seq, event_type, msg_id, payload,
			status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			workspaceID, endpointID, lowest-1, m.Type, newMsgID(), string(m.Payload), DeliveryPending, micros(now), micros(now)).Scan(&deliveryID); err != nil {
			return err
		}
		var err error
		out, err = scanDelivery(tx.QueryRowContext(ctx, s.q(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`), deliveryID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create test webhook delivery: %w", err)
	}
	out.Log = []WebhookAttempt{}
	return out, nil
}
