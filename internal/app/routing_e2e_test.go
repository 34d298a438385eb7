package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
)

// TestRoutingSettingsAPI: admins read and change the workspace's routing
// settings; a partial change keeps the rest; bad values and other callers
// are refused.
func TestRoutingSettingsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")

	type settings struct {
		AcceptSeconds      float64 `json:"accept_seconds"`
		DefaultCapacity    int     `json:"default_capacity"`
		ExpiriesBeforeAway int     `json:"expiries_before_away"`
		Rings              []struct {
			AfterSeconds float64  `json:"after_seconds"`
			Require      []string `json:"require"`
		} `json:"rings"`
		IntentGroups []struct {
			Skill   string   `json:"skill"`
			Intents []string `json:"intents"`
		} `json:"intent_groups"`
		Weights map[string]float64 `json:"weights"`
	}
	var got settings
	e.call(t, "GET", "/api/v1/settings/routing", admin, nil, http.StatusOK, &got)
	if got.AcceptSeconds != 30 || got.DefaultCapacity != 3 || got.ExpiriesBeforeAway != 3 || len(got.Rings) != 4 || len(got.IntentGroups) == 0 || got.Weights["sticky"] == 0 {
		t.Fatalf("default settings %+v", got)
	}
	e.call(t, "PUT", "/api/v1/settings/routing", admin, map[string]any{"accept_seconds": 45, "weights": map[string]float64{"sticky": 0}}, http.StatusOK, &got)
	if got.AcceptSeconds != 45 || got.Weights["sticky"] != 0 || got.Weights["idle"] != 1 || len(got.Rings) != 4 {
		t.Errorf("after a partial change %+v", got)
	}
	e.call(t, "GET", "/api/v1/settings/routing", admin, nil, http.StatusOK, &got)
	if got.AcceptSeconds != 45 {
		t.Errorf("the change did not stick: %+v", got)
	}
	e.fails(t, "PUT", "/api/v1/settings/routing", admin, map[string]any{"rings": []any{}}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", "/api/v1/settings/routing", admin, map[string]any{"accept_seconds": "soon"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", "/api/v1/settings/routing", admin, map[string]any{"no_such_field": 1}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", "/api/v1/settings/routing", admin, []int{1}, http.StatusBadRequest, "invalid_json")
	e.fails(t, "GET", "/api/v1/settings/routing", ana, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", "/api/v1/settings/routing", ana, map[string]any{"accept_seconds": 10}, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/settings/routing", cust, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/settings/routing", "", nil, http.StatusUnauthorized, "unauthorized")
}

type routedAgent struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Skills []struct {
		Name  string `json:"name"`
		Level int    `json:"level"`
	} `json:"skills"`
	Languages    []string `json:"languages"`
	CertifiedFor []string `json:"certified_for"`
	Capacity     int      `json:"capacity"`
	QualityScore float64  `json:"quality_score"`
	OfferStats   *struct {
		Received int `json:"received"`
		Accepted int `json:"accepted"`
	} `json:"offer_stats"`
}

// TestAgentSkillsAPIAndSkillRouting: the demo agents carry skills and
// languages; admins change them; a card question goes to the agent with
// the cards skill even when another agent is free.
func TestAgentSkillsAPIAndSkillRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benAgent := e.login(t, "ben@acme.test", app.DemoPassword)

	var list struct {
		Agents []routedAgent `json:"agents"`
	}
	e.call(t, "GET", "/api/v1/agents", admin, nil, http.StatusOK, &list)
	byEmail := map[string]routedAgent{}
	for _, a := range list.Agents {
		byEmail[a.Email] = a
	}
	if a := byEmail["ana@acme.test"]; !slices.Equal(a.Languages, []string{"en", "sv"}) || len(a.Skills) == 0 || !slices.Equal(a.CertifiedFor, []string{"acme"}) || a.OfferStats == nil {
		t.Fatalf("ana's routing profile %+v", a)
	}
	// Ben learns German and Spanish; he takes two conversations at once.
	var b routedAgent
	path := fmt.Sprintf("/api/v1/agents/%d", benAgent.ID)
	e.call(t, "PUT", path, admin, map[string]any{"languages": []string{"en", "de", "es"}, "capacity": 2, "quality_score": 0.6}, http.StatusOK, &b)
	if !slices.Equal(b.Languages, []string{"de", "en", "es"}) || b.Capacity != 2 || b.QualityScore != 0.6 || len(b.Skills) != 2 {
		t.Errorf("ben after the change %+v", b)
	}
	e.call(t, "GET", path, ben, nil, http.StatusOK, &b)
	if b.Capacity != 2 {
		t.Errorf("GET agent %+v", b)
	}
	e.fails(t, "PUT", path, ana, map[string]any{"capacity": 9}, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", path, admin, map[string]any{"skills": []map[string]any{{"name": "Bad Skill", "level": 3}}}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", path, admin, map[string]any{"certified_for": []string{"nowhere"}}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", "/api/v1/agents/999999", admin, map[string]any{"capacity": 2}, http.StatusNotFound, "not_found")

	// Ben is free first; the card question still goes to Ana, who has the skill.
	e.setStatus(t, ben, "available")
	e.setStatus(t, ana, "available")
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "r-1", cardQuestion)
	e.post(t, cust, conv.ID, "r-2", "I want to talk to a person", false)
	of := e.waitOffer(t, ana, conv.ID)
	if of.AgentID != anaAgent.ID {
		t.Errorf("offer %+v, want ana", of)
	}
	for _, o := range e.offers(t, ben) {
		if o.ConversationID == conv.ID {
			t.Errorf("ben, without the cards skill, was offered the card question: %+v", o)
		}
	}
	// Staff see the queue with why each conversation is where it is.
	var q struct {
		Queue []struct {
			ConversationID int64    `json:"conversation_id"`
			Position       int      `json:"position"`
			Skills         []string `json:"required_skills"`
			Offered        bool     `json:"offered"`
		} `json:"queue"`
	}
	e.call(t, "GET", "/api/v1/queue", admin, nil, http.StatusOK, &q)
	if len(q.Queue) != 1 || q.Queue[0].ConversationID != conv.ID || q.Queue[0].Position != 1 || !q.Queue[0].Offered || !slices.Equal(q.Queue[0].Skills, []string{"cards", "lang:en"}) {
		t.Errorf("queue %+v", q.Queue)
	}
	e.fails(t, "GET", "/api/v1/queue", cust, nil, http.StatusForbidden, "forbidden")
}

// TestFollowUpAPI: with nobody online, the customer leaves an email; the
// conversation stays queued; a bad address is refused.
func TestFollowUpAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "f-1", "I want to talk to a person")
	if conv.Status != "queued" || conv.Queue == nil || conv.Queue.AgentsOnline != 0 {
		t.Fatalf("conversation %+v, want queued with nobody online", conv)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d/follow-up", conv.ID)
	e.fails(t, "POST", path, cust, map[string]string{"email": "not an email"}, http.StatusBadRequest, "bad_request")
	var got struct {
		Status        string `json:"status"`
		FollowUpEmail string `json:"follow_up_email"`
	}
	e.call(t, "POST", path, cust, map[string]string{"email": "dora@example.com"}, http.StatusOK, &got)
	if got.Status != "queued" || got.FollowUpEmail != "dora@example.com" {
		t.Errorf("after the follow-up %+v", got)
	}
	other := e.customer(t, "acme")
	e.fails(t, "POST", path, other, map[string]string{"email": "eve@example.com"}, http.StatusNotFound, "not_found")
}

// TestSimulateCommand: tandem simulate prints a report, or one JSON
// object with the keys scripts rely on; a scenario file runs; bad input
// is a usage error.
func TestSimulateCommand(t *testing.T) {
	t.Parallel()
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := app.Main(append([]string{"simulate"}, args...), func(string) string { return "" }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("--hours", "100", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	for _, k := range []string{"service_level", "asa_seconds", "abandon_rate", "occupancy", "contacts", "erlang_c_service_level", "erlang_c_asa_seconds"} {
		if _, ok := r[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}
	if c, _ := r["contacts"].(float64); c < 15000 || c > 25000 {
		t.Errorf("100 hours at 200/h gave %v contacts", r["contacts"])
	}
	code, out, _ = run("--hours", "50", "--agents", "12", "--accept-delay", "3", "--patience", "90")
	if code != 0 || !strings.Contains(out, "Service level") || !strings.Contains(out, "ASA") || strings.Contains(out, "Erlang C") {
		t.Errorf("text report (accept delays: no Erlang comparison), exit %d:\n%s", code, out)
	}
	code, out, errOut = run("--scenario", "../sim/testdata/multiskill.json", "--hours", "20", "--policy", "fcfs", "--json")
	if code != 0 || !strings.Contains(out, `"policy":"fcfs"`) || strings.Contains(out, "erlang_c") {
		t.Errorf("scenario run, exit %d: %s %s", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"--agents", "0"},
		{"--policy", "random"},
		{"--scenario", "../sim/testdata/multiskill.json", "--agents", "5"},
		{"--routing", `{"rings":[]}`},
		{"--nope"},
	} {
		if code, _, _ := run(bad...); code != 2 {
			t.Errorf("simulate %v: exit %d, want 2", bad, code)
		}
	}
	if code, _, _ := run("--scenario", "no-such-file.json"); code != 1 {
		t.Errorf("a missing scenario file: exit %d, want 1", code)
	}
}
