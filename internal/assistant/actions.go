package assistant

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// action decides whether the message is about the customer's own data that
// a business action can look up. A verified customer gets the call; an
// anonymous one is asked to sign in — with the general article's answer
// when there is one — and, asked again, handed over.
func (t Turn) action(lang string) (Decision, bool) {
	a := MatchAction(t.Actions, t.Triage, t.Message)
	if a == nil {
		return Decision{}, false
	}
	tr := t.Triage
	if t.Customer != nil && t.Customer.Verified && t.Customer.ExternalID != "" {
		for _, tt := range t.Turns {
			if tt.Kind == model.TurnAction && tt.Action == a.Name {
				return t.handoff(lang, append(slices.Clone(tr.Reasons), ReasonRepeated)), true
			}
		}
		return Decision{Action: Call, Call: a, Kind: model.TurnAction, Intent: tr.Intent, Language: lang,
			Confidence: tr.Confidence, Reasons: slices.Clone(tr.Reasons)}, true
	}
	if t.hasTurn(model.TurnSignIn) {
		return t.handoff(lang, append(slices.Clone(tr.Reasons), ReasonNotVerified)), true
	}
	p := words(lang)
	// The general answer, if the knowledge base has one, with the hint.
	if art := t.relatedArticle(a, lang); art != nil && !t.answeredBefore(art) {
		d := t.answer(art, art.Language, firstIntent(art), tr.Confidence, tr.Reasons)
		d.Body += "\n\n" + p.signInHint
		d.Kind = model.TurnSignIn
		return t.offerPerson(d, lang), true
	}
	return Decision{Action: Clarify, Body: p.signIn, Kind: model.TurnSignIn, Intent: tr.Intent, Language: lang,
		Confidence: tr.Confidence, Reasons: append(slices.Clone(tr.Reasons), ReasonNotVerified)}, true
}

// relatedArticle is the article answering the triage intent if the action
// is triggered by it, else the action's own intents, in the reply language
// (or English).
func (t Turn) relatedArticle(a *model.Action, lang string) *model.Article {
	intents := []string{}
	if t.Triage.Decision == triage.Answer {
		intents = append(intents, t.Triage.Intent)
	}
	intents = append(intents, a.Intents...)
	for _, l := range []string{lang, "en"} {
		for _, in := range intents {
			if art := articleIn(t.Articles, in, l); art != nil {
				return art
			}
		}
	}
	return nil
}

// MatchAction finds the action a message asks for: one whose intents
// include the intent triage answered confidently, else one of whose
// example phrasings the message matches. Disabled actions never match.
func MatchAction(actions []*model.Action, tr triage.Result, message string) *model.Action {
	if tr.Decision == triage.Answer {
		for _, a := range actions {
			if a.Enabled && slices.Contains(a.Intents, tr.Intent) {
				return a
			}
		}
	}
	lang := tr.Language
	msg := termSet(message, lang)
	if len(msg) == 0 {
		return nil
	}
	type scored struct {
		a     *model.Action
		score float64
	}
	var best []scored
	for _, a := range actions {
		if !a.Enabled {
			continue
		}
		top := 0.0
		for _, ex := range a.Examples {
			e := termSet(ex, lang)
			if len(e) == 0 {
				continue
			}
			inter := 0
			for w := range e {
				if msg[w] {
					inter++
				}
			}
			// Most of the example is in the message, and the example
			// explains at least half of the message.
			ofExample, ofMessage := float64(inter)/float64(len(e)), float64(inter)/float64(len(msg))
			if ofExample >= 0.75 && ofMessage >= 0.5 && ofExample+ofMessage > top {
				top = ofExample + ofMessage
			}
		}
		if top > 0 {
			best = append(best, scored{a, top})
		}
	}
	if len(best) == 0 {
		return nil
	}
	sort.SliceStable(best, func(i, j int) bool { return best[i].score > best[j].score })
	if len(best) > 1 && best[1].score == best[0].score {
		return nil // two actions fit equally: not clear enough
	}
	return best[0].a
}

// CallResult is what a business action answered, or its error.
type CallResult struct {
	// Message is the business's own reply text, when it gave one.
	Message string
	// Data is the answer's JSON object.
	Data map[string]any
	Err  error
}

// AfterCall turns the outcome of the action the decision asked for into
// the reply: the business's answer, citing the related article (or the
// account itself); on any error, a graceful handover.
func AfterCall(t Turn, d Decision, r CallResult) Decision {
	t.Settings = t.Settings.WithDefaults()
	lang := d.Language
	if r.Err != nil {
		return t.handoff(lang, append(slices.Clone(d.Reasons), ReasonActionFailed))
	}
	body := r.Message
	if body == "" {
		body = Render(r.Data)
	}
	if strings.TrimSpace(body) == "" {
		return t.handoff(lang, append(slices.Clone(d.Reasons), ReasonActionFailed))
	}
	out := d
	out.Action, out.Body, out.Source, out.AskFeedback = Answer, body, body, *t.Settings.AskFeedback
	out.Citation = &model.Citation{Title: words(lang).accountSource}
	if art := t.relatedArticle(d.Call, lang); art != nil {
		out.Article = art
		url := ""
		if t.ArticleURL != nil {
			url = t.ArticleURL(art)
		}
		out.Citation = &model.Citation{ArticleID: art.ID, Title: art.Title, URL: url}
	}
	return t.offerPerson(out, lang)
}

// Render writes an action's JSON answer as plain lines, for a business
// API that gives no message of its own: top-level values, and one line per
// object in a list.
func Render(data map[string]any) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		switch v := data[k].(type) {
		case []any:
			for _, item := range v {
				if obj, ok := item.(map[string]any); ok {
					lines = append(lines, "• "+renderObject(obj))
				} else {
					lines = append(lines, fmt.Sprintf("• %v", item))
				}
			}
		case map[string]any:
			lines = append(lines, k+": "+renderObject(v))
		case nil:
		default:
			lines = append(lines, fmt.Sprintf("%s: %v", k, v))
		}
	}
	return strings.Join(lines, "\n")
}

func renderObject(obj map[string]any) string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if v, ok := obj[k]; ok && v != nil {
			parts = append(parts, fmt.Sprintf("%s %v", strings.ReplaceAll(k, "_", " "), v))
		}
	}
	return strings.Join(parts, ", ")
}
