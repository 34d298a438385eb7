package triage

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// ---------------------------------------------------------------------------
// Golden files (testdata/signals/*.tsv)

type sigTSVRow struct {
	line   int
	fields []string
}

// readTSV reads a tab-separated golden file; blank lines and lines starting
// with '#' are skipped. Every row must have at least minFields fields.
func sigReadTSV(t *testing.T, name string, minFields int) []sigTSVRow {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "signals", name))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	defer f.Close()
	var rows []sigTSVRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) < minFields {
			t.Fatalf("%s:%d: want %d tab-separated fields, got %d: %q", name, n, minFields, len(fields), line)
		}
		rows = append(rows, sigTSVRow{n, fields})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func sigCaseName(line int, lang, text string) string {
	if lang == "" {
		lang = "any"
	}
	if r := []rune(text); len(r) > 40 {
		text = string(r[:40])
	}
	return fmt.Sprintf("%d_%s_%s", line, lang, text)
}

func TestHumanRequestGolden(t *testing.T) {
	for _, r := range sigReadTSV(t, "human_request.tsv", 3) {
		lang, text, want := r.fields[0], r.fields[1], r.fields[2]
		if want != "true" && want != "false" {
			t.Fatalf("human_request.tsv:%d: want must be true or false, got %q", r.line, want)
		}
		t.Run(sigCaseName(r.line, lang, text), func(t *testing.T) {
			if got := HumanRequest(text, lang); fmt.Sprint(got) != want {
				t.Errorf("human_request.tsv:%d: HumanRequest(%q, %q) = %v, want %s\nrules: %s",
					r.line, text, lang, got, want, strings.Join(humanExplain(text, lang), "\n       "))
			}
		})
	}
}

func TestDetectSensitiveGolden(t *testing.T) {
	for _, r := range sigReadTSV(t, "sensitive.tsv", 3) {
		lang, text, want := r.fields[0], r.fields[1], r.fields[2]
		if want != "none" && sensitiveBit(Sensitivity(want)) == 31 {
			t.Fatalf("sensitive.tsv:%d: unknown kind %q", r.line, want)
		}
		t.Run(sigCaseName(r.line, lang, text), func(t *testing.T) {
			got := string(DetectSensitive(text, lang))
			if got == "" {
				got = "none"
			}
			if got != want {
				t.Errorf("sensitive.tsv:%d: DetectSensitive(%q, %q) = %s, want %s\nrules: %s",
					r.line, text, lang, got, want, strings.Join(sensitiveExplain(text, lang), "\n       "))
			}
		})
	}
}

func TestDetectMoodGolden(t *testing.T) {
	for _, r := range sigReadTSV(t, "mood.tsv", 6) {
		lang, text, hist, signals, frustrated, angry := r.fields[0], r.fields[1], r.fields[2], r.fields[3], r.fields[4], r.fields[5]
		var history []string
		if hist != "-" {
			history = strings.Split(hist, " || ")
		}
		t.Run(sigCaseName(r.line, lang, text), func(t *testing.T) {
			m := DetectMood(text, lang, history)
			where := fmt.Sprintf("mood.tsv:%d: DetectMood(%q, %q, %q) = %+v", r.line, text, lang, history, m)
			switch {
			case signals == "-":
				if len(m.Signals) != 0 {
					t.Errorf("%s: want no signals", where)
				}
			default:
				for _, s := range strings.Split(signals, ",") {
					s = strings.TrimSpace(s)
					if absent, ok := strings.CutPrefix(s, "!"); ok {
						if slices.Contains(m.Signals, absent) {
							t.Errorf("%s: signal %q must be absent", where, absent)
						}
					} else if !slices.Contains(m.Signals, s) {
						t.Errorf("%s: missing signal %q", where, s)
					}
				}
			}
			if frustrated != "*" && fmt.Sprint(m.Frustrated) != frustrated {
				t.Errorf("%s: Frustrated = %v, want %s", where, m.Frustrated, frustrated)
			}
			if angry != "*" && fmt.Sprint(m.Angry) != angry {
				t.Errorf("%s: Angry = %v, want %s", where, m.Angry, angry)
			}
			if m.Sentiment < -1 || m.Sentiment > 1 {
				t.Errorf("%s: sentiment out of range", where)
			}
			if (m.Frustrated || m.Angry) && m.Sentiment >= 0 {
				t.Errorf("%s: frustrated or angry with a sentiment >= 0", where)
			}
		})
	}
}

// TestSignalsGoldenCoverage checks that the golden files cover what the
// issue asks: three or more human-request phrasings in every supported
// language, the ordinary-mention negatives, every sensitive kind in the five
// main languages and routine banking messages that must stay unflagged.
func TestSignalsGoldenCoverage(t *testing.T) {
	pos := map[string]int{}
	negs := map[string]int{}
	for _, r := range sigReadTSV(t, "human_request.tsv", 3) {
		if r.fields[2] == "true" {
			pos[r.fields[0]]++
		} else {
			negs[r.fields[0]]++
		}
	}
	for _, l := range sigLangs {
		if pos[l] < 3 {
			t.Errorf("human_request.tsv: %s has %d positive examples, want at least 3", l, pos[l])
		}
	}
	for _, l := range []string{"en", "sv", "de", "fr", "es"} {
		if negs[l] < 3 {
			t.Errorf("human_request.tsv: %s has %d negative examples, want at least 3", l, negs[l])
		}
	}
	kinds := map[string]bool{}
	for _, r := range sigReadTSV(t, "sensitive.tsv", 3) {
		kinds[r.fields[0]+"/"+r.fields[2]] = true
	}
	for _, l := range []string{"en", "sv", "de", "fr", "es"} {
		for _, k := range append(slices.Clone(sensitiveRank), "none") {
			if !kinds[l+"/"+string(k)] {
				t.Errorf("sensitive.tsv: no %s example of %q", l, k)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Precision and recall (golden and held-out sets)

type sigPRCount struct{ tp, fp, fn, tn int }

func (c sigPRCount) precision() float64 { return sigRatio(c.tp, c.tp+c.fp) }
func (c sigPRCount) recall() float64    { return sigRatio(c.tp, c.tp+c.fn) }
func sigRatio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func sigHumanPR(t *testing.T, file string) (sigPRCount, []string) {
	var c sigPRCount
	var misses []string
	for _, r := range sigReadTSV(t, file, 3) {
		got, want := HumanRequest(r.fields[1], r.fields[0]), r.fields[2] == "true"
		switch {
		case got && want:
			c.tp++
		case got && !want:
			c.fp++
			misses = append(misses, "false positive: "+r.fields[0]+" "+r.fields[1])
		case !got && want:
			c.fn++
			misses = append(misses, "missed: "+r.fields[0]+" "+r.fields[1])
		default:
			c.tn++
		}
	}
	return c, misses
}

// sensitivePR counts, over all kinds, a flag of the right kind as a true
// positive, a flag on a "none" message or of the wrong kind as a false
// positive, and a missed or wrong kind as a false negative.
func sigSensitivePR(t *testing.T, file string) (sigPRCount, map[string]*sigPRCount, []string) {
	var all sigPRCount
	per := map[string]*sigPRCount{}
	for _, k := range sensitiveRank {
		per[string(k)] = &sigPRCount{}
	}
	var misses []string
	for _, r := range sigReadTSV(t, file, 3) {
		want := r.fields[2]
		got := string(DetectSensitive(r.fields[1], r.fields[0]))
		if got == "" {
			got = "none"
		}
		switch {
		case got == want && want != "none":
			all.tp++
			per[want].tp++
		case got == want:
			all.tn++
		default:
			misses = append(misses, fmt.Sprintf("%s %q: got %s, want %s", r.fields[0], r.fields[1], got, want))
			if got != "none" {
				all.fp++
				per[got].fp++
			}
			if want != "none" {
				all.fn++
				per[want].fn++
			}
		}
	}
	return all, per, misses
}

// TestSignalsPrecisionRecall reports precision and recall on the golden
// sets (which the tests above hold at 100 %) and on held-out sets written
// after the lexicons and never tuned against, and asserts floors on the
// latter.
//
//	go test ./internal/triage -run TestSignalsPrecisionRecall -v
func TestSignalsPrecisionRecall(t *testing.T) {
	for _, f := range []string{"human_request.tsv", "human_request_holdout.tsv", "human_request_blind.tsv"} {
		c, misses := sigHumanPR(t, f)
		t.Logf("HumanRequest on %s: precision %.3f recall %.3f (tp %d fp %d fn %d tn %d)", f, c.precision(), c.recall(), c.tp, c.fp, c.fn, c.tn)
		for _, m := range misses {
			t.Logf("   %s", m)
		}
		if f != "human_request.tsv" && (c.precision() < 0.9 || c.recall() < 0.85) {
			t.Errorf("HumanRequest on the held-out set: precision %.3f recall %.3f, want at least 0.90 / 0.85", c.precision(), c.recall())
		}
	}
	for _, f := range []string{"sensitive.tsv", "sensitive_holdout.tsv", "sensitive_blind.tsv"} {
		all, per, misses := sigSensitivePR(t, f)
		t.Logf("DetectSensitive on %s: precision %.3f recall %.3f (tp %d fp %d fn %d, none correctly none %d)", f, all.precision(), all.recall(), all.tp, all.fp, all.fn, all.tn)
		for _, k := range sensitiveRank {
			c := per[string(k)]
			t.Logf("   %-13s precision %.3f recall %.3f (tp %d fp %d fn %d)", k, c.precision(), c.recall(), c.tp, c.fp, c.fn)
		}
		for _, m := range misses {
			t.Logf("   %s", m)
		}
		if f != "sensitive.tsv" && (all.precision() < 0.9 || all.recall() < 0.8) {
			t.Errorf("DetectSensitive on the held-out set: precision %.3f recall %.3f, want at least 0.90 / 0.80", all.precision(), all.recall())
		}
	}
}

// ---------------------------------------------------------------------------
// False positives on routine banking messages

// sigBanking77Path is the repository's copy of the banking77 training set
// (text,category), relative to this package.
var sigBanking77Path = filepath.Join("..", "..", "data", "banking77", "train.csv")

// sigFraudIntents are banking77 intents on which a fraud flag is right.
var sigFraudIntents = map[string]bool{
	"card_payment_not_recognised": true, "direct_debit_payment_not_recognised": true, "cash_withdrawal_not_recognised": true,
	"compromised_card": true, "lost_or_stolen_card": true, "lost_or_stolen_phone": true,
}

// TestSignalsBanking77 runs HumanRequest, DetectSensitive and DetectMood over
// all 10,003 routine banking77 messages (language unknown, the hardest case)
// and reports how many are flagged, by kind and intent. Fraud on the
// intents in sigFraudIntents is right; every other flag is counted as a false
// positive, and the test holds the rates under ceilings it meets.
//
//	go test ./internal/triage -run TestSignalsBanking77 -v
func TestSignalsBanking77(t *testing.T) {
	f, err := os.Open(sigBanking77Path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent (the repository's data/banking77 copy); nothing to measure", sigBanking77Path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := csv.NewReader(f)
	header, err := rd.Read()
	if err != nil || len(header) < 2 || header[0] != "text" {
		t.Fatalf("%s: want a text,category header, got %v (%v)", sigBanking77Path, header, err)
	}
	var n, human, sensFP, frustrated, angry int
	sens := map[string]int{}
	byIntent := map[string]int{}
	var humanTexts, fpTexts []string
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text, intent := rec[0], rec[1]
		n++
		if HumanRequest(text, "") {
			human++
			byIntent["human_request "+intent]++
			humanTexts = append(humanTexts, text)
		}
		if k := DetectSensitive(text, ""); k != SensitiveNone {
			sens[string(k)]++
			byIntent[string(k)+" "+intent]++
			if !(k == SensitiveFraud && sigFraudIntents[intent]) {
				sensFP++
				fpTexts = append(fpTexts, fmt.Sprintf("[%s/%s] %s", k, intent, text))
			}
		}
		m := DetectMood(text, "", nil)
		if m.Frustrated {
			frustrated++
		}
		if m.Angry {
			angry++
		}
	}
	pct := func(k int) float64 { return 100 * float64(k) / float64(n) }
	t.Logf("banking77: %d messages", n)
	t.Logf("HumanRequest flags: %d (%.2f %%)", human, pct(human))
	for _, s := range humanTexts {
		t.Logf("   %s", s)
	}
	var kinds []string
	for k := range sens {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("DetectSensitive %s: %d (%.2f %%)", k, sens[k], pct(sens[k]))
	}
	t.Logf("DetectSensitive flags outside the fraud intents (false positives): %d (%.2f %%)", sensFP, pct(sensFP))
	for _, s := range fpTexts {
		t.Logf("   %s", s)
	}
	var keys []string
	for k := range byIntent {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return byIntent[keys[i]] > byIntent[keys[j]] || byIntent[keys[i]] == byIntent[keys[j]] && keys[i] < keys[j]
	})
	t.Logf("flags by kind and intent:")
	for _, k := range keys {
		t.Logf("   %4d  %s", byIntent[k], k)
	}
	t.Logf("DetectMood: frustrated %d (%.2f %%), angry %d (%.2f %%)", frustrated, pct(frustrated), angry, pct(angry))

	if pct(human) >= 0.5 {
		t.Errorf("HumanRequest flags %.2f %% of banking77, want < 0.5 %%", pct(human))
	}
	if pct(sensFP) >= 0.5 {
		t.Errorf("DetectSensitive flags %.2f %% of banking77 outside the fraud intents, want < 0.5 %%", pct(sensFP))
	}
	if pct(angry) >= 0.5 {
		t.Errorf("DetectMood finds %.2f %% of banking77 angry, want < 0.5 %%", pct(angry))
	}
}

// ---------------------------------------------------------------------------
// Units

func TestSigNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"I don't WANT a bot":             "i dont want a bot",
		"I do not want":                  "i dont want",
		"cannot":                         "cant",
		"Pásame con un operador":         "pasame con un operador",
		"Jag vill prata med en Människa": "jag vill prata med en manniska",
		"l'opérateur, d'un humain":       "l operateur d un humain",
		"Straße":                         "strasse",
		"请转人工":                           "请 转 人 工",
		"ΆΝΘΡΩΠΟ":                        "ανθρωπο",
		"أريد التحدث":                    "اريد التحدث",
		"passez-moi":                     "passez moi",
		"ＨＵＭＡＮ":                          "human",
	} {
		if got := sigNormalize(in); got != want {
			t.Errorf("sigNormalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSigTypoOf(t *testing.T) {
	for _, c := range []struct {
		w, k string
		want bool
	}{
		{"humna", "human", true}, {"peson", "person", true}, {"opertor", "operator", true}, {"menniska", "manniska", true},
		{"agnet", "agent", true}, {"arent", "agent", false}, {"banda", "band", false}, {"uman", "human", false},
		{"persons", "person", true}, {"prison", "person", false}, {"stuff", "staff", false},
	} {
		if got := sigTypoOf(c.w, c.k); got != c.want {
			t.Errorf("sigTypoOf(%q, %q) = %v, want %v", c.w, c.k, got, c.want)
		}
	}
}

func TestSignalsLangMask(t *testing.T) {
	if sigLangMask("") != sigAllLangs || sigLangMask("xx") != sigAllLangs {
		t.Error("unknown or empty language must try every language")
	}
	m := sigLangMask("nb-NO")
	for _, l := range []string{"no", "sv", "da", "en"} {
		if m&sigLangBit[l] == 0 {
			t.Errorf("nb-NO must try %s", l)
		}
	}
	if m&sigLangBit["zh"] != 0 {
		t.Error("nb-NO must not try zh")
	}
	if len(sigLangs) != 45 {
		t.Errorf("%d languages, want 45", len(sigLangs))
	}
}

func TestSignalsEmptyAndOdd(t *testing.T) {
	for _, s := range []string{"", "   ", "!!!", "🙂", strings.Repeat("a", 10000), strings.Repeat("human ", 2000)} {
		HumanRequest(s, "")
		DetectSensitive(s, "")
		DetectMood(s, "", []string{s, ""})
	}
	if HumanRequest("", "en") || DetectSensitive("", "en") != SensitiveNone {
		t.Error("empty text must flag nothing")
	}
	if m := DetectMood("", "en", nil); m.Sentiment != 0 || m.Frustrated || m.Angry || len(m.Signals) != 0 {
		t.Errorf("empty text: %+v", m)
	}
}

// TestSignalsConcurrent runs the detectors from many goroutines (run with
// -race) and checks they agree with a sequential run.
func TestSignalsConcurrent(t *testing.T) {
	type result struct {
		h bool
		s Sensitivity
		m string
	}
	want := make([]result, len(sigBenchMessages))
	for i, m := range sigBenchMessages {
		want[i] = result{HumanRequest(m.text, m.lang), DetectSensitive(m.text, m.lang), fmt.Sprint(DetectMood(m.text, m.lang, sigBenchHistory))}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				i := (g + k) % len(sigBenchMessages)
				m := sigBenchMessages[i]
				got := result{HumanRequest(m.text, m.lang), DetectSensitive(m.text, m.lang), fmt.Sprint(DetectMood(m.text, m.lang, sigBenchHistory))}
				if got != want[i] {
					t.Errorf("concurrent run of %q: %+v, sequential %+v", m.text, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSignalsLexiconRules checks every lexicon loads and every language has
// human-request rules.
func TestSignalsLexiconRules(t *testing.T) {
	e := humanEngine()
	have := uint64(0)
	for _, r := range e.rules {
		have |= r.lang
	}
	for _, l := range sigLangs {
		if have&sigLangBit[l] == 0 {
			t.Errorf("no human-request rules for %s", l)
		}
	}
	if len(sensitiveEngine().rules) == 0 || len(moodEngine().rules) == 0 || len(moodLexicon()) == 0 {
		t.Error("a lexicon is empty")
	}
}
