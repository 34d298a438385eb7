package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/web/api"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mux := http.NewServeMux()
	engine, err := triage.DefaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Options{Store: st, Bus: bus.NewMemory(), Triage: engine})
	api.New(d, nil, api.WithPeople(people.New(people.Options{Store: st, Desk: d}))).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestOpenAPIDescribesEveryRoute keeps the document and the router in step:
// every documented operation is routed (it does not fall through to the
// "no such endpoint" answer), and the document is served as JSON.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	srv := newServer(t)
	res, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) < 10 {
		t.Fatalf("openapi = %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			url := srv.URL + "/api/v1" + strings.ReplaceAll(path, "{id}", "1")
			req, _ := http.NewRequest(strings.ToUpper(method), url, strings.NewReader("{}"))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusMethodNotAllowed || strings.Contains(string(body), "no such endpoint") {
				t.Errorf("%s %s is documented but not routed (%d %s)", strings.ToUpper(method), path, res.StatusCode, body)
			}
		}
	}
}

func TestUnknownEndpointIsAJSONNotFound(t *testing.T) {
	srv := newServer(t)
	res, err := http.Get(srv.URL + "/api/v1/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 404 || body.Error.Code != "not_found" {
		t.Fatalf("status %d, body %+v, err %v", res.StatusCode, body, err)
	}
}

// TestOpenAPISaysWhoMayCall: the route table and the document list the
// same operations, and each operation's x-tandem-access is its route's rule.
func TestOpenAPISaysWhoMayCall(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	for _, rt := range api.RouteTable() {
		inTable[rt.Pattern] = true
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if p := strings.ToUpper(method) + " /api/v1" + path; method != "parameters" && !inTable[p] {
				t.Errorf("openapi.json documents %s, which is not in the route table", p)
			}
		}
	}
	for _, rt := range api.RouteTable() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || method == "OPTIONS" || path == "/api/v1/openapi.json" {
			continue // the catch-all, CORS preflight, the document itself
		}
		raw, ok := doc.Paths[strings.TrimPrefix(path, "/api/v1")][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not in openapi.json", rt.Pattern)
			continue
		}
		var op struct {
			Access string `json:"x-tandem-access"`
		}
		if err := json.Unmarshal(raw, &op); err != nil || op.Access != rt.Who {
			t.Errorf("%s: openapi.json says x-tandem-access %q (%v), the route table %q", rt.Pattern, op.Access, err, rt.Who)
		}
	}
}
