package triage

// Signals: the shared text machinery behind HumanRequest, DetectSensitive and
// DetectMood.
//
// A message is normalised once (lower case, diacritics folded, Arabic and
// Hebrew marks dropped, a few letter variants unified) and cut into tokens:
// words for scripts written with spaces, single characters for Chinese,
// Japanese, Korean and Thai. Tokens remember their sentence and clause so
// that a rule never joins words across a full stop ("… another person. Talk
// soon") or a comma where that matters ("No, I want a human").
//
// Rules are small token patterns read from the embedded lexicon files
// (lexicon/*.txt): sequences of words, stems ("operat*"), word classes
// ("$p") and bounded gaps ("..5"), per language. A lexicon may allow typos:
// then a word of five letters or more in a Latin, Greek or Cyrillic script
// also matches at edit distance one (same first letter), so "humna",
// "peson", "opertor" and "menniska" are read as the words they meant.
// Veto rules ("label!: …") cancel a match of the same label that they
// overlap: "travel agent" is not an agent, "I don't want to talk to a
// person" is not a request for one.

import (
	"embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed lexicon/*.txt lexicon/*.tsv
var sigLexiconFS embed.FS

// sigLangs are the languages the signal lexicons cover, ISO 639-1.
var sigLangs = []string{
	"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt",
	"lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "no", "tr", "ar", "zh", "ja", "ko",
	"ru", "uk", "hi", "ca", "is", "sr", "he", "fa", "id", "vi", "th", "bn", "ur", "af", "sw",
}

var sigLangBit = func() map[string]uint64 {
	m := make(map[string]uint64, len(sigLangs))
	for i, l := range sigLangs {
		m[l] = 1 << uint(i)
	}
	return m
}()

const sigAllLangs = ^uint64(0)

// sigFamilies: when a language is given, its close relatives are tried too
// (a short Norwegian message is easily taken for Danish or Swedish).
var sigFamilies = [][]string{
	{"sv", "no", "da"}, {"cs", "sk"}, {"hr", "sr", "sl"}, {"ru", "uk", "bg"},
	{"es", "ca", "pt"}, {"hi", "ur"}, {"nl", "af"}, {"zh", "ja"}, {"ar", "fa", "ur"},
}

var sigLangAlias = map[string]string{"nb": "no", "nn": "no", "iw": "he", "in": "id", "ms": "id", "zh": "zh", "jp": "ja", "gr": "el", "bs": "hr", "me": "sr"}

// sigLangMask is the set of lexicon languages tried for lang: the language,
// its family and English (customers everywhere write "agent please"); every
// language when lang is empty or unknown.
func sigLangMask(lang string) uint64 {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	if a, ok := sigLangAlias[lang]; ok {
		lang = a
	}
	bit, ok := sigLangBit[lang]
	if !ok {
		return sigAllLangs
	}
	mask := bit | sigLangBit["en"]
	for _, fam := range sigFamilies {
		for _, l := range fam {
			if l == lang {
				for _, o := range fam {
					mask |= sigLangBit[o]
				}
			}
		}
	}
	return mask
}

// ---------------------------------------------------------------------------
// Normalisation and tokens

type sigTok struct {
	start, end int32 // byte offsets in sigDoc.str
	sent       int32 // sentence index
	clause     int32 // clause index (sentences are split at , : ( ) …)
}

type sigDoc struct {
	buf    []byte
	str    string
	toks   []sigTok
	sensAt []int32 // sensAt[i]..sensAt[i+1] are token i's senses in sens
	sens   []int32
	hits   []sigHit
	seen   []int32 // scratch for fuzzy look-ups
}

func (d *sigDoc) tok(i int) string { t := d.toks[i]; return d.str[t.start:t.end] }
func (d *sigDoc) n() int           { return len(d.toks) }

var sigDocPool = sync.Pool{New: func() any {
	return &sigDoc{buf: make([]byte, 0, 256), toks: make([]sigTok, 0, 48), sensAt: make([]int32, 0, 49), sens: make([]int32, 0, 64)}
}}

func sigGetDoc(text string) *sigDoc {
	d := sigDocPool.Get().(*sigDoc)
	d.tokenize(text)
	return d
}

func sigPutDoc(d *sigDoc) {
	if cap(d.buf) > 1<<16 || cap(d.toks) > 1<<12 {
		return
	}
	d.str = ""
	sigDocPool.Put(d)
}

var sigDevaNukta = []rune("कखगजडढफय")

var sigFoldDense = func() []rune {
	t := make([]rune, 0x2000)
	to := []rune(sigFoldTo)
	for i, r := range []rune(sigFoldFrom) {
		t[r] = to[i]
	}
	return t
}()

// sigElisions are word beginnings that an apostrophe cuts off as words of
// their own (French, Italian, Catalan: l'agent, d'un, qu'un, all'operatore);
// after any other word the apostrophe is dropped (don't → dont).
var sigElisions = map[string]bool{
	"l": true, "d": true, "j": true, "qu": true, "n": true, "s": true, "c": true, "m": true, "t": true,
	"all": true, "dell": true, "dall": true, "nell": true, "sull": true, "un": true, "quest": true, "po": true,
}

// sigCharScript reports runes written without spaces between words, which
// become one token each.
func sigCharScript(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0xF900 && r <= 0xFAFF:
		return true // Han
	case r >= 0x3040 && r <= 0x30FF && r != 0x30FB, r >= 0x31F0 && r <= 0x31FF:
		return true // kana (not the middle dot)
	case r >= 0xAC00 && r <= 0xD7AF, r >= 0x1100 && r <= 0x11FF, r >= 0x3130 && r <= 0x318F:
		return true // Hangul
	case r >= 0x0E00 && r <= 0x0EFF, r >= 0x1780 && r <= 0x17FF, r >= 0x1000 && r <= 0x109F:
		return true // Thai, Lao, Khmer, Myanmar
	}
	return false
}

// sigFoldRune lower-cases and folds one rune. It returns -1 to drop the
// rune, and for the few letters that fold to two letters it returns the
// first one in r and the second in r2.
func sigFoldRune(r rune) (rune, rune) {
	switch {
	case r < 0x80:
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r, 0
	case r == 'İ':
		return 'i', 0
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return sigFoldRune(r - 0xFEE0)
	case r == 0x200C || r == 0x200D || r == 0x0640 || r == 0x200B || r == 0xFEFF:
		return -1, 0 // joiners, tatweel
	case r >= 0x0590 && r <= 0x06FF && unicode.Is(unicode.Mn, r):
		return -1, 0 // Hebrew points, Arabic harakat
	case r == 0x093C || r == 0x09BC:
		return -1, 0 // Devanagari and Bengali nukta
	case r >= 0x0958 && r <= 0x095F: // Devanagari letters with nukta
		return sigDevaNukta[r-0x0958], 0
	case r == 0x09DC:
		return 'ড', 0 // Bengali letters with nukta
	case r == 0x09DD:
		return 'ঢ', 0
	case r == 0x09DF:
		return 'য', 0
	}
	r = unicode.ToLower(r)
	if r < 0x2000 {
		if f := sigFoldDense[r]; f != 0 {
			return f, 0
		}
		if m, ok := sigFoldMulti[r]; ok {
			r1, n := utf8.DecodeRuneInString(m)
			r2, _ := utf8.DecodeRuneInString(m[n:])
			return r1, r2
		}
		switch r {
		case 'أ', 'إ', 'آ', 'ٱ':
			return 'ا', 0
		case 'ى', 'ی':
			return 'ي', 0
		case 'ک':
			return 'ك', 0
		case 'ة', 'ہ', 'ۀ', 'ۃ':
			return 'ه', 0
		}
	}
	return r, 0
}

func sigIsApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '‘' || r == '`' || r == '´'
}

// sigBoundary classifies a separator: 2 ends a sentence, 1 a clause, 0 only
// a word.
func sigBoundary(r rune) int {
	switch r {
	case '.', '!', '?', ';', '\n', '\r', '。', '！', '？', '；', '¿', '¡', '؟', '।', '॥', '۔':
		return 2
	case ',', ':', '(', ')', '[', ']', '–', '—', '…', '、', '，', '：', '（', '）', '"', '“', '”', '«', '»', '،', '/':
		return 1
	}
	return 0
}

func (d *sigDoc) tokenize(text string) {
	d.buf = d.buf[:0]
	d.toks = d.toks[:0]
	d.sensAt = d.sensAt[:0]
	d.sens = d.sens[:0]
	d.hits = d.hits[:0]
	var sent, clause int32
	wordStart := -1
	flush := func() {
		if wordStart >= 0 && len(d.buf) > wordStart {
			d.toks = append(d.toks, sigTok{start: int32(wordStart), end: int32(len(d.buf)), sent: sent, clause: clause})
		}
		wordStart = -1
	}
	for _, r0 := range text {
		r, r2 := sigFoldRune(r0)
		if r < 0 {
			continue
		}
		switch {
		case sigCharScript(r):
			flush()
			s := len(d.buf)
			d.buf = utf8.AppendRune(d.buf, r)
			d.toks = append(d.toks, sigTok{start: int32(s), end: int32(len(d.buf)), sent: sent, clause: clause})
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if wordStart < 0 {
				wordStart = len(d.buf)
			}
			d.buf = utf8.AppendRune(d.buf, r)
			if r2 != 0 {
				d.buf = utf8.AppendRune(d.buf, r2)
			}
		case sigIsApostrophe(r) && wordStart >= 0:
			if sigElisions[string(d.buf[wordStart:])] {
				flush()
			}
		default:
			flush()
			switch sigBoundary(r) {
			case 2:
				if n := len(d.toks); n > 0 && d.toks[n-1].sent == sent {
					sent++
					clause++
				}
			case 1:
				if n := len(d.toks); n > 0 && d.toks[n-1].clause == clause {
					clause++
				}
			}
		}
	}
	flush()
	d.mergeNegations()
	d.str = string(d.buf)
}

var sigAuxNot = map[string]string{
	"do": "dont", "does": "doesnt", "did": "didnt", "can": "cant", "could": "couldnt", "would": "wouldnt",
	"should": "shouldnt", "will": "wont", "is": "isnt", "are": "arent", "was": "wasnt", "were": "werent",
	"have": "havent", "has": "hasnt", "had": "hadnt", "am": "amnot", "cannot": "cant",
}

// mergeNegations joins English "do not" → "dont" (and "cannot" → "cant") so
// that rules need one spelling.
func (d *sigDoc) mergeNegations() {
	out := d.toks[:0]
	for i := 0; i < len(d.toks); i++ {
		t := d.toks[i]
		w := string(d.buf[t.start:t.end])
		if w == "cannot" {
			t = d.appendWord(t, "cant")
		} else if i+1 < len(d.toks) && d.toks[i+1].clause == t.clause {
			n := d.toks[i+1]
			if string(d.buf[n.start:n.end]) == "not" {
				if m, ok := sigAuxNot[w]; ok {
					t = d.appendWord(t, m)
					i++
				}
			}
		}
		out = append(out, t)
	}
	d.toks = out
}

func (d *sigDoc) appendWord(t sigTok, w string) sigTok {
	s := len(d.buf)
	d.buf = append(d.buf, w...)
	t.start, t.end = int32(s), int32(len(d.buf))
	return t
}

// sigNormalize returns the folded text with single spaces between tokens
// (for tests and debugging).
func sigNormalize(text string) string {
	d := sigGetDoc(text)
	defer sigPutDoc(d)
	var b strings.Builder
	for i := range d.toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.tok(i))
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// The rule engine

const (
	sigElWords = iota
	sigElGap
	sigElStart
	sigElEnd
)

type sigElem struct {
	kind     uint8
	min, max uint8
	alts     [][]int32         // each alternative is a sequence of sense ids
	byFirst  map[int32][]int32 // first id → indices in alts
	optional bool
}

type sigRule struct {
	label string
	veto  bool
	lang  uint64
	elems []sigElem
	src   string // for debugging
	line  int
}

type sigHit struct {
	rule       *sigRule
	start, end int32
}

type sigEngine struct {
	name    string
	words   map[string]int32 // literal words
	stems   map[string]int32 // stem prefixes (without '*')
	stemMin int              // shortest stem, in bytes
	stemMax int
	fuzzy   map[string][]int32 // deletion neighbourhood → word ids (fuzzy lexicons only)
	noFuzzy map[string]bool    // real words never corrected
	exact   map[int32]bool     // words marked '=': no typo tolerance
	fuzzyOK map[int32]bool     // words indexed for typos
	// Stems that tolerate typos ("опертором" for "оператор*"): their
	// deletion neighbourhood, the lengths (in runes) they come in, and
	// their first two letters, a cheap filter.
	fuzzyStem    map[string][]int32
	fuzzyStemLen [32]bool
	fuzzyStemPre map[string]bool
	fuzzyCls     map[string]bool // classes whose words tolerate typos
	names        []string
	rules        []*sigRule
	index        map[int32][]*sigRule
	anchored     []*sigRule
	floating     []*sigRule
}

func (e *sigEngine) id(w string, stem bool) int32 {
	m := e.words
	if stem {
		m = e.stems
	}
	if id, ok := m[w]; ok {
		return id
	}
	id := int32(len(e.names))
	if stem {
		e.names = append(e.names, w+"*")
		if e.stemMin == 0 || len(w) < e.stemMin {
			e.stemMin = len(w)
		}
		if len(w) > e.stemMax {
			e.stemMax = len(w)
		}
	} else {
		e.names = append(e.names, w)
	}
	m[w] = id
	return id
}

// sigFuzzyScript: typo tolerance only for alphabets with short letters
// (Latin, Greek, Cyrillic).
func sigFuzzyScript(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return r < 0x0530
}

func (e *sigEngine) addFuzzy(w string, id int32) {
	if e.fuzzy == nil || e.exact[id] || !sigFuzzyScript(w) || utf8.RuneCountInString(w) < 5 {
		return
	}
	e.fuzzyOK[id] = true
	add := func(k string) {
		for _, x := range e.fuzzy[k] {
			if x == id {
				return
			}
		}
		e.fuzzy[k] = append(e.fuzzy[k], id)
	}
	add(w)
	for i, r := range w {
		if i == 0 {
			continue // the first letter is kept: typos rarely hit it
		}
		add(w[:i] + w[i+utf8.RuneLen(r):])
	}
}

func (e *sigEngine) addFuzzyStem(w string, id int32) {
	n := utf8.RuneCountInString(w)
	if e.fuzzy == nil || !sigFuzzyScript(w) || n < 6 || n >= len(e.fuzzyStemLen) {
		return
	}
	if e.fuzzyStem == nil {
		e.fuzzyStem = map[string][]int32{}
		e.fuzzyStemPre = map[string]bool{}
	}
	e.fuzzyStemLen[n] = true
	rs := []rune(w)
	e.fuzzyStemPre[string(rs[:2])] = true
	add := func(k string) {
		for _, x := range e.fuzzyStem[k] {
			if x == id {
				return
			}
		}
		e.fuzzyStem[k] = append(e.fuzzyStem[k], id)
	}
	add(w)
	for i := 1; i < len(rs); i++ {
		add(string(rs[:i]) + string(rs[i+1:]))
	}
}

// fuzzyStemLookup finds the stems that a prefix of w is a typo of.
func (e *sigEngine) fuzzyStemLookup(w string, out []int32) []int32 {
	if e.fuzzyStem == nil {
		return out
	}
	// Byte offsets of rune boundaries.
	var bounds [40]int
	nb := 0
	for i := range w {
		if nb == len(bounds) {
			break
		}
		bounds[nb] = i
		nb++
	}
	if nb < 6 || !e.fuzzyStemPre[w[:bounds[2]]] {
		return out
	}
	start := len(out)
	var buf [128]byte
	for L := 5; L <= nb; L++ { // prefix of L runes
		if !e.fuzzyStemLen[L-1] && !e.fuzzyStemLen[L] && (L+1 >= len(e.fuzzyStemLen) || !e.fuzzyStemLen[L+1]) {
			continue
		}
		end := len(w)
		if L < nb {
			end = bounds[L]
		}
		p := w[:end]
		try := func(k string) {
			for _, id := range e.fuzzyStem[k] {
				stem := e.names[id]
				stem = stem[:len(stem)-1]
				dup := false
				for _, x := range out[start:] {
					dup = dup || x == id
				}
				if !dup && sigWithinOne(p, stem) {
					out = append(out, id)
				}
			}
		}
		try(p)
		for i := 1; i < L; i++ {
			a, b := bounds[i], end
			if i+1 < nb {
				b = bounds[i+1]
			}
			if b > end {
				b = end
			}
			n := copy(buf[:], p[:a])
			n += copy(buf[n:], p[b:])
			if _, ok := e.fuzzyStem[string(buf[:n])]; ok {
				try(string(buf[:n]))
			}
		}
	}
	return out
}

// annotate computes each token's senses: the word itself when the lexicon
// knows it, the stems it starts with, and — in a fuzzy lexicon, for an
// unknown word — the known words at edit distance one.
func (e *sigEngine) annotate(d *sigDoc) {
	d.sensAt = d.sensAt[:0]
	d.sens = d.sens[:0]
	for i := range d.toks {
		d.sensAt = append(d.sensAt, int32(len(d.sens)))
		w := d.tok(i)
		id, ok := e.words[w]
		if ok {
			d.sens = append(d.sens, id)
		}
		if e.stemMin > 0 && len(w) >= e.stemMin {
			maxL := min(len(w), e.stemMax)
			for l := e.stemMin; l <= maxL; l++ {
				if l < len(w) && !utf8.RuneStart(w[l]) {
					continue
				}
				if sid, ok := e.stems[w[:l]]; ok {
					d.sens = append(d.sens, sid)
				}
			}
		}
		if !ok && e.fuzzy != nil && len(w) >= 4 && !e.noFuzzy[w] && sigFuzzyScript(w) {
			n := len(d.sens)
			d.sens = e.fuzzyLookup(w, d.sens)
			if len(d.sens) == n && int(d.sensAt[i]) == n {
				d.sens = e.fuzzyStemLookup(w, d.sens)
			}
		}
	}
	d.sensAt = append(d.sensAt, int32(len(d.sens)))
}

func (e *sigEngine) fuzzyLookup(w string, out []int32) []int32 {
	start := len(out)
	try := func(k string) {
		for _, id := range e.fuzzy[k] {
			dup := false
			for _, x := range out[start:] {
				if x == id {
					dup = true
				}
			}
			if !dup && sigTypoOf(w, e.names[id]) {
				out = append(out, id)
			}
		}
	}
	try(w)
	var buf [96]byte
	if len(w) > len(buf) {
		return out
	}
	for i, r := range w {
		if i == 0 {
			continue
		}
		n := copy(buf[:], w[:i])
		n += copy(buf[n:], w[i+utf8.RuneLen(r):])
		if ids, ok := e.fuzzy[string(buf[:n])]; ok && len(ids) > 0 {
			try(string(buf[:n]))
		}
	}
	return out
}

// sigTypoOf reports whether w is a plausible typo of the lexicon word k:
// one edit away with the same first letter; for words of five letters only
// two swapped letters ("humna"), since one other edit turns too many short
// words into others ("arent" → "agent", "band" → "banda").
func sigTypoOf(w, k string) bool {
	if !sigWithinOne(w, k) {
		return false
	}
	if utf8.RuneCountInString(k) >= 6 || w == k {
		return true
	}
	if len(w) != len(k) {
		return false
	}
	diff := 0
	for i := 0; i < len(w); i++ {
		if w[i] != k[i] {
			diff++
		}
	}
	return diff == 2 // a transposition (a single substitution differs in one place)
}

// sigWithinOne reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent letters, with the
// same first letter.
func sigWithinOne(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 || ra[0] != rb[0] {
		return false
	}
	la, lb := len(ra), len(rb)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && ra[i] == rb[i] {
		i++
	}
	switch {
	case la == lb:
		if i+1 < la && ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:]) {
			return true // transposition
		}
		return string(ra[i+1:]) == string(rb[i+1:])
	case la > lb:
		return string(ra[i+1:]) == string(rb[i:])
	default:
		return string(ra[i:]) == string(rb[i+1:])
	}
}

func (d *sigDoc) has(i int, id int32) bool {
	for _, s := range d.sens[d.sensAt[i]:d.sensAt[i+1]] {
		if s == id {
			return true
		}
	}
	return false
}

// matchAlt reports the end of alternative alt matched at token pos, or -1.
// The tokens of one alternative stay in one clause.
func (d *sigDoc) matchAlt(alt []int32, pos int) int {
	if pos+len(alt) > len(d.toks) {
		return -1
	}
	for k, id := range alt {
		if k > 0 && d.toks[pos+k].clause != d.toks[pos].clause {
			return -1
		}
		if !d.has(pos+k, id) {
			return -1
		}
	}
	return pos + len(alt)
}

// match tries rule r from element ei at token pos; prevWord tells whether
// the previous element consumed a word (then this one must continue in the
// same clause). It returns the end of the match or -1.
func (d *sigDoc) match(r *sigRule, ei, pos int, prevWord bool) int {
	if ei == len(r.elems) {
		return pos
	}
	el := &r.elems[ei]
	n := len(d.toks)
	switch el.kind {
	case sigElStart:
		if pos != 0 {
			return -1
		}
		return d.match(r, ei+1, pos, false)
	case sigElEnd:
		if pos != n {
			return -1
		}
		return pos
	case sigElGap:
		for k := 0; k <= int(el.max); k++ {
			p := pos + k
			if p > n {
				break
			}
			if k > 0 && pos > 0 && p < n && d.toks[p].sent != d.toks[pos-1].sent {
				break
			}
			if end := d.match(r, ei+1, p, false); end >= 0 {
				return end
			}
		}
		return -1
	}
	return d.matchRep(r, ei, pos, 0, prevWord)
}

func (d *sigDoc) matchRep(r *sigRule, ei, pos, count int, prevWord bool) int {
	el := &r.elems[ei]
	anchored := len(r.elems) > 0 && r.elems[0].kind == sigElStart
	if count < int(el.max) && pos < len(d.toks) && (!prevWord || anchored || pos == 0 || d.toks[pos].clause == d.toks[pos-1].clause) {
		for si := d.sensAt[pos]; si < d.sensAt[pos+1]; si++ {
			for _, ai := range el.byFirst[d.sens[si]] {
				if end := d.matchAlt(el.alts[ai], pos); end > pos {
					if res := d.matchRep(r, ei, end, count+1, true); res >= 0 {
						return res
					}
				}
			}
		}
	}
	if count >= int(el.min) {
		return d.match(r, ei+1, pos, prevWord)
	}
	return -1
}

// run finds every rule match (positive and veto) for the languages in mask.
func (e *sigEngine) run(d *sigDoc, mask uint64) []sigHit {
	e.annotate(d)
	d.hits = d.hits[:0]
	add := func(r *sigRule, s, end int) {
		// Hits come in order of start, so a duplicate is among the last.
		for i := len(d.hits) - 1; i >= 0 && int(d.hits[i].start) == s; i-- {
			if d.hits[i].rule == r {
				return
			}
		}
		d.hits = append(d.hits, sigHit{rule: r, start: int32(s), end: int32(end)})
	}
	for _, r := range e.anchored {
		if r.lang&mask != 0 {
			if end := d.match(r, 0, 0, false); end >= 0 {
				add(r, 0, end)
			}
		}
	}
	for pos := range d.toks {
		for si := d.sensAt[pos]; si < d.sensAt[pos+1]; si++ {
			for _, r := range e.index[d.sens[si]] {
				if r.lang&mask != 0 {
					if end := d.match(r, 0, pos, false); end >= 0 {
						add(r, pos, end)
					}
				}
			}
		}
		for _, r := range e.floating {
			if r.lang&mask != 0 {
				if end := d.match(r, 0, pos, false); end >= 0 {
					add(r, pos, end)
				}
			}
		}
	}
	return d.hits
}

// sigVetoed reports whether a veto rule of h's label and language overlaps
// h. (A veto of another language does not count: Japanese "人工" in a
// veto must not cancel Chinese "找人工".)
func sigVetoed(hits []sigHit, h sigHit) bool {
	for _, v := range hits {
		if v.start >= h.end {
			break // hits are ordered by start (anchored rules, at 0, come first)
		}
		if v.rule.veto && v.rule.label == h.rule.label && v.rule.lang&h.rule.lang != 0 && h.start < v.end {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Lexicon files
//
//	# comment
//	@fuzzy                      typo tolerance for this lexicon
//	@nofuzzy personal persona   words never corrected to another
//	@lang en,sv | @lang *       the languages of the lines below ('*': a template for every language)
//	$p = human | real person | operat* | =staff      a word class ('=': exact, no typos)
//	     | agent                                      (continuation lines start with blanks)
//	label: pattern              a rule
//	label!: pattern             a veto rule
//
// Pattern elements, separated by blanks: a word, a stem "word*", "=word",
// a class "$p", a group "(a b|c|$x)", any of them followed by "?" (optional),
// "*" (0–6 times) or "+" (1–6 times); "..N" a gap of up to N words (".."
// = 4) within one sentence; "^" and "$" the start and end of the message.
// Words are normalised like messages, so "转人工" is three elements and
// "pásame" is "pasame".

type sigSrcRule struct {
	label string
	veto  bool
	pat   string
	line  int
}

type sigSection struct {
	classes map[string]string
	rules   []sigSrcRule
}

func sigLoadEngine(name string, files ...string) (*sigEngine, error) {
	e := &sigEngine{name: name, words: map[string]int32{}, stems: map[string]int32{}, noFuzzy: map[string]bool{}, exact: map[int32]bool{}, fuzzyOK: map[int32]bool{}, fuzzyCls: map[string]bool{}, index: map[int32][]*sigRule{}}
	for _, f := range files {
		src, err := sigLexiconFS.ReadFile("lexicon/" + f)
		if err != nil {
			return nil, err
		}
		if err := e.load(f, string(src)); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *sigEngine) load(file, src string) error {
	sections := map[string]*sigSection{}
	var order []string
	cur := []string{}
	get := func(l string) *sigSection {
		s, ok := sections[l]
		if !ok {
			s = &sigSection{classes: map[string]string{}}
			sections[l] = s
			order = append(order, l)
		}
		return s
	}
	var lastClass string
	for ln, line := range strings.Split(src, "\n") {
		lineNo := ln + 1
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			lastClass = ""
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && lastClass != "" {
			for _, l := range cur {
				s := get(l)
				s.classes[lastClass] += " " + strings.TrimSpace(line)
			}
			continue
		}
		line = strings.TrimSpace(line)
		lastClass = ""
		switch {
		case line == "@fuzzy":
			if e.fuzzy == nil {
				e.fuzzy = map[string][]int32{}
			}
		case strings.HasPrefix(line, "@fuzzyclass"):
			for _, c := range strings.Fields(line[len("@fuzzyclass"):]) {
				e.fuzzyCls[strings.TrimPrefix(c, "$")] = true
			}
		case strings.HasPrefix(line, "@nofuzzy"):
			for _, w := range strings.Fields(line[len("@nofuzzy"):]) {
				e.noFuzzy[sigNormalize(w)] = true
			}
		case strings.HasPrefix(line, "@lang"):
			cur = cur[:0]
			for _, l := range strings.Split(strings.TrimSpace(line[len("@lang"):]), ",") {
				l = strings.TrimSpace(l)
				if _, ok := sigLangBit[l]; !ok && l != "*" {
					return fmt.Errorf("%s:%d: unknown language %q", file, lineNo, l)
				}
				cur = append(cur, l)
			}
		case line[0] == '$':
			eq := strings.Index(line, "=")
			if eq < 0 {
				return fmt.Errorf("%s:%d: class without '='", file, lineNo)
			}
			name := strings.TrimSpace(line[1:eq])
			for _, l := range cur {
				s := get(l)
				if old, ok := s.classes[name]; ok {
					s.classes[name] = old + " | " + strings.TrimSpace(line[eq+1:])
				} else {
					s.classes[name] = strings.TrimSpace(line[eq+1:])
				}
			}
			lastClass = name
		default:
			colon := strings.Index(line, ":")
			if colon <= 0 {
				return fmt.Errorf("%s:%d: cannot read %q", file, lineNo, line)
			}
			label := strings.TrimSpace(line[:colon])
			veto := strings.HasSuffix(label, "!")
			label = strings.TrimSuffix(label, "!")
			if len(cur) == 0 {
				return fmt.Errorf("%s:%d: rule before @lang", file, lineNo)
			}
			// "label: a b | c d" is two rules.
			for _, alt := range sigSplitTop(line[colon+1:], '|') {
				alt = strings.TrimSpace(alt)
				if alt == "" {
					continue
				}
				for _, l := range cur {
					s := get(l)
					s.rules = append(s.rules, sigSrcRule{label: label, veto: veto, pat: alt, line: lineNo})
				}
			}
		}
	}
	// Every word of every class is in the vocabulary (and the fuzzy index)
	// even when no rule uses it; then compile rules.
	tmpl := sections["*"]
	for _, l := range order {
		if l == "*" {
			continue
		}
		s := sections[l]
		bit := sigLangBit[l]
		var rules []sigSrcRule
		if tmpl != nil {
			rules = append(rules, tmpl.rules...)
			for k, v := range tmpl.classes {
				if _, ok := s.classes[k]; !ok {
					s.classes[k] = v
				}
			}
		}
		rules = append(rules, s.rules...)
		for _, sr := range rules {
			r, ok, err := e.compile(sr, s.classes, bit)
			if err != nil {
				return fmt.Errorf("%s:%d (%s): %v", file, sr.line, l, err)
			}
			if ok {
				e.addRule(r)
			}
		}
	}
	return nil
}

func (e *sigEngine) addRule(r *sigRule) {
	// Merge with an identical rule of another language.
	e.rules = append(e.rules, r)
	first := r.elems[0]
	switch {
	case first.kind == sigElStart:
		e.anchored = append(e.anchored, r)
	case first.kind == sigElWords && first.min > 0:
		seen := map[int32]bool{}
		for _, a := range first.alts {
			if !seen[a[0]] {
				seen[a[0]] = true
				e.index[a[0]] = append(e.index[a[0]], r)
			}
		}
	default:
		e.floating = append(e.floating, r)
	}
}

// sigSplitTop splits s at sep outside parentheses.
func sigSplitTop(s string, sep byte) []string {
	var out []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[last:i])
				last = i + 1
			}
		}
	}
	return append(out, s[last:])
}

// alts expands one alternative text ("real person", "$p", "operat*") into
// sequences of ids; ok is false when it refers to an undefined class.
func (e *sigEngine) altSeqs(text string, classes map[string]string, depth int, fuzzy bool) ([][]int32, error) {
	if depth > 8 {
		return nil, fmt.Errorf("classes nest too deep")
	}
	var seqs [][]int32 = [][]int32{{}}
	for _, part := range strings.Fields(text) {
		var next [][]int32
		var partSeqs [][]int32
		switch {
		case part[0] == '$':
			def, ok := classes[part[1:]]
			if !ok {
				return nil, nil
			}
			for _, a := range sigSplitTop(def, '|') {
				if strings.TrimSpace(a) == "" {
					continue
				}
				sub, err := e.altSeqs(a, classes, depth+1, fuzzy || e.fuzzyCls[part[1:]])
				if err != nil {
					return nil, err
				}
				partSeqs = append(partSeqs, sub...)
			}
		default:
			exact := strings.HasPrefix(part, "=")
			part = strings.TrimPrefix(part, "=")
			stem := strings.HasSuffix(part, "*")
			part = strings.TrimSuffix(part, "*")
			d := sigGetDoc(part)
			var seq []int32
			for i := range d.toks {
				w := d.tok(i)
				isStem := stem && i == len(d.toks)-1
				id := e.id(w, isStem)
				if exact {
					e.exact[id] = true
				}
				if fuzzy {
					if isStem {
						e.addFuzzyStem(w, id)
					} else {
						e.addFuzzy(w, id)
					}
				}
				seq = append(seq, id)
			}
			sigPutDoc(d)
			if len(seq) > 0 {
				partSeqs = [][]int32{seq}
			}
		}
		if len(partSeqs) == 0 {
			return nil, nil
		}
		for _, s := range seqs {
			for _, p := range partSeqs {
				next = append(next, append(append([]int32{}, s...), p...))
			}
		}
		seqs = next
	}
	return seqs, nil
}

func (e *sigEngine) compile(sr sigSrcRule, classes map[string]string, bit uint64) (*sigRule, bool, error) {
	r := &sigRule{label: sr.label, veto: sr.veto, lang: bit, src: sr.pat, line: sr.line}
	// Tokenise the pattern at the top level: groups stay whole.
	var parts []string
	p := sr.pat
	for len(p) > 0 {
		p = strings.TrimLeft(p, " \t")
		if p == "" {
			break
		}
		if p[0] == '(' {
			depth, i := 0, 0
			for ; i < len(p); i++ {
				if p[i] == '(' {
					depth++
				} else if p[i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if i == len(p) {
				return nil, false, fmt.Errorf("unbalanced parentheses")
			}
			j := i + 1
			for j < len(p) && strings.IndexByte("?*+", p[j]) >= 0 {
				j++
			}
			parts = append(parts, p[:j])
			p = p[j:]
			continue
		}
		i := strings.IndexAny(p, " \t")
		if i < 0 {
			i = len(p)
		}
		parts = append(parts, p[:i])
		p = p[i:]
	}
	for _, part := range parts {
		switch {
		case part == "^":
			r.elems = append(r.elems, sigElem{kind: sigElStart})
			continue
		case part == "$":
			r.elems = append(r.elems, sigElem{kind: sigElEnd})
			continue
		case strings.HasPrefix(part, ".."):
			n := 4
			if len(part) > 2 {
				if _, err := fmt.Sscanf(part[2:], "%d", &n); err != nil {
					return nil, false, fmt.Errorf("bad gap %q", part)
				}
			}
			r.elems = append(r.elems, sigElem{kind: sigElGap, max: uint8(n)})
			continue
		}
		el := sigElem{kind: sigElWords, min: 1, max: 1}
		switch part[len(part)-1] {
		case '?':
			el.min, el.max = 0, 1
			part = part[:len(part)-1]
		case '+':
			el.min, el.max = 1, 6
			part = part[:len(part)-1]
		case '*':
			// "word*" is a stem; "(…)*" and "$x*" repeat.
			if strings.HasSuffix(part, ")*") || (part[0] == '$' && !strings.ContainsAny(part, " ")) {
				el.min, el.max = 0, 6
				part = part[:len(part)-1]
			}
		}
		body := part
		if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
			body = body[1 : len(body)-1]
		}
		for _, a := range sigSplitTop(body, '|') {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			seqs, err := e.altSeqs(a, classes, 0, false)
			if err != nil {
				return nil, false, err
			}
			for _, s := range seqs {
				if len(s) > 0 {
					el.alts = append(el.alts, s)
				}
			}
		}
		if len(el.alts) == 0 {
			if el.min == 0 {
				continue // an optional element of an undefined class
			}
			return nil, false, nil // undefined class: the rule does not apply to this language
		}
		el.byFirst = map[int32][]int32{}
		for i, a := range el.alts {
			el.byFirst[a[0]] = append(el.byFirst[a[0]], int32(i))
		}
		r.elems = append(r.elems, el)
	}
	if len(r.elems) == 0 {
		return nil, false, nil
	}
	return r, true, nil
}
