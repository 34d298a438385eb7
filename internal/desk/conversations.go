package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/stream"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// conversationFor loads a conversation the actor may see: staff see their
// workspace's, a customer only their own. Anything else is "not found", so
// ids of other tenants leak nothing.
func (d *Desk) conversationFor(ctx context.Context, a Actor, id int64) (*model.Conversation, error) {
	conv, err := d.store.ConversationByID(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if a.Kind == KindCustomer && conv.CustomerID != a.CustomerID {
		return nil, fmt.Errorf("desk: conversation: %w", store.ErrNotFound)
	}
	return conv, nil
}

// StartConversation opens a conversation with the customer's first message
// and lets the assistant respond. A retry with the same client_id returns the
// first attempt's conversation with created=false.
func (d *Desk) StartConversation(ctx context.Context, a Actor, clientID, body string) (*model.Conversation, bool, error) {
	body = maskCardNumbers(body)
	conv, msg, created, err := d.store.CreateConversation(ctx, a.WorkspaceID, a.CustomerID, store.NewMessage{ClientID: clientID, Body: body}, d.now())
	if err != nil {
		return nil, false, err
	}
	if created {
		d.metrics.MessageStored(string(model.AuthorCustomer))
	}
	d.changed(a.WorkspaceID)
	if created || awaitingReply(conv, msg) {
		if conv, err = d.respond(ctx, conv, msg); err != nil {
			return nil, false, err
		}
	}
	out, err := d.Conversation(ctx, a, conv.ID)
	return out, created, err
}

// Conversation returns a conversation the actor may see; while it is queued
// it carries the queue position and expected wait.
func (d *Desk) Conversation(ctx context.Context, a Actor, id int64) (*model.Conversation, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if a.Kind == KindCustomer {
		conv.Triage = nil
	}
	if err := d.decorate(ctx, a, conv); err != nil {
		return nil, err
	}
	if err := d.decorateRouting(ctx, conv); err != nil {
		return nil, err
	}
	if err := d.decorateCSAT(ctx, conv); err != nil {
		return nil, err
	}
	if err := d.decorateTags(ctx, a, conv); err != nil {
		return nil, err
	}
	return conv, nil
}

// ConversationQuery filters a conversation list.
type ConversationQuery struct {
	Status     model.ConversationStatus
	AssignedMe bool
	Limit      int
}

// Conversations lists what the actor may see: a customer their own, staff
// their workspace's.
func (d *Desk) Conversations(ctx context.Context, a Actor, q ConversationQuery) ([]*model.Conversation, error) {
	if q.Status != "" && !q.Status.Valid() {
		return nil, model.Invalid("status", "unknown status %q", q.Status)
	}
	f := store.ConversationFilter{Status: q.Status, Limit: q.Limit}
	switch {
	case a.Kind == KindCustomer:
		f.CustomerID = a.CustomerID
	case q.AssignedMe:
		f.AssigneeID = a.AgentID
	}
	list, err := d.store.Conversations(ctx, a.WorkspaceID, f)
	if list == nil && err == nil {
		list = []*model.Conversation{}
	}
	if a.Kind == KindCustomer {
		for _, c := range list {
			c.Triage = nil
		}
	}
	if err == nil {
		err = d.tagAll(ctx, a, list)
	}
	return list, err
}

// Messages lists a conversation's messages after a seq; internal notes only for staff.
func (d *Desk) Messages(ctx context.Context, a Actor, id, after int64, limit int) ([]*model.Message, error) {
	if after < 0 {
		return nil, model.Invalid("after", "must not be negative")
	}
	if _, err := d.conversationFor(ctx, a, id); err != nil {
		return nil, err
	}
	return d.store.Messages(ctx, a.WorkspaceID, id, after, limit, a.IsStaff())
}

// Post is a message to add.
type Post struct {
	// ClientID makes a retried send idempotent.
	ClientID string
	Body     string
	Internal bool
	// ChoiceID is the choice a customer tapped on the assistant's question
	// back; Body may then be empty (the choice's label is stored).
	ChoiceID string
}

// PostMessage adds a message by the actor. A customer's message goes to the
// assistant while the conversation is the assistant's; a retried client_id
// returns the first message with created=false.
func (d *Desk) PostMessage(ctx context.Context, a Actor, id int64, p Post) (*model.Message, bool, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, false, err
	}
	nm := store.NewMessage{WorkspaceID: a.WorkspaceID, ConversationID: conv.ID, ClientID: p.ClientID, Body: maskCardNumbers(p.Body), Internal: p.Internal}
	if p.ChoiceID != "" {
		if nm.Body, err = d.choice(ctx, a, conv, p.ChoiceID, nm.Body); err != nil {
			return nil, false, err
		}
		nm.ChoiceID = p.ChoiceID
	}
	if a.Kind == KindCustomer {
		if p.Internal {
			return nil, false, fmt.Errorf("customers cannot write internal notes: %w", ErrForbidden)
		}
		nm.AuthorKind, nm.AuthorID = model.AuthorCustomer, &a.CustomerID
	} else {
		agent, err := d.store.AgentByID(ctx, a.WorkspaceID, a.AgentID)
		if err != nil {
			return nil, false, err
		}
		nm.AuthorKind, nm.AuthorID, nm.AuthorName = model.AuthorAgent, &a.AgentID, agent.Name
		if !p.Internal {
			if nm.FollowUpMail, err = d.followUpMail(ctx, conv, agent.Name, nm.Body); err != nil {
				return nil, false, err
			}
		}
	}
	wasQueued := conv.Status == model.StatusQueued
	msg, after, created, err := d.addMessage(ctx, nm, d.now())
	if err != nil {
		return nil, false, err
	}
	d.changed(a.WorkspaceID)
	if created && nm.FollowUpMail != nil && d.mail.Notify != nil {
		d.mail.Notify()
	}
	if a.Kind == KindCustomer {
		switch {
		case after.Status == model.StatusAI && (created || awaitingReply(after, msg)):
			if _, err := d.respond(ctx, after, msg); err != nil {
				return nil, false, err
			}
		case created:
			// A person has it or will: the assistant stays quiet, but how the
			// customer sounds still matters to routing and to the person.
			if _, err := d.read(ctx, after, msg); err != nil {
				return nil, false, err
			}
			if after.Status == model.StatusQueued && !wasQueued {
				d.Kick(a.WorkspaceID) // reopened to the queue
			}
		}
	}
	return msg, created, nil
}

// choice checks a tapped choice: only a customer taps, and only one of the
// choices the assistant's latest question back offers. It returns the
// message body: what the customer typed, else the choice's label.
func (d *Desk) choice(ctx context.Context, a Actor, conv *model.Conversation, id, body string) (string, error) {
	if a.Kind != KindCustomer {
		return "", model.Invalid("choice_id", "only a customer answers the assistant's question")
	}
	history, err := d.store.Messages(ctx, conv.WorkspaceID, conv.ID, max(0, conv.LastSeq-recentMessages), 0, false)
	if err != nil {
		return "", err
	}
	// A retried send of the same tap: the question is no longer the
	// latest word, but the store answers the retry with the first message.
	for _, m := range history {
		if m.AuthorKind == model.AuthorCustomer && m.ChoiceID == id && m.Seq > lastQuestionSeq(history) {
			return m.Body, nil
		}
	}
	if !assistant.ValidChoice(history, id) {
		return "", model.Invalid("choice_id", "%q is not one of the choices the conversation offers now", id)
	}
	if strings.TrimSpace(body) == "" {
		body = assistant.ChoiceLabel(history, id)
	}
	return body, nil
}

func lastQuestionSeq(history []*model.Message) int64 {
	var seq int64
	for _, m := range history {
		if m.AuthorKind == model.AuthorAssistant && len(m.Choices) > 0 {
			seq = m.Seq
		}
	}
	return seq
}

// awaitingReply reports whether the customer's message is still the last
// word in a conversation the assistant holds: the assistant's reply to it
// failed earlier, so a retry of the same message must try again rather
// than leave the customer without an answer.
func awaitingReply(conv *model.Conversation, msg *model.Message) bool {
	return conv.Status == model.StatusAI && msg.AuthorKind == model.AuthorCustomer && conv.LastSeq == msg.Seq
}

// reading is a customer message as triage read it, with what the
// assistant needs to respond.
type reading struct {
	ws      *model.Workspace
	cust    *model.Customer
	history []*model.Message
	turns   []model.AssistantTurn
	triage  triage.Result
}

// recentMessages is how much of a conversation's past a new customer
// message is read against.
const recentMessages = 40

// read triages the customer's message and records the result on the
// conversation.
func (d *Desk) read(ctx context.Context, conv *model.Conversation, msg *model.Message) (*reading, error) {
	ws, err := d.store.WorkspaceByID(ctx, conv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	// The recent part of the conversation is what triage and the assistant
	// weigh; reading all of a long conversation on every message made the
	// cost of a message grow with the conversation.
	history, err := d.store.Messages(ctx, conv.WorkspaceID, conv.ID, max(0, msg.Seq-recentMessages), 0, false)
	if err != nil {
		return nil, err
	}
	cust, err := d.store.CustomerByID(ctx, conv.WorkspaceID, conv.CustomerID)
	if err != nil {
		return nil, err
	}
	turns, err := d.store.AssistantTurns(ctx, ws.ID, conv.ID)
	if err != nil {
		return nil, err
	}
	// The customer's words before this message that an answer followed:
	// asking again after an answer is a repetition, after a question back
	// it is a rephrasing.
	earlier := assistant.RepeatBase(history, turns, msg.ID)
	tr := d.triage.Triage(triage.Input{Text: msg.Body, Locale: cust.Locale, History: earlier, Tier: cust.Tier}, d.policy(ws))
	d.metrics.TriageDecision(string(tr.Decision))
	d.log.Debug("triage", "conversation", conv.ID, "intent", tr.Intent, "confidence", tr.Confidence, "decision", tr.Decision, "reasons", tr.Reasons)
	summary := model.ConversationTriage{
		Language: tr.Language, Intent: tr.Intent, IntentConfidence: tr.Confidence, Sentiment: tr.Sentiment, Frustrated: tr.Frustrated || tr.Angry,
	}
	if tr.OutOfScope {
		summary.Intent, summary.IntentConfidence = "", 0 // an off-topic guess would mislead routing
		if conv.Triage != nil {
			// "I want a person" says nothing of the matter: what the
			// conversation is about stays known, for the skills it needs.
			summary.Intent, summary.IntentConfidence = conv.Triage.Intent, conv.Triage.IntentConfidence
		}
	}
	if tr.Sensitive != nil {
		summary.Sensitive = string(*tr.Sensitive)
	} else if conv.Triage != nil {
		summary.Sensitive = conv.Triage.Sensitive // a sensitive matter stays sensitive
	}
	if err := d.store.SetConversationTriage(ctx, conv.WorkspaceID, conv.ID, summary); err != nil {
		return nil, err
	}
	// Reopened straight to the queue by this message: the people need a packet.
	if missing, err := d.packetMissing(ctx, conv); err != nil {
		return nil, err
	} else if missing {
		cp := *conv
		cp.Triage = &summary
		d.buildPacket(ctx, &cp, conv.HandoffReason)
	}
	return &reading{ws: ws, cust: cust, history: history, turns: turns, triage: tr}, nil
}

// respond lets the assistant handle the customer's latest message, after
// it is durably stored: triage reads it, the assistant answers (from an
// article or the business's API), asks back, resolves on the customer's
// "yes, that helped", or hands the conversation to a person with a
// handoff packet.
func (d *Desk) respond(ctx context.Context, conv *model.Conversation, msg *model.Message) (*model.Conversation, error) {
	r, err := d.read(ctx, conv, msg)
	if err != nil {
		return nil, err
	}
	return d.converse(ctx, conv, msg, r)
}

// Handoff puts a conversation in the queue for a person, at once, whatever
// the assistant thought of it. Asking again while queued changes nothing.
func (d *Desk) Handoff(ctx context.Context, a Actor, id int64, reason string) (*model.Conversation, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return nil, model.Invalid("reason", "must be at most 500 bytes")
	}
	if reason == "" {
		reason = triage.ReasonHumanRequest
	}
	if _, err := d.handoff(ctx, conv, reason, model.AuthorSystem, "", queueNotice(conv), conversationLanguage(conv)); err != nil {
		return nil, err
	}
	return d.Conversation(ctx, a, id)
}

// handoff queues the conversation and tells the customer, in language
// lang, the notice and where it stands: whether someone is online, the
// expected wait, an email follow-up — never a promise nobody can keep.
func (d *Desk) handoff(ctx context.Context, conv *model.Conversation, reason string, kind model.AuthorKind, author, notice, lang string) (*model.Conversation, error) {
	queued, changed, err := d.store.QueueConversation(ctx, conv.WorkspaceID, conv.ID, reason, d.now())
	if err != nil {
		return nil, err
	}
	if changed {
		if info, err := d.dispatch.QueueInfo(ctx, queued); err != nil {
			d.log.Warn("hand-over: queue status unknown", "conversation", conv.ID, "err", err)
		} else {
			notice += " " + assistant.QueueStatus(lang, info.AgentsOnline > 0, expectedWait(info), d.mail.Enabled)
		}
		_, queued, _, err = d.addMessage(ctx, store.NewMessage{
			WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AuthorKind: kind, AuthorName: author, Body: notice,
		}, d.now())
		if err != nil {
			return nil, err
		}
		d.metrics.Handoff(kind == model.AuthorAssistant)
		// The packet is there before anyone is offered the conversation.
		d.buildPacket(ctx, queued, reason)
		d.changed(conv.WorkspaceID)
		d.Kick(conv.WorkspaceID)
	}
	return queued, nil
}

// expectedWait is the queue's expected wait in seconds, 0 when there is
// none to tell (unknown: nothing to estimate it from).
func expectedWait(q *model.QueueInfo) int {
	if q.ExpectedWaitSeconds == nil || q.ExpectedWaitUnknown {
		return 0
	}
	return *q.ExpectedWaitSeconds
}

// Resolve marks a conversation resolved; the agent's slot frees up.
func (d *Desk) Resolve(ctx context.Context, a Actor, id int64) (*model.Conversation, error) {
	before, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	now := d.now()
	pay, err := d.earning(ctx, before, now)
	if err != nil {
		return nil, err
	}
	conv, rescinded, err := d.store.ResolveAndPay(ctx, a.WorkspaceID, id, pay, now)
	if err != nil {
		return nil, err
	}
	d.metrics.OffersClosed("rescinded", len(rescinded))
	if before.Status != model.StatusResolved && conv.Status == model.StatusResolved {
		d.metrics.Resolved(resolvedBy(a))
	}
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return conv, nil
}

// earning is what resolving conv pays the person holding it, by the
// workspace's pay policy under the load now (workforce.EarnResolve); nil
// when nobody holds it or the workspace has no pay policy. The store writes
// it only if that person still holds the conversation when it resolves.
func (d *Desk) earning(ctx context.Context, conv *model.Conversation, now time.Time) (*store.Earning, error) {
	if conv.Status != model.StatusAssigned || conv.AssigneeID == nil || conv.AssignedAt == nil {
		return nil, nil
	}
	raw, err := d.store.PayPolicy(ctx, conv.WorkspaceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	policy, err := workforce.ParsePayPolicy([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("desk: stored pay policy: %w", err)
	}
	pl, err := d.store.PayLoad(ctx, conv.WorkspaceID, *conv.AssigneeID, now)
	if err != nil {
		return nil, err
	}
	load := workforce.Load{Queued: pl.Queued, OldestWait: pl.OldestWait, Slot: workforce.Percent(pl.SlotPercent)}
	pay := &store.Earning{AgentID: *conv.AssigneeID, Currency: policy.Currency}
	for _, e := range policy.EarnResolve(now.Sub(*conv.AssignedAt), load) {
		pay.Entries = append(pay.Entries, store.EarningEntry{Kind: e.Kind, Amount: e.Amount, Multiplier: int64(e.Multiplier)})
	}
	return pay, nil
}

// Follow starts following the events the actor may see, after the cursor
// after, or from the present when after is nil: this node reads each new
// event of the workspace once for all its streams (internal/stream).
func (d *Desk) Follow(ctx context.Context, a Actor, after *int64) (*stream.Follower, error) {
	aud := store.EventAudience{}
	switch a.Kind {
	case KindCustomer:
		aud.CustomerID = a.CustomerID
	case KindAgent:
		aud.AgentID = a.AgentID
	}
	return d.streams.Follow(ctx, a.WorkspaceID, aud, after)
}
