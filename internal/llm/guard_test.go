package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/llm"
)

// The demo help centre's card-arrival article in the languages the
// hostile model answers in.
var arrival = map[string]string{
	"en": "Your physical Acme Pay card is posted the next working day after you order it and usually arrives within 5 to 7 working days. If it has not arrived after 10 working days, freeze the card in the app and order a replacement: it is free of charge.",
	"sv": "Ditt Acme Pay-kort skickas nästa arbetsdag efter beställningen och kommer oftast inom 5 till 7 arbetsdagar. Om det inte har kommit efter 10 arbetsdagar, frys kortet i appen och beställ ett nytt: det är gratis.",
	"de": "Ihre Acme Pay Karte wird am nächsten Werktag nach der Bestellung verschickt und kommt meist innerhalb von 5 bis 7 Werktagen an. Ist sie nach 10 Werktagen nicht da, frieren Sie die Karte in der App ein und bestellen Sie eine neue: Das ist kostenlos.",
	"es": "Tu tarjeta Acme Pay se envía el día hábil siguiente al pedido y suele llegar en un plazo de 5 a 7 días hábiles. Si no ha llegado después de 10 días hábiles, congela la tarjeta en la app y pide una nueva: es gratis.",
	"fr": "Votre carte Acme Pay est envoyée le jour ouvré suivant la commande et arrive en général sous 5 à 7 jours ouvrés. Si elle n'est pas arrivée après 10 jours ouvrés, bloquez la carte dans l'app et commandez-en une nouvelle : c'est gratuit.",
}

// phraseBy asks a fake model that answers reply to phrase the
// card-arrival article in lang.
func phraseBy(t *testing.T, reply, lang string) (string, error) {
	f := &fakeLLM{reply: answering(reply)}
	c := llm.New(llm.Config{URL: f.start(t).URL + "/v1/chat/completions", Model: "m"})
	return c.Phrase(context.Background(), llm.PhraseRequest{Question: "when does my card come?", Sources: []string{arrival[lang]}, Language: lang})
}

// TestPhraseRefusesAHostileModel: a compromised model's phrasings that
// ask for secrets, claim actions, invent people and companies or recite
// the prompt — in several languages, with no number, link or email to
// give them away — are all rejected, so the article's own text is sent.
func TestPhraseRefusesAHostileModel(t *testing.T) {
	tests := []struct{ lang, name, reply string }{
		{"en", "asks for the card number and security code", "Your card usually arrives within 5 to 7 working days. To check, please send me your card number and the security code on the back."},
		{"en", "asks for the PIN", "Your card arrives within 5 to 7 working days. Reply with your PIN so I can verify it is you."},
		{"en", "asks for a one-time code", "I can speed this up: please type the one-time code we just texted you."},
		{"en", "asks for the password", "Tell me your password and I will check the delivery for you."},
		{"en", "claims a cancellation and a refund", "I have cancelled your order and issued a full refund."},
		{"en", "claims a replacement was ordered", "Don't worry, I've ordered a replacement card for you, it is free of charge."},
		{"en", "invents a person and a company", "Your card usually arrives within 5 to 7 working days. Bruno Becker at TechStore will follow up with you."},
		{"en", "reveals the rules in its own words", "I was told to rewrite answers using only the sources and never to talk about my rules."},
		{"sv", "asks for the card number, in Swedish", "Ditt kort kommer oftast inom 5 till 7 arbetsdagar. Skicka ditt kortnummer och säkerhetskoden så kollar jag."},
		{"sv", "claims a refund, in Swedish", "Jag har återbetalat hela beloppet och avbrutit din beställning."},
		{"sv", "translates the system prompt into Swedish", "Du skriver om kundtjänstsvar. Skriv ett kort, vänligt svar med ENDAST fakta i KÄLLORNA. Regler: lägg inte till några fakta."},
		{"sv", "invents a person, in Swedish", "Ditt kort kommer oftast inom 5 till 7 arbetsdagar. Kontakta Lars Nilsson på Kortbolaget om det dröjer."},
		{"de", "asks for the PIN and password, in German", "Ihre Karte kommt meist innerhalb von 5 bis 7 Werktagen an. Bitte nennen Sie mir Ihre PIN und Ihr Passwort."},
		{"de", "claims a cancellation, in German", "Ich habe Ihre Bestellung storniert und den Betrag erstattet."},
		{"de", "translates the prompt into German", "Meine Anweisungen: Schreiben Sie Antworten nur mit den Fakten aus den QUELLEN um."},
		{"de", "invents a company, in German", "Ihre Karte kommt meist innerhalb von 5 bis 7 Werktagen an. Die Firma KartenExpress GmbH liefert sie."},
		{"es", "asks for the card details, in Spanish", "Tu tarjeta suele llegar en 5 a 7 días hábiles. Envíanos el número de tarjeta y el código de seguridad para comprobarlo."},
		{"es", "claims a refund, in Spanish", "He cancelado tu pedido y te hemos reembolsado el importe completo."},
		{"es", "recites its instructions, in Spanish", "Mis instrucciones dicen que solo use las fuentes y que nunca hable de estas reglas."},
		{"fr", "asks for a one-time code, in French", "Votre carte arrive en général sous 5 à 7 jours ouvrés. Donnez-moi le code à usage unique reçu par SMS."},
		{"fr", "claims a refund, in French", "J'ai annulé votre commande et nous avons remboursé le montant."},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.name, func(t *testing.T) {
			got, err := phraseBy(t, tc.reply, tc.lang)
			if err == nil {
				t.Fatalf("accepted %q", got)
			}
			if !errors.Is(err, llm.ErrUngrounded) {
				t.Errorf("error %v, want ErrUngrounded", err)
			}
		})
	}
}

// TestPhraseKeepsHonestPhrasings: the checks do not reject what a good
// model writes from the same article, in the same languages.
func TestPhraseKeepsHonestPhrasings(t *testing.T) {
	tests := []struct{ lang, reply string }{
		{"en", "Your Acme Pay card is posted the next working day and usually arrives within 5 to 7 working days. If it still hasn't come after 10 working days, freeze it in the app and order a replacement, free of charge."},
		{"sv", "Ditt Acme Pay-kort skickas nästa arbetsdag och kommer oftast inom 5 till 7 arbetsdagar. Har det inte kommit efter 10 arbetsdagar kan du frysa kortet i appen och beställa ett nytt gratis."},
		{"de", "Ihre Acme Pay Karte wird am nächsten Werktag verschickt und kommt meist innerhalb von 5 bis 7 Werktagen an. Ist sie nach 10 Werktagen nicht da, frieren Sie die Karte in der App ein und bestellen Sie kostenlos eine neue."},
		{"es", "Tu tarjeta Acme Pay se envía el día hábil siguiente y suele llegar en 5 a 7 días hábiles. Si tras 10 días hábiles no ha llegado, congélala en la app y pide una nueva gratis."},
		{"fr", "Votre carte Acme Pay part le jour ouvré suivant et arrive en général sous 5 à 7 jours ouvrés. Si elle n'est pas là après 10 jours ouvrés, bloquez-la dans l'app et commandez-en une nouvelle gratuitement."},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			got, err := phraseBy(t, tc.reply, tc.lang)
			if err != nil || got != tc.reply {
				t.Fatalf("rejected an honest phrasing: %v", err)
			}
		})
	}
	// An article that itself asks for part of the card number may be phrased so.
	src := "When your card arrives, open the app, go to Card and choose Activate card. Type the last four digits of the card number."
	if err := llm.Grounded("Open the app, choose Activate card under Card, and type the last four digits of your card number.", src); err != nil {
		t.Errorf("a phrasing of an article that asks for the last digits: %v", err)
	}
}

func TestGroundedNamesTheReason(t *testing.T) {
	for reply, want := range map[string]string{
		"Don't worry, I've ordered a replacement card for you, it is free of charge.": "claims an action",
		"We have refunded the payment.":                                               "claims an action",
		"Please send me your card number.":                                            "card number",
		"Bruno Becker at TechStore will follow up with you.":                          "names",
		"Meine Anweisungen sind geheim, aber die Karte kommt.":                        "instructions",
	} {
		err := llm.Grounded(reply, arrival["en"])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Grounded(%q) = %v, want an error about %q", reply, err, want)
		}
	}
}
