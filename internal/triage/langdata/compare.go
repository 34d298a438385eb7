//go:build ignore

// compare measures the language-detection candidates on the short-message
// test set: accuracy, init time, heap after init and time per message. It is
// not part of the build (lingua-go and whatlanggo are not dependencies of the
// main module); compare.sh runs it in a throw-away module with a copy of the
// triage language files. Each candidate runs in its own process so heap
// numbers do not mix.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/abadojack/whatlanggo"
	"github.com/pemistahl/lingua-go"

	"langcompare/triage"
)

type sample struct{ lang, text string }

func load(path string) []sample {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		lang, text, _ := strings.Cut(l, "\t")
		out = append(out, sample{lang, text})
	}
	return out
}

func norm(code string) string {
	switch code {
	case "nb", "nn":
		return "no"
	}
	return code
}

// candidates: name -> constructor returning a detect func.
var candidates = map[string]func() func(string) string{
	"own": func() func(string) string {
		triage.DetectLanguage("warm up the model", "")
		return func(s string) string { l, _ := triage.DetectLanguage(s, ""); return l }
	},
	"lingua-low":  func() func(string) string { return linguaDetector(true) },
	"lingua-high": func() func(string) string { return linguaDetector(false) },
	"whatlanggo": func() func(string) string {
		wl := map[whatlanggo.Lang]bool{}
		want := triage.Languages()
		for l := whatlanggo.Lang(0); l < 200; l++ {
			if slices.Contains(want, norm(l.Iso6391())) || l.Iso6393() == "pes" {
				wl[l] = true
			}
		}
		opts := whatlanggo.Options{Whitelist: wl}
		return func(s string) string {
			l := whatlanggo.DetectWithOptions(s, opts).Lang
			if l.Iso6393() == "pes" {
				return "fa" // whatlanggo has no ISO 639-1 code for Persian
			}
			return norm(l.Iso6391())
		}
	},
}

func linguaDetector(low bool) func(string) string {
	var langs []lingua.Language
	for _, l := range lingua.AllLanguages() {
		if slices.Contains(triage.Languages(), norm(strings.ToLower(l.IsoCode639_1().String()))) {
			langs = append(langs, l)
		}
	}
	b := lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).WithPreloadedLanguageModels()
	if low {
		b = b.WithLowAccuracyMode()
	}
	d := b.Build()
	return func(s string) string {
		l, ok := d.DetectLanguageOf(s)
		if !ok {
			return "??"
		}
		return norm(strings.ToLower(l.IsoCode639_1().String()))
	}
}

func heap() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func runOne(name, data string) {
	samples := load(data)
	h0 := heap()
	t0 := time.Now()
	detect := candidates[name]()
	initDur := time.Since(t0)
	h1 := heap()

	supported := map[string]bool{}
	probe := map[string]bool{}
	good, goodSup, nSup := 0, 0, 0
	perLang := map[string][2]int{}
	for _, s := range samples {
		got := detect(s.text)
		probe[got] = true
		c := perLang[s.lang]
		c[1]++
		if got == s.lang {
			good++
			c[0]++
		}
		perLang[s.lang] = c
	}
	// a language counts as supported if the candidate ever returns it
	for l := range probe {
		supported[l] = true
	}
	for l, c := range perLang {
		if supported[l] {
			nSup += c[1]
			goodSup += c[0]
		}
	}
	// latency: every sample many times, collect per-call durations
	var durs []time.Duration
	for pass := 0; pass < 20; pass++ {
		for _, s := range samples {
			t := time.Now()
			detect(s.text)
			durs = append(durs, time.Since(t))
		}
	}
	slices.Sort(durs)
	var sum time.Duration
	for _, d := range durs {
		sum += d
	}
	worst := []string{}
	langs := []string{}
	for l := range perLang {
		langs = append(langs, l)
	}
	slices.SortFunc(langs, func(a, b string) int {
		fa := float64(perLang[a][0]) / float64(perLang[a][1])
		fb := float64(perLang[b][0]) / float64(perLang[b][1])
		if fa < fb {
			return -1
		} else if fa > fb {
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, l := range langs[:5] {
		worst = append(worst, fmt.Sprintf("%s %d/%d", l, perLang[l][0], perLang[l][1]))
	}
	fmt.Printf("| %s | %.1f%% (%d/%d) | %.1f%% (%d/%d) | %d | %v | %.1f MB | %v | %v | %v | %s |\n",
		name, 100*float64(good)/float64(len(samples)), good, len(samples),
		100*float64(goodSup)/float64(max(nSup, 1)), goodSup, nSup, len(supported),
		initDur.Round(time.Millisecond), float64(int64(h1)-int64(h0))/1e6,
		(sum / time.Duration(len(durs))).Round(100*time.Nanosecond),
		durs[len(durs)/2].Round(100*time.Nanosecond), durs[len(durs)*99/100].Round(100*time.Nanosecond),
		strings.Join(worst, ", "))
}

func main() {
	data := "triage/testdata/language/short.tsv"
	if len(os.Args) > 2 {
		runOne(os.Args[1], os.Args[2])
		return
	}
	fmt.Println("| candidate | accuracy (all) | accuracy (langs it returns) | langs returned | init | heap after init | mean/msg | p50 | p99 | worst 5 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, name := range []string{"own", "whatlanggo", "lingua-low", "lingua-high"} {
		cmd := exec.Command(os.Args[0], name, data)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Println("|", name, "| failed:", err, "|")
		}
	}
}
