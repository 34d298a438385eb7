package assistant_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

var articles = []*model.Article{
	{ID: 1, Title: "When will my card arrive?", Body: "Cards arrive within 5 working days.", Language: "en", Intents: []string{"card_arrival"}, Published: true},
	{ID: 2, Title: "När kommer mitt kort?", Body: "Kortet kommer inom 5 arbetsdagar.", Language: "sv", Intents: []string{"card_arrival"}, Published: true},
	{ID: 3, Title: "How do refunds work?", Body: "Refunds reduce your plan.", Language: "en", Intents: []string{"request_refund", "Refund_not_showing_up"}, Published: true},
	{ID: 4, Title: "Hur fungerar återbetalningar?", Body: "En återbetalning dras av från din plan.", Language: "sv", Intents: []string{"request_refund", "Refund_not_showing_up"}, Published: true},
	{ID: 5, Title: "How do I pay an instalment early?", Body: "Open the purchase and choose Pay now.", Language: "en", Published: true},
}

var (
	orderStatus = &model.Action{ID: 1, Name: "order_status", Enabled: true, Examples: []string{"where is my order", "var är min beställning"}}
	refund      = &model.Action{ID: 2, Name: "refund_status", Enabled: true, Intents: []string{"Refund_not_showing_up"}, Examples: []string{"where is my refund"}}
	disabled    = &model.Action{ID: 3, Name: "payment_schedule", Enabled: false, Examples: []string{"when is my next payment"}}
	verified    = &model.Customer{ID: 1, ExternalID: "cus_1", Verified: true, Name: "Alice Andersson"}
	anonymous   = &model.Customer{ID: 2}
)

type turnOpt func(*assistant.Turn)

func withTurns(kinds ...model.AssistantTurn) turnOpt {
	return func(t *assistant.Turn) { t.Turns = kinds }
}
func withHistory(msgs ...*model.Message) turnOpt {
	return func(t *assistant.Turn) { t.History = append(msgs, t.History...) }
}
func as(c *model.Customer) turnOpt { return func(t *assistant.Turn) { t.Customer = c } }
func offerAfter(n int) turnOpt {
	return func(t *assistant.Turn) { t.Settings.OfferPersonAfter = n }
}

func turn(message string, tr triage.Result, opts ...turnOpt) assistant.Turn {
	t := assistant.Turn{
		Message: message, Triage: tr, History: []*model.Message{{AuthorKind: model.AuthorCustomer, Body: message}},
		Articles: articles, Index: knowledge.NewIndex(articles), Customer: anonymous,
		Actions:    []*model.Action{orderStatus, refund, disabled},
		ArticleURL: func(a *model.Article) string { return "/help/x/articles/1" },
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

func answer(intent, lang string) triage.Result {
	return triage.Result{Decision: triage.Answer, Intent: intent, Confidence: 0.97, Language: lang, Reasons: []string{triage.ReasonConfident}}
}

func unsure(lang string) triage.Result {
	return triage.Result{Decision: triage.Clarify, OutOfScope: true, Intent: "top_up_limits", Confidence: 0.01, Language: lang, Reasons: []string{triage.ReasonOutOfScope}}
}

var (
	answered  = model.AssistantTurn{Kind: model.TurnAnswer, ArticleID: 1, Intent: "card_arrival"}
	clarified = model.AssistantTurn{Kind: model.TurnClarify}
	signedIn  = model.AssistantTurn{Kind: model.TurnSignIn}
	called    = model.AssistantTurn{Kind: model.TurnAction, Action: "order_status"}
)

func TestRespond(t *testing.T) {
	tests := []struct {
		name    string
		turn    assistant.Turn
		action  assistant.Action
		kind    string
		article int64
		reason  string
		body    string // a part of the reply
		offer   bool
	}{
		{name: "answers from the intent's article", turn: turn("where is my card", answer("card_arrival", "en")),
			action: assistant.Answer, kind: model.TurnAnswer, article: 1, body: "5 working days"},
		{name: "in the customer's language", turn: turn("var är mitt kort", answer("card_arrival", "sv")),
			action: assistant.Answer, kind: model.TurnAnswer, article: 2, body: "arbetsdagar"},
		{name: "no article in the language: says so, answers in English, offers a person", turn: turn("wo ist meine Karte", answer("card_arrival", "de")),
			action: assistant.Answer, kind: model.TurnNoTranslation, article: 1, body: "noch nicht auf Deutsch", offer: true},
		{name: "no article for the intent", turn: turn("change my pin", answer("change_pin", "en")),
			action: assistant.Handoff, kind: model.TurnHandoff, reason: assistant.ReasonNoArticle},
		{name: "the same answer twice hands over", turn: turn("where is my card", answer("card_arrival", "en"), withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonRepeated},
		{name: "the same answer in another language is the same answer", turn: turn("var är mitt kort", answer("card_arrival", "sv"), withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonRepeated},
		{name: "triage says hand off, in the customer's language", turn: turn("quiero hablar con una persona", triage.Result{Decision: triage.Handoff, Language: "es", Reasons: []string{triage.ReasonHumanRequest}}),
			action: assistant.Handoff, reason: triage.ReasonHumanRequest, body: "Por supuesto"},
		{name: "a second unclear turn hands over", turn: turn("hmm", triage.Result{Decision: triage.Clarify, Language: "en", Reasons: []string{triage.ReasonAmbiguous}}, withTurns(clarified)),
			action: assistant.Handoff, reason: assistant.ReasonStillUnclear},
		{name: "a first unclear turn asks back", turn: turn("card", triage.Result{Decision: triage.Clarify, Language: "en", Reasons: []string{triage.ReasonAmbiguous},
			Alternatives: []triage.IntentScore{{Intent: "card_arrival", Confidence: 0.5}, {Intent: "change_pin", Confidence: 0.3}}}),
			action: assistant.Clarify, kind: model.TurnClarify, body: "When will my card arrive?"},
		{name: "that didn't help", turn: turn("That didn't help at all", unsure("en"), withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonNotHelpful},
		{name: "das hat nicht geholfen", turn: turn("Das hat nicht geholfen", unsure("de"), withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonNotHelpful, body: "Person"},
		{name: "a bare no after an answer", turn: turn("no", unsure("en"), withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonNotHelpful},
		{name: "not helpful also when triage hands over for anger", turn: turn("that didn't help, this is useless!!", triage.Result{Decision: triage.Handoff, Language: "en", Reasons: []string{triage.ReasonAnger}}, withTurns(answered)),
			action: assistant.Handoff, reason: assistant.ReasonNotHelpful},
		{name: "the same question after an answer", turn: turn("When will my new card arrive?", unsure("en"),
			withHistory(&model.Message{AuthorKind: model.AuthorCustomer, Body: "when will my new card arrive"}, &model.Message{AuthorKind: model.AuthorAssistant, Body: "Cards arrive within 5 working days.", Citation: &model.Citation{ArticleID: 9, Title: "Cards"}})),
			action: assistant.Handoff, reason: assistant.ReasonRepeated},
		{name: "the same question after a question back is a rephrasing", turn: turn("When will my new card arrive?", unsure("en"),
			withHistory(&model.Message{AuthorKind: model.AuthorCustomer, Body: "when will my new card arrive"}, &model.Message{AuthorKind: model.AuthorAssistant, Body: "Could you tell me more?", Choices: []model.Choice{{ID: model.ChoicePerson, Label: "Talk to a person"}}})),
			action: assistant.Clarify, kind: model.TurnClarify},
		{name: "in English, a word match does not overrule the intent model", turn: turn("When will my card arrive?", unsure("en")),
			action: assistant.Clarify, kind: model.TurnClarify},
		{name: "yes thanks after an answer resolves", turn: turn("Yes, thanks!", unsure("en"), withTurns(answered)),
			action: assistant.Resolve, reason: assistant.ReasonHelpful, body: "Glad"},
		{name: "tack, det hjälpte", turn: turn("Tack, det hjälpte!", unsure("sv"), withTurns(answered)),
			action: assistant.Resolve, body: "Vad bra"},
		{name: "thanks before any answer is not a resolution", turn: turn("thanks", unsure("en")),
			action: assistant.Clarify},
		{name: "offers a person after N turns", turn: turn("where is my card", answer("card_arrival", "en"), withTurns(clarified, signedIn), offerAfter(3)),
			action: assistant.Answer, article: 1, offer: true, body: "Talk to a person"},
		{name: "no offer before N turns", turn: turn("where is my card", answer("card_arrival", "en"), withTurns(clarified), offerAfter(3)),
			action: assistant.Answer, article: 1},
		{name: "no offer when switched off", turn: turn("where is my card", answer("card_arrival", "en"), withTurns(clarified, signedIn, clarified), offerAfter(-1)),
			action: assistant.Answer, article: 1},
		{name: "a clear match in Swedish answers what the intent model cannot read", turn: turn("Hur fungerar en återbetalning?", unsure("sv")),
			action: assistant.Answer, kind: model.TurnAnswer, article: 4, reason: assistant.ReasonSearchMatch},
		{name: "a clear match in English when triage is unsure", turn: turn("How do I pay an instalment early?", unsure("en")),
			action: assistant.Answer, article: 5, reason: assistant.ReasonSearchMatch},
		{name: "a Swedish low-confidence hand-over may still be answered by search", turn: turn("Hur fungerar återbetalningar?", triage.Result{Decision: triage.Handoff, Language: "sv", Reasons: []string{triage.ReasonLowConfidence}}),
			action: assistant.Answer, article: 4},
		{name: "an English low-confidence hand-over stays one", turn: turn("How do refunds work for me?", triage.Result{Decision: triage.Handoff, Language: "en", Reasons: []string{triage.ReasonLowConfidence}}),
			action: assistant.Handoff, reason: triage.ReasonLowConfidence},
		{name: "a verified customer's order: call the action", turn: turn("Where is my order?", unsure("en"), as(verified)),
			action: assistant.Call, kind: model.TurnAction},
		{name: "in Swedish too", turn: turn("Var är min beställning?", unsure("sv"), as(verified)),
			action: assistant.Call, kind: model.TurnAction},
		{name: "an intent triggers an action", turn: turn("my refund is not showing", answer("Refund_not_showing_up", "en"), as(verified)),
			action: assistant.Call, kind: model.TurnAction},
		{name: "the same lookup twice hands over", turn: turn("Where is my order?", unsure("en"), as(verified), withTurns(called)),
			action: assistant.Handoff, reason: assistant.ReasonRepeated},
		{name: "anonymous: asked to sign in", turn: turn("Where is my order?", unsure("en")),
			action: assistant.Clarify, kind: model.TurnSignIn, body: "sign in", reason: assistant.ReasonNotVerified},
		{name: "anonymous again: handed over", turn: turn("I need my order details now", unsure("en"), withTurns(signedIn)),
			action: assistant.Handoff, reason: assistant.ReasonNotVerified},
		{name: "anonymous asking twice about the order: handed over", turn: turn("track my order", unsure("en"), withTurns(signedIn)),
			action: assistant.Handoff, reason: assistant.ReasonNotVerified},
		{name: "anonymous about a refund: the article, with the sign-in hint", turn: turn("my refund is not showing", answer("Refund_not_showing_up", "en")),
			action: assistant.Answer, kind: model.TurnSignIn, article: 3, body: "sign in"},
		{name: "a disabled action never runs", turn: turn("when is my next payment", unsure("en"), as(verified)),
			action: assistant.Clarify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := assistant.Respond(tc.turn)
			if d.Action != tc.action {
				t.Fatalf("action = %s (%v, %q), want %s", d.Action, d.Reasons, d.Body, tc.action)
			}
			if tc.kind != "" && d.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", d.Kind, tc.kind)
			}
			if tc.article != 0 && (d.Citation == nil || d.Citation.ArticleID != tc.article || d.Article == nil || d.Article.ID != tc.article) {
				t.Fatalf("citation = %+v, want article %d", d.Citation, tc.article)
			}
			if tc.reason != "" && !strings.Contains(d.Reason(), tc.reason) {
				t.Errorf("reasons = %v, want %s", d.Reasons, tc.reason)
			}
			if tc.body != "" && !strings.Contains(d.Body, tc.body) {
				t.Errorf("body %q lacks %q", d.Body, tc.body)
			}
			if d.OfferPerson != tc.offer {
				t.Errorf("offer person = %v, want %v (body %q)", d.OfferPerson, tc.offer, d.Body)
			}
			if d.Action == assistant.Call {
				if d.Call == nil || d.Body != "" {
					t.Fatalf("call decision without an action or with a body: %+v", d)
				}
				return
			}
			if d.Body == "" {
				t.Fatal("empty body")
			}
		})
	}
}

func TestAfterCall(t *testing.T) {
	tr := turn("Where is my order?", unsure("en"), as(verified))
	d := assistant.Respond(tr)
	if d.Action != assistant.Call || d.Call.Name != "order_status" {
		t.Fatalf("decision %+v", d)
	}
	ok := assistant.AfterCall(tr, d, assistant.CallResult{Message: "ORD-2041 is on its way."})
	if ok.Action != assistant.Answer || ok.Body != "ORD-2041 is on its way." || ok.Source != ok.Body || ok.Citation == nil || ok.Kind != model.TurnAction || !ok.AskFeedback {
		t.Errorf("after a good call: %+v", ok)
	}
	rendered := assistant.AfterCall(tr, d, assistant.CallResult{Data: map[string]any{"orders": []any{map[string]any{"id": "ORD-1", "status": "shipped"}}}})
	if !strings.Contains(rendered.Body, "id ORD-1") || !strings.Contains(rendered.Body, "status shipped") {
		t.Errorf("a result without a message is rendered: %q", rendered.Body)
	}
	for _, err := range []error{errors.New("timeout"), errors.New("500")} {
		failed := assistant.AfterCall(tr, d, assistant.CallResult{Err: err})
		if failed.Action != assistant.Handoff || !strings.Contains(failed.Reason(), assistant.ReasonActionFailed) || !strings.Contains(failed.Body, "person") {
			t.Errorf("after a failed call: %+v", failed)
		}
	}
	empty := assistant.AfterCall(tr, d, assistant.CallResult{Data: map[string]any{}})
	if empty.Action != assistant.Handoff {
		t.Errorf("an empty answer is not an answer: %+v", empty)
	}
}

func TestMatchActionNeverUsesDisabledOrAmbiguous(t *testing.T) {
	a := &model.Action{Name: "a", Enabled: true, Examples: []string{"where is my parcel"}}
	b := &model.Action{Name: "b", Enabled: true, Examples: []string{"where is my parcel"}}
	if got := assistant.MatchAction([]*model.Action{a, b}, unsure("en"), "where is my parcel"); got != nil {
		t.Errorf("two equally good actions: matched %s", got.Name)
	}
	if got := assistant.MatchAction([]*model.Action{a}, unsure("en"), "Where is my parcel?"); got != a {
		t.Errorf("one action: matched %v", got)
	}
	if got := assistant.MatchAction([]*model.Action{a}, unsure("en"), "Where is my card, and can I change my PIN and my address?"); got != nil {
		t.Errorf("a message the example explains too little of matched %s", got.Name)
	}
}

func TestFeedbackWords(t *testing.T) {
	notHelpful := []string{"That didn't help", "this did not help me", "Not helpful.", "no", "Nope", "det hjälpte inte", "Nej",
		"Das hat nicht geholfen", "hilft mir nicht", "no me ayudó", "No sirve de nada", "that's not what I asked"}
	for _, m := range notHelpful {
		if !assistant.NotHelpful(m, true) {
			t.Errorf("NotHelpful(%q) = false", m)
		}
		if assistant.NotHelpful(m, false) {
			t.Errorf("NotHelpful(%q) without an answer before it = true", m)
		}
	}
	for _, m := range []string{"my card didn't arrive", "How do I pay early?", "no money left on my card, what now?", "I have no idea where my refund is"} {
		if assistant.NotHelpful(m, true) {
			t.Errorf("NotHelpful(%q) = true", m)
		}
	}
	helpful := []string{"yes", "Yes, thanks!", "thank you so much", "that helped", "perfect 👍", "ja tack", "Tack så mycket!", "Danke, das hat geholfen", "¡Sí, gracias!", "muchas gracias"}
	for _, m := range helpful {
		if !assistant.Helpful(m) {
			t.Errorf("Helpful(%q) = false", m)
		}
	}
	for _, m := range []string{"thanks, but where is my refund?", "yes I want a person", "ok", "no thanks", "yes please cancel my card"} {
		if assistant.Helpful(m) {
			t.Errorf("Helpful(%q) = true", m)
		}
	}
}

func TestBuildPacket(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	history := []*model.Message{
		{ID: 1, AuthorKind: model.AuthorCustomer, Body: "Hi. My card has not arrived and I ordered it two weeks ago. Where is it?"},
		{ID: 2, AuthorKind: model.AuthorAssistant, Body: "Cards arrive within 5 working days. If not, order a new one.", Citation: &model.Citation{ArticleID: 1, Title: "When will my card arrive?"}},
		{ID: 3, AuthorKind: model.AuthorCustomer, Body: "That didn't help. I want to talk to a person."},
	}
	readings := []triage.Result{{Sentiment: 0}, {Sentiment: -0.6, Frustrated: true, MoodSignals: []string{"negative_words"}}}
	turns := []model.AssistantTurn{{Kind: model.TurnAnswer, MessageID: 2, ArticleID: 1, Intent: "card_arrival"}, {Kind: model.TurnHandoff}}
	p := assistant.BuildPacket(assistant.PacketInput{
		Reason: "human_request,not_helpful", History: history, Readings: readings, Turns: turns, Articles: articles,
		Triage:   &model.ConversationTriage{Language: "sv", Intent: "card_arrival", IntentConfidence: 0.9},
		Customer: &model.Customer{ID: 7, Name: "Alice Andersson", Tier: "vip", Verified: true, Locale: "sv-SE"}, Conversations90d: 3,
		Orders: []map[string]any{{"id": "ORD-2041"}}, OrdersSource: "order_status", Now: now,
	})
	if p.Reason != "human_request,not_helpful" || len(p.Reasons) != 2 || p.Intent != "card_arrival" || p.Language != "sv" || !p.CreatedAt.Equal(now) {
		t.Errorf("packet head: %+v", p)
	}
	if p.Mood.Label != "frustrated" || p.Mood.Trend != "worsening" || p.Mood.Latest != -0.6 {
		t.Errorf("mood: %+v", p.Mood)
	}
	if len(p.CustomerWants) == 0 || !strings.Contains(strings.Join(p.CustomerWants, " "), "My card has not arrived") {
		t.Errorf("customer wants: %q", p.CustomerWants)
	}
	for _, s := range p.CustomerWants {
		if s == "I want to talk to a person." || s == "Hi." {
			t.Errorf("the summary keeps a sentence that says nothing about the problem: %q", s)
		}
	}
	if len(p.AssistantSaid) != 1 || p.AssistantSaid[0].Article != "When will my card arrive?" || !strings.HasPrefix(p.AssistantSaid[0].Text, "Cards arrive") {
		t.Errorf("assistant said: %+v", p.AssistantSaid)
	}
	c := p.Customer
	if c.Tier != "vip" || !c.Verified || c.Conversations90d != 3 || len(c.Orders) != 1 || c.OrdersSource != "order_status" {
		t.Errorf("profile: %+v", c)
	}
	for _, want := range []string{"Alice Andersson", "VIP", "card arrival", "Swedish", "“When will my card arrive?”", "asked for a person", "did not help"} {
		if !strings.Contains(p.Summary, want) {
			t.Errorf("summary %q lacks %q", p.Summary, want)
		}
	}
	// The draft is Swedish, greets Alice by name, and does not repeat the
	// answer the assistant already gave (it names the topic instead).
	if !strings.HasPrefix(p.DraftReply, "Hej Alice!") || !strings.Contains(p.DraftReply, "När kommer mitt kort?") {
		t.Errorf("draft: %q", p.DraftReply)
	}
}
