package triage_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/triage"
)

func engine(t testing.TB) *triage.Engine {
	t.Helper()
	e, err := triage.DefaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTriageDecisions(t *testing.T) {
	e := engine(t)
	tests := []struct {
		name     string
		in       triage.Input
		policy   triage.Policy
		decision triage.Decision
		reason   string
		intent   string
	}{
		{"routine and clear", triage.Input{Text: "My new card still hasn't arrived, when will it come?"}, triage.Policy{}, triage.Answer, triage.ReasonConfident, "card_arrival"},
		{"asks for a person", triage.Input{Text: "I want to talk to a human"}, triage.Policy{}, triage.Handoff, triage.ReasonHumanRequest, ""},
		{"asks for a person in Swedish", triage.Input{Text: "Jag vill prata med en människa", Locale: "sv-SE"}, triage.Policy{}, triage.Handoff, triage.ReasonHumanRequest, ""},
		{"fraud", triage.Input{Text: "There is a payment on my card that I did not make"}, triage.Policy{}, triage.Handoff, "sensitive:fraud", ""},
		{"bereavement", triage.Input{Text: "My husband passed away last month and I need to close his account"}, triage.Policy{}, triage.Handoff, "sensitive:bereavement", ""},
		{"out of scope", triage.Input{Text: "write me a poem about the sea"}, triage.Policy{}, triage.Clarify, triage.ReasonOutOfScope, ""},
		{"vip goes to a person when the workspace says so", triage.Input{Text: "My new card still hasn't arrived, when will it come?", Tier: "vip"}, triage.Policy{VIPToHuman: true}, triage.Handoff, triage.ReasonVIP, ""},
		{"vip answered by default", triage.Input{Text: "My new card still hasn't arrived, when will it come?", Tier: "vip"}, triage.Policy{}, triage.Answer, triage.ReasonConfident, "card_arrival"},
		{"an intent that always goes to a person", triage.Input{Text: "My new card still hasn't arrived, when will it come?"}, triage.Policy{AlwaysHuman: []string{"card_arrival"}}, triage.Handoff, triage.ReasonAlwaysHuman, "card_arrival"},
		{"a threshold no answer reaches", triage.Input{Text: "My new card still hasn't arrived, when will it come?"}, triage.Policy{AnswerThreshold: 1}, triage.Clarify, triage.ReasonAmbiguous, "card_arrival"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Triage(tc.in, tc.policy)
			if r.Decision != tc.decision || !slices.Contains(r.Reasons, tc.reason) {
				t.Fatalf("decision %s %v, want %s with %s (intent %s %.3f, threshold %.3f)", r.Decision, r.Reasons, tc.decision, tc.reason, r.Intent, r.Confidence, r.AnswerThreshold)
			}
			if tc.intent != "" && r.Intent != tc.intent {
				t.Fatalf("intent %s, want %s", r.Intent, tc.intent)
			}
		})
	}
}

func TestTriageFrustrationGoesToAPerson(t *testing.T) {
	e := engine(t)
	in := triage.Input{
		Text:    "This is the THIRD time I'm writing, my card STILL hasn't arrived!!!",
		History: []string{"my card hasn't arrived", "where is my card?"},
	}
	r := e.Triage(in, triage.Policy{})
	if r.Decision != triage.Handoff || !(r.Frustrated || r.Angry) || r.Sentiment >= 0 {
		t.Fatalf("got %s %v frustrated=%v angry=%v sentiment=%v", r.Decision, r.Reasons, r.Frustrated, r.Angry, r.Sentiment)
	}
	if r2 := e.Triage(in, triage.Policy{AnswerWhenFrustrated: true}); slices.Contains(r2.Reasons, triage.ReasonFrustration) || slices.Contains(r2.Reasons, triage.ReasonAnger) {
		t.Fatalf("AnswerWhenFrustrated still hands over for the mood: %v", r2.Reasons)
	}
}

// TestResultJSON pins the field names other tools read (tandem triage, the API).
func TestResultJSON(t *testing.T) {
	r := engine(t).Triage(triage.Input{Text: "How do I change my PIN?", Locale: "en-GB"}, triage.Policy{})
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"language", "language_confidence", "intent", "confidence", "alternatives", "sentiment", "human_request", "sensitive", "decision", "reasons"} {
		if _, ok := m[k]; !ok {
			t.Errorf("result JSON lacks %q: %s", k, raw)
		}
	}
	if m["sensitive"] != nil || m["language"] != "en" || m["intent"] != "change_pin" {
		t.Errorf("unexpected result: %s", raw)
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := triage.ParsePolicy(`{"answer_precision":0.99,"always_human":["compromised_card"],"vip_to_human":true}`)
	if err != nil || p.AnswerPrecision != 0.99 || !p.VIPToHuman || len(p.AlwaysHuman) != 1 {
		t.Fatalf("ParsePolicy = %+v, %v", p, err)
	}
	if p, err := triage.ParsePolicy(""); err != nil || p.VIPToHuman {
		t.Fatalf("empty policy = %+v, %v", p, err)
	}
	for _, bad := range []string{`{"answer_treshold":0.9}`, `{"answer_threshold":1.5}`, `{`, `[]`} {
		if _, err := triage.ParsePolicy(bad); err == nil || !strings.Contains(err.Error(), "policy") {
			t.Errorf("ParsePolicy(%s) error = %v, want a policy error", bad, err)
		}
	}
}

// BenchmarkTriage measures one whole triage (language, intent, signals,
// decision) and reports the 99th percentile of single calls as p99-µs.
func BenchmarkTriage(b *testing.B) {
	e := engine(b)
	msgs := []triage.Input{
		{Text: "My new card still hasn't arrived, when will it come?"},
		{Text: "Jag vill prata med en människa", Locale: "sv-SE"},
		{Text: "There is a payment on my card that I did not make"},
		{Text: "Why was I charged twice for the same purchase at the supermarket yesterday?"},
		{Text: "Hola, ¿cómo puedo cambiar mi PIN?", Locale: "es-ES"},
	}
	var took []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		e.Triage(msgs[i%len(msgs)], triage.Policy{})
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e3, "p99-µs")
}
