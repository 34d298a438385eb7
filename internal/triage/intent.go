package triage

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// OutOfScope is the label of training examples that belong to none of a
// workspace's intents (off-topic requests, chit-chat). A model learns it as
// one more class, but Predict never returns it: the probability it takes is
// simply missing from the in-scope intents, so an off-topic message gets a
// low top confidence. Examples labelled OutOfScope in an evaluation set are
// used to measure how often off-topic text is rejected.
const OutOfScope = "out_of_scope"

// Example is one labelled message. Lang (an ISO 639-1 code, "" when
// unknown) does not change training; cross-validation and evaluation report
// their figures per language when it is set, and keep each language spread
// evenly over the folds.
type Example struct{ Text, Intent, Lang string }

// IntentScore is an intent with its calibrated confidence: the estimated
// probability that it is the right intent of the message.
type IntentScore struct {
	Intent     string
	Confidence float64
}

// IntentModel is a trained intent classifier: sublinear TF-IDF of word and
// character n-grams, a linear (softmax) model over the workspace's intents
// plus an out-of-scope class, and a temperature that calibrates it. It is
// immutable once built and safe for concurrent use.
type IntentModel struct {
	voc      *vocab
	intents  []string  // in-scope intents, sorted; class i < len(intents)
	nClass   int       // len(intents), +1 when the model has an out-of-scope class
	w        []float32 // feature-major: w[f*nClass+c], on an 8-bit grid per feature
	rowScale []float32 // per feature: w = rowScale·q, q in -127..127
	bias     []float32
	temp     float64 // softmax temperature (calibration)

	// calib is the held-out risk-coverage table the thresholds come from:
	// confidences in decreasing order and the precision of answering every
	// message with at least that confidence.
	calib []calibPoint
	meta  modelMeta
}

type calibPoint struct {
	Conf      float64 `json:"c"`
	Precision float64 `json:"p"`
	Coverage  float64 `json:"v"`
}

// modelMeta is what a model file says about how it was made.
type modelMeta struct {
	Features    featureConfig `json:"features"`
	Params      trainParams   `json:"params"`
	Temperature float64       `json:"temperature"`
	NTrain      int           `json:"n_train"`
	NNegatives  int           `json:"n_negatives"`
	NCalib      int           `json:"n_calib"`
	Note        string        `json:"note,omitempty"`
	CV          *EvalReport   `json:"cv,omitempty"`
	// CalibTop keeps, for each in-scope example of the calibration split,
	// the gold intent and the top intents with their calibrated
	// confidences, so that thresholds over groups of intents (the articles
	// that answer them) can be derived the same way as Threshold.
	CalibTop []calibExample `json:"calib_top,omitempty"`
}

// calibExample is one held-out calibration prediction: class indices of
// the gold intent and of the top intents, and the top confidences.
type calibExample struct {
	Gold int       `json:"g"`
	Top  []int     `json:"i"`
	Conf []float32 `json:"p"`
}

// Intents returns the in-scope intents the model knows, sorted.
func (m *IntentModel) Intents() []string { return slices.Clone(m.intents) }

// Temperature returns the softmax temperature fitted on held-out data.
func (m *IntentModel) Temperature() float64 { return m.temp }

// CrossValidation returns the cross-validation report stored with the model
// when it was generated (the embedded default model has one), if any.
func (m *IntentModel) CrossValidation() (EvalReport, bool) {
	if m.meta.CV == nil {
		return EvalReport{}, false
	}
	return *m.meta.CV, true
}

// WithCrossValidation returns a copy of m that carries r as its stored
// cross-validation report (written with the model; see CrossValidation).
func (m *IntentModel) WithCrossValidation(r EvalReport) *IntentModel {
	c := *m
	c.meta.CV = &r
	return &c
}

// Threshold returns the lowest confidence at which answers reached the given
// precision (e.g. 0.98) on the held-out calibration split the model was
// fitted with: answering only when the top confidence is >= Threshold(p)
// gives about precision p. It returns 1 when p was never reached; so a
// message whose top confidence is below it should not be answered.
func (m *IntentModel) Threshold(precision float64) float64 {
	return thresholdAt(m.calib, precision)
}

func thresholdAt(calib []calibPoint, precision float64) float64 {
	best := 1.0
	for _, p := range calib { // decreasing confidence
		if p.Precision >= precision {
			best = p.Conf
		}
	}
	return best
}

// GroupThreshold is Threshold for groups of intents: the lowest
// confidence at which answering with the group that holds the most
// probability mass (the sum of its intents' confidences) reached the
// given precision on the calibration split, an answer being right when
// its group holds the gold intent. group maps an intent to its group, ""
// for none (nothing answers it). ok is false for a model that keeps no
// calibration predictions (a file written before they were kept).
func (m *IntentModel) GroupThreshold(group func(intent string) string, precision float64) (threshold float64, ok bool) {
	if len(m.meta.CalibTop) == 0 {
		return 1, false
	}
	groups := make([]string, len(m.intents))
	for i, in := range m.intents {
		groups[i] = group(in)
	}
	preds := make([]evalPred, 0, len(m.meta.CalibTop))
	for _, e := range m.meta.CalibTop {
		best, mass := "", 0.0
		for k, c := range e.Top {
			g := groups[c]
			if g == "" || g == best {
				continue
			}
			var sum float64
			for j, c2 := range e.Top[k:] {
				if groups[c2] == g {
					sum += float64(e.Conf[k+j])
				}
			}
			if sum > mass {
				best, mass = g, sum
			}
		}
		gold := ""
		if e.Gold >= 0 && e.Gold < len(groups) {
			gold = groups[e.Gold]
		}
		if gold == "" {
			gold = "\x00" // no group answers it: never right
		}
		preds = append(preds, evalPred{gold: gold, pred: best, conf: mass})
	}
	return thresholdAt(riskCoverageTable(preds), precision), true
}

// Predict returns the most likely intents of text, best first, at most five,
// with calibrated confidences. The out-of-scope class is never returned: for
// off-topic text the confidences of all intents are low. Safe for concurrent
// use; it allocates only the returned slice. Only the first 4 KiB of text
// are read.
func (m *IntentModel) Predict(text string) []IntentScore {
	sc := scratchPool.Get().(*extractScratch)
	defer scratchPool.Put(sc)
	probs := m.probs(sc, text)
	const k = 5
	n := min(k, len(m.intents))
	out := make([]IntentScore, 0, n)
	var picked [k]int
	for len(out) < n {
		best, bp := -1, -1.0
	scan:
		for c := range m.intents {
			if probs[c] > bp {
				for _, p := range picked[:len(out)] {
					if p == c {
						continue scan
					}
				}
				best, bp = c, probs[c]
			}
		}
		picked[len(out)] = best
		out = append(out, IntentScore{Intent: m.intents[best], Confidence: bp})
	}
	return out
}

// maxIntentBytes bounds the text an intent is read from: longer messages
// are cut (at a character boundary) so that a pasted essay cannot blow the
// latency budget. Banking77's longest message has 433 bytes.
const maxIntentBytes = 4096

// logits computes the raw class scores of text into sc.scores.
func (m *IntentModel) logits(sc *extractScratch, text string) []float64 {
	if len(text) > maxIntentBytes {
		cut := maxIntentBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	vec := m.voc.vectorize(sc, text)
	C := m.nClass
	if cap(sc.scores) < C {
		sc.scores = make([]float64, C)
	}
	s := sc.scores[:C]
	for c := range s {
		s[c] = float64(m.bias[c])
	}
	acc := make32(sc, C)
	for k, f := range vec.idx {
		x := vec.val[k]
		row := m.w[int(f)*C : int(f)*C+C]
		for c, wv := range row {
			acc[c] += x * wv
		}
	}
	for c := range s {
		s[c] += float64(acc[c])
	}
	return s
}

// make32 returns a zeroed float32 buffer of length n tied to the scratch.
func make32(sc *extractScratch, n int) []float32 {
	if cap(sc.acc) < n {
		sc.acc = make([]float32, n)
	}
	a := sc.acc[:n]
	clear(a)
	return a
}

// probs returns calibrated class probabilities (including the out-of-scope
// class, last) in sc.scores.
func (m *IntentModel) probs(sc *extractScratch, text string) []float64 {
	s := m.logits(sc, text)
	softmaxT(s, m.temp)
	return s
}

func softmaxT(s []float64, temp float64) {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = max(mx, v)
	}
	var sum float64
	for i, v := range s {
		e := math.Exp((v - mx) / temp)
		s[i] = e
		sum += e
	}
	for i := range s {
		s[i] /= sum
	}
}

//go:embed models/banking77.intent.gz
var defaultModelFile []byte

var (
	defaultModelOnce sync.Once
	defaultModel     *IntentModel
	defaultModelErr  error
)

// DefaultIntentModel returns the embedded banking77 model (the demo
// workspace's default), decoded once. The model is immutable and safe for
// concurrent use. It was produced by `go run internal/triage/gen_model.go`
// from data/banking77/train.csv plus the embedded out-of-scope negatives.
func DefaultIntentModel() (*IntentModel, error) {
	defaultModelOnce.Do(func() {
		defaultModel, defaultModelErr = ReadIntentModel(bytes.NewReader(defaultModelFile))
		if defaultModelErr != nil {
			defaultModelErr = fmt.Errorf("triage: embedded intent model: %w", defaultModelErr)
		}
	})
	return defaultModel, defaultModelErr
}

// ReadExamplesCSV reads labelled examples from CSV with the header
// "text,category" (extra surrounding spaces and a UTF-8 BOM are tolerated;
// the header may also name the columns "text,intent"), optionally with a
// third column "language" that sets Example.Lang. Quoted fields may span
// lines. Errors name the line.
func ReadExamplesCSV(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("triage: examples CSV is empty (want header text,category)")
	}
	if err != nil {
		return nil, fmt.Errorf("triage: examples CSV: %w", err)
	}
	if len(head) != 2 && len(head) != 3 {
		return nil, fmt.Errorf("triage: examples CSV line 1: header has %d columns, want 2 (text,category) or 3 (text,category,language)", len(head))
	}
	h0 := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(head[0], "\ufeff")))
	h1 := strings.ToLower(strings.TrimSpace(head[1]))
	if h0 != "text" || (h1 != "category" && h1 != "intent") {
		return nil, fmt.Errorf("triage: examples CSV line 1: header is %q,%q, want text,category", head[0], head[1])
	}
	cols := len(head)
	if cols == 3 {
		if h2 := strings.ToLower(strings.TrimSpace(head[2])); h2 != "language" && h2 != "lang" {
			return nil, fmt.Errorf("triage: examples CSV line 1: third column is %q, want language", head[2])
		}
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("triage: examples CSV: %w", err) // csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != cols {
			return nil, fmt.Errorf("triage: examples CSV line %d: %d columns, want %d like the header", line, len(rec), cols)
		}
		text, intent := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		var lang string
		if cols == 3 {
			lang = strings.ToLower(strings.TrimSpace(rec[2]))
		}
		if intent == "" {
			return nil, fmt.Errorf("triage: examples CSV line %d: empty category", line)
		}
		if text == "" {
			return nil, fmt.Errorf("triage: examples CSV line %d: empty text", line)
		}
		out = append(out, Example{Text: text, Intent: intent, Lang: lang})
	}
	if len(out) == 0 {
		return nil, errors.New("triage: examples CSV has a header but no examples")
	}
	return out, nil
}
