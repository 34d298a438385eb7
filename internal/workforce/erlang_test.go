package workforce_test

import (
	"math"
	"testing"

	"github.com/tandem-desk/tandem/internal/workforce"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestErlangCTextbook checks the formulas against figures computed
// independently from the factorial form of Erlang C.
func TestErlangCTextbook(t *testing.T) {
	tests := []struct {
		name                   string
		agents                 int
		perHour, aht, slT      float64
		wantPW, wantSL, wantAS float64
	}{
		// 200 contacts an hour, 3 minutes each, 13 agents: the example.
		{"10 Erlangs, 13 agents", 13, 200, 180, 20, 0.2853, 0.7956, 17.12},
		// The classic call-centre example: 360 calls/h, 4 min, 26 agents.
		{"24 Erlangs, 26 agents", 26, 360, 240, 20, 0.5967, 0.4949, 71.60},
		{"24 Erlangs, 28 agents", 28, 360, 240, 20, 0.3331, 0.7613, 19.99},
		{"one agent at half load", 1, 30, 60, 0, 0.5, 0.5, 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := workforce.ErlangC{Agents: tc.agents, ArrivalRate: tc.perHour / 3600, AHT: tc.aht}
			if got := q.ProbWait(); !near(got, tc.wantPW, 0.001) {
				t.Errorf("P(wait) = %.4f, want %.4f", got, tc.wantPW)
			}
			if got := q.ServiceLevel(tc.slT); !near(got, tc.wantSL, 0.001) {
				t.Errorf("SL(%gs) = %.4f, want %.4f", tc.slT, got, tc.wantSL)
			}
			if got := q.ASA(); !near(got, tc.wantAS, 0.05) {
				t.Errorf("ASA = %.2f, want %.2f", got, tc.wantAS)
			}
		})
	}
}

func TestErlangCUnstable(t *testing.T) {
	q := workforce.ErlangC{Agents: 10, ArrivalRate: 1, AHT: 10}
	if q.Stable() || q.ProbWait() != 1 || q.ServiceLevel(20) != 0 || !math.IsInf(q.ASA(), 1) || q.Occupancy() != 1 {
		t.Errorf("load = agents: stable %v, P(wait) %v, SL %v, ASA %v", q.Stable(), q.ProbWait(), q.ServiceLevel(20), q.ASA())
	}
}

func TestAgentsFor(t *testing.T) {
	if got := workforce.AgentsFor(0.8, 20, 200.0/3600, 180); got != 14 {
		t.Errorf("agents for 80/20 at 10 Erlangs = %d, want 14 (13 give 79.6 %%)", got)
	}
	if got := workforce.AgentsFor(0.79, 20, 200.0/3600, 180); got != 13 {
		t.Errorf("agents for 79/20 at 10 Erlangs = %d, want 13", got)
	}
	if got := workforce.AgentsFor(0.8, 20, 0, 180); got != 0 {
		t.Errorf("agents for no traffic = %d", got)
	}
}

// TestErlangAWithoutAbandonmentIsErlangC: infinite patience is Erlang C.
func TestErlangAWithoutAbandonmentIsErlangC(t *testing.T) {
	for _, agents := range []int{1, 5, 13, 60} {
		c := workforce.ErlangC{Agents: agents, ArrivalRate: float64(agents) * 0.85 / 200, AHT: 200}
		a := workforce.ErlangA{Agents: agents, ArrivalRate: c.ArrivalRate, AHT: c.AHT}
		if !near(a.ProbWait(), c.ProbWait(), 1e-9) || !near(a.ASA(), c.ASA(), 1e-6*c.ASA()) || !near(a.AbandonRate(), 0, 1e-12) {
			t.Errorf("%d agents: A gives P(wait) %.6f ASA %.4f, C gives %.6f %.4f", agents, a.ProbWait(), a.ASA(), c.ProbWait(), c.ASA())
		}
		for _, sl := range []float64{0, 10, 20, 60} {
			if !near(a.ServiceLevel(sl), c.ServiceLevel(sl), 1e-7) {
				t.Errorf("%d agents SL(%g): A %.8f, C %.8f", agents, sl, a.ServiceLevel(sl), c.ServiceLevel(sl))
			}
		}
		// Very patient customers barely differ from Erlang C either.
		p := workforce.ErlangA{Agents: agents, ArrivalRate: c.ArrivalRate, AHT: c.AHT, Patience: 1e9}
		if !near(p.ServiceLevel(20), c.ServiceLevel(20), 1e-5) || !near(p.ASA(), c.ASA(), 1e-3*c.ASA()) {
			t.Errorf("%d agents, patience 1e9 s: SL %.6f ASA %.4f; Erlang C %.6f %.4f", agents, p.ServiceLevel(20), p.ASA(), c.ServiceLevel(20), c.ASA())
		}
	}
}

// TestErlangAProperties: impatient customers shorten the queue for those
// who stay; an overloaded centre is stable and sheds exactly its excess.
func TestErlangAProperties(t *testing.T) {
	c := workforce.ErlangC{Agents: 13, ArrivalRate: 200.0 / 3600, AHT: 180}
	a := workforce.ErlangA{Agents: 13, ArrivalRate: c.ArrivalRate, AHT: 180, Patience: 60}
	if !(a.ASA() < c.ASA() && a.ServiceLevel(20) > c.ServiceLevel(20)-0.02 && a.AbandonRate() > 0 && a.AbandonRate() < 0.1) {
		t.Errorf("patience 60 s: ASA %.2f (C %.2f), SL %.4f (C %.4f), abandon %.4f", a.ASA(), c.ASA(), a.ServiceLevel(20), c.ServiceLevel(20), a.AbandonRate())
	}
	// Overload: 20 Erlangs on 10 agents. At most 10 Erlangs can be served,
	// so at least half the contacts abandon, and the agents are nearly always busy.
	over := workforce.ErlangA{Agents: 10, ArrivalRate: 20.0 / 180, AHT: 180, Patience: 120}
	if ab := over.AbandonRate(); ab < 0.5 || ab > 0.6 {
		t.Errorf("overloaded abandon rate %.4f, want just over 0.5", ab)
	}
	if occ := over.Occupancy(); occ < 0.95 || occ > 1 {
		t.Errorf("overloaded occupancy %.4f", occ)
	}
	// Rate balance: abandonments = θ·E[queue], served = λ(1−Pab).
	if sl0 := over.ServiceLevel(0); !near(sl0, 1-over.ProbWait(), 1e-9) {
		t.Errorf("SL(0) %.6f, want 1 − P(wait) %.6f", sl0, 1-over.ProbWait())
	}
	prev := 0.0
	for _, s := range []float64{0, 5, 20, 60, 300, 3600} {
		sl := over.ServiceLevel(s)
		if sl < prev-1e-12 || sl > 1-over.AbandonRate()+1e-9 {
			t.Errorf("SL(%g) = %.6f: must grow with t and stay below the answered share %.6f", s, sl, 1-over.AbandonRate())
		}
		prev = sl
	}
	if got, want := over.ServiceLevel(1e6), 1-over.AbandonRate(); !near(got, want, 1e-6) {
		t.Errorf("SL(∞) %.6f, want the answered share %.6f", got, want)
	}
}

// TestErlangALargeCentre: a 1,000-agent centre computes without overflow.
func TestErlangALargeCentre(t *testing.T) {
	a := workforce.ErlangA{Agents: 1000, ArrivalRate: 980.0 / 300, AHT: 300, Patience: 180}
	sl, asa, ab := a.ServiceLevel(20), a.ASA(), a.AbandonRate()
	if math.IsNaN(sl) || sl <= 0 || sl >= 1 || math.IsNaN(asa) || asa <= 0 || ab <= 0 || ab >= 0.1 {
		t.Errorf("1,000 agents at 98 %%: SL %v ASA %v abandon %v", sl, asa, ab)
	}
}
