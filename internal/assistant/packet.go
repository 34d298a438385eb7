package assistant

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/triage"
)

// PacketInput is what a handoff packet is built from.
type PacketInput struct {
	Reason string
	// History is the conversation, oldest first; Readings are triage's
	// readings of its customer messages, in the same order.
	History  []*model.Message
	Readings []triage.Result
	Turns    []model.AssistantTurn
	Articles []*model.Article
	// Triage is what the conversation carries (language, intent, sensitive).
	Triage           *model.ConversationTriage
	Customer         *model.Customer
	Conversations90d int
	Orders           []map[string]any
	OrdersSource     string
	Now              time.Time
}

// BuildPacket builds the handoff packet: why, what about, how the customer
// feels, what they want in their own words, what the assistant already
// said, who they are, and a first reply to edit.
func BuildPacket(in PacketInput) *model.HandoffPacket {
	p := &model.HandoffPacket{
		Reason: in.Reason, Reasons: splitReasons(in.Reason), CreatedAt: in.Now,
		CustomerWants: []string{}, AssistantSaid: []model.AssistantStep{},
	}
	if tr := in.Triage; tr != nil {
		p.Intent, p.Confidence, p.Language, p.Sensitive = tr.Intent, tr.IntentConfidence, tr.Language, tr.Sensitive
	}
	if p.Language == "" && in.Customer != nil {
		p.Language = baseLanguage(in.Customer.Locale)
	}
	if p.Language == "" {
		p.Language = "en"
	}
	p.Mood = ConversationMood(in.Readings)
	p.CustomerWants = CustomerWants(in.History, p.Language, 3)
	p.AssistantSaid = assistantSaid(in.History, in.Turns, in.Articles)
	if c := in.Customer; c != nil {
		p.Customer = model.CustomerProfile{ID: c.ID, Name: c.Name, ExternalID: c.ExternalID, Locale: c.Locale, Tier: c.Tier,
			Verified: c.Verified, Conversations90d: in.Conversations90d, Orders: in.Orders, OrdersSource: in.OrdersSource}
	}
	p.Summary = summary(p)
	p.DraftReply = FirstReply(p, in.Articles, in.Turns)
	return p
}

func splitReasons(r string) []string {
	out := []string{}
	for _, s := range strings.Split(r, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ConversationMood sums up how the customer sounded over their messages.
func ConversationMood(readings []triage.Result) model.Mood {
	m := model.Mood{Label: "calm", Trend: "steady", Signals: []string{}}
	if len(readings) == 0 {
		return m
	}
	var sum float64
	angry, frustrated := false, false
	for _, r := range readings {
		sum += r.Sentiment
		angry = angry || r.Angry
		frustrated = frustrated || r.Frustrated
		for _, s := range r.MoodSignals {
			if !slices.Contains(m.Signals, s) {
				m.Signals = append(m.Signals, s)
			}
		}
	}
	m.Sentiment = round2(sum / float64(len(readings)))
	m.Latest = round2(readings[len(readings)-1].Sentiment)
	if len(readings) > 1 {
		switch d := readings[len(readings)-1].Sentiment - readings[0].Sentiment; {
		case d > 0.2:
			m.Trend = "improving"
		case d < -0.2:
			m.Trend = "worsening"
		}
	}
	switch {
	case angry:
		m.Label = "angry"
	case frustrated:
		m.Label = "frustrated"
	case m.Sentiment < -0.25 || m.Latest < -0.4:
		m.Label = "negative"
	}
	return m
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// CustomerWants picks, from the customer's own messages, the sentences that
// say most about what they want: content words count, questions count
// more, a bare request for a person or a greeting counts for nothing. At
// most n sentences, in the order they were written.
func CustomerWants(history []*model.Message, lang string, n int) []string {
	type cand struct {
		text  string
		order int
		score float64
	}
	var cands []cand
	order := 0
	seen := map[string]bool{}
	for _, m := range history {
		if m.AuthorKind != model.AuthorCustomer {
			continue
		}
		for _, s := range sentences(m.Body) {
			order++
			key := strings.ToLower(s)
			if seen[key] {
				continue
			}
			seen[key] = true
			sl := lang
			if l, conf := triage.DetectLanguage(s, ""); conf >= 0.5 {
				sl = l
			}
			terms := len(knowledge.TermsIn(s, sl))
			// A request for a person, "that didn't help" or a greeting says
			// nothing about the problem itself.
			if terms == 0 || terms == 1 && !strings.Contains(s, "?") || NotHelpful(s, true) && terms <= 3 || (triage.HumanRequest(s, sl) || triage.HumanRequest(s, lang)) && terms <= 4 {
				continue
			}
			score := float64(min(terms, 12))
			if strings.Contains(s, "?") {
				score += 3
			}
			cands = append(cands, cand{clip(s, 240), order, score})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) > n {
		cands = cands[:n]
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].order < cands[j].order })
	out := []string{}
	for _, c := range cands {
		out = append(out, c.text)
	}
	return out
}

// sentences splits text at sentence ends and line breaks.
func sentences(text string) []string {
	var out []string
	start := 0
	rs := []rune(text)
	for i, r := range rs {
		end := r == '\n' || ((r == '.' || r == '?' || r == '!') && (i+1 == len(rs) || rs[i+1] == ' ' || rs[i+1] == '\n'))
		if end {
			if s := strings.TrimSpace(string(rs[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// assistantSaid lists, turn by turn, what the assistant did — what kind
// of turn, what it drew on, the choices it offered, the start of what it
// wrote — and what the customer chose from its questions back.
func assistantSaid(history []*model.Message, turns []model.AssistantTurn, articles []*model.Article) []model.AssistantStep {
	byMsg := map[int64]model.AssistantTurn{}
	for _, t := range turns {
		if t.MessageID != 0 {
			byMsg[t.MessageID] = t
		}
	}
	out := []model.AssistantStep{}
	var lastCustomer *model.Message
	for _, m := range history {
		switch m.AuthorKind {
		case model.AuthorCustomer:
			lastCustomer = m
			if m.ChoiceID != "" {
				out = append(out, model.AssistantStep{Kind: model.StepChoice, Text: clip(m.Body, 160)})
			}
			continue
		case model.AuthorAssistant:
		default:
			continue
		}
		t, ok := byMsg[m.ID]
		if !ok && len(turns) > 0 {
			continue // a hand-over notice: the reasons say why
		}
		step := model.AssistantStep{Kind: t.Kind, Intent: t.Intent, Action: t.Action}
		if !ok { // a conversation from before turns were recorded
			step.Kind = model.TurnClarify
			if m.Citation != nil {
				step.Kind = model.TurnAnswer
			}
		}
		for _, a := range articles {
			if t.ArticleID != 0 && a.ID == t.ArticleID {
				step.Article = a.Title
			}
		}
		if step.Article == "" && m.Citation != nil && m.Citation.ArticleID != 0 {
			step.Article = m.Citation.Title
		}
		for _, c := range m.Choices {
			if _, isArticle := choiceArticle(c.ID); isArticle {
				step.Options = append(step.Options, c.Label)
			}
		}
		if s := sentences(m.Body); len(s) > 0 {
			step.Text = clip(s[0], 160)
		}
		if step.Kind == model.TurnClarify {
			step.Text = clip(m.Body, 160) // the whole question
		}
		// "yes" to a question with one option: the choice is in the words.
		if slices.Contains(t.Reasons, ReasonChosen) && lastCustomer != nil && lastCustomer.ChoiceID == "" {
			out = append(out, model.AssistantStep{Kind: model.StepChoice, Article: step.Article, Text: clip(lastCustomer.Body, 160)})
		}
		out = append(out, step)
	}
	return out
}

// reasonText says why, for the one-line summary.
var reasonText = map[string]string{
	triage.ReasonHumanRequest: "the customer asked for a person", triage.ReasonLowConfidence: "the assistant was not sure what they need",
	triage.ReasonOutOfScope: "the question is outside what the assistant handles", triage.ReasonAmbiguous: "the question was unclear",
	triage.ReasonFrustration: "the customer is frustrated", triage.ReasonAnger: "the customer is angry", triage.ReasonVIP: "VIP customer",
	triage.ReasonAlwaysHuman: "this topic always goes to a person", ReasonNoArticle: "no help article answers it",
	ReasonRepeated: "the customer asked the same thing again", ReasonStillUnclear: "still unclear after a question back",
	ReasonNotHelpful: "the customer said the answer did not help", ReasonActionFailed: "the account lookup failed",
	ReasonNotVerified: "the customer is not signed in", ReasonNoneFit: "none of the offered answers fitted and the question in other words was not clear enough to answer",
}

func summary(p *model.HandoffPacket) string {
	var b strings.Builder
	who := "The customer"
	if p.Customer.Name != "" {
		who = p.Customer.Name
	}
	var tags []string
	if p.Customer.Tier == "vip" {
		tags = append(tags, "VIP")
	}
	if p.Customer.Verified {
		tags = append(tags, "verified")
	} else {
		tags = append(tags, "not verified")
	}
	fmt.Fprintf(&b, "%s (%s)", who, strings.Join(tags, ", "))
	if p.Intent != "" {
		fmt.Fprintf(&b, " asks about %s", humanize(p.Intent))
	} else {
		b.WriteString(" wrote in")
	}
	fmt.Fprintf(&b, " in %s", words("en").languageName(p.Language))
	if n := len(p.CustomerWants); n > 0 {
		fmt.Fprintf(&b, ": “%s”", clip(p.CustomerWants[n-1], 120)) // the latest ask
	}
	b.WriteString(".")
	b.WriteString(" " + stepsText(p.AssistantSaid))
	var why []string
	for _, r := range p.Reasons {
		if t, ok := reasonText[r]; ok {
			why = append(why, t)
		} else if strings.HasPrefix(r, triage.ReasonSensitive+":") {
			why = append(why, "a sensitive matter ("+strings.TrimPrefix(r, triage.ReasonSensitive+":")+")")
		}
	}
	if len(why) > 0 {
		fmt.Fprintf(&b, " Handed over because %s.", strings.Join(why, "; "))
	}
	if p.Mood.Label != "calm" {
		fmt.Fprintf(&b, " Mood: %s.", p.Mood.Label)
	}
	return b.String()
}

// stepsText tells in one sentence what the assistant did, turn by turn.
func stepsText(steps []model.AssistantStep) string {
	if len(steps) == 0 {
		return "The assistant handed over at once."
	}
	q := func(x string) string { return "“" + x + "”" }
	var parts []string
	for _, s := range steps {
		switch s.Kind {
		case model.TurnAnswer, model.TurnNoTranslation, model.TurnSignIn:
			if s.Article != "" {
				parts = append(parts, "answered with "+q(s.Article))
			} else {
				parts = append(parts, "answered")
			}
		case model.TurnAction:
			parts = append(parts, "looked up "+s.Action+" in the business's systems")
		case model.TurnClarify:
			if len(s.Options) > 0 {
				var opts []string
				for _, o := range s.Options {
					opts = append(opts, q(o))
				}
				parts = append(parts, "asked back with the choices "+strings.Join(opts, ", "))
			} else {
				parts = append(parts, "asked back: "+q(s.Text))
			}
		case model.StepChoice:
			chose := q(s.Text)
			if s.Article != "" && s.Article != s.Text {
				chose += " (" + q(s.Article) + ")"
			}
			parts = append(parts, "the customer chose "+chose)
		}
	}
	return "The assistant " + strings.Join(parts, "; then ") + "."
}

// DraftIntentConfidence is the intent confidence from which drafts draw on
// the intent's article.
const DraftIntentConfidence = 0.8

// FirstReply drafts the person's first message in the customer's language:
// a greeting, a line that fits why it was handed over, and the answer of
// the article for the intent when the assistant has not already given it.
// It is a draft: an agent reviews and edits it before anything is sent.
func FirstReply(p *model.HandoffPacket, articles []*model.Article, turns []model.AssistantTurn) string {
	w := words(p.Language)
	has := func(prefix string) bool {
		for _, r := range p.Reasons {
			if strings.HasPrefix(r, prefix) {
				return true
			}
		}
		return false
	}
	line := w.draftDefault
	switch {
	case has(triage.ReasonSensitive):
		line = w.draftSensitive
	case has(triage.ReasonAnger), has(triage.ReasonFrustration):
		line = w.draftUpset
	case has(ReasonActionFailed):
		line = w.draftAction
	case has(ReasonNotHelpful), has(ReasonRepeated), has(ReasonStillUnclear):
		line = w.draftCircles
	}
	parts := []string{w.greet(p.Customer.Name) + " " + line}
	// Only an intent triage was sure of picks the article: a wrong answer in
	// a draft costs the agent more time than none.
	var art *model.Article
	if p.Confidence >= DraftIntentConfidence {
		art = articleIn(articles, p.Intent, p.Language)
	}
	// Already given (in any language): name the topic instead of repeating it.
	given := false
	for _, t := range turns {
		for _, other := range articles {
			given = given || art != nil && other.ID == t.ArticleID && (other.ID == art.ID || sameAnswer(other, art))
		}
	}
	switch {
	case art != nil && !given && p.Sensitive == "":
		parts = append(parts, art.Body, w.draftArticleClose)
	case art != nil:
		parts = append(parts, fmt.Sprintf(w.draftTopic, art.Title), w.draftClose)
	default:
		parts = append(parts, w.draftClose)
	}
	return strings.Join(parts, "\n\n")
}

// Draft is a suggested agent reply built from an article, in the
// article's language: greeting, the article's answer, a closing question.
func Draft(customerName string, a *model.Article) string {
	w := words(a.Language)
	return w.greet(customerName) + "\n\n" + a.Body + "\n\n" + w.draftArticleClose
}
