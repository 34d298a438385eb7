package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tandem-desk/tandem/internal/app"
)

// ---- helpers of the agent workspace tests -----------------------------------------------------

// signIn opens the agent console and signs in.
func signIn(p *page, base, email string) {
	p.t.Helper()
	p.do("open /agent", chromedp.Navigate(base+"/agent"), chromedp.WaitVisible(chromedp.ID("login-email")))
	p.do("sign in as "+email,
		chromedp.SendKeys(chromedp.ID("login-email"), email),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("app")))
	p.wait("the console, live", `document.getElementById('conn').textContent === 'Live'`)
}

// goAvailable sets the signed-in agent available.
func goAvailable(p *page) {
	p.t.Helper()
	p.do("go available", chromedp.Click(chromedp.CSS(`input[name="agent-status"][value="available"]`), chromedp.NodeVisible))
	p.wait("the status, available", `document.querySelector('input[name="agent-status"][value="available"]').checked`)
}

// pressKey presses a key as a keyboard does: a key down carrying the key's text, from which
// the browser makes the character unless the page's keydown handler prevented it, then a key
// up. (chromedp.KeyEvent sends the character as an event of its own, which reaches whatever
// the keydown handler focused: a shortcut key would end up typed into the field it opens.)
func pressKey(key rune) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		events := kb.Encode(key)
		var down, up *input.DispatchKeyEventParams
		text := ""
		for _, e := range events {
			switch e.Type {
			case kb.KeyDown:
				down = e
			case kb.KeyUp:
				up = e
			case kb.KeyChar:
				text = e.Text
			}
		}
		down.Text, down.UnmodifiedText = text, text
		for _, e := range []*input.DispatchKeyEventParams{down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *e); err != nil {
				return err
			}
		}
		return nil
	})
}

// onNewDocument runs src in every document the tab loads from now on, before the page's own scripts.
func onNewDocument(src string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	})
}

// setOffline cuts the tab off the network (every request, WebSockets included, and
// navigator.onLine with its offline event), or gives it back.
func setOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if offline {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// alertProbes counts the console's beeps (oscillators started) and desktop notifications,
// with a Notification that grants permission when asked, and a window without focus.
const alertProbes = `(() => {
  window.__beeps = 0;
  window.__notes = [];
  const AC = window.AudioContext;
  if (AC) {
    const create = AC.prototype.createOscillator;
    AC.prototype.createOscillator = function () {
      const o = create.call(this);
      const start = o.start.bind(o);
      o.start = (...a) => { window.__beeps++; return start(...a); };
      return o;
    };
  }
  class FakeNotification {
    constructor(title, opts) { window.__notes.push({ title, body: (opts && opts.body) || '' }); }
    close() {}
  }
  FakeNotification.permission = 'default';
  FakeNotification.requestPermission = () => { FakeNotification.permission = 'granted'; return Promise.resolve('granted'); };
  window.Notification = FakeNotification;
  document.hasFocus = () => false;
})();`

// noXSS fails the test when the page ran the payload or holds an img made from it.
func noXSS(t *testing.T, p *page, where string) {
	t.Helper()
	if got := eval[string](p, "read window.__xss", `typeof window.__xss`); got != "undefined" {
		t.Errorf("%s: window.__xss is %s: the payload ran as HTML", p.name, got)
	}
	if n := eval[int](p, "count images", fmt.Sprintf(`document.querySelectorAll(%s).length`, js(where))); n != 0 {
		t.Errorf("%s: %d img elements in %s: the payload became HTML", p.name, n, where)
	}
}

// ---- the tests --------------------------------------------------------------------------------

// TestSupportJourneyInTheBrowser is a whole support conversation in three
// browsers: the customer asks the widget and sees the cited answer, asks for
// a person; Ana, with sound and desktop alerts on, is rung for the offer and
// accepts it with the "a" key; each sees the other typing; Ana answers with a
// canned reply picked by typing "/", tags the conversation, adds an internal
// note with "n", resolves with "e"; the customer rates it 4 of 5 with a
// comment, which Ana's console and the admin overview show at once. An XSS
// payload in the canned reply (title and text), the message it became and a
// tag stays text everywhere.
func TestSupportJourneyInTheBrowser(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)

	// An admin keeps a canned reply whose title and text carry the payload.
	var adminLogin struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/auth/login", "", map[string]string{"email": "admin@acme.test", "password": app.DemoPassword}, http.StatusOK, &adminLogin)
	const cannedBody = "Hi {{first_name}}, your card is on its way. "
	call(t, base, "POST", "/canned-replies", adminLogin.Token, map[string]string{"shortcut": "card-eta", "title": "Card ETA " + xssPayload, "body": cannedBody + xssPayload}, http.StatusCreated, nil)
	call(t, base, "POST", "/canned-replies", adminLogin.Token, map[string]string{"shortcut": "bye", "title": "Goodbye", "body": "Have a great day, {{first_name}}!"}, http.StatusCreated, nil)
	sentReply := "Hi there, your card is on its way. " + xssPayload

	cust := newPage(t, "customer", browser, describeWidget)
	agentCtx, cancelAgent := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAgent)
	agent := newPage(t, "agent", agentCtx, describeConsole)

	// 1. The customer asks; the assistant answers from its article. Then: a person, please.
	cust.do("open /demo", chromedp.Navigate(base+"/demo"))
	cust.do("open the widget", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
	cust.do("ask", chromedp.SendKeys(inWidget(".composer textarea"), cardQuestion, chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the cited answer", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.assistant .source a')].some((a) => a.textContent === %s);`, js(cardQuestion))))
	cust.do("ask for a person", chromedp.Click(inWidget("button.human"), chromedp.NodeVisible))
	cust.wait("the queue line", widgetCheck(`
		const s = r.querySelector('.status');
		return !s.hidden && s.classList.contains('waiting') && /in line/.test(s.textContent);`))

	// 2. Ana turns on both alerts (the sound plays a sample; the browser is asked for
	// permission only now), goes available and is rung for the offer.
	agent.do("install the alert probes", onNewDocument(alertProbes))
	signIn(agent, base, "ana@acme.test")
	agent.do("open the alerts menu", chromedp.Click(chromedp.CSS("#alerts > summary"), chromedp.NodeVisible))
	agent.wait("no permission asked yet", `Notification.permission === 'default' && window.__beeps === 0`)
	agent.do("turn on the sound", chromedp.Click(chromedp.ID("alert-sound"), chromedp.NodeVisible))
	agent.do("turn on desktop notifications", chromedp.Click(chromedp.ID("alert-desktop"), chromedp.NodeVisible))
	agent.wait("both alerts on, a sample beep played", `document.getElementById('alerts-state').textContent === 'Sound + desktop' &&
		Notification.permission === 'granted' && window.__beeps === 2 && window.__notes.length === 0`)
	agent.do("close the alerts menu", chromedp.Click(chromedp.CSS("#alerts > summary"), chromedp.NodeVisible))
	goAvailable(agent)
	agent.wait("the offer, with a beep and a desktop notification", fmt.Sprintf(`(() => {
		const o = document.querySelector('#offers li.offer');
		return !!o && /^0:[0-3]\d$/.test(o.querySelector('.countdown').textContent) && window.__beeps === 4 &&
			window.__notes.length === 1 && window.__notes[0].title === 'New conversation offered' &&
			window.__notes[0].body === %s;
	})()`, js(cardQuestion)))

	// 3. The "a" key accepts it.
	agent.do("press a", pressKey('a'))
	agent.wait("the conversation, accepted", fmt.Sprintf(`(() => {
		return !document.getElementById('conv').hidden && document.querySelector('#offers li.offer') === null &&
			/assigned to Ana/.test(document.getElementById('conv-meta').textContent) &&
			[...document.querySelectorAll('#transcript .msg.customer .body')].some((b) => b.textContent === %s) &&
			document.getElementById('cust-name').textContent.startsWith('Customer') &&
			document.getElementById('transfer').disabled === false;
	})()`, js(cardQuestion)))

	// 4. Typing, both ways.
	cust.wait("Ana, in the status line", widgetCheck(`return r.querySelector('.status.live')?.textContent === "You're chatting with Ana";`))
	cust.do("the customer types", chromedp.SendKeys(inWidget(".composer textarea"), "Thanks, one more", chromedp.NodeVisible))
	agent.wait("“Customer is typing…” in the console", `!document.getElementById('typing').hidden &&
		document.getElementById('typing-text').textContent === 'Customer is typing…' &&
		document.querySelector('#conversations .conv-item.active .typing-preview')?.textContent === 'typing…'`)
	agent.do("Ana types", chromedp.SendKeys(chromedp.ID("compose-body"), "Let me"))
	cust.wait("“Ana is typing…” in the widget", widgetCheck(`
		const el = r.querySelector('.typing');
		return !el.hidden && el.textContent === 'Ana is typing…';`))
	cust.screenshot(shots, "journey-1-widget-typing.png")

	// 5. A canned reply: "/" opens the picker, the shortcut filters it, Enter inserts it
	// (with the customer's first name, or "there"), Enter sends it.
	agent.do("clear the reply", chromedp.Evaluate[chromedp.Void](`document.getElementById('compose-body').value = ''`))
	agent.do("type /card", chromedp.SendKeys(chromedp.ID("compose-body"), "/card"))
	agent.wait("the picker with the matching reply, as text", fmt.Sprintf(`(() => {
		const items = [...document.querySelectorAll('#canned-list li[role="option"]')];
		return !document.getElementById('canned').hidden && items.length === 1 &&
			items[0].querySelector('code').textContent === '/card-eta' &&
			items[0].querySelector('strong').textContent === %s &&
			items[0].getAttribute('aria-selected') === 'true' &&
			document.getElementById('compose-body').getAttribute('aria-activedescendant') === items[0].id &&
			document.querySelector('#canned img') === null;
	})()`, js("Card ETA "+xssPayload)))
	agent.screenshot(shots, "journey-2-agent-canned-picker.png")
	agent.do("insert it", pressEnter)
	agent.wait("the canned reply in the composer, not sent", fmt.Sprintf(`document.getElementById('compose-body').value === %s &&
		document.getElementById('canned').hidden && document.querySelectorAll('#transcript .msg.agent').length === 0`, js(sentReply)))
	agent.do("send it", pressEnter)
	agent.wait("the reply, sent", fmt.Sprintf(`[...document.querySelectorAll('#transcript .msg.agent:not(.pending) .body')].some((b) => b.textContent === %s)`, js(sentReply)))
	cust.wait("the reply, live, as text, and the typing gone", widgetCheck(fmt.Sprintf(`
		return [...r.querySelectorAll('.msg.agent .body')].some((b) => b.textContent === %s) &&
			r.querySelector('.typing').hidden && r.querySelector('.log img') === null;`, js(sentReply))))

	// 6. Tags ("t"), one of them the payload; an internal note ("n").
	agent.do("leave the reply box, press t", pressKey('\x1b'), pressKey('t'))
	agent.wait("the tag box focused", `document.activeElement === document.getElementById('tag-input')`)
	agent.do("add two tags",
		chromedp.SendKeys(chromedp.ID("tag-input"), xssPayload), pressKey('\r'),
		chromedp.SendKeys(chromedp.ID("tag-input"), "Card  Delivery"), pressKey('\r'))
	agent.wait("the tags, saved, as text", fmt.Sprintf(`(() => {
		const chips = [...document.querySelectorAll('#tags .tag-text')].map((e) => e.textContent);
		const inList = [...document.querySelectorAll('#conversations .conv-item.active .conv-tags .tag')].map((e) => e.textContent);
		return JSON.stringify(chips) === JSON.stringify([%[1]s, 'card delivery']) && JSON.stringify(inList) === JSON.stringify(chips) &&
			document.querySelector('#tags img, #conversations img') === null;
	})()`, js(xssPayload)))
	agent.do("leave the tag box, press n", pressKey('\x1b'), pressKey('n'))
	agent.wait("the note mode", `document.getElementById('composer').classList.contains('note-mode') && document.activeElement === document.getElementById('compose-body')`)
	agent.do("write a note", chromedp.SendKeys(chromedp.ID("compose-body"), "Card was posted on Monday."), pressEnter)
	agent.wait("the note, styled apart", `[...document.querySelectorAll('#transcript .msg.internal:not(.pending)')].some((m) =>
		m.querySelector('.body').textContent === 'Card was posted on Monday.' && m.querySelector('.who').textContent.startsWith('Internal note'))`)
	agent.screenshot(shots, "journey-3-agent-conversation.png")

	// 7. "e" asks, then resolves.
	agent.do("leave the reply box, press e", pressKey('\x1b'), pressKey('e'))
	agent.wait("the question", `document.getElementById('resolve-dialog').open`)
	agent.do("confirm", chromedp.Click(chromedp.ID("resolve-yes"), chromedp.NodeVisible))
	agent.wait("resolved", `document.getElementById('resolve').disabled && / · resolved · /.test(document.getElementById('conv-meta').textContent)`)
	agent.do("press ?", pressKey('?'))
	agent.wait("the list of shortcuts", `document.getElementById('shortcuts-dialog').open &&
		document.querySelectorAll('#shortcuts-dialog .shortcuts dt').length >= 8`)
	agent.screenshot(shots, "journey-4b-agent-shortcuts.png")
	agent.do("close it with Escape", pressKey('\x1b'))
	agent.wait("the list closed", `!document.getElementById('shortcuts-dialog').open`)

	// 8. The customer rates it; Ana's console shows it at once.
	cust.wait("the rating card, and no internal note", widgetCheck(`
		return r.querySelector('.rating .rate-q')?.textContent === 'How was your conversation?' &&
			r.querySelectorAll('.rating .star[role="radio"]').length === 5 &&
			![...r.querySelectorAll('.msg')].some((m) => m.textContent.includes('posted on Monday'));`))
	cust.do("four stars", chromedp.Click(inWidget(".rating .star:nth-child(4)"), chromedp.NodeVisible))
	cust.do("a comment", chromedp.SendKeys(inWidget(".rating .rate-comment"), "Quick and friendly", chromedp.NodeVisible))
	cust.screenshot(shots, "journey-4-widget-rating.png")
	cust.do("send the rating", chromedp.Click(inWidget(".rating .rate-send"), chromedp.NodeVisible))
	cust.wait("the thanks", widgetCheck(`
		return r.querySelector('.rating .rate-q')?.textContent === 'Thanks for your rating!' &&
			r.querySelector('.rating .rate-done').textContent.includes('You rated this conversation 4 out of 5.');`))
	agent.wait("the rating in the console", `!document.getElementById('csat-box').hidden &&
		document.getElementById('csat-stars').textContent === '★★★★☆' &&
		document.getElementById('csat-comment').textContent === '“Quick and friendly”'`)
	agent.screenshot(shots, "journey-5-agent-rated.png")

	// 9. The admin overview counts it.
	adminCtx, cancelAdmin := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAdmin)
	admin := newPage(t, "admin", adminCtx, describeAdmin)
	admin.do("open /admin", chromedp.EmulateViewport(1280, 1060), chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.ID("login-email")))
	admin.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("view-overview")))
	admin.wait("the rating and the resolved conversation in the overview", fmt.Sprintf(`(() => {
		const t = (id) => document.getElementById(id).textContent;
		return %s === '4.0 / 5' && %s === '100 %% satisfied · 1 rating' && %s === '0' && %s === '0';
	})()`, kpi("kpi-csat"), kpi("kpi-csat-sub"), kpi("kpi-open"), kpi("kpi-queue")))
	admin.screenshot(shots, "journey-6-admin-overview.png")

	noXSS(t, cust, "img")
	noXSS(t, agent, "#app img")
	noXSS(t, admin, "#app img")
	cust.checkClean()
	agent.checkClean()
	admin.checkClean()
}

// swedishPage embeds the widget on another site, in Swedish.
const swedishPage = `<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>En svensk butik</title></head>
<body>
<h1>En svensk butik</h1>
<script src="%s/widget.js" data-workspace="acme" data-lang="sv" async></script>
</body>
</html>
`

// TestTransferReconnectAndSwedishInTheBrowser: a customer on a Swedish site
// gets the widget's labels in Swedish, asks for a person, and is served by
// Ana; Ana transfers the conversation to Ben with a note, Ben is offered it
// and accepts; the customer's network drops, Ben writes meanwhile, and when
// the network is back the widget reconnects by itself and shows his message
// exactly once.
func TestTransferReconnectAndSwedishInTheBrowser(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, swedishPage, base)
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)

	cust := newPage(t, "customer", browser, describeWidget)
	anaCtx, cancelAna := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAna)
	ana := newPage(t, "ana", anaCtx, describeConsole)
	benCtx, cancelBen := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelBen)
	ben := newPage(t, "ben", benCtx, describeConsole)

	// 1. Swedish labels.
	cust.do("open the Swedish site", chromedp.Navigate(site.URL+"/"))
	cust.wait("the bubble, in Swedish", widgetCheck(`return r.querySelector('.bubble')?.getAttribute('aria-label') === 'Öppna chatten med Acme';`))
	cust.do("open the widget", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
	cust.wait("the panel's labels in Swedish", widgetCheck(`
		const p = r.querySelector('.panel');
		return !p.hidden && p.lang === 'sv' && r.querySelector('button.human').textContent === 'Prata med en person' &&
			r.querySelector('.composer textarea').placeholder === 'Skriv ett meddelande…' &&
			r.querySelector('.composer textarea').getAttribute('aria-label') === 'Meddelande' &&
			r.querySelector('button.send').getAttribute('aria-label') === 'Skicka meddelande' &&
			r.querySelector('.close').getAttribute('aria-label') === 'Stäng chatten' &&
			r.querySelector('.intro').textContent.startsWith('Hej! Fråga Acme vad du vill.') &&
			r.querySelector('.foot').textContent === 'Drivs av Tandem';`))
	// The keyboard: Tab and Shift+Tab stay in the open panel (and its bubble); Escape closes
	// it and gives focus back to the bubble; Enter on the bubble opens it at the message box.
	focusIn := `(() => { const r = document.getElementById('tandem-widget-acme').shadowRoot; const a = r.activeElement;
		return a ? (a.closest('.panel') ? 'panel:' + (a.className || a.tagName) : a.className.startsWith('bubble') ? 'bubble' : 'other') : 'outside'; })()`
	seen := map[string]bool{}
	for i := 0; i < 12; i++ {
		cust.do("press Tab", pressKey('\t'))
		where := eval[string](cust, "where the focus is", focusIn)
		if where == "outside" || where == "other" {
			t.Fatalf("Tab %d left the open widget: focus is %s", i+1, where)
		}
		seen[where] = true
	}
	if !seen["panel:human"] || !seen["bubble"] || !seen["panel:TEXTAREA"] || !seen["panel:close"] {
		t.Errorf("Tab did not go round the panel's controls: %v", seen)
	}
	cust.do("press Escape", pressKey('\x1b'))
	cust.wait("the panel closed, the bubble focused", widgetCheck(`return r.querySelector('.panel').hidden && r.activeElement === r.querySelector('.bubble');`))
	cust.do("press Enter on the bubble", pressKey('\r'))
	cust.wait("the panel open at the message box", widgetCheck(`return !r.querySelector('.panel').hidden && r.activeElement === r.querySelector('.composer textarea');`))

	cust.do("ask for a person", chromedp.Click(inWidget("button.human"), chromedp.NodeVisible))
	cust.wait("the queue line, in Swedish", widgetCheck(`
		const s = r.querySelector('.status');
		return !s.hidden && /^(Just nu är ingen som kan hjälpa till online\. Du är nummer 1 i kön|Du är nummer 1 i kön)/.test(s.textContent) &&
			[...r.querySelectorAll('.msg.customer .body')].some((b) => b.textContent === 'Jag vill prata med en person');`))
	cust.screenshot(shots, "transfer-1-widget-swedish-queue.png")

	// 2. Ana takes it; Ben comes online.
	signIn(ana, base, "ana@acme.test")
	goAvailable(ana)
	ana.wait("the offer", `!!document.querySelector('#offers li.offer button.primary')`)
	ana.do("accept", chromedp.Click(chromedp.CSS("#offers li.offer button.primary"), chromedp.NodeVisible))
	ana.wait("the conversation", `!document.getElementById('conv').hidden && !document.getElementById('transfer').disabled`)
	cust.wait("Ana, in Swedish", widgetCheck(`return r.querySelector('.status.live')?.textContent === 'Du chattar med Ana';`))
	signIn(ben, base, "ben@acme.test")
	goAvailable(ben)

	// 3. Ana transfers it to Ben with a note.
	ana.do("open the transfer dialog", chromedp.Click(chromedp.ID("transfer"), chromedp.NodeVisible))
	benRow := `[...document.querySelectorAll('#transfer-targets label.target')].find((l) => l.querySelector('.target-name').textContent === 'Ben')`
	ana.wait("Ben, available to take it", fmt.Sprintf(`(() => {
		const row = %s;
		return document.getElementById('transfer-dialog').open && !!row && !row.querySelector('input').disabled &&
			row.querySelector('.target-detail').textContent === 'available · 0/3 conversations' &&
			document.querySelector('#transfer-targets input[value="queue"]').checked;
	})()`, benRow))
	ana.do("choose Ben, add a note",
		chromedp.Click(chromedp.JSPath(benRow+`.querySelector('input')`), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.ID("transfer-note"), "Wants to talk about a refund."))
	ana.screenshot(shots, "transfer-2-agent-dialog.png")
	ana.do("transfer", chromedp.Click(chromedp.ID("transfer-submit"), chromedp.NodeVisible))
	ana.wait("the conversation, gone to Ben", `!document.getElementById('transfer-dialog').open && document.getElementById('conv').hidden &&
		document.querySelectorAll('#conversations .conv-item').length === 0 &&
		document.getElementById('notice').textContent === 'Transferred: Ben is offered the conversation now.'`)

	// 4. Ben is offered it, accepts, and sees Ana's note.
	ben.wait("the transfer offer", `(() => {
		const o = document.querySelector('#offers li.offer');
		return !!o && o.querySelector('.offer-reason').textContent === 'transferred by Ana' && /^0:[0-3]\d$/.test(o.querySelector('.countdown').textContent);
	})()`)
	ben.do("accept", chromedp.Click(chromedp.CSS("#offers li.offer button.primary"), chromedp.NodeVisible))
	ben.wait("the conversation with Ana's note, styled apart", `(() => {
		const msgs = [...document.querySelectorAll('#transcript .msg')];
		return /assigned to Ben/.test(document.getElementById('conv-meta').textContent) &&
			msgs.some((m) => m.classList.contains('internal') && m.querySelector('.body').textContent === 'Transfer note: Wants to talk about a refund.') &&
			msgs.some((m) => m.classList.contains('system') && m.querySelector('.body').textContent === 'Du kopplas vidare till en kollega. Någon är med dig inom kort.') &&
			document.getElementById('conv-reason').textContent === 'Handed over: transferred by Ana';
	})()`)
	cust.wait("Ben, in Swedish, and no internal note", widgetCheck(`
		return r.querySelector('.status.live')?.textContent === 'Du chattar med Ben' &&
			![...r.querySelectorAll('.msg')].some((m) => m.textContent.includes('Wants to talk about a refund'));`))
	ben.screenshot(shots, "transfer-3-agent-after-transfer.png")

	// 5. The customer's network drops; Ben writes meanwhile; the network comes back.
	const whileAway = "Are you still there? I have an answer for you."
	sockets := make(chan string, 16)
	cust.do("watch the tab's WebSockets", setOffline(false))
	chromedp.Listen(cust.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventWebSocketCreated:
			select {
			case sockets <- "created " + ev.URL:
			default:
			}
		case *network.EventWebSocketClosed:
			select {
			case sockets <- "closed":
			default:
			}
		}
	})
	cust.do("cut the network", setOffline(true))
	cust.wait("the offline notice, in Swedish", widgetCheck(`
		const n = r.querySelector('.net');
		return !n.hidden && n.textContent.startsWith('Du är offline');`))
	ben.do("write while the customer is away", chromedp.SendKeys(chromedp.ID("compose-body"), whileAway), pressEnter)
	ben.wait("sent", fmt.Sprintf(`[...document.querySelectorAll('#transcript .msg.agent:not(.pending) .body')].some((b) => b.textContent === %s)`, js(whileAway)))
	countIt := fmt.Sprintf(`[...r.querySelectorAll('.msg.agent .body')].filter((b) => b.textContent === %s).length`, js(whileAway))
	if n := eval[int](cust, "count the message while offline", widgetCheck(`return `+countIt+`;`)+` || 0`); n != 0 {
		t.Errorf("the message reached the widget %d time(s) while it was offline", n)
	}
	// The customer writes too: the message waits in the outbox.
	cust.do("write while offline", chromedp.SendKeys(inWidget(".composer textarea"), "Hallå?", chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the message, waiting", widgetCheck(`return [...r.querySelectorAll('.msg.customer.pending .body')].some((b) => b.textContent === 'Hallå?');`))
	cust.screenshot(shots, "transfer-4-widget-offline.png")
	for len(sockets) > 0 {
		<-sockets // the old stream, closed as the network went
	}
	cust.do("restore the network", setOffline(false))
	// The widget opens a new stream by itself.
	select {
	case ev := <-sockets:
		if !strings.HasPrefix(ev, "created ") || !strings.Contains(ev, "/api/v1/stream?typing=1&token=") || !strings.Contains(ev, "&after=") {
			t.Fatalf("after the network came back: %s, want a new stream resuming after a seq", ev)
		}
	case <-time.After(stepTimeout):
		t.Fatal("the widget did not reconnect by itself")
	}
	cust.wait("Ben's message, exactly once, and the notice gone", widgetCheck(`
		return r.querySelector('.net').hidden && `+countIt+` === 1;`))
	ben.wait("the message written offline, once", `[...document.querySelectorAll('#transcript .msg.customer .body')].filter((b) => b.textContent === 'Hallå?').length === 1`)
	cust.do("answer", chromedp.SendKeys(inWidget(".composer textarea"), "Ja, jag är här!", chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	ben.wait("the answer, once", `[...document.querySelectorAll('#transcript .msg.customer .body')].filter((b) => b.textContent === 'Ja, jag är här!').length === 1 &&
		[...document.querySelectorAll('#transcript .msg.customer .body')].filter((b) => b.textContent === 'Hallå?').length === 1`)
	cust.wait("still exactly once, everything sent", widgetCheck(`
		return `+countIt+` === 1 && r.querySelectorAll('.msg.pending').length === 0 &&
			new Set([...r.querySelectorAll('.msg[data-id]')].map((m) => m.dataset.id)).size === r.querySelectorAll('.msg[data-id]').length;`))
	cust.screenshot(shots, "transfer-5-widget-reconnected.png")

	cust.checkClean()
	ana.checkClean()
	ben.checkClean()
}
