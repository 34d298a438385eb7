package store_test

import (
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestLoad: the live load counts the queue and the staff of every
// workspace, and the oldest queued time, not per workspace.
func TestLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		l, err := s.Load(t.Context())
		must(t, err, "load of an empty database")
		if l.Queued != 0 || l.OldestQueuedAt != nil || len(l.Agents) != 0 {
			t.Fatalf("empty database: %+v", l)
		}
		a, b := seedWorkspace(t, s, "a"), seedWorkspace(t, s, "b")
		seedAgent(t, s, a, "ana", 2, model.AgentAvailable)
		seedAgent(t, s, a, "ben", 2, model.AgentAway)
		agent := seedAgent(t, s, b, "cy", 2, model.AgentAvailable)
		seedAgent(t, s, b, "di", 2, model.AgentOffline)
		queuedConversation(t, s, seedCustomer(t, s, a, "c1"), at(time.Minute))
		queuedConversation(t, s, seedCustomer(t, s, b, "c2"), at(2*time.Minute))
		assignedConversation(t, s, seedCustomer(t, s, b, "c3"), agent, at(0)) // with a person: not waiting
		openConversation(t, s, seedCustomer(t, s, a, "c4"), "hello", at(0))   // with the assistant: not waiting

		l, err = s.Load(t.Context())
		must(t, err, "load")
		if l.Queued != 2 {
			t.Errorf("queued = %d, want 2", l.Queued)
		}
		if l.OldestQueuedAt == nil || !l.OldestQueuedAt.Equal(at(time.Minute)) {
			t.Errorf("oldest queued at %v, want %v", l.OldestQueuedAt, at(time.Minute))
		}
		want := map[model.AgentStatus]int{model.AgentAvailable: 2, model.AgentAway: 1, model.AgentOffline: 1}
		for st, n := range want {
			if l.Agents[st] != n {
				t.Errorf("agents %s = %d, want %d (all: %v)", st, l.Agents[st], n, l.Agents)
			}
		}
	})
}
