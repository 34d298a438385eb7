package browsertest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
)

// TestReportsAndTranscripts: customers talk to the assistant and ask for a
// person through the API; the admin opens Reports, sees the period's
// figures, a bar chart and the table, splits them by intent and downloads
// the CSV; then searches the conversations by a word and opens one's
// transcript with its handoff packet and events.
func TestReportsAndTranscripts(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)

	session := func(name string) string { return widgetSession(t, base, name) }
	n := 0
	start := func(token, body string) conversation {
		n++
		return startConversation(t, base, token, fmt.Sprint("r-", n), body)
	}
	// Alice: answered, and she says it helped (an AI resolution, confirmed).
	alice := session("Alice")
	answered := start(alice, cardQuestion)
	if answered.Status != "ai" {
		t.Fatalf("the card question: %+v, want the assistant's answer", answered)
	}
	call(t, base, "POST", fmt.Sprintf("/conversations/%d/feedback", answered.ID), alice, map[string]any{"helpful": true}, http.StatusOK, nil)
	call(t, base, "POST", fmt.Sprintf("/conversations/%d/csat", answered.ID), alice, map[string]any{"score": 5}, http.StatusCreated, nil)
	// Bob asks for a person at once.
	bob := session("Bob")
	waiting := start(bob, "I want to talk to a person")
	if waiting.Status != "queued" {
		t.Fatalf("asking for a person: %+v, want queued", waiting)
	}
	// Carol is answered and has not said yet.
	start(session("Carol"), cardQuestion)

	admin := newPage(t, "admin", browser, `(() => 'notice: ' + document.getElementById('notice').innerText +
		'\nreport error: ' + document.getElementById('rp-error').innerText + '\nkpis: ' + document.getElementById('rp-kpis').innerText +
		'\nrows: ' + document.getElementById('rp-rows').innerText + '\nsearch: ' + document.getElementById('cs-rows').innerText)()`)
	admin.do("open /admin#reports", chromedp.EmulateViewport(1280, 1400), chromedp.Navigate(base+"/admin#reports"), chromedp.WaitVisible(chromedp.ID("login-email")))
	admin.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("view-reports")))
	// The last 30 days by day: three conversations today; Alice's is an AI
	// resolution (1 of the 2 the assistant answered), Bob's a handoff.
	admin.wait("the report", `(() => {
		const v = (id) => document.querySelector('#' + id + ' .kpi-value')?.textContent;
		const s = (id) => document.querySelector('#' + id + ' .kpi-sub')?.textContent;
		return v('rp-conversations') === '3' && v('rp-ai') === '50 %' && s('rp-ai') === '1 of 2' &&
			v('rp-containment') === '67 %' && s('rp-containment') === 'handoff 33 %' &&
			v('rp-csat-ai') === '100 %' && s('rp-csat-ai') === '1 rating' &&
			document.querySelectorAll('#rp-rows tr').length === 1 && document.querySelector('#rp-rows td:nth-child(2)')?.textContent === '3' &&
			document.querySelectorAll('#rp-chart svg rect.bar.ai').length === 1 &&
			/human request · 1/.test(document.getElementById('rp-reasons').textContent) &&
			document.querySelector('.sidenav a[aria-current="page"]')?.getAttribute('href') === '#reports';
	})()`)
	admin.do("split by intent", chromedp.SetValue(chromedp.ID("rp-by"), "intent"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('rp-by').dispatchEvent(new Event('change'))`))
	admin.wait("groups by intent", `(() => {
		const rows = [...document.querySelectorAll('#rp-rows tr')];
		return document.getElementById('rp-group-h').textContent === 'Intent' && rows.length >= 2 &&
			rows.reduce((n, r) => n + Number(r.children[1].textContent), 0) === 3 &&
			document.querySelectorAll('#rp-chart svg text.value').length === rows.length;
	})()`)
	admin.screenshot(shots, "admin-reports.png")

	// The CSV button fetches the same report as CSV and offers it as a file.
	admin.do("catch the download", chromedp.Evaluate[chromedp.Void](`(() => {
		const make = URL.createObjectURL;
		URL.createObjectURL = (b) => { b.text().then((t) => (window.__csv = t)); return make(b); };
		HTMLAnchorElement.prototype.click = function () { window.__download = this.download; };
	})()`), chromedp.Click(chromedp.ID("rp-csv")))
	admin.wait("the CSV", `typeof window.__csv === 'string' && window.__csv.startsWith('group,label,conversations,ai_resolution_rate,') &&
		window.__csv.split('\n')[1].startsWith('all,All,3,0.5,') && /^tandem-report-\d{8}-\d{8}-by-intent\.csv$/.test(window.__download || '')`)

	// Conversations: a word finds Bob's; his transcript has the packet and the events.
	admin.do("open conversations", chromedp.Navigate(base+"/admin#conversations"), chromedp.WaitVisible(chromedp.ID("view-conversations")))
	admin.wait("every conversation, newest first", `document.querySelectorAll('#cs-rows tr').length === 3`)
	admin.do("search a word", chromedp.SendKeys(chromedp.ID("cs-q"), "person"), chromedp.Click(chromedp.ID("cs-submit")))
	admin.wait("Bob's conversation only", fmt.Sprintf(`(() => {
		const rows = document.querySelectorAll('#cs-rows tr');
		return rows.length === 1 && rows[0].dataset.id === '%d' && rows[0].children[1].textContent === 'Bob';
	})()`, waiting.ID))
	admin.do("open the transcript", chromedp.Click(chromedp.CSS("#cs-rows tr"), chromedp.NodeVisible))
	admin.wait("the transcript", `(() => {
		const tr = document.getElementById('transcript');
		return !tr.hidden && document.querySelectorAll('#tr-messages li.customer').length === 1 &&
			/talk to a person/.test(document.getElementById('tr-messages').textContent) &&
			/human_request/.test(document.getElementById('tr-packet').textContent) &&
			[...document.querySelectorAll('#tr-events li span')].map((s) => s.textContent).includes('conversation.queued') &&
			document.getElementById('tr-rating').textContent === 'Not rated.';
	})()`)
	admin.screenshot(shots, "admin-transcript.png")
	admin.checkClean()
}
