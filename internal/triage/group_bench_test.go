package triage

import "testing"

// BenchmarkGroupAnswerThreshold: the article-mass threshold the desk
// derives for every customer message from the embedded model's
// calibration predictions.
func BenchmarkGroupAnswerThreshold(b *testing.B) {
	e, err := DefaultEngine()
	if err != nil {
		b.Fatal(err)
	}
	group := func(intent string) string { return intent[:min(4, len(intent))] }
	if _, ok := e.Model().GroupThreshold(group, 0.98); !ok {
		b.Fatal("the embedded model keeps no calibration predictions")
	}
	b.ReportAllocs()
	for b.Loop() {
		e.GroupAnswerThreshold(Policy{}, group)
	}
}
