package browsertest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tandem-desk/tandem/internal/app"
)

// TestNoteModeStaysWithItsConversation: Ana holds two conversations,
// switches the composer to "Internal note" in one and moves to the other:
// there, and back in the first, the composer replies again — a mode chosen
// for one conversation does not carry over to the next.
func TestNoteModeStaysWithItsConversation(t *testing.T) {
	chromium := needChromium(t)
	base := startServer(t)
	browser := startBrowser(t, chromium)
	ana := newPage(t, "ana", browser, describeConsole)

	var login struct {
		Token string `json:"token"`
	}
	call(t, base, "POST", "/auth/login", "", map[string]string{"email": "ana@acme.test", "password": app.DemoPassword}, http.StatusOK, &login)
	call(t, base, "PUT", "/agents/me/status", login.Token, map[string]string{"status": "available"}, http.StatusOK, nil)
	var ids []int64
	for _, name := range []string{"Alice", "Bob"} {
		var sess struct {
			Token string `json:"token"`
		}
		call(t, base, "POST", "/widget/session", "", map[string]any{"workspace": "acme", "customer": map[string]string{"name": name}}, http.StatusCreated, &sess)
		var conv struct {
			ID int64 `json:"id"`
		}
		call(t, base, "POST", "/conversations", sess.Token, map[string]any{"message": map[string]string{"body": cardQuestion}}, http.StatusCreated, &conv)
		call(t, base, "POST", fmt.Sprintf("/conversations/%d/handoff", conv.ID), sess.Token, nil, http.StatusOK, nil)
		ids = append(ids, conv.ID)
	}
	signIn(ana, base, "ana@acme.test")
	for _, id := range ids {
		offer := waitFor[int](ana, fmt.Sprintf("the offer of conversation %d", id), fmt.Sprintf(`fetch('/api/v1/offers', {headers: {Authorization: 'Bearer ' + %s}}).then((r) => r.json()).then((j) => {
			const o = j.offers.find((o) => o.conversation_id === %d);
			return o ? o.id : 0;
		})`, js(login.Token), id))
		call(t, base, "POST", fmt.Sprintf("/offers/%d/accept", offer), login.Token, nil, http.StatusOK, nil)
	}
	ana.wait("both conversations in the list", fmt.Sprintf(`document.querySelector('#conversations button[data-id="%d"]') !== null &&
		document.querySelector('#conversations button[data-id="%d"]') !== null`, ids[0], ids[1]))

	mode := `(document.querySelector('input[name="mode"]:checked') || {}).value + ' ' + document.getElementById('composer').classList.contains('note-mode') + ' ' + document.getElementById('compose-send').textContent`
	ana.do("open Alice's conversation", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#conversations button[data-id="%d"]`, ids[0])), chromedp.NodeVisible))
	ana.wait("Alice's conversation, replying", fmt.Sprintf(`!document.getElementById('conv').hidden && document.getElementById('conv-meta').textContent.startsWith('#%d') && %s === 'reply false Send'`, ids[0], mode))
	ana.do("choose Internal note", chromedp.Click(chromedp.CSS(`input[name="mode"][value="note"]`), chromedp.NodeVisible))
	ana.wait("the composer writing a note", mode+` === 'note true Add note'`)
	ana.do("open Bob's conversation", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#conversations button[data-id="%d"]`, ids[1])), chromedp.NodeVisible))
	ana.wait("Bob's conversation, replying again", fmt.Sprintf(`document.getElementById('conv-meta').textContent.startsWith('#%d') && %s === 'reply false Send'`, ids[1], mode))
	ana.do("back to Alice's", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#conversations button[data-id="%d"]`, ids[0])), chromedp.NodeVisible))
	ana.wait("Alice's conversation, replying", fmt.Sprintf(`document.getElementById('conv-meta').textContent.startsWith('#%d') && %s === 'reply false Send'`, ids[0], mode))
	ana.checkClean()
}
