// Package assistant decides what the AI says to a customer, one turn of a
// conversation at a time, and what the people who take over get. It is
// pure: it reads a snapshot (the message, how triage read it, the
// conversation so far, the assistant's earlier turns, the workspace's
// articles, actions and settings) and returns a decision; the desk does the
// I/O — storing, calling the business's API, asking an LLM to phrase.
//
// Triage reads the message (intent, confidence, language, mood, a request
// for a person, a sensitive matter) and makes the first call; the
// assistant adds what only the conversation shows — "that didn't help",
// the same question twice, a second unclear turn, a customer going round
// in circles — and turns the call into words: the workspace's article for
// the intent in the customer's language, an action's answer for a verified
// customer, a clarifying question, or a hand-over notice with its reason.
//
// It never invents an answer: what it says comes from an article or from
// the business's own systems, or it says it will bring in a person.
package assistant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// Action is what the assistant does with a customer message.
type Action string

const (
	// Answer replies from a knowledge-base article or an action's result.
	Answer Action = "answer"
	// Clarify asks the customer what they mean (or to sign in).
	Clarify Action = "clarify"
	// Handoff queues the conversation for a person.
	Handoff Action = "handoff"
	// Call asks the desk to call a business action, then AfterCall.
	Call Action = "call"
	// Resolve closes the conversation as resolved by the assistant: the
	// customer said the answer helped.
	Resolve Action = "resolve"
)

// Reasons the assistant adds to triage's when it hands over.
const (
	ReasonNoArticle    = "no_article"
	ReasonRepeated     = "repeated_question"
	ReasonStillUnclear = "still_unclear"
	ReasonNotHelpful   = "not_helpful"
	ReasonActionFailed = "action_failed"
	ReasonNotVerified  = "not_verified"
	ReasonSearchMatch  = "search_match"
	ReasonHelpful      = "helpful"
)

// Decision is the assistant's response to one customer message.
type Decision struct {
	Action Action
	// Body is the reply (Answer, Clarify, Resolve) or the notice to the
	// customer (Handoff). Empty for Call.
	Body     string
	Citation *model.Citation
	// Reasons are machine-readable (triage's reasons, then the assistant's).
	Reasons []string
	// Kind is the kind of turn to record (model.Turn*).
	Kind string
	// Intent, Language and Confidence describe what was answered; Language
	// is the language of the reply.
	Intent     string
	Language   string
	Confidence float64
	// Article is the article answered from, if any.
	Article *model.Article
	// Source is the text the reply rests on (the article's body, the
	// action's result): what an LLM may phrase, and nothing more.
	Source string
	// Call is the business action to call (Action == Call).
	Call *model.Action
	// AskFeedback: the reply is an answer the customer may confirm or reject.
	AskFeedback bool
	// OfferPerson: the reply offers a person proactively.
	OfferPerson bool
	// Choices are what the customer can tap in reply to a question back.
	Choices []model.Choice
}

// Reason is the reasons as one string, for the conversation's hand-off reason.
func (d Decision) Reason() string { return strings.Join(d.Reasons, ",") }

// Turn is everything the assistant weighs for one customer message.
type Turn struct {
	Message string
	// ChoiceID is the choice the customer tapped, if they tapped one.
	ChoiceID string
	Triage   triage.Result
	// History is the conversation so far, oldest first, including Message.
	History []*model.Message
	// Turns are the assistant's earlier turns in the conversation, oldest first.
	Turns []model.AssistantTurn
	// Articles are the workspace's published articles; Index searches them.
	Articles []*model.Article
	Index    *knowledge.Index
	// Customer is who is asking; Verified customers may have actions run for them.
	Customer *model.Customer
	// Actions are the workspace's actions (disabled ones are skipped).
	Actions  []*model.Action
	Settings model.AssistantSettings
	// AnswerThreshold is the article mass from which the assistant answers
	// (see RankArticles): the workspace's threshold for its help centre.
	// Zero: triage's threshold for the top intent.
	AnswerThreshold float64
	// Locale is the customer's locale, a fallback for the reply language.
	Locale string
	// ArticleURL builds the link cited with an answer.
	ArticleURL func(*model.Article) string
}

// Respond turns triage's decision, in the light of the conversation so
// far, into the assistant's reply.
func Respond(t Turn) Decision {
	t.Settings = t.Settings.WithDefaults()
	tr := t.Triage
	lang := replyLanguage(tr.Language, t.Locale)
	last := lastTurn(t.Turns)
	afterAnswer := last != nil && (last.Kind == model.TurnAnswer || last.Kind == model.TurnAction || last.Kind == model.TurnNoTranslation)

	// An answer to the assistant's question back. A request for a person
	// or a sensitive matter in it still goes first.
	if tr.Decision != triage.Handoff || confidenceOnly(tr) {
		if d, ok := t.reply(lang); ok {
			return d
		}
	}

	// What the conversation shows, beyond this one message.
	var extra []string
	if NotHelpful(t.Message, afterAnswer) {
		extra = append(extra, ReasonNotHelpful)
	}
	if t.repeated(lang) {
		extra = append(extra, ReasonRepeated)
	}
	if tr.Decision == triage.Handoff && !lowConfidenceOnly(tr) && !confidenceOnly(tr) {
		return t.handoff(lang, append(slices.Clone(tr.Reasons), extra...))
	}
	if len(extra) > 0 {
		return t.handoff(lang, extra)
	}
	if afterAnswer && Helpful(t.Message) {
		return Decision{Action: Resolve, Body: words(lang).gladToHelp, Reasons: []string{ReasonHelpful}, Kind: model.TurnAnswer, Language: lang}
	}

	// A lookup in the business's systems — unless the intent model has
	// next to no idea what an English message is about.
	if tr.Decision != triage.Handoff || lowConfidenceOnly(tr) {
		if d, ok := t.action(lang); ok {
			return d
		}
	}

	d := t.byArticle(lang)
	if d.Action == Answer && d.Article != nil && t.answeredBefore(d.Article) {
		// The same answer again would send the customer round in circles.
		return t.handoff(lang, append(slices.Clone(tr.Reasons), ReasonRepeated))
	}
	return t.offerPerson(d, lang)
}

// lowConfidenceOnly: triage hands over only because the intent model is
// unsure — which, in a language it was not trained on, is always; the
// knowledge base may still answer.
func lowConfidenceOnly(tr triage.Result) bool {
	return len(tr.Reasons) == 1 && tr.Reasons[0] == triage.ReasonLowConfidence && tr.Language != "en"
}

// confidenceOnly: triage decided on the intent model's confidence alone
// (nothing sensitive, no person asked for, nobody upset), which the
// assistant weighs again by article.
func confidenceOnly(tr triage.Result) bool {
	for _, r := range tr.Reasons {
		switch r {
		case triage.ReasonConfident, triage.ReasonLowConfidence, triage.ReasonOutOfScope, triage.ReasonAmbiguous:
		default:
			return false
		}
	}
	return true
}

func (t Turn) answer(a *model.Article, lang, intent string, confidence float64, reasons []string) Decision {
	url := ""
	if t.ArticleURL != nil {
		url = t.ArticleURL(a)
	}
	return Decision{
		Action: Answer, Body: a.Body, Source: a.Body, Article: a, Kind: model.TurnAnswer,
		Citation: &model.Citation{ArticleID: a.ID, Title: a.Title, URL: url},
		Reasons:  slices.Clone(reasons), Intent: intent, Language: a.Language, Confidence: confidence,
		AskFeedback: *t.Settings.AskFeedback,
	}
}

// offerPerson adds the proactive offer of a person once the assistant has
// taken OfferPersonAfter turns without resolving the conversation.
func (t Turn) offerPerson(d Decision, lang string) Decision {
	n := t.Settings.OfferPersonAfter
	if n <= 0 || d.OfferPerson || len(t.Turns)+1 < n || d.Action != Answer {
		return d
	}
	d.Body += "\n\n" + words(lang).offerPerson
	d.OfferPerson = true
	return d
}

func (t Turn) handoff(lang string, reasons []string) Decision {
	return Decision{Action: Handoff, Reasons: reasons, Body: handoffNotice(lang, reasons), Kind: model.TurnHandoff,
		Intent: t.Triage.Intent, Language: lang, Confidence: t.Triage.Confidence}
}

// HandoffNotice tells the customer, honestly and briefly and in their
// language, why a person is coming.
func HandoffNotice(lang string, reasons []string) string { return handoffNotice(lang, reasons) }

// QueueStatus says, in the customer's language, where a hand-over
// stands: someone online (with the expected wait when there is one), or
// nobody online — queued, answered here when someone is back, by email too
// when the workspace sends mail.
func QueueStatus(lang string, online bool, waitSeconds int, mail bool) string {
	p := words(lang)
	switch {
	case online && waitSeconds > 0:
		wait := p.waitUnderMinute
		if waitSeconds >= 60 {
			wait = fmt.Sprintf(p.waitMinutes, (waitSeconds+59)/60)
		}
		return fmt.Sprintf(p.queueOnlineWait, wait)
	case online:
		return p.queueOnline
	case mail:
		return p.queueNobody + " " + p.queueEmail
	default:
		return p.queueNobody
	}
}

func handoffNotice(lang string, reasons []string) string {
	has := func(prefix string) bool {
		for _, r := range reasons {
			if strings.HasPrefix(r, prefix) {
				return true
			}
		}
		return false
	}
	p := words(lang)
	switch {
	case has(triage.ReasonHumanRequest):
		return p.handoffHuman
	case has(triage.ReasonSensitive):
		return p.handoffSensitive
	case has(triage.ReasonAnger), has(triage.ReasonFrustration):
		return p.handoffUpset
	case has(ReasonActionFailed):
		return p.handoffActionFailed
	case has(ReasonNotVerified):
		return p.handoffNotVerified
	case has(ReasonRepeated), has(ReasonStillUnclear), has(ReasonNotHelpful), has(ReasonNoneFit):
		return p.handoffCircles
	default:
		return p.handoffDefault
	}
}

// humanize turns an intent name such as "card_arrival" into words.
func humanize(intent string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(intent, "?"), "_", " "))
}

// replyLanguage is the language the assistant speaks: the message's when it
// has words in it, else the customer's locale's, else English.
func replyLanguage(detected, locale string) string {
	for _, l := range []string{detected, baseLanguage(locale)} {
		if Phrased(l) {
			return l
		}
	}
	return "en"
}

// languages is the order in which to look for an article: the message's
// language, the customer's locale, then English.
func languages(detected, locale string) []string {
	out := []string{}
	for _, l := range []string{detected, baseLanguage(locale), "en"} {
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func articleIn(articles []*model.Article, intent, lang string) *model.Article {
	return articleFor(articles, intent, []string{lang})
}

func articleFor(articles []*model.Article, intent string, langs []string) *model.Article {
	if intent == "" {
		return nil
	}
	for _, lang := range langs {
		for _, a := range articles {
			if a.Published && a.Language == lang && slices.Contains(a.Intents, intent) {
				return a
			}
		}
	}
	return nil
}

// Translation is the article in language lang that answers what a answers
// (the same first intent), or nil.
func Translation(articles []*model.Article, a *model.Article, lang string) *model.Article {
	if a.Language == lang {
		return a
	}
	if len(a.Intents) == 0 {
		return nil
	}
	return articleIn(articles, a.Intents[0], lang)
}

func firstIntent(a *model.Article) string {
	if len(a.Intents) > 0 {
		return a.Intents[0]
	}
	return ""
}

// Thresholds for a "clear" full-text match.
const (
	minCoverage = 0.6 // share of the question's meaning the article covers
	minMatched  = 2   // distinct content words in common
	minLead     = 1.5 // top score over the runner-up's
)

// searchClear finds the article that clearly answers the message: in the
// message's language, else (for English or an unsupported language) in any.
func (t Turn) searchClear(language string) (*model.Article, knowledge.Hit) {
	return SearchClear(t.Index, t.Message, language)
}

// SearchClear returns the article a clear full-text match for message in
// language finds, or nil: coverage, matched words and lead over the
// runner-up must all be convincing.
func SearchClear(idx *knowledge.Index, message, language string) (*model.Article, knowledge.Hit) {
	if idx == nil {
		return nil, knowledge.Hit{}
	}
	hits := idx.Search(message, language, 2)
	if len(hits) == 0 && !knowledge.Stemmed(language) {
		hits = idx.Search(message, "", 2)
	}
	if len(hits) == 0 {
		return nil, knowledge.Hit{}
	}
	top := hits[0]
	if top.Coverage < minCoverage || top.Matched < minMatched {
		return nil, knowledge.Hit{}
	}
	if len(hits) > 1 && top.Score < minLead*hits[1].Score && !sameAnswer(top.Article, hits[1].Article) {
		return nil, knowledge.Hit{}
	}
	return top.Article, top
}

// sameAnswer: two articles that answer the same intents (translations)
// do not compete.
func sameAnswer(a, b *model.Article) bool {
	return len(a.Intents) > 0 && len(b.Intents) > 0 && a.Intents[0] == b.Intents[0]
}

func lastTurn(turns []model.AssistantTurn) *model.AssistantTurn {
	if len(turns) == 0 {
		return nil
	}
	return &turns[len(turns)-1]
}

func (t Turn) hasTurn(kind string) bool {
	for _, tt := range t.Turns {
		if tt.Kind == kind {
			return true
		}
	}
	return false
}

// answeredBefore reports whether the assistant already gave this answer
// (this article, or a translation of it) in the conversation.
func (t Turn) answeredBefore(a *model.Article) bool {
	for _, tt := range t.Turns {
		if tt.ArticleID == 0 {
			continue
		}
		if tt.ArticleID == a.ID {
			return true
		}
		for _, other := range t.Articles {
			if other.ID == tt.ArticleID && sameAnswer(other, a) {
				return true
			}
		}
	}
	// Conversations from before turns were recorded: their citations.
	if len(t.Turns) == 0 {
		for _, m := range t.History {
			if m.AuthorKind == model.AuthorAssistant && m.Citation != nil && m.Citation.ArticleID == a.ID {
				return true
			}
		}
	}
	return false
}

// repeated reports whether the customer asks again what an answer
// already followed.
func (t Turn) repeated(lang string) bool {
	hist := t.History
	if n := len(hist); n > 0 && hist[n-1].AuthorKind == model.AuthorCustomer && hist[n-1].Body == t.Message {
		hist = hist[:n-1]
	}
	for _, m := range RepeatBase(hist, t.Turns, 0) {
		if sameQuestion(m, t.Message, lang) {
			return true
		}
	}
	return false
}

func baseLanguage(locale string) string {
	locale = strings.ToLower(locale)
	if i := strings.IndexAny(locale, "-_"); i > 0 {
		locale = locale[:i]
	}
	return locale
}
