package triage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// EvalReport summarises how well an intent model does on labelled data.
// Accuracy, MacroF1, ECE and the risk-coverage figures are over in-scope
// examples; examples labelled OutOfScope only feed OutOfScopeRejected.
type EvalReport struct {
	N, Folds int
	Accuracy float64
	MacroF1  float64
	// ECE is the expected calibration error of the top confidence, 15
	// equal-width bins.
	ECE float64
	// Coverage maps "97", "98", "99" to the largest share of messages that
	// can be answered (highest confidence first) with at least that
	// precision.
	Coverage map[string]float64
	Curve    []RiskCoveragePoint
	// Threshold98 is the confidence threshold reaching 98 % precision on
	// this data (1 when it is never reached).
	Threshold98 float64
	// OutOfScopeRejected is the share of the off-topic examples whose top
	// confidence is below Threshold98 (OutOfScopeN of them: held-out
	// negatives in cross-validation, OutOfScope-labelled examples or the
	// embedded held-out off-topic requests in Evaluate).
	OutOfScopeRejected float64
	OutOfScopeN        int
	// OffTopicRequestsRejected is the same share for hand-written off-topic
	// requests only ("what's the weather", "write me a poem": none of them
	// in training), the harder and more realistic part.
	OffTopicRequestsRejected float64
	OffTopicRequestsN        int

	// Cross-validation only: the accuracy of each fold, and what answering
	// at each fold model's own stored 98 % threshold (fitted on its inner
	// calibration split, never on the reported fold) gave on the fold.
	FoldAccuracy              []float64 `json:",omitempty"`
	ModelThreshold98Coverage  float64   `json:",omitempty"`
	ModelThreshold98Precision float64   `json:",omitempty"`

	// Languages breaks the in-scope figures down by Example.Lang, sorted by
	// language; empty when no example has a language.
	Languages []LanguageFigures `json:",omitempty"`
}

// LanguageFigures are the in-scope figures of the examples of one language.
type LanguageFigures struct {
	Lang     string
	N        int
	Accuracy float64
	MacroF1  float64
	// Coverage98 is the largest share of this language's messages that can
	// be answered (highest confidence first) with at least 98 % precision.
	Coverage98 float64
	// AtThreshold98Coverage and AtThreshold98Precision are what answering
	// at the pooled Threshold98 of the whole report (one threshold for all
	// languages, as the model is used) gives on this language.
	AtThreshold98Coverage  float64
	AtThreshold98Precision float64
}

// RiskCoveragePoint: answering only messages with top confidence >=
// Threshold covers Coverage of them with Precision correct.
type RiskCoveragePoint struct{ Threshold, Coverage, Precision float64 }

// evalPred is one prediction of an in-scope example.
type evalPred struct {
	gold, pred, lang string
	conf             float64
}

// curveThresholds are the confidence thresholds listed in a report's Curve.
var curveThresholds = []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995}

// riskCoverageTable sorts predictions by decreasing confidence and returns
// one point per distinct confidence: answering everything at or above it.
func riskCoverageTable(preds []evalPred) []calibPoint {
	p := slices.Clone(preds)
	slices.SortStableFunc(p, func(a, b evalPred) int {
		switch {
		case a.conf > b.conf:
			return -1
		case a.conf < b.conf:
			return 1
		}
		return 0
	})
	var out []calibPoint
	right := 0
	for i, e := range p {
		if e.gold == e.pred {
			right++
		}
		if i+1 < len(p) && p[i+1].conf == e.conf {
			continue
		}
		out = append(out, calibPoint{Conf: e.conf, Precision: float64(right) / float64(i+1),
			Coverage: float64(i+1) / float64(len(p))})
	}
	return out
}

// coverageAt returns the largest coverage with precision >= p and the
// confidence threshold achieving it (1 and 0 when never reached).
func coverageAt(tab []calibPoint, p float64) (cov, thr float64) {
	thr = 1
	for _, t := range tab {
		if t.Precision >= p && t.Coverage > cov {
			cov, thr = t.Coverage, t.Conf
		}
	}
	return cov, thr
}

// report computes the in-scope figures of preds and the out-of-scope
// rejection of oos (top confidences of off-topic examples; req marks the
// hand-written requests among them).
func report(preds []evalPred, oos []float64, req []bool) EvalReport {
	r := EvalReport{N: len(preds), Coverage: map[string]float64{}, Threshold98: 1}
	if len(preds) > 0 {
		right := 0
		type counts struct{ tp, fp, fn int }
		per := map[string]*counts{}
		get := func(k string) *counts {
			c := per[k]
			if c == nil {
				c = &counts{}
				per[k] = c
			}
			return c
		}
		const bins = 15
		var binN [bins]int
		var binConf, binRight [bins]float64
		for _, p := range preds {
			ok := p.gold == p.pred
			if ok {
				right++
				get(p.gold).tp++
			} else {
				get(p.gold).fn++
				get(p.pred).fp++
			}
			b := min(int(p.conf*bins), bins-1)
			binN[b]++
			binConf[b] += p.conf
			if ok {
				binRight[b]++
			}
		}
		r.Accuracy = float64(right) / float64(len(preds))
		var f1 float64
		keys := make([]string, 0, len(per))
		for k := range per {
			keys = append(keys, k)
		}
		slices.Sort(keys) // a fixed order of summation: reproducible to the bit
		for _, k := range keys {
			c := per[k]
			if d := 2*c.tp + c.fp + c.fn; d > 0 {
				f1 += 2 * float64(c.tp) / float64(d)
			}
		}
		r.MacroF1 = f1 / float64(len(per))
		for b := range bins {
			if binN[b] > 0 {
				r.ECE += math.Abs(binRight[b]-binConf[b]) / float64(len(preds))
			}
		}
		tab := riskCoverageTable(preds)
		for _, p := range []float64{0.97, 0.98, 0.99} {
			cov, thr := coverageAt(tab, p)
			r.Coverage[fmt.Sprintf("%.0f", p*100)] = cov
			if p == 0.98 {
				r.Threshold98 = thr
			}
		}
		for _, th := range curveThresholds {
			n, ok := answeredAt(preds, th)
			pt := RiskCoveragePoint{Threshold: th, Coverage: float64(n) / float64(len(preds)), Precision: 1}
			if n > 0 {
				pt.Precision = float64(ok) / float64(n)
			}
			r.Curve = append(r.Curve, pt)
		}
	}
	r.OutOfScopeN = len(oos)
	rej, reqN, reqRej := 0, 0, 0
	for i, c := range oos {
		below := c < r.Threshold98
		if below {
			rej++
		}
		if req != nil && req[i] {
			reqN++
			if below {
				reqRej++
			}
		}
	}
	if len(oos) > 0 {
		r.OutOfScopeRejected = float64(rej) / float64(len(oos))
	}
	r.OffTopicRequestsN = reqN
	if reqN > 0 {
		r.OffTopicRequestsRejected = float64(reqRej) / float64(reqN)
	}
	r.Languages = languageFigures(preds, r.Threshold98)
	return r
}

// answeredAt counts the predictions with confidence >= th and the right
// ones among them.
func answeredAt(preds []evalPred, th float64) (n, ok int) {
	for _, p := range preds {
		if p.conf >= th {
			n++
			if p.gold == p.pred {
				ok++
			}
		}
	}
	return n, ok
}

// languageFigures splits preds by language (nil when none has one).
func languageFigures(preds []evalPred, thr98 float64) []LanguageFigures {
	by := map[string][]evalPred{}
	for _, p := range preds {
		if p.lang != "" {
			by[p.lang] = append(by[p.lang], p)
		}
	}
	var out []LanguageFigures
	for lang, ps := range by {
		sub := report(stripLang(ps), nil, nil)
		f := LanguageFigures{Lang: lang, N: len(ps), Accuracy: sub.Accuracy, MacroF1: sub.MacroF1,
			Coverage98: sub.Coverage["98"], AtThreshold98Precision: 1}
		n, ok := answeredAt(ps, thr98)
		f.AtThreshold98Coverage = float64(n) / float64(len(ps))
		if n > 0 {
			f.AtThreshold98Precision = float64(ok) / float64(n)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b LanguageFigures) int { return strings.Compare(a.Lang, b.Lang) })
	return out
}

// stripLang returns preds without their language, so report does not
// recurse into languageFigures.
func stripLang(preds []evalPred) []evalPred {
	out := slices.Clone(preds)
	for i := range out {
		out[i].lang = ""
	}
	return out
}

// Evaluate measures m on labelled examples. Examples labelled OutOfScope
// measure off-topic rejection; when there are none, the embedded held-out
// off-topic requests (never used in training) are used instead.
func Evaluate(m *IntentModel, ex []Example) EvalReport {
	var preds []evalPred
	var oos []float64
	var req []bool
	for _, e := range ex {
		top := m.Predict(e.Text)[0]
		if e.Intent == OutOfScope {
			oos = append(oos, top.Confidence)
			req = append(req, false)
			continue
		}
		preds = append(preds, evalPred{gold: e.Intent, pred: top.Intent, lang: e.Lang, conf: top.Confidence})
	}
	if len(oos) == 0 {
		for _, t := range heldOutOffTopic() {
			oos = append(oos, m.Predict(t)[0].Confidence)
			req = append(req, true)
		}
	}
	r := report(preds, oos, req)
	r.Folds = 1
	return r
}

// CrossValidate estimates accuracy, calibration and selective answering by
// stratified k-fold cross-validation (opt.Folds, default 5): each fold's
// model is trained exactly as TrainIntentModel does (temperature and
// thresholds fitted on an inner split of the training folds), on the other
// folds' examples and negatives, and judged on its fold, which it never saw.
// Figures are pooled over all folds' predictions.
func CrossValidate(ex []Example, opt TrainOptions) (EvalReport, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return EvalReport{}, err
	}
	in, neg, err := splitScope(ex)
	if err != nil {
		return EvalReport{}, err
	}
	negReq := make([]bool, len(neg)) // hand-written requests among negatives
	if !opt.NoDefaultNegatives {
		reqs, reddit := defaultNegativeSets(opt.MaxRedditNegatives, opt.Seed)
		neg = append(neg, reqs...)
		for range reqs {
			negReq = append(negReq, true)
		}
		neg = append(neg, reddit...)
		negReq = append(negReq, make([]bool, len(reddit))...)
	}
	K := opt.Folds
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0xf01d))
	fold := stratifiedFolds(in, K, rng)
	negFold := make([]int, len(neg))
	for k, i := range rng.Perm(len(neg)) {
		negFold[i] = k % K
	}
	heldOut := heldOutOffTopic()
	pr := &progress{fn: opt.Progress, total: K * 2 * opt.Epochs}
	var preds []evalPred
	var oos []float64
	var req []bool
	var foldAcc []float64
	storedN, storedRight := 0, 0
	for k := range K {
		var trIn, teIn []Example
		var trNeg, teNeg []string
		var teReq []bool
		for i, e := range in {
			if fold[i] == k {
				teIn = append(teIn, e)
			} else {
				trIn = append(trIn, e)
			}
		}
		for i, t := range neg {
			if negFold[i] == k {
				teNeg = append(teNeg, t)
				teReq = append(teReq, negReq[i])
			} else {
				trNeg = append(trNeg, t)
			}
		}
		fo := opt
		fo.Seed = opt.Seed + int64(k)*7919
		m, err := trainCalibrated(trIn, trNeg, fo, pr)
		if err != nil {
			return EvalReport{}, fmt.Errorf("triage: fold %d: %w", k+1, err)
		}
		thr := m.Threshold(0.98)
		right := 0
		for _, e := range teIn {
			top := m.Predict(e.Text)[0]
			preds = append(preds, evalPred{gold: e.Intent, pred: top.Intent, lang: e.Lang, conf: top.Confidence})
			if top.Intent == e.Intent {
				right++
			}
			if top.Confidence >= thr {
				storedN++
				if top.Intent == e.Intent {
					storedRight++
				}
			}
		}
		foldAcc = append(foldAcc, float64(right)/float64(max(1, len(teIn))))
		for i, t := range teNeg {
			oos = append(oos, m.Predict(t)[0].Confidence)
			req = append(req, teReq[i])
		}
		// the held-out off-topic list is never trained on: judge it once,
		// with the first fold's model
		if k == 0 {
			for _, t := range heldOut {
				oos = append(oos, m.Predict(t)[0].Confidence)
				req = append(req, true)
			}
		}
	}
	r := report(preds, oos, req)
	r.Folds = K
	r.FoldAccuracy = foldAcc
	if len(preds) > 0 {
		r.ModelThreshold98Coverage = float64(storedN) / float64(len(preds))
	}
	if storedN > 0 {
		r.ModelThreshold98Precision = float64(storedRight) / float64(storedN)
	}
	return r, nil
}

// stratifiedFolds assigns each example a fold so that every intent (of
// every language) is spread evenly over the folds.
func stratifiedFolds(in []Example, K int, rng *rand.Rand) []int {
	by := map[string][]int{}
	var names []string
	for i, e := range in {
		k := strataKey(e)
		if _, ok := by[k]; !ok {
			names = append(names, k)
		}
		by[k] = append(by[k], i)
	}
	slices.Sort(names)
	out := make([]int, len(in))
	off := 0
	for _, n := range names {
		idx := by[n]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for j, i := range idx {
			out[i] = (j + off) % K
		}
		off += len(idx)
	}
	return out
}

// String renders the report for people.
func (r EvalReport) String() string {
	var b strings.Builder
	pct := func(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }
	if r.Folds > 1 {
		fmt.Fprintf(&b, "intent model, %d-fold cross-validation over %d in-scope examples\n", r.Folds, r.N)
	} else {
		fmt.Fprintf(&b, "intent model, evaluated on %d in-scope examples\n", r.N)
	}
	fmt.Fprintf(&b, "  accuracy        %s\n", pct(r.Accuracy))
	if len(r.FoldAccuracy) > 0 {
		mean, sd := meanSD(r.FoldAccuracy)
		fmt.Fprintf(&b, "  per fold        %s ± %.2f (", pct(mean), 100*sd)
		for i, a := range r.FoldAccuracy {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.2f", 100*a)
		}
		b.WriteString(")\n")
	}
	fmt.Fprintf(&b, "  macro-F1        %s\n", pct(r.MacroF1))
	fmt.Fprintf(&b, "  ECE (15 bins)   %.4f\n", r.ECE)
	for _, k := range []string{"97", "98", "99"} {
		fmt.Fprintf(&b, "  coverage at %s %% precision: %s\n", k, pct(r.Coverage[k]))
	}
	fmt.Fprintf(&b, "  threshold for 98 %% precision: %.3f\n", r.Threshold98)
	if r.ModelThreshold98Coverage > 0 {
		fmt.Fprintf(&b, "  at each model's stored 98 %% threshold: coverage %s, precision %s\n",
			pct(r.ModelThreshold98Coverage), pct(r.ModelThreshold98Precision))
	}
	if r.OutOfScopeN > 0 {
		fmt.Fprintf(&b, "  out of scope rejected (top confidence < threshold98): %s of %d", pct(r.OutOfScopeRejected), r.OutOfScopeN)
		if r.OffTopicRequestsN > 0 {
			fmt.Fprintf(&b, "; hand-written off-topic requests: %s of %d", pct(r.OffTopicRequestsRejected), r.OffTopicRequestsN)
		}
		b.WriteString("\n")
	}
	if len(r.Languages) > 0 {
		b.WriteString("  per language (coverage98: own best at 98 % precision; at threshold: answering at the pooled threshold98):\n")
		b.WriteString("    lang      n  accuracy  macro-F1  coverage98  at threshold: coverage  precision\n")
		for _, l := range r.Languages {
			fmt.Fprintf(&b, "    %-4s %6d  %7.2f%%  %7.2f%%  %9.2f%%  %21.2f%%  %8.2f%%\n", l.Lang, l.N,
				100*l.Accuracy, 100*l.MacroF1, 100*l.Coverage98, 100*l.AtThreshold98Coverage, 100*l.AtThreshold98Precision)
		}
	}
	if len(r.Curve) > 0 {
		b.WriteString("  risk-coverage curve:\n    threshold  coverage  precision\n")
		for _, p := range r.Curve {
			fmt.Fprintf(&b, "    %9.3f  %7.2f%%  %8.2f%%\n", p.Threshold, 100*p.Coverage, 100*p.Precision)
		}
	}
	return b.String()
}

func meanSD(xs []float64) (float64, float64) {
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return m, math.Sqrt(v)
}

// strataKey is what folds and hold-outs are stratified by: the intent, and
// its language when the example has one (English-only data without
// languages splits exactly as before languages existed).
func strataKey(e Example) string {
	if e.Lang == "" {
		return e.Intent
	}
	return e.Intent + "\x00" + e.Lang
}
