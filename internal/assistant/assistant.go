// Package assistant decides what the AI says to a customer. This first
// brain is deliberately modest and honest: it answers only when the
// knowledge base has an article that clearly matches the question, and hands
// the conversation to a person otherwise. A request for a person always wins.
//
// The triage engine (intent, calibrated confidence, language, mood) will
// replace Decide's reasoning; the Decision it returns is the seam.
package assistant

import (
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
)

// Action is what the assistant does with a customer message.
type Action string

const (
	// Answer replies from a knowledge-base article.
	Answer Action = "answer"
	// Handoff queues the conversation for a person.
	Handoff Action = "handoff"
)

// Handoff reasons, shown to agents and recorded on the conversation.
const (
	ReasonAskedForPerson = "customer asked for a person"
	ReasonNoAnswer       = "the assistant found no confident answer"
	ReasonStillStuck     = "the customer still needed help after an answer"
)

// Decision is the assistant's verdict on one customer message.
type Decision struct {
	Action Action
	// Body is the reply to send (Answer) or the notice to the customer (Handoff).
	Body     string
	Citation *model.Citation
	Reason   string
}

// Thresholds for a "clear" knowledge-base match.
const (
	minCoverage = 0.6 // share of the question's meaning the article covers
	minMatched  = 2   // distinct content words in common
	minLead     = 1.2 // top score over the runner-up's
)

// Decide chooses the assistant's response to the customer's latest message.
// history is the conversation so far (oldest first) including that message;
// articleURL builds the link cited with an answer.
func Decide(message string, history []*model.Message, idx *knowledge.Index, language string, articleURL func(*model.Article) string) Decision {
	if AsksForPerson(message) {
		return Decision{Action: Handoff, Reason: ReasonAskedForPerson, Body: "Of course — I'm connecting you with a person now."}
	}
	// A second question after an answer means the answer did not settle it:
	// one more guess would make the customer go round in circles.
	if answeredBefore(history) {
		return Decision{Action: Handoff, Reason: ReasonStillStuck, Body: "Let me bring in a person who can look into this with you."}
	}
	if idx != nil {
		hits := idx.Search(message, language, 2)
		if len(hits) == 0 && language != "" && language != "en" {
			hits = idx.Search(message, "", 2)
		}
		if len(hits) > 0 && clear(hits) {
			a := hits[0].Article
			return Decision{
				Action:   Answer,
				Body:     a.Body,
				Citation: &model.Citation{ArticleID: a.ID, Title: a.Title, URL: articleURL(a)},
			}
		}
	}
	return Decision{Action: Handoff, Reason: ReasonNoAnswer, Body: "I'm not sure I can answer that well, so I'm connecting you with a person."}
}

func clear(hits []knowledge.Hit) bool {
	top := hits[0]
	if top.Coverage < minCoverage || top.Matched < minMatched {
		return false
	}
	return len(hits) == 1 || top.Score >= minLead*hits[1].Score
}

func answeredBefore(history []*model.Message) bool {
	for _, m := range history {
		if m.AuthorKind == model.AuthorAssistant && m.Citation != nil {
			return true
		}
	}
	return false
}
