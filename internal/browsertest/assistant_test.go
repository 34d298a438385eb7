package browsertest

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
)

// TestFeedbackCopilotAndEditorInTheBrowser: the widget asks "Did this
// answer your question?" under an answer — yes resolves, no brings in a
// person; the agent console's copilot shows the handoff packet and puts a
// suggested reply into the composer without sending it; the knowledge-base
// editor finds, creates and saves an article.
func TestFeedbackCopilotAndEditorInTheBrowser(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	cust := newPage(t, "customer", browser, describeWidget)
	agentCtx, cancelAgent := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAgent)
	agent := newPage(t, "agent", agentCtx, describeConsole)

	// 1. Yes: resolved by the assistant.
	cust.do("open /demo", chromedp.Navigate(base+"/demo"))
	cust.do("open the widget", chromedp.Click(inWidget(".bubble"), chromedp.NodeVisible))
	cust.do("ask", chromedp.SendKeys(inWidget(".composer textarea"), cardQuestion, chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the question under the answer", widgetCheck(`
		const f = r.querySelector('.msg.assistant .feedback');
		return !!f && f.querySelector('.fb-q').textContent === 'Did this answer your question?' && !!f.querySelector('button.fb-yes');`))
	cust.screenshot(shots, "assistant-1-widget-feedback.png")
	cust.do("say yes", chromedp.Click(inWidget(".msg.assistant .feedback button.fb-yes"), chromedp.NodeVisible))
	cust.wait("resolved, with thanks", widgetCheck(`
		const s = r.querySelector('.status');
		return !s.hidden && s.classList.contains('done') && r.querySelector('.feedback') === null &&
			[...r.querySelectorAll('.log .note')].some((n) => n.textContent === 'Thanks — glad that helped!');`))

	// 2. No: a person at once.
	const second = "Why was my payment declined?" // a payments question: Ana's skill
	cust.do("ask again", chromedp.SendKeys(inWidget(".composer textarea"), second, chromedp.NodeVisible), chromedp.Click(inWidget("button.send"), chromedp.NodeVisible))
	cust.wait("the question under the new answer only", widgetCheck(`
		const boxes = r.querySelectorAll('.feedback');
		const last = [...r.querySelectorAll('.msg.assistant')].pop();
		return boxes.length === 1 && last && last.contains(boxes[0]) && last.querySelector('.body').textContent.includes('spending limit');`))
	cust.do("say no", chromedp.Click(inWidget(".msg.assistant .feedback button.fb-no"), chromedp.NodeVisible))
	cust.wait("waiting for a person", widgetCheck(`
		const s = r.querySelector('.status');
		return !s.hidden && s.classList.contains('waiting') && r.querySelector('.feedback') === null;`))

	// 3. The agent's copilot.
	agent.do("sign in",
		chromedp.Navigate(base+"/agent"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SendKeys(chromedp.ID("login-email"), "ana@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("app")))
	agent.do("go available", chromedp.Click(chromedp.CSS(`input[name="agent-status"][value="available"]`), chromedp.NodeVisible))
	agent.wait("an offer", `!!document.querySelector('#offers li.offer button.primary')`)
	agent.do("accept", chromedp.Click(chromedp.CSS(`#offers li.offer button.primary`), chromedp.NodeVisible))
	agent.wait("the copilot with the packet and suggestions", `(() => {
		const c = document.getElementById('copilot');
		return c && !c.hidden && document.getElementById('copilot-summary').textContent.includes('did not help') &&
			document.querySelectorAll('#copilot-suggestions li.suggestion button').length > 0;
	})()`)
	agent.screenshot(shots, "assistant-2-agent-copilot.png")
	agent.do("use the first draft", chromedp.Click(chromedp.CSS(`#copilot-suggestions li.suggestion button`), chromedp.NodeVisible))
	agent.wait("the draft in the composer, not sent", `(() => {
		const v = document.getElementById('compose-body').value;
		return v.startsWith('Hi') && v.length > 40 && document.querySelectorAll('#transcript .msg.agent').length === 0;
	})()`)

	// 4. The knowledge-base editor (Alex is an admin).
	adminCtx, cancelAdmin := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelAdmin)
	admin := newPage(t, "admin", adminCtx, `document.body.innerText`)
	admin.do("open the editor", chromedp.Navigate(base+"/admin/knowledge"), chromedp.WaitVisible(chromedp.ID("login-email")))
	admin.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("app")))
	admin.wait("the articles", `document.querySelectorAll('#kb-articles li').length > 50`)
	admin.do("search", chromedp.SendKeys(chromedp.ID("kb-q"), "stolen card"))
	admin.wait("the best match first", `(document.querySelector('#kb-articles li .t') || {}).textContent === 'My card is lost or stolen'`)
	admin.do("open it", chromedp.Click(chromedp.CSS(`#kb-articles li button`), chromedp.NodeVisible))
	admin.wait("the form", `document.getElementById('kb-title').value === 'My card is lost or stolen' && document.getElementById('kb-intents').value.includes('lost_or_stolen_card')`)
	const title = "Gift cards"
	admin.do("new article",
		chromedp.Click(chromedp.ID("kb-new"), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.ID("kb-title"), title),
		chromedp.SendKeys(chromedp.ID("kb-body"), "Acme Pay gift cards can be used like a balance top-up."),
		chromedp.Click(chromedp.ID("kb-save"), chromedp.NodeVisible))
	admin.wait("saved", fmt.Sprintf(`document.getElementById('notice').textContent.startsWith('Saved') && document.getElementById('kb-form-title').textContent === 'Edit article' && document.getElementById('kb-title').value === %s`, js(title)))

	admin.screenshot(shots, "assistant-3-knowledge-editor.png")
	cust.checkClean()
	agent.checkClean()
	admin.checkClean()
}
