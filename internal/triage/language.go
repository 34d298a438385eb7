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
// Thai → th, Armenian → hy, Georgian → ka). Latin, Cyrillic and Arabic script text is scored by a
// character Markov model (trigrams backing off to bigrams and unigrams, see
// language_model.go) plus a bonus for each function word of a language (see
// language_words.go); the customer's locale adds a fixed prior, enough to
// decide a close call or a one-word message but small next to the evidence of
// a sentence.

var supportedLangs = []string{
	"af", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "da", "de", "el",
	"en", "es", "et", "eu", "fa", "fi", "fr", "ga", "gl", "he", "hi", "hr",
	"hu", "hy", "id", "is", "it", "ja", "ka", "kk", "ko", "lt", "lv", "mk",
	"mn", "ms", "mt", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sq",
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
	// langCloseTrust is how much more a close neighbour of the locale's
	// language may cost before it overrides the locale (langClusters).
	langCloseTrust = 12 * 16
	// langMinorCost is a prior against the smaller neighbour of a close
	// pair (Bosnian next to Croatian, Malay next to Indonesian, Galician
	// next to Portuguese and Spanish, Macedonian next to Bulgarian and
	// Serbian): it must show some evidence of its own to win.
	langMinorCost = 2 * 16
)

func minorClass(c string) bool { return c == "bs" || c == "ms" || c == "gl" || c == "mk" }

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
	scArmenian
	scGeorgian
	scHangul
	scKana
	scHan
	scOther
	numScripts
)

var scriptLanguage = [numScripts]string{
	scGreek: "el", scHebrew: "he", scDevanagari: "hi", scBengali: "bn",
	scThai: "th", scArmenian: "hy", scGeorgian: "ka", scHangul: "ko", scKana: "ja", scHan: "zh",
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
	case r >= 0x0530 && r <= 0x058F || r >= 0xFB13 && r <= 0xFB17:
		return scArmenian
	case r >= 0x10A0 && r <= 0x10FF || r >= 0x1C90 && r <= 0x1CBF || r >= 0x2D00 && r <= 0x2D2F:
		return scGeorgian
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
		if minorClass(m.classes[c]) {
			cost[c] += langMinorCost
		}
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
	trusted := false
	if loc != "" && loc != lang && closeLanguages(loc, lang) {
		// The customer's locale names a close neighbour of the winner
		// (a Swedish customer's Danish-looking line): a short text cannot
		// tell them apart reliably, so the locale wins unless the
		// evidence is overwhelming.
		for c := lo; c < hi; c++ {
			if m.outputs[c] == loc && cost[c]-cost[best] <= langCloseTrust {
				best, lang, trusted = c, loc, true
				break
			}
		}
	}
	var sum, same float64
	for c := lo; c < hi; c++ {
		p := math.Exp(-float64(cost[c]-cost[best]) / langSoftmaxTemp)
		sum += p
		if m.outputs[c] == lang {
			same += p
		}
	}
	conf := same / sum
	if trusted {
		conf = max(conf, 0.5) // the locale, not the text, decided
	}
	if sc == scLatin && (lang == "hr" || lang == "bs") {
		lang, conf = southSlavicLatin(text, lang, loc, conf)
	}
	return lang, conf
}

// langClusters are languages that short texts confuse: n-gram evidence
// between them is weak, so the customer's locale is trusted within a
// cluster (see langCloseTrust).
var langClusters = [][]string{
	{"da", "no", "sv"}, {"hr", "bs", "sr", "sl"}, {"cs", "sk"}, {"es", "pt", "gl", "ca"},
	{"id", "ms"}, {"ru", "uk", "be"}, {"bg", "mk", "sr"}, {"nl", "af"}, {"tr", "az"},
	{"fa", "ur", "ar"}, {"et", "fi"}, {"lt", "lv"},
}

func closeLanguages(a, b string) bool {
	for _, cl := range langClusters {
		if slices.Contains(cl, a) && slices.Contains(cl, b) {
			return true
		}
	}
	return false
}

// southSlavicLatin tells Croatian, Bosnian and Serbian written in Latin
// script apart by the words that differ: Serbian is ekavian ("mleko",
// "gde", "pre"), Croatian and Bosnian ijekavian ("mlijeko", "gdje",
// "prije"); Croatian says "tko", "što", "tjedan", "tisuća", Serbian and
// Bosnian "ko", "šta", "hiljada", Bosnian "sedmica", "lahko". The character
// model cannot (the three share it). Without decisive words the locale, if
// it is one of the three, decides, else the model's guess stands.
func southSlavicLatin(text, guess, loc string, conf float64) (string, float64) {
	_ = guess // the character model cannot tell the three apart: only words decide
	var sr, hr, bs, ijek int
	for rest := text; rest != ""; {
		var tok string
		tok, rest = nextLangToken(rest)
		for _, w := range strings.FieldsFunc(strings.ToLower(tok), func(r rune) bool { return !unicode.IsLetter(r) }) {
			switch southSlavicWords[w] {
			case 'e':
				sr += 2
			case 'j':
				ijek++
			case 'h':
				hr += 2
			case 'b':
				bs += 2
			case 's': // Serbian and Bosnian
				sr++
				bs++
			}
		}
	}
	hr += ijek
	bs += ijek
	if loc == "hr" || loc == "bs" || loc == "sr" {
		// trusted unless another reading is decisive and the locale's has
		// nothing for it
		score := map[string]int{"sr": sr, "hr": hr, "bs": bs}
		best := loc
		for _, l := range []string{"sr", "hr", "bs"} {
			if score[l] > score[best] {
				best = l
			}
		}
		if best == loc || score[loc] > 0 || score[best] < 4 {
			return loc, max(conf, 0.8)
		}
		return best, 0.8
	}
	switch {
	case sr > hr && sr > bs:
		return "sr", min(conf, 0.9)
	case bs > hr && bs > sr:
		return "bs", min(conf, 0.9)
	case hr > sr && hr >= bs:
		return "hr", min(conf, 0.9)
	case sr == bs && sr > hr: // "ko", "šta": Serbian, the more common
		return "sr", min(conf, 0.6)
	}
	return "hr", min(conf, 0.6) // nothing decisive: the most common of the three
}

// southSlavicWords marks the words that differ: 'e' ekavian (Serbian), 'j'
// ijekavian (Croatian, Bosnian), 'h' Croatian only, 'b' Bosnian only, 's'
// Serbian and Bosnian.
var southSlavicWords = func() map[string]byte {
	m := map[string]byte{}
	for kind, words := range map[byte]string{
		'e': `gde negde ovde onde svuda pre posle mleko dete deca reka lep lepo lepa hteo htela vreme
			mesto mestu mesec meseca meseci nedelja nedelju nedelje cena cene cenu uvek videti
			vidim razumem rešiti rešio rešili rešenje verovati belo beo dinar dinara dinare voz hleb
			menjati promeniti promenim izmeniti obaveštenje obavestite
			podneo zamena zameniti`,
		'j': `gdje negdje ovdje ondje prije poslije mlijeko dijete djeca rijeka lijep lijepo lijepa
			htio htjela vrijeme vremena mjesto mjestu mjesec mjeseca mjeseci cijena cijene cijenu
			uvijek vidjeti razumijem riješiti riješio riješili rješenje vjerovati bijelo mijenjati promijeniti
			promijenim izmijeniti obavještenje obavijestite zamjena zamijeniti sjedište`,
		'h': `tko što kruh tisuća tisuću tjedan tjedna tjednu bok tvrtka obitelj vlak
			zrakoplov kolodvor uopće općina kuna osobna iskaznica putovnica siječanj
			veljača ožujak travanj svibanj lipanj srpanj kolovoz rujan listopad studeni prosinac
			zahvaljujem`,
		'b': `sedmica sedmice sedmicu lahko lahka kahva kahvu sehir hljeb merhaba selam maraka km`,
		's': `ko šta sta hiljada hiljadu hiljade porodica pare avion firma firmu uopšte opština kafa`,
	} {
		for _, w := range strings.Fields(words) {
			m[w] = kind
		}
	}
	return m
}()

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
