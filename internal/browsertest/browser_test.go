package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/model"
)

const (
	// stepTimeout bounds every single browser step and every wait for the UI.
	// Under -race on a small machine a step takes well under a second; the
	// margin is for a loaded CI machine.
	stepTimeout = 20 * time.Second
	// pollEvery is how often a wait re-evaluates its condition in the page.
	pollEvery = 50 * time.Millisecond

	cardQuestion = "When will my Acme Pay card arrive?"
	agentReply   = "Hi, this is Ana — let me check that for you."
	xssPayload   = `<img src=x onerror="window.__xss=1">`
)

// ---- the server -----------------------------------------------------------------------------

// syncBuffer collects the server's log lines; the server writes from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// demoStaff mirrors the staff app.Seed creates.
var demoStaff = []struct {
	email, name string
	role        model.Role
}{
	{"admin@acme.test", "Alex Admin", model.RoleAdmin},
	{"ana@acme.test", "Ana", model.RoleAgent},
	{"ben@acme.test", "Ben", model.RoleAgent},
	{"chen@acme.test", "Chen", model.RoleAgent},
}

// startServer runs Tandem with the demo workspace "acme" over a fresh
// database, with its background workers (the dispatcher, the webhook sender)
// running, and returns its base URL. The demo staff are created before
// app.Seed with bcrypt's minimum cost (a default-cost hash takes about a
// second under -race); Seed keeps them and adds the rest: customers,
// articles. The server must not log an error during the test.
func startServer(t *testing.T) string {
	t.Helper()
	return startServerWith(t, nil)
}

// startServerWith is startServer with the configuration changed by edit
// first (when not nil).
func startServerWith(t *testing.T, edit func(*config.Config)) string {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", LogFormat: "text", ShutdownTimeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	ws, err := a.Store.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme Pay", AssistantName: "Acme Pay assistant"})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(app.DemoPassword), bcrypt.MinCost)
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	for _, s := range demoStaff {
		ag := model.Agent{WorkspaceID: ws.ID, Email: s.email, Name: s.name, Role: s.role, PasswordHash: string(hash), Capacity: 3}
		if _, err := a.Store.EnsureAgent(ctx, ag); err != nil {
			a.Close()
			t.Fatal(err)
		}
	}
	if _, err := app.Seed(ctx, a.Store); err != nil {
		a.Close()
		t.Fatalf("app.Seed: %v", err)
	}
	return serveApp(t, a, logs)
}

// serveApp serves a on a test server with its background workers running
// until the test ends, and returns its base URL. The server must not log an
// error (logs) during the test.
func serveApp(t *testing.T, a *app.App, logs *syncBuffer) string {
	t.Helper()
	srv := httptest.NewServer(a.Handler)
	runCtx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.RunWorkers(runCtx) }()
	t.Cleanup(func() {
		if s := logs.String(); strings.Contains(s, "level=ERROR") {
			t.Errorf("the server logged errors:\n%s", s)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("RunWorkers: %v", err)
		}
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("App.Close: %v", err)
		}
	})
	return srv.URL
}

// ---- the browser ----------------------------------------------------------------------------

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needChromium returns the browser's path. Without one the test skips, or
// fails when CI=true: CI must not pass by skipping the browser tests.
func needChromium(t *testing.T) string {
	t.Helper()
	path := findChromium()
	if path == "" {
		const msg = "no Chromium found (looked for chromium, chromium-browser, google-chrome, google-chrome-stable on PATH); install it, e.g. apt-get install chromium"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " — CI=true, so the browser tests must run")
		}
		t.Skip(msg)
	}
	return path
}

// startBrowser starts the headless browser at path for the test and returns
// the context of its first tab. Start it after the server: cleanups run in
// reverse, and the browser must be gone before the server stops.
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Two tabs talk to each other through the server: neither may be throttled
		// for being in the background.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser to exit, before t.TempDir is removed
	})
	// The first Do starts the browser, bound to ctx (a timeout here would
	// close the browser when it ends).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// page is one browser tab with a name for messages. It records the page's
// uncaught exceptions and console errors.
type page struct {
	t        *testing.T
	name     string
	ctx      context.Context
	describe string // a JS expression whose value explains the page's state when a wait fails

	mu         sync.Mutex
	exceptions []string
	errors     []string
}

func newPage(t *testing.T, name string, ctx context.Context, describe string) *page {
	t.Helper()
	p := &page{t: t, name: name, ctx: ctx, describe: describe}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("%s: open tab: %v", name, err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			p.mu.Lock()
			p.exceptions = append(p.exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, text))
			p.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			p.mu.Lock()
			p.errors = append(p.errors, strings.Join(parts, " "))
			p.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	return p
}

// do runs the steps within stepTimeout, and fails the test with the page's
// state when one fails.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// eval evaluates a JS expression in the page.
func eval[T any](p *page, what, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fail(what, err)
	}
	return v
}

// waitFor polls a JS expression until it is truthy, and returns its value.
func waitFor[T any](p *page, what, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout+5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(pollEvery), chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			err = fmt.Errorf("not true after %v: %s", stepTimeout, expr)
		}
		p.fail("waiting for "+what, err)
	}
	return v
}

// wait polls a boolean JS expression until it is true.
func (p *page) wait(what, expr string) {
	p.t.Helper()
	waitFor[bool](p, what, expr)
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	state := "(unavailable)"
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if p.describe != "" {
		if s, derr := chromedp.Run(ctx, chromedp.Evaluate[string](p.describe)); derr == nil {
			state = s
		}
	}
	p.mu.Lock()
	exc, errs := strings.Join(p.exceptions, "\n  "), strings.Join(p.errors, "\n  ")
	p.mu.Unlock()
	p.t.Fatalf("%s: %s: %v\npage state:\n%s\nexceptions:\n  %s\nconsole errors:\n  %s", p.name, what, err, state, exc, errs)
}

// checkClean fails the test on any uncaught exception in the page, and logs
// its console errors.
func (p *page) checkClean() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.exceptions {
		p.t.Errorf("%s: uncaught exception: %s", p.name, e)
	}
	for _, e := range p.errors {
		p.t.Logf("%s: console error: %s", p.name, e)
	}
}

// screenshot saves the visible part of the page as a PNG.
func (p *page) screenshot(dir, file string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fail("screenshot "+file, err)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// pressEnter presses Enter in the focused element as a keyboard does: a raw
// key down, then a key up. (SendKeys's "\n" also sends a char event, which a
// real keyboard's Enter does not send once the page has handled the key
// down: the textarea would get a stray line break after the message went.)
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// screenshotDir is TANDEM_SCREENSHOT_DIR when set, else a temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TANDEM_SCREENSHOT_DIR")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ---- JS building blocks ---------------------------------------------------------------------

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// widgetRoot is the widget's shadow root on a page that embeds the "acme" widget.
const widgetRoot = `document.getElementById('tandem-widget-acme')?.shadowRoot`

// inWidget selects an element inside the widget's shadow root.
func inWidget(sel string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`%s?.querySelector(%s)`, widgetRoot, js(sel)))
}

// widgetCheck is a JS expression that is true when body, a function body
// over the widget's shadow root r, returns true.
func widgetCheck(body string) string {
	return fmt.Sprintf(`(() => { const r = %s; if (!r) return false; %s })()`, widgetRoot, body)
}

// describeWidget explains the widget's state when a wait on it fails.
const describeWidget = `(() => {
  const r = document.getElementById('tandem-widget-acme')?.shadowRoot;
  if (!r) return 'no widget host';
  const panel = r.querySelector('.panel');
  const status = r.querySelector('.status');
  return 'panel hidden: ' + (panel ? panel.hidden : '?') +
    '\nstatus: ' + (status && !status.hidden ? status.className + ' ' + status.textContent : '(none)') +
    '\nlog:\n' + [...r.querySelectorAll('.log > *')].map((e) => '  [' + e.className + '] ' + e.textContent).join('\n');
})()`

// describeConsole explains the agent console's state when a wait on it fails.
const describeConsole = `(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? (e.hidden ? '(hidden)' : e.innerText) : '(missing)'; };
  return 'login: ' + t('login-view') + '\nnotice: ' + t('notice') + '\nconn: ' + t('conn') +
    '\noffers: ' + t('offers') + '\nconversations: ' + t('conversations') +
    '\nconversation: ' + t('conv') + '\ntag input: ' + (document.getElementById('tag-input') || {}).value +
    '\nfocus: ' + (document.activeElement && (document.activeElement.id || document.activeElement.tagName));
})()`

// ---- the tests ------------------------------------------------------------------------------

// TestCustomerAndAgentInTheBrowser walks one conversation through the real
// UI: a customer asks the widget on /demo and gets the assistant's cited
// answer, asks for a person and sees the queue status; Ana signs in to the
// agent console, goes available, sees the offer count down and accepts it,
// and replies; the reply reaches the open widget live; a customer message
// that looks like HTML stays text on both sides; Ana resolves and the
// customer sees it.
func TestCustomerAndAgentInTheBrowser(t *testing.T) {
	chromium := needChromium(t)
	begin := time.Now()
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)

	// The customer's tab, and the agent's tab in a browser context of its own
	// (separate cookies and storage, as two people on two machines).
	cust := newPage(t, "customer", browser, describeWidget)
	agentCtx, cancelAgent := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAgent)
	agent := newPage(t, "agent", agentCtx, describeConsole)

	// 1. The customer asks the widget on the demo page; the assistant answers
	// with the article it comes from.
	cust.do("open /demo", chromedp.Navigate(base+"/demo"))
	cust.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__tandemSamePage = true`))
	cust.do("click the bubble", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
	cust.wait("the panel to open", widgetCheck(`
		const p = r.querySelector('.panel');
		return !p.hidden && p.getBoundingClientRect().height > 300 &&
			r.querySelector('.bubble').getAttribute('aria-expanded') === 'true';`))
	cust.do("type the question",
		chromedp.SendKeys(inWidget(".composer textarea"), cardQuestion, chromedp.NodeVisible),
		chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the question, sent", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.customer')].some((m) =>
			!m.classList.contains('pending') && m.querySelector('.body').textContent === %s) &&
			r.querySelector(".composer textarea").value === '';`, js(cardQuestion))))
	cust.wait("the assistant's answer citing its article", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.assistant')].some((m) => {
			const a = m.querySelector('.source a');
			return a && a.textContent === %s && /\/help\/acme\/articles\/\d+$/.test(a.href) &&
				m.querySelector('.who').textContent === 'Acme Pay assistant' &&
				m.querySelector('.body').textContent.includes('5 to 7 working days');
		});`, js(cardQuestion))))
	cust.screenshot(shots, "1-widget-answer.png")

	// 2. The customer asks for a person: the status line says where they stand.
	cust.do("click Talk to a person", chromedp.Click(inWidget("button.human"), chromedp.NodeVisible))
	queueLine := waitFor[string](cust, "the queue status line", widgetCheck(`
		const s = r.querySelector('.status');
		if (s.hidden || !s.classList.contains('waiting') || s.getBoundingClientRect().height < 10) return false;
		const text = s.textContent;
		return (text.startsWith('Nobody is online') || /in line/.test(text)) ? text : false;`))
	t.Logf("customer's queue status: %q", queueLine)

	// 3. Ana signs in, goes available and is offered the conversation with a countdown.
	agent.do("open /agent",
		chromedp.Navigate(base+"/agent"),
		chromedp.WaitVisible(chromedp.ID("login-email")))
	agent.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "ana@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("app")))
	agent.wait("her name in the top bar", `document.getElementById('me').textContent === 'Ana'`)
	agent.do("go available", chromedp.Click(chromedp.CSS(`input[name="agent-status"][value="available"]`), chromedp.NodeVisible))
	first := waitFor[string](agent, "an offer with a countdown", fmt.Sprintf(`(() => {
		const o = document.querySelector('#offers li.offer');
		if (!o || o.getBoundingClientRect().height < 20) return false;
		const c = o.querySelector('.countdown').textContent;
		const ok = /^0:[0-3]\d$/.test(c) && c !== '0:00' &&
			o.querySelector('.preview').textContent === %s &&
			o.querySelector('.offer-reason').textContent === 'Customer asked for a person' &&
			o.querySelector('button.primary').textContent === 'Accept' &&
			document.getElementById('offers-count').textContent === '1' &&
			document.querySelector('input[name="agent-status"][value="available"]').checked;
		return ok ? c : false;
	})()`, js(cardQuestion)))
	agent.wait("the countdown to tick", fmt.Sprintf(`(() => {
		const c = document.querySelector('#offers li.offer .countdown')?.textContent || '';
		return /^0:[0-3]\d$/.test(c) && c < %s;
	})()`, js(first)))
	agent.screenshot(shots, "2-agent-offer.png")
	agent.do("accept the offer", chromedp.Click(chromedp.CSS(`#offers li.offer button.primary`), chromedp.NodeVisible))

	// 4. The conversation opens with what the customer already said; Ana replies
	// and the customer's open widget shows it without a reload.
	agent.wait("the conversation, with the customer's question and the cited answer", fmt.Sprintf(`(() => {
		if (document.getElementById('conv').hidden || document.querySelector('#offers li.offer')) return false;
		const msgs = [...document.querySelectorAll('#transcript .msg')];
		return msgs.some((m) => m.classList.contains('customer') && m.querySelector('.body').textContent === %[1]s) &&
			msgs.some((m) => m.classList.contains('assistant') && m.querySelector('.source').textContent === 'Source: ' + %[1]s) &&
			/assigned to Ana/.test(document.getElementById('conv-meta').textContent) &&
			document.querySelector('#conversations .conv-item.active') !== null;
	})()`, js(cardQuestion)))
	agent.do("reply with Enter", chromedp.SendKeys(chromedp.ID("compose-body"), agentReply), pressEnter)
	agent.wait("the reply, sent", fmt.Sprintf(`(() => {
		return [...document.querySelectorAll('#transcript .msg.agent')].some((m) =>
			!m.classList.contains('pending') && m.dataset.id && m.querySelector('.body').textContent === %s) &&
			document.getElementById('compose-body').value === '';
	})()`, js(agentReply)))
	cust.wait("Ana's reply, live", widgetCheck(fmt.Sprintf(`
		return window.__tandemSamePage === true &&
			[...r.querySelectorAll('.msg.agent')].some((m) =>
				m.querySelector('.body').textContent === %s && m.querySelector('.who').textContent === 'Ana') &&
			r.querySelector('.status.live')?.textContent === "You're chatting with Ana";`, js(agentReply))))

	// 6. A message that looks like HTML is text everywhere.
	cust.do("send the HTML-looking message",
		chromedp.SendKeys(inWidget(".composer textarea"), xssPayload, chromedp.NodeVisible),
		chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the HTML-looking message, as text", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.customer')].some((m) =>
			!m.classList.contains('pending') && m.querySelector('.body').textContent === %s) &&
			r.querySelector('.log img') === null;`, js(xssPayload))))
	agent.wait("the HTML-looking message, as text", fmt.Sprintf(`(() => {
		return [...document.querySelectorAll('#transcript .msg.customer')].some((m) =>
			m.querySelector('.body').textContent === %s) &&
			document.querySelector('#transcript img, #conversations img') === null;
	})()`, js(xssPayload)))
	agent.screenshot(shots, "3-agent-conversation.png")
	for _, p := range []*page{cust, agent} {
		if got := eval[string](p, "read window.__xss", `typeof window.__xss`); got != "undefined" {
			t.Errorf("%s: window.__xss is %s: the message ran as HTML", p.name, got)
		}
	}

	// Ana is available: the console does not ask her to become so. Going
	// offline with a conversation in hand asks first; declining keeps her
	// available (and the conversation hers).
	agent.wait("no call to go available while she is", `(() => {
		const e = document.getElementById('offers-empty');
		return !e.hidden && /You're available/.test(e.textContent) && !/Set yourself to Available/.test(e.textContent) &&
			document.getElementById('queue-h') !== null;
	})()`)
	agent.do("answer the next question no", chromedp.Evaluate[chromedp.Void](`window.confirm = (q) => { window.__asked = q; return false; }`))
	agent.do("try to go offline", chromedp.Click(chromedp.CSS(`input[name="agent-status"][value="offline"]`), chromedp.NodeVisible))
	agent.wait("asked first, and still available", `typeof window.__asked === 'string' && /1 open conversation/.test(window.__asked) &&
		document.querySelector('input[name="agent-status"][value="available"]').checked`)

	// 5. Ana resolves; the customer sees it.
	agent.do("resolve", chromedp.Click(chromedp.ID("resolve"), chromedp.NodeVisible))
	agent.wait("the conversation, resolved", `(() => {
		const b = document.getElementById('resolve');
		return b.disabled && b.textContent === 'Resolved' && / · resolved · /.test(document.getElementById('conv-meta').textContent);
	})()`)
	cust.wait("the resolved notice", widgetCheck(`
		const s = r.querySelector('.status');
		return !s.hidden && s.classList.contains('done') && s.textContent.startsWith('Resolved') &&
			[...r.querySelectorAll('.log .note')].some((n) => n.textContent === 'This conversation was resolved');`))
	cust.screenshot(shots, "4-widget-resolved.png")

	cust.checkClean()
	agent.checkClean()
	t.Logf("the scenario took %v", time.Since(begin).Round(time.Millisecond))
}

// hostilePage is a host page whose CSS tries its best to break whatever it
// embeds: every element unset and huge, every div hidden.
const hostilePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>A hostile host page</title>
<style>* { all: unset !important; font-size: 40px !important; } div { display:none !important }</style>
</head>
<body>
<p>Some merchant's page with aggressive CSS.</p>
<div>A hidden div.</div>
<script src="%s/widget.js" data-workspace="acme" async></script>
</body>
</html>
`

// TestWidgetSurvivesHostileCSS embeds the widget, from the Tandem server, in a
// page on another origin whose CSS resets and hides everything it can reach:
// the bubble is still shown at its size, opens the panel, and the widget
// still answers.
func TestWidgetSurvivesHostileCSS(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostilePage, base)
	})
	host := httptest.NewServer(mux)
	t.Cleanup(host.Close)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	p := newPage(t, "hostile host page", browser, `(() => {
		const r = document.getElementById('tandem-widget-acme')?.shadowRoot;
		if (!r) return 'no widget host';
		const box = (sel) => { const e = r.querySelector(sel); if (!e) return sel + ': missing';
			const b = e.getBoundingClientRect(); const cs = getComputedStyle(e);
			return sel + ': ' + [b.left, b.top, b.width, b.height].map(Math.round).join(',') + ' display ' + cs.display + ' font-size ' + cs.fontSize; };
		const h = getComputedStyle(document.getElementById('tandem-widget-acme'));
		return 'host display ' + h.display + '\n' + ['.tandem', '.bubble', '.panel', 'textarea'].map(box).join('\n');
	})()`)

	p.do("open the host page", chromedp.Navigate(host.URL+"/"))
	// A visible bubble: its size, inside the viewport, and what a click at its
	// centre hits.
	p.wait("the bubble, visible at its size", widgetCheck(`
		const b = r.querySelector('.bubble');
		const c = b.getBoundingClientRect();
		if (c.width < 50 || c.width > 70 || c.height < 50 || c.height > 70) return false;
		if (c.left < 0 || c.top < 0 || c.right > innerWidth || c.bottom > innerHeight) return false;
		const hit = r.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
		return hit !== null && b.contains(hit);`))
	p.do("click the bubble", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
	p.wait("the panel, open at its size with the widget's own font", widgetCheck(`
		const panel = r.querySelector('.panel');
		if (panel.hidden) return false;
		const c = panel.getBoundingClientRect();
		if (c.width < 300 || c.height < 300 || c.left < 0 || c.top < 0 || c.right > innerWidth || c.bottom > innerHeight) return false;
		const ta = r.querySelector(".composer textarea").getBoundingClientRect();
		const human = r.querySelector('button.human').getBoundingClientRect();
		const hit = r.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
		return ta.width > 150 && ta.height >= 30 && human.height > 20 && human.height < 80 &&
			hit !== null && panel.contains(hit) &&
			getComputedStyle(r.querySelector('.tandem')).fontSize === '15px';`))
	p.do("ask a question",
		chromedp.SendKeys(inWidget(".composer textarea"), cardQuestion, chromedp.NodeVisible),
		chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	p.wait("the assistant's answer", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.assistant .source a')].some((a) => a.textContent === %s);`, js(cardQuestion))))
	p.screenshot(shots, "5-hostile-host-page.png")
	p.checkClean()
}
