package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/tandem-desk/tandem/internal/app"
)

type cannedReply struct {
	ID       int64  `json:"id"`
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Body     string `json:"body"`
}

type taggedConversation struct {
	ID     int64    `json:"id"`
	Status string   `json:"status"`
	Tags   []string `json:"tags"`
}

// assignTo hands a new conversation of a fresh customer to the agent (the
// only one available) and returns the customer's token and the conversation.
func (e *env) assignTo(t *testing.T, agentToken string, body string) (string, conversation) {
	t.Helper()
	cust := e.customer(t, "acme")
	c := e.start(t, cust, "c-"+body, body)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", c.ID), cust, nil, http.StatusOK, nil)
	o := e.waitOffer(t, agentToken, c.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), agentToken, nil, http.StatusOK, nil)
	return cust, e.conversation(t, agentToken, c.ID)
}

// TestCannedRepliesAPI: admins write canned replies, all staff read them,
// customers do neither.
func TestCannedRepliesAPI(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")

	var c cannedReply
	e.call(t, "POST", "/api/v1/canned-replies", admin, map[string]string{"shortcut": "Refund", "title": "Refund times", "body": "Refunds take 3–5 working days."}, http.StatusCreated, &c)
	if c.ID == 0 || c.Shortcut != "refund" || c.Title != "Refund times" {
		t.Fatalf("created %+v", c)
	}
	e.fails(t, "POST", "/api/v1/canned-replies", ana, map[string]string{"shortcut": "x", "body": "y"}, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/canned-replies", admin, map[string]string{"shortcut": "refund", "body": "y"}, http.StatusConflict, "conflict")
	e.fails(t, "POST", "/api/v1/canned-replies", admin, map[string]string{"shortcut": "bad shortcut", "body": "y"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "GET", "/api/v1/canned-replies", cust, nil, http.StatusForbidden, "forbidden")

	var list struct {
		CannedReplies []cannedReply `json:"canned_replies"`
	}
	e.call(t, "GET", "/api/v1/canned-replies", ana, nil, http.StatusOK, &list)
	if len(list.CannedReplies) != 1 || list.CannedReplies[0] != c {
		t.Fatalf("list %+v", list)
	}
	e.call(t, "PUT", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), admin, map[string]string{"shortcut": "refund", "body": "Refunds take 3 to 5 working days."}, http.StatusOK, &c)
	if c.Title != "refund" || c.Body != "Refunds take 3 to 5 working days." {
		t.Fatalf("updated %+v", c)
	}
	e.fails(t, "DELETE", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), ana, nil, http.StatusForbidden, "forbidden")
	e.call(t, "DELETE", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), admin, nil, http.StatusNoContent, nil)
	e.fails(t, "GET", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), ana, nil, http.StatusNotFound, "not_found")
}

// TestTagsAPI: staff tag a conversation and see the tags in the
// conversation and the list; its customer never sees them.
func TestTagsAPI(t *testing.T) {
	e := newEnv(t)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	cust, c := e.assignTo(t, ana, "I want to talk to a person about my refund")

	var got taggedConversation
	e.call(t, "PUT", fmt.Sprintf("/api/v1/conversations/%d/tags", c.ID), ana, map[string]any{"tags": []string{"Refund", "vip", "refund"}}, http.StatusOK, &got)
	if !reflect.DeepEqual(got.Tags, []string{"refund", "vip"}) || got.ID != c.ID {
		t.Fatalf("tagged %+v", got)
	}
	var list struct {
		Conversations []taggedConversation `json:"conversations"`
	}
	e.call(t, "GET", "/api/v1/conversations?assignee=me", ana, nil, http.StatusOK, &list)
	if len(list.Conversations) != 1 || !reflect.DeepEqual(list.Conversations[0].Tags, []string{"refund", "vip"}) {
		t.Fatalf("list %+v", list)
	}
	status, raw := e.do(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", c.ID), cust, nil)
	if status != http.StatusOK || strings.Contains(string(raw), `"tags"`) {
		t.Fatalf("the customer's view: %d %s", status, raw)
	}
	e.fails(t, "PUT", fmt.Sprintf("/api/v1/conversations/%d/tags", c.ID), cust, map[string]any{"tags": []string{"x"}}, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", fmt.Sprintf("/api/v1/conversations/%d/tags", c.ID), ana, map[string]any{}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", "/api/v1/conversations/999999/tags", ana, map[string]any{"tags": []string{"x"}}, http.StatusNotFound, "not_found")
	got = taggedConversation{}
	e.call(t, "PUT", fmt.Sprintf("/api/v1/conversations/%d/tags", c.ID), ana, map[string]any{"tags": []string{}}, http.StatusOK, &got)
	if got.ID != c.ID || len(got.Tags) != 0 {
		t.Fatalf("cleared %+v", got)
	}
}

// TestTransferAPI: an agent gives a conversation to a colleague, who is
// offered it at once and accepts; a colleague who cannot take it is a 409
// that says why; only the owner (or an admin) may transfer; back to the
// queue frees the slot and the customer is told.
func TestTransferAPI(t *testing.T) {
	e := newEnv(t)
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benAgent := e.login(t, "ben@acme.test", app.DemoPassword)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	cust, c := e.assignTo(t, ana, "I want to talk to a person")
	path := fmt.Sprintf("/api/v1/conversations/%d/transfer", c.ID)

	status, raw := e.do(t, "POST", path, ana, map[string]any{"agent_id": benAgent.ID})
	checkError(t, "transfer to Ben while he is offline", status, raw, http.StatusConflict, "conflict")
	if !strings.Contains(string(raw), "Ben is offline") {
		t.Errorf("the 409 does not say why: %s", raw)
	}
	e.fails(t, "POST", path, ana, map[string]any{}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", path, ana, map[string]any{"to": "queue", "agent_id": benAgent.ID}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", path, ana, map[string]any{"to": "somewhere"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", path, cust, map[string]any{"to": "queue"}, http.StatusForbidden, "forbidden")
	e.setStatus(t, ben, "available")
	e.fails(t, "POST", path, ben, map[string]any{"to": "queue"}, http.StatusForbidden, "forbidden")

	var res struct {
		Conversation conversation `json:"conversation"`
		Offer        *offer       `json:"offer"`
	}
	e.call(t, "POST", path, ana, map[string]any{"agent_id": benAgent.ID, "note": "She asked about a refund."}, http.StatusOK, &res)
	if res.Conversation.Status != "queued" || res.Offer == nil || res.Offer.AgentID != benAgent.ID || res.Conversation.HandoffReason != "transferred by Ana" {
		t.Fatalf("transfer: %+v", res)
	}
	if e.me(t, ana).Active != 0 {
		t.Errorf("Ana still holds the conversation")
	}
	o := e.waitOffer(t, ben, c.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), ben, nil, http.StatusOK, nil)
	if got := e.conversation(t, ben, c.ID); got.Status != "assigned" || got.AssigneeID == nil || *got.AssigneeID != benAgent.ID {
		t.Fatalf("after Ben accepts: %+v", got)
	}
	var notice, note bool
	for _, m := range e.messages(t, ben, c.ID) {
		notice = notice || (m.AuthorKind == "system" && strings.Contains(m.Body, "transferred to a colleague"))
		note = note || (m.Internal && m.Body == "Transfer note: She asked about a refund." && m.AuthorName == "Ana")
	}
	if !notice || !note {
		t.Errorf("transcript: customer notice %v, internal note %v", notice, note)
	}
	for _, m := range e.messages(t, cust, c.ID) {
		if m.Internal {
			t.Errorf("the customer sees the internal note %q", m.Body)
		}
	}

	// An admin sends it back to the queue; Ben's slot frees.
	e.call(t, "POST", path, admin, map[string]any{"to": "queue"}, http.StatusOK, &res)
	if res.Conversation.Status != "queued" || res.Offer != nil || res.Conversation.HandoffReason != "transferred by Alex Admin" {
		t.Fatalf("back to the queue: %+v", res)
	}
	if e.me(t, ben).Active != 0 {
		t.Errorf("Ben still holds the conversation")
	}
	e.fails(t, "POST", path, admin, map[string]any{"to": "queue"}, http.StatusConflict, "conflict")
	_ = anaAgent
}

// TestTypingIndicators: a typing notice reaches the other side's stream
// (asked for with ?typing=1) as a frame without a seq, and only there.
func TestTypingIndicators(t *testing.T) {
	e := newEnv(t)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	cust, c := e.assignTo(t, ana, "I want to talk to a person")
	path := fmt.Sprintf("/api/v1/conversations/%d/typing", c.ID)

	dial := func(token, query string) *websocket.Conn {
		url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/stream?token=" + token + query
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.CloseNow() })
		return conn
	}
	read := func(conn *websocket.Conn) map[string]json.RawMessage {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_, raw, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var f map[string]json.RawMessage
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	typ := func(f map[string]json.RawMessage) string {
		var s string
		_ = json.Unmarshal(f["type"], &s)
		return s
	}
	custStream, agentStream, plain := dial(cust, "&typing=1"), dial(ana, "&typing=1"), dial(ana, "")
	for _, s := range []*websocket.Conn{custStream, agentStream, plain} {
		if typ(read(s)) != "ready" {
			t.Fatal("no ready frame")
		}
	}

	e.call(t, "POST", path, cust, nil, http.StatusNoContent, nil)
	f := read(agentStream)
	if typ(f) != "typing" || f["seq"] != nil || string(f["conversation_id"]) != fmt.Sprint(c.ID) ||
		!strings.Contains(string(f["data"]), `"author_kind":"customer"`) {
		t.Fatalf("the agent's frame: %v", f)
	}
	e.call(t, "POST", path, ana, rawBody("{}"), http.StatusNoContent, nil)
	f = read(custStream)
	if typ(f) != "typing" || f["seq"] != nil || string(f["data"]) != `{"author_kind":"agent","name":"Ana"}` {
		t.Fatalf("the customer's frame: %v", f)
	}
	// Nobody hears their own typing, and a stream that did not ask hears none:
	// the next frame each gets is the message.
	e.post(t, ana, c.ID, "m1", "Hello!", false)
	for name, s := range map[string]*websocket.Conn{"agent": agentStream, "plain": plain} {
		if got := typ(read(s)); got != "message.created" {
			t.Errorf("%s stream: next frame %q, want message.created", name, got)
		}
	}
	other := e.customer(t, "acme")
	e.fails(t, "POST", path, other, nil, http.StatusNotFound, "not_found")
	e.fails(t, "POST", path, cust, rawBody(`{"x":1}`), http.StatusBadRequest, "invalid_json")
}
