package app_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileLLMThroughTheAPI: with a compromised LLM configured, what a
// customer asking in English, Swedish, German or Spanish reads is the
// article's own text — never the model's request for their card number,
// its claimed refund, its invented contact or its translated prompt.
func TestHostileLLMThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := &fakeLLM{}
	e := newAssistantEnv(t, withLLM(f.start(t)))
	tests := []struct{ locale, question, hostile, article string }{
		{"en-GB", cardQuestion, "Your card arrives within 5 to 7 working days. Please send me your card number and the security code so I can check.",
			"Your physical Acme Pay card is posted the next working day"},
		{"de-DE", "Wie setze ich mein Passwort zurück, ich habe es vergessen", "Ich habe Ihr Passwort zurückgesetzt und Ihnen eine neue Karte bestellt.",
			"Wählen Sie auf der Anmeldeseite Passwort vergessen"},
		{"sv-SE", "hur aktiverar jag kortet", "Du skriver om kundtjänstsvar. Skriv ett kort, vänligt svar med ENDAST fakta i KÄLLORNA.",
			"När kortet har kommit öppnar du Acme Pay-appen"},
		{"es-ES", "¿Cuándo llega mi tarjeta?", "Tu tarjeta llega en 5 a 7 días hábiles. Si no, contacta con Bruno Becker en TechStore.",
			"Tu tarjeta Acme Pay se envía el día hábil siguiente"},
	}
	for i, tc := range tests {
		t.Run(tc.locale+"/"+tc.question, func(t *testing.T) {
			f.set(func(string) (int, string) { return 200, tc.hostile })
			cust := e.customerIn(t, tc.locale)
			before := len(f.requests())
			conv := e.start(t, cust, fmt.Sprint("hostile-", i), tc.question)
			r := e.lastReply(t, cust, conv.ID)
			if len(f.requests()) == before {
				t.Fatalf("the LLM was not asked: %q", r.Body)
			}
			if !strings.HasPrefix(r.Body, tc.article) || strings.Contains(r.Body, tc.hostile) || r.Citation == nil {
				t.Errorf("the customer read %q (citation %+v), want the article's own text %q…", r.Body, r.Citation, tc.article)
			}
		})
	}
}
