package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// runCLI runs a tandem command in this process with stdin and returns its
// exit code, standard output and standard error.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// remoteEnv is an env whose requests go to a server at addr run by the
// real serve command (through a local proxy, so the env's HTTP helpers work).
func remoteEnv(t *testing.T, addr string) *env {
	u, err := url.Parse("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv}
}

// TestCLICreatesWorkspaceAndUser sets up a server from a shell the way a
// container would: workspace create, then user create with the password
// on standard input; the person can then sign in to the served database.
func TestCLICreatesWorkspaceAndUser(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "", "workspace", "create", "--data-dir", dir, "--slug", "globex", "--name", "Globex"); code != 0 || !strings.Contains(out, `"globex"`) {
		t.Fatalf("workspace create: exit %d, out %q, err %q", code, out, errOut)
	}
	bad := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"taken slug", "", []string{"workspace", "create", "--data-dir", dir, "--slug", "globex", "--name", "Again"}, "exists already"},
		{"bad slug", "", []string{"workspace", "create", "--data-dir", dir, "--slug", "Glo Bex", "--name", "X"}, "slug"},
		{"short password", "short\n", []string{"user", "create", "--data-dir", dir, "--workspace", "globex", "--email", "a@globex.test", "--role", "admin", "--password-stdin"}, "at least 10"},
		{"no --password-stdin", "", []string{"user", "create", "--data-dir", dir, "--workspace", "globex", "--email", "a@globex.test"}, "--password-stdin"},
		{"bad role", "long enough pw\n", []string{"user", "create", "--data-dir", dir, "--workspace", "globex", "--email", "a@globex.test", "--role", "boss", "--password-stdin"}, "role"},
		{"no workspace", "long enough pw\n", []string{"user", "create", "--data-dir", dir, "--workspace", "nope", "--email", "a@globex.test", "--password-stdin"}, "not found"},
	}
	for _, c := range bad {
		if code, _, errOut := runCLI(t, c.stdin, c.args...); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want a failure mentioning %q", c.name, code, errOut, c.want)
		}
	}
	code, out, errOut := runCLI(t, "correct horse battery\n", "user", "create", "--data-dir", dir, "--workspace", "globex",
		"--email", "Boss@Globex.test", "--role", "admin", "--password-stdin")
	if code != 0 || !strings.Contains(out, "boss@globex.test") {
		t.Fatalf("user create: exit %d, out %q, err %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "correct horse battery\n", "user", "create", "--data-dir", dir, "--workspace", "globex",
		"--email", "boss@globex.test", "--password-stdin"); code == 0 || !strings.Contains(errOut, "has an account") {
		t.Errorf("same email twice: exit %d, stderr %q", code, errOut)
	}

	srv, addrs := runServe(t, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))
	e := remoteEnv(t, addrs[0])
	token, me := e.login(t, "boss@globex.test", "correct horse battery")
	if me.Role != "admin" || token == "" {
		t.Errorf("signed in as %+v", me)
	}
	srv.stopAndWait(t)
	if s := srv.stdout.String(); strings.Contains(s, "/setup?token=") {
		t.Errorf("a server with a workspace printed a setup link:\n%s", s)
	}
}

// TestFreshServerSetupLink starts serve on an empty data directory: it
// prints a one-time setup link, which creates the first workspace and its
// admin (signed in at once) and then works no more.
func TestFreshServerSetupLink(t *testing.T) {
	dir := t.TempDir()
	srv, addrs := runServe(t, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))
	defer srv.stopAndWait(t)
	e := remoteEnv(t, addrs[0])
	var token string
	re := regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]+)`)
	eventually(t, waitTimeout, "the setup link on standard output", func() bool {
		m := re.FindStringSubmatch(srv.stdout.String())
		if m != nil {
			token = m[1]
		}
		return m != nil
	})
	e.call(t, "GET", "/api/v1/setup/"+token, "", nil, http.StatusOK, nil)
	e.fails(t, "GET", "/api/v1/setup/not-a-token", "", nil, http.StatusNotFound, "not_found")
	status, page := e.do(t, "GET", "/setup?token="+token, "", nil)
	if status != http.StatusOK || !bytes.Contains(page, []byte("welcome.js")) {
		t.Errorf("GET /setup: %d %s", status, page)
	}

	form := map[string]string{"token": token, "workspace_slug": "initech", "workspace_name": "Initech",
		"email": "peter@initech.test", "name": "Peter", "password": "tps reports!"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range form {
			m[a] = b
		}
		m[k] = v
		return m
	}
	e.fails(t, "POST", "/api/v1/setup", "", with("password", "short"), http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/setup", "", with("workspace_slug", "Not A Slug"), http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/setup", "", with("email", "nobody"), http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/setup", "", with("token", "guessed"), http.StatusForbidden, "forbidden")
	var out struct {
		Token string `json:"token"`
		Agent agent  `json:"agent"`
	}
	e.call(t, "POST", "/api/v1/setup", "", form, http.StatusCreated, &out)
	if out.Agent.Role != "admin" || out.Agent.Email != "peter@initech.test" {
		t.Errorf("setup created %+v", out.Agent)
	}
	if me := e.me(t, out.Token); me.Email != "peter@initech.test" {
		t.Errorf("the setup token signs in %+v", me)
	}
	// Used: the link works no more, for anything.
	e.fails(t, "POST", "/api/v1/setup", "", with("workspace_slug", "second"), http.StatusForbidden, "forbidden")
	e.fails(t, "GET", "/api/v1/setup/"+token, "", nil, http.StatusNotFound, "not_found")
	// The new workspace serves customers.
	e.customer(t, "initech")
}

// peopleEnv is the demo env with cheap password hashing for new passwords.
func peopleEnv(t *testing.T) *env {
	return startEnv(t, envOptions{configure: func(c *config.Config) { c.PasswordCost = bcrypt.MinCost }})
}

type invitationJSON struct {
	Invitation struct {
		ID        int64    `json:"id"`
		Email     string   `json:"email"`
		Role      string   `json:"role"`
		Skills    []string `json:"skills"`
		Languages []string `json:"languages"`
	} `json:"invitation"`
	Token string `json:"token"`
	Link  string `json:"link"`
}

// TestInvitations: an admin invites by email with skills and languages;
// the invitee accepts with a name and password and is signed in, certified
// for the workspace, with those skills; the link then works no more.
func TestInvitations(t *testing.T) {
	e := peopleEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	body := map[string]any{"email": "Dana@Example.com", "role": "agent", "skills": []string{"payments", "cards"}, "languages": []string{"sv", "en"}}

	e.fails(t, "POST", "/api/v1/invitations", ana, body, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/invitations", "", body, http.StatusUnauthorized, "unauthorized")
	for _, bad := range []map[string]any{
		{"email": "not an email", "role": "agent"},
		{"email": "x@example.com", "role": "owner"},
		{"email": "x@example.com", "skills": []string{"Bad Skill"}},
		{"email": "x@example.com", "languages": []string{"x"}},
	} {
		e.fails(t, "POST", "/api/v1/invitations", admin, bad, http.StatusBadRequest, "bad_request")
	}
	e.fails(t, "POST", "/api/v1/invitations", admin, map[string]any{"email": "x@example.com", "extra": 1}, http.StatusBadRequest, "invalid_json")
	e.fails(t, "POST", "/api/v1/invitations", admin, map[string]any{"email": "ben@acme.test"}, http.StatusConflict, "conflict")

	var inv invitationJSON
	e.call(t, "POST", "/api/v1/invitations", admin, body, http.StatusCreated, &inv)
	if inv.Token == "" || !strings.HasSuffix(inv.Link, "/invite/"+inv.Token) || inv.Invitation.Email != "dana@example.com" || inv.Invitation.Role != "agent" {
		t.Fatalf("invitation: %+v", inv)
	}
	var list struct {
		Invitations []map[string]any `json:"invitations"`
	}
	e.call(t, "GET", "/api/v1/invitations", admin, nil, http.StatusOK, &list)
	if len(list.Invitations) != 1 || list.Invitations[0]["token"] != nil {
		t.Errorf("invitations list: %+v (the token is never listed)", list.Invitations)
	}
	if status, page := e.do(t, "GET", "/invite/"+inv.Token, "", nil); status != http.StatusOK || !bytes.Contains(page, []byte("welcome.js")) {
		t.Errorf("GET /invite/{token}: %d", status)
	}

	accept := "/api/v1/invitations/" + inv.Token + "/accept"
	e.fails(t, "POST", accept, "", map[string]string{"name": "Dana", "password": "123"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", accept, "", map[string]string{"name": " ", "password": "long enough pw"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/invitations/wrong/accept", "", map[string]string{"name": "Dana", "password": "long enough pw"}, http.StatusNotFound, "not_found")
	var got struct {
		Token string `json:"token"`
		Agent agent  `json:"agent"`
	}
	e.call(t, "POST", accept, "", map[string]string{"name": "Dana", "password": "long enough pw"}, http.StatusCreated, &got)
	if got.Token == "" || got.Agent.Email != "dana@example.com" || got.Agent.Role != "agent" {
		t.Fatalf("accepted: %+v", got)
	}
	e.fails(t, "POST", accept, "", map[string]string{"name": "Eve", "password": "long enough pw"}, http.StatusNotFound, "not_found")

	var full struct {
		Skills       []model.AgentSkill `json:"skills"`
		Languages    []string           `json:"languages"`
		CertifiedFor []string           `json:"certified_for"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", got.Agent.ID), admin, nil, http.StatusOK, &full)
	if len(full.Skills) != 2 || len(full.Languages) != 2 || len(full.CertifiedFor) != 1 || full.CertifiedFor[0] != "acme" {
		t.Errorf("the invitee's profile: %+v", full)
	}
	// Signed in with the password they chose.
	e.login(t, "dana@example.com", "long enough pw")
}

// TestRolesAndDeactivation: only admins change roles; a supervisor manages
// agents but not settings; a deactivated agent is signed out, cannot sign
// in, their pending offer is rescinded and the conversation they held goes
// back to the front of the queue with an event, where another agent gets it.
func TestRolesAndDeactivation(t *testing.T) {
	e := peopleEnv(t)
	admin, adminMe := e.login(t, "admin@acme.test", app.DemoPassword)
	ana, anaMe := e.login(t, "ana@acme.test", app.DemoPassword)
	ben, benMe := e.login(t, "ben@acme.test", app.DemoPassword)
	chen, chenMe := e.login(t, "chen@acme.test", app.DemoPassword)

	role := func(id int64) string { return fmt.Sprintf("/api/v1/agents/%d/role", id) }
	e.fails(t, "PUT", role(benMe.ID), ana, map[string]string{"role": "admin"}, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", role(benMe.ID), admin, map[string]string{"role": "boss"}, http.StatusBadRequest, "bad_request")
	e.fails(t, "PUT", role(adminMe.ID), admin, map[string]string{"role": "agent"}, http.StatusConflict, "conflict")
	e.fails(t, "PUT", role(999999), admin, map[string]string{"role": "agent"}, http.StatusNotFound, "not_found")
	other := e.addWorkspace("globex", 0, "gina@globex.test")
	gina, ginaMe := e.login(t, "gina@globex.test", "pw")
	_ = other
	e.fails(t, "PUT", role(ginaMe.ID), admin, map[string]string{"role": "admin"}, http.StatusNotFound, "not_found")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", ginaMe.ID), admin, nil, http.StatusNotFound, "not_found")
	_ = gina

	var chenNow agent
	e.call(t, "PUT", role(chenMe.ID), admin, map[string]string{"role": "supervisor"}, http.StatusOK, &chenNow)
	if chenNow.Role != "supervisor" {
		t.Fatalf("role is %q", chenNow.Role)
	}
	// A supervisor: people yes, settings and roles no.
	e.fails(t, "PUT", "/api/v1/settings/workspace", chen, map[string]any{"name": "X"}, http.StatusForbidden, "forbidden")
	e.fails(t, "PUT", role(benMe.ID), chen, map[string]string{"role": "admin"}, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/invitations", chen, map[string]string{"email": "x@example.com", "role": "admin"}, http.StatusForbidden, "forbidden")
	e.call(t, "POST", "/api/v1/invitations", chen, map[string]string{"email": "x@example.com", "role": "agent"}, http.StatusCreated, nil)
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", adminMe.ID), chen, nil, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", adminMe.ID), admin, nil, http.StatusConflict, "conflict")
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", benMe.ID), ana, nil, http.StatusForbidden, "forbidden")

	// Ana holds one conversation and has an offer of another.
	e.setStatus(t, ana, "available")
	_, held := e.askForPerson(t, "c1")
	o := e.waitOffer(t, ana, held.ID)
	e.call(t, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", o.ID), ana, nil, http.StatusOK, nil)
	_, offered := e.askForPerson(t, "c2")
	e.waitOffer(t, ana, offered.ID)
	s := e.openStream(t, admin, 0)
	defer s.close()

	var gone agent
	e.call(t, "POST", fmt.Sprintf("/api/v1/agents/%d/deactivate", anaMe.ID), chen, nil, http.StatusOK, &gone)
	if gone.Status != "offline" {
		t.Errorf("deactivated agent is %q", gone.Status)
	}
	e.fails(t, "GET", "/api/v1/agents/me", ana, nil, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ana@acme.test", "password": app.DemoPassword}, http.StatusUnauthorized, "unauthorized")
	s.waitFor("the held conversation requeued, with the reason", func(f frame) bool {
		return f.Type == "conversation.queued" && f.conversation(t).ID == held.ID && f.conversation(t).HandoffReason == "agent_deactivated"
	})
	// Back at the front: the requeued conversation is ahead of the one that was waiting.
	var queue struct {
		Queue []struct {
			ConversationID int64 `json:"conversation_id"`
		} `json:"queue"`
	}
	e.call(t, "GET", "/api/v1/queue", admin, nil, http.StatusOK, &queue)
	if len(queue.Queue) < 2 || queue.Queue[0].ConversationID != held.ID {
		t.Errorf("queue after deactivation: %+v, want conversation %d first", queue.Queue, held.ID)
	}
	// Another agent gets both (Ana's offer was rescinded, so the other
	// conversation is free to offer); history stays (the admin still sees Ana).
	e.setStatus(t, ben, "available")
	e.waitOffer(t, ben, held.ID)
	e.waitOffer(t, ben, offered.ID)
	if a := e.agentByID(t, admin, anaMe.ID); a["deactivated_at"] == nil {
		t.Errorf("Ana after deactivation: %+v", a)
	}
	// Reactivated, she signs in again.
	e.fails(t, "POST", fmt.Sprintf("/api/v1/agents/%d/reactivate", anaMe.ID), chen, nil, http.StatusForbidden, "forbidden")
	e.call(t, "POST", fmt.Sprintf("/api/v1/agents/%d/reactivate", anaMe.ID), admin, nil, http.StatusOK, nil)
	e.login(t, "ana@acme.test", app.DemoPassword)
}

func (e *env) agentByID(t *testing.T, token string, id int64) map[string]any {
	t.Helper()
	var out map[string]any
	e.call(t, "GET", fmt.Sprintf("/api/v1/agents/%d", id), token, nil, http.StatusOK, &out)
	return out
}

// TestSignInThrottleAndRevocation: five wrong passwords lock the account
// (even the right one is refused, 429); "sign out everywhere" ends every
// session of the person.
func TestSignInThrottleAndRevocation(t *testing.T) {
	e := peopleEnv(t)
	for i := 0; i < 5; i++ {
		e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ben@acme.test", "password": "guess"}, http.StatusUnauthorized, "unauthorized")
	}
	e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ben@acme.test", "password": app.DemoPassword}, http.StatusTooManyRequests, "too_many_attempts")
	// Another account from the same address is not locked by Ben's.
	one, _ := e.login(t, "chen@acme.test", app.DemoPassword)
	two, _ := e.login(t, "chen@acme.test", app.DemoPassword)
	e.call(t, "DELETE", "/api/v1/agents/me/sessions", one, nil, http.StatusNoContent, nil)
	e.fails(t, "GET", "/api/v1/agents/me", one, nil, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "GET", "/api/v1/agents/me", two, nil, http.StatusUnauthorized, "unauthorized")
	// Failures per address: 20 from one address lock every account from it.
	for i := 0; i < 14; i++ { // 5 already counted for this address
		e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": fmt.Sprintf("nobody%d@acme.test", i), "password": "guess"}, http.StatusUnauthorized, "unauthorized")
	}
	e.login(t, "admin@acme.test", app.DemoPassword) // 19 failures: still allowed
	e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "x@acme.test", "password": "guess"}, http.StatusUnauthorized, "unauthorized")
	e.fails(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@acme.test", "password": app.DemoPassword}, http.StatusTooManyRequests, "too_many_attempts")
}

var _ = store.ErrNotFound

// TestInvitationMailed: with SMTP configured the invitation is emailed
// through the outbox, and its link lets the invitee in.
func TestInvitationMailed(t *testing.T) {
	srv := mailtest.NewServer(t)
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) {
		c.SMTPURL, c.MailFrom, c.MailDelay, c.PasswordCost = srv.URL(), "Acme Support <support@acme.example>", 0, bcrypt.MinCost
		c.PublicURL = "https://support.acme.example"
	}})
	runMail(t, e.app)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	var inv invitationJSON
	e.call(t, "POST", "/api/v1/invitations", admin, map[string]any{"email": "dana@example.com", "role": "supervisor"}, http.StatusCreated, &inv)
	got := srv.WaitFor(t, 1, waitTimeout)
	if len(got) != 1 || got[0].To[0] != "dana@example.com" {
		t.Fatalf("received %+v", got)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	link := "https://support.acme.example/invite/" + inv.Token
	if s := msg.Header.Get("Subject"); !strings.Contains(s, "Acme Pay") || !strings.Contains(string(raw), link) {
		t.Errorf("invitation mail %q:\n%s\nwant the link %s", s, raw, link)
	}
	var accepted struct {
		Agent agent `json:"agent"`
	}
	e.call(t, "POST", "/api/v1/invitations/"+inv.Token+"/accept", "", map[string]string{"name": "Dana", "password": "long enough pw"}, http.StatusCreated, &accepted)
	if accepted.Agent.Role != "supervisor" {
		t.Errorf("accepted %+v", accepted.Agent)
	}
}
