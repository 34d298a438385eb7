package triage

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestCrossValidateSmall(t *testing.T) {
	ex := smallSubset(loadBanking77(t), 6, 30)
	var calls, last int
	r, err := CrossValidate(ex, TrainOptions{Folds: 3, Seed: 2, MaxRedditNegatives: 150, Epochs: 6,
		Progress: func(done, total int) { calls++; last = done; _ = total }})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != len(ex) || r.Folds != 3 || len(r.FoldAccuracy) != 3 {
		t.Fatalf("N %d folds %d", r.N, r.Folds)
	}
	if r.Accuracy < 0.7 || r.MacroF1 <= 0 || r.ECE < 0 || r.ECE > 1 {
		t.Fatalf("implausible report:\n%s", r)
	}
	if len(r.Curve) == 0 || r.Curve[0].Coverage != 1 || r.OutOfScopeN == 0 || r.OffTopicRequestsN == 0 {
		t.Fatalf("curve/out-of-scope missing:\n%s", r)
	}
	for _, k := range []string{"97", "98", "99"} {
		if _, ok := r.Coverage[k]; !ok {
			t.Fatalf("coverage %s missing", k)
		}
	}
	if calls == 0 || last != calls {
		t.Fatalf("progress: %d calls, last %d", calls, last)
	}
}

func TestEvaluateReport(t *testing.T) {
	m := smallModel(t)
	ex := smallSubset(loadBanking77(t), 10, 45)[400:] // mostly unseen (the model saw the first 40 of each)
	r := Evaluate(m, ex)
	if r.N != len(ex) || r.OffTopicRequestsN != len(heldOutOffTopic()) {
		t.Fatalf("N %d, off-topic %d", r.N, r.OffTopicRequestsN)
	}
	r2 := Evaluate(m, append(ex, Example{Text: "tell me a joke", Intent: OutOfScope}, Example{Text: "what's the weather", Intent: OutOfScope}))
	if r2.OutOfScopeN != 2 || r2.N != r.N {
		t.Fatalf("labelled out-of-scope examples: N %d, OutOfScopeN %d", r2.N, r2.OutOfScopeN)
	}
	s := r.String()
	for _, want := range []string{"accuracy", "macro-F1", "ECE", "coverage at 99 % precision", "risk-coverage"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

// Per-language figures: each language's own accuracy and best coverage at
// 98 % precision, and what the pooled threshold gives it.
func TestReportPerLanguage(t *testing.T) {
	preds := []evalPred{
		{"a", "a", "sv", 0.99}, {"a", "a", "sv", 0.95}, {"b", "a", "sv", 0.9}, {"b", "b", "sv", 0.5},
		{"a", "a", "de", 0.97}, {"b", "b", "de", 0.96},
		{"a", "a", "", 0.8}, // no language: only in the pooled figures
	}
	r := report(preds, nil, nil)
	if len(r.Languages) != 2 || r.Languages[0].Lang != "de" || r.Languages[1].Lang != "sv" {
		t.Fatalf("languages %+v, want de and sv", r.Languages)
	}
	de, sv := r.Languages[0], r.Languages[1]
	if de.N != 2 || de.Accuracy != 1 || de.Coverage98 != 1 {
		t.Errorf("de: %+v", de)
	}
	if sv.N != 4 || sv.Accuracy != 0.75 || sv.Coverage98 != 0.5 {
		t.Errorf("sv: %+v", sv)
	}
	// pooled: 0.99 0.97 0.96 0.95 right, 0.9 wrong → threshold98 0.95
	if r.Threshold98 != 0.95 || sv.AtThreshold98Coverage != 0.5 || sv.AtThreshold98Precision != 1 || de.AtThreshold98Coverage != 1 {
		t.Errorf("threshold %v; sv at it %v/%v, de %v", r.Threshold98, sv.AtThreshold98Coverage, sv.AtThreshold98Precision, de.AtThreshold98Coverage)
	}
	if !strings.Contains(r.String(), "per language") {
		t.Errorf("report text lacks the per-language table:\n%s", r)
	}
	if report(preds[6:], nil, nil).Languages != nil {
		t.Error("no language given, yet per-language figures")
	}
}

func TestRiskCoverageMath(t *testing.T) {
	preds := []evalPred{
		{"a", "a", "", 0.99}, {"a", "a", "", 0.95}, {"b", "a", "", 0.9}, {"b", "b", "", 0.9}, {"b", "b", "", 0.5},
	}
	r := report(preds, []float64{0.1, 0.96}, []bool{true, false})
	if r.Accuracy != 0.8 {
		t.Errorf("accuracy %v", r.Accuracy)
	}
	// answering conf >= 0.95 gives 2/2; conf >= 0.9 gives 3/4
	if r.Coverage["98"] != 0.4 || r.Threshold98 != 0.95 {
		t.Errorf("coverage98 %v threshold %v", r.Coverage["98"], r.Threshold98)
	}
	if r.OutOfScopeRejected != 0.5 || r.OffTopicRequestsRejected != 1 {
		t.Errorf("rejected %v / %v", r.OutOfScopeRejected, r.OffTopicRequestsRejected)
	}
	// ECE: bins 0.99 (1 right), 0.95 (1 right), 0.9,0.9 (1 of 2), 0.5 (1)
	want := (0.01 + 0.05 + 2*0.4 + 0.5) / 5
	if d := r.ECE - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("ECE %v, want %v", r.ECE, want)
	}
}

func slowTests() bool { return os.Getenv("TANDEM_SLOW_TESTS") == "1" }

// Accuracy guard on one fixed stratified 80/20 split of the training data
// (about 4 s; skipped with -short, and under the race detector unless
// TANDEM_SLOW_TESTS=1). Floors are a little below what the settings reach.
func TestIntentAccuracyFixedSplit(t *testing.T) {
	if testing.Short() || (raceEnabled && !slowTests()) {
		t.Skip("trains on 8,000 examples")
	}
	ex := loadBanking77(t)
	ho := stratifiedHoldout(ex, 0.2, rand.New(rand.NewPCG(2024, 1)))
	var tr, te []Example
	for i, e := range ex {
		if ho[i] {
			te = append(te, e)
		} else {
			tr = append(tr, e)
		}
	}
	m, err := TrainIntentModel(tr, TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(m, te)
	t.Logf("fixed 80/20 split:\n%s", r)
	if r.Accuracy < 0.895 || r.Coverage["98"] < 0.70 || r.OffTopicRequestsRejected < 0.97 || r.ECE > 0.04 {
		t.Errorf("below floors (accuracy 0.895, coverage98 0.70, off-topic 0.97, ECE ≤ 0.04):\n%s", r)
	}
}

// Full 5-fold cross-validation (about 15 s, more under -race): only with
// TANDEM_SLOW_TESTS=1 and without -short.
func TestIntentCrossValidationFull(t *testing.T) {
	if testing.Short() || !slowTests() {
		t.Skip("set TANDEM_SLOW_TESTS=1 to run the full cross-validation")
	}
	r, err := CrossValidate(loadBanking77(t), TrainOptions{Folds: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r)
	if r.Accuracy < 0.90 || r.Coverage["98"] < 0.72 || r.OutOfScopeRejected < 0.98 || r.ECE > 0.03 {
		t.Errorf("below floors:\n%s", r)
	}
}
