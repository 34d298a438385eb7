package store

import (
	"context"
	"fmt"
)

// SetAgentCapacityForTest changes an agent's capacity behind the API's back.
// The store has no capacity setter yet, and CreateOffer never hands an agent
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

// WithoutRetryForTest makes s return a deadlock or serialization failure
// to its caller instead of running the transaction again, so that a test
// sees every one.
func WithoutRetryForTest(s *Store) { s.d.retryable = nil }
