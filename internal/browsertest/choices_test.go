package browsertest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
)

// newestInView is a widget check: the log is scrolled to the newest
// message — its end is inside the log's visible area, and so is its start
// unless it is taller than the log.
const newestInView = `
		const log = r.querySelector('.log');
		const msgs = log.querySelectorAll('.msg');
		if (!msgs.length) return false;
		const last = msgs[msgs.length - 1].getBoundingClientRect(), box = log.getBoundingClientRect();
		return last.bottom <= box.bottom + 1 && last.bottom > box.top && (last.top >= box.top - 1 || last.height > box.height);`

// TestWidgetChoicesStatusAndScrolling, at desktop size and at 375 px: the
// header says nobody of the team is online (and says so when someone is);
// a question back shows its choices as buttons and a tapped choice is
// answered with that article; asking for a person puts the queue status in
// place of "Talk to a person" and the hand-over says nobody is online;
// once a person has the conversation the bar is gone; the newest message
// is in view after every step.
func TestWidgetChoicesStatusAndScrolling(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	var ana struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/auth/login", "", map[string]string{"email": "ana@acme.test", "password": app.DemoPassword}, http.StatusOK, &ana)

	for _, size := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 800}, {"mobile", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
			t.Cleanup(cancel)
			cust := newPage(t, "customer-"+size.name, ctx, describeWidget)
			shot := func(step string) { cust.screenshot(shots, fmt.Sprintf("widget-%s-%s.png", size.name, step)) }

			cust.do("open /demo", chromedp.EmulateViewport(size.width, size.height), chromedp.Navigate(base+"/demo"))
			cust.do("open the widget", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
			cust.wait("the header says nobody is online", widgetCheck(`
				const s = r.querySelector('.subtitle');
				return s.dataset.team === 'offline' && s.textContent.startsWith('Nobody from our team is online right now') &&
					!r.querySelector('.panel').textContent.includes('few minutes');`))

			// A question back with choices; the tap answers.
			cust.do("ask", chromedp.SendKeys(inWidget(".composer textarea"), "my card", chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
			cust.wait("the choices as buttons", widgetCheck(`
				const b = [...r.querySelectorAll('.msg.assistant .choices button.choice')].map((x) => x.textContent);
				return b.join('|') === "My card isn't working|When will my Acme Pay card arrive?|Something else|Talk to a person";`))
			cust.wait("the question in view", widgetCheck(newestInView))
			shot("1-choices")
			cust.do("tap a choice", chromedp.Click(inWidget(`.choices button.choice[data-choice^="article:"]:nth-child(1)`), chromedp.NodeVisible))
			cust.wait("the tapped choice answered", widgetCheck(`
				const msgs = [...r.querySelectorAll('.msg')];
				const last = msgs[msgs.length - 1], mine = msgs[msgs.length - 2];
				return last.classList.contains('assistant') && last.querySelector('.source')?.textContent.includes("My card isn't working") &&
					mine.classList.contains('customer') && mine.textContent.includes("My card isn't working") && !r.querySelector('.choices');`))
			cust.wait("the answer in view", widgetCheck(newestInView))
			shot("2-answered")

			// A person: the button becomes the queue status; the hand-over is honest.
			cust.do("ask for a person", chromedp.SendKeys(inWidget(".composer textarea"), "I want to talk to a person", chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
			cust.wait("queued, honestly", widgetCheck(`
				const last = [...r.querySelectorAll('.msg')].pop();
				const status = r.querySelector('.status');
				return last.classList.contains('assistant') && last.textContent.includes('Nobody from our team is online right now') &&
					!last.textContent.includes('connecting you with a person now') &&
					r.querySelector('.human-bar').hidden && !status.hidden && status.textContent.startsWith("Nobody is online right now who can help. You're number ");`))
			shot("3-queued")
			cust.wait("the hand-over in view", widgetCheck(newestInView))

			// Ana takes it: the bar disappears, the header says the team is online.
			call(t, base, "PUT", "/agents/me/status", ana.Token, map[string]string{"status": "available"}, http.StatusOK, nil)
			var offers struct {
				Offers []struct {
					ID int64 `json:"id"`
				} `json:"offers"`
			}
			cust.wait("an offer to Ana", fmt.Sprintf(`fetch(%s, {headers: {Authorization: 'Bearer ' + %s}}).then((r) => r.json()).then((o) => o.offers.length > 0)`,
				js(base+"/api/v1/offers"), js(ana.Token)))
			call(t, base, "GET", "/offers", ana.Token, nil, http.StatusOK, &offers)
			var taken struct {
				Conversation struct {
					ID int64 `json:"id"`
				} `json:"conversation"`
			}
			call(t, base, "POST", fmt.Sprintf("/offers/%d/accept", offers.Offers[0].ID), ana.Token, nil, http.StatusOK, &taken)
			cust.wait("a person has it: no bar", widgetCheck(`
				return r.querySelector('.human-bar').hidden && r.querySelector('.status').classList.contains('live') &&
					r.querySelector('.subtitle').dataset.team === 'online';`))
			shot("4-assigned")
			cust.wait("the newest in view", widgetCheck(newestInView))
			// Resolved before Ana leaves, so the next run's customer is alone in the queue.
			call(t, base, "POST", fmt.Sprintf("/conversations/%d/resolve", taken.Conversation.ID), ana.Token, nil, http.StatusOK, nil)
			call(t, base, "PUT", "/agents/me/status", ana.Token, map[string]string{"status": "offline"}, http.StatusOK, nil)
			cust.checkClean()
		})
	}
}
