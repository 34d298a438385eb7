package triage

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// TrainOptions controls training and cross-validation. The zero value of
// every hyper-parameter means its default (the values chosen on a fixed
// inner validation split, see gen_model.go).
type TrainOptions struct {
	// Folds is the number of cross-validation folds (CrossValidate); default 5.
	Folds int
	// Seed makes shuffling, splits and the negative sample deterministic.
	Seed int64
	// Progress, if not nil, is called as training advances (from the calling
	// goroutine or a worker; calls are serialised).
	Progress func(done, total int)

	// Features.
	WordMaxN   int     // word n-grams 1..WordMaxN; default 2
	CharMinN   int     // character n-grams CharMinN..CharMaxN; default 2
	CharMaxN   int     // default 5
	WordWeight float64 // weight of the (L2-normalised) word block; default 1
	CharWeight float64 // weight of the character block; default 1
	MinDF      int     // keep n-grams seen in at least MinDF training texts; default 2
	// FoldAccents reads "när" as "nar" and "straße" as "strasse" (see
	// featureConfig).
	FoldAccents bool
	// RepeatOtherLanguages presents each example whose Lang is set and is
	// not "en" this many times an epoch (default 1), so that a language with
	// a dozen messages an intent is not drowned by ten thousand English ones.
	RepeatOtherLanguages int

	// Model and optimiser: a linear model over the features, trained by
	// stochastic gradient descent with a decaying step, L2 regularisation
	// and tail averaging of the epochs' weights; its scores go through a
	// softmax whose temperature is fitted on held-out data.
	// Loss is "hinge" (multi-class Crammer-Singer linear SVM; the default,
	// best on the validation split) or "logistic" (softmax regression).
	Loss      string
	Epochs    int     // default 12
	L2        float64 // regularisation per example; default 3e-5 (hinge), 1e-5 (logistic)
	LearnRate float64 // initial step; default 0.1 (hinge), 0.5 (logistic)

	// Out of scope. Unless NoDefaultNegatives, the embedded negatives
	// (hand-written off-topic requests and a sample of GoEmotions Reddit
	// comments) are added with the label OutOfScope; examples labelled
	// OutOfScope in the training data are used too.
	NoDefaultNegatives bool
	MaxRedditNegatives int // how many GoEmotions comments to use; default 3000

	// CalibFraction of the in-scope examples (stratified) is held out to fit
	// the temperature and the confidence thresholds; the final model is then
	// retrained on everything. Default 0.15.
	CalibFraction float64

	// Workers bounds the goroutines used (default 2, the machine's cores).
	Workers int
}

// trainParams is the resolved set of hyper-parameters stored with a model.
type trainParams struct {
	Loss          string  `json:"loss"`
	Epochs        int     `json:"epochs"`
	L2            float64 `json:"l2"`
	LearnRate     float64 `json:"learn_rate"`
	MinDF         int     `json:"min_df"`
	CalibFraction float64 `json:"calib_fraction"`
	Seed          int64   `json:"seed"`
	// RepeatOtherLanguages as in TrainOptions (omitted when 1).
	RepeatOtherLanguages int `json:"repeat_other_languages,omitempty"`
}

func (o TrainOptions) withDefaults() TrainOptions {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.Folds, 5)
	def(&o.WordMaxN, 2)
	def(&o.CharMinN, 2)
	def(&o.CharMaxN, 5)
	deff(&o.WordWeight, 1)
	deff(&o.CharWeight, 1)
	def(&o.MinDF, 2)
	def(&o.RepeatOtherLanguages, 1)
	def(&o.Epochs, 12)
	if o.Loss == "" {
		o.Loss = "hinge"
	}
	if o.Loss == "logistic" {
		deff(&o.L2, 1e-5)
		deff(&o.LearnRate, 0.5)
	} else {
		deff(&o.L2, 3e-5)
		deff(&o.LearnRate, 0.1)
	}
	def(&o.MaxRedditNegatives, 3000)
	deff(&o.CalibFraction, 0.15)
	def(&o.Workers, 2)
	return o
}

func (o TrainOptions) featureConfig() featureConfig {
	return featureConfig{WordMaxN: o.WordMaxN, CharMinN: o.CharMinN, CharMaxN: o.CharMaxN,
		WordWeight: o.WordWeight, CharWeight: o.CharWeight, FoldAccents: o.FoldAccents}
}

func (o TrainOptions) validate() error {
	switch {
	case o.WordMaxN < 0 || o.WordMaxN > 4:
		return fmt.Errorf("triage: WordMaxN %d out of range 0..4", o.WordMaxN)
	case o.CharMaxN < 0 || o.CharMaxN > 8 || (o.CharMaxN > 0 && (o.CharMinN < 1 || o.CharMinN > o.CharMaxN)):
		return fmt.Errorf("triage: character n-gram range %d..%d invalid", o.CharMinN, o.CharMaxN)
	case o.WordMaxN == 0 && o.CharMaxN == 0:
		return errors.New("triage: no features (WordMaxN and CharMaxN are both 0)")
	case o.Epochs < 1 || o.Epochs > 1000:
		return fmt.Errorf("triage: Epochs %d out of range", o.Epochs)
	case o.L2 < 0 || o.LearnRate <= 0 || o.L2*o.LearnRate >= 1:
		return fmt.Errorf("triage: L2 %g / LearnRate %g invalid", o.L2, o.LearnRate)
	case o.Loss != "hinge" && o.Loss != "logistic":
		return fmt.Errorf("triage: Loss %q: want hinge or logistic", o.Loss)
	case o.CalibFraction < 0 || o.CalibFraction >= 0.5:
		return fmt.Errorf("triage: CalibFraction %g out of range [0,0.5)", o.CalibFraction)
	case o.Folds < 2:
		return fmt.Errorf("triage: Folds %d < 2", o.Folds)
	case o.RepeatOtherLanguages < 1 || o.RepeatOtherLanguages > 100:
		return fmt.Errorf("triage: RepeatOtherLanguages %d out of range 1..100", o.RepeatOtherLanguages)
	}
	return nil
}

// progress serialises calls to a Progress callback.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int)
	done  int
	total int
}

func (p *progress) step() {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	p.done++
	p.fn(p.done, p.total)
	p.mu.Unlock()
}

// TrainIntentModel trains an intent model on ex (labels other than
// OutOfScope are the intents). Deterministic for a given opt.Seed.
func TrainIntentModel(ex []Example, opt TrainOptions) (*IntentModel, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	in, neg, err := splitScope(ex)
	if err != nil {
		return nil, err
	}
	if !opt.NoDefaultNegatives {
		neg = append(neg, defaultNegatives(opt.MaxRedditNegatives, opt.Seed)...)
	}
	pr := &progress{fn: opt.Progress, total: 2 * opt.Epochs}
	return trainCalibrated(in, neg, opt, pr)
}

// splitScope separates in-scope examples from OutOfScope ones and checks them.
func splitScope(ex []Example) (in []Example, neg []string, err error) {
	labels := map[string]bool{}
	for i, e := range ex {
		if strings.TrimSpace(e.Intent) == "" {
			return nil, nil, fmt.Errorf("triage: example %d has no intent", i+1)
		}
		if e.Intent == OutOfScope {
			neg = append(neg, e.Text)
			continue
		}
		in = append(in, e)
		labels[e.Intent] = true
	}
	if len(labels) < 2 {
		return nil, nil, fmt.Errorf("triage: need at least 2 intents to train, have %d", len(labels))
	}
	return in, neg, nil
}

// trainCalibrated holds out a stratified calibration split, trains one model
// on the rest and one on everything (concurrently), fits the temperature and
// the risk-coverage table on the held-out split and gives both to the full
// model.
func trainCalibrated(in []Example, neg []string, opt TrainOptions, pr *progress) (*IntentModel, error) {
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed))
	var calIn, fitIn []Example
	var calNeg, fitNeg []string
	if opt.CalibFraction > 0 {
		calIdx := stratifiedHoldout(in, opt.CalibFraction, rng)
		for i, e := range in {
			if calIdx[i] {
				calIn = append(calIn, e)
			} else {
				fitIn = append(fitIn, e)
			}
		}
		negPerm := rng.Perm(len(neg))
		nc := int(math.Round(float64(len(neg)) * opt.CalibFraction))
		for k, i := range negPerm {
			if k < nc {
				calNeg = append(calNeg, neg[i])
			} else {
				fitNeg = append(fitNeg, neg[i])
			}
		}
	}
	var full, part *IntentModel
	var errFull, errPart error
	var wg sync.WaitGroup
	parallel := opt.Workers >= 2 && len(calIn) > 0
	run := func(f func()) {
		if parallel {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		} else {
			f()
		}
	}
	run(func() { full, errFull = trainRaw(in, neg, opt, opt.Seed, pr) })
	if len(calIn) > 0 {
		run(func() { part, errPart = trainRaw(fitIn, fitNeg, opt, opt.Seed+1, pr) })
	}
	wg.Wait()
	if errFull != nil {
		return nil, errFull
	}
	if errPart != nil {
		return nil, errPart
	}
	full.meta.Params = trainParams{Loss: opt.Loss, Epochs: opt.Epochs, L2: opt.L2, LearnRate: opt.LearnRate,
		MinDF: opt.MinDF, CalibFraction: opt.CalibFraction, Seed: opt.Seed}
	if opt.RepeatOtherLanguages > 1 {
		full.meta.Params.RepeatOtherLanguages = opt.RepeatOtherLanguages
	}
	full.meta.NTrain = len(in)
	full.meta.NNegatives = len(neg)
	full.temp = 1
	if part == nil {
		return full, nil
	}
	// Fit the temperature on the held-out split (in-scope and negatives).
	type heldOut struct {
		logits []float64
		gold   int // class index; out of scope = last class
	}
	var ho []heldOut
	sc := new(extractScratch)
	cls := part.classIndex()
	for _, e := range calIn {
		c, ok := cls[e.Intent]
		if !ok {
			continue // intent absent from the fit split (tiny data)
		}
		ho = append(ho, heldOut{slices.Clone(part.logits(sc, e.Text)), c})
	}
	for _, t := range calNeg {
		ho = append(ho, heldOut{slices.Clone(part.logits(sc, t)), part.nClass - 1})
	}
	nll := func(temp float64) float64 {
		var sum float64
		p := make([]float64, part.nClass)
		for _, h := range ho {
			copy(p, h.logits)
			softmaxT(p, temp)
			sum -= math.Log(max(p[h.gold], 1e-300))
		}
		return sum
	}
	temp := goldenMin(nll, math.Log(0.05), math.Log(20))
	part.temp = temp
	// Risk-coverage table of the calibrated part model on held-out in-scope.
	var preds []evalPred
	var tops []calibExample
	fullCls := full.classIndex()
	for _, e := range calIn {
		alts := part.Predict(e.Text)
		top := alts[0]
		preds = append(preds, evalPred{gold: e.Intent, pred: top.Intent, conf: top.Confidence})
		ce := calibExample{Gold: fullCls[e.Intent]}
		for _, a := range alts {
			ce.Top, ce.Conf = append(ce.Top, fullCls[a.Intent]), append(ce.Conf, float32(a.Confidence))
		}
		tops = append(tops, ce)
	}
	full.meta.CalibTop = tops
	full.temp = temp
	full.calib = riskCoverageTable(preds)
	full.meta.Temperature = temp
	full.meta.NCalib = len(calIn)
	return full, nil
}

// goldenMin minimises f(exp(x)) over x in [lo, hi] and returns exp(argmin).
func goldenMin(f func(float64) float64, lo, hi float64) float64 {
	const g = 0.6180339887498949
	a, b := lo, hi
	c, d := b-g*(b-a), a+g*(b-a)
	fc, fd := f(math.Exp(c)), f(math.Exp(d))
	for range 60 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			fc = f(math.Exp(c))
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			fd = f(math.Exp(d))
		}
	}
	return math.Exp((a + b) / 2)
}

// stratifiedHoldout marks about frac of each intent's examples, per
// language when examples have one (at least one when a stratum has three
// or more).
func stratifiedHoldout(in []Example, frac float64, rng *rand.Rand) []bool {
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
	out := make([]bool, len(in))
	for _, n := range names {
		idx := by[n]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(math.Round(float64(len(idx)) * frac))
		if k == 0 && len(idx) >= 3 {
			k = 1
		}
		for _, i := range idx[:k] {
			out[i] = true
		}
	}
	return out
}

func (m *IntentModel) classIndex() map[string]int {
	cls := make(map[string]int, len(m.intents))
	for i, n := range m.intents {
		cls[n] = i
	}
	return cls
}

// trainRaw builds the vocabulary and fits the softmax model (temperature 1,
// no calibration table). The out-of-scope class is the last one, present
// when neg is not empty.
func trainRaw(in []Example, neg []string, opt TrainOptions, seed int64, pr *progress) (*IntentModel, error) {
	var intents []string
	seen := map[string]bool{}
	for _, e := range in {
		if !seen[e.Intent] {
			seen[e.Intent] = true
			intents = append(intents, e.Intent)
		}
	}
	slices.Sort(intents)
	cls := map[string]int32{}
	for i, n := range intents {
		cls[n] = int32(i)
	}
	nClass := len(intents)
	if len(neg) > 0 {
		nClass++
	}
	docs := make([]string, 0, len(in)+len(neg))
	y := make([]int32, 0, len(in)+len(neg))
	var order []int // the examples of one epoch, repeats included
	for i, e := range in {
		docs = append(docs, e.Text)
		y = append(y, cls[e.Intent])
		order = append(order, i)
		if e.Lang != "" && e.Lang != "en" {
			for range opt.RepeatOtherLanguages - 1 {
				order = append(order, i)
			}
		}
	}
	for _, t := range neg {
		order = append(order, len(docs))
		docs = append(docs, t)
		y = append(y, int32(nClass-1))
	}
	voc := buildVocab(opt.featureConfig(), docs, opt.MinDF)
	if voc.size() == 0 {
		return nil, errors.New("triage: no features survive MinDF; too little training data")
	}
	X := vectorizeAll(voc, docs)
	w, b := trainLinearSGD(X, y, order, nClass, voc.size(), opt, seed, pr)
	m := &IntentModel{voc: voc, intents: intents, nClass: nClass, w: w, bias: b, temp: 1}
	m.meta.Features = voc.cfg
	m.quantize()
	return m, nil
}

// csr is a row-major sparse matrix.
type csr struct {
	ptr []int
	idx []int32
	val []float32
}

func vectorizeAll(voc *vocab, docs []string) csr {
	X := csr{ptr: make([]int, 1, len(docs)+1)}
	sc := new(extractScratch)
	for _, d := range docs {
		v := voc.vectorize(sc, d)
		X.idx = append(X.idx, v.idx...)
		X.val = append(X.val, v.val...)
		X.ptr = append(X.ptr, len(X.idx))
	}
	return X
}

// trainLinearSGD minimises the mean loss (cross-entropy, or the multi-class
// hinge loss max(0, 1 + max_{c≠y} s_c - s_y)) plus L2/2·|W|² by SGD with
// the step eta_t = eta0/(1+eta0·L2·t) and the weight-scale trick (so that
// regularisation costs nothing per step), averaging the weights of the last
// half of the epochs. order lists the rows of one epoch (a row listed twice
// weighs double); each epoch shuffles it. Weights are returned
// feature-major as float32.
func trainLinearSGD(X csr, y []int32, order []int, C, F int, opt TrainOptions, seed int64, pr *progress) ([]float32, []float32) {
	hinge := opt.Loss == "hinge"
	n := len(order)
	V := make([]float64, F*C)
	b := make([]float64, C)
	avgW := make([]float64, F*C)
	avgB := make([]float64, C)
	nAvg := 0
	scale := 1.0
	rng := rand.New(rand.NewPCG(uint64(seed), 0xa11ce))
	scores := make([]float64, C)
	active := make([]int, 0, C)
	grad := make([]float64, C)
	lam, eta0 := opt.L2, opt.LearnRate
	t := 0.0
	startAvg := opt.Epochs / 2
	for ep := 0; ep < opt.Epochs; ep++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			eta := eta0 / (1 + eta0*lam*t)
			t++
			lo, hi := X.ptr[i], X.ptr[i+1]
			idx, val := X.idx[lo:hi], X.val[lo:hi]
			clear(scores)
			for k, f := range idx {
				x := float64(val[k])
				row := V[int(f)*C : int(f)*C+C]
				for c, wv := range row {
					scores[c] += x * wv
				}
			}
			for c := range scores {
				scores[c] = scores[c]*scale + b[c]
			}
			active = active[:0]
			if hinge {
				// Crammer-Singer multi-class hinge: push the true class above
				// the best other class by a margin of 1.
				yi := int(y[i])
				r, best := -1, math.Inf(-1)
				for c, v := range scores {
					if c != yi && v > best {
						r, best = c, v
					}
				}
				if scores[yi]-best < 1 {
					active = append(active, yi, r)
					grad[yi], grad[r] = -1, 1
				}
			} else {
				mx := math.Inf(-1)
				for _, v := range scores {
					mx = max(mx, v)
				}
				var sum float64
				for c := range scores {
					e := math.Exp(scores[c] - mx)
					scores[c] = e
					sum += e
				}
				for c := range scores {
					g := scores[c] / sum
					if c == int(y[i]) {
						g -= 1
					}
					if g > 1e-7 || g < -1e-7 {
						active = append(active, c)
						grad[c] = g
					}
				}
			}
			scale *= 1 - eta*lam
			coef := eta / scale
			for k, f := range idx {
				x := coef * float64(val[k])
				row := V[int(f)*C : int(f)*C+C]
				for _, c := range active {
					row[c] -= x * grad[c]
				}
			}
			for _, c := range active {
				b[c] -= eta * grad[c]
			}
			if scale < 1e-6 {
				for j := range V {
					V[j] *= scale
				}
				scale = 1
			}
		}
		if ep >= startAvg {
			for j, v := range V {
				avgW[j] += v * scale
			}
			for c, v := range b {
				avgB[c] += v
			}
			nAvg++
		}
		pr.step()
	}
	w := make([]float32, F*C)
	for j, v := range avgW {
		w[j] = float32(v / float64(nAvg))
	}
	bb := make([]float32, C)
	for c, v := range avgB {
		bb[c] = float32(v / float64(nAvg))
	}
	return w, bb
}
