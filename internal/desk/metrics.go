package desk

import (
	"context"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// addMessage stores a message and counts it when it is new (a retried
// client_id returns the first message and is not counted again).
func (d *Desk) addMessage(ctx context.Context, m store.NewMessage, now time.Time) (*model.Message, *model.Conversation, bool, error) {
	msg, conv, created, err := d.store.AddMessage(ctx, m, now)
	if err == nil && created {
		d.metrics.MessageStored(string(msg.AuthorKind))
	}
	return msg, conv, created, err
}

// resolvedBy is the label of a resolution by actor a.
func resolvedBy(a Actor) string {
	if a.Kind == KindCustomer {
		return "customer"
	}
	return "agent"
}
