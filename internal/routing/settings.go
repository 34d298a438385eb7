package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Settings is a workspace's routing policy. The zero value is not useful:
// start from DefaultSettings.
type Settings struct {
	// AcceptTimeout is how long an agent has to accept an offer.
	AcceptTimeout time.Duration
	// DefaultCapacity is the number of conversations a new agent works at once.
	DefaultCapacity int
	// ExpiriesBeforeAway sets an agent away after this many offers in a row
	// ran out unanswered; 0 never does.
	ExpiriesBeforeAway int
	// Cooldown spares an agent who passed on a conversation from being
	// offered the same conversation again for a while.
	Cooldown time.Duration
	// StickyWindow is how long a returning customer's previous agent is
	// preferred.
	StickyWindow time.Duration
	// SLATarget is the time within which a conversation should be answered;
	// a conversation nearing it gains priority.
	SLATarget time.Duration
	// Rings widen the required skills with waiting time (bullseye routing).
	Rings []Ring
	// IntentGroups map triage intents to skills. An intent in several
	// groups needs each group's skill: the first listed is its primary skill.
	IntentGroups []IntentGroup
	// SensitiveSkills maps a sensitive matter ("fraud", "bereavement"…) to
	// the skill it needs; "*" is the skill of any other sensitive matter.
	SensitiveSkills map[string]string
	Weights         Weights
	Boosts          Boosts
}

// Requirement kinds a ring may keep.
const (
	// Primary is a conversation's main skill: the skill of its sensitive
	// matter if it has one, else of its intent.
	Primary = "primary"
	// Secondary is every further skill its intent needs.
	Secondary = "secondary"
	// Language is "lang:xx" for the language the customer writes in.
	Language = "language"
)

// Ring is one circle of the bullseye: from After of waiting on, only the
// requirement kinds in Require still count.
type Ring struct {
	After   time.Duration
	Require []string
}

// IntentGroup is a skill and the intents that need it.
type IntentGroup struct {
	Skill   string
	Intents []string
}

// Weights rank the eligible agents for a conversation: each agent gets
// the weighted sum of features scaled to 0…1 and the highest wins.
type Weights struct {
	// Idle favours the agent idle longest: idle/(idle + 5 min).
	Idle float64
	// Load favours free capacity: free slots / capacity.
	Load float64
	// Quality favours the higher quality score (0…1).
	Quality float64
	// Sticky favours a returning customer's previous agent.
	Sticky float64
	// Level favours the higher level (1…5) in the primary skill.
	Level float64
}

// Boosts raise a conversation's priority. Priority is the waiting time in
// seconds plus these, so they say how many seconds of waiting each is
// worth. They are bounded, and waiting time is not: whatever its boosts, a
// conversation is overtaken only by those that arrive within the sum of the
// boosts after it, so nobody starves.
type Boosts struct {
	VIP        time.Duration
	Frustrated time.Duration
	Sensitive  time.Duration
	// SLARisk is reached linearly between half the SLA target and the
	// target, and kept after it.
	SLARisk time.Duration
}

// IdleScale is the idle time that earns half of the idle feature.
const IdleScale = 5 * time.Minute

// DefaultCooldown spares an agent who declined the same offer at once.
const DefaultCooldown = time.Minute

// DefaultSettings returns the settings of a workspace that has not changed
// any: a 30-second accept deadline, capacity 3, away after 3 missed offers
// in a row, rings that drop the secondary skill after 30 s, everything but
// the language after 60 s and any requirement after 3 min, and the
// banking intents (the default triage model's) grouped into five skills.
func DefaultSettings() Settings {
	return Settings{
		AcceptTimeout:      30 * time.Second,
		DefaultCapacity:    3,
		ExpiriesBeforeAway: 3,
		Cooldown:           DefaultCooldown,
		StickyWindow:       24 * time.Hour,
		SLATarget:          time.Minute,
		Rings: []Ring{
			{After: 0, Require: []string{Primary, Secondary, Language}},
			{After: 30 * time.Second, Require: []string{Primary, Language}},
			{After: time.Minute, Require: []string{Language}},
			{After: 3 * time.Minute, Require: []string{}},
		},
		IntentGroups:    bankingGroups(),
		SensitiveSkills: map[string]string{"fraud": "fraud", "*": "sensitive"},
		Weights:         Weights{Idle: 1, Load: 1, Quality: 0.5, Sticky: 3, Level: 0.5},
		Boosts:          Boosts{VIP: 2 * time.Minute, Frustrated: 30 * time.Second, Sensitive: time.Minute, SLARisk: time.Minute},
	}
}

func bankingGroups() []IntentGroup {
	return []IntentGroup{
		{Skill: "fraud", Intents: []string{"card_payment_not_recognised", "compromised_card", "direct_debit_payment_not_recognised",
			"cash_withdrawal_not_recognised"}},
		{Skill: "cards", Intents: []string{"card_arrival", "card_delivery_estimate", "card_linking", "card_not_working", "lost_or_stolen_card",
			"pin_blocked", "change_pin", "contactless_not_working", "getting_virtual_card", "get_disposable_virtual_card", "virtual_card_not_working",
			"disposable_card_limits", "card_acceptance", "get_physical_card", "order_physical_card", "getting_spare_card", "visa_or_mastercard",
			"supported_cards_and_currencies", "activate_my_card", "card_about_to_expire", "card_swallowed", "apple_pay_or_google_pay",
			"atm_support", "compromised_card"}},
		{Skill: "payments", Intents: []string{"card_payment_not_recognised", "card_payment_wrong_exchange_rate", "card_payment_fee_charged",
			"pending_card_payment", "declined_card_payment", "reverted_card_payment?", "transaction_charged_twice", "extra_charge_on_statement",
			"request_refund", "Refund_not_showing_up", "direct_debit_payment_not_recognised", "exchange_rate", "exchange_via_app", "exchange_charge",
			"fiat_currency_support", "automatic_top_up", "topping_up_by_card", "top_up_by_card_charge", "top_up_by_bank_transfer_charge",
			"top_up_by_cash_or_cheque", "top_up_limits", "top_up_failed", "top_up_reverted", "pending_top_up", "verify_top_up",
			"pending_cash_withdrawal", "declined_cash_withdrawal", "wrong_amount_of_cash_received", "cash_withdrawal_charge",
			"cash_withdrawal_not_recognised", "wrong_exchange_rate_for_cash_withdrawal", "balance_not_updated_after_cheque_or_cash_deposit"}},
		{Skill: "transfers", Intents: []string{"cancel_transfer", "declined_transfer", "failed_transfer", "pending_transfer", "transfer_timing",
			"transfer_fee_charged", "transfer_not_received_by_recipient", "transfer_into_account", "receiving_money", "beneficiary_not_allowed",
			"balance_not_updated_after_bank_transfer"}},
		{Skill: "account", Intents: []string{"edit_personal_details", "passcode_forgotten", "terminate_account", "age_limit", "country_support",
			"why_verify_identity", "verify_my_identity", "unable_to_verify_identity", "verify_source_of_funds", "lost_or_stolen_phone"}},
	}
}

// Limits on settings, so a typo cannot stall a workspace.
const (
	maxRings      = 10
	maxGroups     = 200
	maxSkillLen   = 64
	maxWeight     = 100
	maxCapacity   = 50
	maxExpiries   = 100
	maxIntentsLen = 1000
)

// Validate reports the first problem with s, naming the JSON field.
func (s Settings) Validate() error {
	switch {
	case s.AcceptTimeout < 100*time.Millisecond || s.AcceptTimeout > time.Hour:
		return invalid("accept_seconds", "must be between 0.1 and 3600")
	case s.DefaultCapacity < 1 || s.DefaultCapacity > maxCapacity:
		return invalid("default_capacity", "must be between 1 and %d", maxCapacity)
	case s.ExpiriesBeforeAway < 0 || s.ExpiriesBeforeAway > maxExpiries:
		return invalid("expiries_before_away", "must be between 0 (never) and %d", maxExpiries)
	case s.Cooldown < 0 || s.Cooldown > time.Hour:
		return invalid("cooldown_seconds", "must be between 0 and 3600")
	case s.StickyWindow < 0 || s.StickyWindow > 30*24*time.Hour:
		return invalid("sticky_hours", "must be between 0 and 720")
	case s.SLATarget < time.Second || s.SLATarget > 24*time.Hour:
		return invalid("sla_seconds", "must be between 1 and 86400")
	case len(s.Rings) == 0 || len(s.Rings) > maxRings:
		return invalid("rings", "must list 1 to %d rings", maxRings)
	case s.Rings[0].After != 0:
		return invalid("rings[0].after_seconds", "must be 0: the first ring applies at once")
	case len(s.IntentGroups) > maxGroups:
		return invalid("intent_groups", "must list at most %d groups", maxGroups)
	}
	for i, r := range s.Rings {
		if i > 0 && r.After <= s.Rings[i-1].After {
			return invalid(fmt.Sprintf("rings[%d].after_seconds", i), "must be later than the ring before")
		}
		if r.After > 24*time.Hour {
			return invalid(fmt.Sprintf("rings[%d].after_seconds", i), "must be at most 86400")
		}
		seen := map[string]bool{}
		for _, k := range r.Require {
			if k != Primary && k != Secondary && k != Language {
				return invalid(fmt.Sprintf("rings[%d].require", i), "%q is not one of primary, secondary, language", k)
			}
			if seen[k] {
				return invalid(fmt.Sprintf("rings[%d].require", i), "names %q twice", k)
			}
			seen[k] = true
		}
	}
	intents := 0
	for i, g := range s.IntentGroups {
		if err := ValidateSkill(g.Skill); err != nil || strings.HasPrefix(g.Skill, "lang:") {
			return invalid(fmt.Sprintf("intent_groups[%d].skill", i), "must be a skill name (lowercase letters, digits, _ - .), not a language")
		}
		for _, in := range g.Intents {
			if in == "" || len(in) > 100 {
				return invalid(fmt.Sprintf("intent_groups[%d].intents", i), "intents must be 1 to 100 bytes")
			}
		}
		intents += len(g.Intents)
	}
	if intents > maxIntentsLen {
		return invalid("intent_groups", "must list at most %d intents in all", maxIntentsLen)
	}
	for k, v := range s.SensitiveSkills {
		if k == "" || len(k) > 100 {
			return invalid("sensitive_skills", "keys must be 1 to 100 bytes")
		}
		if err := ValidateSkill(v); err != nil || strings.HasPrefix(v, "lang:") {
			return invalid("sensitive_skills."+k, "must be a skill name, not a language")
		}
	}
	w := s.Weights
	for name, v := range map[string]float64{"idle": w.Idle, "load": w.Load, "quality": w.Quality, "sticky": w.Sticky, "level": w.Level} {
		if v < 0 || v > maxWeight || math.IsNaN(v) {
			return invalid("weights."+name, "must be between 0 and %d", maxWeight)
		}
	}
	b := s.Boosts
	for name, v := range map[string]time.Duration{"vip_seconds": b.VIP, "frustrated_seconds": b.Frustrated, "sensitive_seconds": b.Sensitive, "sla_risk_seconds": b.SLARisk} {
		if v < 0 || v > 24*time.Hour {
			return invalid("priority."+name, "must be between 0 and 86400")
		}
	}
	return nil
}

// ValidateSkill checks a skill name: 1 to 64 bytes of lowercase letters,
// digits, '_', '-', '.', with an optional "lang:" prefix.
func ValidateSkill(name string) error {
	rest := strings.TrimPrefix(name, "lang:")
	if rest == "" || len(name) > maxSkillLen {
		return fmt.Errorf("skill %q: must be 1 to %d bytes", name, maxSkillLen)
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("skill %q: only lowercase letters, digits, _ - . are allowed", name)
		}
	}
	return nil
}

// SettingsError names the settings field that is wrong.
type SettingsError struct{ Field, Problem string }

func (e *SettingsError) Error() string { return e.Field + ": " + e.Problem }

func invalid(field, format string, args ...any) error {
	return &SettingsError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// settingsJSON is the settings' wire and storage form: durations in
// seconds (or hours), every field optional when decoding.
type settingsJSON struct {
	AcceptSeconds      *float64          `json:"accept_seconds,omitempty"`
	DefaultCapacity    *int              `json:"default_capacity,omitempty"`
	ExpiriesBeforeAway *int              `json:"expiries_before_away,omitempty"`
	CooldownSeconds    *float64          `json:"cooldown_seconds,omitempty"`
	StickyHours        *float64          `json:"sticky_hours,omitempty"`
	SLASeconds         *float64          `json:"sla_seconds,omitempty"`
	Rings              []ringJSON        `json:"rings,omitempty"`
	IntentGroups       []groupJSON       `json:"intent_groups,omitempty"`
	SensitiveSkills    map[string]string `json:"sensitive_skills,omitempty"`
	Weights            *weightsJSON      `json:"weights,omitempty"`
	Priority           *boostsJSON       `json:"priority,omitempty"`
}

type ringJSON struct {
	AfterSeconds float64  `json:"after_seconds"`
	Require      []string `json:"require"`
}

type groupJSON struct {
	Skill   string   `json:"skill"`
	Intents []string `json:"intents"`
}

type weightsJSON struct {
	Idle    *float64 `json:"idle,omitempty"`
	Load    *float64 `json:"load,omitempty"`
	Quality *float64 `json:"quality,omitempty"`
	Sticky  *float64 `json:"sticky,omitempty"`
	Level   *float64 `json:"level,omitempty"`
}

type boostsJSON struct {
	VIPSeconds        *float64 `json:"vip_seconds,omitempty"`
	FrustratedSeconds *float64 `json:"frustrated_seconds,omitempty"`
	SensitiveSeconds  *float64 `json:"sensitive_seconds,omitempty"`
	SLARiskSeconds    *float64 `json:"sla_risk_seconds,omitempty"`
}

func secs(d time.Duration) *float64 { v := d.Seconds(); return &v }
func fptr(v float64) *float64       { return &v }
func iptr(v int) *int               { return &v }
func dur(v float64) time.Duration   { return time.Duration(math.Round(v * float64(time.Second))) }

// MarshalJSON writes every field.
func (s Settings) MarshalJSON() ([]byte, error) {
	j := settingsJSON{
		AcceptSeconds: secs(s.AcceptTimeout), DefaultCapacity: iptr(s.DefaultCapacity), ExpiriesBeforeAway: iptr(s.ExpiriesBeforeAway),
		CooldownSeconds: secs(s.Cooldown), StickyHours: fptr(s.StickyWindow.Hours()), SLASeconds: secs(s.SLATarget),
		SensitiveSkills: s.SensitiveSkills,
		Weights:         &weightsJSON{fptr(s.Weights.Idle), fptr(s.Weights.Load), fptr(s.Weights.Quality), fptr(s.Weights.Sticky), fptr(s.Weights.Level)},
		Priority:        &boostsJSON{secs(s.Boosts.VIP), secs(s.Boosts.Frustrated), secs(s.Boosts.Sensitive), secs(s.Boosts.SLARisk)},
	}
	j.Rings = []ringJSON{}
	for _, r := range s.Rings {
		j.Rings = append(j.Rings, ringJSON{AfterSeconds: r.After.Seconds(), Require: append([]string{}, r.Require...)})
	}
	j.IntentGroups = []groupJSON{}
	for _, g := range s.IntentGroups {
		j.IntentGroups = append(j.IntentGroups, groupJSON{Skill: g.Skill, Intents: append([]string{}, g.Intents...)})
	}
	if j.SensitiveSkills == nil {
		j.SensitiveSkills = map[string]string{}
	}
	// rings and intent_groups must appear even when empty.
	type full settingsJSON
	return json.Marshal(struct {
		full
		Rings        []ringJSON  `json:"rings"`
		IntentGroups []groupJSON `json:"intent_groups"`
	}{full(j), j.Rings, j.IntentGroups})
}

// UnmarshalJSON overlays the fields present in data on s: fields left out
// keep their value, so a client may send only what it changes. Lists and
// maps given replace the whole list or map. Unknown fields are an error.
func (s *Settings) UnmarshalJSON(data []byte) error {
	var j settingsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	setD := func(dst *time.Duration, v *float64, unit time.Duration) {
		if v != nil {
			*dst = time.Duration(math.Round(*v * float64(unit)))
		}
	}
	setD(&s.AcceptTimeout, j.AcceptSeconds, time.Second)
	setD(&s.Cooldown, j.CooldownSeconds, time.Second)
	setD(&s.StickyWindow, j.StickyHours, time.Hour)
	setD(&s.SLATarget, j.SLASeconds, time.Second)
	if j.DefaultCapacity != nil {
		s.DefaultCapacity = *j.DefaultCapacity
	}
	if j.ExpiriesBeforeAway != nil {
		s.ExpiriesBeforeAway = *j.ExpiriesBeforeAway
	}
	if j.Rings != nil {
		s.Rings = nil
		for _, r := range j.Rings {
			req := r.Require
			if req == nil {
				req = []string{}
			}
			s.Rings = append(s.Rings, Ring{After: dur(r.AfterSeconds), Require: req})
		}
	}
	if j.IntentGroups != nil {
		s.IntentGroups = nil
		for _, g := range j.IntentGroups {
			s.IntentGroups = append(s.IntentGroups, IntentGroup{Skill: g.Skill, Intents: g.Intents})
		}
	}
	if j.SensitiveSkills != nil {
		s.SensitiveSkills = j.SensitiveSkills
	}
	if w := j.Weights; w != nil {
		for dst, v := range map[*float64]*float64{&s.Weights.Idle: w.Idle, &s.Weights.Load: w.Load, &s.Weights.Quality: w.Quality,
			&s.Weights.Sticky: w.Sticky, &s.Weights.Level: w.Level} {
			if v != nil {
				*dst = *v
			}
		}
	}
	if b := j.Priority; b != nil {
		setD(&s.Boosts.VIP, b.VIPSeconds, time.Second)
		setD(&s.Boosts.Frustrated, b.FrustratedSeconds, time.Second)
		setD(&s.Boosts.Sensitive, b.SensitiveSeconds, time.Second)
		setD(&s.Boosts.SLARisk, b.SLARiskSeconds, time.Second)
	}
	return nil
}

// ParseSettings reads stored or submitted settings over the defaults.
// Empty input gives the defaults.
func ParseSettings(data []byte) (Settings, error) {
	s := DefaultSettings()
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return DefaultSettings(), err
	}
	return s, s.Validate()
}

// Skills returns the skills a conversation needs, primary first: the
// skill of its sensitive matter, then its intent's groups in order, each
// once. It is what Plan reads, from the settings compiled.
func (s Settings) Skills(intent, sensitive string) []string {
	var p Planner
	p.compilePolicy(&s)
	return slices.Clone(p.skillsOf(&Conversation{Intent: intent, Sensitive: sensitive}))
}

// Priority is how urgently a conversation needs a person, in seconds:
// its waiting time plus its boosts. Higher goes first.
func (s Settings) Priority(c *Conversation, now time.Time) float64 {
	return newPriority(&s).of(c, now.Sub(c.QueuedAt))
}

// priority is Settings.Priority with the boosts converted once.
type priority struct {
	vip, frustrated, sensitive, sla float64
	half                            time.Duration
}

func newPriority(s *Settings) priority {
	return priority{vip: s.Boosts.VIP.Seconds(), frustrated: s.Boosts.Frustrated.Seconds(), sensitive: s.Boosts.Sensitive.Seconds(),
		sla: s.Boosts.SLARisk.Seconds(), half: s.SLATarget / 2}
}

func (pr priority) of(c *Conversation, wait time.Duration) float64 {
	p := wait.Seconds() + c.Boost.Seconds()
	if c.VIP {
		p += pr.vip
	}
	if c.Frustrated {
		p += pr.frustrated
	}
	if c.Sensitive != "" {
		p += pr.sensitive
	}
	if pr.half > 0 && wait > pr.half {
		p += pr.sla * min(1, float64(wait-pr.half)/float64(pr.half))
	}
	return p
}

// SetsAway reports whether an agent who let inRow offers in a row run out
// is set away: ExpiriesBeforeAway of them, unless that is 0 (never). An
// accepted or declined offer starts the count again; a rescinded one
// leaves it. The dispatcher and the simulator both ask this.
func (s Settings) SetsAway(inRow int) bool {
	return s.ExpiriesBeforeAway > 0 && inRow >= s.ExpiriesBeforeAway
}

// Expired reports whether an offer with this deadline has run out at now:
// the deadline is the first instant it can no longer be accepted.
func Expired(deadline, now time.Time) bool { return !now.Before(deadline) }

// OfferEnd is how an offer ended.
type OfferEnd int

// How offers end.
const (
	EndAccepted OfferEnd = iota
	EndDeclined
	EndExpired
	EndRescinded
)

// AfterOffer is what an offer's end means for its agent and its
// conversation, given inRow, the offers in a row the agent let run out
// before it: the new count (an answer, yes or no, starts it again; an
// expiry adds one; a rescind, the agent's doing or not, leaves it), and
// whether the agent now counts as having passed on the conversation (every
// end but acceptance: they sit out the Cooldown on it). The store keeps
// the same count in SQL (agents.expired_in_row); SetsAway reads it.
func AfterOffer(end OfferEnd, inRow int) (newInRow int, passed bool) {
	switch end {
	case EndAccepted:
		return 0, false
	case EndDeclined:
		return 0, true
	case EndExpired:
		return inRow + 1, true
	default:
		return inRow, true
	}
}
