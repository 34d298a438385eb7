package routing_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		snap routing.Snapshot
		want []routing.Offer
	}{
		{
			name: "nobody available",
			snap: routing.Snapshot{Queue: []routing.Conversation{{ID: 1, QueuedAt: at(0)}}},
			want: nil,
		},
		{
			name: "oldest conversation first, to the least loaded agent",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{{ID: 2, QueuedAt: at(5)}, {ID: 1, QueuedAt: at(1)}},
				Agents: []routing.Agent{
					{ID: 10, Capacity: 3, Active: 2},
					{ID: 11, Capacity: 3, Active: 0},
				},
			},
			want: []routing.Offer{{ConversationID: 1, AgentID: 11}, {ConversationID: 2, AgentID: 11}},
		},
		{
			name: "capacity counts pending offers; the queue waits when slots run out",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{{ID: 1, QueuedAt: at(1)}, {ID: 2, QueuedAt: at(2)}, {ID: 3, QueuedAt: at(3)}},
				Agents: []routing.Agent{{ID: 10, Capacity: 3, Active: 1, Pending: 1}},
			},
			want: []routing.Offer{{ConversationID: 1, AgentID: 10}},
		},
		{
			name: "an agent who passed on it comes last",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{{ID: 1, QueuedAt: at(1), Tried: map[int64]time.Time{11: at(3)}}},
				Agents: []routing.Agent{{ID: 10, Capacity: 3, Active: 2}, {ID: 11, Capacity: 3}},
			},
			want: []routing.Offer{{ConversationID: 1, AgentID: 10}},
		},
		{
			name: "if everyone passed, the one who passed longest ago gets it again",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{{ID: 1, QueuedAt: at(1), Tried: map[int64]time.Time{10: at(9), 11: at(3)}}},
				Agents: []routing.Agent{{ID: 10, Capacity: 3}, {ID: 11, Capacity: 3}},
			},
			want: []routing.Offer{{ConversationID: 1, AgentID: 11}},
		},
		{
			name: "equal load: offered longest ago, then idle longest",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{{ID: 1, QueuedAt: at(1)}, {ID: 2, QueuedAt: at(2)}},
				Agents: []routing.Agent{
					{ID: 10, Capacity: 1, IdleSince: at(0), LastOfferedAt: ptr(at(50))},
					{ID: 11, Capacity: 1, IdleSince: at(30), LastOfferedAt: ptr(at(20))},
				},
			},
			want: []routing.Offer{{ConversationID: 1, AgentID: 11}, {ConversationID: 2, AgentID: 10}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := routing.Plan(tc.snap, at(100))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Plan = %+v, want %+v", got, tc.want)
			}
			if again, _ := routing.Plan(tc.snap, at(100)); !reflect.DeepEqual(again, got) {
				t.Fatalf("Plan is not deterministic: %+v then %+v", got, again)
			}
		})
	}
}

func TestPlanNeverExceedsCapacity(t *testing.T) {
	var queue []routing.Conversation
	for i := range 50 {
		queue = append(queue, routing.Conversation{ID: int64(i + 1), QueuedAt: at(i)})
	}
	agents := []routing.Agent{{ID: 1, Capacity: 3, Active: 1}, {ID: 2, Capacity: 2}, {ID: 3, Capacity: 4, Pending: 4}}
	got, _ := routing.Plan(routing.Snapshot{Queue: queue, Agents: agents}, at(100))
	per := map[int64]int{}
	for _, o := range got {
		per[o.AgentID]++
	}
	if per[1] != 2 || per[2] != 2 || per[3] != 0 || len(got) != 4 {
		t.Fatalf("offers per agent = %v (total %d), want 2, 2, 0", per, len(got))
	}
	for i, o := range got {
		if o.ConversationID != int64(i+1) {
			t.Fatalf("offer %d is for conversation %d: the oldest must go first", i, o.ConversationID)
		}
	}
}

func TestPassedAgentIsSparedUntilTheCooldownEnds(t *testing.T) {
	snap := routing.Snapshot{
		Queue: []routing.Conversation{
			{ID: 1, QueuedAt: at(1), Tried: map[int64]time.Time{10: at(90)}},
			{ID: 2, QueuedAt: at(2)},
		},
		Agents:   []routing.Agent{{ID: 10, Capacity: 3}},
		Cooldown: 30 * time.Second,
	}
	got, recheck := routing.Plan(snap, at(100))
	want := []routing.Offer{{ConversationID: 2, AgentID: 10}}
	if !reflect.DeepEqual(got, want) || !recheck.Equal(at(120)) {
		t.Fatalf("during the cooldown: Plan = %+v, recheck %v; want %+v, recheck %v", got, recheck, want, at(120))
	}
	got, recheck = routing.Plan(snap, at(120))
	if len(got) != 2 || got[0].ConversationID != 1 || !recheck.IsZero() {
		t.Fatalf("after the cooldown: Plan = %+v, recheck %v; want conversation 1 offered again", got, recheck)
	}
}

func ptr(t time.Time) *time.Time { return &t }
