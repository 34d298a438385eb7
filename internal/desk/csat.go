package desk

import (
	"context"
	"errors"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// SubmitCSAT records the customer's 1–5 rating of their resolved
// conversation, with an optional comment (card numbers masked). Rating
// again replaces the rating (created=false); the same rating again changes
// nothing. Only the conversation's customer rates it: staff get 403, other
// customers 404, and a conversation that is not resolved is a conflict.
func (d *Desk) SubmitCSAT(ctx context.Context, a Actor, id int64, score int, comment string) (*model.CSAT, bool, error) {
	if _, err := d.conversationFor(ctx, a, id); err != nil {
		return nil, false, err
	}
	comment, err := model.ValidateCSAT(score, comment)
	if err != nil {
		return nil, false, err
	}
	rating, created, err := d.store.SubmitCSAT(ctx, a.WorkspaceID, id, a.CustomerID, score, maskCardNumbers(comment), d.now())
	if err != nil {
		return nil, false, err
	}
	d.changed(a.WorkspaceID)
	return rating, created, nil
}

// decorateCSAT adds the customer's rating to a conversation, if there is one.
func (d *Desk) decorateCSAT(ctx context.Context, conv *model.Conversation) error {
	r, err := d.store.CSAT(ctx, conv.WorkspaceID, conv.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	conv.CSAT = r
	return nil
}
