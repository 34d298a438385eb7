package app_test

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// quizModule is a module with two questions; the right answers are [[1],[0,2]].
func quizModule(certifies string) map[string]any {
	return map[string]any{
		"title": "Acme Pay basics", "body": "# Refunds\nRefunds take 5 days.", "certifies": certifies,
		"questions": []map[string]any{
			{"text": "How long do refunds take?", "choices": []string{"1 day", "5 days", "a month"}, "correct": []int{1}},
			{"text": "Which are cards?", "choices": []string{"Visa", "IBAN", "Mastercard"}, "correct": []int{0, 2}},
		},
		"pass_mark": 1.0, "retake_after_seconds": 3600,
	}
}

type moduleJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Certifies string `json:"certifies"`
	Questions []struct {
		Text    string   `json:"text"`
		Choices []string `json:"choices"`
		Correct []int    `json:"correct"`
	} `json:"questions"`
	Passed    bool       `json:"passed"`
	LastScore *float64   `json:"last_score"`
	RetakeAt  *time.Time `json:"retake_at"`
}

type attemptJSON struct {
	Score    float64    `json:"score"`
	Passed   bool       `json:"passed"`
	RetakeAt *time.Time `json:"retake_at"`
}

// TestTrainingAndCertification: an admin writes a module; an agent reads
// it without the answers, fails, must wait for the retake, and a passing
// attempt grants the skill. A module certifying the workspace makes an
// uncertified person receive work — on probation: one conversation at a
// time, each resolved one marked for review, until a supervisor approves.
func TestTrainingAndCertification(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaMe := e.login(t, "ana@acme.test", app.DemoPassword)

	e.fails(t, "POST", "/api/v1/training/modules", ana, quizModule("workspace"), http.StatusForbidden, "forbidden")
	for name, bad := range map[string]func(m map[string]any){
		"no questions":   func(m map[string]any) { m["questions"] = []any{} },
		"bad certifies":  func(m map[string]any) { m["certifies"] = "everything" },
		"pass mark 0":    func(m map[string]any) { m["pass_mark"] = 0 },
		"pass mark 2":    func(m map[string]any) { m["pass_mark"] = 2 },
		"wrong index":    func(m map[string]any) { m["questions"].([]map[string]any)[0]["correct"] = []int{7} },
		"one choice":     func(m map[string]any) { m["questions"].([]map[string]any)[0]["choices"] = []string{"only"} },
		"no correct":     func(m map[string]any) { m["questions"].([]map[string]any)[0]["correct"] = []int{} },
		"negative retry": func(m map[string]any) { m["retake_after_seconds"] = -1 },
	} {
		m := quizModule("skill:refunds")
		bad(m)
		if status, raw := e.do(t, "POST", "/api/v1/training/modules", admin, m); status != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", name, status, raw)
		}
	}
	var skillMod moduleJSON
	e.call(t, "POST", "/api/v1/training/modules", admin, quizModule("skill:refunds"), http.StatusCreated, &skillMod)
	if len(skillMod.Questions) != 2 || skillMod.Questions[1].Correct == nil {
		t.Fatalf("admin's view of the module: %+v", skillMod)
	}
	// The agent sees the quiz, never the answers.
	status, raw := e.do(t, "GET", fmt.Sprintf("/api/v1/training/modules/%d", skillMod.ID), ana, nil)
	if status != http.StatusOK || strings.Contains(string(raw), "correct") {
		t.Fatalf("agent's view of the module (%d) shows answers: %s", status, raw)
	}
	attempts := fmt.Sprintf("/api/v1/training/modules/%d/attempts", skillMod.ID)
	e.fails(t, "POST", attempts, ana, map[string]any{"answers": [][]int{{1}}}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", attempts, ana, map[string]any{"answers": [][]int{{1}, {9}}}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", attempts, ana, map[string]any{"answers": [][]int{{1}, {0, 0}}}, http.StatusBadRequest, "bad_request")
	var res attemptJSON
	e.call(t, "POST", attempts, ana, map[string]any{"answers": [][]int{{1}, {0}}}, http.StatusCreated, &res)
	if res.Score != 0.5 || res.Passed || res.RetakeAt == nil {
		t.Fatalf("half right: %+v", res)
	}
	e.fails(t, "POST", attempts, ana, map[string]any{"answers": [][]int{{1}, {2, 0}}}, http.StatusConflict, "retake_too_early")
	// Another workspace's module is not found.
	e.addWorkspace("globex", 0, "gina@globex.test")
	gina, _ := e.login(t, "gina@globex.test", "pw")
	e.fails(t, "GET", fmt.Sprintf("/api/v1/training/modules/%d", skillMod.ID), gina, nil, http.StatusNotFound, "not_found")
	e.fails(t, "POST", attempts, gina, map[string]any{"answers": [][]int{{1}, {0, 2}}}, http.StatusNotFound, "not_found")

	// A module without a cool-down: Ben fails, retakes at once, passes.
	noWait := quizModule("workspace")
	noWait["retake_after_seconds"] = 0
	var wsMod moduleJSON
	e.call(t, "POST", "/api/v1/training/modules", admin, noWait, http.StatusCreated, &wsMod)
	// Chen is made uncertified (an applicant would be): no work until he passes.
	chen, chenMe := e.login(t, "chen@acme.test", app.DemoPassword)
	e.call(t, "PUT", fmt.Sprintf("/api/v1/agents/%d", chenMe.ID), admin, map[string]any{"certified_for": []string{}}, http.StatusOK, nil)
	e.setStatus(t, chen, "available")
	_, c1 := e.askForPerson(t, "t1")
	if offers := e.offers(t, chen); len(offers) != 0 {
		t.Fatalf("an uncertified person got offers: %+v", offers)
	}
	wsAttempts := fmt.Sprintf("/api/v1/training/modules/%d/attempts", wsMod.ID)
	e.call(t, "POST", wsAttempts, chen, map[string]any{"answers": [][]int{{0}, {0, 2}}}, http.StatusCreated, &res)
	if res.Passed {
		t.Fatalf("a wrong answer passed: %+v", res)
	}
	e.call(t, "POST", wsAttempts, chen, map[string]any{"answers": [][]int{{1}, {2, 0}}}, http.StatusCreated, &res)
	if !res.Passed || res.Score != 1 {
		t.Fatalf("all right: %+v", res)
	}
	var me struct {
		Capacity     int      `json:"capacity"`
		CertifiedFor []string `json:"certified_for"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", chenMe.ID), admin, nil, http.StatusOK, &me)
	if me.Capacity != 1 || len(me.CertifiedFor) != 1 {
		t.Errorf("after certification (probation): %+v, want capacity 1, certified", me)
	}
	// Now certified: the waiting conversation is offered to him.
	o := e.waitOffer(t, chen, c1.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), chen, nil, http.StatusOK, nil)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c1.ID), chen, nil, http.StatusOK, nil)
	var reviews struct {
		Reviews []struct {
			ConversationID int64  `json:"conversation_id"`
			AgentID        int64  `json:"agent_id"`
			Reason         string `json:"reason"`
		} `json:"reviews"`
	}
	e.fails(t, "GET", "/api/v1/reviews", ana, nil, http.StatusForbidden, "forbidden")
	e.call(t, "GET", "/api/v1/reviews", admin, nil, http.StatusOK, &reviews)
	if len(reviews.Reviews) != 1 || reviews.Reviews[0].ConversationID != c1.ID || reviews.Reviews[0].Reason != "probation" {
		t.Errorf("marked for review: %+v", reviews.Reviews)
	}
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/probation/approve", chenMe.ID), ana, nil, http.StatusForbidden, "forbidden")
	e.call(t, "POST", fmt.Sprintf("/api/v1/agents/%d/probation/approve", chenMe.ID), admin, nil, http.StatusOK, nil)
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", chenMe.ID), admin, nil, http.StatusOK, &me)
	if me.Capacity != 3 {
		t.Errorf("capacity after probation: %d, want 3 back", me.Capacity)
	}
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/probation/approve", chenMe.ID), admin, nil, http.StatusConflict, "conflict")

	var list struct {
		Modules []moduleJSON `json:"modules"`
	}
	e.call(t, "GET", "/api/v1/training/modules", chen, nil, http.StatusOK, &list)
	if len(list.Modules) != 2 || list.Modules[0].Passed || !list.Modules[1].Passed {
		t.Errorf("chen's modules: %+v", list.Modules)
	}
	_ = anaMe
}

type earningsJSON struct {
	Currency string `json:"currency"`
	Total    int64  `json:"total"`
	Entries  []struct {
		Kind           string    `json:"kind"`
		Amount         int64     `json:"amount"`
		ConversationID *int64    `json:"conversation_id"`
		CreatedAt      time.Time `json:"created_at"`
	} `json:"entries"`
}

// askForPerson opens a conversation as a new customer of acme who asks
// for a person at once; it returns the customer's token and the conversation.
func (e *env) askForPerson(t *testing.T, clientID string) (string, conversation) {
	t.Helper()
	cust := e.customer(t, "acme")
	c := e.start(t, cust, clientID, "I want to talk to a human please")
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", c.ID), cust, map[string]any{}, http.StatusOK, nil)
	return cust, c
}

// resolveOne hands a new conversation to agent (available) and resolves it.
func (e *env) resolveOne(t *testing.T, agentTok, clientID string) conversation {
	t.Helper()
	_, c := e.askForPerson(t, clientID)
	o := e.waitOffer(t, agentTok, c.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), agentTok, nil, http.StatusOK, nil)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c.ID), agentTok, nil, http.StatusOK, nil)
	return c
}

// TestPayLedger: the pay policy is validated (no negative or fractional
// money) and only admins set it; a resolve earns its base once — also when
// resolved again — and a surge while the queue is long; an agent sees only
// their own earnings; adjustments need a reason; the payout export (JSON
// and CSV) sums exactly to the ledger.
func TestPayLedger(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaMe := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benMe := e.login(t, "ben@acme.test", app.DemoPassword)
	chen, chenMe := e.login(t, "chen@acme.test", app.DemoPassword)
	e.call(t, "PUT", fmt.Sprintf("/api/v1/agents/%d/role", chenMe.ID), admin, map[string]string{"role": "supervisor"}, http.StatusOK, nil)

	policy := map[string]any{"currency": "EUR", "per_resolved": 250, "per_minute": 0, "surge": []map[string]any{{"queue_at_least": 2, "multiplier": 1.5}}}
	e.fails(t, "GET", "/api/v1/pay-policy", ana, nil, http.StatusNotFound, "not_found")
	e.fails(t, "PUT", "/api/v1/pay-policy", chen, policy, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", "/api/v1/pay-policy", ana, policy, http.StatusForbidden, "forbidden")
	for name, body := range map[string]string{
		"float money":     `{"currency":"EUR","per_resolved":2.5}`,
		"money as string": `{"currency":"EUR","per_resolved":"250"}`,
	} {
		e.fails(t, "PUT", "/api/v1/pay-policy", admin, rawBody(body), http.StatusBadRequest, "invalid_json")
		_ = name
	}
	for _, bad := range []map[string]any{
		{"currency": "EUR", "per_resolved": -1},
		{"currency": "euro", "per_resolved": 250},
		{"currency": "EUR", "per_resolved": 250, "surge": []map[string]any{{"queue_at_least": 2, "multiplier": 0.5}}},
		{"currency": "EUR", "per_resolved": 250, "surge": []map[string]any{{"multiplier": 2}}},
		{"currency": "EUR", "per_resolved": 250, "surge": []map[string]any{{"queue_at_least": 2, "multiplier": 1.555}}},
	} {
		e.fails(t, "PUT", "/api/v1/pay-policy", admin, bad, http.StatusBadRequest, "bad_request")
	}
	e.call(t, "PUT", "/api/v1/pay-policy", admin, policy, http.StatusOK, nil)
	var got map[string]any
	e.call(t, "GET", "/api/v1/pay-policy", ana, nil, http.StatusOK, &got)
	if got["per_resolved"] != float64(250) || got["currency"] != "EUR" {
		t.Errorf("policy as agents see it: %v", got)
	}

	// A quiet queue: base only.
	e.setStatus(t, ana, "available")
	c1 := e.resolveOne(t, ana, "p1")
	// Resolving again (a retry) earns nothing more.
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c1.ID), ana, nil, http.StatusOK, nil)

	e.setStatus(t, ana, "away")

	// A long queue: Ben holds a conversation, then two customers wait
	// (nobody is available) while he resolves it → surge ×1.5.
	e.setStatus(t, ben, "available")
	_, c2 := e.askForPerson(t, "p2")
	o := e.waitOffer(t, ben, c2.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), ben, nil, http.StatusOK, nil)
	e.setStatus(t, ben, "away")
	for i := range 2 {
		e.askForPerson(t, fmt.Sprintf("w%d", i))
	}
	var outlook struct {
		Queued          int     `json:"queued"`
		SurgeMultiplier float64 `json:"surge_multiplier"`
	}
	e.call(t, "GET", "/api/v1/agents/me/outlook", ben, nil, http.StatusOK, &outlook)
	if outlook.Queued != 2 || outlook.SurgeMultiplier != 1.5 {
		t.Errorf("outlook with 2 waiting: %+v, want queued 2, surge 1.5", outlook)
	}
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c2.ID), ben, nil, http.StatusOK, nil)

	var anaEarn, benEarn earningsJSON
	e.call(t, "GET", "/api/v1/agents/me/earnings", ana, nil, http.StatusOK, &anaEarn)
	if anaEarn.Currency != "EUR" || anaEarn.Total != 250 || len(anaEarn.Entries) != 1 || anaEarn.Entries[0].Kind != "base" ||
		anaEarn.Entries[0].ConversationID == nil || *anaEarn.Entries[0].ConversationID != c1.ID {
		t.Errorf("Ana's earnings: %+v, want one base of 250 for conversation %d", anaEarn, c1.ID)
	}
	e.call(t, "GET", "/api/v1/agents/me/earnings", ben, nil, http.StatusOK, &benEarn)
	if benEarn.Total != 375 || len(benEarn.Entries) != 2 || benEarn.Entries[0].Kind != "base" || benEarn.Entries[1].Kind != "surge" || benEarn.Entries[1].Amount != 125 {
		t.Errorf("Ben's earnings under surge: %+v, want base 250 + surge 125", benEarn)
	}
	// The range filters: nothing before yesterday.
	var none earningsJSON
	e.call(t, "GET", "/api/v1/agents/me/earnings?from=2020-01-01&to=2020-02-01", ben, nil, http.StatusOK, &none)
	if none.Total != 0 || len(none.Entries) != 0 {
		t.Errorf("earnings of 2020: %+v", none)
	}
	e.fails(t, "GET", "/api/v1/agents/me/earnings?from=yesterday", ben, nil, http.StatusBadRequest, "bad_request")
	e.fails(t, "GET", "/api/v1/agents/me/earnings?from=2020-02-01&to=2020-01-01", ben, nil, http.StatusBadRequest, "bad_request")

	// Adjustments: admins only, with a reason, integer money.
	adj := map[string]any{"agent_id": anaMe.ID, "amount": -50, "reason": "double-counted call"}
	e.fails(t, "POST", "/api/v1/ledger/adjustments", chen, adj, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/ledger/adjustments", admin, map[string]any{"agent_id": anaMe.ID, "amount": 50}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/ledger/adjustments", admin, rawBody(fmt.Sprintf(`{"agent_id":%d,"amount":0.5,"reason":"x"}`, anaMe.ID)), http.StatusBadRequest, "invalid_json")
	e.fails(t, "POST", "/api/v1/ledger/adjustments", admin, map[string]any{"agent_id": 999999, "amount": 50, "reason": "x"}, http.StatusNotFound, "not_found")
	e.call(t, "POST", "/api/v1/ledger/adjustments", admin, adj, http.StatusCreated, nil)
	e.call(t, "POST", "/api/v1/ledger/adjustments", admin, map[string]any{"agent_id": benMe.ID, "kind": "bonus", "amount": 1000, "reason": "CSAT 4.9 this month"}, http.StatusCreated, nil)

	// Payouts: JSON and CSV agree with the ledger to the cent.
	e.fails(t, "GET", "/api/v1/payouts", chen, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/payouts?period=2026-13", admin, nil, http.StatusBadRequest, "bad_request")
	var p struct {
		Period   string `json:"period"`
		Currency string `json:"currency"`
		Total    int64  `json:"total"`
		Payouts  []struct {
			AgentID    int64 `json:"agent_id"`
			Base       int64 `json:"base"`
			Surge      int64 `json:"surge"`
			Bonus      int64 `json:"bonus"`
			Adjustment int64 `json:"adjustment"`
			Total      int64 `json:"total"`
		} `json:"payouts"`
	}
	e.call(t, "GET", "/api/v1/payouts", admin, nil, http.StatusOK, &p)
	want := map[int64]int64{anaMe.ID: 200, benMe.ID: 1375}
	if p.Total != 1575 || p.Currency != "EUR" || len(p.Payouts) != 2 {
		t.Fatalf("payouts: %+v, want total 1575 EUR over two people", p)
	}
	for _, po := range p.Payouts {
		if po.Total != want[po.AgentID] || po.Base+po.Surge+po.Bonus+po.Adjustment != po.Total {
			t.Errorf("payout %+v, want total %d", po, want[po.AgentID])
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/payouts?format=csv&period="+p.Period, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %v %v", res.StatusCode, err, rows)
	}
	var sum int64
	for _, r := range rows[1 : len(rows)-1] {
		n, _ := strconv.ParseInt(r[9], 10, 64)
		sum += n
	}
	last := rows[len(rows)-1]
	if len(rows) != 4 || sum != 1575 || last[3] != "TOTAL" || last[9] != "1575" {
		t.Errorf("CSV rows %v: persons sum to %d, want 1575 with a TOTAL row", rows, sum)
	}
	// The current period has not ended: it cannot be closed; a past one can, once.
	e.fails(t, "POST", "/api/v1/pay-periods/"+p.Period+"/close", admin, nil, http.StatusConflict, "conflict")
	e.fails(t, "POST", "/api/v1/pay-periods/2020-01/close", chen, nil, http.StatusForbidden, "forbidden")
	e.call(t, "POST", "/api/v1/pay-periods/2020-01/close", admin, nil, http.StatusOK, nil)
	e.fails(t, "POST", "/api/v1/pay-periods/2020-01/close", admin, nil, http.StatusConflict, "conflict")
	// The currency cannot change under a ledger in EUR.
	e.fails(t, "PUT", "/api/v1/pay-policy", admin, map[string]any{"currency": "USD", "per_resolved": 250}, http.StatusConflict, "conflict")
}

type shiftJSON struct {
	ID         int64     `json:"id"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Headcount  int       `json:"headcount"`
	Booked     int       `json:"booked"`
	Multiplier int64     `json:"multiplier_percent"`
	BookedByMe bool      `json:"booked_by_me"`
	BookableAt time.Time `json:"bookable_at"`
	ReleaseBy  time.Time `json:"release_by"`
}

// TestShifts: admins open 30-minute slots; agents list, book and release
// them (until the release deadline; far slots open to better-rated people
// first); the booked slot's multiplier pays surge, and showing up counts.
func TestShifts(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, _ := e.login(t, "ben@acme.test", app.DemoPassword)
	now := time.Now().UTC()
	current := now.Truncate(30 * time.Minute)
	tomorrow := current.Add(24 * time.Hour)
	far := current.Add(13*24*time.Hour + 12*time.Hour) // beyond a standard person's horizon (13 days)

	e.fails(t, "POST", "/api/v1/shifts", ana, map[string]any{"starts_at": tomorrow, "headcount": 1}, http.StatusForbidden, "forbidden")
	for _, bad := range []map[string]any{
		{"starts_at": tomorrow.Add(10 * time.Minute), "headcount": 1},
		{"starts_at": tomorrow, "headcount": 0},
		{"starts_at": tomorrow, "headcount": 1, "multiplier": 0.5},
		{"starts_at": tomorrow, "headcount": 1, "slots": 1000},
		{"starts_at": current.Add(-time.Hour), "headcount": 1},
	} {
		e.fails(t, "POST", "/api/v1/shifts", admin, bad, http.StatusBadRequest, "bad_request")
	}
	var opened struct {
		Shifts []shiftJSON `json:"shifts"`
	}
	e.call(t, "POST", "/api/v1/shifts", admin, map[string]any{"starts_at": tomorrow, "slots": 4, "headcount": 1}, http.StatusCreated, &opened)
	if len(opened.Shifts) != 4 || !opened.Shifts[3].StartsAt.Equal(tomorrow.Add(90*time.Minute)) || opened.Shifts[0].EndsAt.Sub(opened.Shifts[0].StartsAt) != 30*time.Minute {
		t.Fatalf("opened %+v", opened.Shifts)
	}
	e.fails(t, "POST", "/api/v1/shifts", admin, map[string]any{"starts_at": tomorrow, "headcount": 1}, http.StatusConflict, "conflict")
	var cur, farSlot struct {
		Shifts []shiftJSON `json:"shifts"`
	}
	// The slot under way and the next one, so that the test does not
	// depend on which side of a half hour it runs.
	e.call(t, "POST", "/api/v1/shifts", admin, map[string]any{"starts_at": current, "slots": 2, "headcount": 2, "multiplier": 2}, http.StatusCreated, &cur)
	e.call(t, "POST", "/api/v1/shifts", admin, map[string]any{"starts_at": far, "headcount": 2}, http.StatusCreated, &farSlot)

	first := opened.Shifts[0]
	booking := func(id int64) string { return fmt.Sprintf("/api/v1/shifts/%d/booking", id) }
	var sh shiftJSON
	e.call(t, "POST", booking(first.ID), ana, nil, http.StatusOK, &sh)
	if !sh.BookedByMe || sh.Booked != 1 || !sh.ReleaseBy.Equal(first.StartsAt.Add(-2*time.Hour)) {
		t.Errorf("booked %+v", sh)
	}
	e.call(t, "POST", booking(first.ID), ana, nil, http.StatusOK, &sh) // twice: nothing changes
	e.fails(t, "POST", booking(first.ID), ben, nil, http.StatusConflict, "conflict")
	e.fails(t, "POST", booking(farSlot.Shifts[0].ID), ben, nil, http.StatusConflict, "conflict")
	e.fails(t, "POST", booking(999999), ben, nil, http.StatusNotFound, "not_found")
	e.call(t, "DELETE", booking(first.ID), ana, nil, http.StatusOK, &sh)
	e.fails(t, "DELETE", booking(first.ID), ana, nil, http.StatusNotFound, "not_found")
	e.call(t, "POST", booking(first.ID), ben, nil, http.StatusOK, nil)

	var list struct {
		Shifts []shiftJSON `json:"shifts"`
	}
	e.call(t, "GET", "/api/v1/shifts?from="+tomorrow.Format(time.RFC3339)+"&to="+tomorrow.Add(2*time.Hour).Format(time.RFC3339), ben, nil, http.StatusOK, &list)
	if len(list.Shifts) != 4 || !list.Shifts[0].BookedByMe || list.Shifts[1].BookedByMe {
		t.Errorf("Ben's view: %+v", list.Shifts)
	}
	e.fails(t, "GET", "/api/v1/shifts?from=2026-01-01&to=2027-01-01", ben, nil, http.StatusBadRequest, "bad_request")

	// Ana joins the slot under way (×2) and goes online: her pay doubles.
	e.call(t, "PUT", "/api/v1/pay-policy", admin, map[string]any{"currency": "EUR", "per_resolved": 300}, http.StatusOK, nil)
	e.call(t, "POST", booking(cur.Shifts[0].ID), ana, nil, http.StatusOK, nil)
	e.call(t, "POST", booking(cur.Shifts[1].ID), ana, nil, http.StatusOK, nil)
	e.fails(t, "DELETE", booking(cur.Shifts[1].ID), ana, nil, http.StatusConflict, "conflict")
	e.setStatus(t, ana, "available")
	var outlook struct {
		SurgeMultiplier float64 `json:"surge_multiplier"`
		BookedNow       bool    `json:"booked_now"`
	}
	e.call(t, "GET", "/api/v1/agents/me/outlook", ana, nil, http.StatusOK, &outlook)
	if outlook.SurgeMultiplier != 2 || !outlook.BookedNow {
		t.Errorf("outlook in a ×2 slot: %+v", outlook)
	}
	e.resolveOne(t, ana, "s1")
	var earn earningsJSON
	e.call(t, "GET", "/api/v1/agents/me/earnings", ana, nil, http.StatusOK, &earn)
	if earn.Total != 600 || len(earn.Entries) != 2 {
		t.Errorf("earnings in a ×2 slot: %+v, want 300 + 300", earn)
	}
	e.call(t, "GET", "/api/v1/shifts?from="+current.Format(time.RFC3339)+"&to="+current.Add(time.Hour).Format(time.RFC3339), ana, nil, http.StatusOK, &list)
	if len(list.Shifts) != 2 || !list.Shifts[0].BookedByMe || !list.Shifts[1].BookedByMe {
		t.Errorf("the slot under way: %+v", list.Shifts)
	}
}

// TestOpenSignUp: the join page is closed by default; opened with a
// screening question, an applicant applies, signs in, gets no work, fails
// and then passes the workspace's quiz and — with auto-accept — is
// certified and offered work. Without auto-accept an admin decides; a
// rejected applicant cannot sign in.
func TestOpenSignUp(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	e.fails(t, "GET", "/api/v1/join/acme", "", nil, http.StatusNotFound, "not_found")
	e.fails(t, "GET", "/api/v1/join/nope", "", nil, http.StatusNotFound, "not_found")
	apply := map[string]any{"name": "Sam Student", "email": "sam@uni.test", "password": "study hard 42", "languages": []string{"en"},
		"motivation": "I love helping", "answers": []string{"Evenings"}}
	e.fails(t, "POST", "/api/v1/join/acme", "", apply, http.StatusNotFound, "not_found")
	settings := map[string]any{"open": true, "questions": []string{"When can you work?"}, "auto_accept": true}
	e.fails(t, "PUT", "/api/v1/join-settings", ana, settings, http.StatusForbidden, "forbidden")
	e.call(t, "PUT", "/api/v1/join-settings", admin, settings, http.StatusOK, nil)
	var page struct {
		Name      string   `json:"name"`
		Questions []string `json:"questions"`
	}
	e.call(t, "GET", "/api/v1/join/acme", "", nil, http.StatusOK, &page)
	if page.Name != "Acme Pay" || len(page.Questions) != 1 {
		t.Errorf("join page %+v", page)
	}
	if status, html := e.do(t, "GET", "/join/acme", "", nil); status != http.StatusOK || !strings.Contains(string(html), "join.js") {
		t.Errorf("GET /join/acme: %d", status)
	}
	for field, v := range map[string]any{"answers": []string{}, "languages": []string{}, "password": "short", "email": "x", "name": ""} {
		bad := map[string]any{}
		for k, x := range apply {
			bad[k] = x
		}
		bad[field] = v
		e.fails(t, "POST", "/api/v1/join/acme", "", bad, http.StatusBadRequest, "bad_request")
	}
	var joined struct {
		Token string `json:"token"`
		Agent agent  `json:"agent"`
	}
	e.call(t, "POST", "/api/v1/join/acme", "", apply, http.StatusCreated, &joined)
	e.fails(t, "POST", "/api/v1/join/acme", "", apply, http.StatusConflict, "conflict")
	sam := joined.Token
	var applicants struct {
		Applicants []struct {
			AgentID   int64    `json:"agent_id"`
			Status    string   `json:"status"`
			Answers   []string `json:"answers"`
			Languages []string `json:"languages"`
			Trained   bool     `json:"trained"`
		} `json:"applicants"`
	}
	e.fails(t, "GET", "/api/v1/applicants", ana, nil, http.StatusForbidden, "forbidden")
	e.call(t, "GET", "/api/v1/applicants", admin, nil, http.StatusOK, &applicants)
	if len(applicants.Applicants) != 1 || applicants.Applicants[0].Status != "pending" || applicants.Applicants[0].Answers[0] != "Evenings" || applicants.Applicants[0].Languages[0] != "en" {
		t.Fatalf("applicants %+v", applicants)
	}
	// Signed in, but no work until certified.
	e.setStatus(t, sam, "available")
	_, c := e.askForPerson(t, "j1")
	if offers := e.offers(t, sam); len(offers) != 0 {
		t.Fatalf("an applicant got offers: %+v", offers)
	}
	mod := quizModule("workspace")
	mod["retake_after_seconds"] = 0
	var m moduleJSON
	e.call(t, "POST", "/api/v1/training/modules", admin, mod, http.StatusCreated, &m)
	var res attemptJSON
	path := fmt.Sprintf("/api/v1/training/modules/%d/attempts", m.ID)
	e.call(t, "POST", path, sam, map[string]any{"answers": [][]int{{0}, {0}}}, http.StatusCreated, &res)
	if res.Passed {
		t.Fatal("a failing attempt passed")
	}
	e.call(t, "POST", path, sam, map[string]any{"answers": [][]int{{1}, {0, 2}}}, http.StatusCreated, &res)
	if !res.Passed {
		t.Fatal("a passing attempt failed")
	}
	e.waitOffer(t, sam, c.ID)
	e.call(t, "GET", "/api/v1/applicants", admin, nil, http.StatusOK, &applicants)
	if applicants.Applicants[0].Status != "accepted" || !applicants.Applicants[0].Trained {
		t.Errorf("after passing with auto-accept: %+v", applicants.Applicants[0])
	}

	// Without auto-accept: passing waits for the admin.
	settings["auto_accept"] = false
	settings["questions"] = []string{}
	e.call(t, "PUT", "/api/v1/join-settings", admin, settings, http.StatusOK, nil)
	apply["email"], apply["answers"] = "kim@shop.test", []string{}
	e.call(t, "POST", "/api/v1/join/acme", "", apply, http.StatusCreated, &joined)
	kim, kimID := joined.Token, joined.Agent.ID
	e.call(t, "POST", path, kim, map[string]any{"answers": [][]int{{1}, {0, 2}}}, http.StatusCreated, &res)
	var full struct {
		CertifiedFor []string `json:"certified_for"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", kimID), admin, nil, http.StatusOK, &full)
	if !res.Passed || len(full.CertifiedFor) != 0 {
		t.Errorf("without auto-accept a pass certified: %+v %+v", res, full)
	}
	e.fails(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/accept", kimID), ana, nil, http.StatusForbidden, "forbidden")
	e.call(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/accept", kimID), admin, nil, http.StatusOK, nil)
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", kimID), admin, nil, http.StatusOK, &full)
	if len(full.CertifiedFor) != 1 {
		t.Errorf("accepted but not certified: %+v", full)
	}
	e.fails(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/reject", kimID), admin, nil, http.StatusConflict, "conflict")
	apply["email"] = "lee@spam.test"
	e.call(t, "POST", "/api/v1/join/acme", "", apply, http.StatusCreated, &joined)
	e.call(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/reject", joined.Agent.ID), admin, nil, http.StatusOK, nil)
	e.fails(t, "GET", "/api/v1/agents/me", joined.Token, nil, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "lee@spam.test", "password": "study hard 42"}, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/accept", 999999), admin, nil, http.StatusNotFound, "not_found")
}

// TestQualityScore: a person's score is computed from their ratings and
// offer answers, with its parts and history; they see their own, managers
// everyone's; another workspace's person is not found.
func TestQualityScore(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaMe := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, _ := e.login(t, "ben@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	for i, stars := range []int{5, 4} {
		cust, c := e.askForPerson(t, fmt.Sprintf("q%d", i))
		o := e.waitOffer(t, ana, c.ID)
		e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), ana, nil, http.StatusOK, nil)
		e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c.ID), ana, nil, http.StatusOK, nil)
		e.rate(t, cust, c.ID, stars, "", http.StatusCreated)
	}
	var v struct {
		Score float64 `json:"score"`
		Tier  string  `json:"tier"`
		Parts struct {
			CSAT       *float64 `json:"csat"`
			Acceptance *float64 `json:"acceptance"`
			Adherence  *float64 `json:"adherence"`
			Ratings    int      `json:"ratings"`
		} `json:"parts"`
		History []struct {
			Score float64 `json:"score"`
		} `json:"history"`
	}
	e.call(t, "GET", "/api/v1/agents/me/score", ana, nil, http.StatusOK, &v)
	// csat (4.5−1)/4 = 0.875 (weight 0.5), acceptance 1 (0.15): 0.5625/0.65
	if v.Parts.Ratings != 2 || v.Parts.CSAT == nil || *v.Parts.CSAT != 0.875 || v.Parts.Acceptance == nil || *v.Parts.Acceptance != 1 ||
		v.Parts.Adherence != nil || v.Score != 0.9038 || v.Tier != "trusted" || len(v.History) != 1 {
		t.Errorf("Ana's score: %+v", v)
	}
	e.fails(t, "GET", fmt.Sprintf("/api/v1/agents/%d/score", anaMe.ID), ben, nil, http.StatusForbidden, "forbidden")
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d/score", anaMe.ID), admin, nil, http.StatusOK, &v)
	var all struct {
		Scores []struct {
			AgentID int64   `json:"agent_id"`
			Score   float64 `json:"score"`
			Tier    string  `json:"tier"`
		} `json:"scores"`
	}
	e.fails(t, "GET", "/api/v1/scores", ben, nil, http.StatusForbidden, "forbidden")
	e.call(t, "GET", "/api/v1/scores", admin, nil, http.StatusOK, &all)
	if len(all.Scores) != 4 {
		t.Errorf("scores: %+v", all.Scores)
	}
	// Another workspace's admin: Ana is not found there.
	e.addWorkspace("globex", 0)
	ctx := t.Context()
	ws, err := e.app.Store.WorkspaceBySlug(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "boss@globex.test", Name: "Boss", Role: model.RoleAdmin, PasswordHash: cheapHash(t, "pw")}); err != nil {
		t.Fatal(err)
	}
	boss, _ := e.login(t, "boss@globex.test", "pw")
	e.fails(t, "GET", fmt.Sprintf("/api/v1/agents/%d/score", anaMe.ID), boss, nil, http.StatusNotFound, "not_found")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", anaMe.ID), boss, nil, http.StatusNotFound, "not_found")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/applicants/%d/accept", anaMe.ID), boss, nil, http.StatusNotFound, "not_found")
	e.call(t, "PUT", "/api/v1/pay-policy", boss, map[string]any{"currency": "EUR", "per_resolved": 100}, http.StatusOK, nil)
	e.fails(t, "POST", "/api/v1/ledger/adjustments", boss, map[string]any{"agent_id": anaMe.ID, "amount": 5, "reason": "x"}, http.StatusNotFound, "not_found")
}

// TestSeedWorkforce: the demo's workforce seeds once, however often it
// runs, and the pages have something to show.
func TestSeedWorkforce(t *testing.T) {
	e := peopleEnv(t)
	now := time.Now()
	for range 2 {
		if err := app.SeedWorkforce(t.Context(), e.app.Store, e.info, now); err != nil {
			t.Fatal(err)
		}
	}
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	var mods struct {
		Modules []moduleJSON `json:"modules"`
	}
	e.call(t, "GET", "/api/v1/training/modules", ana, nil, http.StatusOK, &mods)
	var shifts struct {
		Shifts []shiftJSON `json:"shifts"`
	}
	e.call(t, "GET", "/api/v1/shifts", ana, nil, http.StatusOK, &shifts)
	var earn earningsJSON
	e.call(t, "GET", "/api/v1/agents/me/earnings?from="+now.Add(-15*24*time.Hour).Format(time.RFC3339), ana, nil, http.StatusOK, &earn)
	var p struct {
		Total int64 `json:"total"`
	}
	e.call(t, "GET", "/api/v1/payouts", admin, nil, http.StatusOK, &p)
	e.call(t, "GET", "/api/v1/join/acme", "", nil, http.StatusOK, nil)
	if len(mods.Modules) != 2 || len(shifts.Shifts) < 100 || earn.Total <= 1000 || len(earn.Entries) < 30 {
		t.Errorf("demo workforce: %d modules, %d slots, earnings %d in %d entries", len(mods.Modules), len(shifts.Shifts), earn.Total, len(earn.Entries))
	}
	// Answered from the demo module's own key, Ana passes.
	var res attemptJSON
	e.call(t, "POST", fmt.Sprintf("/api/v1/training/modules/%d/attempts", mods.Modules[0].ID), ana,
		map[string]any{"answers": [][]int{{1}, {0, 2}, {1}, {0}, {0}}}, http.StatusCreated, &res)
	if !res.Passed {
		t.Errorf("the demo quiz's answers did not pass: %+v", res)
	}
}

// TestQualityBonus: closing a pay period pays the policy's quality bonus,
// once, to whoever's ratings of the period reach it.
func TestQualityBonus(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaMe := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benMe := e.login(t, "ben@acme.test", app.DemoPassword)
	e.fails(t, "PUT", "/api/v1/pay-policy", admin, map[string]any{"currency": "EUR", "per_resolved": 0,
		"quality_bonus": map[string]any{"csat_at_least": 6, "min_ratings": 2, "amount": 1000}}, http.StatusBadRequest, "bad_request")
	e.call(t, "PUT", "/api/v1/pay-policy", admin, map[string]any{"currency": "EUR", "per_resolved": 0,
		"quality_bonus": map[string]any{"csat_at_least": 4.5, "min_ratings": 2, "amount": 1000}}, http.StatusOK, nil)
	rated := func(tok string, stars ...int) {
		e.setStatus(t, tok, "available")
		for i, s := range stars {
			cust, c := e.askForPerson(t, fmt.Sprintf("b%d", i))
			o := e.waitOffer(t, tok, c.ID)
			e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), tok, nil, http.StatusOK, nil)
			e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", c.ID), tok, nil, http.StatusOK, nil)
			e.rate(t, cust, c.ID, s, "", http.StatusCreated)
		}
		e.setStatus(t, tok, "offline")
	}
	rated(ana, 5, 4) // 4.5 over 2: earns it
	rated(ben, 5, 3) // 4.0: does not
	// The period ends: a clock in the next month closes it.
	period := workforce.PeriodOf(time.Now())
	later := period.End.Add(time.Hour)
	svc := people.New(people.Options{Store: e.app.Store, Desk: e.app.Desk, Now: func() time.Time { return later }})
	act, err := e.app.Desk.Authenticate(t.Context(), admin)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := svc.ClosePeriod(t.Context(), act, period.Name)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Total != 0 {
		t.Errorf("closed %+v", closed)
	}
	if _, err := svc.ClosePeriod(t.Context(), act, period.Name); !errors.Is(err, store.ErrConflict) {
		t.Errorf("closing twice: %v", err)
	}
	for _, c := range []struct {
		id   int64
		want int64
	}{{anaMe.ID, 1000}, {benMe.ID, 0}} {
		entries, err := e.app.Store.Ledger(t.Context(), e.info.Workspace.ID, c.id, period.Start, later.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, en := range entries {
			if en.Kind == "bonus" {
				got += en.Amount
			}
		}
		if got != c.want {
			t.Errorf("agent %d: bonus %d (%+v), want %d", c.id, got, entries, c.want)
		}
	}
}
