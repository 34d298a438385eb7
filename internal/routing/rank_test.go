package routing_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

// TestRank: the queue is placed in the order Plan serves it, and each
// conversation is told a wait it can believe.
func TestRank(t *testing.T) {
	const handle = 4 * time.Minute
	set := routing.DefaultSettings()
	card := func(id int64, sec int) routing.Conversation {
		return with(cv(id, sec), func(c *routing.Conversation) { c.Intent, c.Language = "card_arrival", "en" })
	}
	type want struct {
		id      int64
		ring    int
		wait    time.Duration
		known   bool
		offered bool
	}
	cases := []struct {
		name string
		snap routing.Snapshot
		now  int
		want []want
	}{{
		name: "nobody free: the wait is the slots working off the queue, never under a minute",
		snap: routing.Snapshot{Queue: []routing.Conversation{cv(2, 5), cv(1, 0)}, Agents: []routing.Agent{ag(10, 1, 1)}},
		now:  10,
		want: []want{{id: 1, wait: handle, known: true}, {id: 2, wait: 2 * handle, known: true}},
	}, {
		name: "many busy slots: still at least a minute",
		snap: routing.Snapshot{Queue: []routing.Conversation{cv(1, 0)}, Agents: []routing.Agent{ag(10, 10, 10), ag(11, 10, 10)}},
		now:  10,
		want: []want{{id: 1, wait: routing.BusyFloor, known: true}},
	}, {
		name: "a free agent: no wait; the next one waits for a slot",
		snap: routing.Snapshot{Queue: []routing.Conversation{cv(1, 0), cv(2, 1)}, Agents: []routing.Agent{ag(10, 2, 1)}},
		now:  10,
		want: []want{{id: 1, known: true}, {id: 2, wait: handle / 2, known: true}},
	}, {
		name: "nobody available who could take it: unknown",
		snap: routing.Snapshot{Queue: []routing.Conversation{cv(1, 0)}, Agents: []routing.Agent{agentWith(ag(10, 1, 0), func(a *routing.Agent) { a.Workspaces = []int64{2} })}},
		now:  10,
		want: []want{{id: 1, ring: 3}},
	}, {
		name: "a ring not reached yet: a free agent without the skill takes it when the ring widens",
		snap: routing.Snapshot{
			Queue:       []routing.Conversation{card(1, 0)},
			Agents:      []routing.Agent{ag(10, 1, 1, "cards", "lang:en"), ag(11, 1, 0, "lang:en")},
			StaffSkills: []string{"cards", "lang:en"},
		},
		now:  10,
		want: []want{{id: 1, wait: 50 * time.Second, known: true}},
	}, {
		name: "offered: no more waiting; priority orders the rest",
		snap: routing.Snapshot{
			Queue:   []routing.Conversation{cv(1, 0), with(cv(2, 5), func(c *routing.Conversation) { c.VIP = true }), cv(3, 1)},
			Agents:  []routing.Agent{ag(10, 2, 1)},
			Pending: []routing.PendingOffer{{ID: 7, ConversationID: 3, AgentID: 10}},
		},
		now:  10,
		want: []want{{id: 2, wait: handle / 2, known: true}, {id: 1, wait: 2 * handle / 2, known: true}, {id: 3, known: true, offered: true}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.snap.Settings = set
			var got []want
			for i, p := range routing.Rank(tc.snap, at(tc.now), handle) {
				if p.Position != i+1 {
					t.Errorf("position %d at index %d", p.Position, i)
				}
				got = append(got, want{id: p.ConversationID, ring: p.Ring, wait: p.Wait, known: p.WaitKnown, offered: p.Offered})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestRankIsPlansOrder: the queue a customer is placed in is the order
// Plan serves: with n free slots anyone may take, Plan offers exactly the
// first n conversations Rank places (that are not offered yet).
func TestRankIsPlansOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	set := routing.DefaultSettings()
	for round := range 50 {
		var queue []routing.Conversation
		for i := range 30 {
			queue = append(queue, with(cv(int64(i+1), rng.IntN(300)), func(c *routing.Conversation) {
				c.VIP, c.Frustrated = rng.IntN(5) == 0, rng.IntN(5) == 0
				if rng.IntN(6) == 0 {
					c.Sensitive = "fraud"
				}
				if rng.IntN(10) == 0 {
					c.Boost = time.Duration(rng.IntN(200)) * time.Second
				}
			}))
		}
		free := 1 + rng.IntN(10)
		snap := routing.Snapshot{Settings: set, Queue: queue, Agents: []routing.Agent{ag(10, free, 0)}, StaffSkills: []string{}}
		var want []int64
		for _, p := range routing.Rank(snap, at(400), time.Minute) {
			if len(want) < free {
				want = append(want, p.ConversationID)
			}
		}
		var got []int64
		for _, o := range routing.Plan(snap, at(400)).Offers {
			got = append(got, o.ConversationID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: Plan offers %v, Rank's first %d are %v", round, got, free, want)
		}
	}
}
