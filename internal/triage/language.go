package triage

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language detection for short customer messages.
//
// A message is first assigned a script by counting its letters. Scripts used
// by exactly one supported language decide by themselves (Hangul → ko, kana →
// ja, Han → zh, Greek → el, Hebrew → he, Devanagari → hi, Bengali → bn,
// Thai → th). Latin, Cyrillic and Arabic script text is scored by a
// character Markov model (trigrams backing off to bigrams and unigrams, see
// language_model.go) plus a bonus for each function word of a language (see
// language_words.go); the customer's locale adds a fixed prior, enough to
// decide a close call or a one-word message but small next to the evidence of
// a sentence.

var supportedLangs = []string{
	"af", "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et",
	"fa", "fi", "fr", "ga", "he", "hi", "hr", "hu", "id", "is", "it", "ja",
	"ko", "lt", "lv", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl",
	"sr", "sv", "sw", "th", "tr", "uk", "ur", "vi", "zh",
}

// Languages returns the ISO 639-1 codes DetectLanguage can return, sorted.
func Languages() []string { return slices.Clone(supportedLangs) }

// Tunables, in 1/16 nat units like the model's costs (chosen on
// testdata/language; see langdata/README.md).
const (
	langLocaleBonus = 5 * 16   // prior for the locale's language
	langWordBonus   = 3 * 16   // per function word of a language
	langSoftmaxTemp = 1.5 * 16 // temperature for the confidence
	langLowConf     = 0.1      // confidence of a guess without linguistic evidence
	langMaxWordLen  = 40       // longer letter runs are truncated
	langMaxTextLen  = 1024     // bytes examined; a long text's start is evidence enough
	langMaxScored   = 400      // letters scored by the model (bounds the latency)
)

// DetectLanguage returns an ISO 639-1 code and a confidence in [0,1]. locale
// (e.g. "sv-SE", "pt_BR", "" when unknown) is a prior: it wins close calls
// and short or ambiguous texts but never overrides clear evidence. Empty or
// non-linguistic text ("123", "???", "ok") returns the locale's language if
// it is supported, else "en", with low confidence. nb and nn are reported as
// "no". Safe for concurrent use; the model is loaded on first call.
func DetectLanguage(text, locale string) (lang string, confidence float64) {
	if len(text) > langMaxTextLen {
		text = text[:langMaxTextLen] // a rune cut in two is not a letter
	}
	loc := localeLanguage(locale)
	fallback := loc
	if fallback == "" {
		fallback = "en"
	}

	var counts [numScripts]int
	letters := 0
	for rest := text; rest != ""; {
		var tok string
		tok, rest = nextLangToken(rest)
		for _, r := range tok {
			if s := scriptOf(r); s != scNone {
				counts[s]++
				letters++
			}
		}
	}
	if letters == 0 {
		return fallback, langLowConf
	}
	best, bestW := scNone, 0
	for s := scLatin; s < numScripts; s++ {
		w := counts[s]
		if s == scHan || s == scKana || s == scHangul {
			w *= 2 // one ideograph or syllable carries about a word's worth
		}
		if w > bestW {
			best, bestW = s, w
		}
	}
	share := float64(counts[best]) / float64(letters)
	if (best == scHan || best == scKana) && counts[scKana] > 0 {
		best, share = scKana, float64(counts[scHan]+counts[scKana])/float64(letters)
	}
	switch best {
	case scLatin:
		return detectByModel(text, langGroupLatin, scLatin, loc, fallback)
	case scCyrillic:
		return detectByModel(text, langGroupCyrillic, scCyrillic, loc, fallback)
	case scArabic:
		return detectByModel(text, langGroupArabic, scArabic, loc, fallback)
	case scOther:
		return fallback, langLowConf / 2
	case scHan:
		// Kanji-only Japanese exists (e.g. 注文確認); let the locale decide it.
		if loc == "ja" {
			return "ja", langScriptConfidence(share, counts[best]) * 0.8
		}
		return "zh", langScriptConfidence(share, counts[best])
	}
	return scriptLanguage[best], langScriptConfidence(share, counts[best])
}

func langScriptConfidence(share float64, n int) float64 {
	c := share * (0.6 + 0.1*float64(min(n, 4)))
	return math.Min(c, 0.99)
}

type langScript uint8

const (
	scNone langScript = iota
	scLatin
	scCyrillic
	scArabic
	scGreek
	scHebrew
	scDevanagari
	scBengali
	scThai
	scHangul
	scKana
	scHan
	scOther
	numScripts
)

var scriptLanguage = [numScripts]string{
	scGreek: "el", scHebrew: "he", scDevanagari: "hi", scBengali: "bn",
	scThai: "th", scHangul: "ko", scKana: "ja", scHan: "zh",
}

// scriptOf classifies a letter (or a combining mark of an Indic/Thai script,
// which carries the vowels there) by script; anything else is scNone.
func scriptOf(r rune) langScript {
	switch {
	case r < 0x80:
		if r|0x20 >= 'a' && r|0x20 <= 'z' {
			return scLatin
		}
		return scNone
	case r >= 0x0900 && r <= 0x097F:
		return scDevanagari
	case r >= 0x0980 && r <= 0x09FF:
		return scBengali
	case r >= 0x0E00 && r <= 0x0E7F:
		return scThai
	}
	if !unicode.IsLetter(r) {
		return scNone
	}
	switch {
	case r <= 0x024F || r >= 0x1E00 && r <= 0x1EFF:
		return scLatin
	case r >= 0x0370 && r <= 0x03FF || r >= 0x1F00 && r <= 0x1FFF:
		return scGreek
	case r >= 0x0400 && r <= 0x052F:
		return scCyrillic
	case r >= 0x0590 && r <= 0x05FF || r >= 0xFB1D && r <= 0xFB4F:
		return scHebrew
	case r >= 0x0600 && r <= 0x06FF || r >= 0x0750 && r <= 0x077F ||
		r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF:
		return scArabic
	case r >= 0x1100 && r <= 0x11FF || r >= 0x3130 && r <= 0x318F || r >= 0xAC00 && r <= 0xD7AF:
		return scHangul
	case r >= 0x3040 && r <= 0x30FF || r >= 0x31F0 && r <= 0x31FF || r >= 0xFF66 && r <= 0xFF9F:
		return scKana
	case r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x2FFFF:
		return scHan
	}
	return scOther
}

// detectByModel scores the words of text written in script sc with the
// n-gram classes of group g.
func detectByModel(text string, g int, sc langScript, loc, fallback string) (string, float64) {
	m := loadedModel()
	lo, hi := m.groupStart[g], m.groupStart[g+1]
	var cost [maxLangClasses]int32
	var buf [langMaxWordLen]rune
	var key [4 * langMaxWordLen]byte
	scored := 0 // letters in words that are not universal tokens
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		w := buf[:n]
		n = 0
		k := key[:0]
		for _, r := range w {
			k = utf8.AppendRune(k, r)
		}
		if isUniversalToken(string(k)) {
			return
		}
		m.scoreWord(w, lo, hi, &cost)
		scored += len(w)
		if mask, ok := m.words[string(k)]; ok {
			for c := lo; c < hi; c++ {
				if mask&(1<<c) != 0 {
					cost[c] -= langWordBonus
				}
			}
		}
	}
	for rest := text; rest != "" && scored < langMaxScored; {
		var tok string
		tok, rest = nextLangToken(rest)
		for _, r := range tok {
			if n > 0 && unicode.Is(unicode.Mn, r) {
				continue // combining accents and harakat: keep the word whole
			}
			if scriptOf(r) != sc {
				flush()
				continue
			}
			if n < langMaxWordLen {
				buf[n] = unicode.ToLower(r)
				n++
			}
		}
		flush()
	}
	if scored < 2 {
		return fallback, langLowConf
	}
	for c := lo; c < hi; c++ {
		if m.outputs[c] == loc {
			cost[c] -= langLocaleBonus
		}
	}

	best := lo
	for c := lo + 1; c < hi; c++ {
		if cost[c] < cost[best] {
			best = c
		}
	}
	lang := m.outputs[best]
	var sum, same float64
	for c := lo; c < hi; c++ {
		p := math.Exp(-float64(cost[c]-cost[best]) / langSoftmaxTemp)
		sum += p
		if m.outputs[c] == lang {
			same += p
		}
	}
	conf := same / sum
	if lang == "hr" && loc == "sr" {
		lang = "sr" // Serbian in Latin script reads as Croatian
	}
	return lang, conf
}

// nextLangToken splits off the next whitespace-separated token of s, returning
// "" for a token that is a URL, an e-mail address or a handle, which carry no
// language.
func nextLangToken(s string) (tok, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		end = len(s)
	}
	tok, rest = s[:end], s[end:]
	if strings.Contains(tok, "://") || strings.HasPrefix(tok, "www.") || strings.ContainsRune(tok, '@') {
		tok = ""
	}
	return tok, rest
}

// localeLanguage extracts a supported language from a locale such as
// "pt_BR", "sv-SE", "nb-NO" or "zh-Hant-TW"; "" if none.
func localeLanguage(locale string) string {
	if locale == "" {
		return ""
	}
	l := locale
	if i := strings.IndexAny(l, "-_.@"); i >= 0 {
		l = l[:i]
	}
	l = strings.ToLower(l)
	switch l {
	case "nb", "nn", "nob", "nno", "nor":
		return "no"
	case "iw":
		return "he"
	case "in":
		return "id"
	}
	if _, ok := slices.BinarySearch(supportedLangs, l); ok {
		return l
	}
	return ""
}
