package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/model"
)

// ---- The knowledge base -----------------------------------------------------

type articleJSON struct {
	ID        int64    `json:"id"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Language  string   `json:"language"`
	Intents   []string `json:"intents"`
	Published bool     `json:"published"`
	Score     float64  `json:"score"`
}

// TestKnowledgeBaseAPI: staff read, admins write, input is validated, a
// search ranks, and the assistant answers from the articles as they are
// now — the desk's cached index follows every change.
func TestKnowledgeBaseAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")

	var list struct {
		Articles []articleJSON `json:"articles"`
	}
	e.call(t, "GET", "/api/v1/articles", ana, nil, http.StatusOK, &list)
	if len(list.Articles) < 80 {
		t.Fatalf("%d demo articles, want the whole help centre", len(list.Articles))
	}
	e.fails(t, "GET", "/api/v1/articles", cust, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/articles", "", nil, http.StatusUnauthorized, "unauthorized")
	e.call(t, "GET", "/api/v1/articles?language=sv", ana, nil, http.StatusOK, &list)
	for _, a := range list.Articles {
		if a.Language != "sv" {
			t.Errorf("?language=sv listed a %s article", a.Language)
		}
	}
	for _, q := range []struct{ query, lang, want string }{
		{"someone stole my card", "en", "My card is lost or stolen"},
		{"återbetalningen syns inte", "sv", "Hur fungerar återbetalningar?"},
		{"Rückerstattung", "de", "Wie funktionieren Rückerstattungen?"},
	} {
		e.call(t, "GET", "/api/v1/articles?q="+urlQuery(q.query)+"&language="+q.lang, ana, nil, http.StatusOK, &list)
		if len(list.Articles) == 0 || list.Articles[0].Title != q.want || list.Articles[0].Score <= 0 {
			t.Errorf("search %q: %+v, want %q first", q.query, first(list.Articles), q.want)
		}
	}

	// Only admins write; input is checked.
	good := map[string]any{"title": "Quand arrivera ma carte Acme Pay ?", "language": "fr", "intents": []string{"card_arrival"},
		"body": "Votre carte Acme Pay arrive en 5 à 7 jours ouvrés."}
	e.fails(t, "POST", "/api/v1/articles", ana, good, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/articles", cust, good, http.StatusForbidden, "forbidden")
	for name, bad := range map[string]map[string]any{
		"no title":       {"title": " ", "body": "b"},
		"no body":        {"title": "t", "body": ""},
		"bad language":   {"title": "t", "body": "b", "language": "english"},
		"unknown intent": {"title": "t", "body": "b", "intents": []string{"no_such_intent"}},
		"two lines":      {"title": "a\nb", "body": "b"},
	} {
		status, raw := e.do(t, "POST", "/api/v1/articles", admin, bad)
		checkError(t, name, status, raw, http.StatusBadRequest, "bad_request")
	}
	e.fails(t, "POST", "/api/v1/articles", admin, map[string]any{"title": "t", "body": "b", "extra": 1}, http.StatusBadRequest, "invalid_json")
	e.fails(t, "POST", "/api/v1/articles", admin, map[string]any{"title": "How do refunds work?", "body": "dup", "language": "en"}, http.StatusConflict, "conflict")

	// Before the French article exists, a French question is not answered from it.
	const question = "Quand arrivera ma carte Acme Pay ?"
	fr := e.customerIn(t, "fr-FR")
	before := e.start(t, fr, "fr-0", question)
	if r := e.lastReply(t, fr, before.ID); r.Citation != nil && strings.Contains(r.Body, "Votre carte") {
		t.Fatalf("answered from an article that does not exist yet: %+v", r)
	}

	var created articleJSON
	e.call(t, "POST", "/api/v1/articles", admin, good, http.StatusCreated, &created)
	if created.ID == 0 || created.Language != "fr" || !created.Published {
		t.Fatalf("created %+v (published by default)", created)
	}
	conv := e.start(t, fr, "fr-1", question)
	r := e.lastReply(t, fr, conv.ID)
	if r.Citation == nil || r.Citation.ArticleID != created.ID || !strings.Contains(r.Body, "5 à 7 jours") {
		t.Fatalf("the new article does not answer at once: %+v", r)
	}

	// An edit is answered from at once, too.
	good["body"] = "Votre carte Acme Pay arrive en 3 à 5 jours ouvrés."
	var updated articleJSON
	e.call(t, "PUT", fmt.Sprintf("/api/v1/articles/%d", created.ID), admin, good, http.StatusOK, &updated)
	if updated.Body != good["body"] {
		t.Errorf("updated %+v", updated)
	}
	conv = e.start(t, fr, "fr-2", question)
	if r := e.lastReply(t, fr, conv.ID); !strings.Contains(r.Body, "3 à 5 jours") {
		t.Errorf("answer after the edit: %q", r.Body)
	}
	// Unpublished: no longer an answer; the help page is gone too.
	good["published"] = false
	e.call(t, "PUT", fmt.Sprintf("/api/v1/articles/%d", created.ID), admin, good, http.StatusOK, &updated)
	conv = e.start(t, fr, "fr-3", question)
	if r := e.lastReply(t, fr, conv.ID); r.Citation != nil && r.Citation.ArticleID == created.ID {
		t.Errorf("answered from a draft: %+v", r)
	}
	if res, err := e.srv.Client().Get(e.srv.URL + fmt.Sprintf("/help/acme/articles/%d", created.ID)); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("the draft's help page: %v %v", res.StatusCode, err)
	}
	var got articleJSON
	e.call(t, "GET", fmt.Sprintf("/api/v1/articles/%d", created.ID), ana, nil, http.StatusOK, &got)
	if got.Published || got.Title != good["title"] {
		t.Errorf("staff read the draft: %+v", got)
	}
	e.fails(t, "DELETE", fmt.Sprintf("/api/v1/articles/%d", created.ID), ana, nil, http.StatusForbidden, "forbidden")
	if status, _ := e.do(t, "DELETE", fmt.Sprintf("/api/v1/articles/%d", created.ID), admin, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	e.fails(t, "GET", fmt.Sprintf("/api/v1/articles/%d", created.ID), ana, nil, http.StatusNotFound, "not_found")
	e.fails(t, "DELETE", fmt.Sprintf("/api/v1/articles/%d", created.ID), admin, nil, http.StatusNotFound, "not_found")

	// Another workspace cannot see or touch acme's articles.
	e.addWorkspace("other", 30*time.Second, "olga@other.test")
	olga, _ := e.login(t, "olga@other.test", "pw")
	e.call(t, "GET", "/api/v1/articles", olga, nil, http.StatusOK, &list)
	if len(list.Articles) != 0 {
		t.Errorf("another workspace sees %d articles", len(list.Articles))
	}
	e.fails(t, "GET", fmt.Sprintf("/api/v1/articles/%d", e.firstArticleID(t, ana)), olga, nil, http.StatusNotFound, "not_found")
	var intents struct {
		Intents []string `json:"intents"`
	}
	e.call(t, "GET", "/api/v1/intents", ana, nil, http.StatusOK, &intents)
	if len(intents.Intents) != 77 {
		t.Errorf("%d intents, want the model's 77", len(intents.Intents))
	}
}

func (e *env) firstArticleID(t *testing.T, staff string) int64 {
	var list struct {
		Articles []articleJSON `json:"articles"`
	}
	e.call(t, "GET", "/api/v1/articles?limit=1", staff, nil, http.StatusOK, &list)
	return list.Articles[0].ID
}

func first(list []articleJSON) any {
	if len(list) == 0 {
		return nil
	}
	return list[0].Title
}

func urlQuery(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, " ", "+"), "ü", "%C3%BC")
}

// ---- Answering and feedback ------------------------------------------------

// TestAnswerAndFeedback: a routine question is answered with a citation;
// "yes" resolves it as resolved by the assistant (containment); "no" hands
// over with a packet for staff only.
func TestAnswerAndFeedback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")

	conv := e.start(t, cust, "f-1", cardQuestion)
	answer := e.lastReply(t, cust, conv.ID)
	if answer.Citation == nil || answer.Citation.Title != cardQuestion || !strings.HasPrefix(answer.Citation.URL, "/help/acme/articles/") {
		t.Fatalf("answer: %+v, want a citation of %q", answer, cardQuestion)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d/feedback", conv.ID)
	e.fails(t, "POST", path, admin, map[string]any{"helpful": true}, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", path, cust, map[string]any{}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", path, e.customer(t, "acme"), map[string]any{"helpful": true}, http.StatusNotFound, "not_found")

	var resolved staffConversation
	e.call(t, "POST", path, cust, map[string]any{"helpful": true, "message_id": answer.ID}, http.StatusOK, &resolved)
	if resolved.Status != "resolved" || resolved.ResolvedBy != model.ResolvedByAssistant || resolved.Handoff != nil {
		t.Fatalf("after yes: %+v", resolved)
	}
	var again staffConversation
	e.call(t, "POST", path, cust, map[string]any{"helpful": true, "message_id": answer.ID}, http.StatusOK, &again)
	if again.Status != "resolved" || again.ResolvedBy != model.ResolvedByAssistant {
		t.Errorf("yes again: %+v", again)
	}
	var stats struct {
		Conversations       int     `json:"conversations"`
		ResolvedByAssistant int     `json:"resolved_by_assistant"`
		Containment         float64 `json:"containment"`
		Answers             int     `json:"answers"`
	}
	e.call(t, "GET", "/api/v1/stats/assistant?days=7", admin, nil, http.StatusOK, &stats)
	if stats.ResolvedByAssistant != 1 || stats.Containment <= 0 || stats.Answers < 1 {
		t.Errorf("stats: %+v", stats)
	}
	e.fails(t, "GET", "/api/v1/stats/assistant", cust, nil, http.StatusForbidden, "forbidden")

	// No: a person at once, with the reason and a packet.
	conv2 := e.start(t, cust, "f-2", cardQuestion)
	var queued staffConversation
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/feedback", conv2.ID), cust, map[string]any{"helpful": false}, http.StatusOK, &queued)
	if queued.Status != "queued" || queued.HandoffReason != "not_helpful" || queued.Queue == nil {
		t.Fatalf("after no: %+v", queued)
	}
	if queued.Handoff != nil {
		t.Errorf("the customer sees the handoff packet")
	}
	staff := e.staffView(t, admin, conv2.ID)
	if staff.Handoff == nil || staff.Handoff.Reason != "not_helpful" || len(staff.Handoff.AssistantSaid) == 0 {
		t.Errorf("staff view: %+v", staff.Handoff)
	}
	e.fails(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/feedback", conv2.ID), cust, map[string]any{"helpful": true}, http.StatusConflict, "conflict")
	var raw map[string]any
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv2.ID), cust, nil, http.StatusOK, &raw)
	if _, ok := raw["handoff"]; ok {
		t.Errorf("the customer's conversation carries the packet: %v", raw["handoff"])
	}
}

// TestConversationContext: the assistant remembers the conversation.
func TestConversationContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)

	t.Run("that didn't help", func(t *testing.T) {
		cust := e.customer(t, "acme")
		conv := e.start(t, cust, "x", cardQuestion)
		e.ask(t, cust, conv.ID, "That didn't help.")
		if c := e.conversation(t, cust, conv.ID); c.Status != "queued" || !strings.Contains(c.HandoffReason, "not_helpful") {
			t.Errorf("after 'that didn't help': %+v", c)
		}
	})
	t.Run("the same question twice", func(t *testing.T) {
		cust := e.customer(t, "acme")
		conv := e.start(t, cust, "x", "How do I pay an instalment early?")
		if r := e.lastReply(t, cust, conv.ID); r.Citation == nil {
			t.Fatalf("the first time is answered: %+v", r)
		}
		e.ask(t, cust, conv.ID, "How do I pay an instalment early?")
		if c := e.conversation(t, cust, conv.ID); c.Status != "queued" || !strings.Contains(c.HandoffReason, "repeated_question") {
			t.Errorf("after the same question again: %+v", c)
		}
	})
	t.Run("a second unclear turn", func(t *testing.T) {
		cust := e.customer(t, "acme")
		conv := e.start(t, cust, "x", "Can you write me a poem about the sea?")
		if c := e.conversation(t, cust, conv.ID); c.Status != "ai" {
			t.Fatalf("the first unclear message is asked back: %+v", c)
		}
		e.ask(t, cust, conv.ID, "What is the weather like in Paris today?")
		if c := e.conversation(t, cust, conv.ID); c.Status != "queued" || !strings.Contains(c.HandoffReason, "still_unclear") {
			t.Errorf("after a second unclear message: %+v", c)
		}
	})
	t.Run("a person is offered after N turns", func(t *testing.T) {
		e.call(t, "PUT", "/api/v1/settings/conversation", admin, map[string]any{"offer_person_after": 2}, http.StatusOK, nil)
		t.Cleanup(func() { e.call(t, "PUT", "/api/v1/settings/conversation", admin, map[string]any{}, http.StatusOK, nil) })
		cust := e.customer(t, "acme")
		conv := e.start(t, cust, "x", "Can you write me a poem about the sea?")
		if r := e.lastReply(t, cust, conv.ID); strings.Contains(r.Body, "Talk to a person") {
			t.Errorf("offered a person on the first turn: %q", r.Body)
		}
		msgs := e.ask(t, cust, conv.ID, cardQuestion)
		if len(msgs) == 0 || !strings.Contains(msgs[0].Body, "5 to 7 working days") || !strings.Contains(msgs[0].Body, "connect you with a person") {
			t.Errorf("the second turn: %+v, want the answer and the offer of a person", msgs)
		}
	})
	t.Run("in Swedish", func(t *testing.T) {
		cust := e.customerIn(t, "sv-SE")
		conv := e.start(t, cust, "x", "När kommer mitt Acme Pay-kort?")
		r := e.lastReply(t, cust, conv.ID)
		if r.Citation == nil || r.Citation.Title != "När kommer mitt Acme Pay-kort?" || !strings.Contains(r.Body, "arbetsdagar") {
			t.Errorf("Swedish answer: %+v", r)
		}
	})
	t.Run("no article in German: says so and offers a person", func(t *testing.T) {
		cust := e.customerIn(t, "de-DE")
		conv := e.start(t, cust, "x", "Wie kann ich mit Apple Pay bezahlen?")
		r := e.lastReply(t, cust, conv.ID)
		if r.Citation == nil || r.Citation.Title != "Apple Pay and Google Pay" || !strings.Contains(r.Body, "noch nicht auf Deutsch") || !strings.Contains(r.Body, "„Mit einer Person sprechen“") {
			t.Errorf("German question without a German article: %+v", r)
		}
	})
	var settings map[string]any
	e.call(t, "GET", "/api/v1/settings/conversation", admin, nil, http.StatusOK, &settings)
	if settings["offer_person_after"] != float64(model.DefaultOfferPersonAfter) {
		t.Errorf("settings: %v", settings)
	}
	e.fails(t, "PUT", "/api/v1/settings/conversation", admin, map[string]any{"offer_person_after": 1000}, http.StatusBadRequest, "bad_request")
	// The widget learns from the conversation whether to ask for feedback.
	cust := e.customer(t, "acme")
	var c map[string]any
	e.call(t, "POST", "/api/v1/conversations", cust, map[string]any{"message": map[string]string{"client_id": "fb-on", "body": cardQuestion}}, http.StatusCreated, &c)
	if c["ask_feedback"] != true {
		t.Errorf("ask_feedback = %v, want true by default", c["ask_feedback"])
	}
	e.call(t, "PUT", "/api/v1/settings/conversation", admin, map[string]any{"ask_feedback": false}, http.StatusOK, nil)
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%v", c["id"]), cust, nil, http.StatusOK, &c)
	if c["ask_feedback"] != false {
		t.Errorf("ask_feedback = %v after switching it off", c["ask_feedback"])
	}
	e.call(t, "PUT", "/api/v1/settings/conversation", admin, map[string]any{}, http.StatusOK, nil)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.fails(t, "PUT", "/api/v1/settings/conversation", ana, map[string]any{"offer_person_after": 1}, http.StatusForbidden, "forbidden")
}

// ---- Actions ------------------------------------------------------------------

// TestActionsForVerifiedCustomers: the built-in demo backend answers a
// verified customer's questions about their own orders, payments and
// refunds; an anonymous customer is asked to sign in, then handed over.
func TestActionsForVerifiedCustomers(t *testing.T) {
	t.Parallel()
	e := newAssistantEnv(t, nil)
	alice := e.verifiedCustomer(t, "cus_1001")

	conv := e.start(t, alice, "a-1", "Where is my order?")
	r := e.lastReply(t, alice, conv.ID)
	if !strings.Contains(r.Body, "ORD-2041") || !strings.Contains(r.Body, "Nordic Home") || r.Citation == nil {
		t.Fatalf("order status for Alice: %+v", r)
	}
	for _, other := range []string{"ORD-5120", "ORD-3102", "GadgetHub"} {
		if strings.Contains(r.Body, other) {
			t.Errorf("Alice sees another customer's %s", other)
		}
	}
	msgs := e.ask(t, alice, conv.ID, "When is my next payment due?")
	if len(msgs) == 0 || !strings.Contains(msgs[0].Body, "instalment") || !strings.Contains(msgs[0].Body, "EUR") {
		t.Errorf("payment schedule: %+v", msgs)
	}
	msgs = e.ask(t, alice, conv.ID, "Where is my refund?")
	if len(msgs) == 0 || !strings.Contains(msgs[0].Body, "RF-301") || msgs[0].Citation == nil || msgs[0].Citation.Title != "How do refunds work?" {
		t.Errorf("refund status: %+v", msgs)
	}
	e.ask(t, alice, conv.ID, "Where is my order?")
	if c := e.conversation(t, alice, conv.ID); c.Status != "queued" || !strings.Contains(c.HandoffReason, "repeated_question") {
		t.Errorf("asking for the same lookup again: %+v", c)
	}

	// Anonymous: asked to sign in; asked again, handed over.
	anon := e.customer(t, "acme")
	conv = e.start(t, anon, "a-2", "Where is my order?")
	r = e.lastReply(t, anon, conv.ID)
	if !strings.Contains(r.Body, "sign in") || strings.Contains(r.Body, "ORD-") {
		t.Errorf("anonymous order question: %+v", r)
	}
	if c := e.conversation(t, anon, conv.ID); c.Status != "ai" {
		t.Errorf("status %s after the sign-in prompt", c.Status)
	}
	e.ask(t, anon, conv.ID, "track my order please")
	if c := e.conversation(t, anon, conv.ID); c.Status != "queued" || !strings.Contains(c.HandoffReason, "not_verified") {
		t.Errorf("anonymous, second order question: %+v", c)
	}
	// An anonymous refund question gets the general article and the hint.
	anon2 := e.customer(t, "acme")
	conv = e.start(t, anon2, "a-3", "Where is my refund?")
	if r := e.lastReply(t, anon2, conv.ID); r.Citation == nil || r.Citation.Title != "How do refunds work?" || !strings.Contains(r.Body, "sign in") {
		t.Errorf("anonymous refund question: %+v", r)
	}
}

// TestActionFailuresHandOver: an error or a time-out of the business's API
// is a graceful handover, with the reason.
func TestActionFailuresHandOver(t *testing.T) {
	t.Parallel()
	e := newAssistantEnv(t, func(c *config.Config) { c.ActionTimeout = 150 * time.Millisecond })
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	done := make(chan struct{})
	hang := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		drain(r)
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	t.Cleanup(func() { close(done) })
	broken := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { drain(r); http.Error(w, "down", http.StatusBadGateway) })
	for i, endpoint := range []string{hang.URL, broken.URL} {
		var a model.Action
		e.call(t, "GET", fmt.Sprintf("/api/v1/actions/%d", e.actionID(t, admin, "order_status")), admin, nil, http.StatusOK, &a)
		e.call(t, "PUT", fmt.Sprintf("/api/v1/actions/%d", a.ID), admin, map[string]any{
			"name": a.Name, "endpoint": endpoint, "examples": a.Examples, "parameters": a.Parameters, "use_in_handoff": true,
		}, http.StatusOK, nil)
		alice := e.verifiedCustomer(t, "cus_1001")
		conv := e.start(t, alice, fmt.Sprint("t-", i), "Where is my order?")
		c := e.conversation(t, alice, conv.ID)
		if c.Status != "queued" || !strings.Contains(c.HandoffReason, "action_failed") {
			t.Fatalf("%s: %+v, want handed over with action_failed", endpoint, c)
		}
		if r := e.lastReply(t, alice, conv.ID); !strings.Contains(r.Body, "couldn't reach our systems") {
			t.Errorf("notice: %q", r.Body)
		}
		staff := e.staffView(t, admin, conv.ID)
		if staff.Handoff == nil || len(staff.Handoff.Customer.Orders) != 0 || !staff.Handoff.Customer.Verified {
			t.Errorf("packet after a failed lookup: %+v", staff.Handoff)
		}
	}
}

func (e *env) actionID(t *testing.T, admin, name string) int64 {
	t.Helper()
	var list struct {
		Actions []model.Action `json:"actions"`
	}
	e.call(t, "GET", "/api/v1/actions", admin, nil, http.StatusOK, &list)
	for _, a := range list.Actions {
		if a.Name == name {
			return a.ID
		}
	}
	t.Fatalf("no action %s", name)
	return 0
}

// TestActionsAPI: admins configure actions; the secret never comes back.
func TestActionsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.fails(t, "GET", "/api/v1/actions", ana, nil, http.StatusForbidden, "forbidden")
	var list map[string][]map[string]any
	e.call(t, "GET", "/api/v1/actions", admin, nil, http.StatusOK, &list)
	if len(list["actions"]) != 3 {
		t.Fatalf("demo actions: %v", list)
	}
	for _, a := range list["actions"] {
		if _, ok := a["secret"]; ok || a["has_secret"] != true {
			t.Errorf("action %v: the secret leaks or is missing", a["name"])
		}
	}
	good := map[string]any{"name": "loyalty_points", "description": "points", "endpoint": "https://api.example/points",
		"secret": "0123456789abcdef0123", "intents": []string{"card_arrival"}, "examples": []string{"how many points do I have"},
		"parameters": []map[string]any{{"name": "program", "type": "string", "pattern": "[A-Z]{3}"}}}
	var created map[string]any
	e.call(t, "POST", "/api/v1/actions", admin, good, http.StatusCreated, &created)
	if created["enabled"] != true || created["name"] != "loyalty_points" {
		t.Errorf("created %v", created)
	}
	for name, patch := range map[string]map[string]any{
		"customer_id parameter": {"parameters": []map[string]any{{"name": "customer_id", "type": "string", "pattern": ".+"}}},
		"short secret":          {"secret": "short"},
		"bad endpoint":          {"endpoint": "ftp://x"},
		"bad name":              {"name": "Loyalty Points"},
		"unknown intent":        {"intents": []string{"nope"}},
		"bad pattern":           {"parameters": []map[string]any{{"name": "p", "type": "string", "pattern": "("}}},
	} {
		body := map[string]any{}
		for k, v := range good {
			body[k] = v
		}
		body["name"] = "x_" + strings.ReplaceAll(name, " ", "_")
		for k, v := range patch {
			body[k] = v
		}
		status, raw := e.do(t, "POST", "/api/v1/actions", admin, body)
		checkError(t, name, status, raw, http.StatusBadRequest, "bad_request")
	}
	e.fails(t, "POST", "/api/v1/actions", admin, good, http.StatusConflict, "conflict")
	id := int64(created["id"].(float64))
	if status, _ := e.do(t, "DELETE", fmt.Sprintf("/api/v1/actions/%d", id), admin, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
}

// ---- The handoff packet and the copilot --------------------------------------

// TestHandoffPacket: the packet is built at the handover and shown to staff:
// reason, intent, language, mood, what the customer wants, what the
// assistant said, the profile with recent orders, a drafted reply.
func TestHandoffPacket(t *testing.T) {
	t.Parallel()
	e := newAssistantEnv(t, nil)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	alice := e.verifiedCustomer(t, "cus_1001")
	earlier := e.start(t, alice, "p-0", cardQuestion)
	conv := e.start(t, alice, "p-1", "Where is my order?")
	e.ask(t, alice, conv.ID, "My order from Sportlife is late and this is useless. I want to talk to a person.")
	c := e.staffView(t, admin, conv.ID)
	if c.Status != "queued" || c.Handoff == nil {
		t.Fatalf("conversation: %+v", c)
	}
	p := c.Handoff
	if !strings.Contains(p.Reason, "human_request") || p.Language != "en" || p.Summary == "" || p.CreatedAt.IsZero() {
		t.Errorf("packet head: %+v", p)
	}
	if p.Mood.Label == "calm" || p.Mood.Latest >= 0 {
		t.Errorf("mood %+v, want it to show the customer's frustration", p.Mood)
	}
	if !strings.Contains(strings.Join(p.CustomerWants, " "), "Sportlife is late") {
		t.Errorf("customer wants: %q", p.CustomerWants)
	}
	if len(p.AssistantSaid) != 1 || p.AssistantSaid[0].Kind != model.TurnAction || p.AssistantSaid[0].Action != "order_status" {
		t.Errorf("assistant said: %+v", p.AssistantSaid)
	}
	cu := p.Customer
	if cu.Tier != "vip" || !cu.Verified || cu.ExternalID != "cus_1001" || cu.Conversations90d != 2 || cu.OrdersSource != "order_status" || len(cu.Orders) != 2 || cu.Orders[0]["id"] != "ORD-2041" {
		t.Errorf("profile: %+v", cu)
	}
	if !strings.HasPrefix(p.DraftReply, "Hi Alice,") {
		t.Errorf("draft reply: %q", p.DraftReply)
	}
	if v := e.staffView(t, admin, earlier.ID); v.Handoff != nil {
		t.Errorf("a conversation never handed over has a packet: %+v", v.Handoff)
	}

	// The customer's "Talk to a person" button builds one too.
	anon := e.customer(t, "acme")
	conv2 := e.start(t, anon, "p-2", "My card payment was declined at the shop")
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", conv2.ID), anon, map[string]string{"reason": "human_request"}, http.StatusOK, nil)
	if v := e.staffView(t, admin, conv2.ID); v.Handoff == nil || v.Handoff.Reason != "human_request" || v.Handoff.Customer.Verified || len(v.Handoff.Customer.Orders) != 0 {
		t.Errorf("packet after the button: %+v", v.Handoff)
	}
}

type copilotJSON struct {
	ConversationID int64                `json:"conversation_id"`
	Language       string               `json:"language"`
	Handoff        *model.HandoffPacket `json:"handoff"`
	History        []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	} `json:"history"`
	Latest      string `json:"latest_customer_message"`
	Suggestions []struct {
		ArticleID  int64  `json:"article_id"`
		Title      string `json:"title"`
		Language   string `json:"language"`
		Draft      string `json:"draft"`
		Translated bool   `json:"in_customer_language"`
	} `json:"suggestions"`
}

// TestCopilot: the agent sees the packet, the customer's history and
// suggested replies in the customer's language — drafts, never sent.
func TestCopilot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	bruno := e.verifiedCustomer(t, "cus_1002")
	old := e.start(t, bruno, "c-0", "Wann kommt meine Acme Pay Karte?")
	conv := e.start(t, bruno, "c-1", "Meine Karte wurde gestohlen! Was soll ich tun?")
	if c := e.conversation(t, bruno, conv.ID); c.Status != "queued" {
		t.Fatalf("a stolen card is a sensitive matter for a person: %+v", c)
	}
	n := len(e.messages(t, bruno, conv.ID))
	var cp copilotJSON
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/copilot", conv.ID), ana, nil, http.StatusOK, &cp)
	if cp.ConversationID != conv.ID || cp.Language != "de" || cp.Handoff == nil || !strings.Contains(cp.Handoff.Reason, "sensitive") {
		t.Fatalf("copilot: %+v", cp)
	}
	if len(cp.History) != 1 || cp.History[0].ID != old.ID {
		t.Errorf("history: %+v, want the earlier conversation", cp.History)
	}
	if cp.Latest == "" || len(cp.Suggestions) == 0 {
		t.Fatalf("no suggestions: %+v", cp)
	}
	top := cp.Suggestions[0]
	if top.Title != "Meine Karte ist verloren oder gestohlen" || top.Language != "de" || !top.Translated ||
		!strings.HasPrefix(top.Draft, "Hallo Bruno,") || !strings.Contains(top.Draft, "Frieren Sie Ihre Karte") {
		t.Errorf("top suggestion: %+v", top)
	}
	// Nothing was sent on the agent's behalf.
	if m := len(e.messages(t, bruno, conv.ID)); m != n {
		t.Errorf("the copilot added %d messages", m-n)
	}
	e.fails(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/copilot", conv.ID), bruno, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/conversations/999999/copilot", ana, nil, http.StatusNotFound, "not_found")

	// A conversation never handed over gets a packet built on the spot.
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/copilot", old.ID), ana, nil, http.StatusOK, &cp)
	if cp.Handoff == nil || len(cp.Suggestions) == 0 || cp.Suggestions[0].Language != "de" {
		t.Errorf("copilot of an assistant-only conversation: %+v", cp)
	}
}
