package browsertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

// receiver is a webhook endpoint of the business: it records every request
// and answers 503 while failing is set.
type receiver struct {
	failing atomic.Bool

	mu  sync.Mutex
	got []receivedHook
}

type receivedHook struct {
	header http.Header
	body   []byte
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	status := http.StatusOK
	if rc.failing.Load() {
		status = http.StatusServiceUnavailable
	}
	rc.mu.Lock()
	rc.got = append(rc.got, receivedHook{header: r.Header.Clone(), body: body, status: status})
	rc.mu.Unlock()
	w.WriteHeader(status)
	if status != http.StatusOK {
		io.WriteString(w, "try again later")
	}
}

// find returns the requests with the given webhook-id that were answered with status.
func (rc *receiver) find(msgID string, status int) []receivedHook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedHook
	for _, h := range rc.got {
		if h.header.Get(webhooks.HeaderID) == msgID && h.status == status {
			out = append(out, h)
		}
	}
	return out
}

// after returns the requests received after the first n.
func (rc *receiver) after(n int) []receivedHook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedHook(nil), rc.got[min(n, len(rc.got)):]...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// describeWebhooks explains the webhooks view when a wait on it fails.
const describeWebhooks = `(() => {
  const t = (id) => { const e = document.getElementById(id); return e ? (e.hidden ? '(hidden)' : e.innerText) : '(missing)'; };
  return 'login: ' + t('login-view') + '\nnotice: ' + t('notice') + '\nsecret: ' + t('hook-secret') +
    '\nform: ' + t('hook-form') + '\nendpoints: ' + t('hook-table') + '\ndeliveries: ' + t('deliveries') +
    '\ndialog open: ' + document.getElementById('hook-dialog')?.open + ', error: ' + t('hook-dialog-error') +
    '\nfocus: ' + (document.activeElement && (document.activeElement.id || document.activeElement.getAttribute('data-key') || document.activeElement.tagName));
})()`

// signInAdmin opens the admin console at hash and signs in as the demo admin.
func signInAdmin(p *page, base, hash string) {
	p.t.Helper()
	p.do("open /admin"+hash, chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(base+"/admin"+hash), chromedp.WaitVisible(chromedp.ID("login-email")))
	p.do("sign in",
		chromedp.SendKeys(chromedp.ID("login-email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("login-password"), app.DemoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("app")))
	p.wait("the console, live", `document.getElementById('conn').textContent === 'Live'`)
}

// focused is a JS expression: the data-key or id of the focused element.
const focused = `(document.activeElement.getAttribute('data-key') || document.activeElement.id)`

// TestWebhooksInTheAdminConsole: an admin adds a webhook endpoint in the
// admin console (a bad URL is refused inline first), copies the signing
// secret shown once, and watches the delivery log as a customer writes: the
// receiver is down, so the deliveries are retried; when it is back "Retry
// now" delivers one at once, and the request verifies with the shown
// secret. With the log closed, "Send test event" opens it on a webhook.test
// delivery that arrives once, signed. The admin rotates the secret (the old one keeps signing: the next
// request verifies with either), and deletes the endpoint. A description
// that looks like HTML stays text.
func TestWebhooksInTheAdminConsole(t *testing.T) {
	chromium := needChromium(t)
	rc := &receiver{}
	rc.failing.Store(true)
	hooked := httptest.NewServer(rc)
	t.Cleanup(hooked.Close)
	// The receiver listens on 127.0.0.1, a private address.
	base := startServerWith(t, func(c *config.Config) { c.WebhookAllowPrivate = true })
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	admin := newPage(t, "admin", browser, describeWebhooks)

	signInAdmin(admin, base, "#webhooks")
	admin.wait("the empty webhooks view", `!document.getElementById('view-webhooks').hidden &&
		!document.getElementById('hook-empty').hidden && document.querySelectorAll('#hook-rows tr').length === 0 &&
		document.querySelector('.sidenav a[aria-current="page"]')?.getAttribute('href') === '#webhooks' &&
		document.title === 'Tandem · Admin · Webhooks'`)

	// 1. The form: "All events" is the default; a URL that is not http(s) is refused inline.
	admin.do("open the form", chromedp.Click(chromedp.ID("hook-add"), chromedp.NodeVisible))
	admin.wait("the form, focused on the URL, all events ticked", `!document.getElementById('hook-form').hidden &&
		document.activeElement === document.getElementById('hook-url') &&
		document.getElementById('hook-all').checked && document.getElementById('hook-enabled').checked &&
		!document.getElementById('hook-staff').checked &&
		[...document.querySelectorAll('#hook-form input[name="hook-type"]')].every((c) => c.checked && c.disabled) &&
		document.querySelectorAll('#hook-form input[name="hook-type"]').length === 15`)
	admin.do("enter a bad URL and save",
		chromedp.SendKeys(chromedp.ID("hook-url"), "ftp://files.example.com/drop"),
		chromedp.Click(chromedp.ID("hook-save")))
	admin.wait("the error under the URL", `(() => {
		const e = document.getElementById('hook-url-error');
		return !e.hidden && e.textContent.startsWith('Must be an absolute http(s) URL') &&
			document.getElementById('hook-url').getAttribute('aria-invalid') === 'true' &&
			document.activeElement === document.getElementById('hook-url') &&
			document.getElementById('hook-error').hidden;
	})()`)

	// 2. The real endpoint: two event types, a description that looks like HTML.
	description := "CRM " + xssPayload
	admin.do("fill in the endpoint",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('hook-url').value = ''`),
		chromedp.SendKeys(chromedp.ID("hook-url"), hooked.URL+"/tandem"),
		chromedp.SendKeys(chromedp.ID("hook-description"), description),
		chromedp.Click(chromedp.ID("hook-all")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('#hook-form input[name="hook-type"]').forEach((c) => { c.checked = false; })`),
		chromedp.Click(chromedp.CSS(`#hook-form input[value="conversation.created"]`)),
		chromedp.Click(chromedp.CSS(`#hook-form input[value="message.created"]`)))
	admin.screenshot(shots, "webhooks-1-form.png")
	admin.do("create it", chromedp.Click(chromedp.ID("hook-save")))
	secret := waitFor[string](admin, "the secret, shown and focused", `(() => {
		const box = document.getElementById('hook-secret');
		const v = document.getElementById('hook-secret-value');
		return !box.hidden && document.activeElement === v && v.value.startsWith('whsec_') &&
			document.getElementById('hook-form').hidden && v.value;
	})()`)
	admin.wait("the endpoint in the list, its description as text", fmt.Sprintf(`(() => {
		const rows = document.querySelectorAll('#hook-rows tr');
		if (rows.length !== 1) return false;
		const r = rows[0];
		return r.querySelector('.hook-url').textContent === %s && r.querySelector('.hook-desc').textContent === %s &&
			[...r.querySelectorAll('.tag')].map((t) => t.textContent).join() === 'conversation.created,message.created' &&
			r.cells[2].textContent === 'No' && r.cells[3].textContent === 'Enabled' && r.cells[4].textContent === 'None yet' &&
			document.querySelector('#view-webhooks img') === null && document.getElementById('hook-empty').hidden;
	})()`, js(hooked.URL+"/tandem"), js(description)))
	hookID := eval[int](admin, "the endpoint's id", `Number(document.querySelector('#hook-rows tr').dataset.hook)`)
	admin.screenshot(shots, "webhooks-2-secret.png")

	// 3. A customer writes; the receiver is down: the deliveries are retried.
	var sess struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/widget/session", "", map[string]any{"workspace": "acme", "customer": map[string]string{"name": "Alice"}}, http.StatusCreated, &sess)
	call(t, base, "POST", "/conversations", sess.Token, map[string]any{"message": map[string]string{"client_id": "w-1", "body": cardQuestion}}, http.StatusCreated, nil)
	admin.do("open the delivery log", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="log-%d"]`, hookID)), chromedp.NodeVisible))
	admin.wait("the log, focused", `!document.getElementById('deliveries').hidden && document.activeElement === document.getElementById('deliveries-h')`)
	admin.wait("the failed deliveries, retrying, with Retry now", `(() => {
		const rows = [...document.querySelectorAll('#delivery-rows tr.delivery')];
		const types = rows.map((r) => r.cells[0].textContent);
		return rows.length >= 2 && types.includes('conversation.created') && types.includes('message.created') &&
			rows.every((r) => r.cells[1].textContent === 'Retrying' && r.cells[3].textContent === 'HTTP 503' &&
				r.querySelector('button[data-key^="retry-"]') !== null);
	})()`)
	// The newest message.created: expand its attempts.
	row := `[...document.querySelectorAll('#delivery-rows tr.delivery')].find((r) => r.cells[0].textContent === 'message.created')`
	deliveryID := eval[int](admin, "the delivery's id", row+`.dataset.delivery | 0`)
	admin.do("expand its attempts", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="toggle-%d"]`, deliveryID)), chromedp.NodeVisible))
	msgID := waitFor[string](admin, "the attempts, with the answer", fmt.Sprintf(`(() => {
		const b = document.querySelector('[data-key="toggle-%[1]d"]');
		const d = document.getElementById('delivery-%[1]d-attempts');
		if (!b || b.getAttribute('aria-expanded') !== 'true' || d.hidden || document.activeElement !== b) return false;
		const first = d.querySelector('.attempt-list li');
		return first && first.textContent.includes('Attempt 1') && first.textContent.includes('HTTP 503') &&
			d.querySelector('pre.response').textContent === 'try again later' && d.querySelector('.attempts code').textContent;
	})()`, deliveryID))
	admin.screenshot(shots, "webhooks-3-retrying.png")

	// 4. The receiver is back; Retry now delivers at once (before the 5 s back-off).
	rc.failing.Store(false)
	retried := time.Now()
	admin.do("retry now", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="retry-%d"]`, deliveryID)), chromedp.NodeVisible))
	admin.wait("the delivery, delivered", fmt.Sprintf(`(() => {
		const r = document.querySelector('#delivery-rows tr[data-delivery="%d"]');
		return r && r.cells[1].textContent === 'Delivered' && Number(r.cells[2].textContent) >= 2 &&
			r.cells[3].textContent === 'HTTP 200' && r.querySelector('button[data-key^="retry-"]') === null &&
			document.getElementById('notice').textContent.startsWith('Sending message.created');
	})()`, deliveryID))
	if d := time.Since(retried); d > 4500*time.Millisecond {
		t.Logf("the retry took %v: it may have been the back-off rather than Retry now", d)
	}
	ok := rc.find(msgID, http.StatusOK)
	if len(ok) != 1 {
		t.Fatalf("the receiver got %d successful requests with webhook-id %s, want 1", len(ok), msgID)
	}
	if err := webhooks.Verify(ok[0].header, ok[0].body, time.Now(), 5*time.Minute, secret); err != nil {
		t.Errorf("the delivered request does not verify with the secret the console showed: %v", err)
	}
	if !strings.Contains(string(ok[0].body), `"type":"message.created"`) || !strings.Contains(string(ok[0].body), cardQuestion) {
		t.Errorf("delivered body: %s", ok[0].body)
	}
	admin.wait("the last delivery in the list", `(() => {
		const c = document.querySelector('#hook-rows tr').cells[4];
		return c.querySelector('.pill') !== null && c.textContent !== 'None yet';
	})()`)
	admin.screenshot(shots, "webhooks-4-delivered.png")

	// 4b. Send a test event with the log closed: the log opens on it, delivered.
	admin.do("close the log", chromedp.Click(chromedp.ID("deliveries-close"), chromedp.NodeVisible))
	admin.wait("the log closed", `document.getElementById('deliveries').hidden`)
	admin.do("send a test event", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="test-%d"]`, hookID)), chromedp.NodeVisible))
	testID := waitFor[int](admin, "the log, open and focused, with the test delivered", `(() => {
		if (document.getElementById('deliveries').hidden || document.activeElement !== document.getElementById('deliveries-h')) return false;
		const r = document.querySelector('#delivery-rows tr.delivery');
		return r && r.cells[0].querySelector('code').textContent === 'webhook.test' &&
			r.cells[0].querySelector('.tag')?.textContent === 'Test' && r.cells[1].textContent === 'Delivered' &&
			r.cells[3].textContent === 'HTTP 200' &&
			document.getElementById('notice').textContent.startsWith('Sending a test event to') && Number(r.dataset.delivery);
	})()`)
	admin.screenshot(shots, "webhooks-4b-test-event.png")
	var tests []receivedHook
	for _, h := range rc.after(0) {
		if strings.Contains(string(h.body), `"type":"webhook.test"`) {
			tests = append(tests, h)
		}
	}
	if len(tests) != 1 {
		t.Fatalf("the receiver got %d test events, want 1", len(tests))
	}
	if err := webhooks.Verify(tests[0].header, tests[0].body, time.Now(), 5*time.Minute, secret); err != nil {
		t.Errorf("the test event does not verify with the secret the console showed: %v", err)
	}
	if !strings.Contains(string(tests[0].body), fmt.Sprintf(`"endpoint_id":%d`, hookID)) {
		t.Errorf("test event body: %s", tests[0].body)
	}
	admin.do("expand the test's attempts", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="toggle-%d"]`, testID)), chromedp.NodeVisible))
	admin.wait("the test's attempts, saying it is a test", fmt.Sprintf(`(() => {
		const d = document.getElementById('delivery-%d-attempts');
		return d && !d.hidden && d.querySelector('.attempts p.muted').textContent.endsWith(' · a test event');
	})()`, testID))

	// 5. Rotate the secret: Escape cancels and gives the focus back; then confirm.
	rotate := fmt.Sprintf(`rotate-%d`, hookID)
	admin.do("ask to rotate", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key=%q]`, rotate)), chromedp.NodeVisible))
	admin.wait("the question, explaining the overlap", `document.getElementById('hook-dialog').open &&
		document.getElementById('hook-dialog-text').textContent.includes('keeps signing too for 24 hours') &&
		document.activeElement === document.getElementById('hook-dialog-cancel')`)
	admin.do("press Escape", pressKey('\x1b'))
	admin.wait("the dialog closed, the focus back on the button", fmt.Sprintf(`!document.getElementById('hook-dialog').open && %s === %s`, focused, js(rotate)))
	// The dialog's close event comes a task after it closed: the question asked again before
	// that (a quick click, a loaded machine) must still be the one the dialog answers.
	admin.do("cancel and ask again at once", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`
		document.getElementById('hook-dialog-cancel').click();
		document.querySelector('[data-key=%q]').click();`, rotate)))
	admin.wait("the question, ready", `document.getElementById('hook-dialog').open &&
		document.getElementById('hook-dialog-text').textContent.includes('keeps signing too for 24 hours') &&
		document.activeElement === document.getElementById('hook-dialog-cancel') &&
		!document.getElementById('hook-dialog-yes').disabled && document.getElementById('hook-dialog-error').hidden`)
	admin.screenshot(shots, "webhooks-5-rotate-dialog.png")
	admin.do("rotate", chromedp.Click(chromedp.ID("hook-dialog-yes"), chromedp.NodeVisible))
	newSecret := waitFor[string](admin, "the new secret, with the overlap explained", fmt.Sprintf(`(() => {
		const v = document.getElementById('hook-secret-value');
		return !document.getElementById('hook-dialog').open && document.activeElement === v &&
			v.value.startsWith('whsec_') && v.value !== %s &&
			document.getElementById('hook-secret-for').textContent.includes('The old secret keeps signing too until') &&
			document.querySelector('#hook-rows tr .hook-note')?.textContent.startsWith('The old secret also signs until') && v.value;
	})()`, js(secret)))
	admin.screenshot(shots, "webhooks-6-rotated.png")
	// The next delivery carries both signatures: each secret verifies it.
	before := rc.count()
	call(t, base, "POST", "/conversations", sess.Token, map[string]any{"message": map[string]string{"client_id": "w-2", "body": "Thanks!"}}, http.StatusCreated, nil)
	admin.wait("a new delivery after the rotation, delivered", `[...document.querySelectorAll('#delivery-rows tr.delivery')].some((r) =>
		r.cells[1].textContent === 'Delivered' && r.cells[0].textContent === 'message.created' && Number(r.cells[2].textContent) === 1)`)
	var signed *receivedHook
	for _, h := range rc.after(before) {
		if h.status == http.StatusOK && strings.Contains(string(h.body), "Thanks!") {
			signed = &h
			break
		}
	}
	if signed == nil {
		t.Fatal("the receiver did not get the message written after the rotation")
	}
	if n := len(strings.Fields(signed.header.Get(webhooks.HeaderSignature))); n != 2 {
		t.Errorf("after the rotation: %d signatures, want 2 (new and old secret)", n)
	}
	for name, s := range map[string]string{"new": newSecret, "old": secret} {
		if err := webhooks.Verify(signed.header, signed.body, time.Now(), 5*time.Minute, s); err != nil {
			t.Errorf("after the rotation, the %s secret does not verify: %v", name, err)
		}
	}

	// 6. The description stays text in the confirmation too; delete the endpoint.
	admin.do("ask to delete", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-key="delete-%d"]`, hookID)), chromedp.NodeVisible))
	admin.wait("the question, naming the endpoint as text", fmt.Sprintf(`document.getElementById('hook-dialog').open &&
		document.getElementById('hook-dialog-h').textContent === 'Delete this endpoint?' &&
		document.getElementById('hook-dialog-url').textContent === %s && document.querySelector('#hook-dialog img') === null`,
		js(description+" — "+hooked.URL+"/tandem")))
	admin.do("delete", chromedp.Click(chromedp.ID("hook-dialog-yes"), chromedp.NodeVisible))
	admin.wait("no endpoints, the log and secret gone, the focus on Add endpoint", `!document.getElementById('hook-dialog').open &&
		document.querySelectorAll('#hook-rows tr').length === 0 && !document.getElementById('hook-empty').hidden &&
		document.getElementById('deliveries').hidden && document.getElementById('hook-secret').hidden &&
		document.activeElement === document.getElementById('hook-add') &&
		document.getElementById('notice').textContent.startsWith('Deleted the endpoint')`)
	var list struct {
		Webhooks []any `json:"webhooks"`
	}
	var login struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/auth/login", "", map[string]string{"email": "admin@acme.test", "password": app.DemoPassword}, http.StatusOK, &login)
	call(t, base, "GET", "/webhooks", login.Token, nil, http.StatusOK, &list)
	if len(list.Webhooks) != 0 {
		t.Errorf("after the delete the API lists %d webhooks", len(list.Webhooks))
	}

	noXSS(t, admin, "#app img, dialog img")
	admin.checkClean()
}

// TestWebhookFormRefusesPrivateURL: on a server that keeps webhooks off
// private networks (the default), the form shows the API's refusal under
// the URL, naming the flag that allows it; Escape closes the form and gives
// the focus back to "Add endpoint".
func TestWebhookFormRefusesPrivateURL(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	shots := screenshotDir(t)
	admin := newPage(t, "admin", browser, describeWebhooks)

	signInAdmin(admin, base, "#webhooks")
	admin.do("open the form", chromedp.Click(chromedp.ID("hook-add"), chromedp.NodeVisible))
	admin.do("enter a private URL and save",
		chromedp.SendKeys(chromedp.ID("hook-url"), "http://127.0.0.1:5432/"),
		chromedp.Click(chromedp.ID("hook-save")))
	admin.wait("the refusal under the URL, naming --webhook-allow-private", `(() => {
		const e = document.getElementById('hook-url-error');
		return !e.hidden && e.textContent.includes('127.0.0.1 is a private or reserved network address') &&
			e.textContent.includes('--webhook-allow-private') && e.getAttribute('role') === 'alert' &&
			document.getElementById('hook-url').getAttribute('aria-invalid') === 'true' &&
			document.getElementById('hook-url').getAttribute('aria-describedby').includes('hook-url-error') &&
			document.activeElement === document.getElementById('hook-url') &&
			document.querySelectorAll('#hook-rows tr').length === 0;
	})()`)
	admin.screenshot(shots, "webhooks-7-private-url.png")
	admin.do("press Escape", pressKey('\x1b'))
	admin.wait("the form closed, the focus on Add endpoint", `document.getElementById('hook-form').hidden &&
		document.activeElement === document.getElementById('hook-add')`)
	admin.checkClean()
}
