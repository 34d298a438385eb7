package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// SetAgentCapacityForTest changes an agent's capacity behind the API's back.
// The store has no capacity setter yet, and dispatch never hands an agent
// more offers than free slots, so this is the only way for the contract suite
// to reach "an agent holds a pending offer but is already full" (e.g. an admin
// lowered the capacity after the offer was made). The query is rebound per
// dialect, so it works on every backend.
func SetAgentCapacityForTest(ctx context.Context, s *Store, agentID int64, capacity int) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE agents SET capacity = ? WHERE id = ?`), capacity, agentID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("set capacity of agent %d: %d rows", agentID, n)
	}
	return nil
}

// Test-only ways to make offers and read snapshots; production code uses
// CreateTimedOffer and RoutingSnapshot.

// CreateOffer reserves a queued conversation for an available agent until
// expiresAt: CreateOfferInRing in ring 0.
func (s *Store) CreateOffer(ctx context.Context, workspaceID, conversationID, agentID int64, expiresAt, now time.Time) (*model.Offer, error) {
	return s.CreateOfferInRing(ctx, workspaceID, conversationID, agentID, 0, expiresAt, now)
}

// CreateOfferInRing reserves a queued conversation for an available agent
// until expiresAt, noting the bullseye ring the agent was chosen in. It
// re-checks everything inside the transaction — the conversation is still
// queued with no pending offer, the agent is available, certified for the
// workspace, with a free slot counting their pending offers — and returns
// ErrConflict when the world moved on since the snapshot.
func (s *Store) CreateOfferInRing(ctx context.Context, workspaceID, conversationID, agentID int64, ring int, expiresAt, now time.Time) (*model.Offer, error) {
	return s.createOffer(ctx, workspaceID, conversationID, agentID, ring, func() (time.Time, time.Time) { return now, expiresAt })
}

// DispatchSnapshot reads the queue and the available agents of a workspace.
func (s *Store) DispatchSnapshot(ctx context.Context, workspaceID int64) (*DispatchSnapshot, error) {
	return s.RoutingSnapshot(ctx, workspaceID, time.Time{})
}

// WithoutRetryForTest makes s return a deadlock or serialization failure
// to its caller instead of running the transaction again, so that a test
// sees every one.
func WithoutRetryForTest(s *Store) { s.d.retryable = nil }
