package triage

import (
	"strings"
	"sync"
)

// Sensitivity is a sensitive matter that must go to a person.
type Sensitivity string

// The sensitive matters, from DetectSensitive.
const (
	SensitiveNone          Sensitivity = ""
	SensitiveFraud         Sensitivity = "fraud"
	SensitiveBereavement   Sensitivity = "bereavement"
	SensitiveHardship      Sensitivity = "hardship"
	SensitiveVulnerability Sensitivity = "vulnerability"
	SensitiveComplaint     Sensitivity = "complaint"
	SensitiveLegal         Sensitivity = "legal"
)

// sensitiveRank orders the matters, most serious first.
var sensitiveRank = []Sensitivity{
	SensitiveVulnerability, SensitiveFraud, SensitiveBereavement, SensitiveLegal, SensitiveHardship, SensitiveComplaint,
}

// DetectSensitive returns the most serious sensitive matter in the text
// (vulnerability/self-harm > fraud > bereavement > legal > hardship >
// complaint), or SensitiveNone.
//
// It reads phrases, not single words, with negations and routine uses
// vetoed: "there's a payment I didn't make" is fraud, "how do I dispute a
// charge?" is not; "I lost my job" is hardship, "why can't I pay with my
// card" is not. English, Swedish, German, French and Spanish are covered in
// depth; self-harm, fraud and the other matters have key phrases in every
// supported language (lexicon/sensitive.txt). lang is an ISO 639-1 code or
// "" (unknown: try every language). It is safe for concurrent use.
func DetectSensitive(text, lang string) Sensitivity {
	all := detectSensitiveAll(text, lang)
	for _, k := range sensitiveRank {
		if all&(1<<sensitiveBit(k)) != 0 {
			return k
		}
	}
	return SensitiveNone
}

func sensitiveBit(k Sensitivity) uint {
	for i, r := range sensitiveRank {
		if r == k {
			return uint(i)
		}
	}
	return 31
}

// detectSensitiveAll returns a bit set (bit i: sensitiveRank[i]) of every
// matter found.
func detectSensitiveAll(text, lang string) uint32 {
	if strings.TrimSpace(text) == "" {
		return 0
	}
	e := sensitiveEngine()
	d := sigGetDoc(text)
	defer sigPutDoc(d)
	hits := e.run(d, sigLangMask(lang))
	var set uint32
	for _, h := range hits {
		if !h.rule.veto && !sigVetoed(hits, h) {
			set |= 1 << sensitiveBit(Sensitivity(h.rule.label))
		}
	}
	return set
}

// sensitiveExplain lists the rules that matched (for tests and tuning).
func sensitiveExplain(text, lang string) []string {
	e := sensitiveEngine()
	d := sigGetDoc(text)
	defer sigPutDoc(d)
	var out []string
	hits := e.run(d, sigLangMask(lang))
	for _, h := range hits {
		tag := ""
		if h.rule.veto {
			tag = "VETO "
		} else if sigVetoed(hits, h) {
			tag = "vetoed "
		}
		out = append(out, tag+sigLangs[sigBitIndex(h.rule.lang)]+":"+h.rule.label+" «"+h.rule.src+"» ["+sigSpan(d, h)+"]")
	}
	return out
}

var sensitiveEngine = sync.OnceValue(func() *sigEngine {
	e, err := sigLoadEngine("sensitive", "sensitive.txt")
	if err != nil {
		panic("triage: sensitive-matters lexicon: " + err.Error())
	}
	for _, r := range e.rules {
		if sensitiveBit(Sensitivity(r.label)) == 31 {
			panic("triage: sensitive-matters lexicon: unknown label " + r.label)
		}
	}
	return e
})
