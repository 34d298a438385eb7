package analytics

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Groupings a summary can be split by.
const (
	ByDay      = "day"
	ByWeek     = "week"
	ByAgent    = "agent"
	ByIntent   = "intent"
	ByLanguage = "language"
	ByChannel  = "channel"
)

// ValidBy reports whether by names a grouping ("" is none).
func ValidBy(by string) bool {
	switch by {
	case "", ByDay, ByWeek, ByAgent, ByIntent, ByLanguage, ByChannel:
		return true
	}
	return false
}

// Defaults of the workspace's report settings.
const (
	DefaultRepeatDays = 7
	// AssumedWindow is how long a customer must stay away after the
	// assistant's answer for the answer to count as a resolution.
	AssumedWindow = 24 * time.Hour
)

// Options say which period to summarize and how.
type Options struct {
	// From and To bound the period: conversations created at or after
	// From and before To.
	From, To time.Time
	// Loc is the time zone of day and week boundaries.
	Loc *time.Location
	By  string
	// RepeatDays is the repeat-contact window N, in days.
	RepeatDays int
	// AssistantCost is the assistant's cost per conversation it answered;
	// PersonCostPerHour people's cost per hour of handling (minor units).
	AssistantCost     int64
	PersonCostPerHour int64
	// Now is the time of the report: an answer counts as an assumed
	// resolution only once its 24 hours have passed by then.
	Now time.Time
	// AgentNames label the per-agent groups.
	AgentNames map[int64]string
}

// Duration is a distribution of durations in seconds; nil fields when it
// has no value.
type Duration struct {
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
	Count  int      `json:"count"`
}

// Rating is a CSAT figure: the share of 4s and 5s among the ratings.
type Rating struct {
	SatisfiedRate *float64 `json:"satisfied_rate"`
	Ratings       int      `json:"ratings"`
}

// CSAT splits ratings by who handled the conversation.
type CSAT struct {
	Assistant Rating `json:"assistant"`
	People    Rating `json:"people"`
}

// Cost is the cost per resolution in minor units, over every resolved
// conversation and split by who resolved it; nil where nothing was resolved.
type Cost struct {
	All       *int64 `json:"all"`
	AIOnly    *int64 `json:"ai_only"`
	HumanOnly *int64 `json:"human_only"`
	Hybrid    *int64 `json:"hybrid"`
}

// Figures are the report's figures over a set of conversations. Rates are
// shares in 0…1, nil when their denominator is 0.
type Figures struct {
	Conversations            int            `json:"conversations"`
	AssistantAnswered        int            `json:"assistant_answered"`
	AIResolved               int            `json:"ai_resolved"`
	AIResolutionRate         *float64       `json:"ai_resolution_rate"`
	ContainmentRate          *float64       `json:"containment_rate"`
	Handoffs                 int            `json:"handoffs"`
	HandoffRate              *float64       `json:"handoff_rate"`
	HandoffReasons           map[string]int `json:"handoff_reasons"`
	FirstResponseSeconds     Responses      `json:"first_response_seconds"`
	ResolutionSeconds        Duration       `json:"resolution_seconds"`
	HandlingSeconds          Duration       `json:"handling_seconds"`
	Resolved                 int            `json:"resolved"`
	RepeatContacts           int            `json:"repeat_contacts"`
	RepeatContactRate        *float64       `json:"repeat_contact_rate"`
	RepeatContactsSameIntent int            `json:"repeat_contacts_same_intent"`
	RepeatContactRateSame    *float64       `json:"repeat_contact_rate_same_intent"`
	FirstContactResolution   *float64       `json:"first_contact_resolution_rate"`
	CSAT                     CSAT           `json:"csat"`
	CostPerResolution        Cost           `json:"cost_per_resolution"`
	// Per-agent groups only: how the person answered offers, and the
	// place for a QA score once reviews exist (nil until then).
	AcceptanceRate *float64 `json:"acceptance_rate,omitempty"`
	QAScore        *float64 `json:"qa_score,omitempty"`
}

// Responses are first response times, by the assistant and by a person.
type Responses struct {
	Assistant Duration `json:"assistant"`
	Person    Duration `json:"person"`
	// Median and P90 are of the first public reply by anyone.
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

// Group is the figures of one group of a summary split by Options.By.
type Group struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Figures
}

// Summary is a period's report.
type Summary struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	TZ         string    `json:"tz"`
	By         string    `json:"by,omitempty"`
	RepeatDays int       `json:"repeat_days"`
	Figures
	Groups []Group `json:"groups"`
}

// Summarize computes the period's figures from the facts. facts may hold
// conversations created after the period too: they are what repeat
// contacts and returns are looked for in.
func Summarize(facts []*Fact, o Options) *Summary {
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.RepeatDays <= 0 {
		o.RepeatDays = DefaultRepeatDays
	}
	later := laterByCustomer(facts)
	var in []*Fact
	for _, f := range facts {
		if !f.CreatedAt.Before(o.From) && f.CreatedAt.Before(o.To) {
			in = append(in, f)
		}
	}
	s := &Summary{From: o.From, To: o.To, TZ: o.Loc.String(), By: o.By, RepeatDays: o.RepeatDays, Groups: []Group{}}
	s.Figures = figures(in, later, o)
	if o.By == "" {
		return s
	}
	groups := map[string][]*Fact{}
	labels := map[string]string{}
	for _, f := range in {
		key, label := groupKey(f, o)
		groups[key] = append(groups[key], f)
		labels[key] = label
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := Group{Key: k, Label: labels[k], Figures: figures(groups[k], later, o)}
		if o.By == ByAgent {
			g.AcceptanceRate = acceptance(in, k)
		}
		s.Groups = append(s.Groups, g)
	}
	return s
}

func groupKey(f *Fact, o Options) (key, label string) {
	switch o.By {
	case ByDay:
		d := f.CreatedAt.In(o.Loc).Format(time.DateOnly)
		return d, d
	case ByWeek:
		// Weeks start on Monday (ISO 8601), in the report's time zone.
		t := f.CreatedAt.In(o.Loc)
		wd := (int(t.Weekday()) + 6) % 7
		monday := time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, o.Loc)
		y, w := monday.ISOWeek()
		return monday.Format(time.DateOnly), fmt.Sprintf("%d-W%02d", y, w)
	case ByAgent:
		if f.AgentID == 0 {
			return "assistant", "Assistant only"
		}
		name := o.AgentNames[f.AgentID]
		if name == "" {
			name = "agent " + strconv.FormatInt(f.AgentID, 10)
		}
		return strconv.FormatInt(f.AgentID, 10), name
	case ByIntent:
		return orUnknown(f.Intent), orUnknown(f.Intent)
	case ByLanguage:
		return orUnknown(f.Language), orUnknown(f.Language)
	default:
		return orUnknown(f.Channel), orUnknown(f.Channel)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// laterByCustomer lists each customer's conversations by creation time.
func laterByCustomer(facts []*Fact) map[int64][]*Fact {
	m := map[int64][]*Fact{}
	for _, f := range facts {
		m[f.CustomerID] = append(m[f.CustomerID], f)
	}
	for _, l := range m {
		sort.SliceStable(l, func(i, j int) bool { return l[i].CreatedAt.Before(l[j].CreatedAt) })
	}
	return m
}

// AIResolved reports whether the assistant resolved the conversation
// (docs/metrics.md, "AI resolution rate").
func AIResolved(f *Fact, others []*Fact, now time.Time) bool {
	if !f.Answered || f.Handoffs > 0 || f.LastAnswerAt == nil {
		return false
	}
	until := f.LastAnswerAt.Add(AssumedWindow)
	if f.CustomerReturnedAt != nil && !f.CustomerReturnedAt.After(until) {
		return false
	}
	for _, g := range others {
		if g.ID != f.ID && g.CreatedAt.After(*f.LastAnswerAt) && !g.CreatedAt.After(until) {
			return false // came back in a new conversation
		}
	}
	if f.Confirmed {
		return true
	}
	return !now.Before(until) // assumed, once the 24 hours have passed
}

// RepeatContact reports whether the customer came back within days after
// the conversation's first resolution: by reopening it, or by starting
// another conversation (sameIntent: one with the same intent).
func RepeatContact(f *Fact, others []*Fact, days int) (repeat, sameIntent bool) {
	if f.FirstResolvedAt == nil {
		return false, false
	}
	start := *f.FirstResolvedAt
	until := start.Add(time.Duration(days) * 24 * time.Hour)
	for _, r := range f.Reopens {
		if r.After(start) && !r.After(until) {
			repeat, sameIntent = true, true
		}
	}
	for _, g := range others {
		if g.ID != f.ID && g.CreatedAt.After(start) && !g.CreatedAt.After(until) {
			repeat = true
			if g.Intent == f.Intent && f.Intent != "" {
				sameIntent = true
			}
		}
	}
	return repeat, sameIntent
}

func figures(in []*Fact, later map[int64][]*Fact, o Options) Figures {
	fg := Figures{Conversations: len(in), HandoffReasons: map[string]int{}}
	var frA, frP, frAny, res, handling []float64
	var contained int
	var csatA, csatAOK, csatP, csatPOK int
	var costs [3]int64 // ai only, human only, hybrid
	var counts [3]int
	for _, f := range in {
		if f.Answered {
			fg.AssistantAnswered++
			if AIResolved(f, later[f.CustomerID], o.Now) {
				fg.AIResolved++
			}
		}
		if f.Handoffs == 0 {
			contained++
		} else {
			fg.Handoffs++
			fg.HandoffReasons[f.HandoffReason]++
		}
		if f.FirstCustomerAt != nil {
			var first *time.Time
			if f.FirstAssistantReplyAt != nil {
				frA = append(frA, secs(f.FirstAssistantReplyAt.Sub(*f.FirstCustomerAt)))
				first = f.FirstAssistantReplyAt
			}
			if f.FirstPersonReplyAt != nil {
				frP = append(frP, secs(f.FirstPersonReplyAt.Sub(*f.FirstCustomerAt)))
				if first == nil || f.FirstPersonReplyAt.Before(*first) {
					first = f.FirstPersonReplyAt
				}
			}
			if first != nil {
				frAny = append(frAny, secs(first.Sub(*f.FirstCustomerAt)))
			}
		}
		if f.Resolved && f.ResolvedAt != nil {
			start := f.CreatedAt
			if f.FirstCustomerAt != nil {
				start = *f.FirstCustomerAt
			}
			res = append(res, secs(f.ResolvedAt.Sub(start)))
		}
		if f.Resolved && f.HadHandling {
			handling = append(handling, secs(f.Handling))
		}
		if f.FirstResolvedAt != nil {
			fg.Resolved++
			repeat, same := RepeatContact(f, later[f.CustomerID], o.RepeatDays)
			if repeat {
				fg.RepeatContacts++
			}
			if same {
				fg.RepeatContactsSameIntent++
			}
		}
		if f.CSAT > 0 {
			ok := f.CSAT >= 4
			if f.CSATAgentID == 0 {
				csatA++
				if ok {
					csatAOK++
				}
			} else {
				csatP++
				if ok {
					csatPOK++
				}
			}
		}
		if f.Resolved {
			var cost int64
			if f.Answered {
				cost += o.AssistantCost
			}
			cost += int64(math.Round(f.Handling.Hours() * float64(o.PersonCostPerHour)))
			k := 2
			switch {
			case !f.PersonTouched():
				k = 0
			case !f.Answered:
				k = 1
			}
			costs[k] += cost
			counts[k]++
		}
	}
	fg.AIResolutionRate = rate(fg.AIResolved, fg.AssistantAnswered)
	fg.ContainmentRate = rate(contained, len(in))
	fg.HandoffRate = rate(fg.Handoffs, len(in))
	fg.FirstResponseSeconds = Responses{Assistant: dist(frA), Person: dist(frP)}
	first := dist(frAny)
	fg.FirstResponseSeconds.Median, fg.FirstResponseSeconds.P90 = first.Median, first.P90
	fg.ResolutionSeconds = dist(res)
	fg.HandlingSeconds = dist(handling)
	fg.RepeatContactRate = rate(fg.RepeatContacts, fg.Resolved)
	fg.RepeatContactRateSame = rate(fg.RepeatContactsSameIntent, fg.Resolved)
	if fg.RepeatContactRate != nil {
		v := 1 - *fg.RepeatContactRate
		fg.FirstContactResolution = &v
	}
	fg.CSAT = CSAT{Assistant: Rating{rate(csatAOK, csatA), csatA}, People: Rating{rate(csatPOK, csatP), csatP}}
	fg.CostPerResolution = Cost{
		All:       perResolution(costs[0]+costs[1]+costs[2], counts[0]+counts[1]+counts[2]),
		AIOnly:    perResolution(costs[0], counts[0]),
		HumanOnly: perResolution(costs[1], counts[1]),
		Hybrid:    perResolution(costs[2], counts[2]),
	}
	return fg
}

// acceptance is the share of the offers the agent (key) answered that they
// accepted, over the period's conversations.
func acceptance(in []*Fact, key string) *float64 {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil
	}
	var acc, all int
	for _, f := range in {
		if oc := f.Offers[id]; oc != nil {
			acc += oc.Accepted
			all += oc.Accepted + oc.Declined + oc.Expired
		}
	}
	return rate(acc, all)
}

func perResolution(cost int64, n int) *int64 {
	if n == 0 {
		return nil
	}
	v := int64(math.Round(float64(cost) / float64(n)))
	return &v
}

func rate(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func secs(d time.Duration) float64 { return d.Seconds() }

// dist is the median and 90th percentile of vs by the nearest-rank method:
// the value at rank ⌈p·n⌉ of the sorted values (always a value observed).
func dist(vs []float64) Duration {
	d := Duration{Count: len(vs)}
	if len(vs) == 0 {
		return d
	}
	sort.Float64s(vs)
	m, p := Percentile(vs, 0.5), Percentile(vs, 0.9)
	d.Median, d.P90 = &m, &p
	return d
}

// Percentile is the nearest-rank p-th percentile of sorted, non-empty vs.
func Percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}
