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

	// Choices of a question back and what follows them.
	choiceOther, choicePerson, askRephrase, whichOne string

	// Where a hand-over stands: someone online (with an expected wait, %s),
	// nobody online, and the email follow-up when mail is on.
	queueOnline, queueOnlineWait, queueNobody, queueEmail string
	waitUnderMinute, waitMinutes                          string

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
		handoffHuman:        "Of course — I've asked a person from our team to take over.",
		handoffSensitive:    "This is something a person should help you with, so I've passed your conversation to our team.",
		handoffUpset:        "I'm sorry this has been frustrating. I've asked a person who can sort it out with you to take over.",
		handoffCircles:      "It looks like I haven't been able to help with this, so I've asked a person to take over.",
		handoffActionFailed: "I couldn't reach our systems just now, so I've asked a person who can check for you to take over.",
		handoffNotVerified:  "I can't look at account details without knowing it's you, so I've asked a person who can help to take over.",
		handoffDefault:      "I'm not sure I can answer that well, so I've asked a person to take over.",
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
		choiceOther:         "Something else",
		choicePerson:        "Talk to a person",
		askRephrase:         "Sorry I didn't get it right. Could you tell me your question in other words?",
		whichOne:            "Which one do you mean? Tap one of the options below.",
		queueOnline:         "Someone from our team is online and will reply here.",
		queueOnlineWait:     "Someone from our team is online and will reply here — expected wait %s.",
		queueNobody:         "Nobody from our team is online right now: your conversation is in the queue, and we'll answer here as soon as someone is back.",
		queueEmail:          "You can also leave your email address to get the answer by email.",
		waitUnderMinute:     "under a minute",
		waitMinutes:         "about %d min",
	},
	"sv": {
		handoffHuman:        "Självklart — jag har bett en person i vårt team att ta över.",
		handoffSensitive:    "Det här ska en person hjälpa dig med, så jag har lämnat över ärendet till vårt team.",
		handoffUpset:        "Jag beklagar att det här har varit frustrerande. Jag har bett en person som kan lösa det med dig att ta över.",
		handoffCircles:      "Det verkar som att jag inte har kunnat hjälpa dig med det här, så jag har bett en person att ta över.",
		handoffActionFailed: "Jag når inte våra system just nu, så jag har bett en person som kan kontrollera åt dig att ta över.",
		handoffNotVerified:  "Jag kan inte titta på kontouppgifter utan att veta att det är du, så jag har bett en person som kan hjälpa dig att ta över.",
		handoffDefault:      "Jag är inte säker på att jag kan svara bra på det, så jag har bett en person att ta över.",
		outOfScope:          "Jag kan hjälpa till med frågor om ditt konto, kort, betalningar och återbetalningar. Kan du berätta lite mer om vad du behöver? Du kan också be om en person när som helst.",
		clarifyOne:          "Bara så att jag förstår rätt: gäller din fråga %s?",
		clarifyTwo:          "Bara så att jag förstår rätt: gäller din fråga %s eller %s?",
		clarifyOpen:         "Kan du berätta lite mer om vad du behöver?",
		signIn:              "För att titta på det behöver jag veta att det är du. Logga in på ditt konto och öppna chatten därifrån — eller tryck på ”Prata med en person” så hjälper någon i vårt team dig.",
		signInHint:          "Logga in och öppna chatten därifrån för att se det här för ditt eget konto.",
		noTranslation:       "Jag har inte det här svaret på %s än, så här är det på engelska. Om du hellre vill prata med en person, säg bara till eller tryck på ”Prata med en person”.",
		offerPerson:         "Om det här inte löser det kan jag koppla dig till en person — säg bara till eller tryck på ”Prata med en person”.",
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
		choiceOther:         "Något annat",
		choicePerson:        "Prata med en person",
		askRephrase:         "Förlåt att jag inte fick det rätt. Kan du beskriva din fråga med andra ord?",
		whichOne:            "Vilken menar du? Tryck på ett av alternativen nedan.",
		queueOnline:         "Någon i vårt team är online och svarar här.",
		queueOnlineWait:     "Någon i vårt team är online och svarar här — väntetid %s.",
		queueNobody:         "Ingen i vårt team är online just nu: ditt ärende står i kö, och vi svarar här så snart någon är tillbaka.",
		queueEmail:          "Du kan också lämna din e-postadress och få svaret via e-post.",
		waitUnderMinute:     "under en minut",
		waitMinutes:         "cirka %d min",
	},
	"de": {
		handoffHuman:        "Natürlich — ich habe eine Person aus unserem Team gebeten, zu übernehmen.",
		handoffSensitive:    "Dabei sollte Ihnen eine Person helfen, deshalb habe ich Ihr Anliegen an unser Team übergeben.",
		handoffUpset:        "Es tut mir leid, dass das so ärgerlich war. Ich habe eine Person gebeten, das mit Ihnen zu klären.",
		handoffCircles:      "Anscheinend konnte ich Ihnen dabei nicht helfen, deshalb habe ich eine Person gebeten, zu übernehmen.",
		handoffActionFailed: "Ich erreiche unsere Systeme gerade nicht, deshalb habe ich eine Person gebeten, das für Sie zu prüfen.",
		handoffNotVerified:  "Ich kann Kontodaten nicht ansehen, ohne zu wissen, dass Sie es sind, deshalb habe ich eine Person gebeten, zu übernehmen.",
		handoffDefault:      "Ich bin nicht sicher, ob ich das gut beantworten kann, deshalb habe ich eine Person gebeten, zu übernehmen.",
		outOfScope:          "Ich helfe bei Fragen zu Ihrem Konto, Ihren Karten, Zahlungen und Erstattungen. Können Sie mir etwas mehr dazu sagen, was Sie brauchen? Sie können auch jederzeit nach einer Person fragen.",
		clarifyOne:          "Damit ich Sie richtig verstehe: Geht es bei Ihrer Frage um %s?",
		clarifyTwo:          "Damit ich Sie richtig verstehe: Geht es bei Ihrer Frage um %s oder um %s?",
		clarifyOpen:         "Können Sie mir etwas mehr dazu sagen, was Sie brauchen?",
		signIn:              "Dafür muss ich wissen, dass Sie es sind. Bitte melden Sie sich in Ihrem Konto an und öffnen Sie den Chat von dort — oder tippen Sie auf „Mit einer Person sprechen“, dann hilft Ihnen unser Team.",
		signInHint:          "Um das für Ihr eigenes Konto zu sehen, melden Sie sich an und öffnen Sie den Chat von dort.",
		noTranslation:       "Diese Antwort habe ich noch nicht auf %s, deshalb hier auf Englisch. Wenn Sie lieber mit einer Person sprechen möchten, sagen Sie es einfach oder tippen Sie auf „Mit einer Person sprechen“.",
		offerPerson:         "Falls das nicht hilft, verbinde ich Sie gern mit einer Person — sagen Sie es einfach oder tippen Sie auf „Mit einer Person sprechen“.",
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
		choiceOther:         "Etwas anderes",
		choicePerson:        "Mit einer Person sprechen",
		askRephrase:         "Entschuldigung, das habe ich nicht richtig verstanden. Können Sie Ihre Frage mit anderen Worten stellen?",
		whichOne:            "Welche meinen Sie? Tippen Sie auf eine der Möglichkeiten unten.",
		queueOnline:         "Jemand aus unserem Team ist online und antwortet hier.",
		queueOnlineWait:     "Jemand aus unserem Team ist online und antwortet hier — Wartezeit %s.",
		queueNobody:         "Gerade ist niemand aus unserem Team online: Ihr Anliegen ist in der Warteschlange, und wir antworten hier, sobald jemand da ist.",
		queueEmail:          "Sie können auch Ihre E-Mail-Adresse hinterlassen und die Antwort per E-Mail bekommen.",
		waitUnderMinute:     "unter einer Minute",
		waitMinutes:         "etwa %d Min.",
	},
	"es": {
		handoffHuman:        "Por supuesto — he pedido a una persona de nuestro equipo que se encargue.",
		handoffSensitive:    "Con esto debería ayudarte una persona, así que he pasado tu conversación a nuestro equipo.",
		handoffUpset:        "Siento que esto haya sido frustrante. He pedido a una persona que lo resuelva contigo.",
		handoffCircles:      "Parece que no he podido ayudarte con esto, así que he pedido a una persona que se encargue.",
		handoffActionFailed: "No puedo acceder a nuestros sistemas ahora mismo, así que he pedido a una persona que lo revise por ti.",
		handoffNotVerified:  "No puedo ver los datos de la cuenta sin saber que eres tú, así que he pedido a una persona que te ayude.",
		handoffDefault:      "No estoy seguro de poder responder bien a eso, así que he pedido a una persona que se encargue.",
		outOfScope:          "Puedo ayudarte con preguntas sobre tu cuenta, tarjetas, pagos y reembolsos. ¿Me cuentas un poco más sobre lo que necesitas? También puedes pedir una persona en cualquier momento.",
		clarifyOne:          "Para asegurarme de entenderte: ¿tu pregunta es sobre %s?",
		clarifyTwo:          "Para asegurarme de entenderte: ¿tu pregunta es sobre %s o sobre %s?",
		clarifyOpen:         "¿Me cuentas un poco más sobre lo que necesitas?",
		signIn:              "Para consultarlo necesito saber que eres tú. Inicia sesión en tu cuenta y abre el chat desde allí — o pulsa «Hablar con una persona» y alguien de nuestro equipo te ayudará.",
		signInHint:          "Para verlo en tu propia cuenta, inicia sesión y abre el chat desde allí.",
		noTranslation:       "Todavía no tengo esta respuesta en %s, así que aquí la tienes en inglés. Si prefieres hablar con una persona, dímelo o pulsa «Hablar con una persona».",
		offerPerson:         "Si esto no lo resuelve, puedo pasarte con una persona — dímelo o pulsa «Hablar con una persona».",
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
		choiceOther:         "Otra cosa",
		choicePerson:        "Hablar con una persona",
		askRephrase:         "Perdona, no lo he entendido bien. ¿Puedes contarme tu pregunta con otras palabras?",
		whichOne:            "¿Cuál de ellas? Pulsa una de las opciones de abajo.",
		queueOnline:         "Alguien de nuestro equipo está conectado y te responderá aquí.",
		queueOnlineWait:     "Alguien de nuestro equipo está conectado y te responderá aquí — espera estimada %s.",
		queueNobody:         "Ahora mismo no hay nadie de nuestro equipo conectado: tu conversación está en la cola y te responderemos aquí en cuanto vuelva alguien.",
		queueEmail:          "También puedes dejar tu correo electrónico para recibir la respuesta por email.",
		waitUnderMinute:     "menos de un minuto",
		waitMinutes:         "unos %d min",
	},
}

// Phrased reports whether the assistant has words of its own in lang.
func Phrased(lang string) bool { _, ok := phrasebook[lang]; return ok }

func words(lang string) phrases {
	if p, ok := phrasebook[lang]; ok {
		return withEnglish(p)
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
