package workforce

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// PayPolicy is a workspace's pay: integer amounts in minor units (cents)
// of one currency. A person is paid PerResolved for each conversation they
// resolve, plus PerMinute for each full minute they handled it (from
// assignment to resolution); nothing for a conversation they transferred
// away. While the queue is under pressure a surge multiplier raises it:
// the highest multiplier of the rules that hold (and of the booked slot's
// multiplier, when the person works a booked slot).
type PayPolicy struct {
	Currency    string      `json:"currency"`
	PerResolved int64       `json:"per_resolved"`
	PerMinute   int64       `json:"per_minute"`
	Surge       []SurgeRule `json:"surge"`
	// QualityBonus, when set, pays a bonus per closed pay period.
	QualityBonus *QualityBonus `json:"quality_bonus,omitempty"`
}

// QualityBonus pays Amount, when a pay period is closed, to each person
// whose conversations of that period were rated at least MinRatings times
// with a mean CSAT of at least CSATAtLeast (1–5).
type QualityBonus struct {
	CSATAtLeast float64 `json:"csat_at_least"`
	MinRatings  int     `json:"min_ratings"`
	Amount      int64   `json:"amount"`
}

// Earned reports whether n ratings summing to sum earn the bonus.
func (q QualityBonus) Earned(sum, n int) bool {
	return n > 0 && n >= q.MinRatings && float64(sum) >= q.CSATAtLeast*float64(n)
}

// SurgeRule raises pay by Multiplier while at least QueueAtLeast
// conversations wait, or the oldest has waited WaitAtLeastSeconds (a rule
// with both needs both; a zero condition is not checked).
type SurgeRule struct {
	QueueAtLeast       int     `json:"queue_at_least,omitempty"`
	WaitAtLeastSeconds int     `json:"wait_at_least_seconds,omitempty"`
	Multiplier         float64 `json:"multiplier"`
}

// Limits of a pay policy.
const (
	MaxAmount     = 1_000_000_00 // one million in major units, per entry
	MaxSurgeRules = 20
	MaxMultiplier = 10
)

// Percent is a multiplier in hundredths: 150 is ×1.5. Money is computed in
// integers; multipliers are given with at most two decimals.
type Percent int64

// ToPercent converts a multiplier with at most two decimals.
func ToPercent(m float64) (Percent, bool) {
	p := math.Round(m * 100)
	if math.Abs(p-m*100) > 1e-6 || m < 1 || m > MaxMultiplier {
		return 0, false
	}
	return Percent(p), true
}

// ParsePayPolicy decodes and checks a stored or submitted policy.
func ParsePayPolicy(raw []byte) (PayPolicy, error) {
	var p PayPolicy
	if err := json.Unmarshal(raw, &p); err != nil {
		return PayPolicy{}, err
	}
	if field, problem := p.Check(); field != "" {
		return PayPolicy{}, fmt.Errorf("%s: %s", field, problem)
	}
	return p, nil
}

// Check tells what is wrong with a policy as field and problem, or "".
func (p PayPolicy) Check() (field, problem string) {
	if len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency || strings.ContainsFunc(p.Currency, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return "currency", "must be an ISO 4217 code such as EUR"
	}
	if p.PerResolved < 0 || p.PerResolved > MaxAmount {
		return "per_resolved", fmt.Sprintf("must be 0 to %d (minor units)", MaxAmount)
	}
	if p.PerMinute < 0 || p.PerMinute > MaxAmount {
		return "per_minute", fmt.Sprintf("must be 0 to %d (minor units)", MaxAmount)
	}
	if q := p.QualityBonus; q != nil && (q.Amount <= 0 || q.Amount > MaxAmount || q.MinRatings < 1 || !(q.CSATAtLeast >= 1 && q.CSATAtLeast <= 5)) {
		return "quality_bonus", fmt.Sprintf("needs amount 1 to %d, min_ratings ≥ 1 and csat_at_least 1 to 5", MaxAmount)
	}
	if len(p.Surge) > MaxSurgeRules {
		return "surge", fmt.Sprintf("must hold at most %d rules", MaxSurgeRules)
	}
	for i, r := range p.Surge {
		f := fmt.Sprintf("surge[%d]", i)
		if r.QueueAtLeast < 0 || r.WaitAtLeastSeconds < 0 {
			return f, "conditions must not be negative"
		}
		if r.QueueAtLeast == 0 && r.WaitAtLeastSeconds == 0 {
			return f, "needs queue_at_least or wait_at_least_seconds"
		}
		if _, ok := ToPercent(r.Multiplier); !ok {
			return f + ".multiplier", fmt.Sprintf("must be 1 to %d with at most two decimals", MaxMultiplier)
		}
	}
	return "", ""
}

// Load is the pressure on a workspace's queue when pay is earned.
type Load struct {
	Queued     int
	OldestWait time.Duration
	// Slot is the pay multiplier of the shift slot the person booked and
	// works now; 0 or 100 when none.
	Slot Percent
}

// SurgeInForce is the multiplier in force under load: the highest of the
// rules that hold and of the slot's, at least ×1.
func (p PayPolicy) SurgeInForce(l Load) Percent {
	best := max(Percent(100), l.Slot)
	for _, r := range p.Surge {
		if r.QueueAtLeast > 0 && l.Queued < r.QueueAtLeast {
			continue
		}
		if r.WaitAtLeastSeconds > 0 && l.OldestWait < time.Duration(r.WaitAtLeastSeconds)*time.Second {
			continue
		}
		if m, _ := ToPercent(r.Multiplier); m > best {
			best = m
		}
	}
	return best
}

// Ledger entry kinds.
const (
	KindBase       = "base"
	KindSurge      = "surge"
	KindBonus      = "bonus"
	KindAdjustment = "adjustment"
)

// Earning is one amount a resolve earns.
type Earning struct {
	Kind       string
	Amount     int64
	Multiplier Percent
}

// EarnResolve is what resolving a conversation handled for handled earns
// under load: the base (PerResolved + PerMinute × full minutes) and, when a
// surge is in force, the surge part: base × (multiplier − 1), rounded half
// up to a minor unit. Nothing is earned under a policy that pays nothing.
func (p PayPolicy) EarnResolve(handled time.Duration, l Load) []Earning {
	base := p.PerResolved + p.PerMinute*int64(max(handled, 0)/time.Minute)
	if base <= 0 {
		return nil
	}
	out := []Earning{{Kind: KindBase, Amount: base, Multiplier: 100}}
	if m := p.SurgeInForce(l); m > 100 {
		out = append(out, Earning{Kind: KindSurge, Amount: (base*int64(m-100) + 50) / 100, Multiplier: m})
	}
	return out
}

// Period is a pay period: a calendar month in UTC, named "YYYY-MM".
type Period struct {
	Name       string
	Start, End time.Time
}

// PeriodOf is the pay period that holds t.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Name: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
}

// ParsePeriod reads a period name "YYYY-MM".
func ParsePeriod(name string) (Period, error) {
	t, err := time.Parse("2006-01", name)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a pay period (YYYY-MM)", name)
	}
	return PeriodOf(t), nil
}
