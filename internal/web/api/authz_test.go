package api_test

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/web/api"
)

// callers of the route-table test, each with the rules that let it through.
var callers = []struct {
	name   string
	email  string // staff; "" for the customer and for no token
	allows []string
}{
	// Another workspace's admin comes first, while acme's resources all
	// still exist: whatever its rule, it must not reach them.
	{"globex admin", "root@globex.test", []string{api.WhoAnyone, api.WhoSignedIn, api.WhoStaff, api.WhoSupervisor, api.WhoAdmin}},
	{"no token", "", []string{api.WhoAnyone}},
	{"bad token", "", []string{api.WhoAnyone}},
	{"customer", "", []string{api.WhoAnyone, api.WhoCustomer, api.WhoSignedIn}},
	{"agent", "ana@acme.test", []string{api.WhoAnyone, api.WhoSignedIn, api.WhoStaff}},
	{"supervisor", "sue@acme.test", []string{api.WhoAnyone, api.WhoSignedIn, api.WhoStaff, api.WhoSupervisor}},
	{"admin", "admin@acme.test", []string{api.WhoAnyone, api.WhoSignedIn, api.WhoStaff, api.WhoSupervisor, api.WhoAdmin}},
}

// TestRouteTableAuthorization calls every route of the route table — not
// a list kept by hand — with no token, a bad token, as a customer, an
// agent, a supervisor, an admin and another workspace's admin, and checks
// the rule the route declares: a caller it does not allow gets 401 (no
// valid token) or 403, one it
// allows gets past it, and another workspace's admin never gets acme's
// resources. A route registered without a rule fails here.
func TestRouteTableAuthorization(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		ids := f.resources(t)
		for _, rt := range api.RouteTable() {
			if !rt.Declared {
				t.Errorf("%s does not say who may call it", rt.Pattern)
				continue
			}
			method, path := requestFor(rt.Pattern, ids)
			for _, c := range callers {
				token := ""
				switch {
				case c.email != "":
					token = f.login(t, c.email)
				case c.name == "customer":
					token = f.customer(t, "cus_owner")
				case c.name == "bad token":
					token = "not-a-token"
				}
				anonymous := c.name == "no token" || c.name == "bad token"
				var body any
				if method != "GET" && method != "OPTIONS" && method != "DELETE" {
					body = map[string]any{}
				}
				status, raw := f.do(t, method, path, token, body)
				what := fmt.Sprintf("%s (%s) as %s", rt.Pattern, rt.Who, c.name)
				allowed := slices.Contains(c.allows, rt.Who)
				switch {
				case status >= 500:
					t.Errorf("%s: %d %s", what, status, raw)
				case !allowed && anonymous && (status != http.StatusUnauthorized || errorCode(raw) != "unauthorized"):
					t.Errorf("%s: %d %s, want 401 unauthorized", what, status, raw)
				case !allowed && !anonymous && (status != http.StatusForbidden || errorCode(raw) != "forbidden"):
					t.Errorf("%s: %d %s, want 403 forbidden", what, status, raw)
				case allowed && (status == http.StatusUnauthorized || status == http.StatusForbidden):
					t.Errorf("%s: %d %s, want the rule to let it through", what, status, raw)
				case allowed && c.name == "globex admin" && strings.Contains(rt.Pattern, "{id}") && status < 300:
					t.Errorf("%s: %d %s: another workspace's resource", what, status, raw)
				}
			}
		}
	})
}

// resources creates one of each resource a route names by id in acme (a
// conversation of the customer cus_owner, an article, a canned reply, an
// action, a webhook) and returns the ids by the path segment that names
// them. Ids that name nothing (offers, deliveries) are 1.
func (f *fixture) resources(t *testing.T) map[string]int64 {
	t.Helper()
	admin := f.login(t, "admin@acme.test")
	var out struct {
		ID int64 `json:"id"`
	}
	ids := map[string]int64{"offers": 1, "deliveries": 1}
	f.call(t, "POST", "/api/v1/conversations", f.customer(t, "cus_owner"), map[string]any{"message": map[string]string{"body": "Where is my card?"}}, http.StatusCreated, &out)
	ids["conversations"] = out.ID
	f.call(t, "POST", "/api/v1/articles", admin, map[string]any{"title": "Card delivery", "body": "Cards arrive in five days."}, http.StatusCreated, &out)
	ids["articles"] = out.ID
	f.call(t, "POST", "/api/v1/canned-replies", admin, map[string]any{"shortcut": "hi", "title": "Hello", "body": "Hello!"}, http.StatusCreated, &out)
	ids["canned-replies"] = out.ID
	f.call(t, "POST", "/api/v1/actions", admin, map[string]any{
		"name": "order_status", "description": "Where an order is", "endpoint": "/backend/orders", "secret": "sixteen or more characters",
	}, http.StatusCreated, &out)
	ids["actions"] = out.ID
	f.call(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": "http://127.0.0.1:9/hook"}, http.StatusCreated, &out)
	ids["webhooks"] = out.ID
	var me struct {
		ID int64 `json:"id"`
	}
	f.call(t, "GET", "/api/v1/agents/me", f.login(t, "ana@acme.test"), nil, http.StatusOK, &me)
	ids["agents"] = me.ID
	return ids
}

// requestFor turns a route pattern into a request: its method (GET when
// the pattern has none) and a path with each {name} replaced by the id of
// the resource the segment before it names.
func requestFor(pattern string, ids map[string]int64) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = fmt.Sprint(ids[segs[i-1]])
		}
	}
	return method, strings.Join(segs, "/")
}

// docRow is a row of docs/api.md's endpoint tables: | `METHOD /path…` | who | … |
var docRow = regexp.MustCompile("^\\| `([A-Z]+) (/[^` ?]*)[^`]*` \\| ([^|]+) \\|")

// TestRouteTableMatchesTheDocs: docs/api.md documents every route with the
// rule the route table declares ("customer (own), staff" is the rule
// "customer, staff": the parenthesis says what the desk checks beyond it),
// and documents no route that is not in the table.
func TestRouteTableMatchesTheDocs(t *testing.T) {
	raw, err := os.ReadFile("../../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		m := docRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		who := regexp.MustCompile(`\s*\([^)]*\)`).ReplaceAllString(m[3], "")
		documented[m[1]+" /api/v1"+m[2]] = strings.TrimSpace(who)
	}
	routed := map[string]bool{}
	for _, rt := range api.RouteTable() {
		routed[rt.Pattern] = true
		switch who, ok := documented[rt.Pattern]; {
		case !strings.Contains(rt.Pattern, " "):
			// the catch-all "no such endpoint"
		case strings.HasPrefix(rt.Pattern, "OPTIONS ") || rt.Pattern == "GET /api/v1/openapi.json":
			// CORS preflight and the document itself
		case !ok:
			t.Errorf("%s (%s) is not in docs/api.md", rt.Pattern, rt.Who)
		case who != rt.Who:
			t.Errorf("%s: docs/api.md says %q, the route table %q", rt.Pattern, who, rt.Who)
		}
	}
	for pattern := range documented {
		if !routed[pattern] {
			t.Errorf("docs/api.md documents %s, which is not routed", pattern)
		}
	}
}
