package assistant

import (
	"fmt"
	"strings"
)

// The assistant's own words, in the languages the help centre is written
// in. Any other language gets English.

type phrases struct {
	handoffHuman, handoffSensitive, handoffUpset, handoffCircles, handoffActionFailed, handoffNotVerified, handoffDefault string

	outOfScope, clarifyOne, clarifyTwo, clarifyOpen string

	// signIn asks an unverified customer to sign in; signInHint follows an
	// article answer when the question was about their own account.
	signIn, signInHint string
	// noTranslation: %s is the name of the customer's language (in it).
	noTranslation string
	offerPerson   string
	gladToHelp    string
	accountSource string

	// Drafts for agents.
	greeting, greetingAnon                                              string
	draftDefault, draftCircles, draftUpset, draftSensitive, draftAction string
	draftTopic, draftClose, draftArticleClose                           string

	languageNames map[string]string
}

var phrasebook = map[string]phrases{
	"en": {
		handoffHuman:        "Of course — I'm connecting you with a person now.",
		handoffSensitive:    "This is something a person should help you with. I'm connecting you with one of our team now.",
		handoffUpset:        "I'm sorry this has been frustrating. I'm bringing in a person who can sort it out with you.",
		handoffCircles:      "It looks like I haven't been able to help with this, so I'm bringing in a person.",
		handoffActionFailed: "I couldn't reach our systems just now, so I'm connecting you with a person who can check for you.",
		handoffNotVerified:  "I can't look at account details without knowing it's you, so I'm connecting you with a person who can help.",
		handoffDefault:      "I'm not sure I can answer that well, so I'm connecting you with a person.",
		outOfScope:          "I can help with questions about your account, cards, payments and refunds. Could you tell me a bit more about what you need? You can also ask for a person at any time.",
		clarifyOne:          "Just to be sure I understand: is your question about %s?",
		clarifyTwo:          "Just to be sure I understand: is your question about %s, or %s?",
		clarifyOpen:         "Could you tell me a bit more about what you need?",
		signIn:              "To look that up I need to know it's you. Please sign in to your account and open the chat from there — or tap “Talk to a person” and one of our team will help.",
		signInHint:          "To see this for your own account, sign in and open the chat from there.",
		noTranslation:       "I don't have this answer in %s yet, so here it is in English. If you'd rather talk to a person, just say so or tap “Talk to a person”.",
		offerPerson:         "If this doesn't solve it, I can connect you with a person — just say so or tap “Talk to a person”.",
		gladToHelp:          "Glad I could help! If anything else comes up, just write here.",
		accountSource:       "Your account",
		greeting:            "Hi %s,",
		greetingAnon:        "Hi,",
		draftDefault:        "thanks for waiting — I've read your conversation and I'm taking it from here.",
		draftCircles:        "I'm sorry the earlier answers didn't solve this. I've read the whole conversation, so you don't need to repeat anything.",
		draftUpset:          "I'm sorry for the trouble. I've read the conversation and I'll sort this out with you.",
		draftSensitive:      "I'm sorry you're dealing with this. I've read what you wrote and I'll help you with it personally.",
		draftAction:         "our system didn't answer just now, so I'm checking your account myself.",
		draftTopic:          "I can see your question is about “%s”.",
		draftClose:          "Let me check the details for you — I'll be right back.",
		draftArticleClose:   "Does that answer your question? Let me know if anything is unclear.",
		languageNames:       map[string]string{"en": "English", "sv": "Swedish", "de": "German", "es": "Spanish", "fr": "French", "nl": "Dutch", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "it": "Italian", "pt": "Portuguese", "pl": "Polish"},
	},
	"sv": {
		handoffHuman:        "Självklart — jag kopplar dig till en person nu.",
		handoffSensitive:    "Det här ska en person hjälpa dig med. Jag kopplar dig till någon i vårt team nu.",
		handoffUpset:        "Jag beklagar att det här har varit frustrerande. Jag tar in en person som kan lösa det med dig.",
		handoffCircles:      "Det verkar som att jag inte har kunnat hjälpa dig med det här, så jag tar in en person.",
		handoffActionFailed: "Jag når inte våra system just nu, så jag kopplar dig till en person som kan kontrollera åt dig.",
		handoffNotVerified:  "Jag kan inte titta på kontouppgifter utan att veta att det är du, så jag kopplar dig till en person som kan hjälpa dig.",
		handoffDefault:      "Jag är inte säker på att jag kan svara bra på det, så jag kopplar dig till en person.",
		outOfScope:          "Jag kan hjälpa till med frågor om ditt konto, kort, betalningar och återbetalningar. Kan du berätta lite mer om vad du behöver? Du kan också be om en person när som helst.",
		clarifyOne:          "Bara så att jag förstår rätt: gäller din fråga %s?",
		clarifyTwo:          "Bara så att jag förstår rätt: gäller din fråga %s eller %s?",
		clarifyOpen:         "Kan du berätta lite mer om vad du behöver?",
		signIn:              "För att titta på det behöver jag veta att det är du. Logga in på ditt konto och öppna chatten därifrån — eller tryck på ”Talk to a person” så hjälper någon i vårt team dig.",
		signInHint:          "Logga in och öppna chatten därifrån för att se det här för ditt eget konto.",
		noTranslation:       "Jag har inte det här svaret på %s än, så här är det på engelska. Om du hellre vill prata med en person, säg bara till eller tryck på ”Talk to a person”.",
		offerPerson:         "Om det här inte löser det kan jag koppla dig till en person — säg bara till eller tryck på ”Talk to a person”.",
		gladToHelp:          "Vad bra att jag kunde hjälpa! Skriv här om det dyker upp något mer.",
		accountSource:       "Ditt konto",
		greeting:            "Hej %s!",
		greetingAnon:        "Hej!",
		draftDefault:        "Tack för att du väntade — jag har läst er konversation och tar över härifrån.",
		draftCircles:        "Jag beklagar att de tidigare svaren inte löste det. Jag har läst hela konversationen, så du behöver inte upprepa något.",
		draftUpset:          "Jag beklagar besväret. Jag har läst konversationen och löser det här tillsammans med dig.",
		draftSensitive:      "Jag beklagar att du har hamnat i det här. Jag har läst vad du skrev och hjälper dig personligen.",
		draftAction:         "Vårt system svarade inte just nu, så jag kontrollerar ditt konto själv.",
		draftTopic:          "Jag ser att din fråga gäller ”%s”.",
		draftClose:          "Jag kontrollerar detaljerna åt dig — återkommer strax.",
		draftArticleClose:   "Svarar det på din fråga? Säg till om något är oklart.",
		languageNames:       map[string]string{"en": "engelska", "sv": "svenska", "de": "tyska", "es": "spanska", "fr": "franska"},
	},
	"de": {
		handoffHuman:        "Natürlich — ich verbinde Sie jetzt mit einer Person.",
		handoffSensitive:    "Dabei sollte Ihnen eine Person helfen. Ich verbinde Sie jetzt mit unserem Team.",
		handoffUpset:        "Es tut mir leid, dass das so ärgerlich war. Ich hole eine Person dazu, die das mit Ihnen klärt.",
		handoffCircles:      "Anscheinend konnte ich Ihnen dabei nicht helfen, deshalb hole ich eine Person dazu.",
		handoffActionFailed: "Ich erreiche unsere Systeme gerade nicht, deshalb verbinde ich Sie mit einer Person, die das für Sie prüft.",
		handoffNotVerified:  "Ich kann Kontodaten nicht ansehen, ohne zu wissen, dass Sie es sind, deshalb verbinde ich Sie mit einer Person.",
		handoffDefault:      "Ich bin nicht sicher, ob ich das gut beantworten kann, deshalb verbinde ich Sie mit einer Person.",
		outOfScope:          "Ich helfe bei Fragen zu Ihrem Konto, Ihren Karten, Zahlungen und Erstattungen. Können Sie mir etwas mehr dazu sagen, was Sie brauchen? Sie können auch jederzeit nach einer Person fragen.",
		clarifyOne:          "Damit ich Sie richtig verstehe: Geht es bei Ihrer Frage um %s?",
		clarifyTwo:          "Damit ich Sie richtig verstehe: Geht es bei Ihrer Frage um %s oder um %s?",
		clarifyOpen:         "Können Sie mir etwas mehr dazu sagen, was Sie brauchen?",
		signIn:              "Dafür muss ich wissen, dass Sie es sind. Bitte melden Sie sich in Ihrem Konto an und öffnen Sie den Chat von dort — oder tippen Sie auf „Talk to a person“, dann hilft Ihnen unser Team.",
		signInHint:          "Um das für Ihr eigenes Konto zu sehen, melden Sie sich an und öffnen Sie den Chat von dort.",
		noTranslation:       "Diese Antwort habe ich noch nicht auf %s, deshalb hier auf Englisch. Wenn Sie lieber mit einer Person sprechen möchten, sagen Sie es einfach oder tippen Sie auf „Talk to a person“.",
		offerPerson:         "Falls das nicht hilft, verbinde ich Sie gern mit einer Person — sagen Sie es einfach oder tippen Sie auf „Talk to a person“.",
		gladToHelp:          "Schön, dass ich helfen konnte! Wenn noch etwas ist, schreiben Sie einfach hier.",
		accountSource:       "Ihr Konto",
		greeting:            "Hallo %s,",
		greetingAnon:        "Hallo,",
		draftDefault:        "danke fürs Warten — ich habe Ihr Gespräch gelesen und übernehme ab hier.",
		draftCircles:        "es tut mir leid, dass die bisherigen Antworten nicht geholfen haben. Ich habe das ganze Gespräch gelesen, Sie müssen nichts wiederholen.",
		draftUpset:          "es tut mir leid für die Unannehmlichkeiten. Ich habe das Gespräch gelesen und kläre das mit Ihnen.",
		draftSensitive:      "es tut mir leid, dass Sie damit zu tun haben. Ich habe gelesen, was Sie geschrieben haben, und helfe Ihnen persönlich.",
		draftAction:         "unser System hat gerade nicht geantwortet, deshalb prüfe ich Ihr Konto selbst.",
		draftTopic:          "Ich sehe, dass es um „%s“ geht.",
		draftClose:          "Ich prüfe die Details für Sie und melde mich gleich.",
		draftArticleClose:   "Beantwortet das Ihre Frage? Sagen Sie mir gern, wenn etwas unklar ist.",
		languageNames:       map[string]string{"en": "Englisch", "sv": "Schwedisch", "de": "Deutsch", "es": "Spanisch", "fr": "Französisch"},
	},
	"es": {
		handoffHuman:        "Por supuesto — te paso con una persona ahora mismo.",
		handoffSensitive:    "Con esto debería ayudarte una persona. Te paso ahora con alguien de nuestro equipo.",
		handoffUpset:        "Siento que esto haya sido frustrante. Llamo a una persona que pueda resolverlo contigo.",
		handoffCircles:      "Parece que no he podido ayudarte con esto, así que llamo a una persona.",
		handoffActionFailed: "No puedo acceder a nuestros sistemas ahora mismo, así que te paso con una persona que lo revise por ti.",
		handoffNotVerified:  "No puedo ver los datos de la cuenta sin saber que eres tú, así que te paso con una persona que pueda ayudarte.",
		handoffDefault:      "No estoy seguro de poder responder bien a eso, así que te paso con una persona.",
		outOfScope:          "Puedo ayudarte con preguntas sobre tu cuenta, tarjetas, pagos y reembolsos. ¿Me cuentas un poco más sobre lo que necesitas? También puedes pedir una persona en cualquier momento.",
		clarifyOne:          "Para asegurarme de entenderte: ¿tu pregunta es sobre %s?",
		clarifyTwo:          "Para asegurarme de entenderte: ¿tu pregunta es sobre %s o sobre %s?",
		clarifyOpen:         "¿Me cuentas un poco más sobre lo que necesitas?",
		signIn:              "Para consultarlo necesito saber que eres tú. Inicia sesión en tu cuenta y abre el chat desde allí — o pulsa «Talk to a person» y alguien de nuestro equipo te ayudará.",
		signInHint:          "Para verlo en tu propia cuenta, inicia sesión y abre el chat desde allí.",
		noTranslation:       "Todavía no tengo esta respuesta en %s, así que aquí la tienes en inglés. Si prefieres hablar con una persona, dímelo o pulsa «Talk to a person».",
		offerPerson:         "Si esto no lo resuelve, puedo pasarte con una persona — dímelo o pulsa «Talk to a person».",
		gladToHelp:          "¡Me alegra haberte ayudado! Si necesitas algo más, escribe aquí.",
		accountSource:       "Tu cuenta",
		greeting:            "¡Hola, %s!",
		greetingAnon:        "¡Hola!",
		draftDefault:        "Gracias por esperar — he leído la conversación y sigo yo desde aquí.",
		draftCircles:        "Siento que las respuestas anteriores no lo resolvieran. He leído toda la conversación, así que no tienes que repetir nada.",
		draftUpset:          "Siento las molestias. He leído la conversación y lo resolveré contigo.",
		draftSensitive:      "Siento que estés pasando por esto. He leído lo que escribiste y te ayudaré personalmente.",
		draftAction:         "Nuestro sistema no ha respondido ahora mismo, así que reviso tu cuenta yo mismo.",
		draftTopic:          "Veo que tu pregunta es sobre «%s».",
		draftClose:          "Reviso los detalles y te respondo enseguida.",
		draftArticleClose:   "¿Responde esto a tu pregunta? Dime si algo no queda claro.",
		languageNames:       map[string]string{"en": "inglés", "sv": "sueco", "de": "alemán", "es": "español", "fr": "francés"},
	},
}

// Phrased reports whether the assistant has words of its own in lang.
func Phrased(lang string) bool { _, ok := phrasebook[lang]; return ok }

func words(lang string) phrases {
	if p, ok := phrasebook[lang]; ok {
		return p
	}
	return phrasebook["en"]
}

func (p phrases) languageName(code string) string {
	if n, ok := p.languageNames[code]; ok {
		return n
	}
	return code
}

// greet opens a draft with the customer's first name when known.
func (p phrases) greet(name string) string {
	first := strings.Fields(name)
	if len(first) == 0 {
		return p.greetingAnon
	}
	return fmt.Sprintf(p.greeting, first[0])
}
