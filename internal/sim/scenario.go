package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tandem-desk/tandem/internal/routing"
)

// Scenario describes a contact centre to simulate. Times are in seconds
// unless a name says otherwise. Zero values take the defaults noted.
type Scenario struct {
	Name string `json:"name,omitempty"`
	// Seed makes a run reproducible; the same scenario and seed give the
	// same report.
	Seed uint64 `json:"seed"`
	// Hours is the measured period; WarmupHours run before it, unmeasured,
	// so the queue starts in its steady state (default 0.5).
	Hours       float64  `json:"hours"`
	WarmupHours *float64 `json:"warmup_hours,omitempty"`
	// ArrivalsPerHour is the Poisson arrival rate. DailyCurve, when given,
	// scales it by hour of the day (24 factors, the day repeats).
	ArrivalsPerHour float64   `json:"arrivals_per_hour"`
	DailyCurve      []float64 `json:"daily_curve,omitempty"`
	// AHT is the mean handling time; Handling is "exponential" (default)
	// or "lognormal" with coefficient of variation HandlingCV (default 1).
	AHT        float64 `json:"aht_seconds"`
	Handling   string  `json:"handling,omitempty"`
	HandlingCV float64 `json:"handling_cv,omitempty"`
	// OffSkillFactor multiplies the handling time when the agent lacks a
	// skill or the language the contact needed (default 1).
	OffSkillFactor float64 `json:"off_skill_factor,omitempty"`
	// Patience is customers' mean patience (exponential); 0 means they
	// wait as long as it takes.
	Patience float64 `json:"patience_seconds,omitempty"`
	// SLSeconds is the service-level threshold T (default 20).
	SLSeconds float64 `json:"sl_seconds"`
	// Contacts is the mix of contact types; empty means one type needing no skill.
	Contacts []ContactType `json:"contacts,omitempty"`
	Agents   []AgentGroup  `json:"agents"`
	// Policy is "skills" (Tandem's routing, the default) or "fcfs" (strict
	// first-come-first-free: the oldest contact waits for an agent with
	// every skill it needs, and everyone behind it waits too).
	Policy string `json:"policy,omitempty"`
	// Routing overlays the default routing settings (the JSON of
	// GET /api/v1/settings/routing).
	Routing json.RawMessage `json:"routing,omitempty"`
	// AwayMinutes is how long an agent set away after missed offers stays
	// away (default 5).
	AwayMinutes float64 `json:"away_minutes,omitempty"`
}

// ContactType is one kind of contact in the mix.
type ContactType struct {
	// Share is the relative weight of this type in the arrivals.
	Share float64 `json:"share"`
	// Skills the contact needs, primary first; Language the customer writes in.
	Skills   []string `json:"skills,omitempty"`
	Language string   `json:"language,omitempty"`
	// Fractions of these contacts that are VIP, frustrated, sensitive.
	VIP        float64 `json:"vip,omitempty"`
	Frustrated float64 `json:"frustrated,omitempty"`
	Sensitive  float64 `json:"sensitive,omitempty"`
}

// AgentGroup is a number of identical agents.
type AgentGroup struct {
	Count int `json:"count"`
	// Skills maps a skill to a level 1…5; languages are "lang:xx".
	Skills map[string]int `json:"skills,omitempty"`
	// Capacity is the number of contacts each works at once (default 1).
	Capacity int     `json:"capacity,omitempty"`
	Quality  float64 `json:"quality,omitempty"`
	// Shift is the agents' working hours of each day, [start, end) in
	// hours 0…24 (end < start crosses midnight); empty means always.
	Shift []float64 `json:"shift,omitempty"`
	// AcceptDelay is the mean time to accept an offer (uniform in
	// [½, 1½] of it); Decline and NoAnswer are the probabilities that an
	// offer is declined (after the same delay) or left to expire.
	AcceptDelay float64 `json:"accept_delay_seconds,omitempty"`
	Decline     float64 `json:"decline,omitempty"`
	NoAnswer    float64 `json:"no_answer,omitempty"`
}

// Policies.
const (
	PolicySkills = "skills"
	PolicyFCFS   = "fcfs"
)

// ParseScenario reads a scenario from JSON, rejecting unknown fields.
func ParseScenario(data []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return sc, fmt.Errorf("sim: scenario: %w", err)
	}
	return sc, nil
}

// normalize fills the defaults and checks the scenario.
func (sc *Scenario) normalize() (routing.Settings, error) {
	if sc.WarmupHours == nil {
		w := 0.5
		sc.WarmupHours = &w
	}
	if sc.SLSeconds == 0 {
		sc.SLSeconds = 20
	}
	if sc.Handling == "" {
		sc.Handling = "exponential"
	}
	if sc.HandlingCV == 0 {
		sc.HandlingCV = 1
	}
	if sc.OffSkillFactor == 0 {
		sc.OffSkillFactor = 1
	}
	if sc.Policy == "" {
		sc.Policy = PolicySkills
	}
	if sc.AwayMinutes == 0 {
		sc.AwayMinutes = 5
	}
	if len(sc.Contacts) == 0 {
		sc.Contacts = []ContactType{{Share: 1}}
	}
	for i := range sc.Agents {
		if sc.Agents[i].Capacity == 0 {
			sc.Agents[i].Capacity = 1
		}
	}
	set, err := routing.ParseSettings(sc.Routing)
	if err != nil {
		return set, fmt.Errorf("sim: routing settings: %w", err)
	}
	bad := func(format string, args ...any) error { return fmt.Errorf("sim: "+format, args...) }
	switch {
	case !(sc.Hours > 0) || sc.Hours > 1e6:
		return set, bad("hours must be above 0 and at most 1,000,000")
	case *sc.WarmupHours < 0 || *sc.WarmupHours > 24*366:
		return set, bad("warmup_hours must be between 0 and a year")
	case !(sc.ArrivalsPerHour > 0) || sc.ArrivalsPerHour > 1e7:
		return set, bad("arrivals_per_hour must be above 0")
	case !(sc.AHT > 0) || sc.AHT > 86400:
		return set, bad("aht_seconds must be above 0 and at most a day")
	case sc.Handling != "exponential" && sc.Handling != "lognormal":
		return set, bad("handling must be exponential or lognormal")
	case !(sc.HandlingCV > 0) || sc.HandlingCV > 10:
		return set, bad("handling_cv must be above 0 and at most 10")
	case sc.OffSkillFactor < 1 || sc.OffSkillFactor > 10:
		return set, bad("off_skill_factor must be between 1 and 10")
	case sc.Patience < 0 || math.IsInf(sc.Patience, 0):
		return set, bad("patience_seconds must not be negative")
	case !(sc.SLSeconds > 0):
		return set, bad("sl_seconds must be above 0")
	case sc.Policy != PolicySkills && sc.Policy != PolicyFCFS:
		return set, bad("policy must be skills or fcfs")
	case len(sc.DailyCurve) != 0 && len(sc.DailyCurve) != 24:
		return set, bad("daily_curve must have 24 hourly factors")
	case len(sc.Agents) == 0:
		return set, bad("agents: at least one group is needed")
	}
	for _, f := range sc.DailyCurve {
		if f < 0 || math.IsNaN(f) || f > 100 {
			return set, bad("daily_curve factors must be between 0 and 100")
		}
	}
	total, agents := 0.0, 0
	for i, c := range sc.Contacts {
		if c.Share < 0 || math.IsNaN(c.Share) {
			return set, bad("contacts[%d].share must not be negative", i)
		}
		for _, f := range []float64{c.VIP, c.Frustrated, c.Sensitive} {
			if f < 0 || f > 1 {
				return set, bad("contacts[%d]: vip, frustrated and sensitive are fractions 0…1", i)
			}
		}
		for _, s := range c.Skills {
			if err := routing.ValidateSkill(s); err != nil {
				return set, bad("contacts[%d]: %v", i, err)
			}
		}
		total += c.Share
	}
	if total <= 0 {
		return set, bad("contacts: the shares must add up to more than 0")
	}
	for i, g := range sc.Agents {
		switch {
		case g.Count < 0 || g.Count > 100000:
			return set, bad("agents[%d].count must be between 0 and 100000", i)
		case g.Capacity < 1 || g.Capacity > 50:
			return set, bad("agents[%d].capacity must be between 1 and 50", i)
		case g.AcceptDelay < 0 || g.Decline < 0 || g.Decline > 1 || g.NoAnswer < 0 || g.NoAnswer > 1 || g.Decline+g.NoAnswer > 1:
			return set, bad("agents[%d]: accept_delay_seconds ≥ 0, decline and no_answer are probabilities adding to at most 1", i)
		case len(g.Shift) != 0 && (len(g.Shift) != 2 || g.Shift[0] < 0 || g.Shift[0] > 24 || g.Shift[1] < 0 || g.Shift[1] > 24):
			return set, bad("agents[%d].shift must be [start, end] hours between 0 and 24", i)
		}
		for s, l := range g.Skills {
			if err := routing.ValidateSkill(s); err != nil || l < 1 || l > 5 {
				return set, bad("agents[%d].skills: %q must be a skill with a level 1…5", i, s)
			}
		}
		agents += g.Count
	}
	if agents == 0 {
		return set, bad("agents: at least one agent is needed")
	}
	return set, nil
}

// singleSkill reports whether the scenario is the textbook queue Erlang C
// describes: one contact type, every agent eligible for it from the
// start, one contact at a time, no shifts, no curve, exponential
// handling, offers accepted at once.
func (sc *Scenario) singleSkill() bool {
	if len(sc.Contacts) != 1 || len(sc.DailyCurve) != 0 || sc.Handling != "exponential" {
		return false
	}
	c := sc.Contacts[0]
	for _, g := range sc.Agents {
		if g.Count == 0 {
			continue
		}
		if g.Capacity != 1 || len(g.Shift) != 0 || g.AcceptDelay != 0 || g.Decline != 0 || g.NoAnswer != 0 {
			return false
		}
		for _, s := range c.Skills {
			if _, ok := g.Skills[s]; !ok {
				return false
			}
		}
		if c.Language != "" {
			if _, ok := g.Skills["lang:"+c.Language]; !ok {
				return false
			}
		}
	}
	return true
}

func (sc *Scenario) agentCount() int {
	n := 0
	for _, g := range sc.Agents {
		n += g.Count
	}
	return n
}

// String names the scenario for reports.
func (sc *Scenario) String() string {
	if sc.Name != "" {
		return sc.Name
	}
	return fmt.Sprintf("%d agents, %.0f contacts/h, AHT %.0f s", sc.agentCount(), sc.ArrivalsPerHour, sc.AHT)
}
