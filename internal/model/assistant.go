package model

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ResolvedByAssistant marks a conversation the customer said the assistant
// resolved: it counts toward containment.
const ResolvedByAssistant = "assistant"

// EventAssistantFeedback records a customer's answer to "did this answer
// your question?" (staff only).
const EventAssistantFeedback = "assistant.feedback"

// Limits on articles and actions.
const (
	MaxTitleLen       = 200
	MaxArticleBodyLen = 20000
	MaxIntents        = 20
	MaxActionParams   = 10
	MaxExamples       = 30
)

// AssistantSettings are a workspace's rules for the assistant beyond triage.
type AssistantSettings struct {
	// OfferPersonAfter: after this many assistant turns in a conversation
	// without resolution, the assistant offers a person proactively.
	// Default 3; negative turns the offer off.
	OfferPersonAfter int `json:"offer_person_after"`
	// AskFeedback adds "Did this answer your question?" to answers (the
	// widget shows it as two buttons). Default true.
	AskFeedback *bool `json:"ask_feedback,omitempty"`
}

// DefaultOfferPersonAfter is the default of AssistantSettings.OfferPersonAfter.
const DefaultOfferPersonAfter = 3

// WithDefaults fills unset settings.
func (s AssistantSettings) WithDefaults() AssistantSettings {
	if s.OfferPersonAfter == 0 {
		s.OfferPersonAfter = DefaultOfferPersonAfter
	}
	if s.AskFeedback == nil {
		yes := true
		s.AskFeedback = &yes
	}
	return s
}

// Validate reports the first setting out of range.
func (s AssistantSettings) Validate() error {
	if s.OfferPersonAfter > 50 {
		return Invalid("offer_person_after", "must be at most 50")
	}
	return nil
}

// ActionParam is one typed parameter of an action. Values come only from
// the customer's own message and must match Pattern; the customer's
// identity is never a parameter: it is sent from the verified session.
type ActionParam struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // "string" or "integer"
	Description string `json:"description,omitempty"`
	// Pattern is a regular expression a value must match in full; a value
	// is looked for in the customer's message only when it is set.
	Pattern  string `json:"pattern,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// Action is a typed call the assistant may make to the business's API on
// behalf of an identity-verified customer, about that customer only.
type Action struct {
	ID          int64         `json:"id"`
	WorkspaceID int64         `json:"-"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Parameters  []ActionParam `json:"parameters"`
	// Endpoint is the business's URL; a path ("/demo-backend/…") is this
	// server's own.
	Endpoint string `json:"endpoint"`
	// Secret signs requests: HMAC-SHA256 over "timestamp.body". Write-only.
	Secret string `json:"-"`
	// Intents are the triage intents that trigger the action; Examples are
	// phrasings that trigger it when the intent model is unsure.
	Intents  []string `json:"intents"`
	Examples []string `json:"examples"`
	// UseInHandoff: called at handover for the customer's profile (e.g.
	// recent orders).
	UseInHandoff bool      `json:"use_in_handoff"`
	Enabled      bool      `json:"enabled"`
	HasSecret    bool      `json:"has_secret"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

var (
	actionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	paramName  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// reservedParams are filled by Tandem from the verified session, never by a parameter.
var reservedParams = map[string]bool{"customer_id": true, "external_id": true, "customer": true, "workspace": true, "language": true}

// Validate checks an action's fields; secret checks are the caller's
// (an update may keep the stored secret).
func (a *Action) Validate() error {
	if !actionName.MatchString(a.Name) {
		return Invalid("name", "must be lower-case letters, digits and _, starting with a letter (at most 64)")
	}
	if utf8.RuneCountInString(a.Description) > 1000 {
		return Invalid("description", "must be at most 1000 characters")
	}
	if a.Endpoint == "" {
		return Invalid("endpoint", "is required")
	}
	if strings.HasPrefix(a.Endpoint, "/") {
		if strings.HasPrefix(a.Endpoint, "//") {
			return Invalid("endpoint", "must be an http(s) URL or a path on this server")
		}
	} else {
		u, err := url.Parse(a.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return Invalid("endpoint", "must be an http(s) URL or a path on this server")
		}
	}
	if len(a.Endpoint) > 2000 {
		return Invalid("endpoint", "must be at most 2000 bytes")
	}
	if len(a.Parameters) > MaxActionParams {
		return Invalid("parameters", "at most %d", MaxActionParams)
	}
	seen := map[string]bool{}
	for i, p := range a.Parameters {
		if !paramName.MatchString(p.Name) {
			return Invalid("parameters", "parameter %d: name must be lower-case letters, digits and _", i)
		}
		if reservedParams[p.Name] {
			return Invalid("parameters", "%s is filled from the verified customer's session and cannot be a parameter", p.Name)
		}
		if seen[p.Name] {
			return Invalid("parameters", "parameter %s appears twice", p.Name)
		}
		seen[p.Name] = true
		if p.Type != "string" && p.Type != "integer" {
			return Invalid("parameters", "parameter %s: type must be string or integer", p.Name)
		}
		if p.Pattern != "" {
			if len(p.Pattern) > 200 {
				return Invalid("parameters", "parameter %s: pattern is too long", p.Name)
			}
			if _, err := regexp.Compile(p.Pattern); err != nil {
				return Invalid("parameters", "parameter %s: pattern: %v", p.Name, err)
			}
		}
		if p.Required && p.Pattern == "" {
			return Invalid("parameters", "parameter %s: a required parameter needs a pattern to find it in the message", p.Name)
		}
	}
	if len(a.Intents) > MaxIntents {
		return Invalid("intents", "at most %d", MaxIntents)
	}
	if len(a.Examples) > MaxExamples {
		return Invalid("examples", "at most %d", MaxExamples)
	}
	for _, e := range a.Examples {
		if strings.Contains(e, "\n") || utf8.RuneCountInString(e) > 300 || strings.TrimSpace(e) == "" {
			return Invalid("examples", "each example is one non-empty line of at most 300 characters")
		}
	}
	return nil
}

// Mood is how the customer sounded over a conversation.
type Mood struct {
	// Label: "calm", "negative", "frustrated" or "angry".
	Label string `json:"label"`
	// Sentiment is the mean over the customer's messages; Latest the last one's.
	Sentiment float64 `json:"sentiment"`
	Latest    float64 `json:"latest"`
	// Trend: "improving", "steady" or "worsening".
	Trend   string   `json:"trend"`
	Signals []string `json:"signals"`
}

// CustomerProfile is what the person taking over should know of the customer.
type CustomerProfile struct {
	ID         int64  `json:"id"`
	Name       string `json:"name,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Locale     string `json:"locale,omitempty"`
	Tier       string `json:"tier"`
	Verified   bool   `json:"verified"`
	// Conversations90d counts the customer's conversations in the last 90 days, this one included.
	Conversations90d int `json:"conversations_90d"`
	// Orders are the customer's recent orders from the business's API
	// (actions used at handover); empty when unverified or unavailable.
	Orders []map[string]any `json:"orders,omitempty"`
	// OrdersSource names the action they came from.
	OrdersSource string `json:"orders_source,omitempty"`
}

// AssistantStep is one thing the assistant already said or did.
type AssistantStep struct {
	// Kind is the assistant's turn (answer, action, clarify, sign_in,
	// no_translation), or "choice": the customer tapped or named one of
	// the choices of a question back.
	Kind    string `json:"kind"`
	Intent  string `json:"intent,omitempty"`
	Article string `json:"article,omitempty"`
	Action  string `json:"action,omitempty"`
	// Options are the articles a question back offered.
	Options []string `json:"options,omitempty"`
	Text    string   `json:"text"`
}

// StepChoice is the kind of step in which the customer chose from a
// question back.
const StepChoice = "choice"

// HandoffPacket is built at every handover so the person who takes over
// never makes the customer repeat themselves. Staff only.
type HandoffPacket struct {
	Reason     string   `json:"reason"`
	Reasons    []string `json:"reasons"`
	Intent     string   `json:"intent,omitempty"`
	Confidence float64  `json:"intent_confidence"`
	Language   string   `json:"language"`
	Sensitive  string   `json:"sensitive,omitempty"`
	Mood       Mood     `json:"mood"`
	// Summary: what the customer wants (their own key sentences) and what
	// the assistant already said.
	CustomerWants []string        `json:"customer_wants"`
	AssistantSaid []AssistantStep `json:"assistant_said"`
	Summary       string          `json:"summary"`
	Customer      CustomerProfile `json:"customer"`
	// DraftReply is a suggested first reply in the customer's language, for
	// the agent to edit; it is never sent without them.
	DraftReply string    `json:"draft_reply"`
	CreatedAt  time.Time `json:"created_at"`
}

// ValidateArticle checks an article's fields.
func ValidateArticle(a *Article) error {
	a.Title = strings.TrimSpace(a.Title)
	a.Language = strings.ToLower(strings.TrimSpace(a.Language))
	switch {
	case a.Title == "":
		return Invalid("title", "is required")
	case utf8.RuneCountInString(a.Title) > MaxTitleLen:
		return Invalid("title", "must be at most %d characters", MaxTitleLen)
	case strings.ContainsAny(a.Title, "\n\r"):
		return Invalid("title", "must be one line")
	case strings.TrimSpace(a.Body) == "":
		return Invalid("body", "is required")
	case !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title):
		return Invalid("body", "must be valid UTF-8")
	case utf8.RuneCountInString(a.Body) > MaxArticleBodyLen:
		return Invalid("body", "must be at most %d characters", MaxArticleBodyLen)
	case !languageTag.MatchString(a.Language):
		return Invalid("language", "must be a language code such as en, sv, de or es")
	case len(a.Intents) > MaxIntents:
		return Invalid("intents", "at most %d", MaxIntents)
	}
	for _, in := range a.Intents {
		if in == "" || len(in) > 100 || strings.ContainsAny(in, ", \n") {
			return Invalid("intents", "each intent is a name without spaces or commas")
		}
	}
	return nil
}

var languageTag = regexp.MustCompile(`^[a-z]{2,3}$`)

// Kinds of assistant turns.
const (
	TurnAnswer        = "answer"         // an article's answer
	TurnAction        = "action"         // an answer from the business's API
	TurnClarify       = "clarify"        // a question back
	TurnSignIn        = "sign_in"        // asked an unverified customer to sign in
	TurnNoTranslation = "no_translation" // no article in the customer's language
	TurnHandoff       = "handoff"        // handed over to a person
)

// AssistantTurn records one assistant reply: what kind it was and what it
// drew on. The assistant reads them back to keep context across turns.
type AssistantTurn struct {
	ID             int64     `json:"id"`
	WorkspaceID    int64     `json:"-"`
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id,omitempty"`
	Kind           string    `json:"kind"`
	Intent         string    `json:"intent,omitempty"`
	Language       string    `json:"language,omitempty"`
	Confidence     float64   `json:"confidence"`
	ArticleID      int64     `json:"article_id,omitempty"`
	Action         string    `json:"action,omitempty"`
	Reasons        []string  `json:"reasons,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}
