package model

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Events of the agent workspace: staff changed a conversation's tags
// (staff only; data is the Conversation with its tags); a conversation was
// transferred off its owner.
const (
	EventConversationTagged = "conversation.tagged"
	// EventConversationTransferred tells the person a conversation was
	// taken from (staff only, addressed to them) that it left them; data
	// is the Conversation, queued again.
	EventConversationTransferred = "conversation.transferred"
)

// Limits of the agent workspace's inputs.
const (
	MaxTags              = 20
	MaxTagLen            = 50
	MaxCannedShortcutLen = 40
	MaxCannedTitleLen    = 120
	MaxCannedBodyLen     = 5000
	MaxCannedReplies     = 500
)

// CannedReply is a saved answer the workspace's staff insert into a reply:
// typing "/" and its shortcut in the console's composer finds it.
type CannedReply struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"-"`
	Shortcut    string    `json:"shortcut"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	CreatedBy   *int64    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

var shortcutRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// NormalizeCannedReply trims and checks a canned reply: the shortcut is
// lower-cased, 1–40 of a-z, 0-9, "-" and "_"; the title (one line, at most
// 120 characters) defaults to the shortcut; the body is 1–5000 characters.
func NormalizeCannedReply(c CannedReply) (CannedReply, error) {
	c.Shortcut = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Shortcut), "/")))
	c.Title = strings.TrimSpace(c.Title)
	c.Body = strings.TrimSpace(c.Body)
	switch {
	case c.Shortcut == "":
		return c, Invalid("shortcut", "is required")
	case len(c.Shortcut) > MaxCannedShortcutLen || !shortcutRE.MatchString(c.Shortcut):
		return c, Invalid("shortcut", "must be 1–%d lower-case letters, digits, - or _, starting with a letter or digit", MaxCannedShortcutLen)
	}
	if c.Title == "" {
		c.Title = c.Shortcut
	}
	if !utf8.ValidString(c.Title) || strings.ContainsAny(c.Title, "\r\n") || utf8.RuneCountInString(c.Title) > MaxCannedTitleLen {
		return c, Invalid("title", "must be one line of at most %d characters", MaxCannedTitleLen)
	}
	if c.Body == "" {
		return c, Invalid("body", "is required")
	}
	if !utf8.ValidString(c.Body) {
		return c, Invalid("body", "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(c.Body); n > MaxCannedBodyLen {
		return c, Invalid("body", "is %d characters; the limit is %d", n, MaxCannedBodyLen)
	}
	return c, nil
}

// NormalizeTags trims, lower-cases and deduplicates a conversation's tags,
// sorted. A tag is one line of 1–50 characters without control characters;
// runs of spaces become one. At most 20 tags.
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if !utf8.ValidString(t) {
			return nil, Invalid("tags", "must be valid UTF-8")
		}
		if strings.ContainsFunc(t, unicode.IsControl) {
			return nil, Invalid("tags", "must not contain line breaks or control characters")
		}
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTagLen {
			return nil, Invalid("tags", "a tag is at most %d characters", MaxTagLen)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, Invalid("tags", "at most %d tags per conversation", MaxTags)
	}
	return out, nil
}
