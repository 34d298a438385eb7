package ui

import (
	"net/http"
	"strings"
	"testing"
)

// TestAgentConsolePage: /agent is an HTML page under the CSP with no inline
// script or style, its script and styles are served, and the whole console
// stays well under 200 KB.
func TestAgentConsolePage(t *testing.T) {
	srv := newServer(t)
	total := 0
	for _, tt := range []struct{ path, ctype, contains string }{
		{"/agent", "text/html; charset=utf-8", `src="/static/agent.js"`},
		{"/static/agent.js", "text/javascript; charset=utf-8", "/canned-replies"},
		{"/static/agent.css", "text/css; charset=utf-8", ".canned"},
	} {
		res, body := get(t, srv, tt.path, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tt.ctype || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s: %d %q, want 200 %q containing %q", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.ctype, tt.contains)
		}
		if tt.path == "/agent" {
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("/agent CSP %q", csp)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "onclick=") {
				t.Error("/agent has inline script, style or handlers, which the CSP blocks")
			}
		}
		total += len(body)
	}
	if total > 200<<10 {
		t.Errorf("the agent console weighs %d bytes, over 200 KB", total)
	}
}

// TestWorkspaceScriptsInsertTextOnly: the agent console and the widget put
// user-provided text in through textContent or text nodes, never an HTML parser.
func TestWorkspaceScriptsInsertTextOnly(t *testing.T) {
	for _, name := range []string{"static/agent.js", "widget.js"} {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}
