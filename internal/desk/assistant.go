package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/actions"
	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/llm"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
)

// AssistantOptions are the assistant's optional parts.
type AssistantOptions struct {
	// LLM, when set, phrases answers and drafts from their sources; off when nil.
	LLM *llm.Client
	// ActionTimeout bounds a call to the business's API (default 5s).
	ActionTimeout time.Duration
}

type assistantDeps struct {
	llm     *llm.Client
	actions *actions.Client
	// packetTimeout bounds the profile lookups made while building a handoff packet.
	packetTimeout time.Duration
}

func newAssistantDeps(o AssistantOptions, now func() time.Time) assistantDeps {
	timeout := o.ActionTimeout
	if timeout <= 0 {
		timeout = actions.DefaultTimeout
	}
	return assistantDeps{
		llm:           o.LLM,
		actions:       actions.NewClient(actions.Options{Timeout: timeout, Now: now}),
		packetTimeout: min(timeout, 3*time.Second),
	}
}

// SetSelfURL tells the desk where this server listens, so actions whose
// endpoint is a path (the built-in demo backend) can be called.
func (d *Desk) SetSelfURL(u string) { d.assist.actions.SetSelfURL(u) }

// articleURL is the public link of an article, cited with answers.
func articleURL(ws *model.Workspace, a *model.Article) string {
	return fmt.Sprintf("/help/%s/articles/%d", ws.Slug, a.ID)
}

// converse lets the assistant take its turn on the customer's message and
// carries out its decision: an answer (phrased by the LLM when one is
// configured and its phrasing is grounded), a question back, a call to the
// business's API, a resolution, or a handover with its packet.
func (d *Desk) converse(ctx context.Context, conv *model.Conversation, msg *model.Message, r *reading) (*model.Conversation, error) {
	ws, cust := r.ws, r.cust
	kb, err := d.knowledge(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	turns := r.turns
	settings, err := d.store.AssistantSettings(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	acts, err := d.store.Actions(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	turn := assistant.Turn{
		Message: msg.Body, ChoiceID: msg.ChoiceID, Triage: r.triage, History: r.history, Turns: turns, Articles: kb.articles, Index: kb.index,
		Customer: cust, Actions: acts, Settings: settings, Locale: cust.Locale,
		ArticleURL:      func(a *model.Article) string { return articleURL(ws, a) },
		AnswerThreshold: d.triage.GroupAnswerThreshold(d.policy(ws), assistant.ArticleGroup(kb.articles)),
	}
	decision := assistant.Respond(turn)
	if decision.Action == assistant.Call {
		decision = d.callAction(ctx, turn, decision, msg)
	}
	record := model.AssistantTurn{
		WorkspaceID: ws.ID, ConversationID: conv.ID, Kind: decision.Kind, Intent: decision.Intent,
		Language: decision.Language, Confidence: decision.Confidence, Reasons: decision.Reasons, CreatedAt: d.now(),
	}
	if decision.Article != nil {
		record.ArticleID = decision.Article.ID
	}
	if decision.Call != nil {
		record.Action = decision.Call.Name
	}
	switch decision.Action {
	case assistant.Handoff:
		// The turn is recorded first: the handoff packet, built with the
		// hand-over, reads what the assistant did from its turns.
		record.Kind = model.TurnHandoff
		if err := d.store.AddAssistantTurn(ctx, record); err != nil {
			return nil, err
		}
		return d.handoff(ctx, conv, decision.Reason(), model.AuthorAssistant, ws.AssistantName, decision.Body, decision.Language)
	case assistant.Resolve:
		m, _, _, err := d.addMessage(ctx, store.NewMessage{
			WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AuthorKind: model.AuthorAssistant,
			AuthorName: ws.AssistantName, Body: decision.Body,
		}, d.now())
		if err != nil {
			return nil, err
		}
		resolved, changed, err := d.store.ResolveByAssistant(ctx, conv.WorkspaceID, conv.ID, m.ID, d.now())
		if err != nil {
			return nil, err
		}
		if changed {
			d.metrics.Resolved("assistant")
		}
		d.changed(conv.WorkspaceID)
		return resolved, nil
	}
	body := decision.Body
	if decision.Action == assistant.Answer && decision.Kind != model.TurnNoTranslation {
		body = d.phrase(ctx, msg.Body, decision)
	}
	m, after, _, err := d.addMessage(ctx, store.NewMessage{
		WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AuthorKind: model.AuthorAssistant,
		AuthorName: ws.AssistantName, Body: body, Citation: decision.Citation, Choices: decision.Choices,
	}, d.now())
	if err != nil {
		return nil, err
	}
	record.MessageID = m.ID
	if err := d.store.AddAssistantTurn(ctx, record); err != nil {
		return nil, err
	}
	d.changed(conv.WorkspaceID)
	return after, nil
}

// callAction calls the business action the assistant asked for — for the
// verified customer of the session, with their own external id — and
// lets the assistant turn the outcome into its reply.
func (d *Desk) callAction(ctx context.Context, t assistant.Turn, decision assistant.Decision, msg *model.Message) assistant.Decision {
	a := decision.Call
	params, err := actions.ExtractParams(a, msg.Body)
	var res *actions.Result
	if err == nil {
		res, err = d.assist.actions.Call(ctx, a, t.Customer, decision.Language, params)
	}
	if err != nil {
		d.log.Warn("action failed; handing over", "workspace", t.Customer.WorkspaceID, "action", a.Name, "err", err)
		return assistant.AfterCall(t, decision, assistant.CallResult{Err: err})
	}
	return assistant.AfterCall(t, decision, assistant.CallResult{Message: res.Message, Data: res.Data})
}

// phrase asks the LLM, when one is configured, to phrase the answer from
// its source; the source's own text stays whenever the LLM fails, is slow,
// or states anything the source does not.
func (d *Desk) phrase(ctx context.Context, question string, decision assistant.Decision) string {
	if d.assist.llm == nil || decision.Source == "" || !strings.Contains(decision.Body, decision.Source) {
		return decision.Body
	}
	out, err := d.assist.llm.Phrase(ctx, llm.PhraseRequest{Question: question, Sources: []string{decision.Source}, Language: decision.Language, Audience: "customer"})
	if err != nil {
		d.log.Warn("llm phrasing not used; the source text is sent as it is", "why", llmFailure(err))
		return decision.Body
	}
	return strings.Replace(decision.Body, decision.Source, out, 1)
}

// llmFailure names why a phrasing was not used, without quoting any text.
func llmFailure(err error) string {
	switch {
	case errors.Is(err, llm.ErrUngrounded):
		return "ungrounded"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "error"
	}
}

// buildPacket assembles and stores the handoff packet of a conversation
// just handed over. It never fails the handover: a packet that cannot be
// built is logged.
func (d *Desk) buildPacket(ctx context.Context, conv *model.Conversation, reason string) {
	if err := d.storePacket(ctx, conv, reason); err != nil {
		d.log.Error("handoff packet", "conversation", conv.ID, "err", err)
	}
}

func (d *Desk) storePacket(ctx context.Context, conv *model.Conversation, reason string) error {
	p, err := d.packet(ctx, conv, reason, true)
	if err != nil {
		return err
	}
	return d.store.AddHandoffPacket(ctx, conv.WorkspaceID, conv.ID, p)
}

// packet builds a handoff packet; withOrders looks up the verified
// customer's recent orders through the actions marked for it.
func (d *Desk) packet(ctx context.Context, conv *model.Conversation, reason string, withOrders bool) (*model.HandoffPacket, error) {
	history, err := d.store.Messages(ctx, conv.WorkspaceID, conv.ID, 0, 0, false)
	if err != nil {
		return nil, err
	}
	cust, err := d.store.CustomerByID(ctx, conv.WorkspaceID, conv.CustomerID)
	if err != nil {
		return nil, err
	}
	ws, err := d.store.WorkspaceByID(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	turns, err := d.store.AssistantTurns(ctx, conv.WorkspaceID, conv.ID)
	if err != nil {
		return nil, err
	}
	kb, err := d.knowledge(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	now := d.now()
	recent, err := d.store.CustomerConversationsSince(ctx, conv.WorkspaceID, conv.CustomerID, now.Add(-90*24*time.Hour))
	if err != nil {
		return nil, err
	}
	// How the customer sounded, message by message — a message repeats
	// only what an answer followed, as when it was read.
	var readings []triage.Result
	policy := d.policy(ws)
	for _, m := range history {
		if m.AuthorKind != model.AuthorCustomer {
			continue
		}
		earlier := assistant.RepeatBase(history, turns, m.ID)
		readings = append(readings, d.triage.Triage(triage.Input{Text: m.Body, Locale: cust.Locale, History: earlier, Tier: cust.Tier}, policy))
	}
	in := assistant.PacketInput{
		Reason: reason, History: history, Readings: readings, Turns: turns, Articles: kb.articles, Triage: conv.Triage,
		Customer: cust, Conversations90d: recent, Now: now,
	}
	if withOrders && cust.Verified && !strings.Contains(reason, assistant.ReasonActionFailed) {
		in.Orders, in.OrdersSource = d.recentOrders(ctx, cust, in.Triage)
	}
	return assistant.BuildPacket(in), nil
}

// recentOrders asks the workspace's handoff actions for the verified
// customer's recent orders; a failure leaves them out.
func (d *Desk) recentOrders(ctx context.Context, cust *model.Customer, tr *model.ConversationTriage) ([]map[string]any, string) {
	acts, err := d.store.Actions(ctx, cust.WorkspaceID)
	if err != nil {
		return nil, ""
	}
	lang := "en"
	if tr != nil && tr.Language != "" {
		lang = tr.Language
	}
	for _, a := range acts {
		if !a.Enabled || !a.UseInHandoff {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, d.assist.packetTimeout)
		res, err := d.assist.actions.Call(cctx, a, cust, lang, map[string]any{})
		cancel()
		if err != nil {
			d.log.Warn("handoff packet: profile action failed", "action", a.Name, "err", err)
			continue
		}
		for _, key := range []string{"orders", "items", "results"} {
			list, ok := res.Data[key].([]any)
			if !ok {
				continue
			}
			var out []map[string]any
			for _, item := range list {
				if obj, ok := item.(map[string]any); ok && len(out) < 5 {
					out = append(out, obj)
				}
			}
			return out, a.Name
		}
	}
	return nil, ""
}

// decorate adds what the assistant knows to a conversation: resolved_by,
// and for staff the latest handoff packet.
func (d *Desk) decorate(ctx context.Context, a Actor, conv *model.Conversation) error {
	by, err := d.store.ResolvedByAssistant(ctx, conv)
	if err != nil {
		return err
	}
	if by {
		conv.ResolvedBy = model.ResolvedByAssistant
	}
	settings, err := d.store.AssistantSettings(ctx, conv.WorkspaceID)
	if err != nil {
		return err
	}
	conv.AskFeedback = settings.AskFeedback
	if !a.IsStaff() {
		conv.Handoff = nil
		return nil
	}
	p, err := d.store.LatestHandoffPacket(ctx, conv.WorkspaceID, conv.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		conv.Handoff = p
	}
	return nil
}

// packetMissing reports whether a queued conversation has no packet since
// it was last queued (it was reopened to the queue by a customer message).
func (d *Desk) packetMissing(ctx context.Context, conv *model.Conversation) (bool, error) {
	if conv.Status != model.StatusQueued || conv.QueuedAt == nil {
		return false, nil
	}
	p, err := d.store.LatestHandoffPacket(ctx, conv.WorkspaceID, conv.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return p.CreatedAt.Before(*conv.QueuedAt), nil
}

// TeamOnline reports whether anyone of the actor's workspace is available
// to take a conversation now: what the widget's header tells a customer.
func (d *Desk) TeamOnline(ctx context.Context, a Actor) (bool, error) {
	agents, err := d.store.Agents(ctx, a.WorkspaceID)
	if err != nil {
		return false, err
	}
	for _, ag := range agents {
		if ag.Status == model.AgentAvailable {
			return true, nil
		}
	}
	return false, nil
}
