package triage

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Decision is what should happen to a message.
type Decision string

const (
	// Answer: the assistant may answer the detected intent.
	Answer Decision = "answer"
	// Clarify: the assistant should ask what the customer means.
	Clarify Decision = "clarify"
	// Handoff: a person must take over.
	Handoff Decision = "handoff"
)

// Reasons are machine-readable; "sensitive:<kind>" is formed from a Sensitivity.
const (
	ReasonHumanRequest   = "human_request"
	ReasonSensitive      = "sensitive"
	ReasonVIP            = "vip"
	ReasonFrustration    = "frustration"
	ReasonAnger          = "anger"
	ReasonAlwaysHuman    = "intent_requires_person"
	ReasonConfident      = "confident"
	ReasonLowConfidence  = "low_confidence"
	ReasonOutOfScope     = "out_of_scope"
	ReasonAmbiguous      = "ambiguous"
	ReasonUnsupportedLng = "unsupported_language"
)

// Policy is a workspace's rules for turning a triage into a decision. The
// zero value is usable: thresholds then come from the model's calibration.
type Policy struct {
	// AnswerPrecision is the precision the workspace wants of the answers it
	// gives; the answer threshold is the model's confidence threshold that
	// reached it in cross-validation. Default 0.98.
	AnswerPrecision float64 `json:"answer_precision,omitempty"`
	// AnswerThreshold, when set, overrides the threshold derived from
	// AnswerPrecision: the top intent's confidence must be at least this.
	AnswerThreshold float64 `json:"answer_threshold,omitempty"`
	// ClarifyThreshold: between it and the answer threshold the assistant
	// asks which of the top intents is meant. Default 0.35.
	ClarifyThreshold float64 `json:"clarify_threshold,omitempty"`
	// OutOfScopeThreshold: a top confidence below it means the message is
	// not about anything the workspace handles. Default 0.2.
	OutOfScopeThreshold float64 `json:"out_of_scope_threshold,omitempty"`
	// AlwaysHuman lists intents that always go to a person.
	AlwaysHuman []string `json:"always_human,omitempty"`
	// VIPToHuman sends VIP customers straight to a person.
	VIPToHuman bool `json:"vip_to_human,omitempty"`
	// AnswerWhenFrustrated lets the assistant answer a frustrated customer;
	// by default frustration and anger go to a person.
	AnswerWhenFrustrated bool `json:"answer_when_frustrated,omitempty"`
}

// Default policy values.
const (
	DefaultAnswerPrecision     = 0.98
	DefaultClarifyThreshold    = 0.35
	DefaultOutOfScopeThreshold = 0.2
)

// Validate reports the first field out of range.
func (p Policy) Validate() error {
	for name, v := range map[string]float64{
		"answer_precision": p.AnswerPrecision, "answer_threshold": p.AnswerThreshold,
		"clarify_threshold": p.ClarifyThreshold, "out_of_scope_threshold": p.OutOfScopeThreshold,
	} {
		if v < 0 || v > 1 {
			return fmt.Errorf("triage: policy %s = %v: must be between 0 and 1", name, v)
		}
	}
	return nil
}

func (p Policy) withDefaults() Policy {
	if p.AnswerPrecision == 0 {
		p.AnswerPrecision = DefaultAnswerPrecision
	}
	if p.ClarifyThreshold == 0 {
		p.ClarifyThreshold = DefaultClarifyThreshold
	}
	if p.OutOfScopeThreshold == 0 {
		p.OutOfScopeThreshold = DefaultOutOfScopeThreshold
	}
	return p
}

func (p Policy) alwaysHuman(intent string) bool { return slices.Contains(p.AlwaysHuman, intent) }

// ParsePolicy reads a policy from its JSON form; empty means the defaults.
// Unknown fields are errors, so a typo in a setting does not pass silently.
func ParsePolicy(raw string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(raw) == "" {
		return p, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("triage: policy: %w", err)
	}
	return p, p.Validate()
}
