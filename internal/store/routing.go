package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// RoutingSettings returns a workspace's stored routing settings (JSON; ""
// when it never changed them) and its offer accept deadline.
func (s *Store) RoutingSettings(ctx context.Context, workspaceID int64) (settings string, acceptTimeout time.Duration, err error) {
	var timeoutMS int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT offer_timeout_ms FROM workspaces WHERE id = ?`), workspaceID).Scan(&timeoutMS); err != nil {
		return "", 0, notFound(err, "workspace")
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT settings FROM routing_settings WHERE workspace_id = ?`), workspaceID).Scan(&settings)
	if err != nil && err != sql.ErrNoRows {
		return "", 0, fmt.Errorf("store: routing settings: %w", err)
	}
	return settings, time.Duration(timeoutMS) * time.Millisecond, nil
}

// SetRoutingSettings stores a workspace's routing settings (JSON, validated
// by the caller) and its accept deadline, with a settings.routing_updated
// event carrying data.
func (s *Store) SetRoutingSettings(ctx context.Context, workspaceID int64, settings string, acceptTimeout time.Duration, data any, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE workspaces SET offer_timeout_ms = ? WHERE id = ?`), acceptTimeout.Milliseconds(), workspaceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("workspace: %w", ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO routing_settings (workspace_id, settings, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`),
			workspaceID, settings, micros(now)); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventRoutingSettingsUpdated, StaffOnly: true}, data, now)
	})
	if err != nil {
		return fmt.Errorf("store: set routing settings: %w", err)
	}
	return nil
}

// Widening is what a conversation.ring_widened event says.
type Widening struct {
	ConversationID int64    `json:"conversation_id"`
	Ring           int      `json:"ring"`
	Skills         []string `json:"skills"`
	WaitedSeconds  int      `json:"waited_seconds"`
	// Skipped is true when the ring was reached before its time, because
	// no available agent met the rings before it.
	Skipped bool `json:"skipped,omitempty"`
}

// RecordWidening notes that a queued conversation's required skills
// widened to a ring, with a staff-only conversation.ring_widened event —
// once: a ring already recorded for this time in the queue (by another
// node, say) changes nothing and reports false.
func (s *Store) RecordWidening(ctx context.Context, workspaceID int64, w Widening, queuedAt, now time.Time) (bool, error) {
	recorded := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		recorded = false
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET ring = ?, ring_queued_at = queued_at
			WHERE workspace_id = ? AND id = ? AND status = ? AND queued_at = ?
			AND (ring_queued_at IS NULL OR ring_queued_at <> queued_at OR ring < ?)`),
			w.Ring, workspaceID, w.ConversationID, model.StatusQueued, micros(queuedAt), w.Ring)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		recorded = true
		id := w.ConversationID
		return s.appendEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Type: model.EventConversationRingWidened, ConversationID: &id, StaffOnly: true}, w, now)
	})
	if err != nil {
		return false, fmt.Errorf("store: record widening: %w", err)
	}
	return recorded, nil
}

// QueueUpdate tells one waiting customer where they stand now.
type QueueUpdate struct {
	ConversationID int64
	Queue          model.QueueInfo
}

// queueUpdated is the data of a conversation.queue_updated event: enough
// of the conversation for the widget to say where the customer stands.
type queueUpdated struct {
	ID     int64                    `json:"id"`
	Status model.ConversationStatus `json:"status"`
	Queue  model.QueueInfo          `json:"queue"`
}

// AppendQueueUpdates records conversation.queue_updated events for the
// customers whose place in the queue changed. A conversation no longer
// queued is skipped: its customer must not read an old position after
// the news that someone took it.
func (s *Store) AppendQueueUpdates(ctx context.Context, workspaceID int64, updates []QueueUpdate, now time.Time) (int, error) {
	// Rows are locked in id order, as every transaction that locks several
	// conversations must: two dispatch passes (two nodes) listing the
	// queue in different orders would otherwise deadlock.
	updates = slices.SortedFunc(slices.Values(updates), func(a, b QueueUpdate) int { return cmp.Compare(a.ConversationID, b.ConversationID) })
	written := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		written = 0
		for _, u := range updates {
			conv, err := s.lockConversation(ctx, tx, workspaceID, u.ConversationID)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return err
			}
			if conv.Status != model.StatusQueued {
				continue
			}
			data := queueUpdated{ID: conv.ID, Status: conv.Status, Queue: u.Queue}
			if err := s.appendEvent(ctx, tx, conversationEvent(model.EventConversationQueueUpdated, conv, false), data, now); err != nil {
				return err
			}
			written++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue updates: %w", err)
	}
	return written, nil
}

// SetFollowUpEmail records where a waiting customer wants to be answered,
// with a conversation.follow_up_requested event (the customer sees it too).
func (s *Store) SetFollowUpEmail(ctx context.Context, workspaceID, conversationID int64, email string, now time.Time) (*model.Conversation, error) {
	var conv *model.Conversation
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockConversation(ctx, tx, workspaceID, conversationID)
		if err != nil {
			return err
		}
		if cur.Status == model.StatusClosed {
			return fmt.Errorf("conversation is closed: %w", ErrConflict)
		}
		// follow_up_seq: a customer message after it means they are back in the chat.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET follow_up_email = ?, follow_up_seq = last_seq, updated_at = ? WHERE id = ?`),
			email, micros(now), conversationID); err != nil {
			return err
		}
		if conv, err = conversationByID(ctx, s, tx, workspaceID, conversationID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, conversationEvent(model.EventConversationFollowUp, conv, false), conv, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: follow-up email: %w", err)
	}
	return conv, nil
}

// FollowUpEmail returns the follow-up email a customer left on a conversation ("" if none).
func (s *Store) FollowUpEmail(ctx context.Context, workspaceID, conversationID int64) (string, error) {
	var email string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT follow_up_email FROM conversations WHERE workspace_id = ? AND id = ?`), workspaceID, conversationID).Scan(&email)
	if err != nil {
		return "", notFound(err, "conversation")
	}
	return email, nil
}

// RecentHandleTime is the mean time from assignment to resolution of a
// workspace's last 50 resolved conversations; zero without history.
func (s *Store) RecentHandleTime(ctx context.Context, workspaceID int64) (time.Duration, error) {
	var avg sql.NullFloat64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT AVG(resolved_at - assigned_at) FROM (SELECT resolved_at, assigned_at FROM conversations
		WHERE workspace_id = ? AND status = ? AND assigned_at IS NOT NULL AND resolved_at > assigned_at
		ORDER BY resolved_at DESC LIMIT 50) recent`), workspaceID, model.StatusResolved).Scan(&avg)
	if err != nil {
		return 0, fmt.Errorf("store: handle time: %w", err)
	}
	return time.Duration(avg.Float64) * time.Microsecond, nil
}
