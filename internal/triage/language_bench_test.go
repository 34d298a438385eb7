package triage

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func langBenchTexts(b *testing.B) []string {
	samples := readLangTSV(b, "short.tsv", false)
	texts := make([]string, len(samples))
	for i, s := range samples {
		texts[i] = s.text
	}
	return texts
}

// BenchmarkDetectLanguage cycles through the short-message test set (45
// languages, 3-20 words); ns/op is the mean per message.
func BenchmarkDetectLanguage(b *testing.B) {
	texts := langBenchTexts(b)
	DetectLanguage("warm up", "")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		DetectLanguage(texts[i%len(texts)], "en-US")
	}
}

// BenchmarkDetectLanguageLong is the worst case: a 1 MB text, of which only
// the first langMaxTextLen bytes and langMaxScored letters are examined.
func BenchmarkDetectLanguageLong(b *testing.B) {
	long := strings.Repeat("Hello, my card has not arrived yet and I am still waiting. ", 20000)
	DetectLanguage("warm up", "")
	for b.Loop() {
		DetectLanguage(long, "")
	}
}

// BenchmarkDetectLanguageLatency times each call and reports the p50/p99
// latency per message (timer overhead included).
func BenchmarkDetectLanguageLatency(b *testing.B) {
	texts := langBenchTexts(b)
	DetectLanguage("warm up", "")
	durs := make([]time.Duration, 0, 1<<16)
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		DetectLanguage(texts[i%len(texts)], "")
		if len(durs) < cap(durs) {
			durs = append(durs, time.Since(t0))
		}
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkLanguageInit measures building the model from the embedded
// tables (what the first DetectLanguage call pays, once per process), and
// reports the heap the model keeps (runtime.MemStats delta after GC).
func BenchmarkLanguageInit(b *testing.B) {
	var keep *ngramModel
	for b.Loop() {
		keep = newLanguageModel()
	}
	b.StopTimer()
	var before, after runtime.MemStats
	keep = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	keep = newLanguageModel()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(len(ngramData))/(1<<20), "embedded-MB")
}
