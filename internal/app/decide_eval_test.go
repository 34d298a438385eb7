package app_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// TestDecideByArticle measures the assistant's first-turn decision on
// English banking questions it never saw: banking77 split into 5
// stratified folds, a model trained (exactly as `tandem train` does, its
// answer threshold fitted on an inner split) on four of them, the fifth
// put to the assistant with the demo help centre, the default policy
// (98 % precision) and nothing else known. It reports the share answered
// on the first turn, the share of those answers that cite an article
// covering the question's intent, and the share of off-topic requests
// (testdata/offtopic_requests.txt, written for this test) answered; and it
// re-derives, from the pooled folds, the article-mass threshold that
// reaches 98 %. About a minute on 2 cores:
//
//	TANDEM_SLOW_TESTS=1 go test ./internal/app -run TestDecideByArticle -v
func TestDecideByArticle(t *testing.T) {
	if testing.Short() || os.Getenv("TANDEM_SLOW_TESTS") != "1" {
		t.Skip("set TANDEM_SLOW_TESTS=1: trains five models on banking77")
	}
	f, err := os.Open("../../data/banking77/train.csv")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := triage.ReadExamplesCSV(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	arts := demoHelpCentre()
	idx := knowledge.NewIndex(arts)
	offTopic := readLines(t, "testdata/offtopic_requests.txt")

	const K = 5
	fold := make([]int, len(ex))
	seen := map[string]int{}
	for i, e := range ex { // stratified: each intent's examples dealt round the folds
		fold[i] = seen[e.Intent] % K
		seen[e.Intent]++
	}
	type pred struct {
		mass    float64 // the top article's mass
		covers  bool    // the top article covers the gold intent
		answer  bool    // the assistant answered on the first turn
		correct bool    // and the answer's article covers the gold intent
	}
	var preds []pred
	otAnswered, otN := 0, 0
	bySearch, bySearchRight := 0, 0
	for k := range K {
		var train []triage.Example
		var test []triage.Example
		for i, e := range ex {
			if fold[i] == k {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		m, err := triage.TrainIntentModel(train, triage.TrainOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		eng := triage.NewEngine(m)
		if _, ok := m.GroupThreshold(assistant.ArticleGroup(arts), triage.DefaultAnswerPrecision); !ok {
			t.Fatal("a freshly trained model keeps no calibration predictions")
		}
		// The threshold exactly as the desk derives it for a workspace.
		thr := eng.GroupAnswerThreshold(triage.Policy{}, assistant.ArticleGroup(arts))
		t.Logf("fold %d: answer threshold %.3f for the top intent, %.3f for the article mass", k+1, eng.AnswerThreshold(triage.Policy{}), thr)
		first := func(text string) (assistant.Decision, triage.Result) {
			tr := eng.Triage(triage.Input{Text: text}, triage.Policy{})
			d := assistant.Respond(assistant.Turn{Message: text, Triage: tr, Articles: arts, Index: idx, AnswerThreshold: thr,
				History: []*model.Message{{AuthorKind: model.AuthorCustomer, Body: text}}, Customer: &model.Customer{}})
			return d, tr
		}
		for _, e := range test {
			d, tr := first(e.Text)
			p := pred{answer: d.Action == assistant.Answer && d.Article != nil}
			p.correct = p.answer && slices.Contains(d.Article.Intents, e.Intent)
			if p.answer && slices.Contains(d.Reasons, assistant.ReasonSearchMatch) {
				bySearch++
				if p.correct {
					bySearchRight++
				}
			}
			if ranked := assistant.RankArticles(arts, tr.Alternatives, []string{"en"}); len(ranked) > 0 {
				p.mass, p.covers = ranked[0].Mass, slices.Contains(ranked[0].Article.Intents, e.Intent)
			}
			preds = append(preds, p)
		}
		for _, text := range offTopic {
			if d, _ := first(text); d.Action == assistant.Answer {
				otAnswered++
				t.Logf("off-topic answered: %q → %q", text, d.Article.Title)
			}
			otN++
		}
	}
	answered, right := 0, 0
	for _, p := range preds {
		if p.answer {
			answered++
			if p.correct {
				right++
			}
		}
	}
	cov, prec, ot := float64(answered)/float64(len(preds)), float64(right)/float64(max(1, answered)), float64(otAnswered)/float64(otN)
	// The threshold the article mass itself needs for 98 %, pooled over the folds.
	sort.Slice(preds, func(i, j int) bool { return preds[i].mass > preds[j].mass })
	thr, thrCov, ok := 1.0, 0.0, 0
	for i, p := range preds {
		if p.covers {
			ok++
		}
		if float64(ok)/float64(i+1) >= 0.98 && (i+1 == len(preds) || preds[i+1].mass < p.mass) {
			thr, thrCov = p.mass, float64(i+1)/float64(len(preds))
		}
	}
	t.Logf("English banking questions held out in %d folds (n=%d): answered on the first turn %.2f %%, answers citing an article that covers the question %.2f %%",
		K, len(preds), 100*cov, 100*prec)
	t.Logf("of the answers, %d from a full-text match (%d right)", bySearch, bySearchRight)
	t.Logf("off-topic requests answered: %d of %d (%.2f %%)", otAnswered, otN, 100*ot)
	t.Logf("article-mass threshold re-derived at 98 %% on the pooled folds: %.3f, answering %.1f %%", thr, 100*thrCov)
	// Floors a little below what the settings reach (the targets:
	// ≥ 0.80 answered, ≥ 0.98 right, ≤ 0.01 off-topic answered).
	if cov < 0.80 || prec < 0.975 || ot > 0.015 {
		t.Errorf("below the floors: answered %.4f (≥ 0.80), right %.4f (≥ 0.975), off-topic answered %.4f (≤ 0.015)", cov, prec, ot)
	}
}

// demoHelpCentre is the demo workspace's articles, published, with ids.
func demoHelpCentre() []*model.Article {
	var arts []*model.Article
	for i, a := range app.DemoArticles() {
		a.ID, a.Published = int64(i+1), true
		arts = append(arts, &a)
	}
	return arts
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", path, err))
	}
	return out
}
