package desk

import (
	"context"

	"github.com/tandem-desk/tandem/internal/assistant"
	"github.com/tandem-desk/tandem/internal/model"
)

// Feedback is the customer's answer to "Did this answer your question?".
// Yes resolves the conversation as resolved by the assistant — it counts
// toward containment — while the assistant holds it; no hands it over to a
// person at once, with the reason not_helpful. Saying yes again changes
// nothing; yes while people have the conversation is a conflict.
func (d *Desk) Feedback(ctx context.Context, a Actor, id int64, helpful bool, messageID int64) (*model.Conversation, error) {
	conv, err := d.conversationFor(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if messageID < 0 {
		return nil, model.Invalid("message_id", "must be a message id")
	}
	if helpful {
		if _, changed, err := d.store.ResolveByAssistant(ctx, a.WorkspaceID, id, messageID, d.now()); err != nil {
			return nil, err
		} else if changed {
			d.changed(a.WorkspaceID)
		}
		return d.Conversation(ctx, a, id)
	}
	if err := d.store.AddFeedbackEvent(ctx, conv, messageID, false, d.now()); err != nil {
		return nil, err
	}
	lang := ""
	if conv.Triage != nil {
		lang = conv.Triage.Language
	}
	reasons := []string{assistant.ReasonNotHelpful}
	ws, err := d.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	queued, err := d.handoff(ctx, conv, assistant.ReasonNotHelpful, model.AuthorAssistant, ws.AssistantName, assistant.HandoffNotice(lang, reasons), lang)
	if err != nil {
		return nil, err
	}
	if queued.Status == model.StatusQueued && conv.Status != model.StatusQueued {
		if err := d.store.AddAssistantTurn(ctx, model.AssistantTurn{WorkspaceID: a.WorkspaceID, ConversationID: id, Kind: model.TurnHandoff,
			Language: lang, Reasons: reasons, CreatedAt: d.now()}); err != nil {
			return nil, err
		}
	}
	d.changed(a.WorkspaceID)
	return d.Conversation(ctx, a, id)
}
