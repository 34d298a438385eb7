package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/web/api"
)

// wildcard is a path pattern's {name}, whatever the name.
var wildcard = regexp.MustCompile(`\{[a-z]+\}`)

// TestTextRefusedAtTheEdge: a NUL character or bytes that are not UTF-8 in
// a JSON body, a query parameter or a path value get 400 invalid_text on
// every route of the route table, before authentication and alike on
// SQLite (which would store them) and PostgreSQL (which would refuse them
// with a 500); nothing is stored, and no error is logged (the fixture
// checks the log).
func TestTextRefusedAtTheEdge(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		admin := f.login(t, "admin@acme.test")
		for _, rt := range api.RouteTable() {
			method, path := requestFor(rt.Pattern, map[string]int64{})
			cases := []struct {
				what, path string
				body       any
			}{
				{"NUL in a body string", path, rawBody(`{"workspace":"ac\u0000me"}`)},
				{"NUL in a body string in a list", path, rawBody(`{"tags":["ok","b\u0000"]}`)},
				{"NUL in a field name", path, rawBody(`{"a\u0000":1}`)},
				{"body not UTF-8", path, rawBody("{\"workspace\":\"ac\xffme\"}")},
				{"NUL in a query parameter", path + "?q=%00", nil},
				{"query parameter not UTF-8", path + "?q=%FF", nil},
			}
			if strings.Contains(rt.Pattern, "{") {
				for _, bad := range []string{"%00", "%FF"} {
					cases = append(cases, struct {
						what, path string
						body       any
					}{"path value " + bad, wildcard.ReplaceAllString(rt.Pattern[strings.Index(rt.Pattern, "/"):], bad), nil})
				}
			}
			for _, c := range cases {
				for _, token := range []string{"", admin} {
					status, raw := f.do(t, method, c.path, token, c.body)
					if status != http.StatusBadRequest || errorCode(raw) != "invalid_text" {
						t.Errorf("%s %s, %s (token %v): %d %s, want 400 invalid_text", method, c.path, c.what, token != "", status, raw)
					}
				}
			}
		}
	})
}

// TestTextRefusalSaysWhere: the 400 names the field, and a body that only
// spells out "\u0000" as text (an escaped backslash) is ordinary text.
func TestTextRefusalSaysWhere(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			path, body, where string
		}{
			{"/api/v1/widget/session", `{"workspace":"ac\u0000me"}`, "workspace contains a NUL character"},
			{"/api/v1/widget/session", `{"workspace":"acme","customer":{"name":"Al\u0000ice"}}`, "customer.name contains a NUL character"},
			{"/api/v1/auth/login", `{"email":"admin@acme.test\u0000","password":"x"}`, "email contains a NUL character"},
			{"/api/v1/conversations/1/tags", `{"tags":["a","b\u0000"]}`, "tags[1] contains a NUL character"},
			{"/api/v1/widget/session", "{\"workspace\":\"ac\xc3me\"}", "not valid UTF-8"},
		} {
			status, raw := f.do(t, "POST", c.path, "", rawBody(c.body))
			if status != http.StatusBadRequest || !strings.Contains(string(raw), c.where) {
				t.Errorf("POST %s %s: %d %s, want 400 saying %q", c.path, c.body, status, raw, c.where)
			}
		}

		cust := f.customer(t, "cus_text")
		var conv struct {
			ID int64 `json:"id"`
		}
		f.call(t, "POST", "/api/v1/conversations", cust, rawBody(`{"message":{"body":"Where is my card?"}}`), http.StatusCreated, &conv)
		msgs := fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID)
		count := func() int {
			var out struct {
				Messages []struct {
					Body string `json:"body"`
				} `json:"messages"`
			}
			f.call(t, "GET", msgs, cust, nil, http.StatusOK, &out)
			return len(out.Messages)
		}
		before := count()
		status, raw := f.do(t, "POST", msgs, cust, rawBody(`{"body":"hello\u0000world"}`))
		if status != http.StatusBadRequest || errorCode(raw) != "invalid_text" {
			t.Fatalf("a message with NUL: %d %s, want 400 invalid_text", status, raw)
		}
		if n := count(); n != before {
			t.Fatalf("after the refused message the conversation has %d messages, want %d", n, before)
		}
		var msg struct {
			Body string `json:"body"`
		}
		f.call(t, "POST", msgs, cust, rawBody(`{"body":"the escape \\u0000 as text"}`), http.StatusCreated, &msg)
		if msg.Body != `the escape \u0000 as text` {
			t.Errorf("stored %q, want the text as written", msg.Body)
		}
	})
}
