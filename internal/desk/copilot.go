package desk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/llm"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// Copilot is what an agent sees beside a conversation: the handoff packet,
// the customer's other conversations, and suggested replies — editable
// drafts, never sent by themselves.
type Copilot struct {
	ConversationID int64 `json:"conversation_id"`
	// Language is the customer's; drafts are in it when an article is.
	Language string `json:"language"`
	// Handoff is the latest handoff packet, or one built now (and not
	// stored) for a conversation that was never handed over.
	Handoff *model.HandoffPacket `json:"handoff"`
	// History is the customer's other conversations, newest first.
	History []CopilotHistory `json:"history"`
	// LatestCustomerMessage is what the suggestions answer.
	LatestCustomerMessage string       `json:"latest_customer_message"`
	Suggestions           []Suggestion `json:"suggestions"`
}

// CopilotHistory is one earlier conversation of the customer.
type CopilotHistory struct {
	ID            int64                    `json:"id"`
	Status        model.ConversationStatus `json:"status"`
	Intent        string                   `json:"intent,omitempty"`
	HandoffReason string                   `json:"handoff_reason,omitempty"`
	AssigneeName  string                   `json:"assignee_name,omitempty"`
	CreatedAt     time.Time                `json:"created_at"`
	ResolvedAt    *time.Time               `json:"resolved_at"`
}

// Suggestion is a suggested reply drawn from one article.
type Suggestion struct {
	ArticleID int64   `json:"article_id"`
	Title     string  `json:"title"`
	URL       string  `json:"url"`
	Language  string  `json:"language"`
	Score     float64 `json:"score"`
	// Draft is the reply to edit: greeting, the article's answer, a closing question.
	Draft string `json:"draft"`
	// Phrased: an LLM phrased the draft from the article (grounded).
	Phrased bool `json:"phrased,omitempty"`
	// Translated: the article is in the customer's language.
	Translated bool `json:"in_customer_language"`
}

// maxSuggestions bounds the drafts offered.
const maxSuggestions = 3

// minSuggestionCoverage is the share of what the customer asked that an
// article must cover to be suggested from a word search.
const minSuggestionCoverage = 0.5

// Copilot returns the copilot panel of a conversation; staff only.
func (d *Desk) Copilot(ctx context.Context, a Actor, id int64) (*Copilot, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	ws, err := d.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	cust, err := d.store.CustomerByID(ctx, a.WorkspaceID, conv.CustomerID)
	if err != nil {
		return nil, err
	}
	packet, err := d.store.LatestHandoffPacket(ctx, a.WorkspaceID, id)
	if err != nil {
		if packet, err = d.packet(ctx, conv, conv.HandoffReason, false); err != nil {
			return nil, err
		}
	}
	out := &Copilot{ConversationID: id, Language: packet.Language, Handoff: packet, History: []CopilotHistory{}, Suggestions: []Suggestion{}}
	if conv.Triage != nil && conv.Triage.Language != "" {
		out.Language = conv.Triage.Language
	}
	others, err := d.store.Conversations(ctx, a.WorkspaceID, store.ConversationFilter{CustomerID: conv.CustomerID, Limit: 11})
	if err != nil {
		return nil, err
	}
	for _, c := range others {
		if c.ID == id || len(out.History) == 10 {
			continue
		}
		h := CopilotHistory{ID: c.ID, Status: c.Status, HandoffReason: c.HandoffReason, AssigneeName: c.AssigneeName, CreatedAt: c.CreatedAt, ResolvedAt: c.ResolvedAt}
		if c.Triage != nil {
			h.Intent = c.Triage.Intent
		}
		out.History = append(out.History, h)
	}
	last, err := d.store.LastCustomerMessage(ctx, a.WorkspaceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil // no customer message yet: nothing to suggest
	}
	if err != nil {
		return nil, err
	}
	out.LatestCustomerMessage = last.Body
	kb, err := d.knowledge(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	// The article for the detected intent first, then the best matches.
	var picks []*model.Article
	var scores []float64
	seen := map[string]bool{}
	add := func(art *model.Article, score float64) {
		key := art.Language + "/" + art.Title
		if len(art.Intents) > 0 {
			key = art.Intents[0]
		}
		if seen[key] || len(picks) == maxSuggestions {
			return
		}
		seen[key] = true
		picks = append(picks, art)
		scores = append(scores, score)
	}
	// What the customer wants in their own words — a bare "I want a
	// person" says nothing of the matter, and suggests nothing: neither the
	// intent model's guess at it nor a word search.
	query := strings.Join(packet.CustomerWants, " ")
	if tr := conv.Triage; query != "" && tr != nil && tr.Intent != "" && tr.IntentConfidence >= assistant.DraftIntentConfidence {
		for _, l := range []string{out.Language, "en"} {
			if art := articleWithIntent(kb.articles, tr.Intent, l); art != nil {
				add(art, 0)
				break
			}
		}
	}
	if query != "" {
		hits := kb.index.Search(query, out.Language, maxSuggestions+2)
		if len(hits) == 0 {
			hits = kb.index.Search(query, "", maxSuggestions+2)
		}
		for _, h := range hits {
			// Only articles that cover much of what was asked: an article
			// sharing one word with it is not a suggestion, it is noise.
			if h.Coverage >= minSuggestionCoverage && h.Matched >= 2 {
				add(h.Article, h.Score)
			}
		}
	}
	for i, art := range picks {
		shown := art
		if tr := assistant.Translation(kb.articles, art, out.Language); tr != nil {
			shown = tr
		}
		s := Suggestion{
			ArticleID: shown.ID, Title: shown.Title, URL: articleURL(ws, shown), Language: shown.Language, Score: round3(scores[i]),
			Draft: assistant.Draft(cust.Name, shown), Translated: shown.Language == out.Language,
		}
		if i == 0 && d.assist.llm != nil {
			if p, err := d.assist.llm.Phrase(ctx, llm.PhraseRequest{Question: last.Body, Sources: []string{shown.Body}, Language: shown.Language, Audience: "agent"}); err == nil {
				s.Draft, s.Phrased = p, true
			} else {
				d.log.Warn("llm draft not used", "why", llmFailure(err))
			}
		}
		out.Suggestions = append(out.Suggestions, s)
	}
	return out, nil
}

func articleWithIntent(articles []*model.Article, intent, lang string) *model.Article {
	for _, art := range articles {
		if art.Language == lang && slices.Contains(art.Intents, intent) {
			return art
		}
	}
	return nil
}
