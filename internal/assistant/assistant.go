// Package assistant decides what the AI says to a customer. The triage
// engine reads the message (intent, confidence, language, mood, a request
// for a person, a sensitive matter) and makes the call — answer, clarify or
// hand off; the assistant turns that call into words: the workspace's
// article for the intent, in the customer's language when it has one, a
// clarifying question, or a hand-over notice with its reason.
//
// It never invents an answer: what it says comes from an article, or it
// says it will bring in a person.
package assistant

import (
	"fmt"
	"strings"

	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// Action is what the assistant does with a customer message.
type Action string

const (
	// Answer replies from a knowledge-base article.
	Answer Action = "answer"
	// Clarify asks the customer what they mean.
	Clarify Action = "clarify"
	// Handoff queues the conversation for a person.
	Handoff Action = "handoff"
)

// Reasons the assistant adds to triage's when it hands over.
const (
	ReasonNoArticle    = "no_article"
	ReasonRepeated     = "repeated_question"
	ReasonStillUnclear = "still_unclear"
)

// Decision is the assistant's response to one customer message.
type Decision struct {
	Action Action
	// Body is the reply (Answer, Clarify) or the notice to the customer (Handoff).
	Body     string
	Citation *model.Citation
	// Reasons are machine-readable (triage's reasons, then the assistant's).
	Reasons []string
}

// Reason is the reasons as one string, for the conversation's hand-off reason.
func (d Decision) Reason() string { return strings.Join(d.Reasons, ",") }

// Turn is everything the assistant weighs for one customer message.
type Turn struct {
	Message string
	Triage  triage.Result
	// History is the conversation so far, oldest first, including Message.
	History []*model.Message
	// Articles are the workspace's published articles; Index searches them.
	Articles []*model.Article
	Index    *knowledge.Index
	// Locale is the customer's locale, a fallback for the reply language.
	Locale string
	// ArticleURL builds the link cited with an answer.
	ArticleURL func(*model.Article) string
}

// Respond turns triage's decision into the assistant's reply.
func Respond(t Turn) Decision {
	tr := t.Triage
	switch tr.Decision {
	case triage.Handoff:
		return handoff(tr.Reasons)
	case triage.Clarify:
		if clarifiedBefore(t.History) {
			return handoff(append(tr.Reasons, ReasonStillUnclear))
		}
		return clarify(t)
	}
	a := articleFor(t.Articles, tr.Intent, languages(tr.Language, t.Locale))
	if a == nil {
		// No article names the intent: a clear full-text match may still answer.
		a = searchClear(t.Index, t.Message, tr.Language)
	}
	if a == nil {
		return handoff(append(tr.Reasons, ReasonNoArticle))
	}
	if citedBefore(t.History, a.ID) {
		// The same answer again would send the customer round in circles.
		return handoff(append(tr.Reasons, ReasonRepeated))
	}
	return Decision{
		Action:   Answer,
		Body:     a.Body,
		Citation: &model.Citation{ArticleID: a.ID, Title: a.Title, URL: t.ArticleURL(a)},
		Reasons:  tr.Reasons,
	}
}

func handoff(reasons []string) Decision {
	return Decision{Action: Handoff, Reasons: reasons, Body: handoffNotice(reasons)}
}

// handoffNotice tells the customer, honestly and briefly, why a person is coming.
func handoffNotice(reasons []string) string {
	has := func(prefix string) bool {
		for _, r := range reasons {
			if strings.HasPrefix(r, prefix) {
				return true
			}
		}
		return false
	}
	switch {
	case has(triage.ReasonHumanRequest):
		return "Of course — I'm connecting you with a person now."
	case has(triage.ReasonSensitive):
		return "This is something a person should help you with. I'm connecting you with one of our team now."
	case has(triage.ReasonAnger), has(triage.ReasonFrustration):
		return "I'm sorry this has been frustrating. I'm bringing in a person who can sort it out with you."
	case has(ReasonRepeated), has(ReasonStillUnclear):
		return "It looks like I haven't been able to help with this, so I'm bringing in a person."
	default:
		return "I'm not sure I can answer that well, so I'm connecting you with a person."
	}
}

func clarify(t Turn) Decision {
	tr := t.Triage
	d := Decision{Action: Clarify, Reasons: tr.Reasons}
	if tr.OutOfScope {
		d.Body = "I can help with questions about your account, cards, payments and refunds. Could you tell me a bit more about what you need? You can also ask for a person at any time."
		return d
	}
	var options []string
	for _, alt := range tr.Alternatives {
		if len(options) == 2 {
			break
		}
		label := humanize(alt.Intent)
		if a := articleFor(t.Articles, alt.Intent, languages(tr.Language, t.Locale)); a != nil {
			label = fmt.Sprintf("“%s”", a.Title)
		}
		options = append(options, label)
	}
	switch len(options) {
	case 0:
		d.Body = "Could you tell me a bit more about what you need?"
	case 1:
		d.Body = fmt.Sprintf("Just to be sure I understand: is your question about %s?", options[0])
	default:
		d.Body = fmt.Sprintf("Just to be sure I understand: is your question about %s, or %s?", options[0], options[1])
	}
	return d
}

// humanize turns an intent name such as "card_arrival" into words.
func humanize(intent string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(intent, "?"), "_", " "))
}

// languages is the order in which to look for an article: the message's
// language, the customer's locale, then English.
func languages(detected, locale string) []string {
	out := []string{}
	for _, l := range []string{detected, baseLanguage(locale), "en"} {
		if l != "" && !contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func articleFor(articles []*model.Article, intent string, langs []string) *model.Article {
	if intent == "" {
		return nil
	}
	for _, lang := range langs {
		for _, a := range articles {
			if a.Language == lang && contains(a.Intents, intent) {
				return a
			}
		}
	}
	return nil
}

// Thresholds for a "clear" full-text match, used when no article names the intent.
const (
	minCoverage = 0.6 // share of the question's meaning the article covers
	minMatched  = 2   // distinct content words in common
	minLead     = 1.2 // top score over the runner-up's
)

func searchClear(idx *knowledge.Index, message, language string) *model.Article {
	if idx == nil {
		return nil
	}
	hits := idx.Search(message, language, 2)
	if len(hits) == 0 && language != "en" {
		hits = idx.Search(message, "", 2)
	}
	if len(hits) == 0 {
		return nil
	}
	top := hits[0]
	if top.Coverage < minCoverage || top.Matched < minMatched {
		return nil
	}
	if len(hits) > 1 && top.Score < minLead*hits[1].Score {
		return nil
	}
	return top.Article
}

func citedBefore(history []*model.Message, articleID int64) bool {
	for _, m := range history {
		if m.AuthorKind == model.AuthorAssistant && m.Citation != nil && m.Citation.ArticleID == articleID {
			return true
		}
	}
	return false
}

// clarifiedBefore reports whether the assistant's last word was a question
// back (an assistant message with no citation): a second unclear turn goes
// to a person rather than round the same loop.
func clarifiedBefore(history []*model.Message) bool {
	for i := len(history) - 1; i >= 0; i-- {
		switch history[i].AuthorKind {
		case model.AuthorAssistant:
			return history[i].Citation == nil
		case model.AuthorAgent, model.AuthorSystem:
			return false
		}
	}
	return false
}

func baseLanguage(locale string) string {
	locale = strings.ToLower(locale)
	if i := strings.IndexAny(locale, "-_"); i > 0 {
		locale = locale[:i]
	}
	return locale
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
