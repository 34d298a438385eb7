package dispatch

import (
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

// TestWhatCustomersAreTold: the queue view says a wait only when routing
// could estimate one, rounded to what the customer's screen shows.
func TestWhatCustomersAreTold(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	conv := routing.Conversation{ID: 1, WorkspaceID: 1, QueuedAt: now.Add(-10 * time.Second)}
	busy := routing.Agent{ID: 7, Capacity: 1, Active: 1, Workspaces: []int64{1}, Skills: map[string]int{}}
	cases := []struct {
		name    string
		agents  []routing.Agent
		wait    int // -1: unknown
		present int
	}{
		{"nobody available: unknown", nil, -1, 0},
		{"one busy agent: a slot's handling time, in whole minutes", []routing.Agent{busy}, 300, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap := routing.Snapshot{Settings: routing.DefaultSettings(), Queue: []routing.Conversation{conv}, Agents: tc.agents}
			got := rank(&snap, now, 4*time.Minute+30*time.Second)
			if len(got) != 1 {
				t.Fatalf("ranked %d", len(got))
			}
			q := got[0].Queue
			switch {
			case tc.wait < 0 && (q.ExpectedWaitSeconds != nil || !q.ExpectedWaitUnknown):
				t.Errorf("queue %+v: want no estimate, said so", q)
			case tc.wait >= 0 && (q.ExpectedWaitSeconds == nil || *q.ExpectedWaitSeconds != tc.wait || q.ExpectedWaitUnknown):
				t.Errorf("queue %+v: want %d s", q, tc.wait)
			case q.Position != 1 || q.AgentsOnline != tc.present || got[0].WaitingSeconds != 10:
				t.Errorf("queue %+v, waiting %d s", q, got[0].WaitingSeconds)
			}
		})
	}
	for _, tc := range []struct {
		in   time.Duration
		want int
	}{{0, 0}, {time.Second, 10}, {61 * time.Second, 70}, {119 * time.Second, 120}, {121 * time.Second, 180}} {
		if got := roundWait(tc.in); got != tc.want {
			t.Errorf("roundWait(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
