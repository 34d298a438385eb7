// Package model holds Tandem's plain domain types and their validation.
// It imports nothing internal: every other package may depend on it.
package model

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ConversationStatus is where a conversation stands in its life cycle:
// ai → queued → assigned → resolved (→ reopened) → closed.
type ConversationStatus string

const (
	StatusAI       ConversationStatus = "ai"
	StatusQueued   ConversationStatus = "queued"
	StatusAssigned ConversationStatus = "assigned"
	StatusResolved ConversationStatus = "resolved"
	StatusClosed   ConversationStatus = "closed"
)

// Valid reports whether s is a known status.
func (s ConversationStatus) Valid() bool {
	switch s {
	case StatusAI, StatusQueued, StatusAssigned, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// AuthorKind says who wrote a message.
type AuthorKind string

const (
	AuthorCustomer  AuthorKind = "customer"
	AuthorAssistant AuthorKind = "assistant"
	AuthorAgent     AuthorKind = "agent"
	AuthorSystem    AuthorKind = "system"
)

// Valid reports whether k is a known author kind.
func (k AuthorKind) Valid() bool {
	switch k {
	case AuthorCustomer, AuthorAssistant, AuthorAgent, AuthorSystem:
		return true
	}
	return false
}

// AgentStatus is whether a person is taking work.
type AgentStatus string

const (
	AgentOffline   AgentStatus = "offline"
	AgentAvailable AgentStatus = "available"
	AgentAway      AgentStatus = "away"
)

// Valid reports whether s is a known agent status.
func (s AgentStatus) Valid() bool {
	switch s {
	case AgentOffline, AgentAvailable, AgentAway:
		return true
	}
	return false
}

// Role is what a staff member may do.
type Role string

const (
	RoleAgent Role = "agent"
	RoleAdmin Role = "admin"
	// RoleSupervisor manages people, quality and reports, but not
	// settings, pay or webhooks.
	RoleSupervisor Role = "supervisor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAgent, RoleAdmin, RoleSupervisor:
		return true
	}
	return false
}

// OfferStatus is the state of a reservation of one conversation for one agent.
type OfferStatus string

const (
	OfferPending   OfferStatus = "pending"
	OfferAccepted  OfferStatus = "accepted"
	OfferDeclined  OfferStatus = "declined"
	OfferExpired   OfferStatus = "expired"
	OfferRescinded OfferStatus = "rescinded"
)

// Workspace is one brand or business served: the tenant every row belongs to.
type Workspace struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	// IdentitySecret verifies customers: user_hash = hex(HMAC-SHA256(secret, external_id)).
	// Empty means identity verification is off.
	IdentitySecret string `json:"-"`
	// OfferTimeout is how long an agent has to accept an offer.
	OfferTimeout time.Duration `json:"offer_timeout"`
	// AssistantName is shown as the author of the assistant's messages.
	AssistantName string `json:"assistant_name"`
	// TriagePolicy is the workspace's triage policy as JSON (see
	// triage.Policy); empty means the defaults.
	TriagePolicy string    `json:"triage_policy,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Customer is a person asking for help, per workspace.
type Customer struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"-"`
	ExternalID  string    `json:"external_id,omitempty"`
	Name        string    `json:"name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Locale      string    `json:"locale,omitempty"`
	Tier        string    `json:"tier"`
	Verified    bool      `json:"verified"`
	CreatedAt   time.Time `json:"created_at"`
}

// Agent is a staff member: a person who answers conversations, or an admin.
type Agent struct {
	ID           int64       `json:"id"`
	WorkspaceID  int64       `json:"-"`
	Email        string      `json:"email"`
	Name         string      `json:"name"`
	Role         Role        `json:"role"`
	Status       AgentStatus `json:"status"`
	Capacity     int         `json:"capacity"`
	PasswordHash string      `json:"-"`
	// StatusChangedAt orders idle agents: the longest idle is offered first.
	StatusChangedAt time.Time `json:"status_changed_at"`
	// LastOfferedAt spreads offers across equally loaded agents.
	LastOfferedAt *time.Time `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	// Active is the number of conversations assigned to the agent now (derived).
	Active int `json:"active_conversations"`
	// QualityScore (0…1) counts in routing; StatusReason says why the
	// system changed the status (e.g. offers missed in a row).
	QualityScore float64 `json:"quality_score"`
	StatusReason string  `json:"status_reason,omitempty"`
	// DeactivatedAt is set when an admin deactivated the person: they
	// cannot sign in and get no work; their history stays.
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
	// The routing profile, filled where staff look at agents: skills
	// with levels, languages (skills "lang:xx"), the workspaces (slugs)
	// the agent is certified for, and how they answer offers.
	Skills       []AgentSkill `json:"skills,omitempty"`
	Languages    []string     `json:"languages,omitempty"`
	CertifiedFor []string     `json:"certified_for,omitempty"`
	OfferStats   *OfferStats  `json:"offer_stats,omitempty"`
}

// AgentSkill is a skill an agent has, at a level 1 (learning) … 5 (expert).
type AgentSkill struct {
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// OfferStats counts how an agent answered the offers made to them.
type OfferStats struct {
	Received int `json:"received"`
	Accepted int `json:"accepted"`
	Declined int `json:"declined"`
	Expired  int `json:"expired"`
	// AcceptanceRate is accepted / (accepted + declined + expired); 0 before any answer.
	AcceptanceRate float64 `json:"acceptance_rate"`
	// ExpiredInRow counts the offers in a row the agent let run out.
	ExpiredInRow int `json:"expired_in_row"`
}

// Conversation is one support thread between a customer and the workspace.
type Conversation struct {
	ID            int64              `json:"id"`
	WorkspaceID   int64              `json:"-"`
	CustomerID    int64              `json:"customer_id"`
	CustomerName  string             `json:"customer_name,omitempty"`
	Status        ConversationStatus `json:"status"`
	AssigneeID    *int64             `json:"assignee_id"`
	AssigneeName  string             `json:"assignee_name,omitempty"`
	HandoffReason string             `json:"handoff_reason,omitempty"`
	// HadHuman is true once a person has owned the conversation; a reopened
	// conversation then goes back to people rather than to the assistant.
	HadHuman bool `json:"-"`
	// ClientID is the client_id of the message that opened the conversation,
	// so a retried create returns the same conversation.
	ClientID   string     `json:"-"`
	LastSeq    int64      `json:"last_seq"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	QueuedAt   *time.Time `json:"queued_at"`
	AssignedAt *time.Time `json:"assigned_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
	// Queue is set only while the conversation waits for a person.
	Queue *QueueInfo `json:"queue,omitempty"`
	// Triage is what triage last read in the customer's words; staff only.
	Triage *ConversationTriage `json:"triage,omitempty"`
	// FollowUpEmail is where the customer asked to be answered when
	// nobody could take the conversation at once.
	FollowUpEmail string `json:"follow_up_email,omitempty"`
	// FollowUpByEmail is true when this server emails the agents' replies
	// to a follow-up address (mail is configured); otherwise the address
	// is only kept for the team.
	FollowUpByEmail bool `json:"follow_up_by_email,omitempty"`
	// ResolvedBy is "assistant" while the conversation stands resolved by
	// the customer's "yes, that answered my question".
	ResolvedBy string `json:"resolved_by,omitempty"`
	// Handoff is the latest handoff packet; staff only.
	Handoff *HandoffPacket `json:"handoff,omitempty"`
	// AskFeedback says whether the widget asks "Did this answer your
	// question?" under the assistant's answers (a workspace setting).
	AskFeedback *bool `json:"ask_feedback,omitempty"`
	// CSAT is the customer's rating, once they gave one (see admin.go).
	CSAT *CSAT `json:"csat,omitempty"`
	// Tags are the staff's labels on the conversation; staff only (see workspace.go).
	Tags []string `json:"tags,omitempty"`
}

// ConversationTriage is the latest triage of a conversation's customer
// messages: what routing and the person taking over need to know.
type ConversationTriage struct {
	Language         string  `json:"language"`
	Intent           string  `json:"intent"`
	IntentConfidence float64 `json:"intent_confidence"`
	// Sentiment is −1 (very negative) … 1 (very positive).
	Sentiment  float64 `json:"sentiment"`
	Frustrated bool    `json:"frustrated"`
	// Sensitive names a sensitive matter ("fraud", "bereavement", …) or is empty.
	Sensitive string `json:"sensitive,omitempty"`
}

// QueueInfo tells a waiting customer where they stand. AgentsOnline
// counts the available agents who can take the conversation; 0 means
// nobody who can is online. ExpectedWaitSeconds is the expected wait,
// null with ExpectedWaitUnknown set when there is nothing to estimate it
// from (nobody available could take the conversation).
type QueueInfo struct {
	Position            int  `json:"position"`
	ExpectedWaitSeconds *int `json:"expected_wait_seconds"`
	ExpectedWaitUnknown bool `json:"expected_wait_unknown"`
	AgentsOnline        int  `json:"agents_online"`
}

// Equal reports whether q and o tell the same.
func (q QueueInfo) Equal(o QueueInfo) bool {
	same := (q.ExpectedWaitSeconds == nil) == (o.ExpectedWaitSeconds == nil) &&
		(q.ExpectedWaitSeconds == nil || *q.ExpectedWaitSeconds == *o.ExpectedWaitSeconds)
	return same && q.Position == o.Position && q.ExpectedWaitUnknown == o.ExpectedWaitUnknown && q.AgentsOnline == o.AgentsOnline
}

// Citation points an assistant answer at the article it came from.
type Citation struct {
	ArticleID int64  `json:"article_id"`
	Title     string `json:"title"`
	URL       string `json:"url"`
}

// Message is one entry in a conversation's transcript.
type Message struct {
	ID             int64      `json:"id"`
	WorkspaceID    int64      `json:"-"`
	ConversationID int64      `json:"conversation_id"`
	Seq            int64      `json:"seq"`
	AuthorKind     AuthorKind `json:"author_kind"`
	AuthorID       *int64     `json:"author_id"`
	AuthorName     string     `json:"author_name,omitempty"`
	Body           string     `json:"body"`
	Internal       bool       `json:"internal"`
	ClientID       string     `json:"client_id,omitempty"`
	Citation       *Citation  `json:"citation,omitempty"`
	// Choices are the answers a customer can tap, on an assistant's
	// question back; ChoiceID, on a customer's message, is the one tapped.
	Choices   []Choice  `json:"choices,omitempty"`
	ChoiceID  string    `json:"choice_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Choice is one answer a customer can tap. Its id is what a client sends
// back as choice_id: "article:<id>" for an article, or one of ChoiceOther
// and ChoicePerson.
type Choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// The choices every question back ends with.
const (
	ChoiceOther  = "something_else"
	ChoicePerson = "person"
)

// Offer reserves one conversation for one agent until a deadline.
type Offer struct {
	ID             int64         `json:"id"`
	WorkspaceID    int64         `json:"-"`
	ConversationID int64         `json:"conversation_id"`
	AgentID        int64         `json:"agent_id"`
	Status         OfferStatus   `json:"status"`
	CreatedAt      time.Time     `json:"created_at"`
	ExpiresAt      time.Time     `json:"expires_at"`
	DecidedAt      *time.Time    `json:"decided_at,omitempty"`
	Conversation   *Conversation `json:"conversation,omitempty"`
	Preview        string        `json:"preview,omitempty"`
	// Ring is the bullseye ring the agent was chosen in (0: every skill asked for).
	Ring int `json:"ring"`
}

// Article is a knowledge-base entry.
type Article struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"-"`
	Title       string `json:"title"`
	Body        string `json:"body"`
	Language    string `json:"language"`
	// Intents lists the triage intents the article answers.
	Intents   []string  `json:"intents"`
	Published bool      `json:"published"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Event types. Realtime streams, analytics and webhooks read events.
const (
	EventConversationCreated  = "conversation.created"
	EventMessageCreated       = "message.created"
	EventConversationQueued   = "conversation.queued"
	EventConversationAssigned = "conversation.assigned"
	EventConversationResolved = "conversation.resolved"
	EventConversationReopened = "conversation.reopened"
	EventOfferCreated         = "offer.created"
	EventOfferAccepted        = "offer.accepted"
	EventOfferDeclined        = "offer.declined"
	EventOfferExpired         = "offer.expired"
	EventOfferRescinded       = "offer.rescinded"
	EventAgentStatusChanged   = "agent.status_changed"
	// Routing: the required skills widened (staff only), the customer's
	// place in the queue changed, the customer left an email for a
	// follow-up, an admin changed an agent's profile or the routing settings.
	EventConversationRingWidened  = "conversation.ring_widened"
	EventConversationQueueUpdated = "conversation.queue_updated"
	EventConversationFollowUp     = "conversation.follow_up_requested"
	EventAgentUpdated             = "agent.updated"
	EventRoutingSettingsUpdated   = "settings.routing_updated"
)

// Event is an append-only record of something that happened in a workspace.
type Event struct {
	// Seq is the event's position in the event log; it strictly increases.
	Seq            int64  `json:"seq"`
	WorkspaceID    int64  `json:"-"`
	Type           string `json:"type"`
	ConversationID *int64 `json:"conversation_id,omitempty"`
	// CustomerID is set when the event may be shown to that customer.
	CustomerID *int64 `json:"-"`
	// AgentID addresses staff-only events (offers) to one agent.
	AgentID *int64 `json:"-"`
	// StaffOnly events are never sent to customers.
	StaffOnly bool `json:"-"`
	// Data is the JSON payload: the object the event is about.
	Data []byte    `json:"data"`
	At   time.Time `json:"at"`
}

// Limits on what people may send.
const (
	MaxBodyLen     = 10000
	MaxClientIDLen = 128
	MaxNameLen     = 200
)

// ErrInvalid marks a validation failure; wrap it with the detail.
var ErrInvalid = errors.New("invalid")

// ValidationError describes which field is wrong and why.
type ValidationError struct {
	Field, Problem string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Invalid returns a ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ValidateBody checks a message body: not blank, valid UTF-8, not too long.
func ValidateBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return Invalid("body", "must not be empty")
	}
	if !utf8.ValidString(body) {
		return Invalid("body", "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyLen {
		return Invalid("body", "is %d characters; the limit is %d", n, MaxBodyLen)
	}
	return nil
}

// ValidateClientID checks an idempotency key; empty is allowed.
func ValidateClientID(id string) error {
	if len(id) > MaxClientIDLen {
		return Invalid("client_id", "must be at most %d bytes", MaxClientIDLen)
	}
	if !utf8.ValidString(id) {
		return Invalid("client_id", "must be valid UTF-8")
	}
	return nil
}
