package desk

import (
	"context"
	"fmt"
	"strings"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TransferRequest says where a conversation goes: back to the queue
// (ToQueue), or to a colleague (AgentID). Note, when given, is left as an
// internal note for whoever takes it next.
type TransferRequest struct {
	ToQueue bool
	AgentID int64
	Note    string
}

// TransferResult is the conversation after a transfer and, for a transfer
// to a colleague, the offer made to them.
type TransferResult struct {
	Conversation *model.Conversation `json:"conversation"`
	Offer        *model.Offer        `json:"offer"`
}

// transferNotices is what the customer reads when their conversation
// changes hands, in the language triage read in their words (else English).
var transferNotices = map[string]string{
	"en": "You're being transferred to a colleague. Someone will be with you shortly.",
	"sv": "Du kopplas vidare till en kollega. Någon är med dig inom kort.",
	"de": "Sie werden an eine Kollegin oder einen Kollegen weitergeleitet. Gleich ist jemand für Sie da.",
	"es": "Te estamos pasando con un compañero. Alguien te atenderá enseguida.",
	"fr": "Nous vous transférons à un collègue. Quelqu’un sera avec vous dans un instant.",
}

// queueNotices is what the customer reads when they asked for a person
// (the "Talk to a person" button), in their language (else English); where
// the queue stands follows it (see handoff).
var queueNotices = map[string]string{
	"en": "You asked to talk to a person.",
	"sv": "Du bad om att få prata med en person.",
	"de": "Sie möchten mit einer Person sprechen.",
	"es": "Has pedido hablar con una persona.",
	"fr": "Vous avez demandé à parler à une personne.",
}

func transferNotice(conv *model.Conversation) string { return inLanguage(transferNotices, conv) }

func queueNotice(conv *model.Conversation) string { return inLanguage(queueNotices, conv) }

// conversationLanguage is the language of the customer's words, when the
// assistant speaks it, else English.
func conversationLanguage(conv *model.Conversation) string {
	if conv.Triage != nil && assistant.Phrased(conv.Triage.Language) {
		return conv.Triage.Language
	}
	return "en"
}

// inLanguage picks the text in the language triage read in the customer's words.
func inLanguage(texts map[string]string, conv *model.Conversation) string {
	if conv.Triage != nil {
		if s, ok := texts[conv.Triage.Language]; ok {
			return s
		}
	}
	return texts["en"]
}

// Transfer moves a conversation the caller holds (an admin: anyone's) off
// them: back to the queue with the reason "transferred by <name>", freeing
// their slot, or to a colleague, who is offered it at once with the
// workspace's accept deadline — provided they are available, certified and
// have a free slot (else 409 with the reason; nothing changes). The
// customer is told in the transcript; an optional note goes to the next
// person as an internal note.
func (d *Desk) Transfer(ctx context.Context, a Actor, id int64, req TransferRequest) (*TransferResult, error) {
	if req.ToQueue == (req.AgentID != 0) {
		return nil, model.Invalid("to", `give either "to":"queue" or an "agent_id"`)
	}
	if req.AgentID < 0 {
		return nil, model.Invalid("agent_id", "must be a staff member's id")
	}
	note := strings.TrimSpace(req.Note)
	if note != "" {
		if err := model.ValidateBody(note); err != nil {
			return nil, model.Invalid("note", "%s", strings.TrimPrefix(err.Error(), "body: "))
		}
	}
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if conv.Status == model.StatusAssigned && a.Kind != KindAdmin && (conv.AssigneeID == nil || *conv.AssigneeID != a.AgentID) {
		return nil, fmt.Errorf("only the person who holds the conversation, or an admin, can transfer it: %w", ErrForbidden)
	}
	me, err := d.store.AgentByID(ctx, a.WorkspaceID, a.AgentID)
	if err != nil {
		return nil, err
	}
	set, err := d.dispatch.Settings(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	now := d.now()
	moved, offer, err := d.store.TransferConversation(ctx, store.Transfer{
		WorkspaceID: a.WorkspaceID, ConversationID: id, By: a.AgentID, Admin: a.Kind == KindAdmin,
		To: req.AgentID, Reason: "transferred by " + me.Name, ExpiresAt: now.Add(set.AcceptTimeout),
	}, now)
	if err != nil {
		return nil, err
	}
	if note != "" {
		_, _, _, err = d.addMessage(ctx, store.NewMessage{
			WorkspaceID: a.WorkspaceID, ConversationID: id, AuthorKind: model.AuthorAgent, AuthorID: &a.AgentID, AuthorName: me.Name,
			Body: maskCardNumbers("Transfer note: " + note), Internal: true,
		}, d.now())
		if err != nil {
			return nil, err
		}
	}
	if _, _, _, err := d.addMessage(ctx, store.NewMessage{
		WorkspaceID: a.WorkspaceID, ConversationID: id, AuthorKind: model.AuthorSystem, Body: transferNotice(conv),
	}, d.now()); err != nil {
		return nil, err
	}
	d.log.Info("conversation transferred", "conversation", id, "by", a.AgentID, "to_agent", req.AgentID, "queued_at", moved.QueuedAt)
	d.changed(a.WorkspaceID)
	if offer != nil {
		d.metrics.OffersMade("transfer", 1)
		d.dispatch.OffersMade() // dispatchers wake at its deadline
	}
	d.Kick(a.WorkspaceID) // a slot freed; the queue moved
	out, err := d.Conversation(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return &TransferResult{Conversation: out, Offer: offer}, nil
}
