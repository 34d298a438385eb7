package assistant

import (
	"strings"
	"unicode"

	"github.com/tandem-desk/tandem/internal/knowledge"
)

// What a customer says about the assistant's last answer, in words.

// notHelpfulPhrases say an answer did not help, in any of the languages.
var notHelpfulPhrases = []string{
	// English
	"didnt help", "did not help", "doesnt help", "does not help", "not helpful", "wasnt helpful", "was not helpful",
	"no help", "didnt answer", "did not answer", "doesnt answer", "does not answer", "not what i asked", "not my question",
	"thats wrong", "that is wrong", "wrong answer", "useless", "didnt work", "did not work", "still doesnt work",
	"that doesnt solve", "doesnt solve", "not solved", "not what i meant", "you didnt understand", "you dont understand",
	// Swedish
	"hjälpte inte", "hjälper inte", "inte till hjälp", "svarar inte på", "svarade inte på", "inte vad jag frågade",
	"fel svar", "löste inte", "förstår inte min fråga",
	// German
	"nicht geholfen", "hilft nicht", "hilft mir nicht", "nicht hilfreich", "beantwortet nicht", "beantwortet meine frage nicht",
	"nicht was ich gefragt", "falsche antwort", "nutzlos", "löst mein problem nicht",
	// Spanish
	"no me ayudó", "no me ayudo", "no me ayuda", "no ayudó", "no ayudo", "no sirve", "no es útil", "no es util",
	"no responde", "no es lo que pregunté", "no es lo que pregunte", "respuesta incorrecta", "no resuelve",
}

// bareNo are whole messages that, right after an answer, mean "no, it didn't".
var bareNo = map[string]bool{"no": true, "nope": true, "nej": true, "nein": true, "no gracias": false, "not really": true, "inte direkt": true, "nicht wirklich": true, "no realmente": true, "no it didnt": true, "no it did not": true}

// helpfulWords may make up a "yes, that helped" message; at least one of
// helpfulStrong must be there.
var (
	helpfulWords = set(`yes yeah yep yup ok okay thanks thank you so much very great perfect that it this helped helps solved
		answered works worked cheers brilliant awesome fine good all sorted got
		ja tack så mycket det hjälpte löste perfekt toppen bra jättebra
		danke vielen dank das hat hilft geholfen super perfekt gut alles klar
		sí si gracias muchas me ayudó ayudo ayudó perfecto genial vale bien resuelto
		👍 🙏 !`)
	helpfulStrong = set(`yes yeah yep yup thanks thank helped solved answered works worked cheers perfect great sorted
		ja tack hjälpte löste perfekt toppen danke geholfen super perfekt sí si gracias ayudó ayudo perfecto genial resuelto 👍`)
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// normalize lower-cases text, drops apostrophes and turns punctuation into spaces.
func normalize(s string) string {
	s = strings.NewReplacer("'", "", "’", "").Replace(strings.ToLower(s))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '👍' && r != '🙏'
	}), " ")
}

// NotHelpful reports whether the message, right after an answer, says the
// answer did not help ("that didn't help", "das hat nicht geholfen", a bare
// "no"). Without an answer before it there is nothing to judge: a new
// question such as "my card didn't work" is not about the assistant.
func NotHelpful(message string, afterAnswer bool) bool {
	if !afterAnswer {
		return false
	}
	n := normalize(message)
	if bareNo[n] {
		return true
	}
	padded := " " + n + " "
	for _, p := range notHelpfulPhrases {
		if strings.Contains(padded, " "+normalize(p)+" ") {
			return true
		}
	}
	return false
}

// Helpful reports whether the message is only a "yes, thanks, that helped".
func Helpful(message string) bool {
	fields := strings.Fields(normalize(message))
	if len(fields) == 0 || len(fields) > 8 {
		return false
	}
	strong := false
	for _, f := range fields {
		if !helpfulWords[f] {
			return false
		}
		strong = strong || helpfulStrong[f]
	}
	return strong
}

// sameQuestion reports whether two customer messages ask the same thing:
// the same content words, or nearly (Jaccard ≥ 0.8), in language lang.
func sameQuestion(a, b, lang string) bool {
	if normalize(a) == normalize(b) && normalize(a) != "" {
		return true
	}
	ta, tb := termSet(a, lang), termSet(b, lang)
	if len(ta) < 2 || len(tb) < 2 {
		return false
	}
	inter := 0
	for t := range ta {
		if tb[t] {
			inter++
		}
	}
	union := len(ta) + len(tb) - inter
	return float64(inter)/float64(union) >= 0.8
}

func termSet(s, lang string) map[string]bool {
	m := map[string]bool{}
	for _, t := range knowledge.TermsIn(s, lang) {
		m[t] = true
	}
	return m
}
