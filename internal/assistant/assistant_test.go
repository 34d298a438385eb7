package assistant_test

import (
	"testing"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
)

func TestAsksForPerson(t *testing.T) {
	yes := []string{
		"I want to talk to a human", "Can I speak with a real person please?", "human please", "AGENT", "agent!!",
		"connect me to an agent", "I need a person", "you're not a bot right? I want someone", "Talk to a person",
		"Jag vill prata med en människa", "请转人工", "担当者と話したいです", "pásame con un operador",
		"Ich möchte mit einem Menschen sprechen", "je veux parler à un humain",
	}
	no := []string{
		"send money to another person", "my travel agent charged me", "can a person under 18 open an account",
		"where is my card", "", "   ", "the agent fee is too high on my statement this month",
	}
	for _, m := range yes {
		if !assistant.AsksForPerson(m) {
			t.Errorf("AsksForPerson(%q) = false, want true", m)
		}
	}
	for _, m := range no {
		if assistant.AsksForPerson(m) {
			t.Errorf("AsksForPerson(%q) = true, want false", m)
		}
	}
}

func TestDecide(t *testing.T) {
	idx := knowledge.NewIndex([]*model.Article{
		{ID: 1, Title: "When will my card arrive?", Body: "Cards arrive within 5 working days.", Language: "en", Published: true},
		{ID: 2, Title: "How do refunds work?", Body: "Refunds reduce your plan.", Language: "en", Published: true},
	})
	url := func(a *model.Article) string { return "/help/1" }
	answered := []*model.Message{{AuthorKind: model.AuthorAssistant, Citation: &model.Citation{ArticleID: 1}}}

	tests := []struct {
		name    string
		message string
		history []*model.Message
		action  assistant.Action
		reason  string
		article int64
	}{
		{"clear match", "When will my new card arrive?", nil, assistant.Answer, "", 1},
		{"no match", "what's the weather like", nil, assistant.Handoff, assistant.ReasonNoAnswer, 0},
		{"one vague word", "card", nil, assistant.Handoff, assistant.ReasonNoAnswer, 0},
		{"asked for a person", "when will my card arrive? actually, talk to a human", nil, assistant.Handoff, assistant.ReasonAskedForPerson, 0},
		{"second question after an answer", "how do refunds work", answered, assistant.Handoff, assistant.ReasonStillStuck, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := assistant.Decide(tc.message, tc.history, idx, "en", url)
			if d.Action != tc.action || d.Reason != tc.reason {
				t.Fatalf("Decide(%q) = %s/%q, want %s/%q", tc.message, d.Action, d.Reason, tc.action, tc.reason)
			}
			if tc.article != 0 && (d.Citation == nil || d.Citation.ArticleID != tc.article || d.Body == "") {
				t.Fatalf("Decide(%q) citation = %+v, want article %d", tc.message, d.Citation, tc.article)
			}
		})
	}
}
