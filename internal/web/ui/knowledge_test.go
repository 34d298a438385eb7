package ui

import (
	"net/http"
	"strings"
	"testing"
)

// TestKnowledgeEditor: the admin knowledge-base editor is a page like the
// others — CSP, no inline code — and its script inserts text only.
func TestKnowledgeEditor(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/admin/knowledge", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `src="/static/knowledge.js"`) {
		t.Fatalf("GET /admin/knowledge: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for _, inline := range []string{"<script>", " style=", " onclick=", " onload=", " onsubmit="} {
		if strings.Contains(body, inline) {
			t.Errorf("page has inline code %q", inline)
		}
	}
	for _, path := range []string{"/static/knowledge.js", "/static/knowledge.css"} {
		if res, _ := get(t, srv, path, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	b, err := files.ReadFile("static/knowledge.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(string(b), bad) {
			t.Errorf("knowledge.js uses %s", bad)
		}
	}
}
