package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestRoutes(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path, ctype string
		html        bool
		contains    string
	}{
		{"/", "text/html; charset=utf-8", true, `href="/agent"`},
		{"/demo", "text/html; charset=utf-8", true, "Acme Pay"},
		{"/agent", "text/html; charset=utf-8", true, `src="/static/agent.js"`},
		{"/agent", "text/html; charset=utf-8", true, `src="/static/console.js"`},
		{"/widget.js", "text/javascript; charset=utf-8", false, "attachShadow"},
		{"/static/agent.js", "text/javascript; charset=utf-8", false, "TandemConsole.stream"},
		{"/static/console.js", "text/javascript; charset=utf-8", false, "/api/v1/stream"},
		{"/static/agent.css", "text/css; charset=utf-8", false, "--accent"},
		{"/static/widget.css", "text/css; charset=utf-8", false, ".bubble"},
		{"/static/demo.css", "text/css; charset=utf-8", false, ".hero"},
		{"/static/site.css", "text/css; charset=utf-8", false, ".card"},
		{"/static/favicon.svg", "image/svg+xml", false, "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, srv, tt.path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			csp := res.Header.Get("Content-Security-Policy")
			if tt.html {
				for _, want := range []string{"script-src 'self'", "connect-src 'self' ws: wss:"} {
					if !strings.Contains(csp, want) {
						t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, want)
					}
				}
				if strings.Contains(csp, "unsafe-inline") {
					t.Errorf("Content-Security-Policy allows inline code: %q", csp)
				}
				for _, inline := range []string{"<script>", " style=", " onclick=", " onload=", " onsubmit="} {
					if strings.Contains(body, inline) {
						t.Errorf("page has inline code %q, which the CSP blocks", inline)
					}
				}
			} else if csp != "" {
				t.Errorf("unexpected Content-Security-Policy on an asset: %q", csp)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestWidgetHeaders(t *testing.T) {
	srv := newServer(t)
	res, _ := get(t, srv, "/widget.js", http.Header{"Origin": {"https://shop.example"}})
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("Cache-Control = %q, want public, max-age=300", got)
	}
}

func TestDemoEmbedsWidget(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv, "/demo", nil)
	const tag = `<script src="/widget.js" data-workspace="acme" data-title="Acme Pay" async></script>`
	if !strings.Contains(body, tag) {
		t.Errorf("/demo does not include %s", tag)
	}
}

func TestNotFound(t *testing.T) {
	srv := newServer(t)
	for _, path := range []string{"/static/", "/static/nope.js", "/static/../ui.go", "/agent/x", "/nope"} {
		res, _ := get(t, srv, path, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, res.StatusCode)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv := newServer(t)
	res, err := srv.Client().Post(srv.URL+"/demo", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /demo: status = %d, want 405", res.StatusCode)
	}
}

func TestConditionalGet(t *testing.T) {
	srv := newServer(t)
	res, _ := get(t, srv, "/widget.js", nil)
	etag := res.Header.Get("ETag")
	res, body := get(t, srv, "/widget.js", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("revalidation: status = %d with %d bytes, want 304 and no body", res.StatusCode, len(body))
	}
}

// TestScriptsInsertTextOnly guards against the easy XSS mistakes: user-provided text must go
// through textContent or text nodes, never an HTML parser.
func TestScriptsInsertTextOnly(t *testing.T) {
	for _, name := range []string{"widget.js", "static/agent.js", "static/console.js"} {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}
