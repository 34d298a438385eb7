package assistant

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// Deciding by article: a customer needs an answer, not an intent. Two
// intents one article answers (card_arrival and card_delivery_estimate)
// are one answer, so their calibrated probabilities add up; a question
// back offers distinct articles only, as choices the customer can tap.

// Reasons the assistant gives for what it did with a question back.
const (
	// ReasonChosen: the customer chose an article from a question back.
	ReasonChosen = "chosen"
	// ReasonAskRephrase: none of the choices fit; the assistant asked for
	// the question in other words.
	ReasonAskRephrase = "ask_rephrase"
	// ReasonAskWhich: "yes" to a question with several choices; the
	// assistant asked which one.
	ReasonAskWhich = "ask_which"
	// ReasonNoneFit: none of the choices fit and the question in other
	// words was still not clear enough to answer.
	ReasonNoneFit = "none_fit"
)

// ArticleScore is an article with the confidence that it answers the
// message: the calibrated probability mass of the intents it covers.
type ArticleScore struct {
	Article *model.Article
	Mass    float64
	// Intent is the most likely of the article's intents.
	Intent string
}

// RankArticles turns intent alternatives into articles: each intent goes
// to the article that answers it in the first of langs that has one, and
// an article's mass is the sum of its intents' confidences. Translations
// of one article count as one. Best first, each article once.
func RankArticles(articles []*model.Article, alts []triage.IntentScore, langs []string) []ArticleScore {
	var out []ArticleScore
	for _, alt := range alts {
		a := articleFor(articles, alt.Intent, langs)
		if a == nil {
			continue
		}
		i := slices.IndexFunc(out, func(s ArticleScore) bool { return s.Article.ID == a.ID || sameAnswer(s.Article, a) })
		if i < 0 {
			out = append(out, ArticleScore{Article: a, Intent: alt.Intent})
			i = len(out) - 1
		}
		out[i].Mass += alt.Confidence
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Mass > out[j].Mass })
	return out
}

// ArticleGroup maps an intent to the answer that covers it — the first
// intent of the article (and its translations) that answers it, English
// first — or "" when no published article does. With
// triage's IntentModel.GroupThreshold it derives the article-mass answer
// threshold of a workspace's help centre.
func ArticleGroup(articles []*model.Article) func(intent string) string {
	langs := []string{"en"}
	for _, a := range articles {
		if a.Published && !slices.Contains(langs, a.Language) {
			langs = append(langs, a.Language)
		}
	}
	groups := map[string]string{}
	for _, l := range langs {
		for _, a := range articles {
			if !a.Published || a.Language != l || len(a.Intents) == 0 {
				continue
			}
			for _, in := range a.Intents {
				if _, ok := groups[in]; !ok {
					groups[in] = a.Intents[0]
				}
			}
		}
	}
	return func(intent string) string { return groups[intent] }
}

// minOptionMass is the least mass an article needs to be offered as a
// choice: a 3 % guess is noise, not an option worth a customer's time.
const minOptionMass = 0.05

// maxOptions is how many articles a question back offers.
const maxOptions = 2

// intentModelReads reports whether the intent model's guesses mean
// anything in lang. The embedded model was trained on English banking
// questions: in another language its alternatives are noise, and the
// knowledge base's full-text search speaks instead.
func intentModelReads(lang string) bool { return lang == "en" }

// byArticle decides on a message that triage sent nowhere in particular
// (no person asked for, nothing sensitive, nobody upset): answer when one
// article holds enough of the probability mass, else ask back with the
// distinct articles it could be, else hand over.
func (t Turn) byArticle(lang string) Decision {
	tr := t.Triage
	var ranked []ArticleScore
	if intentModelReads(tr.Language) || tr.Decision == triage.Answer {
		alts := tr.Alternatives
		if len(alts) == 0 && tr.Intent != "" {
			alts = []triage.IntentScore{{Intent: tr.Intent, Confidence: tr.Confidence}}
		}
		ranked = RankArticles(t.Articles, alts, languages(tr.Language, t.Locale))
	}
	threshold := t.AnswerThreshold
	if threshold <= 0 {
		threshold = tr.AnswerThreshold
	}
	if threshold <= 0 { // a Result built by hand: triage's own call stands
		threshold = 2
		if tr.Decision == triage.Answer {
			threshold = 0
		}
	}
	if len(ranked) > 0 && ranked[0].Mass >= threshold {
		top := ranked[0]
		return t.answerArticle(top.Article, lang, top.Intent, min(1, top.Mass), tr.Reasons)
	}
	if tr.Decision == triage.Answer && len(ranked) == 0 {
		// Confident, but no article names the intent.
		if a, _ := t.searchClear(tr.Language); a != nil {
			return t.answer(a, lang, tr.Intent, tr.Confidence, append(slices.Clone(tr.Reasons), ReasonSearchMatch))
		}
		return t.handoff(lang, append(slices.Clone(tr.Reasons), ReasonNoArticle))
	}
	// A clear full-text match may still answer: in a language the intent
	// model does not speak, or from an article no intent leads to. Where
	// the model reads the language and an intent leads to the article, a
	// word match is a worse guess than the model's own (on held-out English
	// questions, fewer than a third of such answers were right).
	if a, hit := t.searchClear(tr.Language); a != nil && (!intentModelReads(tr.Language) || len(a.Intents) == 0) {
		return t.answer(a, lang, firstIntent(a), hit.Coverage, append(slices.Clone(tr.Reasons), ReasonSearchMatch))
	}
	clarifyAt := tr.ClarifyThreshold
	if clarifyAt <= 0 {
		clarifyAt = triage.DefaultClarifyThreshold
	}
	worthAsking := tr.Decision == triage.Clarify || tr.Decision == triage.Answer || len(ranked) > 0 && ranked[0].Mass >= clarifyAt
	if !worthAsking {
		return t.handoff(lang, slices.Clone(tr.Reasons))
	}
	var options []ArticleScore
	if !tr.OutOfScope {
		for _, s := range ranked {
			if len(options) < maxOptions && s.Mass >= minOptionMass {
				options = append(options, s)
			}
		}
	}
	if !intentModelReads(tr.Language) {
		options = t.searchOptions(tr.Language)
	}
	// One question back, then a person — except that an open question
	// ("tell me more") may be followed by one with choices to tap: that
	// is progress, not a loop.
	if t.hasTurn(model.TurnClarify) && (len(options) == 0 || t.offeredChoices() || t.hasReason(ReasonAskRephrase)) {
		reason := ReasonStillUnclear
		if t.hasReason(ReasonAskRephrase) {
			reason = ReasonNoneFit
		}
		return t.handoff(lang, append(slices.Clone(tr.Reasons), reason))
	}
	return t.clarify(lang, options)
}

// minOptionCoverage is the share of the message's meaning an article
// found by word search must cover to be offered as a choice: less than a
// clear match needs (see SearchClear), since the customer picks.
const minOptionCoverage = 0.5

// searchOptions are the distinct articles a word search in the message's
// language finds worth offering, when the intent model cannot read it.
func (t Turn) searchOptions(language string) []ArticleScore {
	if t.Index == nil {
		return nil
	}
	var out []ArticleScore
	for _, h := range t.Index.Search(t.Message, language, 4) {
		if len(out) == maxOptions || h.Coverage < minOptionCoverage || h.Matched < 2 {
			break
		}
		if !slices.ContainsFunc(out, func(s ArticleScore) bool { return sameAnswer(s.Article, h.Article) }) {
			out = append(out, ArticleScore{Article: h.Article, Intent: firstIntent(h.Article)})
		}
	}
	return out
}

// answerArticle answers from article a (found in the customer's language
// if there is one): in a language the assistant cannot offer, the English
// text with a note and the offer of a person.
func (t Turn) answerArticle(a *model.Article, lang, intent string, confidence float64, reasons []string) Decision {
	tr := t.Triage
	if tr := Translation(t.Articles, a, tr.Language); tr != nil && tr.Published {
		a = tr
	}
	if a.Language == tr.Language || !Phrased(tr.Language) && a.Language == "en" || a.Language == lang {
		return t.answer(a, a.Language, intent, confidence, reasons)
	}
	// There is an answer, but not in the customer's language: say so, give
	// it in the language there is, and offer a person.
	d := t.answer(a, a.Language, intent, confidence, reasons)
	p := words(lang)
	d.Body = fmt.Sprintf(p.noTranslation, p.languageName(tr.Language)) + "\n\n" + d.Body
	d.Kind, d.Language, d.OfferPerson = model.TurnNoTranslation, lang, true
	return d
}

// clarify asks back: which of the options the message is about, or, with
// none, what the customer needs. The choices end with "Something else"
// and "Talk to a person".
func (t Turn) clarify(lang string, options []ArticleScore) Decision {
	tr := t.Triage
	p := words(lang)
	d := Decision{Action: Clarify, Reasons: slices.Clone(tr.Reasons), Kind: model.TurnClarify, Intent: tr.Intent, Language: lang, Confidence: tr.Confidence}
	var labels []string
	for _, o := range options {
		d.Choices = append(d.Choices, model.Choice{ID: ArticleChoice(o.Article.ID), Label: o.Article.Title})
		labels = append(labels, "“"+o.Article.Title+"”")
	}
	switch len(labels) {
	case 0:
		d.Body = p.clarifyOpen
		if tr.OutOfScope || !intentModelReads(tr.Language) {
			d.Body = p.outOfScope
		}
		d.Choices = append(d.Choices, model.Choice{ID: model.ChoicePerson, Label: p.choicePerson})
		return d
	case 1:
		d.Body = fmt.Sprintf(p.clarifyOne, labels[0])
	default:
		d.Body = fmt.Sprintf(p.clarifyTwo, labels[0], labels[1])
	}
	d.Choices = append(d.Choices, model.Choice{ID: model.ChoiceOther, Label: p.choiceOther}, model.Choice{ID: model.ChoicePerson, Label: p.choicePerson})
	return d
}

// ArticleChoice is the choice id of an article.
func ArticleChoice(id int64) string { return "article:" + strconv.FormatInt(id, 10) }

func choiceArticle(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "article:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

// ValidChoice reports whether id is a choice the conversation offers now:
// one of the choices of the assistant's latest question back, when that
// question is the assistant's latest word.
func ValidChoice(history []*model.Message, id string) bool {
	q := lastQuestion(history)
	return q != nil && slices.ContainsFunc(q.Choices, func(c model.Choice) bool { return c.ID == id })
}

// ChoiceLabel is the label of choice id in the latest question back.
func ChoiceLabel(history []*model.Message, id string) string {
	if q := lastQuestion(history); q != nil {
		for _, c := range q.Choices {
			if c.ID == id {
				return c.Label
			}
		}
	}
	return ""
}

// lastQuestion is the assistant's latest question back with choices, if
// nobody but the customer has written since.
func lastQuestion(history []*model.Message) *model.Message {
	for i := len(history) - 1; i >= 0; i-- {
		m := history[i]
		switch {
		case m.AuthorKind == model.AuthorCustomer || m.Internal:
		case m.AuthorKind == model.AuthorAssistant && len(m.Choices) > 0:
			return m
		default:
			return nil
		}
	}
	return nil
}

// reply handles the customer's answer to a question back: a tapped
// choice, a "yes" to a question with one option, a "no", or a choice's
// label typed out. Anything else is a new wording of the question.
func (t Turn) reply(lang string) (Decision, bool) {
	q := lastQuestion(t.History)
	if q == nil {
		return Decision{}, false
	}
	var articles []string
	for _, c := range q.Choices {
		if _, ok := choiceArticle(c.ID); ok {
			articles = append(articles, c.ID)
		}
	}
	id := ""
	n := normalize(t.Message)
	switch {
	case t.ChoiceID != "" && slices.ContainsFunc(q.Choices, func(c model.Choice) bool { return c.ID == t.ChoiceID }):
		id = t.ChoiceID
	case Affirmative(t.Message) && len(articles) == 1:
		id = articles[0]
	case Affirmative(t.Message) && len(articles) > 1:
		if t.hasReason(ReasonAskWhich) {
			return t.handoff(lang, []string{ReasonStillUnclear}), true
		}
		return Decision{Action: Clarify, Body: words(lang).whichOne, Choices: slices.Clone(q.Choices), Kind: model.TurnClarify,
			Reasons: []string{ReasonAskWhich}, Language: lang}, true
	case Negative(t.Message) && len(articles) > 0:
		id = model.ChoiceOther
	default:
		for _, c := range q.Choices {
			if n != "" && normalize(c.Label) == n {
				id = c.ID
			}
		}
	}
	if id == "" {
		return Decision{}, false
	}
	switch id {
	case model.ChoicePerson:
		return t.handoff(lang, []string{triage.ReasonHumanRequest}), true
	case model.ChoiceOther:
		if t.hasReason(ReasonAskRephrase) {
			return t.handoff(lang, []string{ReasonNoneFit}), true
		}
		p := words(lang)
		return Decision{Action: Clarify, Body: p.askRephrase, Kind: model.TurnClarify, Reasons: []string{ReasonAskRephrase}, Language: lang,
			Choices: []model.Choice{{ID: model.ChoicePerson, Label: p.choicePerson}}}, true
	}
	aid, _ := choiceArticle(id)
	for _, a := range t.Articles {
		if a.ID == aid && a.Published {
			return t.answerArticle(a, lang, firstIntent(a), 1, []string{ReasonChosen}), true
		}
	}
	// The article is gone since it was offered: a person can still help.
	return t.handoff(lang, []string{ReasonNoArticle}), true
}

// offeredChoices reports whether the assistant has already asked back
// with articles to choose from.
func (t Turn) offeredChoices() bool {
	for _, m := range t.History {
		if m.AuthorKind == model.AuthorAssistant && slices.ContainsFunc(m.Choices, func(c model.Choice) bool { _, ok := choiceArticle(c.ID); return ok }) {
			return true
		}
	}
	return false
}

func (t Turn) hasReason(reason string) bool {
	for _, tt := range t.Turns {
		if slices.Contains(tt.Reasons, reason) {
			return true
		}
	}
	return false
}

// yesWords and noWords are, across the languages customers write in, a
// whole-message "yes" or "no" to a question with one option; fillers may
// come with them ("yes please", "ja precis", "sí, eso").
var (
	yesWords = set(`yes yeah yep yup ya yas y yess correct exactly right sure indeed absolutely definitely
		ja jaa japp jo joo precis exakt stämmer absolut visst
		genau richtig jawohl klar
		sí si sip claro exacto correcto eso
		oui ouais exactement voilà voila
		tak dokładnie
		kyllä juu joo kylla
		sim isso exatamente
		jep jepp jup correct precies inderdaad
		esatto certo
		👍`)
	noWords = set(`no nope nah n nej nein non nie ei nei nee não nao niet`)
	fillers = set(`please pls plz thanks thank you that thats it this one is the first that's it's correct
		tack det är den gärna bitte danke das ist es por favor gracias es ese esa merci cest ça c
		proszę dziękuję kiitos se obrigado obrigada dat graag grazie quello`)
)

// Affirmative reports whether the whole message is a "yes".
func Affirmative(message string) bool { return only(message, yesWords) }

// Negative reports whether the whole message is a "no".
func Negative(message string) bool { return only(message, noWords) }

func only(message string, words map[string]bool) bool {
	fields := strings.Fields(normalize(message))
	if len(fields) == 0 || len(fields) > 5 {
		return false
	}
	found := false
	for _, f := range fields {
		switch {
		case words[f]:
			found = true
		case fillers[f]:
		default:
			return false
		}
	}
	return found
}

// RepeatBase is what a customer message can repeat: the customer's
// earlier messages that an answer followed (from the assistant or a
// person). Asking again after a question back is a rephrasing — it is
// what was asked for — not a repetition, and not a sign of frustration.
func RepeatBase(history []*model.Message, turns []model.AssistantTurn, msgID int64) []string {
	kinds := map[int64]string{}
	for _, t := range turns {
		if t.MessageID != 0 {
			kinds[t.MessageID] = t.Kind
		}
	}
	var out, pending []string
	for _, m := range history {
		if m.ID == msgID && msgID != 0 {
			break
		}
		switch {
		case m.AuthorKind == model.AuthorCustomer:
			pending = append(pending, m.Body)
		case isAnswer(m, kinds):
			out, pending = append(out, pending...), nil
		}
	}
	return out
}

func isAnswer(m *model.Message, kinds map[int64]string) bool {
	switch m.AuthorKind {
	case model.AuthorAgent:
		return !m.Internal
	case model.AuthorAssistant:
		if k, ok := kinds[m.ID]; ok {
			return k == model.TurnAnswer || k == model.TurnAction || k == model.TurnNoTranslation || k == model.TurnSignIn && m.Citation != nil
		}
		return m.Citation != nil && len(m.Choices) == 0
	}
	return false
}
