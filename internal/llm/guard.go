package llm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a phrasing must never do, whatever the model was told or tricked
// into: ask for secrets, claim an action nobody performed, name people or
// companies its sources do not, or talk about its instructions — in any of
// the languages the assistant speaks. The checks are deliberately blunt: a
// phrasing they reject costs nothing but style (the source's own text is
// sent); one they let through can cost a customer their money.

// secretTerms name what a customer must never be asked for in a chat.
var secretTerms = regexp.MustCompile(`(?i)\b(` + strings.Join([]string{
	// English
	`card ?numbers?`, `full card details`, `card details`, `cvv2?`, `cvc2?`, `security codes?`, `pin(?: ?code)?s?`, `passwords?`, `passcodes?`,
	`one[- ]time (?:pass)?codes?`, `one[- ]time passwords?`, `otps?`, `verification codes?`, `sms codes?`, `login codes?`, `expiry date`,
	// Swedish, Danish, Norwegian
	`kortnummer(?:et)?`, `kortuppgifter(?:na)?`, `säkerhetskod(?:en)?`, `pinkod(?:en)?`, `lösenord(?:et)?`, `engångskod(?:en)?`, `verifieringskod(?:en)?`,
	`kodeord(?:et)?`, `adgangskode(?:n)?`, `passord(?:et)?`, `engangskode(?:n)?`, `sikkerhedskode(?:n)?`, `sikkerhetskode(?:n)?`,
	// German, Dutch
	`kartennummer`, `kreditkartennummer`, `kartendaten`, `sicherheitscode`, `prüfnummer`, `passwort`, `kennwort`, `einmalcode`, `einmalpasswort`, `tan`,
	`kaartnummer`, `beveiligingscode`, `wachtwoord`, `eenmalige code`,
	// Spanish, Portuguese, Italian, French
	`número de (?:la )?tarjeta`, `datos de (?:la )?tarjeta`, `código de seguridad`, `contraseña`, `clave`, `código (?:de un solo uso|de verificación|sms)`,
	`número do cartão`, `código de segurança`, `senha`, `numero della carta`, `codice di sicurezza`, `password`, `codice (?:otp|di verifica)`,
	`numéro de (?:la )?carte`, `données de (?:la )?carte`, `cryptogramme`, `code de sécurité`, `mot de passe`, `code (?:à usage unique|de vérification|sms)`,
	// Polish, Finnish
	`numer karty`, `kod cvv`, `hasło`, `hasła`, `kod jednorazowy`, `kortin numero`, `turvakoodi`, `salasana`, `kertakäyttökoodi`, `tunnusluku`,
}, "|") + `)\b`)

// askVerbs are requests to hand something over, in the chat languages.
var askVerbs = regexp.MustCompile(`(?i)\b(` + strings.Join([]string{
	`send`, `share`, `give`, `provide`, `tell`, `reply with`, `type`, `enter`, `confirm`, `write`, `post`, `need your`, `read out`,
	`skicka`, `ange`, `uppge`, `skriv`, `berätta`, `dela`, `bekräfta`, `send`, `oplys`, `del`, `opgiv`,
	`senden`, `schicken`, `geben sie`, `teilen`, `nennen`, `schreiben`, `bestätigen`, `angeben`, `mitteilen`, `stuur`, `geef`, `deel`,
	`envía`, `envíe`, `envíanos`, `envíame`, `manda`, `dame`, `danos`, `facilita`, `facilítanos`, `comparte`, `indica`, `indícanos`, `escribe`, `confirma`,
	`envie`, `informe`, `invia`, `inviaci`, `fornisci`, `comunica`, `scrivi`, `conferma`,
	`envoyez`, `envoie`, `donnez`, `communiquez`, `indiquez`, `écrivez`, `confirmez`, `transmettez`,
	`wyślij`, `podaj`, `przekaż`, `lähetä`, `kerro`, `anna`, `vahvista`,
}, "|") + `)\b`)

// actionClaims are first-person claims that something was done: only an
// action the desk ran can do anything, and its result is a source. (A
// claim ends at a non-letter: \b only knows ASCII letters.)
var actionClaims = regexp.MustCompile(`(?i)(` + strings.Join([]string{
	`\b(?:i|we)(?: have|'ve|’ve| ve)?(?: just| already| now| also)? (?:cancel+ed|refunded|issued|processed|blocked|frozen|froze|unblocked|unfrozen|changed|updated|sent|transferred|reversed|credited|debited|closed|reset|ordered|activated|approved|fixed|resolved|escalated|reported|deleted|removed|increased|raised|lowered|waived|arranged|booked|paid|replaced|disputed|initiated|submitted|opened|filed)`,
	`\b(?:jag|vi) (?:har )?(?:nu |redan )?(?:avbokat|avbrutit|annullerat|återbetalat|betalat tillbaka|spärrat|fryst|låst upp|ändrat|uppdaterat|skickat|överfört|krediterat|stängt|återställt|beställt|aktiverat|godkänt|fixat|löst|anmält|tagit bort|höjt|sänkt|ersatt|bestridit)`,
	`\b(?:ich|wir) (?:habe|haben) (?:\S+ ){0,4}(?:storniert|erstattet|zurückerstattet|gesperrt|entsperrt|eingefroren|geändert|aktualisiert|gesendet|geschickt|überwiesen|gutgeschrieben|geschlossen|zurückgesetzt|bestellt|aktiviert|genehmigt|behoben|gelöst|gemeldet|gelöscht|erhöht|veranlasst|ersetzt|eingeleitet)`,
	`\b(?:he|hemos|ya he|ya hemos) (?:\S+ ){0,2}?(?:cancelado|anulado|reembolsado|devuelto|emitido|procesado|bloqueado|desbloqueado|congelado|cambiado|actualizado|enviado|transferido|abonado|cerrado|restablecido|pedido|activado|aprobado|solucionado|resuelto|reportado|eliminado|aumentado|reemplazado|iniciado|tramitado)`,
	`\b(?:j'ai|j’ai|nous avons) (?:\S+ ){0,2}?(?:annulé|remboursé|émis|traité|bloqué|débloqué|gelé|modifié|mis à jour|envoyé|transféré|crédité|fermé|réinitialisé|commandé|activé|approuvé|résolu|signalé|supprimé|augmenté|remplacé|lancé)`,
	`\b(?:ho|abbiamo) (?:\S+ ){0,2}?(?:annullato|rimborsato|emesso|bloccato|sbloccato|modificato|inviato|trasferito|accreditato|chiuso|attivato|risolto)`,
	`\b(?:eu )?(?:cancelei|reembolsei|bloqueei|enviei|transferi|ativei|resolvi)`, `\b(?:temos|tenho) (?:cancelado|reembolsado|bloqueado|enviado)`,
	`\b(?:ik heb|wij hebben|we hebben) (?:\S+ ){0,3}?(?:geannuleerd|terugbetaald|geblokkeerd|gewijzigd|verzonden|overgemaakt|gesloten|geactiveerd|opgelost)`,
	`\b(?:anulowałem|anulowałam|zwróciłem|zwróciłam|zablokowałem|zablokowałam|wysłałem|wysłałam|przelałem|przelałam)`,
	`\b(?:olen|olemme) (?:\S+ ){0,2}?(?:peruuttanut|peruuttaneet|palauttanut|palauttaneet|estänyt|lähettänyt|siirtänyt|sulkenut|aktivoinut)`,
}, "|") + `)(?:[^\p{L}]|$)`)

// promptTerms are words for instructions, rules and sources — what a
// model reveals when it recites or translates its prompt.
var promptTerms = []string{
	"prompt", "instruction", "instruktion", "instruks", "anweisung", "instrucci", "consigne", "istruzion", "instrukcj", "instructie", "ohje",
	"my rules", "these rules", "mina regler", "dessa regler", "reglerna", "meine regeln", "diese regeln", "regeln:", "mis reglas", "estas reglas",
	"reglas:", "mes règles", "ces règles", "règles :", "le mie regole", "queste regole", "zasady", "sääntö",
	"sources", "källor", "källorna", "kilder", "quellen", "fuentes", "fontes", "fonti", "bronnen", "źródł", "lähte",
	"language given", "customer-support answers", "kundtjänstsvar", "kundendienst-antworten", "respuestas de atención al cliente",
}

// guard checks a phrasing against the sources (and the customer's own
// words, which may name them): see the comment at the top of this file.
func guard(reply, question string, sources []string) error {
	known := strings.ToLower(strings.Join(sources, "\n"))
	lower := strings.ToLower(reply)
	for _, sentence := range splitSentences(reply) {
		secrets := secretTerms.FindAllString(sentence, -1)
		for _, s := range secrets {
			if !strings.Contains(known, strings.ToLower(s)) {
				return fmt.Errorf("%w: it mentions %q, which the sources do not", ErrUngrounded, s)
			}
		}
		if len(secrets) > 0 && askVerbs.MatchString(sentence) && !sourcesAsk(sources, secrets) {
			return fmt.Errorf("%w: it asks for %q", ErrUngrounded, secrets[0])
		}
	}
	if m := strings.TrimRightFunc(actionClaims.FindString(reply), func(r rune) bool { return !unicode.IsLetter(r) }); m != "" && !strings.Contains(known, strings.ToLower(m)) {
		return fmt.Errorf("%w: it claims an action nobody performed (%q)", ErrUngrounded, m)
	}
	for _, p := range promptTerms {
		if strings.Contains(lower, p) && !strings.Contains(known, p) {
			return fmt.Errorf("%w: it talks about its instructions (%q)", ErrUngrounded, p)
		}
	}
	if n := unknownName(reply, known+"\n"+strings.ToLower(question)); n != "" {
		return fmt.Errorf("%w: it names %q, whom the sources do not", ErrUngrounded, n)
	}
	return nil
}

// sourcesAsk reports whether a source sentence itself asks for the same
// secret ("type the last four digits of the card number").
func sourcesAsk(sources []string, secrets []string) bool {
	for _, src := range sources {
		for _, s := range splitSentences(src) {
			if !askVerbs.MatchString(s) {
				continue
			}
			for _, want := range secrets {
				if strings.Contains(strings.ToLower(s), strings.ToLower(want)) {
					return true
				}
			}
		}
	}
	return false
}

// unknownName finds a name the sources do not know: a capitalised word
// inside a sentence (or a word capitalised inside, "TechStore"), not in
// the known text. German capitalises every noun, so there only a word
// with a capital inside it, or two capitalised words in a row, count.
func unknownName(reply, known string) string {
	for _, sentence := range splitSentences(reply) {
		words := strings.FieldsFunc(sentence, func(r rune) bool {
			return !unicode.IsLetter(r) && r != '\'' && r != '’'
		})
		prevCap := false
		for i, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			capital := unicode.IsUpper(r) && utf8.RuneCountInString(w) > 1
			camel := hasInnerCapital(w)
			unknown := !strings.Contains(known, strings.ToLower(w))
			if unknown && (camel || capital && i > 0 && (!nounsCapitalised(sentence) || prevCap)) && !allCaps(w) {
				return w
			}
			prevCap = capital && i > 0 && unknown
		}
	}
	return ""
}

func hasInnerCapital(w string) bool {
	for i, r := range w {
		if i > 0 && unicode.IsUpper(r) {
			return !allCaps(w)
		}
	}
	return false
}

// allCaps: an acronym ("IBAN", "PIN") is not a name; secrets and numbers
// have checks of their own.
func allCaps(w string) bool {
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// nounsCapitalised reports whether the sentence reads as German, where
// every noun has a capital.
func nounsCapitalised(sentence string) bool {
	l := " " + strings.ToLower(sentence) + " "
	for _, w := range []string{" sie ", " ihre ", " ihr ", " und ", " der ", " die ", " das ", " ist ", " nicht ", " mit ", " ich "} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// splitSentences splits text at sentence ends and line breaks.
func splitSentences(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' || r == ':' })
}
