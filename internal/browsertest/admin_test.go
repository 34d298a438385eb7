package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
)

// call sends a JSON request to the server's API, requires the status want
// and decodes the answer into out (when not nil).
func call(t *testing.T, base, method, path, token string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// widgetSession opens an anonymous widget session of acme for a customer
// named name and returns its token.
func widgetSession(t *testing.T, base, name string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/widget/session", "", map[string]any{"workspace": "acme", "customer": map[string]string{"name": name}}, http.StatusCreated, &out)
	return out.Token
}

// conversation is what the tests read of a conversation.
type conversation struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// startConversation opens a conversation with the customer's first message.
func startConversation(t *testing.T, base, token, clientID, body string) conversation {
	t.Helper()
	var c conversation
	call(t, base, "POST", "/conversations", token, map[string]any{"message": map[string]string{"client_id": clientID, "body": body}}, http.StatusCreated, &c)
	return c
}

// describeAdmin explains the admin console's state when a wait on it fails.
const describeAdmin = `(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? (e.hidden ? '(hidden)' : e.innerText) : '(missing)'; };
  return 'login: ' + t('login-view') + '\ndenied: ' + t('denied-view') + '\nnotice: ' + t('notice') + '\nconn: ' + t('conn') +
    '\nkpis: ' + [...document.querySelectorAll('.kpi')].map((k) => k.innerText.replace(/\n+/g, ' | ')).join('\n      ') +
    '\nstatus chart: ' + (document.getElementById('chart-status')?.getAttribute('aria-label') || '') +
    '\nfeed: ' + t('feed');
})()`

// kpi is a JS expression: the text of one KPI's value.
func kpi(id string) string {
	return fmt.Sprintf(`document.getElementById(%s).textContent`, js(id))
}

// TestAdminConsole signs in to /admin as the demo admin, sees the overview,
// and watches it change without a reload while customers talk to the
// assistant, ask for a person and rate through the API, and an agent comes
// online. An agent who opens /admin is told it is for admins. A customer
// name that looks like HTML stays text in the live activity.
func TestAdminConsole(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	admin := newPage(t, "admin", browser, describeAdmin)

	// Tall enough for the whole overview in one screenshot.
	admin.do("open /admin", chromedp.EmulateViewport(1280, 1060), chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.ID("login-email")))
	admin.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("view-overview")))
	admin.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__samePage = true`))
	admin.wait("the empty overview, live", `(() => {
		const t = (id) => document.getElementById(id).textContent;
		return t('me') === 'Alex Admin' && t('workspace-name') === 'Acme Pay' && t('conn') === 'Live' &&
			t('kpi-open') === '0' && t('kpi-queue') === '0' && t('kpi-agents') === '0 / 4' && t('kpi-ai') === '–' &&
			t('kpi-queue-sub') === 'Nobody is waiting' && t('kpi-csat-sub') === 'No ratings yet today' &&
			document.querySelectorAll('#chart-status svg rect.bar').length === 4 &&
			document.querySelector('#chart-hours svg') !== null &&
			document.querySelectorAll('#team li').length === 4 &&
			document.querySelector('.sidenav a[aria-current="page"]')?.getAttribute('href') === '#overview';
	})()`)

	// Customers talk to the assistant through the API.
	session := func(name string) string { return widgetSession(t, base, name) }
	start := func(token, clientID, body string) conversation {
		return startConversation(t, base, token, clientID, body)
	}
	alice := session("Alice")
	answered := start(alice, "a-1", cardQuestion)
	if answered.Status != "ai" {
		t.Fatalf("the card question: %+v, want the assistant's answer", answered)
	}
	admin.wait("the first conversation, counted live", `(() => {
		const t = (id) => document.getElementById(id).textContent;
		return window.__samePage === true && t('kpi-open') === '1' && t('kpi-ai') === '100 %' &&
			t('kpi-ai-sub') === '1 of 1 today without a person' && t('kpi-open-sub') === '1 with the assistant · 0 with people' &&
			[...document.querySelectorAll('#feed .what')].some((e) => e.textContent === 'New conversation #' + `+fmt.Sprint(answered.ID)+` + ' from Alice');
	})()`)

	bob := session(xssPayload)
	waiting := start(bob, "b-1", "I want to talk to a person")
	if waiting.Status != "queued" {
		t.Fatalf("asking for a person: %+v, want queued", waiting)
	}
	admin.wait("the hand-over, counted live", `(() => {
		const t = (id) => document.getElementById(id).textContent;
		return t('kpi-open') === '2' && t('kpi-queue') === '1' && t('kpi-ai') === '50 %' &&
			/^longest wait \d+:\d\d$/.test(t('kpi-queue-sub')) &&
			/waiting for a person 1/.test(document.getElementById('chart-status').getAttribute('aria-label')) &&
			/^2 conversations today/.test(document.getElementById('chart-hours').getAttribute('aria-label'));
	})()`)

	// Alice's question was answered: she closes it and rates it; Ana comes online.
	call(t, base, "POST", fmt.Sprintf("/conversations/%d/resolve", answered.ID), alice, nil, http.StatusOK, nil)
	call(t, base, "POST", fmt.Sprintf("/conversations/%d/csat", answered.ID), alice, map[string]any{"score": 5, "comment": "Spot on"}, http.StatusCreated, nil)
	var login struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/auth/login", "", map[string]string{"email": "ana@acme.test", "password": app.DemoPassword}, http.StatusOK, &login)
	call(t, base, "PUT", "/agents/me/status", login.Token, map[string]string{"status": "available"}, http.StatusOK, nil)
	admin.wait("the rating and Ana, live", `(() => {
		const t = (id) => document.getElementById(id).textContent;
		return t('kpi-csat') === '5.0 / 5' && t('kpi-csat-sub') === '100 % satisfied · 1 rating' &&
			t('kpi-agents') === '1 / 4' && t('kpi-open') === '1' &&
			document.querySelector('#team li .pill.available') !== null &&
			[...document.querySelectorAll('#feed .what')].some((e) => e.textContent === 'Ana is available') &&
			[...document.querySelectorAll('#feed .what')].some((e) => e.textContent.startsWith('#' + `+fmt.Sprint(answered.ID)+` + ' rated ★★★★★'));
	})()`)
	// Ana is offered Bob's conversation and takes it: the queue empties.
	var offers struct {
		Offers []struct {
			ID             int64 `json:"id"`
			ConversationID int64 `json:"conversation_id"`
		} `json:"offers"`
	}
	admin.wait("an offer for Ana", fmt.Sprintf(`fetch('/api/v1/offers', {headers: {Authorization: 'Bearer ' + %s}}).then((r) => r.json()).then((j) => j.offers.length > 0)`, js(login.Token)))
	call(t, base, "GET", "/offers", login.Token, nil, http.StatusOK, &offers)
	if len(offers.Offers) != 1 || offers.Offers[0].ConversationID != waiting.ID {
		t.Fatalf("Ana's offers: %+v", offers.Offers)
	}
	call(t, base, "POST", fmt.Sprintf("/offers/%d/accept", offers.Offers[0].ID), login.Token, nil, http.StatusOK, nil)
	admin.wait("the queue, empty again", `(() => {
		const t = (id) => document.getElementById(id).textContent;
		return t('kpi-queue') === '0' && t('kpi-queue-sub') === 'Nobody is waiting' && t('kpi-open-sub') === '0 with the assistant · 1 with people' &&
			document.querySelector('#team li .load')?.textContent === '1/3';
	})()`)
	if got := eval[string](admin, "read window.__xss", `typeof window.__xss`); got != "undefined" {
		t.Errorf("window.__xss is %s: a customer's name ran as HTML", got)
	}
	if n := eval[int](admin, "count images", `document.querySelectorAll('#app img').length`); n != 0 {
		t.Errorf("%d img elements in the console: a customer's name became HTML", n)
	}
	admin.screenshot(shots, "6-admin-overview.png")

	// The other sections render from the API.
	admin.do("open the agents", chromedp.Click(chromedp.CSS(`.sidenav a[href="#agents"]`), chromedp.NodeVisible))
	admin.wait("the agents table", `document.querySelectorAll('#agents-rows tr').length === 4 &&
		document.getElementById('view-overview').hidden && document.title === 'Tandem · Admin · Agents & skills'`)
	admin.do("edit Ben", chromedp.Click(chromedp.CSS(`button[aria-label="Edit Ben"]`), chromedp.NodeVisible))
	admin.do("give Ben skills",
		chromedp.SetValue(chromedp.ID("agent-capacity"), "2"),
		chromedp.SetValue(chromedp.ID("agent-skills"), "cards:4, payments"),
		chromedp.SetValue(chromedp.ID("agent-languages"), "en, sv"),
		chromedp.Click(chromedp.ID("agent-save")))
	admin.wait("Ben's skills in the table", `(() => {
		const row = [...document.querySelectorAll('#agents-rows tr')].find((r) => r.querySelector('.name').textContent === 'Ben');
		return row && document.getElementById('agent-form').hidden &&
			[...row.querySelectorAll('.tag')].map((t) => t.textContent).join(' ') === 'cards4 payments3' &&
			row.children[4].textContent === 'en, sv' && row.querySelector('.load').textContent === '0/2';
	})()`)
	admin.screenshot(shots, "7-admin-agents.png")
	admin.do("open the routing settings", chromedp.Click(chromedp.CSS(`.sidenav a[href="#routing"]`), chromedp.NodeVisible))
	admin.wait("the routing settings", `document.getElementById('r-accept').value === '30' && document.querySelectorAll('#r-rings .ring').length === 4`)
	admin.do("lengthen the accept deadline", chromedp.SetValue(chromedp.ID("r-accept"), "45"), chromedp.Click(chromedp.ID("routing-save")))
	admin.wait("the routing settings, saved", `document.getElementById('notice').textContent.startsWith('Routing settings saved')`)
	admin.screenshot(shots, "7b-admin-routing.png")
	admin.do("open the workspace settings", chromedp.Click(chromedp.CSS(`.sidenav a[href="#workspace"]`), chromedp.NodeVisible))
	admin.wait("the workspace settings", `document.getElementById('ws-assistant').value === 'Acme Pay assistant' &&
		/^•+[0-9a-f]{4}$/.test(document.getElementById('secret-masked').textContent)`)
	admin.do("allow one origin",
		chromedp.SendKeys(chromedp.ID("ws-origins"), "https://Shop.Example.com/"),
		chromedp.Click(chromedp.ID("origins-save")))
	admin.wait("the normalized origin", `document.getElementById('ws-origins').value === 'https://shop.example.com' &&
		document.getElementById('origins-state').textContent === 'Only this site may open the widget.'`)
	admin.do("rotate the secret", chromedp.Click(chromedp.ID("secret-rotate"), chromedp.NodeVisible), chromedp.Click(chromedp.ID("secret-yes"), chromedp.NodeVisible))
	admin.wait("the new secret, once", `/^[0-9a-f]{64}$/.test(document.getElementById('secret-value').value) &&
		document.getElementById('secret-masked').textContent.endsWith(document.getElementById('secret-value').value.slice(-4))`)
	admin.screenshot(shots, "8-admin-workspace.png")
	admin.do("open the assistant settings", chromedp.Click(chromedp.CSS(`.sidenav a[href="#assistant"]`), chromedp.NodeVisible))
	admin.wait("the assistant policy", `document.getElementById('p-precision').placeholder === '98' &&
		document.querySelectorAll('#p-intents option').length > 50 && !document.getElementById('conv-form').hidden &&
		document.getElementById('a-offer').value !== ''`)
	admin.do("send a topic to people",
		chromedp.SendKeys(chromedp.ID("p-always"), "lost_or_stolen_card"), pressEnter,
		chromedp.Click(chromedp.ID("policy-save")))
	admin.wait("the policy, saved", `document.getElementById('notice').textContent.startsWith('Assistant settings saved') &&
		[...document.querySelectorAll('#p-always-chips .chip')].map((c) => c.firstChild.textContent).join() === 'lost or stolen card'`)
	admin.screenshot(shots, "9-admin-assistant.png")

	// An agent who opens the console is told it is for admins.
	agentCtx, cancelAgent := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAgent)
	agent := newPage(t, "agent at /admin", agentCtx, describeAdmin)
	agent.do("open /admin", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.ID("login-email")))
	agent.do("sign in as Ben",
		chromedp.SendKeys(chromedp.ID("login-email"), "ben@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")))
	agent.wait("the admins-only message", `!document.getElementById('denied-view').hidden && document.getElementById('app').hidden &&
		document.getElementById('denied-h').textContent.includes('Admins only') &&
		document.getElementById('denied-text').textContent.includes('Ben')`)
	agent.screenshot(shots, "10-admin-denied.png")

	admin.checkClean()
	agent.checkClean()
}
