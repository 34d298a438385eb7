package workforce

import (
	"testing"
	"time"
)

func TestScore(t *testing.T) {
	qs := []Question{{Text: "a", Choices: []string{"x", "y"}, Correct: []int{1}}, {Text: "b", Choices: []string{"x", "y", "z"}, Correct: []int{0, 2}},
		{Text: "c", Choices: []string{"x", "y"}, Correct: []int{0}}, {Text: "d", Choices: []string{"x", "y"}, Correct: []int{0}}, {Text: "e", Choices: []string{"x", "y"}, Correct: []int{0}}}
	for _, c := range []struct {
		answers [][]int
		score   float64
		passed  bool
		bad     bool
	}{
		{[][]int{{1}, {2, 0}, {0}, {0}, {0}}, 1, true, false},
		{[][]int{{1}, {0}, {0}, {0}, {0}}, 0.8, true, false}, // partly right scores nothing for that question
		{[][]int{{0}, {0}, {0}, {0}, {0}}, 0.6, false, false},
		{[][]int{{1}}, 0, false, true},
		{[][]int{{5}, {0}, {0}, {0}, {0}}, 0, false, true},
		{[][]int{{1, 1}, {0}, {0}, {0}, {0}}, 0, false, true},
	} {
		score, passed, err := Score(qs, 0.8, c.answers)
		if (err != nil) != c.bad || score != c.score || passed != c.passed {
			t.Errorf("Score(%v) = %v, %v, %v; want %v, %v, error %v", c.answers, score, passed, err, c.score, c.passed, c.bad)
		}
	}
}

func TestEarnResolve(t *testing.T) {
	p := PayPolicy{Currency: "EUR", PerResolved: 250, PerMinute: 10, Surge: []SurgeRule{{QueueAtLeast: 5, Multiplier: 1.5}, {WaitAtLeastSeconds: 300, Multiplier: 2}}}
	for _, c := range []struct {
		handled time.Duration
		load    Load
		want    []int64
	}{
		{90 * time.Second, Load{}, []int64{260}},
		{0, Load{Queued: 5}, []int64{250, 125}},
		{0, Load{Queued: 1, OldestWait: 10 * time.Minute}, []int64{250, 250}},
		{0, Load{Slot: 133}, []int64{250, 83}}, // 250 × 0.33 = 82.5 → 83 (half up)
		{-time.Second, Load{}, []int64{250}},
	} {
		got := p.EarnResolve(c.handled, c.load)
		if len(got) != len(c.want) {
			t.Errorf("EarnResolve(%v, %+v) = %+v, want %v", c.handled, c.load, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Amount != c.want[i] {
				t.Errorf("EarnResolve(%v, %+v) = %+v, want %v", c.handled, c.load, got, c.want)
			}
		}
	}
	if got := (PayPolicy{Currency: "EUR"}).EarnResolve(time.Hour, Load{Queued: 9}); got != nil {
		t.Errorf("a policy paying nothing earned %+v", got)
	}
}

func TestToPercent(t *testing.T) {
	for m, want := range map[float64]Percent{1: 100, 1.5: 150, 1.25: 125, 10: 1000} {
		if got, ok := ToPercent(m); !ok || got != want {
			t.Errorf("ToPercent(%v) = %v, %v", m, got, ok)
		}
	}
	for _, m := range []float64{0.99, 1.555, 11, -1} {
		if _, ok := ToPercent(m); ok {
			t.Errorf("ToPercent(%v) accepted", m)
		}
	}
}

func TestNextTierHysteresis(t *testing.T) {
	steps := []struct {
		score float64
		want  string
	}{
		{0.5, TierNew}, {0.59, TierNew}, {0.6, TierStandard}, {0.56, TierStandard}, {0.54, TierNew},
		{0.86, TierTrusted}, {0.81, TierTrusted}, {0.79, TierStandard}, {0.84, TierStandard}, {0.85, TierTrusted},
	}
	tier := TierNew
	for _, s := range steps {
		tier = NextTier(tier, s.score)
		if tier != s.want {
			t.Fatalf("score %v: tier %s, want %s", s.score, tier, s.want)
		}
	}
}

func TestQualityScore(t *testing.T) {
	if s, p := QualityScore(QualityInputs{}); s != NeutralScore || p.CSAT != nil {
		t.Errorf("no data: %v %+v", s, p)
	}
	csat := make([]int, 60)
	for i := range csat {
		csat[i] = 5
		if i >= 50 {
			csat[i] = 1 // older than the last 50: ignored
		}
	}
	s, p := QualityScore(QualityInputs{CSAT: csat, OffersReceived: 4, OffersAccepted: 2})
	// (0.5·1 + 0.15·0.5) / 0.65
	if p.Ratings != 50 || *p.CSAT != 1 || *p.Acceptance != 0.5 || s != round4(0.575/0.65) {
		t.Errorf("score %v parts %+v", s, p)
	}
}

func TestBelowFloor(t *testing.T) {
	now := time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)
	low := []ScorePoint{{Score: 0.3, At: now.Add(-8 * 24 * time.Hour)}, {Score: 0.35, At: now.Add(-time.Hour)}}
	if !BelowFloor(low, 20, now) {
		t.Error("below the floor for 8 days: not suspended")
	}
	if BelowFloor(low, 5, now) {
		t.Error("suspended with 5 ratings")
	}
	if BelowFloor([]ScorePoint{{Score: 0.3, At: now.Add(-2 * 24 * time.Hour)}}, 20, now) {
		t.Error("suspended after 2 days")
	}
	if BelowFloor(append(low, ScorePoint{Score: 0.5, At: now.Add(-2 * time.Hour)}), 20, now) {
		t.Error("suspended although it rose above the floor")
	}
}

func TestPolicyChecks(t *testing.T) {
	bad := []PayPolicy{
		{Currency: "eur"}, {Currency: "EUR", PerResolved: -1}, {Currency: "EUR", PerMinute: -5},
		{Currency: "EUR", Surge: []SurgeRule{{Multiplier: 2}}}, {Currency: "EUR", Surge: []SurgeRule{{QueueAtLeast: 1, Multiplier: 0.5}}},
	}
	for _, p := range bad {
		if f, _ := p.Check(); f == "" {
			t.Errorf("accepted %+v", p)
		}
	}
	if f, msg := (PayPolicy{Currency: "EUR", PerResolved: 250}).Check(); f != "" {
		t.Errorf("refused a good policy: %s %s", f, msg)
	}
}
