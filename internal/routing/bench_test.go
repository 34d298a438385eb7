package routing_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

// benchSnapshot is a large centre: agents with two of five topic skills
// (levels 1…5) and one or two of five languages, capacity 3 with 0–2
// conversations each; queued conversations with banking intents, the
// languages skewed to English, 10 % VIP, 10 % frustrated, 3 % sensitive,
// 10 % with an agent who passed, waiting up to ten minutes (so every ring
// occurs).
func benchSnapshot(agents, queue int, seed uint64) routing.Snapshot {
	rng := rand.New(rand.NewPCG(seed, 1))
	set := routing.DefaultSettings()
	topics := []string{"cards", "payments", "transfers", "account", "fraud"}
	langs := []string{"en", "en", "en", "sv", "de", "es", "fr"}
	var intents []string
	for _, g := range set.IntentGroups {
		intents = append(intents, g.Intents...)
	}
	now := t0
	s := routing.Snapshot{Settings: set, StaffSkills: append([]string{"sensitive"}, topics...)}
	for _, l := range langs[2:] {
		s.StaffSkills = append(s.StaffSkills, "lang:"+l)
	}
	for i := range agents {
		a := routing.Agent{ID: int64(i + 1), Capacity: 3, Active: rng.IntN(3), Workspaces: []int64{1},
			IdleSince: now.Add(-time.Duration(rng.IntN(600)) * time.Second), Quality: rng.Float64(), Skills: map[string]int{}}
		for len(a.Skills) < 2 {
			a.Skills[topics[rng.IntN(len(topics))]] = 1 + rng.IntN(5)
		}
		a.Skills["lang:"+langs[rng.IntN(len(langs))]] = 5
		if rng.IntN(3) == 0 {
			a.Skills["lang:"+langs[rng.IntN(len(langs))]] = 3
		}
		s.Agents = append(s.Agents, a)
	}
	for i := range queue {
		c := routing.Conversation{ID: int64(i + 1), WorkspaceID: 1, QueuedAt: now.Add(-time.Duration(rng.IntN(600_000)) * time.Millisecond),
			Intent: intents[rng.IntN(len(intents))], Language: langs[rng.IntN(len(langs))],
			VIP: rng.IntN(10) == 0, Frustrated: rng.IntN(10) == 0}
		if rng.IntN(33) == 0 {
			c.Sensitive = "fraud"
		}
		if rng.IntN(10) == 0 {
			c.Tried = map[int64]time.Time{1 + int64(rng.IntN(agents)): now.Add(-2 * time.Minute)}
		}
		c.Ring = ringAt(set, now.Sub(c.QueuedAt))
		s.Queue = append(s.Queue, c)
	}
	return s
}

// BenchmarkPlan measures routing decisions (offers made) per second on a
// snapshot of 2,000 agents and 20,000 queued conversations, and the
// allocations per decision. Each plan hands out every free slot it can.
//
//	go test -run '^$' -bench 'Plan$' -benchtime 50x ./internal/routing
func BenchmarkPlan(b *testing.B) {
	for _, size := range []struct{ agents, queue int }{{2000, 20000}, {200, 2000}} {
		b.Run(fmt.Sprintf("agents=%d/queue=%d", size.agents, size.queue), func(b *testing.B) {
			snap := benchSnapshot(size.agents, size.queue, 1)
			var p routing.Planner
			p.Plan(snap, t0) // warm the planner's scratch space
			decisions := 0
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				decisions += len(p.Plan(snap, t0).Offers)
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			if decisions == 0 {
				b.Fatal("no decisions")
			}
			b.ReportMetric(float64(decisions)/b.Elapsed().Seconds(), "decisions/s")
			b.ReportMetric(float64(decisions)/float64(b.N), "decisions/plan")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(decisions), "allocs/decision")
		})
	}
	// Cold: a fresh planner each time, as the server plans (it reads new
	// skill maps from the database on every dispatch).
	b.Run("agents=2000/queue=20000/cold", func(b *testing.B) {
		snap := benchSnapshot(2000, 20000, 1)
		decisions := 0
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for b.Loop() {
			decisions += len(routing.Plan(snap, t0).Offers)
		}
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(decisions)/b.Elapsed().Seconds(), "decisions/s")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(decisions), "allocs/decision")
	})
}

// BenchmarkPlanOneSlot is the steady state of a full centre: one agent
// frees a slot and the whole queue of 20,000 is considered for it.
//
//	go test -run '^$' -bench PlanOneSlot ./internal/routing
func BenchmarkPlanOneSlot(b *testing.B) {
	snap := benchSnapshot(2000, 20000, 1)
	for i := range snap.Agents {
		snap.Agents[i].Active = snap.Agents[i].Capacity
	}
	snap.Agents[0].Active--
	var p routing.Planner
	b.ReportAllocs()
	decisions := 0
	for b.Loop() {
		decisions += len(p.Plan(snap, t0).Offers)
	}
	if decisions != b.N {
		b.Fatalf("%d decisions in %d plans", decisions, b.N)
	}
	b.ReportMetric(float64(decisions)/b.Elapsed().Seconds(), "decisions/s")
}
