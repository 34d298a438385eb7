package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

const cardQuestion = "When will my Acme Pay card arrive?"

// fraudQuestion is a sensitive matter: triage sends it to a person at once.
const fraudQuestion = "There is a payment on my card that I did not make."

// TestFlowCustomerAssistantAgent walks one conversation through its whole
// life: the assistant answers from the knowledge base, the customer asks for
// a person, an agent is offered it and accepts, they talk (with an internal
// note the customer never sees), the agent resolves, and a new customer
// message reopens it to the queue.
func TestFlowCustomerAssistantAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.customer(t, "acme")

	conv := e.start(t, cust, "c-1", cardQuestion)
	if conv.Status != "ai" || conv.AssigneeID != nil || conv.Queue != nil {
		t.Fatalf("new conversation: %+v, want status ai, no assignee, no queue", conv)
	}
	msgs := e.messages(t, cust, conv.ID)
	if len(msgs) < 2 {
		t.Fatalf("messages after the first question: %+v, want the question and an answer", msgs)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) || m.ConversationID != conv.ID {
			t.Errorf("message %d: seq %d conversation %d, want seq %d conversation %d", i, m.Seq, m.ConversationID, i+1, conv.ID)
		}
	}
	if m := msgs[0]; m.AuthorKind != "customer" || m.Body != cardQuestion || m.ClientID != "c-1" {
		t.Errorf("first message: %+v, want the customer's question with client_id c-1", m)
	}
	answer := msgs[1]
	if answer.AuthorKind != "assistant" || answer.AuthorName != "Acme Pay assistant" || answer.Citation == nil {
		t.Fatalf("second message: %+v, want an assistant answer with a citation", answer)
	}
	if answer.Citation.Title != cardQuestion || answer.Citation.ArticleID == 0 {
		t.Errorf("citation: %+v, want the article %q", answer.Citation, cardQuestion)
	}
	if !strings.Contains(answer.Body, "5 to 7 working days") {
		t.Errorf("answer body %q does not come from the article", answer.Body)
	}
	// The cited page exists and is the article.
	res, err := e.srv.Client().Get(e.srv.URL + answer.Citation.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), cardQuestion) {
		t.Errorf("GET %s: %d, want 200 with the article's title", answer.Citation.URL, res.StatusCode)
	}

	cs := e.openStream(t, cust, -1)

	// The customer asks for a person in words.
	ask := e.post(t, cust, conv.ID, "c-2", "I want to talk to a person", false)
	if ask.AuthorKind != "customer" || ask.Seq <= answer.Seq {
		t.Errorf("customer message: %+v", ask)
	}
	if got := cs.waitMessage(ask.Body); got.ID != ask.ID {
		t.Errorf("stream message id %d, want %d", got.ID, ask.ID)
	}
	if q := cs.waitType(model.EventConversationQueued, conv.ID).conversation(t); q.Status != "queued" || q.HandoffReason == "" {
		t.Errorf("conversation.queued data: %+v, want status queued with a handoff reason", q)
	}
	queued := e.conversation(t, cust, conv.ID)
	if queued.Status != "queued" || queued.HandoffReason == "" || queued.QueuedAt == nil || queued.AssigneeID != nil {
		t.Fatalf("after asking for a person: %+v", queued)
	}
	if queued.Queue == nil || queued.Queue.Position != 1 || queued.Queue.AgentsOnline != 0 {
		t.Fatalf("queue info: %+v, want position 1 with 0 agents online", queued.Queue)
	}

	// Ana goes available and is offered the conversation.
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	as := e.openStream(t, ana, -1)
	e.setStatus(t, ana, "available")
	of := e.waitOffer(t, ana, conv.ID)
	if list := e.offers(t, ana); len(list) != 1 {
		t.Fatalf("ana's offers: %+v, want exactly one", list)
	}
	if of.Status != "pending" || of.AgentID != anaAgent.ID || of.Conversation == nil || of.Conversation.ID != conv.ID || of.Preview != ask.Body {
		t.Errorf("offer: %+v, want pending for ana with the conversation and the preview %q", of, ask.Body)
	}
	if got := as.waitType(model.EventOfferCreated, conv.ID).offer(t); got.ID != of.ID {
		t.Errorf("offer.created on ana's stream is offer %d, want %d", got.ID, of.ID)
	}

	var acc struct {
		Offer        offer        `json:"offer"`
		Conversation conversation `json:"conversation"`
	}
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ana, nil, http.StatusOK, &acc)
	if acc.Offer.ID != of.ID || acc.Offer.Status != "accepted" {
		t.Errorf("accepted offer: %+v", acc.Offer)
	}
	if c := acc.Conversation; c.Status != "assigned" || c.AssigneeID == nil || *c.AssigneeID != anaAgent.ID {
		t.Errorf("accepted conversation: %+v, want assigned to ana (%d)", c, anaAgent.ID)
	}
	assigned := e.conversation(t, cust, conv.ID)
	if assigned.Status != "assigned" || assigned.AssigneeID == nil || *assigned.AssigneeID != anaAgent.ID || assigned.AssigneeName != "Ana" || assigned.Queue != nil {
		t.Errorf("conversation as the customer sees it: %+v, want assigned to Ana without queue", assigned)
	}
	if c := cs.waitType(model.EventConversationAssigned, conv.ID).conversation(t); c.AssigneeID == nil || *c.AssigneeID != anaAgent.ID {
		t.Errorf("conversation.assigned data: %+v", c)
	}
	if me := e.me(t, ana); me.Active != 1 {
		t.Errorf("ana's active conversations: %d, want 1", me.Active)
	}

	// They talk; an internal note stays among staff.
	reply := e.post(t, ana, conv.ID, "a-1", "Hi, I'm Ana. Let me look at your card order.", false)
	if got := cs.waitMessage(reply.Body); got.ID != reply.ID || got.AuthorKind != "agent" || got.AuthorName != "Ana" {
		t.Errorf("reply on the customer's stream: %+v", got)
	}
	const noteBody = "NOTE: card was returned to sender, do not promise a date"
	note := e.post(t, ana, conv.ID, "a-2", noteBody, true)
	if !note.Internal {
		t.Errorf("note: %+v, want internal", note)
	}
	later := e.post(t, ana, conv.ID, "a-3", "Your card is on its way again.", false)
	// The customer's stream goes straight from the reply to the later message.
	cs.waitMessage(later.Body)
	if got := as.waitMessage(noteBody); !got.Internal {
		t.Errorf("note on ana's stream: %+v", got)
	}
	for _, f := range cs.seen {
		if strings.Contains(string(f.Data), noteBody) {
			t.Errorf("the customer's stream carried the internal note: %v %s", f, f.Data)
		}
	}
	var seqs []int64
	for _, m := range e.messages(t, cust, conv.ID) {
		if m.Internal || m.Body == noteBody {
			t.Errorf("the customer's messages include the internal note: %+v", m)
		}
		seqs = append(seqs, m.Seq)
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("customer's message seqs not ascending: %v", seqs)
	}
	found := false
	for _, m := range e.messages(t, ana, conv.ID) {
		found = found || (m.ID == note.ID && m.Internal && m.Body == noteBody)
	}
	if !found {
		t.Errorf("staff messages lack the internal note")
	}

	// Resolve, then the customer writes again: back to people.
	var resolved conversation
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", conv.ID), ana, nil, http.StatusOK, &resolved)
	if resolved.Status != "resolved" {
		t.Fatalf("after resolve: %+v", resolved)
	}
	// The resolved conversation still names the last person who owned it.
	if resolved.AssigneeID == nil || *resolved.AssigneeID != anaAgent.ID || resolved.AssigneeName != "Ana" {
		t.Errorf("resolved conversation: assignee %v %q, want Ana (%d)", resolved.AssigneeID, resolved.AssigneeName, anaAgent.ID)
	}
	cs.waitType(model.EventConversationResolved, conv.ID)
	if me := e.me(t, ana); me.Active != 0 {
		t.Errorf("ana's active conversations after resolve: %d, want 0", me.Active)
	}
	again := e.post(t, cust, conv.ID, "c-3", "Sorry, one more thing about the card.", false)
	cs.waitType(model.EventConversationReopened, conv.ID)
	cs.waitType(model.EventConversationQueued, conv.ID)
	if got := cs.waitMessage(again.Body); got.ID != again.ID {
		t.Errorf("reopening message on the stream: %+v", got)
	}
	reopened := e.conversation(t, cust, conv.ID)
	if reopened.Status != "queued" || reopened.Queue == nil || reopened.AssigneeID != nil {
		t.Errorf("after the customer wrote on a resolved conversation a person had: %+v, want queued", reopened)
	}
	// Ana is still available: the reopened conversation is offered again.
	e.waitOffer(t, ana, conv.ID)

	for _, f := range cs.seen {
		if strings.HasPrefix(f.Type, "offer.") || strings.HasPrefix(f.Type, "agent.") {
			t.Errorf("the customer's stream carried a staff-only event: %v", f)
		}
		if f.ConversationID == nil || *f.ConversationID != conv.ID {
			t.Errorf("the customer's stream carried an event of another conversation: %v", f)
		}
	}
}

// TestHandoff: POST /conversations/{id}/handoff queues a conversation at
// once whatever the assistant's state, leaves a queued or assigned one as it
// is, and calling it again changes nothing.
func TestHandoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ben, benAgent := e.login(t, "ben@acme.test", app.DemoPassword)
	tests := []struct {
		name       string
		question   string
		resolve    bool // resolve before the handoff
		assign     bool // ben takes it before the handoff
		staff      bool // the handoff is asked by staff, with a reason
		wantBefore string
		wantReason string
	}{
		// First: ben, once available, is offered the oldest queued conversations.
		{name: "assigned stays assigned", question: "I want to talk to a person", assign: true, wantBefore: "assigned"},
		{name: "answered by the assistant", question: cardQuestion, wantBefore: "ai", wantReason: "human_request"},
		{name: "by staff with a reason", question: "How do I pay an instalment early?", staff: true, wantBefore: "ai", wantReason: "VIP customer"},
		{name: "resolved", question: cardQuestion, resolve: true, wantBefore: "resolved", wantReason: "human_request"},
		{name: "already queued by the assistant", question: fraudQuestion, wantBefore: "queued"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cust := e.customer(t, "acme")
			conv := e.start(t, cust, fmt.Sprint("h-", i), tc.question)
			path := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
			if tc.resolve {
				e.call(t, "POST", path+"/resolve", cust, nil, http.StatusOK, nil)
			}
			if tc.assign {
				e.setStatus(t, ben, "available")
				of := e.waitOffer(t, ben, conv.ID)
				e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ben, nil, http.StatusOK, nil)
				e.setStatus(t, ben, "away") // no more offers; offline would hand the conversation back
			}
			before := e.conversation(t, cust, conv.ID)
			if before.Status != tc.wantBefore {
				t.Fatalf("before the handoff: status %q, want %q", before.Status, tc.wantBefore)
			}
			token, body := cust, any(nil)
			if tc.staff {
				token, body = admin, map[string]string{"reason": tc.wantReason}
			}
			n := len(e.messages(t, cust, conv.ID))
			var first, second conversation
			e.call(t, "POST", path+"/handoff", token, body, http.StatusOK, &first)
			switch {
			case tc.assign:
				if first.Status != "assigned" || first.AssigneeID == nil || *first.AssigneeID != benAgent.ID || first.Queue != nil {
					t.Fatalf("handoff of an assigned conversation: %+v, want it still assigned to ben", first)
				}
				if m := len(e.messages(t, cust, conv.ID)); m != n {
					t.Errorf("the handoff of an assigned conversation added %d messages", m-n)
				}
			case first.Status != "queued" || first.Queue == nil || first.Queue.Position < 1 || first.QueuedAt == nil:
				t.Fatalf("after the handoff: %+v, want queued with queue info", first)
			}
			if tc.wantReason != "" && first.HandoffReason != tc.wantReason {
				t.Errorf("handoff reason %q, want %q", first.HandoffReason, tc.wantReason)
			}
			if tc.wantBefore == "queued" && first.HandoffReason != before.HandoffReason {
				t.Errorf("handoff of a queued conversation changed the reason %q to %q", before.HandoffReason, first.HandoffReason)
			}
			n = len(e.messages(t, cust, conv.ID))
			e.call(t, "POST", path+"/handoff", token, body, http.StatusOK, &second)
			if second.Status != first.Status || !equalIDs(second.AssigneeID, first.AssigneeID) || second.HandoffReason != first.HandoffReason || !second.QueuedAt.Equal(*first.QueuedAt) {
				t.Errorf("second handoff: %+v, want it unchanged from %+v", second, first)
			}
			if m := len(e.messages(t, cust, conv.ID)); m != n {
				t.Errorf("the second handoff added %d messages", m-n)
			}
		})
	}
}

// TestIdempotency: a retried client_id returns what the first attempt made;
// a client_id reused for a different body is a conflict.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)

	t.Run("create conversation", func(t *testing.T) {
		cust := e.customer(t, "acme")
		body := map[string]any{"message": map[string]string{"client_id": "same", "body": cardQuestion}}
		var first, second conversation
		e.call(t, "POST", "/api/v1/conversations", cust, body, http.StatusCreated, &first)
		e.call(t, "POST", "/api/v1/conversations", cust, body, http.StatusOK, &second)
		if first.ID == 0 || second.ID != first.ID {
			t.Fatalf("retry returned conversation %d, want %d", second.ID, first.ID)
		}
		count := 0
		for _, m := range e.messages(t, cust, first.ID) {
			if m.AuthorKind == "customer" {
				count++
			}
		}
		if count != 1 {
			t.Errorf("%d customer messages, want 1", count)
		}
		var list struct {
			Conversations []conversation `json:"conversations"`
		}
		e.call(t, "GET", "/api/v1/conversations", cust, nil, http.StatusOK, &list)
		if len(list.Conversations) != 1 {
			t.Errorf("the customer has %d conversations, want 1", len(list.Conversations))
		}
		e.fails(t, "POST", "/api/v1/conversations", cust,
			map[string]any{"message": map[string]string{"client_id": "same", "body": "something else"}}, http.StatusConflict, "conflict")
		// The same client_id of another customer is theirs alone.
		other := e.customer(t, "acme")
		if c := e.start(t, other, "same", cardQuestion); c.ID == first.ID {
			t.Errorf("another customer's client_id returned the first customer's conversation")
		}
	})

	for _, author := range []string{"customer", "staff"} {
		t.Run("post message by "+author, func(t *testing.T) {
			cust := e.customer(t, "acme")
			conv := e.start(t, cust, "open", "How do refunds work?")
			token := cust
			if author == "staff" {
				token = admin
			}
			path := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)
			body := map[string]any{"client_id": "m-1", "body": "Thanks, but I still need help with a refund."}
			var first, second message
			e.call(t, "POST", path, token, body, http.StatusCreated, &first)
			n := len(e.messages(t, admin, conv.ID))
			e.call(t, "POST", path, token, body, http.StatusOK, &second)
			if second.ID != first.ID || second.Seq != first.Seq || second.Body != first.Body {
				t.Errorf("retry returned %+v, want %+v", second, first)
			}
			msgs := e.messages(t, admin, conv.ID)
			if len(msgs) != n {
				t.Errorf("the retry added %d messages", len(msgs)-n)
			}
			count := 0
			for _, m := range msgs {
				if m.ClientID == "m-1" {
					count++
				}
			}
			if count != 1 {
				t.Errorf("%d messages with client_id m-1, want 1", count)
			}
			e.fails(t, "POST", path, token, map[string]any{"client_id": "m-1", "body": "a different text"}, http.StatusConflict, "conflict")
		})
	}
}

// TestStreamResume: a stream reconnected with ?after=SEQ gets exactly the
// events it missed — those of an admin's full view the customer may see —
// and a stream without a cursor starts at the present.
func TestStreamResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "r-1", cardQuestion)
	path := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)

	cs := e.openStream(t, cust, -1)
	e.post(t, admin, conv.ID, "", "m0: hello from the team", false)
	cs.waitMessage("m0: hello from the team")
	last := cs.last
	cs.close()

	// While the customer is away: public messages, internal notes, staff-only
	// events, another customer's conversation, a handoff, an assignment, a resolve.
	e.post(t, admin, conv.ID, "", "m1: are you still there?", false)
	e.post(t, admin, conv.ID, "", "n1: internal, customer seems away", true)
	other := e.customer(t, "acme")
	e.start(t, other, "o-1", "How do refunds work?")
	e.setStatus(t, ana, "available")
	e.call(t, "POST", path+"/handoff", admin, map[string]string{"reason": "needs a person"}, http.StatusOK, nil)
	of := e.waitOffer(t, ana, conv.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ana, nil, http.StatusOK, nil)
	e.post(t, ana, conv.ID, "", "m2: Ana here", false)
	e.post(t, ana, conv.ID, "", "n2: internal from Ana", true)
	e.setStatus(t, ana, "away")
	e.call(t, "POST", path+"/resolve", ana, nil, http.StatusOK, nil)
	e.post(t, admin, conv.ID, "", "m3: last words", false)

	adm := e.openStream(t, admin, last)
	adm.waitMessage("m3: last words")
	var want []frame
	staffOnly := map[string]bool{}
	for _, f := range adm.seen {
		hidden := strings.HasPrefix(f.Type, "offer.") || strings.HasPrefix(f.Type, "agent.") ||
			(f.Type == model.EventMessageCreated && f.message(t).Internal)
		if hidden {
			staffOnly[f.Type] = true
		}
		if !hidden && f.ConversationID != nil && *f.ConversationID == conv.ID {
			want = append(want, f)
		}
	}
	// The scenario must have produced every kind of event the filter is about.
	for _, typ := range []string{model.EventOfferCreated, model.EventOfferAccepted, model.EventAgentStatusChanged, model.EventMessageCreated} {
		if !staffOnly[typ] {
			t.Errorf("the admin's view has no staff-only %s event", typ)
		}
	}
	var types []string
	for _, f := range want {
		if f.Type == model.EventConversationQueueUpdated {
			continue // where the customer stands in the queue: as many as the dispatcher's passes
		}
		types = append(types, f.Type)
	}
	wantTypes := []string{
		model.EventMessageCreated,                                // m1
		model.EventConversationQueued, model.EventMessageCreated, // the handoff and its notice
		model.EventConversationAssigned, model.EventMessageCreated, // m2
		model.EventConversationResolved, model.EventMessageCreated, // m3
	}
	if !slices.Equal(types, wantTypes) {
		t.Fatalf("the customer-visible part of the admin's view is %v, want %v\nadmin's view: %v", types, wantTypes, adm.seen)
	}

	cs2 := e.openStream(t, cust, last)
	for i, w := range want {
		got := cs2.next()
		if got.Seq != w.Seq || got.Type != w.Type || !bytes.Equal(got.Data, w.Data) {
			t.Fatalf("resumed event %d is %v, want %v\ngot so far: %v\nwant: %v", i, got, w, cs2.seen, want)
		}
	}
	// Nothing else was pending: the next event is the new one.
	sentinel := e.post(t, admin, conv.ID, "", "m4: sentinel", false)
	if got := cs2.next(); got.Type != model.EventMessageCreated || got.message(t).ID != sentinel.ID {
		t.Fatalf("after the missed events the stream sent %v, want the sentinel message", got)
	}
	adm.waitMessage("m4: sentinel")

	// Without a cursor the stream starts at the present.
	cs3 := e.openStream(t, cust, -1)
	if cs3.ready < adm.last {
		t.Errorf("a stream without a cursor is ready at %d, before the present %d", cs3.ready, adm.last)
	}
	fresh := e.post(t, admin, conv.ID, "", "m5: fresh", false)
	if got := cs3.next(); got.Type != model.EventMessageCreated || got.message(t).ID != fresh.ID {
		t.Fatalf("the first event of a stream without a cursor is %v, want the new message", got)
	}
}

// TestAuthorization: other customers' conversations and other workspaces'
// resources are not found; tokens and identity proofs are checked. Who may
// call each route is tested from the route table (web/api).
func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addWorkspace("globex", 0, "hank@globex.test")
	custA := e.customer(t, "acme")
	convA := e.start(t, custA, "a-1", cardQuestion)
	custB := e.customer(t, "acme")
	hank, _ := e.login(t, "hank@globex.test", "pw")
	convPath := fmt.Sprintf("/api/v1/conversations/%d", convA.ID)
	msg := map[string]any{"body": "hello"}

	t.Run("another customer", func(t *testing.T) {
		e.fails(t, "GET", convPath, custB, nil, http.StatusNotFound, "not_found")
		e.fails(t, "GET", convPath+"/messages", custB, nil, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/messages", custB, msg, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/handoff", custB, nil, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/resolve", custB, nil, http.StatusNotFound, "not_found")
		var list struct {
			Conversations []conversation `json:"conversations"`
		}
		e.call(t, "GET", "/api/v1/conversations", custB, nil, http.StatusOK, &list)
		if len(list.Conversations) != 0 {
			t.Errorf("customer B lists %d conversations, want none", len(list.Conversations))
		}
		if c := e.conversation(t, custA, convA.ID); c.Status != "ai" {
			t.Errorf("customer B changed A's conversation: %+v", c)
		}
	})

	t.Run("staff of another workspace", func(t *testing.T) {
		e.fails(t, "GET", convPath, hank, nil, http.StatusNotFound, "not_found")
		e.fails(t, "GET", convPath+"/messages", hank, nil, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/messages", hank, msg, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/handoff", hank, nil, http.StatusNotFound, "not_found")
		e.fails(t, "POST", convPath+"/resolve", hank, nil, http.StatusNotFound, "not_found")
		var list struct {
			Conversations []conversation `json:"conversations"`
		}
		e.call(t, "GET", "/api/v1/conversations", hank, nil, http.StatusOK, &list)
		if len(list.Conversations) != 0 {
			t.Errorf("globex staff list %d conversations, want none of acme's", len(list.Conversations))
		}
		var agents struct {
			Agents []agent `json:"agents"`
		}
		e.call(t, "GET", "/api/v1/agents", hank, nil, http.StatusOK, &agents)
		if len(agents.Agents) != 1 || agents.Agents[0].Email != "hank@globex.test" {
			t.Errorf("globex staff see agents %+v, want only themselves", agents.Agents)
		}
	})

	// Who may call each route (no token, a customer on a staff route…) is
	// tested from the route table itself: api.TestRouteTableAuthorization.
	t.Run("customer's internal note", func(t *testing.T) {
		e.fails(t, "POST", convPath+"/messages", custA, map[string]any{"body": "sneaky note", "internal": true}, http.StatusForbidden, "forbidden")
		for _, m := range e.messages(t, custA, convA.ID) {
			if m.Body == "sneaky note" {
				t.Errorf("a customer's internal note was stored: %+v", m)
			}
		}
	})

	t.Run("stream and login without valid credentials", func(t *testing.T) {
		for _, token := range []string{"", "not-a-token"} {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/v1/stream?token="+token, nil)
			cancel()
			if err == nil {
				conn.CloseNow()
				t.Errorf("stream with token %q: connected, want 401", token)
			} else if res == nil || res.StatusCode != http.StatusUnauthorized {
				t.Errorf("stream with token %q: %v, want 401", token, err)
			}
		}
		e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ana@acme.test", "password": "wrong"}, http.StatusUnauthorized, "unauthorized")
		e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@acme.test", "password": app.DemoPassword}, http.StatusUnauthorized, "unauthorized")
	})

	t.Run("login and logout", func(t *testing.T) {
		session := func(res *http.Response) *http.Cookie {
			for _, c := range res.Cookies() {
				if c.Name == "tandem_session" {
					return c
				}
			}
			t.Fatalf("%s %s sets no tandem_session cookie", res.Request.Method, res.Request.URL.Path)
			return nil
		}
		res, err := e.srv.Client().Post(e.srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"chen@acme.test","password":"`+app.DemoPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Token string `json:"token"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("login: %d %v", res.StatusCode, err)
		}
		if c := session(res); c.Value != out.Token || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("login cookie %+v, want the token, HttpOnly, SameSite=Lax", c)
		}
		token := out.Token
		e.me(t, token)
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/logout", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err = e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: status %d, want 204", res.StatusCode)
		}
		if c := session(res); c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("logout cookie %+v, want it cleared", c)
		}
		e.fails(t, "GET", "/api/v1/agents/me", token, nil, http.StatusUnauthorized, "unauthorized")
	})

	t.Run("identity verification", func(t *testing.T) {
		secret := e.info.IdentitySecret
		if secret == "" {
			t.Fatal("the demo workspace has no identity secret")
		}
		session := func(hash string) map[string]any {
			return map[string]any{"workspace": "acme", "customer": map[string]string{"external_id": "cus_1001", "name": "Alice"}, "user_hash": hash}
		}
		for _, hash := range []string{"", "00", desk.UserHash(secret, "cus_1002"), desk.UserHash("wrong secret", "cus_1001")} {
			e.fails(t, "POST", "/api/v1/widget/session", "", session(hash), http.StatusUnauthorized, "unauthorized")
		}
		var out struct {
			Token      string `json:"token"`
			CustomerID int64  `json:"customer_id"`
			Verified   bool   `json:"verified"`
		}
		e.call(t, "POST", "/api/v1/widget/session", "", session(desk.UserHash(secret, "cus_1001")), http.StatusCreated, &out)
		if out.Token == "" || out.CustomerID == 0 || !out.Verified {
			t.Errorf("verified session: %+v, want a token and verified true", out)
		}
		// The verified customer is the seeded one: the same id on a second session.
		var again struct {
			CustomerID int64 `json:"customer_id"`
		}
		e.call(t, "POST", "/api/v1/widget/session", "", session(strings.ToUpper(desk.UserHash(secret, "cus_1001"))), http.StatusCreated, &again)
		if again.CustomerID != out.CustomerID {
			t.Errorf("second session of cus_1001 is customer %d, want %d", again.CustomerID, out.CustomerID)
		}
		e.fails(t, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": "nope"}, http.StatusNotFound, "not_found")
	})

	t.Run("another agent's offer", func(t *testing.T) {
		ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
		ben, _ := e.login(t, "ben@acme.test", app.DemoPassword) // ben stays offline
		cust := e.customer(t, "acme")
		conv := e.start(t, cust, "x-1", "I want to talk to a person")
		e.setStatus(t, ana, "available")
		of := e.waitOffer(t, ana, conv.ID)
		for _, token := range []string{ben, hank} {
			e.fails(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), token, nil, http.StatusNotFound, "not_found")
			e.fails(t, "POST", fmt.Sprintf("/api/v1/offers/%d/decline", of.ID), token, nil, http.StatusNotFound, "not_found")
		}
		if c := e.conversation(t, cust, conv.ID); c.Status != "queued" || c.AssigneeID != nil {
			t.Errorf("after others tried the offer the conversation is %+v, want still queued", c)
		}
		if list := e.offers(t, ana); len(list) != 1 || list[0].ID != of.ID || list[0].Status != "pending" {
			t.Errorf("ana's offers after others tried hers: %+v", list)
		}
		e.setStatus(t, ana, "offline") // rescinds the offer
		if list := e.offers(t, ana); len(list) != 0 {
			t.Errorf("offline ana still has offers: %+v", list)
		}
	})
}

// TestBadInput: oversized, malformed and invalid requests get a JSON error
// with the documented status and code.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "b-1", cardQuestion)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	big := strings.Repeat("a", 70<<10)
	convPath := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	tests := []struct {
		name, method, path string
		token              string
		body               any
		status             int
		code               string
	}{
		{"body over 64 KiB", "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"body":"` + big + `"}}`), 413, "payload_too_large"},
		{"message over 64 KiB", "POST", convPath + "/messages", cust, rawBody(`{"body":"` + big + `"}`), 413, "payload_too_large"},
		{"session over 64 KiB", "POST", "/api/v1/widget/session", "", rawBody(`{"workspace":"` + big + `"}`), 413, "payload_too_large"},
		{"malformed JSON", "POST", "/api/v1/conversations", cust, rawBody(`{"message":`), 400, "invalid_json"},
		{"not JSON", "POST", "/api/v1/conversations", cust, rawBody(`hello`), 400, "invalid_json"},
		{"empty request body", "POST", "/api/v1/conversations", cust, rawBody(``), 400, "invalid_json"},
		{"trailing object", "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"body":"hi"}} {}`), 400, "invalid_json"},
		{"trailing garbage", "POST", convPath + "/messages", cust, rawBody(`{"body":"hi"}x`), 400, "invalid_json"},
		{"unknown field", "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"body":"hi"},"extra":1}`), 400, "invalid_json"},
		{"unknown nested field", "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"text":"hi"}}`), 400, "invalid_json"},
		{"unknown field on login", "POST", "/api/v1/auth/login", "", rawBody(`{"email":"a","password":"b","remember":true}`), 400, "invalid_json"},
		{"wrong type", "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"body":5}}`), 400, "invalid_json"},
		{"empty first message", "POST", "/api/v1/conversations", cust, map[string]any{"message": map[string]string{"body": "  "}}, 400, "bad_request"},
		{"no first message", "POST", "/api/v1/conversations", cust, map[string]any{}, 400, "bad_request"},
		{"empty message", "POST", convPath + "/messages", cust, map[string]any{"body": ""}, 400, "bad_request"},
		{"blank staff message", "POST", convPath + "/messages", admin, map[string]any{"body": " \n\t"}, 400, "bad_request"},
		{"message too long", "POST", convPath + "/messages", cust, map[string]any{"body": strings.Repeat("é", model.MaxBodyLen+1)}, 400, "bad_request"},
		{"client_id too long", "POST", convPath + "/messages", cust, map[string]any{"body": "hi", "client_id": strings.Repeat("k", model.MaxClientIDLen+1)}, 400, "bad_request"},
		{"non-numeric id", "GET", "/api/v1/conversations/abc", cust, nil, 404, "not_found"},
		{"non-numeric id, messages", "GET", "/api/v1/conversations/abc/messages", cust, nil, 404, "not_found"},
		{"non-numeric offer id", "POST", "/api/v1/offers/abc/accept", admin, nil, 404, "not_found"},
		{"zero id", "GET", "/api/v1/conversations/0", cust, nil, 404, "not_found"},
		{"unknown id", "GET", "/api/v1/conversations/999999", cust, nil, 404, "not_found"},
		{"unknown offer", "POST", "/api/v1/offers/999999/accept", admin, nil, 404, "not_found"},
		{"limit over 1000", "GET", convPath + "/messages?limit=5000", cust, nil, 400, "bad_request"},
		{"negative limit", "GET", convPath + "/messages?limit=-1", cust, nil, 400, "bad_request"},
		{"non-numeric after", "GET", convPath + "/messages?after=x", cust, nil, 400, "bad_request"},
		{"unknown status filter", "GET", "/api/v1/conversations?status=sleeping", admin, nil, 400, "bad_request"},
		{"bad assignee filter", "GET", "/api/v1/conversations?assignee=ana", admin, nil, 400, "bad_request"},
		{"unknown agent status", "PUT", "/api/v1/agents/me/status", admin, map[string]string{"status": "sleeping"}, 400, "bad_request"},
		{"no workspace", "POST", "/api/v1/widget/session", "", map[string]any{}, 400, "bad_request"},
		{"unknown endpoint", "GET", "/api/v1/nope", cust, nil, 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fails(t, tc.method, tc.path, tc.token, tc.body, tc.status, tc.code)
		})
	}
	// Nothing above changed the conversation.
	if msgs := e.messages(t, cust, conv.ID); len(msgs) != 2 {
		t.Errorf("bad requests added messages: %+v", msgs)
	}
}

// TestConcurrentAccept: of 20 simultaneous accepts of one offer exactly one
// wins; the conversation has exactly one owner.
func TestConcurrentAccept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "cc-1", "I want to talk to a person")
	e.setStatus(t, ana, "available")
	of := e.waitOffer(t, ana, conv.ID)

	const n = 20
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			req, err := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/offers/%d/accept", e.srv.URL, of.ID), nil)
			if err != nil {
				results[i].err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+ana)
			res, err := e.srv.Client().Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			results[i].status = res.StatusCode
			results[i].body, results[i].err = io.ReadAll(res.Body)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("accept %d: %v", i, r.err)
		}
		if r.status == http.StatusOK {
			won++
			continue
		}
		checkError(t, fmt.Sprintf("accept %d", i), r.status, r.body, http.StatusConflict, "offer_unavailable")
	}
	if won != 1 {
		t.Fatalf("%d accepts succeeded, want exactly 1", won)
	}
	c := e.conversation(t, admin, conv.ID)
	if c.Status != "assigned" || c.AssigneeID == nil || *c.AssigneeID != anaAgent.ID {
		t.Errorf("conversation: %+v, want assigned to ana", c)
	}
	var agents struct {
		Agents []agent `json:"agents"`
	}
	e.call(t, "GET", "/api/v1/agents", admin, nil, http.StatusOK, &agents)
	total := 0
	for _, a := range agents.Agents {
		total += a.Active
		if a.ID == anaAgent.ID && a.Active != 1 {
			t.Errorf("ana has %d active conversations, want 1", a.Active)
		}
	}
	if total != 1 {
		t.Errorf("%d active conversations over all agents, want 1", total)
	}
	// The event log records one acceptance and one assignment.
	all := e.openStream(t, admin, 0)
	e.post(t, admin, conv.ID, "", "sentinel", false)
	all.waitMessage("sentinel")
	counts := map[string]int{}
	for _, f := range all.seen {
		if f.ConversationID != nil && *f.ConversationID == conv.ID {
			counts[f.Type]++
		}
	}
	if counts[model.EventOfferAccepted] != 1 || counts[model.EventConversationAssigned] != 1 {
		t.Errorf("events of the conversation: %v, want one offer.accepted and one conversation.assigned", counts)
	}
}

// TestCapacity: an agent of capacity 3 with 5 conversations queued never
// holds more than 3 offers and conversations together.
func TestCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")
	for i := range 5 {
		if c := e.start(t, cust, fmt.Sprint("q-", i), "I need a human please"); c.Status != "queued" {
			t.Fatalf("conversation %d is %q, want queued", i, c.Status)
		}
	}
	if a := e.setStatus(t, ana, "available"); a.Capacity != 3 {
		t.Fatalf("ana's capacity is %d, want the default 3", a.Capacity)
	}
	// load reads the offers first, then the agent: only the dispatcher acts
	// meanwhile, and it never changes the active count, so the sum is exact.
	load := func() ([]offer, int) {
		t.Helper()
		offers := e.offers(t, ana)
		me := e.me(t, ana)
		if len(offers)+me.Active > me.Capacity {
			t.Fatalf("ana holds %d offers and %d conversations, over her capacity %d", len(offers), me.Active, me.Capacity)
		}
		return offers, me.Active
	}
	accept := func() int64 {
		t.Helper()
		var list []offer
		eventually(t, waitTimeout, "an offer for ana", func() bool {
			list, _ = load()
			return len(list) > 0
		})
		var acc struct {
			Conversation conversation `json:"conversation"`
		}
		e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", list[0].ID), ana, nil, http.StatusOK, &acc)
		load()
		return acc.Conversation.ID
	}
	eventually(t, waitTimeout, "three offers for ana", func() bool {
		offers, _ := load()
		return len(offers) == 3
	})
	var assigned []int64
	for range 3 {
		assigned = append(assigned, accept())
	}
	offers, active := load()
	if len(offers) != 0 || active != 3 {
		t.Fatalf("ana holds %d offers and %d conversations, want 0 and 3", len(offers), active)
	}
	var queued struct {
		Conversations []conversation `json:"conversations"`
	}
	e.call(t, "GET", "/api/v1/conversations?status=queued", admin, nil, http.StatusOK, &queued)
	if len(queued.Conversations) != 2 {
		t.Fatalf("%d conversations queued, want 2", len(queued.Conversations))
	}
	var positions []int
	for _, c := range queued.Conversations {
		q := e.conversation(t, admin, c.ID).Queue
		if q == nil || q.AgentsOnline != 1 {
			t.Fatalf("queue info of %d: %+v, want 1 agent online", c.ID, q)
		}
		positions = append(positions, q.Position)
	}
	slices.Sort(positions)
	if !slices.Equal(positions, []int{1, 2}) {
		t.Errorf("queue positions %v, want [1 2]", positions)
	}
	var mine struct {
		Conversations []conversation `json:"conversations"`
	}
	e.call(t, "GET", "/api/v1/conversations?assignee=me", ana, nil, http.StatusOK, &mine)
	if len(mine.Conversations) != 3 {
		t.Errorf("ana has %d conversations assigned, want 3", len(mine.Conversations))
	}

	// A slot frees up: one more offer, never more.
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", assigned[0]), ana, nil, http.StatusOK, nil)
	accept()
	offers, active = load()
	if len(offers) != 0 || active != 3 {
		t.Fatalf("ana holds %d offers and %d conversations, want 0 and 3", len(offers), active)
	}
	e.call(t, "GET", "/api/v1/conversations?status=queued", admin, nil, http.StatusOK, &queued)
	if len(queued.Conversations) != 1 {
		t.Errorf("%d conversations queued, want 1", len(queued.Conversations))
	}
}

// TestOfferDeclineAndExpiry: in a workspace with two available agents, a
// declined offer goes to the other agent at once, and an ignored one (with a
// 400 ms offer deadline) expires and goes to the other agent.
func TestOfferDeclineAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ws := e.addWorkspace("fast", 400*time.Millisecond, "fa@fast.test", "fb@fast.test")
	boss, err := e.app.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "boss@fast.test", Name: "Boss", Role: model.RoleAdmin, PasswordHash: cheapHash(t, "pw")})
	if err != nil {
		t.Fatal(err)
	}
	adminToken, _ := e.login(t, boss.Email, "pw")
	type staff struct {
		token string
		agent agent
		s     *stream
	}
	var agents []*staff
	for _, email := range []string{"fa@fast.test", "fb@fast.test"} {
		token, a := e.login(t, email, "pw")
		agents = append(agents, &staff{token: token, agent: a, s: e.openStream(t, token, -1)})
	}
	all := e.openStream(t, adminToken, -1)
	for _, a := range agents {
		e.setStatus(t, a.token, "available")
	}
	cust := e.customer(t, "fast")

	// offered waits until one of the agents has an offer of the conversation.
	offered := func(convID int64) (*staff, *staff, offer) {
		t.Helper()
		var who int
		var got offer
		eventually(t, waitTimeout, fmt.Sprintf("an offer of conversation %d", convID), func() bool {
			for i, a := range agents {
				for _, o := range e.offers(t, a.token) {
					if o.ConversationID == convID {
						who, got = i, o
						return true
					}
				}
			}
			return false
		})
		return agents[who], agents[1-who], got
	}
	// offerEvents reads the admin's stream until an offer of the conversation
	// is made to agentID, and returns the offer events of the conversation.
	offerEvents := func(convID, agentID int64) []string {
		t.Helper()
		var seen []string
		all.waitFor("an offer to the other agent", func(f frame) bool {
			if !strings.HasPrefix(f.Type, "offer.") || f.ConversationID == nil || *f.ConversationID != convID {
				return false
			}
			o := f.offer(t)
			seen = append(seen, fmt.Sprintf("%s:%d", f.Type, o.AgentID))
			return f.Type == model.EventOfferCreated && o.AgentID == agentID
		})
		return seen
	}

	// acceptWithin sets the workspace's offer deadline.
	acceptWithin := func(t *testing.T, seconds float64) {
		t.Helper()
		e.call(t, "PUT", "/api/v1/settings/routing", adminToken, map[string]any{"accept_seconds": seconds}, http.StatusOK, nil)
	}

	t.Run("declined", func(t *testing.T) {
		// Time enough to decline on a loaded machine: 400 ms could run out
		// between seeing the offer and declining it.
		acceptWithin(t, 60)
		conv := e.start(t, cust, "d-1", fraudQuestion)
		if conv.Status != "queued" {
			t.Fatalf("conversation is %q, want queued (a sensitive matter goes to a person)", conv.Status)
		}
		first, second, of := offered(conv.ID)
		var declined offer
		e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/decline", of.ID), first.token, nil, http.StatusOK, &declined)
		if declined.Status != "declined" {
			t.Fatalf("declined offer: %+v", declined)
		}
		next := e.waitOffer(t, second.token, conv.ID)
		if next.ID == of.ID || next.AgentID != second.agent.ID {
			t.Errorf("the offer after a decline: %+v, want a new offer to %d", next, second.agent.ID)
		}
		want := []string{"offer.created:" + fmt.Sprint(first.agent.ID), "offer.declined:" + fmt.Sprint(first.agent.ID), "offer.created:" + fmt.Sprint(second.agent.ID)}
		if got := offerEvents(conv.ID, second.agent.ID); !slices.Equal(got, want) {
			t.Errorf("offer events %v, want %v", got, want)
		}
		first.s.waitType(model.EventOfferDeclined, conv.ID)
		e.fails(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), first.token, nil, http.StatusConflict, "offer_unavailable")
		e.fails(t, "POST", fmt.Sprintf("/api/v1/offers/%d/decline", of.ID), first.token, nil, http.StatusConflict, "offer_unavailable")
		// The second agent takes it, so it stops moving between them.
		e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", next.ID), second.token, nil, http.StatusOK, nil)
	})

	t.Run("expired", func(t *testing.T) {
		acceptWithin(t, 0.4)
		conv := e.start(t, cust, "x-1", fraudQuestion)
		first, second, of := offered(conv.ID)
		if d := of.ExpiresAt.Sub(time.Now()); d > 400*time.Millisecond+time.Second {
			t.Errorf("the offer expires in %v, want about 400ms", d)
		}
		// The first agent does nothing: the offer expires and goes to the other.
		next := e.waitOffer(t, second.token, conv.ID)
		if next.ID == of.ID || next.AgentID != second.agent.ID {
			t.Errorf("the offer after expiry: %+v, want a new offer to %d", next, second.agent.ID)
		}
		want := []string{"offer.created:" + fmt.Sprint(first.agent.ID), "offer.expired:" + fmt.Sprint(first.agent.ID), "offer.created:" + fmt.Sprint(second.agent.ID)}
		if got := offerEvents(conv.ID, second.agent.ID); !slices.Equal(got, want) {
			t.Errorf("offer events %v, want %v", got, want)
		}
		if ex := first.s.waitType(model.EventOfferExpired, conv.ID).offer(t); ex.ID != of.ID || ex.Status != "expired" {
			t.Errorf("offer.expired on the first agent's stream: %+v, want offer %d expired", ex, of.ID)
		}
		e.fails(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), first.token, nil, http.StatusConflict, "offer_unavailable")
		for _, o := range e.offers(t, first.token) {
			if o.ConversationID == conv.ID && o.ID == of.ID {
				t.Errorf("the expired offer is still pending: %+v", o)
			}
		}
		// Stop the offers going round.
		for _, a := range agents {
			e.setStatus(t, a.token, "offline")
		}
	})
}

// TestHealthAndPages: the probes, the OpenAPI document and the UI pages.
func TestHealthAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		path, ctype string
	}{
		{"/healthz", "text/plain"},
		// /readyz: TestReadyzWaitsForTheWorkers (this env runs no RunWorkers).
		{"/api/v1/openapi.json", "application/json"},
		{"/widget.js", "text/javascript"},
		{"/demo", "text/html"},
		{"/agent", "text/html"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := e.srv.Client().Get(e.srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tc.ctype)
			}
			if len(body) == 0 {
				t.Errorf("empty body")
			}
			if tc.path == "/api/v1/openapi.json" {
				var doc map[string]any
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatalf("not valid JSON: %v", err)
				}
				if v, ok := doc["openapi"].(string); !ok || !strings.HasPrefix(v, "3.1") {
					t.Errorf("openapi = %v, want 3.1.x", doc["openapi"])
				}
				if _, ok := doc["paths"].(map[string]any); !ok {
					t.Errorf("the document has no paths")
				}
			}
		})
	}
	t.Run("CORS preflight", func(t *testing.T) {
		req, _ := http.NewRequest("OPTIONS", e.srv.URL+"/api/v1/conversations", nil)
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight: %d, Access-Control-Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

// TestCLI runs the command line: help, flags with their environment
// variables, version, and errors.
func TestCLI(t *testing.T) {
	t.Parallel()
	flags := regexp.MustCompile(`--([a-z][a-z-]*)\s+[^\n]*\n\s+env (TANDEM_[A-Z_]+)`)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		stdout     []string
		stderr     []string
		checkFlags bool
	}{
		{name: "help", args: []string{"--help"}, stdout: []string{"Usage: tandem", "demo", "serve", "version"}},
		{name: "help word", args: []string{"help"}, stdout: []string{"serve"}},
		{name: "no command", args: nil, code: 2, stderr: []string{"Usage: tandem"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`, "Usage: tandem"}},
		{name: "version", args: []string{"version"}, stdout: []string{"tandem " + app.Version}},
		{name: "serve help", args: []string{"serve", "--help"}, stdout: []string{"Usage: tandem serve"}, checkFlags: true},
		{name: "demo help", args: []string{"demo", "--help"}, stdout: []string{"Usage: tandem demo", "acme"}, checkFlags: true},
		{name: "unknown flag", args: []string{"serve", "--no-such-flag"}, code: 2},
		{name: "invalid flag value", args: []string{"serve", "--log-format", "xml"}, code: 2, stderr: []string{"log-format"}},
		{name: "invalid environment", args: []string{"serve"}, env: map[string]string{"TANDEM_LOG_FORMAT": "xml"}, code: 2, stderr: []string{"log-format"}},
		{name: "stray argument", args: []string{"serve", "extra"}, code: 2, stderr: []string{"extra"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := app.Main(tc.args, func(k string) string { return tc.env[k] }, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, &stderr)
				}
			}
			if !tc.checkFlags {
				return
			}
			listed := map[string]bool{}
			for _, m := range flags.FindAllStringSubmatch(stdout.String(), -1) {
				listed[m[1]] = true
				if want := "TANDEM_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_")); m[2] != want {
					t.Errorf("flag --%s has variable %s, want %s", m[1], m[2], want)
				}
			}
			if n := strings.Count(stdout.String(), "\n  --"); n != len(listed) {
				t.Errorf("%d flags listed, %d of them with their variable:\n%s", n, len(listed), &stdout)
			}
			for _, f := range []string{"addr", "data-dir", "public-url", "log-level", "log-format", "shutdown-timeout"} {
				if !listed[f] {
					t.Errorf("flag --%s is not listed with its variable:\n%s", f, &stdout)
				}
			}
		})
	}
}

// TestSeedIdempotent runs the real demo seed twice over a fresh database:
// nothing is added or changed the second time, and the demo logins work.
func TestSeedIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.Open(ctx, configFor(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	first, err := app.Seed(ctx, a.Store)
	if err != nil {
		t.Fatal(err)
	}
	count := func() (int, int) {
		t.Helper()
		agents, err := a.Store.Agents(ctx, first.Workspace.ID)
		if err != nil {
			t.Fatal(err)
		}
		articles, err := a.Store.Articles(ctx, first.Workspace.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		return len(agents), len(articles)
	}
	agents1, articles1 := count()
	if agents1 != 4 || articles1 == 0 || first.IdentitySecret == "" || len(first.Staff) != 4 {
		t.Fatalf("after the first seed: %d agents, %d articles, secret %q, %d staff", agents1, articles1, first.IdentitySecret, len(first.Staff))
	}
	second, err := app.Seed(ctx, a.Store)
	if err != nil {
		t.Fatal(err)
	}
	agents2, articles2 := count()
	if agents2 != agents1 || articles2 != articles1 {
		t.Errorf("the second seed changed the counts: agents %d → %d, articles %d → %d", agents1, agents2, articles1, articles2)
	}
	if second.IdentitySecret != first.IdentitySecret || second.Workspace.ID != first.Workspace.ID {
		t.Errorf("the second seed changed the workspace: secret %q → %q, id %d → %d", first.IdentitySecret, second.IdentitySecret, first.Workspace.ID, second.Workspace.ID)
	}
	for i := range first.Staff {
		if first.Staff[i].ID != second.Staff[i].ID || first.Staff[i].PasswordHash != second.Staff[i].PasswordHash {
			t.Errorf("the second seed changed staff member %s", first.Staff[i].Email)
		}
	}
	// The seeded password works.
	if _, _, err := a.Desk.Login(ctx, "ana@acme.test", app.DemoPassword, "127.0.0.1"); err != nil {
		t.Errorf("login with the demo password: %v", err)
	}
	var out bytes.Buffer
	second.Print(&out, "http://localhost:8080")
	if !strings.Contains(out.String(), second.IdentitySecret) || !strings.Contains(out.String(), "http://localhost:8080/demo") {
		t.Errorf("the demo info lacks the secret or the URL:\n%s", &out)
	}
}

func equalIDs(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
