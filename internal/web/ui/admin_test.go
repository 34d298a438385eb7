package ui

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/webhooks"
)

// TestAdminConsolePage: /admin is an HTML page under the CSP, its script and
// styles are served, and the whole console stays well under 200 KB.
func TestAdminConsolePage(t *testing.T) {
	srv := newServer(t)
	total := 0
	for _, tt := range []struct{ path, ctype, contains string }{
		{"/admin", "text/html; charset=utf-8", `src="/static/admin.js"`},
		{"/static/admin.js", "text/javascript; charset=utf-8", "/stats/overview"},
		{"/static/admin.css", "text/css; charset=utf-8", ".kpi"},
		{"/static/favicon.svg", "image/svg+xml", "<svg"},
	} {
		res, body := get(t, srv, tt.path, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tt.ctype || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: %d %q, want 200 %q containing %q", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.ctype, tt.contains)
		}
		if tt.path == "/admin" {
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("/admin CSP %q", csp)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
				t.Error("/admin has inline script or style, which the CSP blocks")
			}
		}
		total += len(body)
	}
	if total > 200<<10 {
		t.Errorf("the admin console weighs %d bytes, over 200 KB", total)
	}
}

// TestAdminScriptInsertsTextOnly: user-provided text goes through
// textContent or text nodes, never an HTML parser.
func TestAdminScriptInsertsTextOnly(t *testing.T) {
	b, err := files.ReadFile("static/admin.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("admin.js uses %s", bad)
		}
	}
}

// TestAdminScriptKnowsEveryWebhookType: the webhooks form offers exactly the
// event types the server accepts, in its order.
func TestAdminScriptKnowsEveryWebhookType(t *testing.T) {
	b, err := files.ReadFile("static/admin.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "const HOOK_TYPES = [")
	end := strings.Index(src, "const LOG_PAGE")
	if start < 0 || end < start {
		t.Fatal("admin.js: no HOOK_TYPES … LOG_PAGE block")
	}
	var got []string
	for _, m := range regexp.MustCompile(`\['([a-z_.]+)', '`).FindAllStringSubmatch(src[start:end], -1) {
		got = append(got, m[1])
	}
	if !slices.Equal(got, webhooks.Types) {
		t.Errorf("admin.js offers the webhook types\n  %v\nthe server knows\n  %v", got, webhooks.Types)
	}
}
