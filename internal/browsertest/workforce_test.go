package browsertest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
)

// startEmptyServer runs Tandem over an empty database, with its workers,
// and returns its base URL and a one-time setup token (the link serve
// prints on such a database).
func startEmptyServer(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", LogFormat: "text", ShutdownTimeout: 5 * time.Second, PasswordCost: bcrypt.MinCost}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	token, ok, err := a.People.SetupLink(ctx)
	if err != nil || !ok {
		a.Close()
		t.Fatalf("setup link: %v %v", ok, err)
	}
	return serveApp(t, a, logs), token
}

const describeWorkforce = `(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? (e.hidden ? '(hidden)' : e.innerText) : '(missing)'; };
  return location.pathname + '\nnotice: ' + t('notice') + '\nerrors: ' + [...document.querySelectorAll('.error')].map((e) => e.innerText).join(' | ') +
    '\nbody: ' + document.body.innerText.slice(0, 1500);
})()`

// TestNewcomerRunsTheCrowdInTheBrowser is the workforce's main flow from an
// empty data directory: the setup link creates a workspace and its admin;
// the admin opens sign-up, sets pay with a surge, writes a training module
// and opens the slots under way; an applicant joins, fails then passes the
// quiz, books a slot, goes online, is offered a conversation, resolves it
// while another customer waits, sees the pay with its surge in their
// earnings, and the admin's payouts show it.
func TestNewcomerRunsTheCrowdInTheBrowser(t *testing.T) {
	chrome := needChromium(t)
	base, setupToken := startEmptyServer(t)
	browser := startBrowser(t, chrome)
	admin := newPage(t, "admin", browser, describeWorkforce)
	applicantCtx, cancel := chromedp.NewContext(browser)
	defer cancel()
	applicant := newPage(t, "applicant", applicantCtx, describeWorkforce)

	// 1. Setup: the first workspace and its admin.
	admin.do("open the setup link", chromedp.Navigate(base+"/setup?token="+setupToken), chromedp.WaitVisible(chromedp.ID("ws-name")))
	admin.do("create the workspace and admin",
		chromedp.SendKeys(chromedp.ID("ws-name"), "Initech"),
		chromedp.SendKeys(chromedp.ID("ws-slug"), "initech"),
		chromedp.SendKeys(chromedp.ID("email"), "peter@initech.test"),
		chromedp.SendKeys(chromedp.ID("name"), "Peter"),
		chromedp.SendKeys(chromedp.ID("password"), "tps reports!"),
		chromedp.Click(chromedp.ID("welcome-submit")),
		chromedp.WaitVisible(chromedp.CSS("#app .sidenav")))
	admin.wait("the admin console", `location.pathname === '/admin'`)

	// 2. The people page: sign-up open with auto-accept, pay with surge, a module, the slots under way.
	admin.do("open the people page", chromedp.Navigate(base+"/admin/people"), chromedp.WaitVisible(chromedp.ID("app")))
	admin.wait("the sign-up settings", `document.getElementById('join-link').textContent === '/join/initech'`)
	admin.do("open sign-up",
		chromedp.Click(chromedp.ID("join-open")), chromedp.Click(chromedp.ID("join-auto")),
		chromedp.Click(chromedp.CSS("#join-form button[type=submit]")))
	admin.wait("sign-up saved", `document.getElementById('notice').textContent === 'Sign-up settings saved.'`)
	admin.do("set the pay policy",
		chromedp.SetValue(chromedp.ID("pay-resolved"), "250"),
		chromedp.SetValue(chromedp.ID("pay-surge"), "queue 1 ×1.5"),
		chromedp.Click(chromedp.CSS("#pay-form button[type=submit]")))
	admin.wait("pay saved", `document.getElementById('notice').textContent === 'Pay policy saved.'`)
	admin.do("write a module",
		chromedp.SendKeys(chromedp.ID("mod-title"), "Initech basics"),
		chromedp.SetValue(chromedp.ID("mod-pass"), "1"),
		chromedp.SetValue(chromedp.ID("mod-retake"), "0"),
		chromedp.SetValue(chromedp.ID("mod-body"), "# TPS reports\n- Always use the new cover sheet."),
		chromedp.SetValue(chromedp.ID("mod-quiz"), "Which cover sheet?\nThe old one\n*The new one"),
		chromedp.Click(chromedp.CSS("#module-form button[type=submit]")))
	admin.wait("the module listed", `document.getElementById('modules').innerText.includes('Initech basics')`)
	// The slot under way and the next, in the browser's local time.
	eval[bool](admin, "set the slot start", `(() => {
		const d = new Date(); d.setSeconds(0, 0); d.setMinutes(d.getMinutes() < 30 ? 0 : 30);
		const p = (n) => String(n).padStart(2, '0');
		document.getElementById('shift-start').value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());
		return true;
	})()`)
	admin.do("open the slots",
		chromedp.SetValue(chromedp.ID("shift-slots"), "2"),
		chromedp.Click(chromedp.CSS("#shift-form button[type=submit]")))
	admin.wait("the slots listed", `document.querySelectorAll('#shift-rows tr').length === 2`)

	// 3. An applicant joins on the public page.
	applicant.do("open the join page", chromedp.Navigate(base+"/join/initech"), chromedp.WaitVisible(chromedp.ID("join-name")))
	applicant.do("apply",
		chromedp.SendKeys(chromedp.ID("join-name"), "Sam Student"),
		chromedp.SendKeys(chromedp.ID("join-email"), "sam@uni.test"),
		chromedp.SendKeys(chromedp.ID("join-password"), "study hard 42"),
		chromedp.SendKeys(chromedp.ID("join-languages"), "en"),
		chromedp.SendKeys(chromedp.ID("join-motivation"), "I like helping people"),
		chromedp.Click(chromedp.ID("join-submit")),
		chromedp.WaitVisible(chromedp.ID("modules")))
	applicant.wait("my space", `location.pathname === '/agent/me' && !document.getElementById('app').hidden && document.querySelectorAll('#modules li').length === 1`)

	// 4. Fails, then passes the quiz.
	applicant.do("start the module", chromedp.Click(chromedp.CSS("#modules li button"), chromedp.NodeVisible))
	applicant.do("answer wrongly", chromedp.Click(chromedp.CSS(`#quiz input[name=q0][value="0"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#quiz button[type=submit]`)))
	applicant.wait("not passed", `document.getElementById('quiz-result').textContent.includes('not passed')`)
	applicant.do("answer rightly", chromedp.Click(chromedp.CSS(`#quiz input[name=q0][value="0"]`)),
		chromedp.Click(chromedp.CSS(`#quiz input[name=q0][value="1"]`)), chromedp.Click(chromedp.CSS(`#quiz button[type=submit]`)))
	applicant.wait("passed and certified", `document.getElementById('quiz-result').textContent.includes('You are certified')`)

	// 5. Books the slot under way and goes online.
	applicant.wait("open slots", `!!document.querySelector('#open-slots li button')`)
	applicant.do("book", chromedp.Click(chromedp.CSS("#open-slots li button"), chromedp.NodeVisible))
	applicant.wait("booked", `document.querySelectorAll('#booked li').length === 1`)
	applicant.do("go online", chromedp.Click(chromedp.CSS(`button[data-status="available"]`)))
	applicant.wait("online", `document.getElementById('my-status').textContent === 'available'`)

	// 6. Two customers ask for a person; on probation (one at a time) Sam is
	// offered one while the other waits: the queue is long enough for the surge.
	for i := range 2 {
		var sess struct {
			Token string `json:"token"`
		}
		call(t, base, "POST", "/widget/session", "", map[string]string{"workspace": "initech"}, http.StatusCreated, &sess)
		var c struct {
			ID int64 `json:"id"`
		}
		call(t, base, "POST", "/conversations", sess.Token, map[string]any{"message": map[string]string{"client_id": fmt.Sprint("m", i), "body": "I want to talk to a person"}}, http.StatusCreated, &c)
		call(t, base, "POST", fmt.Sprintf("/conversations/%d/handoff", c.ID), sess.Token, map[string]any{}, http.StatusOK, nil)
	}
	applicant.do("open the agent console", chromedp.Navigate(base+"/agent"), chromedp.WaitVisible(chromedp.ID("app")))
	applicant.wait("the offer", `!!document.querySelector('#offers li.offer button.primary')`)
	applicant.do("accept", chromedp.Click(chromedp.CSS("#offers li.offer button.primary"), chromedp.NodeVisible))
	applicant.wait("the conversation", `!document.getElementById('conv').hidden && !document.getElementById('resolve').disabled`)
	applicant.do("resolve", chromedp.Click(chromedp.ID("resolve")))
	applicant.wait("resolved", `document.getElementById('resolve').textContent === 'Resolved'`)

	// 7. The pay, with its surge, in my earnings.
	applicant.do("open my space", chromedp.Navigate(base+"/agent/me"), chromedp.WaitVisible(chromedp.ID("app")))
	applicant.wait("earnings with the surge", `document.querySelectorAll('#earn-rows tr').length === 2 &&
		document.getElementById('earn-rows').innerText.includes('surge ×1.5') && document.getElementById('earn-period').textContent.includes('3.75')`)

	// 8. The admin's payouts show it.
	admin.do("show payouts", chromedp.Click(chromedp.CSS("#period-form button[type=submit]")))
	admin.wait("the payout", `document.getElementById('period-state').textContent.includes('3.75') &&
		document.getElementById('payout-rows').innerText.includes('Sam Student')`)
	admin.screenshot(screenshotDir(t), "workforce-payouts.png")
	applicant.screenshot(screenshotDir(t), "workforce-my-space.png")
	admin.checkClean()
	applicant.checkClean()
}
