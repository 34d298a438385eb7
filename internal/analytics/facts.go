// Package analytics computes Tandem's reports from the event log: what
// happened to each conversation (its facts, folded from events) and the
// figures of a period (docs/metrics.md defines every one). The fold and the
// figures are pure functions of their input and an injected clock; the
// queries that feed them live in report.go.
package analytics

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Dim is what a conversation is about, for grouping: read from the
// conversation row because triage keeps it there, not in the events.
type Dim struct {
	CustomerID int64
	Intent     string
	Language   string
	Channel    string
}

// Fact is what happened to one conversation, folded from its events.
type Fact struct {
	ID         int64
	CustomerID int64
	Intent     string
	Language   string
	Channel    string
	CreatedAt  time.Time
	// FirstCustomerAt is the customer's first message (the opening one).
	FirstCustomerAt *time.Time
	// FirstAssistantReplyAt and FirstPersonReplyAt are the first public
	// replies by the assistant and by a person.
	FirstAssistantReplyAt *time.Time
	FirstPersonReplyAt    *time.Time
	// Answered: the assistant posted a public message before the
	// conversation first reached the queue. LastAnswerAt is the last such
	// message (the moment the 24-hour "did they come back" clock starts).
	Answered     bool
	LastAnswerAt *time.Time
	// CustomerReturnedAt is the first customer message after LastAnswerAt.
	CustomerReturnedAt *time.Time
	// Confirmed: the customer said "yes, that helped" to the last answer.
	Confirmed bool
	// Handoffs counts the times the conversation was queued for a person;
	// HandoffReason is the first reason of the first handoff.
	Handoffs      int
	FirstQueuedAt *time.Time
	HandoffReason string
	// AgentID is the person who last accepted the conversation (0: none).
	AgentID int64
	// Resolved says the conversation stands resolved after all its events;
	// FirstResolvedAt and ResolvedAt are its first and latest resolution.
	Resolved        bool
	FirstResolvedAt *time.Time
	ResolvedAt      *time.Time
	// Reopens lists when the customer reopened it.
	Reopens []time.Time
	// Handling is the time from the latest accept to the resolution that
	// followed it, summed over the conversation's accept → resolve pairs.
	Handling    time.Duration
	HadHandling bool
	// CSAT is the latest rating (0: none); CSATAgentID the person it rated
	// (0: the assistant alone).
	CSAT        int
	CSATAgentID int64
	// Offers the people answered, by agent: accepted, declined, expired.
	Offers map[int64]*OfferCounts
}

// OfferCounts counts how one person answered the offers of a conversation.
type OfferCounts struct{ Accepted, Declined, Expired int }

// PersonTouched reports whether a person ever owned the conversation.
func (f *Fact) PersonTouched() bool { return f.AgentID != 0 }

// Fold turns events (each conversation's in seq order; conversations may
// interleave or follow one another) into one Fact per
// conversation that has a conversation.created event, in that order. dims
// give each conversation's customer, intent, language and channel.
func Fold(events []model.Event, dims map[int64]Dim) []*Fact {
	byID := map[int64]*Fact{}
	var order []*Fact
	var assignedAt = map[int64]time.Time{}
	for _, ev := range events {
		if ev.ConversationID == nil {
			continue
		}
		id := *ev.ConversationID
		f := byID[id]
		if ev.Type == model.EventConversationCreated && f == nil {
			d := dims[id]
			f = &Fact{ID: id, CustomerID: d.CustomerID, Intent: d.Intent, Language: d.Language, Channel: d.Channel, CreatedAt: ev.At}
			if f.Channel == "" {
				f.Channel = "chat"
			}
			byID[id] = f
			order = append(order, f)
			continue
		}
		if f == nil {
			continue // its creation lies outside the events read
		}
		at := ev.At
		switch ev.Type {
		case model.EventMessageCreated:
			var m struct {
				AuthorKind model.AuthorKind `json:"author_kind"`
				Internal   bool             `json:"internal"`
			}
			if json.Unmarshal(ev.Data, &m) != nil || m.Internal {
				continue
			}
			switch m.AuthorKind {
			case model.AuthorCustomer:
				if f.FirstCustomerAt == nil {
					f.FirstCustomerAt = &at
				}
				if f.LastAnswerAt != nil && f.CustomerReturnedAt == nil {
					f.CustomerReturnedAt = &at
				}
			case model.AuthorAssistant:
				if f.FirstCustomerAt != nil && f.FirstAssistantReplyAt == nil {
					f.FirstAssistantReplyAt = &at
				}
				if f.Handoffs == 0 {
					// A new answer is what the customer's "yes" and their
					// staying away are about from now on.
					f.Answered = true
					f.LastAnswerAt = &at
					f.CustomerReturnedAt = nil
					f.Confirmed = false
				}
			case model.AuthorAgent:
				if f.FirstCustomerAt != nil && f.FirstPersonReplyAt == nil {
					f.FirstPersonReplyAt = &at
				}
			}
		case model.EventConversationQueued:
			var c struct {
				HandoffReason string `json:"handoff_reason"`
			}
			_ = json.Unmarshal(ev.Data, &c)
			f.Handoffs++
			if f.FirstQueuedAt == nil {
				f.FirstQueuedAt = &at
				f.HandoffReason = PrimaryReason(c.HandoffReason)
			}
		case model.EventConversationAssigned:
			var c struct {
				AssigneeID *int64 `json:"assignee_id"`
			}
			if json.Unmarshal(ev.Data, &c) == nil && c.AssigneeID != nil {
				f.AgentID = *c.AssigneeID
			}
			assignedAt[id] = at
		case model.EventConversationResolved:
			f.Resolved = true
			if f.FirstResolvedAt == nil {
				f.FirstResolvedAt = &at
			}
			f.ResolvedAt = &at
			if a, ok := assignedAt[id]; ok {
				f.Handling += at.Sub(a)
				f.HadHandling = true
				delete(assignedAt, id)
			}
		case model.EventConversationReopened:
			f.Resolved = false
			f.Reopens = append(f.Reopens, at)
		case model.EventAssistantFeedback:
			var fb struct {
				Helpful bool `json:"helpful"`
			}
			if json.Unmarshal(ev.Data, &fb) == nil && fb.Helpful {
				f.Confirmed = true
			}
		case model.EventCSATSubmitted:
			var r struct {
				Score   int    `json:"score"`
				AgentID *int64 `json:"agent_id"`
			}
			if json.Unmarshal(ev.Data, &r) == nil {
				f.CSAT, f.CSATAgentID = r.Score, 0
				if r.AgentID != nil {
					f.CSATAgentID = *r.AgentID
				}
			}
		case model.EventOfferAccepted, model.EventOfferDeclined, model.EventOfferExpired:
			var o struct {
				AgentID int64 `json:"agent_id"`
			}
			if json.Unmarshal(ev.Data, &o) != nil || o.AgentID == 0 {
				continue
			}
			if f.Offers == nil {
				f.Offers = map[int64]*OfferCounts{}
			}
			oc := f.Offers[o.AgentID]
			if oc == nil {
				oc = &OfferCounts{}
				f.Offers[o.AgentID] = oc
			}
			switch ev.Type {
			case model.EventOfferAccepted:
				oc.Accepted++
			case model.EventOfferDeclined:
				oc.Declined++
			default:
				oc.Expired++
			}
		}
	}
	return order
}

// PrimaryReason is the first of a handoff's comma-separated reasons: the
// one it is counted under. A free-text reason a person typed counts as "other".
func PrimaryReason(reason string) string {
	first, _, _ := strings.Cut(reason, ",")
	first = strings.TrimSpace(first)
	if first == "" {
		return "unknown"
	}
	for _, r := range first {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return "other"
		}
	}
	return first
}
