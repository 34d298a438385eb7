package assistant_test

import (
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

var articles = []*model.Article{
	{ID: 1, Title: "When will my card arrive?", Body: "Cards arrive within 5 working days.", Language: "en", Intents: []string{"card_arrival"}, Published: true},
	{ID: 2, Title: "När kommer mitt kort?", Body: "Kortet kommer inom 5 arbetsdagar.", Language: "sv", Intents: []string{"card_arrival"}, Published: true},
	{ID: 3, Title: "How do refunds work?", Body: "Refunds reduce your plan.", Language: "en", Intents: []string{"request_refund"}, Published: true},
}

func turn(message string, tr triage.Result, history ...*model.Message) assistant.Turn {
	return assistant.Turn{
		Message: message, Triage: tr, History: history, Articles: articles, Index: knowledge.NewIndex(articles),
		ArticleURL: func(a *model.Article) string { return "/help/x/articles/1" },
	}
}

func TestRespond(t *testing.T) {
	answer := func(intent, lang string) triage.Result {
		return triage.Result{Decision: triage.Answer, Intent: intent, Confidence: 0.97, Language: lang, Reasons: []string{triage.ReasonConfident}}
	}
	cited := &model.Message{AuthorKind: model.AuthorAssistant, Citation: &model.Citation{ArticleID: 1}}
	question := &model.Message{AuthorKind: model.AuthorAssistant, Body: "Is it about x or y?"}
	tests := []struct {
		name    string
		turn    assistant.Turn
		action  assistant.Action
		article int64
		reason  string
	}{
		{"answers from the intent's article", turn("where is my card", answer("card_arrival", "en")), assistant.Answer, 1, ""},
		{"in the customer's language", turn("var är mitt kort", answer("card_arrival", "sv")), assistant.Answer, 2, ""},
		{"falls back to English", turn("wo ist meine Karte", answer("card_arrival", "de")), assistant.Answer, 1, ""},
		{"no article for the intent", turn("change my pin", answer("change_pin", "en")), assistant.Handoff, 0, assistant.ReasonNoArticle},
		{"the same answer twice hands over", turn("where is my card", answer("card_arrival", "en"), cited), assistant.Handoff, 0, assistant.ReasonRepeated},
		{"triage says hand off", turn("human please", triage.Result{Decision: triage.Handoff, Reasons: []string{triage.ReasonHumanRequest}}), assistant.Handoff, 0, triage.ReasonHumanRequest},
		{"a second unclear turn hands over", turn("hmm", triage.Result{Decision: triage.Clarify, Reasons: []string{triage.ReasonAmbiguous}}, question), assistant.Handoff, 0, assistant.ReasonStillUnclear},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := assistant.Respond(tc.turn)
			if d.Action != tc.action {
				t.Fatalf("action = %s (%v), want %s", d.Action, d.Reasons, tc.action)
			}
			if tc.article != 0 && (d.Citation == nil || d.Citation.ArticleID != tc.article) {
				t.Fatalf("citation = %+v, want article %d", d.Citation, tc.article)
			}
			if tc.reason != "" && !strings.Contains(d.Reason(), tc.reason) {
				t.Fatalf("reasons = %v, want %s", d.Reasons, tc.reason)
			}
			if d.Body == "" {
				t.Fatal("empty body")
			}
		})
	}
}

func TestClarifyOffersTheTopIntents(t *testing.T) {
	tr := triage.Result{Decision: triage.Clarify, Reasons: []string{triage.ReasonAmbiguous}, Language: "en",
		Alternatives: []triage.IntentScore{{Intent: "card_arrival", Confidence: 0.5}, {Intent: "change_pin", Confidence: 0.3}}}
	d := assistant.Respond(turn("card", tr))
	if d.Action != assistant.Clarify || !strings.Contains(d.Body, "When will my card arrive?") || !strings.Contains(d.Body, "change pin") {
		t.Fatalf("clarify = %s %q", d.Action, d.Body)
	}
	oos := assistant.Respond(turn("write me a poem", triage.Result{Decision: triage.Clarify, OutOfScope: true, Reasons: []string{triage.ReasonOutOfScope}}))
	if oos.Action != assistant.Clarify || !strings.Contains(oos.Body, "person") {
		t.Fatalf("out of scope = %s %q", oos.Action, oos.Body)
	}
}
