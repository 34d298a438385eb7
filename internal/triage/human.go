package triage

import (
	"strings"
	"sync"
)

// HumanRequest reports whether the text asks to be served by a person. lang
// is an ISO 639-1 code or "" (unknown: try every language).
//
// It reads requests in the 45 languages of lexicon/human.txt — "I want to
// talk to a human", "Jag vill prata med en människa", "请转人工",
// "担当者と話したいです", "pásame con un operador", "human please", "I don't
// want a bot" — with typos in the key words of Latin, Greek and Cyrillic
// scripts ("humna", "opertor", "menniska"), any casing and dropped
// diacritics, and it is not fooled by ordinary mentions of people ("send
// money to another person", "my travel agent charged me", "can a person
// under 18 open an account"). When lang is given, the language's close
// relatives and English are tried too.
//
// It is safe for concurrent use.
func HumanRequest(text, lang string) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	e := humanEngine()
	d := sigGetDoc(text)
	defer sigPutDoc(d)
	hits := e.run(d, sigLangMask(lang))
	for _, h := range hits {
		if !h.rule.veto && !sigVetoed(hits, h) {
			return true
		}
	}
	return false
}

// humanExplain lists the rules that matched (for tests and tuning).
func humanExplain(text, lang string) []string {
	e := humanEngine()
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

func sigBitIndex(m uint64) int {
	for i := range sigLangs {
		if m&(1<<uint(i)) != 0 {
			return i
		}
	}
	return 0
}

func sigSpan(d *sigDoc, h sigHit) string {
	var b strings.Builder
	for i := h.start; i < h.end; i++ {
		if i > h.start {
			b.WriteByte(' ')
		}
		b.WriteString(d.tok(int(i)))
	}
	return b.String()
}

var humanEngine = sync.OnceValue(func() *sigEngine {
	e, err := sigLoadEngine("human", "human.txt")
	if err != nil {
		panic("triage: human-request lexicon: " + err.Error())
	}
	return e
})
