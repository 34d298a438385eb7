package knowledge

// Synonyms customers use for the words help articles use. A query word
// also matches its synonyms, at a discount, and counts once: a question
// about a "stolen wallet" matches an article about a card "lost or
// stolen", "the ATM ate my card" one about a cash machine that kept it.
// Each group is a set of words that mean the same thing in a support
// question; they are stemmed like everything else.
var synonymGroups = map[string][][]string{
	"en": {
		{"arrive", "come", "receive", "deliver", "delivery", "get"},
		{"stolen", "stole", "steal", "theft", "thief", "robbed", "nicked"},
		{"lost", "lose", "missing", "misplaced"},
		{"kept", "swallowed", "ate", "eaten", "retained", "captured", "stuck"},
		{"physical", "plastic"},
		{"spare", "second", "extra", "additional", "another"},
		{"declined", "rejected", "refused", "denied"},
		{"machine", "atm", "cashpoint"},
		{"recipient", "friend", "beneficiary", "payee"},
		{"top", "add", "load", "fund"},
		{"compromised", "leaked", "exposed", "hacked", "skimmed", "cloned"},
		{"fee", "charge", "cost", "price", "commission"},
		{"close", "delete", "terminate", "remove"},
		{"password", "passcode", "login"},
		{"phone", "mobile", "iphone", "android", "smartphone"},
		{"expire", "expiry", "expiration", "expires"},
		{"twice", "double", "duplicate"},
		{"pending", "processing", "waiting"},
		{"identity", "id", "kyc"},
		{"contactless", "tap", "nfc"},
		{"withdraw", "withdrawal"},
		{"refund", "reimburse", "reimbursement"},
		{"wrong", "incorrect"},
	},
	"sv": {
		{"stulet", "stulen", "stal", "stöld", "stulits"},
		{"borttappat", "tappat", "tappade", "förlorat", "borta"},
		{"debiterats", "dragen", "drogs", "dragits", "debiterad"},
		{"nekades", "nekad", "avvisad", "avslogs"},
		{"återbetalning", "pengarna", "retur"},
		{"kommit", "kommer", "fått", "levererat"},
		{"spärrad", "låst", "blockerad"},
		{"lösenord", "inloggning"},
	},
	"de": {
		{"gestohlen", "geklaut", "diebstahl", "gestohlene"},
		{"verloren", "verlegt", "weg"},
		{"abgelehnt", "zurückgewiesen", "verweigert"},
		{"erstattung", "rückerstattung", "rückzahlung"},
		{"angekommen", "kommt", "erhalten", "geliefert", "zugestellt"},
		{"gesperrt", "blockiert"},
		{"doppelt", "zweimal"},
		{"passwort", "kennwort"},
	},
	"es": {
		{"robado", "robaron", "robo", "robada"},
		{"perdido", "perdí", "pérdida", "extraviado"},
		{"rechazado", "rechazaron", "rechazó", "denegado"},
		{"cobrado", "cobraron", "cobro", "cargo"},
		{"llegado", "llega", "recibido", "recibo", "entregado"},
		{"contraseña", "clave"},
	},
}

// synonyms maps, per language, a stem to the other stems of its groups.
var synonyms = func() map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for lang, groups := range synonymGroups {
		m := map[string][]string{}
		for _, g := range groups {
			var stems []string
			for _, w := range g {
				s := Stem(w, lang)
				dup := false
				for _, x := range stems {
					dup = dup || x == s
				}
				if !dup {
					stems = append(stems, s)
				}
			}
			for _, s := range stems {
				for _, o := range stems {
					if o != s {
						m[s] = append(m[s], o)
					}
				}
			}
		}
		out[lang] = m
	}
	return out
}()

// synonymWeight discounts a match through a synonym.
const synonymWeight = 0.7
