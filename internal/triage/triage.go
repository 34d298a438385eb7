package triage

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// Input is one customer message to triage.
type Input struct {
	Text string `json:"text"`
	// Locale is the customer's locale ("sv-SE"), a prior for the language.
	Locale string `json:"locale,omitempty"`
	// History holds the customer's earlier messages in the conversation,
	// oldest first, to notice repetition.
	History []string `json:"-"`
	// Tier is the customer's tier ("vip" or "standard").
	Tier string `json:"-"`
}

// Result is everything triage found, and the decision.
type Result struct {
	Language           string        `json:"language"`
	LanguageConfidence float64       `json:"language_confidence"`
	Intent             string        `json:"intent"`
	Confidence         float64       `json:"confidence"`
	Alternatives       []IntentScore `json:"alternatives"`
	Sentiment          float64       `json:"sentiment"`
	Frustrated         bool          `json:"frustrated"`
	Angry              bool          `json:"angry"`
	MoodSignals        []string      `json:"mood_signals"`
	HumanRequest       bool          `json:"human_request"`
	Sensitive          *Sensitivity  `json:"sensitive"`
	OutOfScope         bool          `json:"out_of_scope"`
	Decision           Decision      `json:"decision"`
	Reasons            []string      `json:"reasons"`
	// AnswerThreshold is the confidence the decision required to answer.
	AnswerThreshold float64 `json:"answer_threshold"`
	// ClarifyThreshold is the confidence from which the assistant asks back
	// rather than hands over.
	ClarifyThreshold float64 `json:"clarify_threshold"`
}

// Engine triages messages with one intent model. It is safe for concurrent use.
type Engine struct {
	model *IntentModel
	// groupThresholds caches GroupAnswerThreshold by precision and
	// grouping: deriving one reads every calibration prediction (ms).
	groupMu         sync.Mutex
	groupThresholds map[string]float64
}

// NewEngine returns an engine over an intent model.
func NewEngine(m *IntentModel) *Engine { return &Engine{model: m} }

// DefaultEngine is an engine over the embedded demo model.
func DefaultEngine() (*Engine, error) {
	m, err := DefaultIntentModel()
	if err != nil {
		return nil, err
	}
	return NewEngine(m), nil
}

// Model is the engine's intent model.
func (e *Engine) Model() *IntentModel { return e.model }

// AnswerThreshold is the confidence the policy requires to answer.
func (e *Engine) AnswerThreshold(p Policy) float64 {
	p = p.withDefaults()
	if p.AnswerThreshold > 0 {
		return p.AnswerThreshold
	}
	return e.model.Threshold(p.AnswerPrecision)
}

// GroupAnswerThreshold is the probability mass a group of intents (the
// intents one article answers; see IntentModel.GroupThreshold) needs
// before it is answered under policy p: the policy's explicit threshold
// when it sets one, else the one that reached the policy's precision on
// the model's calibration split, else (a model that keeps no calibration
// predictions) the threshold for the top intent.
func (e *Engine) GroupAnswerThreshold(p Policy, group func(intent string) string) float64 {
	p = p.withDefaults()
	if p.AnswerThreshold > 0 {
		return p.AnswerThreshold
	}
	var key strings.Builder
	fmt.Fprintf(&key, "%g", p.AnswerPrecision)
	for _, in := range e.model.intents {
		key.WriteByte(0)
		key.WriteString(group(in))
	}
	e.groupMu.Lock()
	t, ok := e.groupThresholds[key.String()]
	e.groupMu.Unlock()
	if ok {
		return t
	}
	t, ok = e.model.GroupThreshold(group, p.AnswerPrecision)
	if !ok {
		t = e.model.Threshold(p.AnswerPrecision)
	}
	e.groupMu.Lock()
	if e.groupThresholds == nil || len(e.groupThresholds) >= maxGroupThresholds {
		e.groupThresholds = map[string]float64{} // a bound, not an eviction policy: help centres change rarely
	}
	e.groupThresholds[key.String()] = t
	e.groupMu.Unlock()
	return t
}

// maxGroupThresholds bounds the cache of group thresholds (one per help
// centre and precision target in use).
const maxGroupThresholds = 256

// Triage reads one message and decides under policy p. The checks run in
// order of what matters most: a person asked for, a sensitive matter, a VIP,
// an upset customer — each sends the message to a person whatever the
// intent model thinks — and only then the model's confidence.
func (e *Engine) Triage(in Input, p Policy) Result {
	p = p.withDefaults()
	var r Result
	r.Language, r.LanguageConfidence = DetectLanguage(in.Text, in.Locale)
	r.Alternatives = e.model.Predict(in.Text)
	if len(r.Alternatives) > 0 {
		r.Intent, r.Confidence = r.Alternatives[0].Intent, r.Alternatives[0].Confidence
	}
	if r.Alternatives == nil {
		r.Alternatives = []IntentScore{}
	}
	mood := DetectMood(in.Text, r.Language, in.History)
	r.Sentiment, r.Frustrated, r.Angry = round3(mood.Sentiment), mood.Frustrated, mood.Angry
	r.MoodSignals = mood.Signals
	if r.MoodSignals == nil {
		r.MoodSignals = []string{}
	}
	r.HumanRequest = HumanRequest(in.Text, r.Language)
	if s := DetectSensitive(in.Text, r.Language); s != SensitiveNone {
		r.Sensitive = &s
	}
	r.AnswerThreshold, r.ClarifyThreshold = e.AnswerThreshold(p), p.ClarifyThreshold
	r.OutOfScope = r.Confidence < p.OutOfScopeThreshold

	handoff := func(reason string) { r.Decision = Handoff; r.Reasons = append(r.Reasons, reason) }
	if r.HumanRequest {
		handoff(ReasonHumanRequest)
	}
	if r.Sensitive != nil {
		handoff(ReasonSensitive + ":" + string(*r.Sensitive))
	}
	if p.VIPToHuman && strings.EqualFold(in.Tier, "vip") {
		handoff(ReasonVIP)
	}
	if !p.AnswerWhenFrustrated {
		if r.Angry {
			handoff(ReasonAnger)
		} else if r.Frustrated {
			handoff(ReasonFrustration)
		}
	}
	if r.Decision == "" && r.Confidence >= r.AnswerThreshold && p.alwaysHuman(r.Intent) {
		handoff(ReasonAlwaysHuman)
	}
	if r.Decision != "" {
		return r
	}
	switch {
	case r.Confidence >= r.AnswerThreshold:
		r.Decision, r.Reasons = Answer, []string{ReasonConfident}
	case r.OutOfScope:
		r.Decision, r.Reasons = Clarify, []string{ReasonOutOfScope}
	case r.Confidence >= p.ClarifyThreshold:
		r.Decision, r.Reasons = Clarify, []string{ReasonAmbiguous}
	default:
		r.Decision, r.Reasons = Handoff, []string{ReasonLowConfidence}
	}
	return r
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
