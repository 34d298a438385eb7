package assistant

import (
	"regexp"
	"strings"
)

// AsksForPerson reports whether a message asks for a human. It is tuned to
// prefer a false "yes" over a false "no" on short messages — handing over
// costs less than trapping someone with a bot — while ordinary mentions of
// people ("send money to another person", "my travel agent") do not count.
func AsksForPerson(message string) bool {
	text := normalize(message)
	if text == "" {
		return false
	}
	for _, re := range personPatterns {
		if re.MatchString(text) {
			return true
		}
	}
	for _, phrase := range personPhrases {
		if strings.Contains(text, phrase) {
			return true
		}
	}
	// A bare "human", "agent please", "operator!" …
	words := strings.Fields(text)
	if len(words) <= 3 {
		for _, w := range words {
			if bareWords[w] {
				rest := 0
				for _, o := range words {
					if !bareWords[o] && !politeWords[o] {
						rest++
					}
				}
				return rest == 0
			}
		}
	}
	return false
}

func normalize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\'' || r == '’':
			// "don't" → "dont"
		case strings.ContainsRune(".,!?;:()[]\"«»¿¡", r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

var (
	who = `(a |an |the |some |real |live |actual |your |one of your |human )*(human|person|people|agent|representative|rep|operator|someone|somebody|staff|employee|advisor|adviser|customer service|support team|manager)`
	// "talk to a person", "can I speak with a human", "connect me to an agent", "get me a real person"
	personPatterns = []*regexp.Regexp{
		regexp.MustCompile(`\b(talk|speak|chat|connect|transfer|put|pass|switch|escalate|get|give)( me)? (to|with|through to)? ?` + who + `\b`),
		regexp.MustCompile(`\b(want|need|like|prefer|request|give me|get me)( to have)? ` + who + `\b`),
		regexp.MustCompile(`\b(human|real person|live agent|live person|live chat) (please|pls|plz|now|asap)\b`),
		regexp.MustCompile(`\bnot (a |an )?(bot|robot|machine|ai)\b`),
		regexp.MustCompile(`\b(is|are) (there|anyone|anybody) (a |an )?(human|real|person|people|alive)\b`),
	}
	// Phrases in other languages; the triage engine will cover many more.
	personPhrases = []string{
		// Swedish, Norwegian, Danish
		"prata med en människa", "prata med en person", "prata med någon", "prata med en handläggare", "människa tack",
		"snakke med et menneske", "snakke med en person", "tale med et menneske", "tale med en person",
		// German
		"mit einem menschen", "mit einem mitarbeiter", "mit einer person", "echten menschen", "mitarbeiter sprechen",
		// Spanish, Portuguese, Italian, French, Dutch
		"hablar con una persona", "hablar con un agente", "hablar con un humano", "con un operador", "pásame con",
		"falar com uma pessoa", "falar com um atendente", "falar com um humano",
		"parlare con una persona", "parlare con un operatore",
		"parler à un humain", "parler a un humain", "parler à une personne", "parler avec un conseiller", "un conseiller",
		"met een mens", "met een medewerker",
		// Finnish, Polish, Turkish
		"ihmisen kanssa", "z człowiekiem", "z konsultantem", "temsilciye bağla", "insanla görüşmek", "müşteri temsilcisi",
		// Chinese, Japanese, Korean, Russian, Ukrainian, Arabic, Hindi
		"转人工", "人工客服", "真人", "人工服务", "担当者", "オペレーター", "人と話", "상담원", "사람과",
		"с человеком", "с оператором", "оператора", "з людиною", "з оператором",
		"موظف", "شخص حقيقي", "إنسان", "किसी इंसान", "एजेंट से",
	}
	bareWords   = map[string]bool{"human": true, "agent": true, "person": true, "operator": true, "representative": true, "humans": true, "people": true, "staff": true, "support": false}
	politeWords = map[string]bool{"please": true, "pls": true, "plz": true, "a": true, "an": true, "now": true, "real": true, "live": true, "hello": true, "hi": true}
)
