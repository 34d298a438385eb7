package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// history is a small workspace history written through the store at
// chosen times; the tests below work its figures out by hand.
type history struct {
	ana                  *model.Agent
	c1, c2, c3, c4       int64
	t0                   time.Time
	customerA, customerB int64
	customerC            int64
}

func buildHistory(t *testing.T, f *fixture) *history {
	t.Helper()
	ctx := context.Background()
	st, ws := f.st, f.acme.ID
	h := &history{t0: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	h.ana, err = st.AgentByEmail(ctx, "ana@acme.test")
	must(err)
	cust := func(ext string) int64 {
		c, err := st.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws, ExternalID: ext})
		must(err)
		return c.ID
	}
	h.customerA, h.customerB, h.customerC = cust("cus_a"), cust("cus_b"), cust("cus_c")
	open := func(customer int64, body, intent string, at time.Time) int64 {
		conv, _, _, err := st.CreateConversation(ctx, ws, customer, store.NewMessage{Body: body}, at)
		must(err)
		must(st.SetConversationTriage(ctx, ws, conv.ID, model.ConversationTriage{Language: "en", Intent: intent, IntentConfidence: 0.9}))
		return conv.ID
	}
	say := func(conv int64, kind model.AuthorKind, author *int64, body string, at time.Time) int64 {
		m, _, _, err := st.AddMessage(ctx, store.NewMessage{WorkspaceID: ws, ConversationID: conv, AuthorKind: kind, AuthorID: author, Body: body}, at)
		must(err)
		return m.ID
	}
	t0 := h.t0
	// c1 (customer A): the assistant answers in 2 s, "yes, that helped"
	// at 60 s, rated 5.
	h.c1 = open(h.customerA, "My card is lost", "card_lost", t0)
	answer := say(h.c1, model.AuthorAssistant, nil, "Freeze it in the app.", t0.Add(2*time.Second))
	_, _, err = st.ResolveByAssistant(ctx, ws, h.c1, answer, t0.Add(60*time.Second))
	must(err)
	_, _, err = st.SubmitCSAT(ctx, ws, h.c1, h.customerA, 5, "", t0.Add(70*time.Second))
	must(err)
	// c2 (customer B): asks for a person at 10 s; Ana is offered it at
	// 20 s, accepts at 40 s, replies at 100 s, resolves at 640 s
	// (handling 600 s); rated 2.
	c2 := t0.Add(time.Hour)
	h.c2 = open(h.customerB, "A refund please", "refund", c2)
	_, _, err = st.QueueConversation(ctx, ws, h.c2, "human_request", c2.Add(10*time.Second))
	must(err)
	_, _, err = st.SetAgentStatus(ctx, ws, h.ana.ID, model.AgentAvailable, c2)
	must(err)
	offer, err := st.CreateTimedOffer(ctx, ws, h.c2, h.ana.ID, 0, 30*time.Second, func() time.Time { return c2.Add(20 * time.Second) })
	must(err)
	_, _, err = st.AcceptOffer(ctx, ws, offer.ID, h.ana.ID, c2.Add(40*time.Second))
	must(err)
	say(h.c2, model.AuthorAgent, &h.ana.ID, "Done.", c2.Add(100*time.Second))
	_, _, err = st.ResolveConversation(ctx, ws, h.c2, c2.Add(640*time.Second))
	must(err)
	_, _, err = st.SubmitCSAT(ctx, ws, h.c2, h.customerB, 2, "", c2.Add(700*time.Second))
	must(err)
	// c3 (customer C) at 23:30 UTC, already 3 November in Stockholm: the
	// assistant answers in 5 s and the customer leaves.
	c3 := time.Date(2026, 11, 2, 23, 30, 0, 0, time.UTC)
	h.c3 = open(h.customerC, "Where is my parcel?", "delivery", c3)
	say(h.c3, model.AuthorAssistant, nil, "On its way.", c3.Add(5*time.Second))
	_, _, err = st.SetConversationTags(ctx, ws, h.c3, []string{"vip"}, c3.Add(time.Minute))
	must(err)
	// c4 (customer A), exactly 7 days after c1's resolution: a repeat
	// contact on the same intent, outside the period.
	h.c4 = open(h.customerA, "My new card is lost too", "card_lost", t0.Add(60*time.Second+7*24*time.Hour))
	return h
}

type summary struct {
	Conversations        int            `json:"conversations"`
	AIResolutionRate     *float64       `json:"ai_resolution_rate"`
	ContainmentRate      *float64       `json:"containment_rate"`
	HandoffRate          *float64       `json:"handoff_rate"`
	HandoffReasons       map[string]int `json:"handoff_reasons"`
	FirstResponseSeconds struct {
		Assistant dist `json:"assistant"`
		Person    dist `json:"person"`
		dist
	} `json:"first_response_seconds"`
	ResolutionSeconds dist              `json:"resolution_seconds"`
	HandlingSeconds   dist              `json:"handling_seconds"`
	RepeatContactRate *float64          `json:"repeat_contact_rate"`
	FCR               *float64          `json:"first_contact_resolution_rate"`
	CSAT              map[string]rating `json:"csat"`
	CostPerResolution map[string]*int64 `json:"cost_per_resolution"`
	Groups            []json.RawMessage `json:"groups"`
}

type dist struct {
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

type rating struct {
	SatisfiedRate *float64 `json:"satisfied_rate"`
	Ratings       int      `json:"ratings"`
}

func near(v *float64, want float64) bool { return v != nil && math.Abs(*v-want) < 1e-9 }

func TestReportSummary(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		h := buildHistory(t, f)
		admin, sue, ana := f.login(t, "admin@acme.test"), f.login(t, "sue@acme.test"), f.login(t, "ana@acme.test")
		f.call(t, "PUT", "/api/v1/settings/reports", admin, map[string]any{"assistant_cost_per_conversation": 30, "person_cost_per_hour": 360}, http.StatusOK, nil)

		var s summary
		f.call(t, "GET", "/api/v1/reports/summary?from=2026-11-02&to=2026-11-02", sue, nil, http.StatusOK, &s)
		// c1, c2, c3. Answered: c1, c3; both AI-resolved (c1 confirmed,
		// c3 assumed: more than 24 h ago, nobody came back).
		if s.Conversations != 3 || !near(s.AIResolutionRate, 1) || !near(s.ContainmentRate, 2.0/3) || !near(s.HandoffRate, 1.0/3) {
			t.Errorf("conversations %d, AI resolution %v, containment %v, handoff %v", s.Conversations, *s.AIResolutionRate, *s.ContainmentRate, *s.HandoffRate)
		}
		if len(s.HandoffReasons) != 1 || s.HandoffReasons["human_request"] != 1 {
			t.Errorf("handoff_reasons = %v", s.HandoffReasons)
		}
		// First responses: assistant 2 s (c1) and 5 s (c3): median 2, p90
		// 5; person 100 s (c2). Resolution: 60 s, 640 s. Handling: 600 s.
		a, p := s.FirstResponseSeconds.Assistant, s.FirstResponseSeconds.Person
		// By anyone: 2, 100, 5 → median 5, p90 100.
		if all := s.FirstResponseSeconds.dist; !near(all.Median, 5) || !near(all.P90, 100) {
			t.Errorf("first response by anyone: %+v", all)
		}
		if !near(a.Median, 2) || !near(a.P90, 5) || !near(p.Median, 100) || !near(p.P90, 100) {
			t.Errorf("first response: assistant %+v, person %+v", a, p)
		}
		if !near(s.ResolutionSeconds.Median, 60) || !near(s.ResolutionSeconds.P90, 640) || !near(s.HandlingSeconds.Median, 600) {
			t.Errorf("resolution %+v, handling %+v", s.ResolutionSeconds, s.HandlingSeconds)
		}
		// Resolved: c1, c2; c1's customer came back on day 7 (c4).
		if !near(s.RepeatContactRate, 0.5) || !near(s.FCR, 0.5) {
			t.Errorf("repeat %v, fcr %v", s.RepeatContactRate, s.FCR)
		}
		if r := s.CSAT["assistant"]; !near(r.SatisfiedRate, 1) || r.Ratings != 1 {
			t.Errorf("csat assistant = %+v", r)
		}
		if r := s.CSAT["people"]; !near(r.SatisfiedRate, 0) || r.Ratings != 1 {
			t.Errorf("csat people = %+v", r)
		}
		// Cost: c1 30 (assistant); c2 600 s at 360/h = 60. All: 45.
		if c := s.CostPerResolution; c["all"] == nil || *c["all"] != 45 || *c["ai_only"] != 30 || *c["human_only"] != 60 || c["hybrid"] != nil {
			t.Errorf("cost_per_resolution = %v", c)
		}

		// By agent: Ana has c2, with her acceptance and a place for QA.
		var byAgent struct {
			Groups []struct {
				Key, Label     string
				Conversations  int      `json:"conversations"`
				AcceptanceRate *float64 `json:"acceptance_rate"`
			} `json:"groups"`
		}
		f.call(t, "GET", "/api/v1/reports/summary?from=2026-11-02&to=2026-11-02&by=agent", admin, nil, http.StatusOK, &byAgent)
		g := byAgent.Groups
		if len(g) != 2 || g[0].Key != fmt.Sprint(h.ana.ID) || g[0].Label != "ana" || g[0].Conversations != 1 || !near(g[0].AcceptanceRate, 1) ||
			g[1].Key != "assistant" || g[1].Conversations != 2 {
			t.Errorf("by agent = %+v", g)
		}

		// Time zones move day boundaries: c3 is on 3 November in Stockholm.
		for tz, want := range map[string]string{"UTC": "2026-11-02:3", "Europe/Stockholm": "2026-11-02:2 2026-11-03:1"} {
			var byDay struct {
				Groups []struct {
					Key           string `json:"key"`
					Conversations int    `json:"conversations"`
				} `json:"groups"`
			}
			f.call(t, "GET", "/api/v1/reports/summary?from=2026-11-02&to=2026-11-03&by=day&tz="+url.QueryEscape(tz), admin, nil, http.StatusOK, &byDay)
			var got []string
			for _, g := range byDay.Groups {
				got = append(got, fmt.Sprintf("%s:%d", g.Key, g.Conversations))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("%s by day = %v, want %s", tz, got, want)
			}
		}

		// CSV, by Accept header and by format.
		for _, accept := range []string{"text/csv", ""} {
			path := "/api/v1/reports/summary?from=2026-11-02&to=2026-11-02&by=intent"
			if accept == "" {
				path += "&format=csv"
			}
			req, _ := http.NewRequest("GET", f.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			lines := strings.Split(strings.TrimSpace(string(body)), "\n")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || len(lines) != 5 ||
				!strings.HasPrefix(lines[1], "all,All,3,1,") || !strings.HasPrefix(lines[2], "card_lost,card_lost,1,") {
				t.Errorf("csv (%q): %d %s\n%s", accept, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}

		// Bad input is a 400 naming the parameter; agents may not see reports.
		for _, q := range []string{"by=month", "tz=Mars/Olympus", "from=2026-11-03&to=2026-11-02", "from=yesterday", "format=xml"} {
			if status, raw := f.do(t, "GET", "/api/v1/reports/summary?"+q, admin, nil); status != http.StatusBadRequest {
				t.Errorf("%s → %d %s, want 400", q, status, raw)
			}
		}
		if status, _ := f.do(t, "GET", "/api/v1/reports/summary", ana, nil); status != http.StatusForbidden {
			t.Errorf("an agent's report → %d, want 403", status)
		}
		for _, body := range []map[string]any{{"repeat_days": 0}, {"repeat_days": 91}, {"person_cost_per_hour": -1}} {
			if status, _ := f.do(t, "PUT", "/api/v1/settings/reports", admin, body); status != http.StatusBadRequest {
				t.Errorf("PUT settings %v → %d, want 400", body, status)
			}
		}
		// The repeat window is the workspace's: with 6 days c4 comes too late.
		f.call(t, "PUT", "/api/v1/settings/reports", admin, map[string]any{"repeat_days": 6}, http.StatusOK, nil)
		f.call(t, "GET", "/api/v1/reports/summary?from=2026-11-02&to=2026-11-02", sue, nil, http.StatusOK, &s)
		if !near(s.RepeatContactRate, 0) {
			t.Errorf("repeat contact rate with 6 days = %v, want 0", *s.RepeatContactRate)
		}
	})
}

func TestConversationSearch(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		h := buildHistory(t, f)
		admin, ana := f.login(t, "admin@acme.test"), f.login(t, "ana@acme.test")
		ids := func(token, query string) (string, string) {
			t.Helper()
			var out struct {
				Conversations []struct {
					ID int64 `json:"id"`
				} `json:"conversations"`
				NextCursor string `json:"next_cursor"`
			}
			f.call(t, "GET", "/api/v1/conversations?"+query, token, nil, http.StatusOK, &out)
			var s []string
			for _, c := range out.Conversations {
				s = append(s, fmt.Sprint(c.ID))
			}
			return strings.Join(s, ","), out.NextCursor
		}
		list := func(ids ...int64) string {
			var s []string
			for _, id := range ids {
				s = append(s, fmt.Sprint(id))
			}
			return strings.Join(s, ",")
		}
		for _, tc := range []struct {
			query string
			want  string
		}{
			{"", list(h.c4, h.c3, h.c2, h.c1)}, // newest first
			{"q=card", list(h.c4, h.c1)},
			{"q=" + url.QueryEscape("CARD, lost!"), list(h.c4, h.c1)},
			{"q=freeze", list(h.c1)}, // the assistant's words count too
			{"q=parcel", list(h.c3)},
			{"q=" + url.QueryEscape(`"!*`), ""},
			{"q=refund&status=resolved", list(h.c2)},
			{"csat_max=2", list(h.c2)},
			{"intent=card_lost", list(h.c4, h.c1)},
			{"language=en&tag=vip", list(h.c3)},
			{fmt.Sprintf("agent_id=%d", h.ana.ID), list(h.c2)},
			{"from=2026-11-03", list(h.c4)},
			{"from=2026-11-02&to=2026-11-02", list(h.c3, h.c2, h.c1)},
		} {
			if got, _ := ids(admin, tc.query); got != tc.want {
				t.Errorf("?%s → [%s], want [%s]", tc.query, got, tc.want)
			}
		}
		// Paged by cursor, nothing skipped or repeated.
		page1, next := ids(admin, "limit=2")
		page2, next2 := ids(admin, "limit=2&cursor="+next)
		page3, next3 := ids(admin, "limit=2&cursor="+next2)
		if page1 != list(h.c4, h.c3) || page2 != list(h.c2, h.c1) || page3 != "" || next3 != "" {
			t.Errorf("pages [%s] [%s] [%s] %q", page1, page2, page3, next3)
		}
		// An agent sees what they own and the queue.
		if got, _ := ids(ana, ""); got != list(h.c2) {
			t.Errorf("Ana's search = [%s], want [%d]", got, h.c2)
		}
		if got, _ := ids(ana, "q=card"); got != "" {
			t.Errorf("Ana found others' conversations: [%s]", got)
		}
		for _, q := range []string{"cursor=nonsense", "csat_max=6", "csat_max=0", "from=monday", "status=lost", "agent_id=-1"} {
			if status, raw := f.do(t, "GET", "/api/v1/conversations?"+q, admin, nil); status != http.StatusBadRequest {
				t.Errorf("?%s → %d %s, want 400", q, status, raw)
			}
		}
		// The transcript page's events.
		var evs struct {
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		}
		f.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/events", h.c2), admin, nil, http.StatusOK, &evs)
		var types []string
		for _, e := range evs.Events {
			types = append(types, e.Type)
		}
		if got := strings.Join(types, " "); !strings.HasPrefix(got, "conversation.created message.created conversation.queued offer.created offer.accepted conversation.assigned") {
			t.Errorf("events of c2: %s", got)
		}
	})
}
