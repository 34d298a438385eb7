package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
)

// swedishHuman asks for a person in Swedish; Ana is the only demo agent
// who speaks it.
const swedishHuman = "Hej! Jag vill prata med en människa om mitt kort, tack."

// queued is a row of GET /api/v1/queue.
type queued struct {
	ConversationID int64     `json:"conversation_id"`
	Position       int       `json:"position"`
	WaitingSeconds *int      `json:"waiting_seconds"`
	Language       string    `json:"language"`
	Intent         string    `json:"intent"`
	Offered        bool      `json:"offered"`
	CanTake        bool      `json:"can_take"`
	Queue          queueInfo `json:"queue"`
}

func (e *env) queue(t *testing.T, token string) []queued {
	t.Helper()
	var out struct {
		Queue []queued `json:"queue"`
	}
	e.call(t, "GET", "/api/v1/queue", token, nil, http.StatusOK, &out)
	return out.Queue
}

// setCapacity changes an agent's capacity, as an admin.
func (e *env) setCapacity(t *testing.T, admin string, agentID int64, capacity int) {
	t.Helper()
	e.call(t, "PUT", fmt.Sprintf("/api/v1/agents/%d", agentID), admin, map[string]any{"capacity": capacity}, http.StatusOK, nil)
}

// accept waits for an offer of the conversation to the agent and accepts it.
func (e *env) accept(t *testing.T, token string, convID int64) {
	t.Helper()
	o := e.waitOffer(t, token, convID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), token, nil, http.StatusOK, nil)
}

// TestSkippedRingIsRecordedAndServedAtOnce: a Swedish customer while
// nobody online speaks Swedish: the rings that require Swedish cannot be
// met by waiting, so they are skipped at once — Ben is offered the
// conversation now, not three minutes later — and the skip is on record.
func TestSkippedRingIsRecordedAndServedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ben, _ := e.login(t, "ben@acme.test", app.DemoPassword)
	staff := e.openStream(t, admin, 0)
	defer staff.close()
	e.setStatus(t, ben, "available")
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "sv-1", swedishHuman)
	o := e.waitOffer(t, ben, conv.ID)
	if o.ConversationID != conv.ID {
		t.Fatalf("offer %+v", o)
	}
	f := staff.waitType("conversation.ring_widened", conv.ID)
	var w struct {
		Ring    int      `json:"ring"`
		Skills  []string `json:"skills"`
		Skipped bool     `json:"skipped"`
	}
	if err := json.Unmarshal(f.Data, &w); err != nil || w.Ring != 3 || !w.Skipped || len(w.Skills) != 0 {
		t.Errorf("widening on record %s (%v), want ring 3, skipped, no skills", f.Data, err)
	}
}

// TestCooldownOnlyWhileSomeoneElseCould: the only agent online who can
// take a conversation passes on it; nobody else could take it, so it is
// offered to them again at once rather than after the cooldown.
func TestCooldownOnlyWhileSomeoneElseCould(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ben, _ := e.login(t, "ben@acme.test", app.DemoPassword)
	e.setStatus(t, ben, "available")
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "cd-1", "I want to talk to a person")
	first := e.waitOffer(t, ben, conv.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/decline", first.ID), ben, nil, http.StatusOK, nil)
	eventually(t, waitTimeout, "the conversation offered to ben again", func() bool {
		for _, o := range e.offers(t, ben) {
			if o.ConversationID == conv.ID && o.ID != first.ID {
				return true
			}
		}
		return false
	})
}

// TestExpectedWaitIsHonest: what a waiting customer is told comes from
// the order dispatch serves in: unknown while nobody who could take the
// conversation is online, and never "under a minute" while nobody who
// can take it is free — counting the rings the conversation has not
// reached yet.
func TestExpectedWaitIsHonest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, _ := e.login(t, "ben@acme.test", app.DemoPassword)

	// Nobody online: no estimate, and the customer is told so.
	first := e.customer(t, "acme")
	c1 := e.start(t, first, "w-1", swedishHuman)
	got := e.conversation(t, first, c1.ID)
	if q := got.Queue; got.Status != "queued" || q == nil || q.ExpectedWaitSeconds != nil || !q.ExpectedWaitUnknown || q.AgentsOnline != 0 {
		t.Fatalf("nobody online: status %s, queue %+v; want expected_wait_seconds null, expected_wait_unknown", got.Status, q)
	}

	// Ana (the one who speaks Swedish, capacity 1) takes the first; Ben is free but
	// needs the last ring, three minutes away.
	e.setCapacity(t, admin, anaAgent.ID, 1)
	e.setStatus(t, ana, "available")
	e.accept(t, ana, c1.ID)
	e.setStatus(t, ben, "available")
	second := e.customer(t, "acme")
	c2 := e.start(t, second, "w-2", swedishHuman)
	got = e.conversation(t, second, c2.ID)
	q := got.Queue
	if got.Status != "queued" || q == nil || q.ExpectedWaitSeconds == nil || q.ExpectedWaitUnknown {
		t.Fatalf("status %s, queue %+v; want a known wait", got.Status, q)
	}
	if w := *q.ExpectedWaitSeconds; w < 120 || w > 240 {
		t.Errorf("expected wait %d s; want the last ring's three minutes (Ana's slot takes longer), never under a minute", w)
	}
	if len(e.offers(t, ben)) != 0 {
		t.Error("Ben was offered a conversation his rings do not reach yet")
	}
}

// TestAgentsTakeFromTheQueue: agents see the queue they could take, with
// position, waiting time, language and intent, and may take a
// conversation from it with the invariants of an accepted offer.
func TestAgentsTakeFromTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benAgent := e.login(t, "ben@acme.test", app.DemoPassword)
	e.setCapacity(t, admin, benAgent.ID, 1)
	e.setStatus(t, ben, "available")
	custA := e.customer(t, "acme")
	a := e.start(t, custA, "t-1", "I want to talk to a person")
	e.accept(t, ben, a.ID)
	custB := e.customer(t, "acme")
	b := e.start(t, custB, "t-2", cardQuestion+" I want to talk to a person")

	var row queued
	eventually(t, waitTimeout, "the second conversation in Ben's queue", func() bool {
		for _, r := range e.queue(t, ben) {
			if r.ConversationID == b.ID {
				row = r
				return true
			}
		}
		return false
	})
	if row.Position != 1 || row.WaitingSeconds == nil || row.Language != "en" || row.Intent == "" || row.CanTake || row.Offered {
		t.Errorf("queue row %+v: want position 1, waiting time, language, intent, and not takeable (Ben is full)", row)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d/take", b.ID)
	e.fails(t, "POST", path, ben, nil, http.StatusConflict, "conflict")     // no free slot
	e.fails(t, "POST", path, ana, nil, http.StatusConflict, "conflict")     // not available
	e.fails(t, "POST", path, custB, nil, http.StatusForbidden, "forbidden") // customers cannot

	// Ben's slot frees: he takes it (whether or not dispatch offered it to him first).
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", a.ID), ben, nil, http.StatusOK, nil)
	var took struct {
		Conversation conversation `json:"conversation"`
	}
	e.call(t, "POST", path, ben, nil, http.StatusOK, &took)
	if c := took.Conversation; c.Status != "assigned" || c.AssigneeID == nil || *c.AssigneeID != benAgent.ID {
		t.Errorf("taken conversation %+v", c)
	}
	e.fails(t, "POST", path, ben, nil, http.StatusConflict, "conflict") // not in the queue any more

	// Two agents take the same conversation at once: one owner.
	e.setStatus(t, ana, "available")
	e.setCapacity(t, admin, benAgent.ID, 3)
	custC := e.customer(t, "acme")
	c := e.start(t, custC, "t-3", "I want to talk to a person")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, tok := range []string{ana, ben} {
		wg.Go(func() { codes[i], _ = e.do(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/take", c.ID), tok, nil) })
	}
	wg.Wait()
	if !(codes[0] == http.StatusOK) != (codes[1] == http.StatusOK) || (codes[0] != http.StatusConflict && codes[1] != http.StatusConflict) {
		t.Errorf("two takes answered %v: want exactly one 200 and one 409", codes)
	}
}

// TestGoingOfflineHandsConversationsBack: an agent who goes offline with
// a conversation in hand gives it back to the front of the queue, ahead
// of those who waited longer, and the customer is told in their language.
func TestGoingOfflineHandsConversationsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ben, benAgent := e.login(t, "ben@acme.test", app.DemoPassword)
	e.setCapacity(t, admin, benAgent.ID, 1)
	e.setStatus(t, ben, "available")
	swede := e.customer(t, "acme")
	s := e.start(t, swede, "off-1", swedishHuman)
	e.accept(t, ben, s.ID)
	other := e.customer(t, "acme")
	w := e.start(t, other, "off-2", "I want to talk to a person") // waits: Ben is full

	e.setStatus(t, ben, "offline")
	got := e.conversation(t, swede, s.ID)
	if got.Status != "queued" || got.AssigneeID != nil {
		t.Fatalf("after Ben went offline: %+v, want queued without an owner", got)
	}
	q := e.queue(t, admin)
	if len(q) != 2 || q[0].ConversationID != s.ID || q[1].ConversationID != w.ID {
		t.Errorf("queue %+v: want the handed-back conversation %d first, then %d", q, s.ID, w.ID)
	}
	msgs := e.messages(t, swede, s.ID)
	last := msgs[len(msgs)-1]
	if last.AuthorKind != "system" || !strings.Contains(last.Body, "kön") {
		t.Errorf("last message %+v: want a system notice in Swedish", last)
	}
}
