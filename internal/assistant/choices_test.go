package assistant_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

func TestRankArticlesAddsTheIntentsOfOneArticle(t *testing.T) {
	arts := []*model.Article{
		{ID: 1, Title: "When will my card arrive?", Language: "en", Intents: []string{"card_arrival", "card_delivery_estimate"}, Published: true},
		{ID: 2, Title: "När kommer mitt kort?", Language: "sv", Intents: []string{"card_arrival", "card_delivery_estimate"}, Published: true},
		{ID: 3, Title: "My card isn't working", Language: "en", Intents: []string{"card_not_working"}, Published: true},
	}
	alts := []triage.IntentScore{{Intent: "card_arrival", Confidence: 0.6}, {Intent: "card_not_working", Confidence: 0.3}, {Intent: "card_delivery_estimate", Confidence: 0.08}}
	got := assistant.RankArticles(arts, alts, []string{"en"})
	if len(got) != 2 || got[0].Article.ID != 1 || got[0].Mass < 0.679 || got[0].Mass > 0.681 || got[1].Article.ID != 3 {
		t.Fatalf("ranked %+v, want article 1 with 0.68, then 3", got)
	}
	// In Swedish, the Swedish translation stands for the answer, once.
	if got := assistant.RankArticles(arts, alts, []string{"sv", "en"}); got[0].Article.ID != 2 || len(got) != 2 {
		t.Fatalf("Swedish: %+v", got)
	}
	group := assistant.ArticleGroup(arts)
	if group("card_delivery_estimate") != group("card_arrival") || group("card_arrival") == group("card_not_working") || group("other") != "" {
		t.Errorf("groups: %q %q %q", group("card_arrival"), group("card_delivery_estimate"), group("card_not_working"))
	}
}

// ambiguous is triage unsure between a card's arrival and a card not working.
func ambiguous(lang string, arrival float64) triage.Result {
	return triage.Result{Decision: triage.Clarify, Language: lang, Intent: "card_arrival", Confidence: arrival, AnswerThreshold: 0.9, ClarifyThreshold: 0.35,
		Reasons:      []string{triage.ReasonAmbiguous},
		Alternatives: []triage.IntentScore{{Intent: "card_arrival", Confidence: arrival}, {Intent: "request_refund", Confidence: 0.85 - arrival}}}
}

func TestQuestionBackOffersDistinctArticles(t *testing.T) {
	d := assistant.Respond(turn("card money", ambiguous("en", 0.5)))
	if d.Action != assistant.Clarify || len(d.Choices) != 4 {
		t.Fatalf("%s %+v", d.Action, d.Choices)
	}
	var ids []string
	for _, c := range d.Choices {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"article:1", "article:3", model.ChoiceOther, model.ChoicePerson}) || !strings.Contains(d.Body, "“When will my card arrive?”, or “How do refunds work?”") {
		t.Errorf("choices %q, body %q", ids, d.Body)
	}
	// Two intents of one article: answered, not asked back.
	tr := ambiguous("en", 0.5)
	tr.Alternatives = []triage.IntentScore{{Intent: "request_refund", Confidence: 0.6}, {Intent: "Refund_not_showing_up", Confidence: 0.35}}
	if d := assistant.Respond(turn("money back please", tr)); d.Action != assistant.Answer || d.Article.ID != 3 || d.Confidence < 0.94 {
		t.Errorf("one article holding the mass: %s %v %v %q", d.Action, d.Confidence, d.Reasons, d.Body)
	}
}

// asked is a conversation whose last word is the assistant's question back
// with the given article choices.
func asked(lang string, articleIDs ...int64) turnOpt {
	var cs []model.Choice
	for _, id := range articleIDs {
		cs = append(cs, model.Choice{ID: assistant.ArticleChoice(id), Label: articles[id-1].Title})
	}
	cs = append(cs, model.Choice{ID: model.ChoiceOther, Label: "Something else"}, model.Choice{ID: model.ChoicePerson, Label: "Talk to a person"})
	return func(t *assistant.Turn) {
		t.History = append([]*model.Message{{ID: 1, AuthorKind: model.AuthorCustomer, Body: "card"}, {ID: 2, AuthorKind: model.AuthorAssistant, Body: "Is it about …?", Choices: cs}}, t.History...)
		t.Turns = append(t.Turns, model.AssistantTurn{Kind: model.TurnClarify, MessageID: 2})
	}
}

func TestRepliesToAQuestionBack(t *testing.T) {
	choose := func(id string) turnOpt { return func(t *assistant.Turn) { t.ChoiceID = id } }
	tests := []struct {
		name    string
		turn    assistant.Turn
		action  assistant.Action
		article int64
		reason  string
	}{
		{"a tapped article is answered", turn("How do refunds work?", unsure("en"), asked("en", 1, 3), choose("article:3")), assistant.Answer, 3, assistant.ReasonChosen},
		{"yes to one option", turn("yes", unsure("en"), asked("en", 1)), assistant.Answer, 1, assistant.ReasonChosen},
		{"ja, in Swedish: the Swedish article", turn("ja", unsure("sv"), asked("sv", 1)), assistant.Answer, 2, assistant.ReasonChosen},
		{"sí", turn("sí", unsure("es"), asked("es", 3)), assistant.Answer, 3, assistant.ReasonChosen},
		{"oui", turn("Oui", unsure("fr"), asked("fr", 1)), assistant.Answer, 1, assistant.ReasonChosen},
		{"tak", turn("tak", unsure("pl"), asked("pl", 1)), assistant.Answer, 1, assistant.ReasonChosen},
		{"kyllä", turn("kyllä kiitos", unsure("fi"), asked("fi", 1)), assistant.Answer, 1, assistant.ReasonChosen},
		{"yes please, exactly", turn("Yes please!", unsure("en"), asked("en", 1)), assistant.Answer, 1, assistant.ReasonChosen},
		{"a label typed out", turn("how do refunds work", unsure("en"), asked("en", 1, 3)), assistant.Answer, 3, assistant.ReasonChosen},
		{"yes to two options asks which", turn("yes", unsure("en"), asked("en", 1, 3)), assistant.Clarify, 0, assistant.ReasonAskWhich},
		{"no asks for other words", turn("no", unsure("en"), asked("en", 1)), assistant.Clarify, 0, assistant.ReasonAskRephrase},
		{"something else asks for other words", turn("Something else", unsure("en"), asked("en", 1, 3), choose(model.ChoiceOther)), assistant.Clarify, 0, assistant.ReasonAskRephrase},
		{"a person, tapped", turn("Talk to a person", unsure("en"), asked("en", 1, 3), choose(model.ChoicePerson)), assistant.Handoff, 0, triage.ReasonHumanRequest},
		{"a request for a person still goes first", turn("I want a person", triage.Result{Decision: triage.Handoff, Language: "en", Reasons: []string{triage.ReasonHumanRequest}}, asked("en", 1)),
			assistant.Handoff, 0, triage.ReasonHumanRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := assistant.Respond(tc.turn)
			if d.Action != tc.action || !slices.Contains(d.Reasons, tc.reason) {
				t.Fatalf("%s %v (%q), want %s %s", d.Action, d.Reasons, d.Body, tc.action, tc.reason)
			}
			if tc.article != 0 && (d.Article == nil || d.Article.ID != tc.article) {
				t.Errorf("article %+v, want %d", d.Article, tc.article)
			}
			if d.Action == assistant.Handoff && strings.Contains(d.Body, "frustrat") {
				t.Errorf("a calm reply handed over as upset: %q", d.Body)
			}
		})
	}
}

func TestSomethingElseThenStillUnclearHandsOverTruthfully(t *testing.T) {
	tt := turn("hmm it's hard to say", unsure("en"), asked("en", 1, 3))
	tt.History = append(tt.History[:2], &model.Message{ID: 3, AuthorKind: model.AuthorCustomer, Body: "Something else", ChoiceID: model.ChoiceOther},
		&model.Message{ID: 4, AuthorKind: model.AuthorAssistant, Body: "Could you tell me your question in other words?", Choices: []model.Choice{{ID: model.ChoicePerson, Label: "Talk to a person"}}},
		&model.Message{ID: 5, AuthorKind: model.AuthorCustomer, Body: "hmm it's hard to say"})
	tt.Turns = append(tt.Turns, model.AssistantTurn{Kind: model.TurnClarify, MessageID: 4, Reasons: []string{assistant.ReasonAskRephrase}})
	d := assistant.Respond(tt)
	if d.Action != assistant.Handoff || !slices.Contains(d.Reasons, assistant.ReasonNoneFit) {
		t.Fatalf("%s %v", d.Action, d.Reasons)
	}
	// The packet says what happened.
	p := assistant.BuildPacket(assistant.PacketInput{Reason: d.Reason(), History: tt.History, Turns: tt.Turns, Articles: articles})
	for _, want := range []string{"asked back with the choices “When will my card arrive?”, “How do refunds work?”", "the customer chose “Something else”", "none of the offered answers fitted"} {
		if !strings.Contains(p.Summary, want) {
			t.Errorf("summary %q lacks %q", p.Summary, want)
		}
	}
}

func TestAffirmativeAndNegative(t *testing.T) {
	for _, s := range []string{"yes", "Yes!", "yeah", "ja", "Ja, precis", "jo", "sí", "si", "Oui", "tak", "kyllä", "joo", "sim", "correct", "exactly", "yes please", "👍"} {
		if !assistant.Affirmative(s) {
			t.Errorf("Affirmative(%q) = false", s)
		}
	}
	for _, s := range []string{"yes my card was stolen", "I want to talk to a person", "no", "my card", "", "yes yes yes yes yes yes"} {
		if assistant.Affirmative(s) {
			t.Errorf("Affirmative(%q) = true", s)
		}
	}
	for _, s := range []string{"no", "nope", "nej", "nein", "non", "nie", "ei", "no thanks"} {
		if !assistant.Negative(s) {
			t.Errorf("Negative(%q) = false", s)
		}
	}
}

func TestRepeatBaseCountsOnlyWhatAnAnswerFollowed(t *testing.T) {
	h := []*model.Message{
		{ID: 1, AuthorKind: model.AuthorCustomer, Body: "q1"},
		{ID: 2, AuthorKind: model.AuthorAssistant, Body: "Is it about …?", Choices: []model.Choice{{ID: "article:1", Label: "x"}}},
		{ID: 3, AuthorKind: model.AuthorCustomer, Body: "q1 again, in other words"},
		{ID: 4, AuthorKind: model.AuthorAssistant, Body: "The answer.", Citation: &model.Citation{ArticleID: 1}},
		{ID: 5, AuthorKind: model.AuthorCustomer, Body: "q2"},
		{ID: 6, AuthorKind: model.AuthorCustomer, Body: "q3"},
	}
	if got := assistant.RepeatBase(h, nil, 6); !slices.Equal(got, []string{"q1", "q1 again, in other words"}) {
		t.Errorf("RepeatBase = %q", got)
	}
	if got := assistant.RepeatBase(h, nil, 3); len(got) != 0 {
		t.Errorf("before any answer: %q", got)
	}
}

func TestConversationWordsInTwelveLanguages(t *testing.T) {
	for lang, want := range map[string]string{"en": "Of course", "sv": "Självklart", "de": "Natürlich", "es": "Por supuesto", "fr": "Bien sûr",
		"nl": "Natuurlijk", "it": "Certo", "pl": "Oczywiście", "fi": "Totta kai", "no": "Selvsagt", "nb": "Selvsagt", "da": "Selvfølgelig", "pt": "Claro"} {
		if !assistant.Phrased(lang) {
			t.Errorf("%s: no words of its own", lang)
		}
		if n := assistant.HandoffNotice(lang, []string{triage.ReasonHumanRequest}); !strings.HasPrefix(n, want) {
			t.Errorf("%s: hand-over %q", lang, n)
		}
		if s := assistant.QueueStatus(lang, false, 0, true); s == assistant.QueueStatus("en", false, 0, true) && lang != "en" {
			t.Errorf("%s: queue status in English: %q", lang, s)
		}
		d := assistant.Respond(turn("card money", ambiguous(lang, 0.5), func(t *assistant.Turn) { t.Triage.Language = lang }))
		if d.Action == assistant.Clarify && len(d.Choices) > 0 && d.Choices[len(d.Choices)-1].Label == "Talk to a person" && lang != "en" {
			t.Errorf("%s: choices in English: %+v", lang, d.Choices)
		}
	}
	if s := assistant.QueueStatus("en", true, 300, false); s != "Someone from our team is online and will reply here — expected wait about 5 min." {
		t.Errorf("online with a wait: %q", s)
	}
	if s := assistant.QueueStatus("en", false, 0, true); !strings.HasPrefix(s, "Nobody from our team is online right now") || !strings.Contains(s, "email") {
		t.Errorf("nobody online, mail on: %q", s)
	}
}
