package knowledge

import (
	"strings"
	"unicode/utf8"
)

// Light suffix stemmers for the languages the help centre is written in.
// Each is a handful of rules in the spirit of the Snowball stemmers, kept
// deliberately conservative: merging two words that mean different things
// costs more than missing a merge. Words are lower-case on entry.

// Stem reduces a lower-case word to its stem in language lang ("en", "sv",
// "de", "es"; any other language gets the word back with accents folded).
// The result has diacritics folded, so "Rückerstattung" and
// "ruckerstattung" meet.
func Stem(word, lang string) string {
	var s string
	switch lang {
	case "en":
		s = stemEnglish(word)
	case "sv":
		s = stemSwedish(word)
	case "de":
		s = stemGerman(word)
	case "es":
		s = stemSpanish(fold(word))
	default:
		s = word
	}
	return fold(s)
}

// Stemmed reports whether lang has a stemmer of its own.
func Stemmed(lang string) bool {
	switch lang {
	case "en", "sv", "de", "es":
		return true
	}
	return false
}

// fold removes diacritics (é → e, ü → u, å → a) and maps ß to ss.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if f, ok := folds[r]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var folds = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d"}
	for base, variants := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćčĉċ", "e": "èéêëēĕėęě", "i": "ìíîïĩīĭįı", "n": "ñńņňŉ",
		"o": "òóôõöōŏő", "u": "ùúûüũūŭůűų", "y": "ýÿŷ", "s": "śŝşš", "z": "źżž", "g": "ğĝġģ",
		"r": "ŕŗř", "t": "ţťŧ", "d": "ď", "l": "ĺļľŀ", "k": "ķ", "h": "ĥħ", "j": "ĵ", "w": "ŵ",
	} {
		for _, r := range variants {
			m[r] = base
		}
	}
	return m
}()

func isVowel(r byte) bool { return strings.IndexByte("aeiouy", r) >= 0 }

// ---- English --------------------------------------------------------------

// stemEnglish strips inflections (plural, -ed, -ing, a final e) and a few
// derivational endings (-ation, -al, -ness, -ly, -ful), so that "arrive",
// "arrived", "arriving" and "arrival" meet, and so do "verify", "verified"
// and "verifies".
func stemEnglish(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch w { // irregular forms customers use
	case "paid":
		return "pai"
	case "lost", "stolen", "sent", "spent", "got", "took":
		return w
	case "cancelled", "cancelling", "canceled", "canceling", "cancels":
		return "cancel"
	}
	// Plurals and third person.
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "i"
	case strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "zes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	// Past and progressive.
	for _, suf := range []string{"ied", "ing", "ed"} {
		if !strings.HasSuffix(w, suf) {
			continue
		}
		base := w[:len(w)-len(suf)]
		if suf == "ied" {
			if len(base) >= 2 {
				w = base + "i"
			}
			break
		}
		if len(base) < 3 || !strings.ContainsAny(base, "aeiouy") {
			break
		}
		// "stopped" → "stop", but "called" and "passed" keep their double letter.
		if n := len(base); n >= 2 && base[n-1] == base[n-2] && !isVowel(base[n-1]) && strings.IndexByte("lsz", base[n-1]) < 0 {
			base = base[:n-1]
		}
		w = base
		break
	}
	// Derivational endings.
	for _, r := range []struct{ suf, rep string }{
		{"ification", "ifi"}, {"ational", "at"}, {"ation", "at"}, {"ness", ""}, {"fully", ""}, {"ful", ""},
		{"ally", "al"}, {"ly", ""}, {"al", ""},
	} {
		if strings.HasSuffix(w, r.suf) && len(w)-len(r.suf)+len(r.rep) >= 4 {
			w = w[:len(w)-len(r.suf)] + r.rep
			break
		}
	}
	// A final -y after a consonant, and a final -e, go.
	if n := len(w); n > 3 && w[n-1] == 'y' && !isVowel(w[n-2]) {
		w = w[:n-1] + "i"
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	// "activate" → "activat" and "activation" → "activat" meet above; so do
	// "charge" and "charges" → "charg".
	return w
}

// ---- Swedish --------------------------------------------------------------

// Swedish vowels include å, ä and ö: the Nordic and German stemmers work on runes.
const svVowels = "aeiouyåäö"

// r1Runes is the start of the region R1: after the first non-vowel that
// follows a vowel, and at least at 3.
func r1Runes(w []rune, vowels string) int {
	for i := 1; i < len(w); i++ {
		if !strings.ContainsRune(vowels, w[i]) && strings.ContainsRune(vowels, w[i-1]) {
			if i+1 < 3 {
				return 3
			}
			return i + 1
		}
	}
	return len(w)
}

func hasSuffixRunes(w []rune, suf string) bool {
	s := []rune(suf)
	if len(s) > len(w) {
		return false
	}
	for i := range s {
		if w[len(w)-len(s)+i] != s[i] {
			return false
		}
	}
	return true
}

var svSuffixes = []string{
	"heterna", "hetens", "anden", "heten", "heter", "arnas", "ernas", "ornas", "andes", "arens", "andet",
	"arna", "erna", "orna", "ande", "arne", "aste", "aren", "ades", "erns",
	"ade", "are", "ern", "ens", "het", "ast",
	"ets", "ad", "en", "ar", "er", "or", "as", "es", "at", "et",
	"a", "e", "s",
}

// stemSwedish follows the Snowball Swedish stemmer: main suffixes in R1,
// then undoubling, then -lig, -ig, -els, -löst, -fullt.
func stemSwedish(word string) string {
	w := []rune(word)
	if len(w) < 3 {
		return word
	}
	p1 := r1Runes(w, svVowels)
	for _, suf := range svSuffixes {
		n := len([]rune(suf))
		if !hasSuffixRunes(w, suf) || len(w)-n < p1 {
			continue
		}
		if suf == "s" {
			// Only after a valid s-ending.
			if len(w) < 2 || !strings.ContainsRune("bcdfghjklmnoprtvy", w[len(w)-2]) {
				break
			}
		}
		w = w[:len(w)-n]
		break
	}
	for _, d := range []string{"dd", "gd", "nn", "dt", "gt", "kt", "tt"} {
		if hasSuffixRunes(w, d) && len(w)-1 >= p1 {
			w = w[:len(w)-1]
			break
		}
	}
	switch {
	case hasSuffixRunes(w, "ning") && len(w)-4 >= 4:
		// "betalning" meets "betala"; not in Snowball, but it helps search.
		w = w[:len(w)-4]
	case hasSuffixRunes(w, "löst") && len(w)-1 >= p1:
		w = w[:len(w)-1]
	case hasSuffixRunes(w, "fullt") && len(w)-1 >= p1:
		w = w[:len(w)-1]
	case hasSuffixRunes(w, "lig") && len(w)-3 >= p1:
		w = w[:len(w)-3]
	case hasSuffixRunes(w, "els") && len(w)-3 >= p1:
		w = w[:len(w)-3]
	case hasSuffixRunes(w, "ig") && len(w)-2 >= p1:
		w = w[:len(w)-2]
	}
	return string(w)
}

// ---- German ---------------------------------------------------------------

const deVowels = "aeiouyäöü"

// stemGerman follows the Snowball German stemmer in a light form: the
// inflectional endings (-em, -ern, -er, -e, -en, -es, -s, -est, -st) in R1,
// then the derivational -ung, -heit, -keit, -lich, -isch, -ig, -end.
func stemGerman(word string) string {
	w := []rune(strings.ReplaceAll(word, "ß", "ss"))
	if len(w) < 4 {
		return string(w)
	}
	w = germanParticiple(w)
	p1 := r1Runes(w, deVowels)
	// Step 1.
	switch {
	case hasSuffixRunes(w, "ern") && len(w)-3 >= p1:
		w = w[:len(w)-3]
	case hasSuffixRunes(w, "em") && len(w)-2 >= p1, hasSuffixRunes(w, "er") && len(w)-2 >= p1:
		w = w[:len(w)-2]
	case hasSuffixRunes(w, "en") && len(w)-2 >= p1, hasSuffixRunes(w, "es") && len(w)-2 >= p1:
		w = w[:len(w)-2]
	case hasSuffixRunes(w, "e") && len(w)-1 >= p1:
		w = w[:len(w)-1]
	case hasSuffixRunes(w, "s") && len(w)-1 >= p1 && len(w) >= 2 && strings.ContainsRune("bdfghklmnrt", w[len(w)-2]):
		w = w[:len(w)-1]
	}
	// Step 2.
	switch {
	case hasSuffixRunes(w, "est") && len(w)-3 >= p1:
		w = w[:len(w)-3]
	case hasSuffixRunes(w, "en") && len(w)-2 >= p1, hasSuffixRunes(w, "er") && len(w)-2 >= p1:
		w = w[:len(w)-2]
	case hasSuffixRunes(w, "st") && len(w)-2 >= p1 && len(w) >= 6 && strings.ContainsRune("bdfghklmnt", w[len(w)-3]):
		w = w[:len(w)-2]
	}
	// Step 3: derivational endings, keeping at least 4 letters.
	for _, suf := range []string{"ungen", "ung", "heit", "keit", "lich", "isch", "end", "ig", "ik"} {
		n := len([]rune(suf))
		if hasSuffixRunes(w, suf) && len(w)-n >= 4 && len(w)-n >= p1 {
			w = w[:len(w)-n]
			break
		}
	}
	return string(w)
}

// germanParticiple strips the past participle of weak verbs: "gesperrt" →
// "sperr", "bestellt" → "bestell", "erstattet" → "erstatt", so they meet
// "sperren", "bestellen" and "Erstattung".
func germanParticiple(w []rune) []rune {
	if len(w) < 7 || w[len(w)-1] != 't' {
		return w
	}
	s := string(w)
	prefixed := false
	for _, p := range []string{"ge", "be", "er", "ver", "ent", "zer", "emp"} {
		if strings.HasPrefix(s, p) {
			prefixed = true
			break
		}
	}
	if !prefixed {
		return w
	}
	base := w[:len(w)-1]
	if hasSuffixRunes(w, "et") && len(w) >= 3 && strings.ContainsRune("td", w[len(w)-3]) {
		base = w[:len(w)-2]
	}
	if len(base) < 2 || strings.ContainsRune(deVowels, base[len(base)-1]) {
		return w
	}
	if strings.HasPrefix(s, "ge") && len(base) >= 6 {
		base = base[2:]
	}
	return base
}

// ---- Spanish --------------------------------------------------------------

// Spanish suffixes, longest first within each group; the word has its
// accents folded already.
var (
	esDerivational = []string{
		"amientos", "imientos", "amiento", "imiento", "aciones", "uciones", "adoras", "adores", "ancias",
		"logias", "encias", "amente", "idades", "adora", "acion", "ador", "antes", "ancia",
		"logia", "ucion", "encia", "mente", "anzas", "ismos", "ables", "ibles", "istas",
		"anza", "icos", "icas", "ismo", "able", "ible", "ista", "osos", "osas", "idad", "ivas", "ivos",
		"oso", "osa", "ico", "ica", "ante", "iva", "ivo",
	}
	esVerb = []string{
		"aremos", "eremos", "iremos", "arian", "erian", "irian", "ariamos", "ieramos", "iesemos", "abamos",
		"ieron", "iendo", "aron", "ando", "aban", "adas", "ados", "idas", "idos", "aran", "eran", "iran",
		"aria", "eria", "iria", "aste", "iste", "amos", "emos", "imos", "ara", "era", "ira", "are", "ere", "ire",
		"aba", "ada", "ado", "ida", "ido", "ias", "ian", "ar", "er", "ir", "an", "en", "ia", "io",
	}
	esResidual = []string{"os", "as", "es", "a", "o", "e"}
)

// stemSpanish removes one derivational or verb ending, then a residual
// vowel or plural, always keeping a stem of at least three letters.
func stemSpanish(w string) string {
	if len(w) < 4 {
		return w
	}
	strip := func(list []string) bool {
		for _, suf := range list {
			if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
				w = w[:len(w)-len(suf)]
				return true
			}
		}
		return false
	}
	if !strip(esDerivational) {
		strip(esVerb)
	}
	strip(esResidual)
	return w
}
