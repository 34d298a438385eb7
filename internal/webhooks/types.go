package webhooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// Webhook event types: the public names of Tandem's events.
const (
	TypeConversationCreated   = "conversation.created"
	TypeMessageCreated        = "message.created"
	TypeConversationHandedOff = "conversation.handed_off"
	TypeConversationAssigned  = "conversation.assigned"
	TypeConversationResolved  = "conversation.resolved"
	TypeConversationReopened  = "conversation.reopened"
	TypeCSATSubmitted         = "csat.submitted"
	TypeOfferCreated          = "offer.created"
	TypeOfferAccepted         = "offer.accepted"
	TypeOfferDeclined         = "offer.declined"
	TypeOfferExpired          = "offer.expired"
	TypeOfferRescinded        = "offer.rescinded"
	TypeAgentStatusChanged    = "agent.status_changed"
	// Staff events of the agent workspace: the tags changed (data is the
	// conversation with its tags); a conversation was taken off its owner
	// and queued again (data is the conversation).
	TypeConversationTagged      = "conversation.tagged"
	TypeConversationTransferred = "conversation.transferred"
	// All subscribes an endpoint to every type.
	All = "*"
	// TypeTest is the synthetic event an admin sends to check an endpoint
	// (TestMessage). It is not in the event log and cannot be subscribed to.
	TypeTest = "webhook.test"
)

// Types lists the event types an endpoint may subscribe to. Offers, agent
// status, tags and transfers are staff events: they go out only to
// endpoints that opt in to staff events, as do internal notes
// (message.created of a note).
var Types = []string{
	TypeConversationCreated, TypeMessageCreated, TypeConversationHandedOff, TypeConversationAssigned,
	TypeConversationResolved, TypeConversationReopened, TypeCSATSubmitted,
	TypeOfferCreated, TypeOfferAccepted, TypeOfferDeclined, TypeOfferExpired, TypeOfferRescinded,
	TypeAgentStatusChanged, TypeConversationTagged, TypeConversationTransferred,
}

// publicName maps an event-log type to its webhook type where they differ:
// a conversation queued for people is "handed off" to the outside world.
var publicName = map[string]string{
	model.EventConversationQueued: TypeConversationHandedOff,
}

// TypeOf is the webhook type of an event-log type.
func TypeOf(eventType string) string {
	if t, ok := publicName[eventType]; ok {
		return t
	}
	return eventType
}

// ValidTypes checks a subscription list.
func ValidTypes(types []string) error {
	if len(types) == 0 {
		return model.Invalid("event_types", "subscribe to at least one type, or \"*\"")
	}
	for _, t := range types {
		if t != All && !slices.Contains(Types, t) {
			return model.Invalid("event_types", "unknown event type %q", t)
		}
	}
	return nil
}

// payload is the body of every delivery, per the Standard Webhooks shape.
type payload struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// Message decides whether an endpoint gets an event and builds the body:
// the event must be of a type the endpoint subscribed to, and staff-only
// events (internal notes, offers, agent status) go only to endpoints that
// opted in to staff events.
func Message(ev model.Event, e *store.WebhookEndpoint) (store.WebhookMessage, bool) {
	if ev.StaffOnly && !e.StaffEvents {
		return store.WebhookMessage{}, false
	}
	typ := TypeOf(ev.Type)
	if !slices.Contains(e.EventTypes, All) && !slices.Contains(e.EventTypes, typ) {
		return store.WebhookMessage{}, false
	}
	data := json.RawMessage(ev.Data)
	if !json.Valid(data) {
		data = json.RawMessage("null")
	}
	body, err := json.Marshal(payload{Type: typ, Timestamp: ev.At.UTC(), Data: data})
	if err != nil {
		panic(fmt.Sprintf("webhooks: encode payload: %v", err)) // RawMessage was validated
	}
	return store.WebhookMessage{Type: typ, Payload: body}, true
}

// TestMessage is the body of a test delivery to an endpoint, in the same
// shape as every other.
func TestMessage(endpointID int64, now time.Time) store.WebhookMessage {
	data, err := json.Marshal(struct {
		EndpointID int64  `json:"endpoint_id"`
		Message    string `json:"message"`
	}{endpointID, "This is a test event from Tandem."})
	if err != nil {
		panic(fmt.Sprintf("webhooks: encode test data: %v", err))
	}
	body, err := json.Marshal(payload{Type: TypeTest, Timestamp: now.UTC(), Data: data})
	if err != nil {
		panic(fmt.Sprintf("webhooks: encode payload: %v", err))
	}
	return store.WebhookMessage{Type: TypeTest, Payload: body}
}
