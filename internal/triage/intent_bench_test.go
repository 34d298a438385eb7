package triage

import (
	"bytes"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchTexts are realistic messages: banking questions of varied length and
// a few off-topic ones.
var benchTexts = []string{
	"my card hasn't arrived yet",
	"I was charged twice for the same coffee, can you refund one of them?",
	"How do I top up using apple pay?",
	"what's the weather",
	"I made a transfer to my landlord three days ago and it still shows as pending, is something wrong with my account or the recipient's bank? I need this sorted today because the rent is due",
	"why is there a fee on my cash withdrawal",
	"can i change my PIN at an ATM",
	"write me a poem",
}

// BenchmarkPredict: latency and allocations of one Predict call with the
// embedded model (cycling through benchTexts); also reports p99 latency.
func BenchmarkPredict(b *testing.B) {
	m := mustDefaultModel(b)
	for _, t := range benchTexts {
		m.Predict(t) // warm the scratch pool
	}
	lat := make([]time.Duration, 0, min(b.N, 1<<20))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		m.Predict(benchTexts[i%len(benchTexts)])
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

func BenchmarkPredictParallel(b *testing.B) {
	m := mustDefaultModel(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Predict(benchTexts[i%len(benchTexts)])
			i++
		}
	})
}

// BenchmarkLoadDefaultModel: decoding the embedded model file (what
// DefaultIntentModel does once); reports the retained heap of one model.
func BenchmarkLoadDefaultModel(b *testing.B) {
	b.ReportAllocs()
	var keep *IntentModel
	for i := 0; i < b.N; i++ {
		m, err := ReadIntentModel(bytes.NewReader(defaultModelFile))
		if err != nil {
			b.Fatal(err)
		}
		keep = m
	}
	b.StopTimer()
	var before, after runtime.MemStats
	keep = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep, _ = ReadIntentModel(bytes.NewReader(defaultModelFile))
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(defaultModelFile))/(1<<20), "file-MB")
	runtime.KeepAlive(keep)
}

// BenchmarkTrainBanking77 measures training the default model from the CSV
// (the alternative to embedding it); seconds per op.
func BenchmarkTrainBanking77(b *testing.B) {
	ex := loadBanking77(b)
	for i := 0; i < b.N; i++ {
		if _, err := TrainIntentModel(ex, TrainOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
