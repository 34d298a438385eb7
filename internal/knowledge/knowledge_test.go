package knowledge_test

import (
	"testing"

	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
)

func articles() []*model.Article {
	return []*model.Article{
		{ID: 1, Title: "When will my card arrive?", Body: "Cards are delivered within 5 working days of ordering.", Language: "en", Intents: []string{"card_arrival"}, Published: true},
		{ID: 2, Title: "How do refunds work?", Body: "When a store refunds a purchase, the refunded amount is taken off your plan.", Language: "en", Intents: []string{"request_refund"}, Published: true},
		{ID: 3, Title: "Draft about card fees", Body: "Unpublished card draft.", Language: "en", Published: false},
		{ID: 4, Title: "Hur fungerar återbetalningar?", Body: "När en butik gör en återbetalning dras beloppet av från din plan.", Language: "sv", Published: true},
		{ID: 5, Title: "Mitt kort är borttappat eller stulet", Body: "Frys kortet direkt i appen. Du får ett nytt kort utan kostnad.", Language: "sv", Published: true},
		{ID: 6, Title: "Wie funktionieren Rückerstattungen?", Body: "Erstattet ein Geschäft einen Einkauf, wird der Betrag von Ihrer offenen Summe abgezogen.", Language: "de", Published: true},
		{ID: 7, Title: "Meine Karte ist verloren oder gestohlen", Body: "Frieren Sie Ihre Karte sofort in der App ein. Die Karte wird gesperrt.", Language: "de", Published: true},
		{ID: 8, Title: "¿Cómo funcionan los reembolsos?", Body: "Cuando una tienda reembolsa una compra, el importe se descuenta de lo que te queda por pagar.", Language: "es", Published: true},
		{ID: 9, Title: "He perdido mi tarjeta o me la han robado", Body: "Congela tu tarjeta enseguida en la app.", Language: "es", Published: true},
		{ID: 10, Title: "Activating your card", Body: "Open the app and choose Activate card. Activation takes a minute.", Language: "en", Intents: []string{"activate_my_card"}, Published: true},
		{ID: 11, Title: "PIN blocked", Body: "If you typed a wrong PIN three times it is blocked; unblock it in the app.", Language: "en", Published: true},
	}
}

func TestSearchRanksTheMatchingArticleFirst(t *testing.T) {
	idx := knowledge.NewIndex(articles())
	if idx.Len() != 10 {
		t.Fatalf("Len = %d, want 10 (drafts are not indexed)", idx.Len())
	}
	tests := []struct {
		query, lang string
		want        int64
	}{
		{"my card has not arrived yet", "", 1},
		{"I was refunded by the store, how does that work", "", 2},
		{"REFUNDING a purchase", "en", 2},
		{"how do I activate the card I received", "en", 10},
		{"activation of my new card", "en", 10},
		{"my pin is blocked after wrong attempts", "en", 11},
		// Swedish: inflections meet ("återbetalningen", "återbetalningar"; "kortet", "kort").
		{"återbetalningen syns inte", "sv", 4},
		{"jag har tappat bort kortet", "sv", 5},
		// German: inflections and compounds ("Rückerstattung" and "Erstattung";
		// umlauts optional), past participles ("gestohlen" as it is, "gesperrt" → "sperr").
		{"Wann bekomme ich meine Erstattung?", "de", 6},
		{"Ruckerstattungen", "de", 6},
		{"Karte gestohlen, was tun?", "de", 7},
		// Spanish: plurals and accents ("reembolso", "reembolsos"; "cómo", "como").
		{"como funciona un reembolso", "es", 8},
		{"perdí mis tarjetas", "es", 9},
	}
	for _, tc := range tests {
		hits := idx.Search(tc.query, tc.lang, 3)
		if len(hits) == 0 || hits[0].Article.ID != tc.want {
			var got []int64
			for _, h := range hits {
				got = append(got, h.Article.ID)
			}
			t.Errorf("Search(%q, %q) = %v, want article %d first", tc.query, tc.lang, got, tc.want)
		}
	}
}

func TestSearchLanguageFilter(t *testing.T) {
	idx := knowledge.NewIndex(articles())
	for _, h := range idx.Search("kort återbetalning karte reembolso card refund", "sv", 10) {
		if h.Article.Language != "sv" {
			t.Errorf("a Swedish search returned %s article %d", h.Article.Language, h.Article.ID)
		}
	}
	if hits := idx.Search("refund", "fr", 3); len(hits) != 0 {
		t.Errorf("no French articles, got %v", hits)
	}
}

func TestSearchCoverage(t *testing.T) {
	idx := knowledge.NewIndex(articles())
	full := idx.Search("card arrive", "en", 1)
	if len(full) != 1 || full[0].Coverage < 0.99 || full[0].Matched != 2 {
		t.Fatalf("every query term matched: got %+v", full)
	}
	part := idx.Search("card pizza", "en", 1)
	if len(part) != 1 || part[0].Coverage >= full[0].Coverage {
		t.Fatalf("half the query unmatched should lower coverage: got %+v", part)
	}
	if hits := idx.Search("the and of", "", 3); hits != nil {
		t.Fatalf("stop words alone should match nothing, got %v", hits)
	}
	if hits := idx.Search("weather poem", "", 3); len(hits) != 0 {
		t.Fatalf("unrelated words should match nothing, got %v", hits)
	}
}

func TestTermsStemsAndDropsStopWords(t *testing.T) {
	got := knowledge.Terms("The refunds were REFUNDED, refunding boxes!")
	want := []string{"refund", "refund", "refund", "box"}
	if len(got) != len(want) {
		t.Fatalf("Terms = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Terms = %v, want %v", got, want)
		}
	}
}

// TestStem: the forms customers write meet; different words stay apart.
func TestStem(t *testing.T) {
	same := map[string][][]string{
		"en": {
			{"arrive", "arrived", "arriving", "arrival", "arrives"},
			{"verify", "verified", "verifies", "verification"},
			{"charge", "charged", "charges", "charging"},
			{"activate", "activated", "activation"},
			{"deliveries", "delivery"},
			{"cancel", "cancelled", "canceled", "cancelling"},
			{"stop", "stopped", "stopping"},
			{"box", "boxes"},
		},
		"sv": {
			{"återbetalning", "återbetalningar", "återbetalningen", "återbetalningarna"},
			{"kort", "kortet", "korten", "kortets"},
			{"betalning", "betalningar", "betala"},
			{"spärra", "spärrat", "spärrade"},
			{"arbetsdag", "arbetsdagar"},
		},
		"de": {
			{"Rückerstattung", "Rückerstattungen", "ruckerstattung"},
			{"Karte", "Karten"},
			{"Zahlung", "Zahlungen"},
			{"bestellen", "bestellt"},
			{"sperren", "gesperrt"},
			{"erstatten", "erstattet", "Erstattung"},
		},
		"es": {
			{"reembolso", "reembolsos", "reembolsar", "reembolsado"},
			{"tarjeta", "tarjetas"},
			{"llegar", "llegará", "llegado"},
			{"pago", "pagos", "pagar"},
			{"bloquear", "bloqueada", "bloqueado"},
		},
	}
	for lang, groups := range same {
		for _, g := range groups {
			want := knowledge.Stem(lower(g[0]), lang)
			for _, w := range g[1:] {
				if got := knowledge.Stem(lower(w), lang); got != want {
					t.Errorf("%s: Stem(%q) = %q, Stem(%q) = %q; want them equal", lang, g[0], want, w, got)
				}
			}
		}
	}
	apart := []struct{ lang, a, b string }{
		{"en", "card", "care"}, {"en", "transfer", "transit"}, {"en", "pin", "pine"},
		{"sv", "kort", "konto"}, {"de", "Karte", "Konto"}, {"es", "pago", "página"},
	}
	for _, p := range apart {
		if knowledge.Stem(lower(p.a), p.lang) == knowledge.Stem(lower(p.b), p.lang) {
			t.Errorf("%s: %q and %q stem alike (%q)", p.lang, p.a, p.b, knowledge.Stem(lower(p.a), p.lang))
		}
	}
}

func lower(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r >= 'A' && r <= 'Z' {
			out[i] = r + 32
		}
		if r == 'Ü' {
			out[i] = 'ü'
		}
	}
	return string(out)
}
