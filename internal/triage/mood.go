package triage

import (
	"bufio"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Mood is how a message reads.
type Mood struct {
	Sentiment  float64 // −1 (very negative) … 1 (very positive)
	Frustrated bool
	Angry      bool
	Signals    []string // machine-readable: "shouting", "profanity", "insult", "repeated_question", "repeat_contact", "negative_words", …
}

// The mood signals, in the order Mood.Signals lists them.
const (
	MoodShouting         = "shouting"          // mostly capital letters
	MoodExclamations     = "exclamations"      // "!!!", "?!"
	MoodProfanity        = "profanity"         // swearing
	MoodInsult           = "insult"            // abuse aimed at the company, the bot or the staff
	MoodAngerWords       = "anger_words"       // "I'm furious"
	MoodExasperation     = "exasperation"      // "this is ridiculous", "unacceptable"
	MoodRepeatContact    = "repeat_contact"    // "third time I'm writing", "I already told you"
	MoodUnresolved       = "unresolved"        // "still not fixed", "waiting for weeks", "nobody answers"
	MoodStillWaiting     = "still_waiting"     // "still pending", "still hasn't arrived": not frustration on its own
	MoodRepeatedQuestion = "repeated_question" // the same question as an earlier customer message
	MoodNegativeWords    = "negative_words"    // clearly negative wording
)

var moodOrder = []string{
	MoodShouting, MoodExclamations, MoodProfanity, MoodInsult, MoodAngerWords, MoodExasperation,
	MoodRepeatContact, MoodUnresolved, MoodStillWaiting, MoodRepeatedQuestion, MoodNegativeWords,
}

// DetectMood reads the message's mood; history holds the customer's earlier
// messages in the conversation (oldest first) to detect repetition.
//
// Sentiment comes from sentiment words (English: a lexicon learned from
// GoEmotions, lexicon/goemotions_en.tsv; other languages: lexicon/mood.txt),
// with negation ("not happy"), lowered by every frustration or anger signal.
// Frustrated: repetition ("third time I'm writing", the same question as
// before), "still not fixed" ("still pending" only with another negative
// cue), exasperation ("this is ridiculous"), insults,
// swearing or shouting in a negative message, or a very negative sentiment.
// Angry: insults, anger words ("I'm furious"), or swearing or shouting
// together with other negative signals. It is safe for concurrent use.
func DetectMood(text, lang string, history []string) Mood {
	var m Mood
	if strings.TrimSpace(text) == "" {
		return m
	}
	mask := sigLangMask(lang)
	e := moodEngine()
	d := sigGetDoc(text)
	defer sigPutDoc(d)

	var flags [16]bool // indexed like moodOrder
	set := func(s string) { flags[slices.Index(moodOrder, s)] = true }
	has := func(s string) bool { return flags[slices.Index(moodOrder, s)] }

	hits := e.run(d, mask)
	// Sentiment words of other languages count once per position (several
	// languages may know the same word).
	var ruleSent float64
	var sentAt [64]int8
	for _, h := range hits {
		if h.rule.veto || sigVetoed(hits, h) {
			continue
		}
		switch h.rule.label {
		case "neg", "pos":
			v := int8(1)
			if h.rule.label == "neg" {
				v = -1
			}
			if h.start < int32(len(sentAt)) {
				sentAt[h.start] = v
			}
		default:
			set(h.rule.label)
		}
	}
	for _, v := range sentAt {
		ruleSent += 0.5 * float64(v)
	}
	// English sentiment words, read after the rule engine (which rewrote
	// d.sens) from the tokens themselves.
	var lexSum, lexNeg float64
	if mask&sigLangBit["en"] != 0 {
		lex := moodLexicon()
		for i := range d.toks {
			w, ok := lex[d.tok(i)]
			if !ok {
				continue
			}
			if moodNegated(d, i) {
				w = -0.5 * w
			}
			lexSum += w
			if w < 0 {
				lexNeg += w
			}
		}
	}
	if lexNeg+math.Min(ruleSent, 0) <= -0.5 {
		set(MoodNegativeWords)
	}
	if moodShouting(text) {
		set(MoodShouting)
	}
	if strings.Contains(text, "!!") || strings.Contains(text, "?!") || strings.Contains(text, "!?") || strings.Count(text, "!") >= 3 {
		set(MoodExclamations)
	}
	if len(history) > 0 && moodRepeated(d, history) {
		set(MoodRepeatedQuestion)
	}

	s := math.Tanh(lexSum + ruleSent)
	for i, name := range moodOrder {
		if flags[i] {
			s -= moodPenalty[name]
		}
	}
	s = math.Max(-1, math.Min(1, s))
	m.Sentiment = math.Round(s*1000) / 1000

	// "Still pending" alone is a customer waiting, not yet a frustrated one;
	// with any other negative cue it counts.
	others := false
	for i, name := range moodOrder {
		others = others || (flags[i] && name != MoodStillWaiting && name != MoodExclamations)
	}
	negative := s < 0
	m.Frustrated = (has(MoodStillWaiting) && (others || lexNeg+math.Min(ruleSent, 0) < 0)) || has(MoodRepeatContact) || has(MoodRepeatedQuestion) || has(MoodUnresolved) || has(MoodExasperation) ||
		has(MoodInsult) || has(MoodAngerWords) || (has(MoodProfanity) && negative) || (has(MoodShouting) && negative) || s <= -0.6
	m.Angry = has(MoodInsult) || has(MoodAngerWords) ||
		(has(MoodProfanity) && (has(MoodShouting) || has(MoodExasperation) || s <= -0.4)) ||
		(has(MoodShouting) && (has(MoodExasperation) || has(MoodNegativeWords)))
	for i, name := range moodOrder {
		if flags[i] {
			m.Signals = append(m.Signals, name)
		}
	}
	return m
}

// moodPenalty lowers the sentiment for each frustration or anger signal.
var moodPenalty = map[string]float64{
	MoodInsult: 0.5, MoodAngerWords: 0.4, MoodExasperation: 0.35, MoodProfanity: 0.25, MoodRepeatContact: 0.25,
	MoodUnresolved: 0.25, MoodRepeatedQuestion: 0.2, MoodShouting: 0.2, MoodExclamations: 0.05, MoodStillWaiting: 0.1,
}

var moodNegators = map[string]bool{
	"not": true, "no": true, "never": true, "dont": true, "didnt": true, "doesnt": true, "isnt": true, "wasnt": true,
	"arent": true, "werent": true, "cant": true, "couldnt": true, "wont": true, "wouldnt": true, "hardly": true,
	"without": true, "nothing": true, "havent": true, "hasnt": true, "aint": true, "nor": true, "amnot": true,
}

// moodNegated reports whether one of the two words before token i, in the
// same clause, negates it ("not happy", "never helpful").
func moodNegated(d *sigDoc, i int) bool {
	for k := i - 1; k >= 0 && k >= i-2; k-- {
		if d.toks[k].clause != d.toks[i].clause {
			return false
		}
		if moodNegators[d.tok(k)] {
			return true
		}
	}
	return false
}

// moodAcronyms are capitalised words that are not shouting.
var moodAcronyms = map[string]bool{
	"ATM": true, "PIN": true, "IBAN": true, "SWIFT": true, "BIC": true, "USD": true, "EUR": true, "GBP": true, "SEK": true,
	"NOK": true, "DKK": true, "CHF": true, "CVV": true, "OTP": true, "SMS": true, "APP": true, "FAQ": true, "KYC": true,
	"ID": true, "UK": true, "US": true, "USA": true, "EU": true, "API": true, "PDF": true, "VIP": true, "OK": true,
	"IOS": true, "NFC": true, "SEPA": true, "FCA": true, "BACS": true, "CHAPS": true, "ACH": true, "VAT": true, "MASTERCARD": true,
	"VISA": true, "AMEX": true, "PAYPAL": true, "BANKID": true, "SWISH": true, "ASAP": false,
}

// moodShouting reports a message written mostly in capitals: at least two
// capitalised words (not acronyms) and 70 % of the cased letters upper case,
// or at least three capitalised words of four letters or more.
func moodShouting(text string) bool {
	upper, cased, capsWords, longCaps := 0, 0, 0, 0
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		u, c := 0, 0
		for _, r := range w {
			if unicode.IsUpper(r) {
				u++
				c++
			} else if unicode.IsLower(r) {
				c++
			}
		}
		if c == 0 {
			continue
		}
		if u == c && c >= 2 && moodAcronyms[w] {
			continue
		}
		upper += u
		cased += c
		if u == c && c >= 2 {
			capsWords++
			if c >= 4 {
				longCaps++
			}
		}
	}
	return (cased >= 8 && capsWords >= 2 && float64(upper) >= 0.7*float64(cased)) || longCaps >= 3
}

// moodRepeated reports whether the message repeats one of the last eight
// earlier customer messages: a Dice overlap of at least 0.75 between their
// words, each weighted by its length (so "where is my card" and "where is
// my refund" differ, "how do I top up" and "how do I top up my card" do
// not). Very short messages ("ok", "yes please") never count.
func moodRepeated(d *sigDoc, history []string) bool {
	var curBuf, prevBuf [64]moodWord
	cur, curW := moodBag(d, curBuf[:0])
	if curW < 8 {
		return false
	}
	start := max(0, len(history)-8)
	for _, h := range history[start:] {
		hd := sigGetDoc(h)
		prev, prevW := moodBag(hd, prevBuf[:0])
		sigPutDoc(hd)
		if prevW < 8 {
			continue
		}
		common := 0
		i, j := 0, 0
		for i < len(cur) && j < len(prev) {
			switch {
			case cur[i].h == prev[j].h:
				common += cur[i].w
				i++
				j++
			case cur[i].h < prev[j].h:
				i++
			default:
				j++
			}
		}
		if 2*float64(common) >= 0.75*float64(curW+prevW) {
			return true
		}
	}
	return false
}

type moodWord struct {
	h uint64
	w int
}

// moodBag is the message's distinct words (hashed, sorted) with their
// weights, and the total weight; greetings and thanks weigh nothing.
func moodBag(d *sigDoc, out []moodWord) ([]moodWord, int) {
	for i := range d.toks {
		t := d.tok(i)
		if moodIgnore[t] {
			continue
		}
		w := utf8.RuneCountInString(t)
		if r, _ := utf8.DecodeRuneInString(t); sigCharScript(r) {
			w = 2
		}
		h := uint64(14695981039346656037) // FNV-1a
		for i := 0; i < len(t); i++ {
			h ^= uint64(t[i])
			h *= 1099511628211
		}
		out = append(out, moodWord{h, w})
	}
	slices.SortFunc(out, func(a, b moodWord) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	out = slices.CompactFunc(out, func(a, b moodWord) bool { return a.h == b.h })
	total := 0
	for _, x := range out {
		total += x.w
	}
	return out, total
}

var moodIgnore = map[string]bool{
	"hi": true, "hello": true, "hey": true, "thanks": true, "thank": true, "you": false, "please": true, "pls": true, "ok": true,
	"okay": true, "yes": true, "no": true, "hej": true, "tack": true, "hallo": true, "danke": true, "bitte": true,
	"bonjour": true, "merci": true, "hola": true, "gracias": true, "por": true, "favor": true,
}

var moodEngine = sync.OnceValue(func() *sigEngine {
	e, err := sigLoadEngine("mood", "mood.txt")
	if err != nil {
		panic("triage: mood lexicon: " + err.Error())
	}
	for _, r := range e.rules {
		if r.label != "neg" && r.label != "pos" && !slices.Contains(moodOrder, r.label) {
			panic("triage: mood lexicon: unknown label " + r.label)
		}
	}
	return e
})

// moodLexicon is the English sentiment lexicon learned from GoEmotions.
var moodLexicon = sync.OnceValue(func() map[string]float64 {
	b, err := sigLexiconFS.ReadFile("lexicon/goemotions_en.tsv")
	if err != nil {
		panic("triage: " + err.Error())
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			continue
		}
		w, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			panic("triage: goemotions_en.tsv: " + line)
		}
		m[f[0]] = w
	}
	return m
})
