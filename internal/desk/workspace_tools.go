package desk

import (
	"context"

	"github.com/tandem-desk/tandem/internal/model"
)

// The agent workspace's tools: canned replies (staff read, supervisors and admins write)
// and tags on conversations (staff).

// CannedReplies lists the workspace's canned replies by shortcut.
func (d *Desk) CannedReplies(ctx context.Context, a Actor) ([]*model.CannedReply, error) {
	return d.store.CannedReplies(ctx, a.WorkspaceID)
}

// CannedReply returns one of the workspace's canned replies.
func (d *Desk) CannedReply(ctx context.Context, a Actor, id int64) (*model.CannedReply, error) {
	return d.store.CannedReply(ctx, a.WorkspaceID, id)
}

// SaveCannedReply creates (c.ID zero) or replaces a canned reply; supervisors and admins.
func (d *Desk) SaveCannedReply(ctx context.Context, a Actor, c model.CannedReply) (*model.CannedReply, error) {
	c.WorkspaceID = a.WorkspaceID
	if c.ID == 0 {
		c.CreatedBy = &a.AgentID
	}
	c.Body = maskCardNumbers(c.Body)
	return d.store.SaveCannedReply(ctx, c, d.now())
}

// DeleteCannedReply removes a canned reply; supervisors and admins.
func (d *Desk) DeleteCannedReply(ctx context.Context, a Actor, id int64) error {
	return d.store.DeleteCannedReply(ctx, a.WorkspaceID, id)
}

// SetTags replaces a conversation's tags (staff) and returns the
// conversation as GET /conversations/{id} shows it.
func (d *Desk) SetTags(ctx context.Context, a Actor, id int64, tags []string) (*model.Conversation, error) {
	if tags == nil {
		return nil, model.Invalid("tags", "is required (an empty list removes every tag)")
	}
	if _, err := d.conversationFor(ctx, a, id); err != nil {
		return nil, err
	}
	_, changed, err := d.store.SetConversationTags(ctx, a.WorkspaceID, id, tags, d.now())
	if err != nil {
		return nil, err
	}
	if changed {
		d.changed(a.WorkspaceID)
	}
	return d.Conversation(ctx, a, id)
}

// decorateTags adds its tags to a conversation shown to staff.
func (d *Desk) decorateTags(ctx context.Context, a Actor, conv *model.Conversation) error {
	if !a.IsStaff() {
		conv.Tags = nil
		return nil
	}
	m, err := d.store.ConversationTags(ctx, conv.WorkspaceID, []int64{conv.ID})
	if err != nil {
		return err
	}
	conv.Tags = m[conv.ID]
	return nil
}

// tagAll adds their tags to the conversations of a list shown to staff.
func (d *Desk) tagAll(ctx context.Context, a Actor, list []*model.Conversation) error {
	if !a.IsStaff() || len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	m, err := d.store.ConversationTags(ctx, a.WorkspaceID, ids)
	if err != nil {
		return err
	}
	for _, c := range list {
		c.Tags = m[c.ID]
	}
	return nil
}
