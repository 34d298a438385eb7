package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

// overview mirrors GET /api/v1/stats/overview.
type overview struct {
	GeneratedAt   time.Time `json:"generated_at"`
	TimeZone      string    `json:"time_zone"`
	DayStart      time.Time `json:"day_start"`
	Conversations struct {
		AI            int `json:"ai"`
		Queued        int `json:"queued"`
		Assigned      int `json:"assigned"`
		ResolvedToday int `json:"resolved_today"`
		CreatedToday  int `json:"created_today"`
	} `json:"conversations"`
	Queue struct {
		Length            int        `json:"length"`
		OldestQueuedAt    *time.Time `json:"oldest_queued_at"`
		OldestWaitSeconds int        `json:"oldest_wait_seconds"`
	} `json:"queue"`
	Agents struct {
		Available, Away, Offline, Total, Capacity, Active int
		FreeSlots                                         int `json:"free_slots"`
	} `json:"agents"`
	Assistant struct {
		Conversations           int      `json:"conversations"`
		AnsweredWithoutHandover int      `json:"answered_without_handover"`
		ResolvedByAssistant     int      `json:"resolved_by_assistant"`
		HandedOver              int      `json:"handed_over"`
		AnswerRate              *float64 `json:"answer_rate"`
	} `json:"assistant"`
	CSAT struct {
		Ratings       int      `json:"ratings"`
		Average       *float64 `json:"average"`
		Satisfied     int      `json:"satisfied"`
		SatisfiedRate *float64 `json:"satisfied_rate"`
		Distribution  [5]int   `json:"distribution"`
	} `json:"csat"`
	Hours []struct {
		Start         time.Time `json:"start"`
		Conversations int       `json:"conversations"`
		HandedOver    int       `json:"handed_over"`
		AIAnswered    int       `json:"ai_answered"`
	} `json:"hours"`
}

func (e *env) overview(t *testing.T, token, query string) overview {
	t.Helper()
	var o overview
	e.call(t, "GET", "/api/v1/stats/overview"+query, token, nil, http.StatusOK, &o)
	return o
}

type csatJSON struct {
	ConversationID int64     `json:"conversation_id"`
	Score          int       `json:"score"`
	Comment        string    `json:"comment"`
	AgentID        *int64    `json:"agent_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (e *env) rate(t *testing.T, token string, convID int64, score int, comment string, want int) csatJSON {
	t.Helper()
	var out csatJSON
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/csat", convID), token,
		map[string]any{"score": score, "comment": comment}, want, &out)
	if out.ConversationID != convID || out.Score != score {
		t.Fatalf("rating: %+v, want conversation %d score %d", out, convID, score)
	}
	return out
}

func ptrEq(p *float64, want float64) bool { return p != nil && *p == want }

// TestOverviewStats scripts a morning in the demo workspace and checks
// every figure of the overview against it, and that an admin's stream sees
// the events the console refetches on.
func TestOverviewStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)

	o := e.overview(t, admin, "")
	if o.TimeZone != "UTC" || o.Conversations.CreatedToday != 0 || o.Queue.Length != 0 || o.Queue.OldestQueuedAt != nil ||
		o.Assistant.AnswerRate != nil || o.CSAT.Ratings != 0 || o.CSAT.Average != nil || o.Agents.Total != 4 || o.Agents.Offline != 4 {
		t.Fatalf("overview of an empty workspace: %+v", o)
	}
	if !o.DayStart.Equal(o.GeneratedAt.Truncate(24*time.Hour)) || len(o.Hours) != o.GeneratedAt.Hour()+1 {
		t.Fatalf("day_start %v and %d hours for generated_at %v", o.DayStart, len(o.Hours), o.GeneratedAt)
	}
	stream := e.openStream(t, admin, -1)

	// A: answered by the assistant, still with it.
	custA := e.customer(t, "acme")
	convA := e.start(t, custA, "a-1", cardQuestion)
	// B: asks for a person straight away.
	custB := e.customer(t, "acme")
	convB := e.start(t, custB, "b-1", "I want to talk to a person")
	// C: answered, then the customer presses "Talk to a person".
	custC := e.customer(t, "acme")
	convC := e.start(t, custC, "c-1", cardQuestion)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", convC.ID), custC, nil, http.StatusOK, nil)
	// D: answered, and the customer says the answer resolved it.
	custD := e.customer(t, "acme")
	convD := e.start(t, custD, "d-1", cardQuestion)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/feedback", convD.ID), custD, map[string]any{"helpful": true}, http.StatusOK, nil)
	for _, c := range []conversation{convA, convC, convD} {
		if c.Status != "ai" {
			t.Fatalf("conversation %d: status %s, want the assistant's answer", c.ID, c.Status)
		}
	}
	if convB.Status != "queued" {
		t.Fatalf("conversation B: %+v, want queued", convB)
	}

	// Ana takes B (queued first) and resolves it; C waits on.
	ana, anaAgent := e.login(t, "ana@acme.test", app.DemoPassword)
	e.setStatus(t, ana, "available")
	of := e.waitOffer(t, ana, convB.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", of.ID), ana, nil, http.StatusOK, nil)
	e.post(t, ana, convB.ID, "r-1", "Hello, Ana here.", false)
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", convB.ID), ana, nil, http.StatusOK, nil)
	stream.waitType(model.EventConversationResolved, convB.ID)

	o = e.overview(t, admin, "")
	c := o.Conversations
	if c.AI != 1 || c.Queued != 1 || c.Assigned != 0 || c.ResolvedToday != 2 || c.CreatedToday != 4 {
		t.Errorf("conversations: %+v, want ai 1 (A), queued 1 (C), assigned 0, resolved today 2 (B, D), created today 4", c)
	}
	if q := o.Queue; q.Length != 1 || q.OldestQueuedAt == nil || q.OldestWaitSeconds < 0 || q.OldestWaitSeconds > 60 {
		t.Errorf("queue: %+v, want C waiting", q)
	}
	if g := o.Agents; g.Available != 1 || g.Offline != 3 || g.Away != 0 || g.Total != 4 || g.Capacity != 3 || g.Active != 0 || g.FreeSlots != 3 {
		t.Errorf("agents: %+v, want Ana available with 3 free slots, 3 offline", g)
	}
	as := o.Assistant
	if as.Conversations != 4 || as.AnsweredWithoutHandover != 2 || as.ResolvedByAssistant != 1 || as.HandedOver != 2 || !ptrEq(as.AnswerRate, 0.5) {
		t.Errorf("assistant: %+v (rate %v), want 4 conversations, A and D answered without a hand-over (rate 0.5), D resolved, B and C handed over", as, as.AnswerRate)
	}
	sum, handed, answered := 0, 0, 0
	for i, h := range o.Hours {
		if !h.Start.Equal(o.DayStart.Add(time.Duration(i) * time.Hour)) {
			t.Errorf("hour %d starts at %v", i, h.Start)
		}
		sum, handed, answered = sum+h.Conversations, handed+h.HandedOver, answered+h.AIAnswered
	}
	if last := o.Hours[len(o.Hours)-1]; sum != 4 || handed != 2 || answered != 2 || last.Conversations == 0 {
		t.Errorf("hours: %d conversations, %d handed over, %d answered, last hour %+v; want 4, 2, 2, this hour's", sum, handed, answered, last)
	}

	// Ratings: B (Ana's) gets a 5, D (the assistant's) a 2.
	rb := e.rate(t, custB, convB.ID, 5, "Quick and kind", http.StatusCreated)
	if rb.AgentID == nil || *rb.AgentID != anaAgent.ID {
		t.Errorf("B's rating names agent %v, want Ana (%d)", rb.AgentID, anaAgent.ID)
	}
	if f := stream.waitType(model.EventCSATSubmitted, convB.ID); !strings.Contains(string(f.Data), `"score":5`) {
		t.Errorf("csat.submitted data: %s", f.Data)
	}
	rd := e.rate(t, custD, convD.ID, 2, "", http.StatusCreated)
	if rd.AgentID != nil {
		t.Errorf("D's rating names agent %v, want none (the assistant resolved it)", *rd.AgentID)
	}
	cs := e.overview(t, admin, "").CSAT
	if cs.Ratings != 2 || !ptrEq(cs.Average, 3.5) || cs.Satisfied != 1 || !ptrEq(cs.SatisfiedRate, 0.5) || cs.Distribution != [5]int{0, 1, 0, 0, 1} {
		t.Errorf("csat: %+v (average %v, satisfied %v), want 2 ratings averaging 3.5, half satisfied, one 2 and one 5", cs, cs.Average, cs.SatisfiedRate)
	}

	// Agents see it too; customers do not; the time zone moves the day.
	if got := e.overview(t, ana, ""); got.Conversations.CreatedToday != 4 {
		t.Errorf("Ana's overview: %+v", got.Conversations)
	}
	e.fails(t, "GET", "/api/v1/stats/overview", custA, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/stats/overview", "", nil, http.StatusUnauthorized, "unauthorized")
	for _, tz := range []string{"Nowhere/City", "../../etc/passwd", "/etc/localtime"} {
		e.fails(t, "GET", "/api/v1/stats/overview?tz="+tz, admin, nil, http.StatusBadRequest, "bad_request")
	}
	for _, tz := range []string{"Pacific/Kiritimati", "Etc/GMT+12", "Europe/Stockholm"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		got := e.overview(t, admin, "?tz="+url.QueryEscape(tz))
		local := got.GeneratedAt.In(loc)
		want := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		if got.TimeZone != tz || !got.DayStart.Equal(want) || len(got.Hours) != int(got.GeneratedAt.Sub(want)/time.Hour)+1 {
			t.Errorf("tz %s: time_zone %q, day_start %v (want %v), %d hours", tz, got.TimeZone, got.DayStart, want, len(got.Hours))
		}
	}
}

// TestCSAT checks who may rate what, and when.
func TestCSAT(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")
	other := e.customer(t, "acme")
	conv := e.start(t, cust, "c-1", cardQuestion)
	path := fmt.Sprintf("/api/v1/conversations/%d/csat", conv.ID)

	// Not resolved yet.
	e.fails(t, "POST", path, cust, map[string]any{"score": 5}, http.StatusConflict, "conflict")
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", conv.ID), cust, nil, http.StatusOK, nil)
	cs := e.openStream(t, cust, -1)

	for _, body := range []any{
		map[string]any{"score": 0}, map[string]any{"score": 6}, map[string]any{"score": -1},
		map[string]any{"comment": "no score"}, map[string]any{"score": 3, "comment": strings.Repeat("é", 1001)},
	} {
		e.fails(t, "POST", path, cust, body, http.StatusBadRequest, "bad_request")
	}
	for _, body := range []any{map[string]any{"score": 4.5}, map[string]any{"score": "5"}, map[string]any{"score": 5, "stars": 5}, rawBody("")} {
		e.fails(t, "POST", path, cust, body, http.StatusBadRequest, "invalid_json")
	}
	e.fails(t, "POST", path, other, map[string]any{"score": 1}, http.StatusNotFound, "not_found")
	e.fails(t, "POST", path, admin, map[string]any{"score": 1}, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", path, "", map[string]any{"score": 1}, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "POST", "/api/v1/conversations/999999/csat", cust, map[string]any{"score": 1}, http.StatusNotFound, "not_found")
	// Another workspace's customer cannot reach it either.
	e.addWorkspace("globex", 30*time.Second)
	e.fails(t, "POST", path, e.customer(t, "globex"), map[string]any{"score": 1}, http.StatusNotFound, "not_found")

	first := e.rate(t, cust, conv.ID, 4, "  Good, but my card 4111 1111 1111 1111 was slow  ", http.StatusCreated)
	if strings.Contains(first.Comment, "4111 1111 1111 1111") || !strings.HasPrefix(first.Comment, "Good, but my card") || strings.HasSuffix(first.Comment, " ") {
		t.Errorf("comment %q: want it trimmed with the card number masked", first.Comment)
	}
	if f := cs.waitType(model.EventCSATSubmitted, conv.ID); !strings.Contains(string(f.Data), `"score":4`) {
		t.Errorf("the customer's stream: csat.submitted %s", f.Data)
	}
	// The same rating again changes nothing; a new one replaces it.
	if again := e.rate(t, cust, conv.ID, 4, first.Comment, http.StatusOK); !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("repeating the rating moved updated_at: %v → %v", first.UpdatedAt, again.UpdatedAt)
	}
	second := e.rate(t, cust, conv.ID, 5, "", http.StatusOK)
	if !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.After(first.UpdatedAt) || second.Comment != "" {
		t.Errorf("changed rating: %+v after %+v", second, first)
	}
	next := cs.next()
	if next.Type != model.EventCSATSubmitted || !strings.Contains(string(next.Data), `"score":5`) {
		t.Errorf("after the repeat and the change the stream has %v %s, want one csat.submitted with the 5", next, next.Data)
	}

	// GET /conversations/{id} carries the rating, for the customer and staff.
	for _, tok := range []string{cust, admin} {
		var got struct {
			CSAT *csatJSON `json:"csat"`
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), tok, nil, http.StatusOK, &got)
		if got.CSAT == nil || got.CSAT.Score != 5 {
			t.Errorf("conversation's csat: %+v, want score 5", got.CSAT)
		}
	}
	// A conversation without a rating has no csat field.
	_, raw := e.do(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", e.start(t, other, "o-1", cardQuestion).ID), other, nil)
	if strings.Contains(string(raw), `"csat"`) {
		t.Errorf("an unrated conversation has a csat field: %s", raw)
	}

	// Reopened by a new message, it cannot be rated until it is resolved again; the rating stays.
	e.post(t, cust, conv.ID, "c-2", "One more thing about my card", false)
	e.fails(t, "POST", path, cust, map[string]any{"score": 1}, http.StatusConflict, "conflict")
	var got struct {
		Status string    `json:"status"`
		CSAT   *csatJSON `json:"csat"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), cust, nil, http.StatusOK, &got)
	if got.Status == "resolved" || got.CSAT == nil || got.CSAT.Score != 5 {
		t.Errorf("reopened conversation: status %s csat %+v", got.Status, got.CSAT)
	}
}

// widgetSessionFrom opens a widget session with an Origin header ("" sends none).
func (e *env) widgetSessionFrom(t *testing.T, origin string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/widget/session", strings.NewReader(`{"workspace":"acme"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, raw
}

type workspaceSettings struct {
	Slug               string   `json:"slug"`
	Name               string   `json:"name"`
	AssistantName      string   `json:"assistant_name"`
	IdentitySecretSet  bool     `json:"identity_secret_set"`
	IdentitySecretHint string   `json:"identity_secret_hint"`
	AllowedOrigins     []string `json:"allowed_origins"`
}

// TestWorkspaceSettings: admins only; allowed origins are normalized and
// enforced on widget sessions; the assistant's name shows on its answers.
func TestWorkspaceSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	cust := e.customer(t, "acme")
	const path = "/api/v1/settings/workspace"

	for _, tok := range []string{ana, cust} {
		e.fails(t, "GET", path, tok, nil, http.StatusForbidden, "forbidden")
		e.fails(t, "PUT", path, tok, map[string]any{"name": "Mine"}, http.StatusForbidden, "forbidden")
		e.fails(t, "POST", "/api/v1/settings/identity-secret/rotate", tok, nil, http.StatusForbidden, "forbidden")
	}
	e.fails(t, "GET", path, "", nil, http.StatusUnauthorized, "unauthorized")

	var s workspaceSettings
	e.call(t, "GET", path, admin, nil, http.StatusOK, &s)
	secret := e.info.IdentitySecret
	if s.Slug != "acme" || s.Name != "Acme Pay" || s.AssistantName != "Acme Pay assistant" || !s.IdentitySecretSet ||
		s.IdentitySecretHint != secret[len(secret)-4:] || s.AllowedOrigins == nil || len(s.AllowedOrigins) != 0 {
		t.Fatalf("settings: %+v", s)
	}

	// Origins are normalized, deduplicated and sorted.
	e.call(t, "PUT", path, admin, map[string]any{"allowed_origins": []string{
		"https://shop.example.com/", "HTTPS://Shop.Example.com:443", "https://*.acme.test", "http://localhost:3000",
	}}, http.StatusOK, &s)
	if want := []string{"http://localhost:3000", "https://*.acme.test", "https://shop.example.com"}; fmt.Sprint(s.AllowedOrigins) != fmt.Sprint(want) {
		t.Errorf("allowed_origins %q, want %q", s.AllowedOrigins, want)
	}
	for _, bad := range []string{"ftp://shop.example.com", "https://shop.example.com/path", "shop.example.com", "https://*.com", "https://user@x.com", "https://exa mple.com", "*"} {
		e.fails(t, "PUT", path, admin, map[string]any{"allowed_origins": []string{bad}}, http.StatusBadRequest, "bad_request")
	}
	many := make([]string, model.MaxWidgetOrigins+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://s%d.example.com", i)
	}
	e.fails(t, "PUT", path, admin, map[string]any{"allowed_origins": many}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", path, admin, map[string]any{"name": "  "}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", path, admin, map[string]any{"assistant_name": "two\nlines"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", path, admin, map[string]any{"identity_secret": "mine"}, http.StatusBadRequest, "invalid_json")

	// Enforced on widget sessions from browsers.
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://shop.example.com", 201},
		{"https://www.acme.test", 201},   // the wildcard
		{"https://a.b.acme.test", 201},   // any depth
		{"http://localhost:3000", 201},   // the port counts
		{"", 201},                        // not a browser
		{e.srv.URL, 201},                 // Tandem's own pages (the demo)
		{"https://acme.test", 403},       // the wildcard is for subdomains
		{"http://shop.example.com", 403}, // the scheme counts
		{"http://localhost:3001", 403},   // the port counts
		{"https://evil.example", 403},    // not listed
		{"https://shop.example.com.evil", 403},
		{"null", 403},
	} {
		status, raw := e.widgetSessionFrom(t, tc.origin)
		if tc.want == 403 {
			checkError(t, "widget session from "+tc.origin, status, raw, http.StatusForbidden, "forbidden")
			if !strings.Contains(string(raw), "allowed widget origins") {
				t.Errorf("refusal from %s does not say why: %s", tc.origin, raw)
			}
		} else if status != tc.want {
			t.Errorf("widget session from %q: status %d, want %d: %s", tc.origin, status, tc.want, raw)
		}
	}
	// An empty list allows every origin again.
	e.call(t, "PUT", path, admin, map[string]any{"allowed_origins": []string{}}, http.StatusOK, &s)
	if status, raw := e.widgetSessionFrom(t, "https://evil.example"); status != http.StatusCreated {
		t.Errorf("with no origins listed: status %d: %s", status, raw)
	}

	// The assistant's new name is on its next answer; other fields stay.
	e.call(t, "PUT", path, admin, map[string]any{"assistant_name": "  Penny  "}, http.StatusOK, &s)
	if s.AssistantName != "Penny" || s.Name != "Acme Pay" {
		t.Errorf("after renaming the assistant: %+v", s)
	}
	conv := e.start(t, cust, "p-1", cardQuestion)
	msgs := e.messages(t, cust, conv.ID)
	if len(msgs) < 2 || msgs[1].AuthorName != "Penny" {
		t.Errorf("the assistant's answer after the rename: %+v", msgs)
	}
}

// TestIdentitySecretRotation: the new secret is shown once; the old
// user_hash stops verifying, the new one verifies; nothing leaks it.
func TestIdentitySecretRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	old := e.info.IdentitySecret
	session := func(secret string) map[string]any {
		return map[string]any{"workspace": "acme", "customer": map[string]string{"external_id": "cus_1001"}, "user_hash": desk.UserHash(secret, "cus_1001")}
	}
	var verified struct {
		Verified bool `json:"verified"`
	}
	e.call(t, "POST", "/api/v1/widget/session", "", session(old), http.StatusCreated, &verified)
	if !verified.Verified {
		t.Fatal("the old secret does not verify before the rotation")
	}
	stream := e.openStream(t, admin, -1)

	var rot struct {
		IdentitySecret string            `json:"identity_secret"`
		Settings       workspaceSettings `json:"settings"`
	}
	e.call(t, "POST", "/api/v1/settings/identity-secret/rotate", admin, nil, http.StatusOK, &rot)
	fresh := rot.IdentitySecret
	if len(fresh) != 64 || fresh == old || strings.Trim(fresh, "0123456789abcdef") != "" {
		t.Fatalf("new secret %q: want 64 hex digits, not the old one", fresh)
	}
	if rot.Settings.IdentitySecretHint != fresh[60:] || !rot.Settings.IdentitySecretSet {
		t.Errorf("settings after the rotation: %+v", rot.Settings)
	}
	e.fails(t, "POST", "/api/v1/widget/session", "", session(old), http.StatusUnauthorized, "unauthorized")
	e.call(t, "POST", "/api/v1/widget/session", "", session(fresh), http.StatusCreated, &verified)
	if !verified.Verified {
		t.Error("the new secret does not verify")
	}
	// The secret is never shown again, nor sent on the stream.
	_, raw := e.do(t, "GET", "/api/v1/settings/workspace", admin, nil)
	if strings.Contains(string(raw), fresh) || strings.Contains(string(raw), old) {
		t.Errorf("GET settings shows a secret: %s", raw)
	}
	f := stream.waitFor("the rotation event", func(f frame) bool { return f.Type == model.EventIdentitySecretRotated })
	if strings.Contains(string(f.Data), fresh) {
		t.Errorf("the rotation event carries the secret: %s", f.Data)
	}
	// Agents do not see the settings events.
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	as := e.openStream(t, ana, 0)
	e.call(t, "PUT", "/api/v1/settings/workspace", admin, map[string]any{"name": "Acme Pay AB"}, http.StatusOK, nil)
	e.setStatus(t, ana, "away")
	as.waitFor("Ana's status change", func(f frame) bool {
		if strings.HasPrefix(f.Type, "settings.") {
			t.Errorf("Ana's stream has the admin event %v", f)
		}
		return f.Type == model.EventAgentStatusChanged
	})
}

// TestAssistantPolicy: admins read and replace the triage policy; a bad one
// is refused; intents that always go to a person do.
func TestAssistantPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	const path = "/api/v1/settings/assistant"
	type policy struct {
		Policy    map[string]any     `json:"policy"`
		Effective map[string]float64 `json:"effective"`
	}
	e.fails(t, "GET", path, ana, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", path, ana, map[string]any{"policy": map[string]any{}}, http.StatusForbidden, "forbidden")

	var p policy
	e.call(t, "GET", path, admin, nil, http.StatusOK, &p)
	if p.Effective["answer_precision"] != 0.98 || p.Effective["clarify_threshold"] != 0.35 || p.Effective["answer_threshold"] <= 0.35 {
		t.Fatalf("default policy: %+v", p)
	}
	for _, body := range []any{
		map[string]any{"policy": map[string]any{"answer_precision": 1.5}},
		map[string]any{"policy": map[string]any{"answer_threshold": 0.2}}, // below the clarify threshold
		map[string]any{"policy": map[string]any{"always_human": []string{"no_such_intent"}}},
		map[string]any{"policy": map[string]any{"unknown_knob": true}},
		map[string]any{"policy": "strict"},
		map[string]any{},
	} {
		e.fails(t, "PUT", path, admin, body, http.StatusBadRequest, "bad_request")
	}

	e.call(t, "PUT", path, admin, map[string]any{"policy": map[string]any{"always_human": []string{"card_delivery_estimate", "card_delivery_estimate"}, "answer_precision": 0.97}}, http.StatusOK, &p)
	if fmt.Sprint(p.Policy["always_human"]) != "[card_delivery_estimate]" || p.Effective["answer_precision"] != 0.97 {
		t.Errorf("stored policy: %+v", p)
	}
	cust := e.customer(t, "acme")
	if c := e.start(t, cust, "k-1", cardQuestion); c.Status != "queued" || !strings.Contains(c.HandoffReason, "intent_requires_person") {
		t.Errorf("card question under always_human: %+v, want queued for a person", c)
	}
	p = policy{}
	e.call(t, "PUT", path, admin, map[string]any{"policy": map[string]any{}}, http.StatusOK, &p)
	if len(p.Policy) != 0 || p.Effective["answer_precision"] != 0.98 {
		t.Errorf("defaults restored: %+v", p)
	}
	if c := e.start(t, e.customer(t, "acme"), "k-2", cardQuestion); c.Status != "ai" {
		t.Errorf("card question with the defaults: %+v, want answered", c)
	}
}
