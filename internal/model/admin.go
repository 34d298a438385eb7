package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Events of the admin console's domain: a customer's rating, and an admin's
// change to the workspace's settings (staff only; never carries a secret).
const (
	EventCSATSubmitted            = "csat.submitted"
	EventWorkspaceSettingsUpdated = "settings.workspace_updated"
	EventAssistantPolicyUpdated   = "settings.assistant_updated"
	EventIdentitySecretRotated    = "settings.identity_secret_rotated"
)

// Limits of the admin console's inputs.
const (
	MinCSATScore      = 1
	MaxCSATScore      = 5
	MaxCSATCommentLen = 1000
	MaxWidgetOrigins  = 50
)

// CSAT is a customer's rating of a resolved conversation: a score from 1
// (very dissatisfied) to 5 (very satisfied) and an optional comment. A
// conversation has at most one; rating again replaces it (UpdatedAt moves).
type CSAT struct {
	ConversationID int64  `json:"conversation_id"`
	WorkspaceID    int64  `json:"-"`
	CustomerID     int64  `json:"-"`
	Score          int    `json:"score"`
	Comment        string `json:"comment"`
	// AgentID is the person who had handled the conversation when it was
	// rated; nil when the assistant handled it alone.
	AgentID   *int64    `json:"agent_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ValidateCSAT checks a score and trims and checks a comment.
func ValidateCSAT(score int, comment string) (string, error) {
	if score < MinCSATScore || score > MaxCSATScore {
		return "", Invalid("score", "must be a whole number from %d to %d", MinCSATScore, MaxCSATScore)
	}
	comment = strings.TrimSpace(comment)
	if !utf8.ValidString(comment) {
		return "", Invalid("comment", "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(comment); n > MaxCSATCommentLen {
		return "", Invalid("comment", "is %d characters; the limit is %d", n, MaxCSATCommentLen)
	}
	return comment, nil
}
