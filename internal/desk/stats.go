package desk

import (
	"context"
	"math"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Overview is a workspace's live overview: where its conversations and
// people stand now, and how today went. "Today" starts at midnight in the
// time zone the caller asked for (UTC by default).
type Overview struct {
	GeneratedAt time.Time `json:"generated_at"`
	TimeZone    string    `json:"time_zone"`
	DayStart    time.Time `json:"day_start"`

	Conversations OverviewConversations `json:"conversations"`
	Queue         OverviewQueue         `json:"queue"`
	Agents        OverviewAgents        `json:"agents"`
	Assistant     OverviewAssistant     `json:"assistant"`
	CSAT          OverviewCSAT          `json:"csat"`
	// Hours has one entry per hour of today so far, oldest first.
	Hours []OverviewHour `json:"hours"`
}

// OverviewConversations counts the open conversations by status (whatever
// their age), and today's resolved and new ones.
type OverviewConversations struct {
	AI            int `json:"ai"`
	Queued        int `json:"queued"`
	Assigned      int `json:"assigned"`
	ResolvedToday int `json:"resolved_today"`
	CreatedToday  int `json:"created_today"`
}

// OverviewQueue is the queue for people now.
type OverviewQueue struct {
	Length            int        `json:"length"`
	OldestQueuedAt    *time.Time `json:"oldest_queued_at"`
	OldestWaitSeconds int        `json:"oldest_wait_seconds"`
}

// OverviewAgents counts the staff by status, and the slots of the
// available ones: capacity, conversations they hold (active), free slots.
type OverviewAgents struct {
	Available int `json:"available"`
	Away      int `json:"away"`
	Offline   int `json:"offline"`
	Total     int `json:"total"`
	Capacity  int `json:"capacity"`
	Active    int `json:"active"`
	FreeSlots int `json:"free_slots"`
}

// OverviewAssistant says how much of today's work the assistant did.
//
// AnswerRate is the AI answer rate: of the conversations created today,
// the share the assistant handled without a person — the customer said its
// answer resolved the conversation, or the assistant answered (from an
// article or the business's API) and the conversation was never handed
// over (never queued for a person, never owned by one). A conversation
// handed over later stops counting. Null when there is no conversation today.
type OverviewAssistant struct {
	Conversations           int      `json:"conversations"`
	AnsweredWithoutHandover int      `json:"answered_without_handover"`
	ResolvedByAssistant     int      `json:"resolved_by_assistant"`
	HandedOver              int      `json:"handed_over"`
	AnswerRate              *float64 `json:"answer_rate"`
}

// OverviewCSAT sums the ratings customers gave (or changed) today.
// SatisfiedRate is the share of 4s and 5s, the usual "CSAT %".
type OverviewCSAT struct {
	Ratings       int      `json:"ratings"`
	Average       *float64 `json:"average"`
	Satisfied     int      `json:"satisfied"`
	SatisfiedRate *float64 `json:"satisfied_rate"`
	// Distribution counts the 1s … 5s.
	Distribution [5]int `json:"distribution"`
}

// OverviewHour is one hour of today.
type OverviewHour struct {
	Start         time.Time `json:"start"`
	Conversations int       `json:"conversations"`
	HandedOver    int       `json:"handed_over"`
	AIAnswered    int       `json:"ai_answered"`
}

// Overview computes the live overview of the caller's workspace; staff only.
// loc sets when "today" began (nil: UTC).
func (d *Desk) Overview(ctx context.Context, a Actor, loc *time.Location) (*Overview, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := d.now()
	local := now.In(loc)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).UTC()
	c, err := d.store.Overview(ctx, a.WorkspaceID, dayStart, now)
	if err != nil {
		return nil, err
	}
	o := &Overview{GeneratedAt: now, TimeZone: loc.String(), DayStart: dayStart, Hours: make([]OverviewHour, 0, len(c.Hours))}
	o.Conversations = OverviewConversations{
		AI: c.Open[model.StatusAI], Queued: c.Open[model.StatusQueued], Assigned: c.Open[model.StatusAssigned],
		ResolvedToday: c.ResolvedToday,
	}
	o.Queue = OverviewQueue{Length: c.Open[model.StatusQueued], OldestQueuedAt: c.OldestQueuedAt}
	if c.OldestQueuedAt != nil {
		o.Queue.OldestWaitSeconds = max(0, int(now.Sub(*c.OldestQueuedAt)/time.Second))
	}
	o.Agents = OverviewAgents{
		Available: c.Agents[model.AgentAvailable], Away: c.Agents[model.AgentAway], Offline: c.Agents[model.AgentOffline],
		Capacity: c.Capacity, Active: c.Active, FreeSlots: max(0, c.Capacity-c.Active),
	}
	for _, n := range c.Agents {
		o.Agents.Total += n
	}
	as := &o.Assistant
	for i, h := range c.Hours {
		o.Hours = append(o.Hours, OverviewHour{
			Start: dayStart.Add(time.Duration(i) * time.Hour), Conversations: h.Created, HandedOver: h.HandedOver, AIAnswered: h.AIAnswered,
		})
		as.Conversations += h.Created
		as.HandedOver += h.HandedOver
		as.ResolvedByAssistant += h.ResolvedByAssistant
		as.AnsweredWithoutHandover += h.AIAnswered
	}
	o.Conversations.CreatedToday = as.Conversations
	as.AnswerRate = ratio(as.AnsweredWithoutHandover, as.Conversations)

	cs := &o.CSAT
	cs.Distribution = c.CSAT
	sum := 0
	for i, n := range c.CSAT {
		cs.Ratings += n
		sum += n * (i + 1)
		if i+1 >= 4 {
			cs.Satisfied += n
		}
	}
	cs.SatisfiedRate = ratio(cs.Satisfied, cs.Ratings)
	if cs.Ratings > 0 {
		avg := math.Round(float64(sum)/float64(cs.Ratings)*100) / 100
		cs.Average = &avg
	}
	return o, nil
}

// ratio is n/of rounded to three decimals, or nil when of is 0.
func ratio(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	r := math.Round(float64(n)/float64(of)*1000) / 1000
	return &r
}
