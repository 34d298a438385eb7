package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = app.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestTriageCommandKeepsOrderAndReportsBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"text":"My new card still hasn't arrived, when will it come?","locale":"en-GB"}`,
		`not json`,
		`{"text":"Jag vill prata med en människa","locale":"sv-SE"}`,
		``,
		`{"text":"There is a payment on my card that I did not make"}`,
		`{"text":"   "}`,
		`{"text":"hi","bogus":1}`,
	}, "\n")
	code, out, errs := run(t, in, "triage", "--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d output lines for 6 non-empty inputs:\n%s", len(lines), out)
	}
	var results []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line is not JSON: %q", l)
		}
		results = append(results, m)
	}
	check := func(i int, key string, want any) {
		t.Helper()
		if got := results[i][key]; got != want {
			t.Errorf("line %d: %s = %v, want %v (%v)", i+1, key, got, want, results[i])
		}
	}
	check(0, "intent", "card_arrival")
	check(0, "decision", "answer")
	if results[1]["error"] == nil || !strings.Contains(results[1]["error"].(string), "line 2") {
		t.Errorf("a malformed line must give an error naming it: %v", results[1])
	}
	check(2, "language", "sv")
	check(2, "human_request", true)
	check(2, "decision", "handoff")
	check(3, "sensitive", "fraud")
	for _, i := range []int{4, 5} {
		if results[i]["error"] == nil {
			t.Errorf("line %d must be an error: %v", i+1, results[i])
		}
	}
}

func TestTriageCommandUsesTheWorkspacePolicy(t *testing.T) {
	e := newEnv(t)
	if err := e.app.Store.SetTriagePolicy(context.Background(), e.info.Workspace.ID, `{"always_human":["card_arrival"]}`); err != nil {
		t.Fatal(err)
	}
	dir := e.dataDir
	_, out, errs := run(t, `{"text":"My new card still hasn't arrived, when will it come?"}`+"\n", "triage", "--data-dir", dir, "--workspace", "acme")
	if !strings.Contains(out, `"decision":"handoff"`) || !strings.Contains(out, "intent_requires_person") {
		t.Fatalf("the workspace's always_human intent was not applied: %s %s", out, errs)
	}
	if code, _, errs := run(t, "", "triage", "--data-dir", dir, "--workspace", "nope"); code == 0 || !strings.Contains(errs, "nope") {
		t.Fatalf("unknown workspace: exit %d, %s", code, errs)
	}
}

func TestTrainAndEvalCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "small.csv")
	writeSmallDataset(t, data)
	model := filepath.Join(dir, "small.model")

	code, out, errs := run(t, "", "train", "--data", data, "--out", model)
	if code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("train: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "", "eval", "--data", data, "--model", model, "--json")
	if code != 0 {
		t.Fatalf("eval --model: exit %d\n%s", code, errs)
	}
	var rep struct {
		N        int
		Accuracy float64
		Coverage map[string]float64
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.N == 0 || rep.Accuracy < 0.9 {
		t.Fatalf("eval of a model on its own training data: %+v, %v\n%s", rep, err, out)
	}
	code, out, errs = run(t, "", "eval", "--data", data, "--folds", "3")
	if code != 0 || !strings.Contains(out, "3-fold") || !strings.Contains(strings.ToLower(out), "macro") {
		t.Fatalf("eval (cross-validation): exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = run(t, `{"text":"where is my parcel"}`+"\n", "triage", "--model", model, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("triage --model: exit %d %s", code, errs)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", data}, "required"},
		{[]string{"train", "--data", filepath.Join(dir, "missing.csv"), "--out", model}, "missing.csv"},
		{[]string{"eval"}, "required"},
		{[]string{"eval", "--data", data, "--model", data}, "small.csv"},
		{[]string{"eval", "--data", data, "--folds", "1"}, "folds"},
	} {
		if code, _, errs := run(t, "", tc.args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure mentioning %q", tc.args, code, errs, tc.want)
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("words,label\nhello,greeting\n"), 0o600)
	if code, _, errs := run(t, "", "train", "--data", bad, "--out", model); code == 0 || errs == "" {
		t.Errorf("a CSV without the text,category header must be refused: exit %d", code)
	}
	if code, out, _ := run(t, "", "eval", "--help"); code != 0 || !strings.Contains(out, "--model") {
		t.Errorf("eval --help: exit %d %s", code, out)
	}
}

// writeSmallDataset writes a four-intent CSV, small enough to train in a test.
func writeSmallDataset(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"text", "category"})
	intents := map[string][]string{
		"parcel_late":  {"where is my parcel", "my parcel has not arrived", "parcel is late", "when does my parcel come", "tracking my parcel"},
		"refund":       {"I want a refund", "refund my order", "how do I get my money back", "return and refund", "refund not received"},
		"password":     {"reset my password", "forgot my password", "cannot log in password", "change my password", "password reset link"},
		"opening_time": {"when are you open", "opening hours", "what time do you close", "are you open on sunday", "store hours"},
	}
	for intent, texts := range intents {
		for i := 0; i < 4; i++ {
			for _, text := range texts {
				w.Write([]string{fmt.Sprintf("%s %s", text, strings.Repeat("please ", i)), intent})
			}
		}
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTriageAPI(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	var res map[string]any
	e.call(t, "POST", "/api/v1/triage", admin, map[string]string{"text": "Quiero hablar con un agente", "locale": "es-ES"}, http.StatusOK, &res)
	if res["language"] != "es" || res["human_request"] != true || res["decision"] != "handoff" {
		t.Fatalf("triage = %v", res)
	}
	cust := e.customer(t, "acme")
	e.fails(t, "POST", "/api/v1/triage", cust, map[string]string{"text": "hi"}, http.StatusForbidden, "forbidden")
	e.fails(t, "POST", "/api/v1/triage", admin, map[string]string{"text": " "}, http.StatusBadRequest, "bad_request")
	e.fails(t, "POST", "/api/v1/triage", "", map[string]string{"text": "hi"}, http.StatusUnauthorized, "unauthorized")
}

func TestConversationCarriesTriageForStaffOnly(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	conv := e.start(t, cust, "t-1", "There is a payment on my card that I did not make")
	admin, _ := e.login(t, "admin@acme.test", app.DemoPassword)
	var staffView, custView map[string]any
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), admin, nil, http.StatusOK, &staffView)
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), cust, nil, http.StatusOK, &custView)
	tr, _ := staffView["triage"].(map[string]any)
	if tr == nil || tr["sensitive"] != "fraud" || tr["language"] != "en" {
		t.Fatalf("staff view triage = %v", staffView["triage"])
	}
	if _, ok := custView["triage"]; ok {
		t.Fatalf("the customer sees how triage read them: %v", custView["triage"])
	}
}
