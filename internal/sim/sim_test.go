package sim_test

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/tandem-desk/tandem/internal/sim"
)

// length scales a validation run. The comparisons with queueing theory
// need long runs (millions of contacts, a few seconds); under the race
// detector, which slows this single-threaded code eightfold and has
// nothing to find in it, they run an eighth as long with tolerances
// widened by √8 unless TANDEM_SLOW_TESTS=1.
func length(t *testing.T, hours float64) (float64, float64) {
	t.Helper()
	if testing.Short() {
		t.Skip("long simulation")
	}
	if raceEnabled && os.Getenv("TANDEM_SLOW_TESTS") != "1" {
		return hours / 8, math.Sqrt(8)
	}
	return hours, 1
}

func run(t *testing.T, sc sim.Scenario) *sim.Report {
	t.Helper()
	r, err := sim.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestErlangC: with one skill, every agent eligible and offers accepted
// at once, the simulated centre behaves as Erlang C predicts: service
// level within ±1 percentage point, ASA within ±5 %.
func TestErlangC(t *testing.T) {
	tests := []struct {
		name          string
		agents        int
		perHour, aht  float64
		sl, hours     float64
		wantSL, wantA float64 // Erlang C, computed independently
	}{
		{"10 Erlangs on 13 agents, 20 s", 13, 200, 180, 20, 16000, 0.7956, 17.12},
		{"41.7 Erlangs on 50 agents, 20 s", 50, 500, 300, 20, 3000, 0.9148, 5.35},
		{"5 Erlangs on 6 agents, 30 s", 6, 60, 300, 30, 16000, 0.4684, 176.25},
		{"M/M/1 at two thirds, 60 s", 1, 20, 120, 60, 8000, 0.4357, 240.0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hours, widen := length(t, tc.hours)
			r := run(t, sim.Scenario{Seed: 42, Hours: hours, ArrivalsPerHour: tc.perHour, AHT: tc.aht, SLSeconds: tc.sl,
				Agents: []sim.AgentGroup{{Count: tc.agents}}})
			if r.ErlangCServiceLevel == nil || r.ErlangCASA == nil {
				t.Fatal("a single-skill scenario must report Erlang C")
			}
			if c := *r.ErlangCServiceLevel; math.Abs(c-tc.wantSL) > 0.0005 || math.Abs(*r.ErlangCASA-tc.wantA) > 0.01 {
				t.Errorf("reported Erlang C: SL %.4f ASA %.2f, want %.4f %.2f", c, *r.ErlangCASA, tc.wantSL, tc.wantA)
			}
			t.Logf("%d contacts: SL %.4f (Erlang C %.4f), ASA %.2f s (%.2f s), occupancy %.4f (%.4f)", r.Contacts, r.ServiceLevel,
				tc.wantSL, r.ASA, tc.wantA, r.Occupancy, tc.perHour*tc.aht/3600/float64(tc.agents))
			if d := r.ServiceLevel - tc.wantSL; math.Abs(d) > 0.01*widen {
				t.Errorf("service level %.4f, Erlang C %.4f: off by %.2f pp", r.ServiceLevel, tc.wantSL, 100*d)
			}
			if d := r.ASA/tc.wantA - 1; math.Abs(d) > 0.05*widen {
				t.Errorf("ASA %.2f s, Erlang C %.2f s: off by %.1f %%", r.ASA, tc.wantA, 100*d)
			}
			if occ := tc.perHour * tc.aht / 3600 / float64(tc.agents); math.Abs(r.Occupancy-occ) > 0.01*widen {
				t.Errorf("occupancy %.4f, want %.4f", r.Occupancy, occ)
			}
			if r.Abandoned != 0 || r.Unanswered != 0 || r.OffersDeclined+r.OffersExpired != 0 {
				t.Errorf("patient customers, eager agents: %+v", r)
			}
		})
	}
}

// TestErlangA: customers who give up after an exponential patience; the
// service level, ASA of those answered and abandonment match Erlang A,
// also when the centre is overloaded (more work than agents).
func TestErlangA(t *testing.T) {
	tests := []struct {
		name                string
		agents              int
		perHour, aht, pat   float64
		hours               float64
		wantSL, wantA, wAbn float64
	}{
		{"9.1 Erlangs on 10 agents, patience 2 min", 10, 200, 165, 120, 3000, 0, 0, 0},
		{"overloaded: 20 Erlangs on 18 agents, patience 1 min", 18, 300, 240, 60, 2000, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hours, widen := length(t, tc.hours)
			r := run(t, sim.Scenario{Seed: 7, Hours: hours, ArrivalsPerHour: tc.perHour, AHT: tc.aht, SLSeconds: 20, Patience: tc.pat,
				Agents: []sim.AgentGroup{{Count: tc.agents}}})
			if r.ErlangAServiceLevel == nil || r.ErlangAASA == nil || r.ErlangAAbandonRate == nil {
				t.Fatal("a single-skill scenario with patience must report Erlang A")
			}
			sl, asa, ab := *r.ErlangAServiceLevel, *r.ErlangAASA, *r.ErlangAAbandonRate
			t.Logf("%d contacts: SL %.4f (Erlang A %.4f), ASA %.2f s (%.2f s), abandoned %.4f (%.4f)", r.Contacts, r.ServiceLevel, sl, r.ASA, asa, r.AbandonRate, ab)
			if d := r.ServiceLevel - sl; math.Abs(d) > 0.01*widen {
				t.Errorf("service level %.4f, Erlang A %.4f", r.ServiceLevel, sl)
			}
			if d := r.ASA/asa - 1; math.Abs(d) > 0.05*widen {
				t.Errorf("ASA %.2f s, Erlang A %.2f s", r.ASA, asa)
			}
			if d := r.AbandonRate - ab; math.Abs(d) > 0.005*widen {
				t.Errorf("abandon rate %.4f, Erlang A %.4f", r.AbandonRate, ab)
			}
		})
	}
}

// variant runs testdata/multiskill.json under a policy and routing settings.
func variant(t *testing.T, policy, routing string, hours float64) *sim.Report {
	t.Helper()
	raw, err := os.ReadFile("testdata/multiskill.json")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.ParseScenario(raw)
	if err != nil {
		t.Fatal(err)
	}
	sc.Policy, sc.Hours = policy, hours
	if routing != "" {
		sc.Routing = json.RawMessage(routing)
	}
	return run(t, sc)
}

// NoWidening keeps every requirement for ever: skills-based routing
// without the bullseye.
const NoWidening = `{"rings":[{"after_seconds":0,"require":["primary","secondary","language"]}]}`

// TestBullseyeBeatsStrictFCFS: on a multi-skill centre, Tandem's routing
// (priorities, no head-of-line blocking, widening rings) answers more
// contacts within the target and faster than strict first-come-first-free,
// and widening beats waiting for the perfect agent.
func TestBullseyeBeatsStrictFCFS(t *testing.T) {
	hours, _ := length(t, 400)
	fcfs := variant(t, sim.PolicyFCFS, "", hours)
	strict := variant(t, sim.PolicySkills, NoWidening, hours)
	bull := variant(t, sim.PolicySkills, "", hours)
	for _, r := range []*sim.Report{fcfs, strict, bull} {
		t.Logf("%-6s %-40s SL %.4f ASA %6.1f s abandoned %.4f occupancy %.3f off-skill %.3f rings %v", r.Policy, r.Scenario, r.ServiceLevel, r.ASA, r.AbandonRate, r.Occupancy, r.OffSkill, r.AnsweredByRing)
	}
	if bull.Contacts != fcfs.Contacts || bull.Contacts != strict.Contacts {
		t.Fatalf("the variants saw different contacts: %d %d %d", fcfs.Contacts, strict.Contacts, bull.Contacts)
	}
	if !(bull.ServiceLevel > fcfs.ServiceLevel+0.2 && bull.ASA < fcfs.ASA/2 && bull.AbandonRate < fcfs.AbandonRate) {
		t.Errorf("bullseye SL %.4f ASA %.1f abandoned %.4f; strict FCFS SL %.4f ASA %.1f abandoned %.4f", bull.ServiceLevel, bull.ASA, bull.AbandonRate, fcfs.ServiceLevel, fcfs.ASA, fcfs.AbandonRate)
	}
	if !(bull.ServiceLevel > strict.ServiceLevel && bull.ASA < strict.ASA) {
		t.Errorf("bullseye SL %.4f ASA %.1f; without widening SL %.4f ASA %.1f", bull.ServiceLevel, bull.ASA, strict.ServiceLevel, strict.ASA)
	}
	if strict.OffSkill != 0 || fcfs.OffSkill != 0 || bull.OffSkill == 0 || bull.AnsweredByRing[0] < bull.Answered/2 {
		t.Errorf("off-skill shares: strict %.3f fcfs %.3f bullseye %.3f (rings %v): only widening may serve off skill, and most in ring 0", strict.OffSkill, fcfs.OffSkill, bull.OffSkill, bull.AnsweredByRing)
	}
}

func TestDeterministic(t *testing.T) {
	sc := sim.Scenario{Seed: 3, Hours: 20, ArrivalsPerHour: 100, AHT: 200, Patience: 90, Agents: []sim.AgentGroup{{Count: 7, AcceptDelay: 4, Decline: 0.1, NoAnswer: 0.05}}}
	a, b := run(t, sc), run(t, sc)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different reports:\n%+v\n%+v", a, b)
	}
	sc.Seed = 4
	if c := run(t, sc); reflect.DeepEqual(a, c) {
		t.Fatal("another seed gave the same report")
	}
}

// TestAgentsBehaviour: accept delays, declines and ignored offers are
// counted and cost service level; an agent who lets offers run out is set
// away; non-Erlang scenarios report no Erlang figures.
func TestAgentsBehaviour(t *testing.T) {
	base := sim.Scenario{Seed: 5, Hours: 300, ArrivalsPerHour: 200, AHT: 180, SLSeconds: 20, Agents: []sim.AgentGroup{{Count: 13}}}
	eager := run(t, base)
	slow := base
	slow.Agents = []sim.AgentGroup{{Count: 13, AcceptDelay: 10}}
	s := run(t, slow)
	if s.ErlangCServiceLevel != nil {
		t.Error("accept delays are not in Erlang C: no comparison should be reported")
	}
	if !(s.ASA > eager.ASA+5 && s.ServiceLevel < eager.ServiceLevel) {
		t.Errorf("a 10 s accept delay: ASA %.1f → %.1f, SL %.4f → %.4f", eager.ASA, s.ASA, eager.ServiceLevel, s.ServiceLevel)
	}
	picky := base
	picky.Agents = []sim.AgentGroup{{Count: 10, AcceptDelay: 3, Decline: 0.2}, {Count: 5, AcceptDelay: 3, NoAnswer: 0.5}}
	p := run(t, picky)
	if p.OffersDeclined == 0 || p.OffersExpired == 0 || p.AgentsSetAway == 0 || p.Offers != p.OffersAccepted+p.OffersDeclined+p.OffersExpired+p.OffersRescinded {
		t.Errorf("offers: %d made, %d accepted, %d declined, %d expired, %d rescinded; %d agents set away",
			p.Offers, p.OffersAccepted, p.OffersDeclined, p.OffersExpired, p.OffersRescinded, p.AgentsSetAway)
	}
	if p.Answered != p.Contacts {
		t.Errorf("%d of %d contacts answered: every contact must be served eventually", p.Answered, p.Contacts)
	}
}

// TestShiftsCurveAndHandling: contacts follow the daily curve, agents work
// their shifts only, and log-normal handling keeps its mean.
func TestShiftsCurveAndHandling(t *testing.T) {
	curve := make([]float64, 24)
	for h := 9; h < 17; h++ {
		curve[h] = 1
	}
	zero := 0.0
	sc := sim.Scenario{Seed: 9, Hours: 24 * 60, WarmupHours: &zero, ArrivalsPerHour: 60, DailyCurve: curve, AHT: 300, Handling: "lognormal", HandlingCV: 1.5,
		Patience: 600, Agents: []sim.AgentGroup{{Count: 8, Shift: []float64{9, 17}}}}
	r := run(t, sc)
	want := 60.0 * 8 * 60 // 8 busy hours a day for 60 days
	if math.Abs(float64(r.Contacts)-want) > 4*math.Sqrt(want) {
		t.Errorf("%d contacts, want about %.0f (the curve has 8 open hours)", r.Contacts, want)
	}
	if math.Abs(r.AvgHandle/300-1) > 0.03 {
		t.Errorf("log-normal handling: mean %.1f s, want 300", r.AvgHandle)
	}
	// 5 Erlangs on 8 agents while they work: occupancy is measured over staffed time only.
	if math.Abs(r.Occupancy-5.0/8) > 0.03 {
		t.Errorf("occupancy %.3f, want about %.3f", r.Occupancy, 5.0/8)
	}
	// Night shift nobody covers: every contact waits until 9 and most give up.
	night := sc
	night.DailyCurve = make([]float64, 24)
	night.DailyCurve[3] = 1
	n := run(t, night)
	if n.Answered > n.Contacts/20 || n.AbandonRate < 0.9 {
		t.Errorf("contacts at 3 am with agents from 9: %d of %d answered, %.3f abandoned", n.Answered, n.Contacts, n.AbandonRate)
	}
}

func TestScenarioValidation(t *testing.T) {
	for _, bad := range []string{
		`{}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": []}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 0}]}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 0, "agents": [{"count": 1}]}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1}], "policy": "random"}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1}], "daily_curve": [1, 2]}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1, "decline": 0.8, "no_answer": 0.5}]}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1, "skills": {"cards": 9}}]}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1}], "routing": {"accept_seconds": 0.01}}`,
		`{"hours": 1, "arrivals_per_hour": 10, "aht_seconds": 60, "agents": [{"count": 1}], "handling": "uniform"}`,
	} {
		sc, err := sim.ParseScenario([]byte(bad))
		if err == nil {
			_, err = sim.Run(sc)
		}
		if err == nil {
			t.Errorf("scenario %s was accepted", bad)
		}
	}
	if _, err := sim.ParseScenario([]byte(`{"hours": 1, "agentz": []}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}

// TestRandomScenariosKeepThePolicyHonest runs many small random centres:
// the simulator checks every offer the policy makes (a conversation
// without a pending offer, an agent available with a free slot) and fails
// the run otherwise; every contact ends answered or abandoned.
func TestRandomScenariosKeepThePolicyHonest(t *testing.T) {
	skills := []string{"cards", "payments", "fraud", "lang:en", "lang:sv"}
	for seed := range uint64(40) {
		sc := sim.Scenario{Seed: seed, Hours: 6, ArrivalsPerHour: 30 + float64(seed%7)*20, AHT: 120 + float64(seed%5)*60, Patience: 300,
			Routing: json.RawMessage(`{"cooldown_seconds": 15, "accept_seconds": 20, "expiries_before_away": 2}`)}
		if seed%3 == 0 {
			sc.Policy = sim.PolicyFCFS
		}
		for i := range 4 {
			g := sim.AgentGroup{Count: 1 + int(seed+uint64(i))%4, Capacity: 1 + int(seed+uint64(i))%3, AcceptDelay: float64(i * 4),
				Decline: 0.1 * float64(i%2), NoAnswer: 0.05 * float64(i%3), Skills: map[string]int{}}
			for k, s := range skills {
				if (int(seed)+i+k)%3 != 0 {
					g.Skills[s] = 1 + (i+k)%5
				}
			}
			if i == 3 {
				g.Shift = []float64{float64(seed % 24), float64((seed + 5) % 24)}
			}
			sc.Agents = append(sc.Agents, g)
		}
		for k, s := range skills[:3] {
			sc.Contacts = append(sc.Contacts, sim.ContactType{Share: float64(k + 1), Skills: []string{s}, Language: []string{"en", "sv", "fi"}[k], VIP: 0.2, Frustrated: 0.1})
		}
		r := run(t, sc)
		if r.Answered+r.Abandoned+r.Unanswered != r.Contacts || r.Unanswered != 0 {
			t.Errorf("seed %d: %+v", seed, r)
		}
	}
}
