package analytics_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/analytics"
	"github.com/tandem-desk/tandem/internal/model"
)

// history builds an event log by hand, in seq order.
type history struct {
	events []model.Event
	dims   map[int64]analytics.Dim
}

func (h *history) add(typ string, conv int64, at time.Time, data any) {
	raw, _ := json.Marshal(data)
	c := conv
	h.events = append(h.events, model.Event{Seq: int64(len(h.events) + 1), Type: typ, ConversationID: &c, At: at, Data: raw})
}

func (h *history) open(conv, customer int64, intent string, at time.Time) {
	if h.dims == nil {
		h.dims = map[int64]analytics.Dim{}
	}
	h.dims[conv] = analytics.Dim{CustomerID: customer, Intent: intent, Language: "en"}
	h.add(model.EventConversationCreated, conv, at, map[string]any{"id": conv})
	h.msg(conv, model.AuthorCustomer, at)
}

func (h *history) msg(conv int64, kind model.AuthorKind, at time.Time) {
	h.add(model.EventMessageCreated, conv, at, map[string]any{"author_kind": kind, "internal": false})
}
func (h *history) queue(conv int64, reason string, at time.Time) {
	h.add(model.EventConversationQueued, conv, at, map[string]any{"handoff_reason": reason})
}
func (h *history) assign(conv, agent int64, at time.Time) {
	h.add(model.EventOfferAccepted, conv, at, map[string]any{"agent_id": agent})
	h.add(model.EventConversationAssigned, conv, at, map[string]any{"assignee_id": agent})
}
func (h *history) resolve(conv int64, at time.Time) {
	h.add(model.EventConversationResolved, conv, at, nil)
}
func (h *history) yes(conv int64, at time.Time) {
	h.add(model.EventAssistantFeedback, conv, at, map[string]any{"helpful": true})
	h.resolve(conv, at)
}
func (h *history) csat(conv int64, score int, agent *int64, at time.Time) {
	h.add(model.EventCSATSubmitted, conv, at, map[string]any{"score": score, "agent_id": agent})
}

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // a Monday

const (
	sec = time.Second
	day = 24 * time.Hour
)

// constructed is the history every figure below is worked out on by hand
// (the comments give the working).
func constructed() *history {
	h := &history{}
	agent10 := int64(10)
	// c1: answered in 2 s, "yes, that helped" at 60 s: AI-resolved
	// (confirmed). CSAT 5 for the assistant. Its customer comes back on
	// day 8 (c7): not a repeat contact.
	h.open(1, 1, "card_lost", t0)
	h.msg(1, model.AuthorAssistant, t0.Add(2*sec))
	h.yes(1, t0.Add(60*sec))
	h.csat(1, 5, nil, t0.Add(70*sec))
	// c2: answered in 4 s, the customer left: AI-resolved (assumed), never resolved.
	h.open(2, 2, "refund", t0.Add(time.Hour))
	h.msg(2, model.AuthorAssistant, t0.Add(time.Hour+4*sec))
	// c3: answered in 2 s, the customer wrote again after an hour and asked
	// for a person: not AI-resolved. Agent 10 accepts at 3 h + 60 s,
	// replies at 3 h + 90 s, resolves at 3 h + 600 s (handling 540 s). CSAT 2.
	c3 := t0.Add(2 * time.Hour)
	h.open(3, 3, "refund", c3)
	h.msg(3, model.AuthorAssistant, c3.Add(2*sec))
	h.msg(3, model.AuthorCustomer, c3.Add(time.Hour))
	h.queue(3, "human_request", c3.Add(time.Hour))
	h.msg(3, model.AuthorAssistant, c3.Add(time.Hour+sec)) // the handoff notice, after the queue: no answer
	h.assign(3, 10, c3.Add(time.Hour+60*sec))
	h.msg(3, model.AuthorAgent, c3.Add(time.Hour+90*sec))
	h.resolve(3, c3.Add(time.Hour+600*sec))
	h.csat(3, 2, &agent10, c3.Add(2*time.Hour))
	// c4: sensitive, handed over at once (the assistant's notice at 1 s is
	// its first response but not an answer). Agent 11 lets the offer
	// expire, agent 10 accepts at 120 s, replies at 180 s, resolves at
	// 1200 s (handling 1080 s). CSAT 4. Its customer starts c6 on day 7 exactly.
	c4 := t0.Add(3 * time.Hour)
	h.open(4, 4, "fraud", c4)
	h.queue(4, "sensitive,low_confidence", c4.Add(sec))
	h.msg(4, model.AuthorAssistant, c4.Add(sec))
	h.add(model.EventOfferExpired, 4, c4.Add(60*sec), map[string]any{"agent_id": 11})
	h.assign(4, 10, c4.Add(120*sec))
	h.msg(4, model.AuthorAgent, c4.Add(180*sec))
	h.resolve(4, c4.Add(1200*sec))
	h.csat(4, 4, &agent10, c4.Add(1300*sec))
	// c5: answered in 3 s, confirmed at 30 s; reopened on day 2, answered
	// again, confirmed again: AI-resolved, resolution 2 days + 20 s, and a
	// repeat contact (the reopening).
	c5 := t0.Add(4 * time.Hour)
	h.open(5, 5, "card_lost", c5)
	h.msg(5, model.AuthorAssistant, c5.Add(3*sec))
	h.yes(5, c5.Add(30*sec))
	h.add(model.EventConversationReopened, 5, c5.Add(2*day), nil)
	h.msg(5, model.AuthorCustomer, c5.Add(2*day))
	h.msg(5, model.AuthorAssistant, c5.Add(2*day+2*sec))
	h.yes(5, c5.Add(2*day+20*sec))
	// c8: 23:30 UTC — already 3 November in Stockholm. Answered in 5 s,
	// the customer left: AI-resolved (assumed).
	c8 := time.Date(2026, 11, 2, 23, 30, 0, 0, time.UTC)
	h.open(8, 8, "card_lost", c8)
	h.msg(8, model.AuthorAssistant, c8.Add(5*sec))
	// c9: answered in 2 s and confirmed at 10 s, but its customer starts
	// c10 (another intent) 20 hours later: the return takes the AI
	// resolution back, and it is a repeat contact (not on the same intent).
	c9 := t0.Add(5 * time.Hour)
	h.open(9, 9, "refund", c9)
	h.msg(9, model.AuthorAssistant, c9.Add(2*sec))
	h.yes(9, c9.Add(10*sec))
	h.open(10, 9, "card_lost", c9.Add(20*time.Hour))
	// After the period: c6 (customer 4, day 7 after c4's resolution: a
	// repeat, same intent), c7 (customer 1, day 8 after c1's: not one).
	h.open(6, 4, "fraud", c4.Add(1200*sec+7*day))
	h.open(7, 1, "card_lost", t0.Add(60*sec+8*day))
	return h
}

func f(v float64) *float64 { return &v }
func i(v int64) *int64     { return &v }

func eq(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, show(got), show(want))
	case math.Abs(*got-*want) > 1e-9:
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func show(v *float64) any {
	if v == nil {
		return "null"
	}
	return *v
}

func TestSummaryOnAConstructedHistory(t *testing.T) {
	h := constructed()
	s := analytics.Summarize(analytics.Fold(h.events, h.dims), analytics.Options{
		From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC),
		AssistantCost: 50, PersonCostPerHour: 3600, Now: t0.Add(20 * day), By: analytics.ByAgent,
		AgentNames: map[int64]string{10: "Ada"},
	})
	// In the period (UTC): c1 c2 c3 c4 c5 c8 c9.
	if s.Conversations != 7 {
		t.Fatalf("conversations = %d, want 7", s.Conversations)
	}
	// Answered: c1 c2 c3 c5 c8 c9; AI-resolved: c1 (yes) c2 (assumed) c5 (yes, after reopening) c8 (assumed).
	if s.AssistantAnswered != 6 || s.AIResolved != 4 {
		t.Errorf("answered %d, AI-resolved %d; want 6, 4", s.AssistantAnswered, s.AIResolved)
	}
	eq(t, "ai_resolution_rate", s.AIResolutionRate, f(4.0/6))
	eq(t, "containment_rate", s.ContainmentRate, f(5.0/7))
	eq(t, "handoff_rate", s.HandoffRate, f(2.0/7))
	if len(s.HandoffReasons) != 2 || s.HandoffReasons["human_request"] != 1 || s.HandoffReasons["sensitive"] != 1 {
		t.Errorf("handoff_reasons = %v", s.HandoffReasons)
	}
	// Assistant first responses 2 4 2 1 3 5 2 → sorted 1 2 2 2 3 4 5:
	// median = rank ⌈3.5⌉ = 4th = 2 (a tie), p90 = rank ⌈6.3⌉ = 7th = 5.
	eq(t, "first response assistant median", s.FirstResponseSeconds.Assistant.Median, f(2))
	eq(t, "first response assistant p90", s.FirstResponseSeconds.Assistant.P90, f(5))
	// People: c3 1 h + 90 s = 3690 s, c4 180 s → median 180, p90 3690.
	eq(t, "first response person median", s.FirstResponseSeconds.Person.Median, f(180))
	eq(t, "first response person p90", s.FirstResponseSeconds.Person.P90, f(3690))
	// Standing resolved: c1 60, c3 4200, c4 1200, c5 172820, c9 10 →
	// sorted 10 60 1200 4200 172820: median 3rd = 1200, p90 5th = 172820.
	eq(t, "resolution median", s.ResolutionSeconds.Median, f(1200))
	eq(t, "resolution p90", s.ResolutionSeconds.P90, f(172820))
	// Handling: c3 540, c4 1080 → median 540, p90 1080.
	eq(t, "handling median", s.HandlingSeconds.Median, f(540))
	eq(t, "handling p90", s.HandlingSeconds.P90, f(1080))
	// Resolved: c1 c3 c4 c5 c9. Repeats: c4 (c6 on day 7), c5 (reopened),
	// c9 (c10 the next day) = 3/5; same intent: c4 c5 = 2/5. c1's return
	// on day 8 does not count.
	eq(t, "repeat_contact_rate", s.RepeatContactRate, f(0.6))
	eq(t, "repeat_contact_rate_same_intent", s.RepeatContactRateSame, f(0.4))
	eq(t, "first_contact_resolution_rate", s.FirstContactResolution, f(0.4))
	// CSAT: assistant c1 5 → 1/1; people c3 2, c4 4 → 1/2.
	eq(t, "csat assistant", s.CSAT.Assistant.SatisfiedRate, f(1))
	eq(t, "csat people", s.CSAT.People.SatisfiedRate, f(0.5))
	if s.CSAT.Assistant.Ratings != 1 || s.CSAT.People.Ratings != 2 {
		t.Errorf("csat ratings = %+v", s.CSAT)
	}
	// Cost (assistant 50 per answered conversation, people 1 per second):
	// c1 c5 c9 AI only 50 each; c3 hybrid 50 + 540; c4 human only 1080.
	// All: (150 + 590 + 1080) / 5 = 364.
	wantCost := analytics.Cost{All: i(364), AIOnly: i(50), HumanOnly: i(1080), Hybrid: i(590)}
	if got := s.CostPerResolution; *got.All != *wantCost.All || *got.AIOnly != 50 || *got.HumanOnly != 1080 || *got.Hybrid != 590 {
		t.Errorf("cost_per_resolution = %v %v %v %v", *got.All, *got.AIOnly, *got.HumanOnly, *got.Hybrid)
	}
	// Per agent: agent 10 has c3 and c4 (accepted both offers); the rest is the assistant's.
	if len(s.Groups) != 2 || s.Groups[0].Key != "10" || s.Groups[0].Label != "Ada" || s.Groups[1].Key != "assistant" {
		t.Fatalf("groups = %+v", s.Groups)
	}
	ada := s.Groups[0]
	if ada.Conversations != 2 || ada.CSAT.People.Ratings != 2 {
		t.Errorf("Ada's group = %+v", ada.Figures)
	}
	eq(t, "Ada's acceptance", ada.AcceptanceRate, f(1))
	eq(t, "Ada's handling median", ada.HandlingSeconds.Median, f(540))
	eq(t, "Ada's QA score (none yet)", ada.QAScore, nil)
	if s.Groups[1].Conversations != 5 {
		t.Errorf("assistant-only group has %d conversations, want 5", s.Groups[1].Conversations)
	}
}

func TestTimeZoneShiftsDayBoundaries(t *testing.T) {
	h := constructed()
	facts := analytics.Fold(h.events, h.dims)
	now := t0.Add(20 * day)
	for _, tc := range []struct {
		tz   string
		want map[string]int
	}{
		// UTC: 2 November is c1…c5, c8, c9; c10 (1:00 on the 3rd) is the next day.
		{"UTC", map[string]int{"2026-11-02": 7, "2026-11-03": 1}},
		// Stockholm (UTC+1): c8 at 23:30 UTC is 00:30 on the 3rd.
		{"Europe/Stockholm", map[string]int{"2026-11-02": 6, "2026-11-03": 2}},
	} {
		t.Run(tc.tz, func(t *testing.T) {
			from, to, loc, err := analytics.ParsePeriod("2026-11-02", "2026-11-03", tc.tz, now)
			if err != nil {
				t.Fatal(err)
			}
			s := analytics.Summarize(facts, analytics.Options{From: from, To: to, Loc: loc, By: analytics.ByDay, Now: now})
			got := map[string]int{}
			for _, g := range s.Groups {
				got[g.Key] = g.Conversations
			}
			if len(got) != len(tc.want) || got["2026-11-02"] != tc.want["2026-11-02"] || got["2026-11-03"] != tc.want["2026-11-03"] {
				t.Errorf("by day = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAssumedResolutionWaitsTwentyFourHours(t *testing.T) {
	h := &history{}
	h.open(1, 1, "refund", t0)
	h.msg(1, model.AuthorAssistant, t0.Add(sec))
	facts := analytics.Fold(h.events, h.dims)
	opts := analytics.Options{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	for _, tc := range []struct {
		now  time.Time
		want float64
	}{{t0.Add(sec + 24*time.Hour - time.Microsecond), 0}, {t0.Add(sec + 24*time.Hour), 1}} {
		opts.Now = tc.now
		eq(t, "ai_resolution_rate at "+tc.now.String(), analytics.Summarize(facts, opts).AIResolutionRate, f(tc.want))
	}
}

func TestRepeatWindowIsPerWorkspace(t *testing.T) {
	h := constructed()
	facts := analytics.Fold(h.events, h.dims)
	opts := analytics.Options{From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), Now: t0.Add(20 * day)}
	// With N = 8 c1's return on day 8 counts too: 4 of 5.
	opts.RepeatDays = 8
	eq(t, "repeat_contact_rate (N=8)", analytics.Summarize(facts, opts).RepeatContactRate, f(0.8))
	// With N = 1, only c9's next-day return is within it: 1 of 5
	// (c5's reopening came on day 2).
	opts.RepeatDays = 1
	eq(t, "repeat_contact_rate (N=1)", analytics.Summarize(facts, opts).RepeatContactRate, f(0.2))
}

func TestCSV(t *testing.T) {
	h := constructed()
	s := analytics.Summarize(analytics.Fold(h.events, h.dims), analytics.Options{
		From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC),
		Now: t0.Add(20 * day), By: analytics.ByIntent,
	})
	var b bytes.Buffer
	if err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// A header, "all", and card_lost, fraud, refund.
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "group,label,conversations,ai_resolution_rate") ||
		!strings.HasPrefix(lines[1], "all,All,7,") || !strings.HasPrefix(lines[2], "card_lost,card_lost,3,") ||
		!strings.HasPrefix(lines[3], "fraud,fraud,1,") || !strings.HasPrefix(lines[4], "refund,refund,3,") {
		t.Errorf("csv:\n%s", b.String())
	}
	if !strings.HasSuffix(lines[0], "handoffs_human_request,handoffs_sensitive") {
		t.Errorf("header = %s", lines[0])
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	from, to, _, err := analytics.ParsePeriod("", "", "", now)
	if err != nil || !from.Equal(time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("default period = %v … %v, %v", from, to, err)
	}
	for _, bad := range [][3]string{{"2026-12-02", "2026-12-01", ""}, {"yesterday", "", ""}, {"", "", "Mars/Olympus"}, {"2020-01-01", "2026-01-01", ""}} {
		if _, _, _, err := analytics.ParsePeriod(bad[0], bad[1], bad[2], now); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
}
