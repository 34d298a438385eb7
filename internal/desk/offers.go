package desk

import (
	"context"

	"github.com/tandem-desk/tandem/internal/dispatch"
	"github.com/tandem-desk/tandem/internal/model"
)

// Run dispatches until ctx ends (see dispatch.Dispatcher.Run).
func (d *Desk) Run(ctx context.Context) error { return d.dispatch.Run(ctx) }

// Dispatcher is the desk's dispatcher, for code outside the use cases
// that changes who works: a deactivated agent's work is handed back with
// Dispatcher().HandBack, as going offline does.
func (d *Desk) Dispatcher() *dispatch.Dispatcher { return d.dispatch }

// Kick asks the dispatcher to look at a workspace's queue: a conversation
// was queued, an agent became available, a slot freed, an offer was let go.
func (d *Desk) Kick(workspaceID int64) { d.dispatch.Kick(workspaceID) }

// DispatchPasses reports this node's dispatch passes (see
// dispatch.Passes); the route lets supervisors and admins.
func (d *Desk) DispatchPasses(a Actor) (dispatch.Passes, error) {
	return d.dispatch.Passes(), nil
}

// Offers lists the calling agent's pending offers.
func (d *Desk) Offers(ctx context.Context, a Actor) ([]*model.Offer, error) {
	return d.store.PendingOffers(ctx, a.WorkspaceID, a.AgentID)
}

// AcceptOffer makes the calling agent the conversation's owner.
func (d *Desk) AcceptOffer(ctx context.Context, a Actor, offerID int64) (*model.Offer, *model.Conversation, error) {
	offer, conv, err := d.store.AcceptOffer(ctx, a.WorkspaceID, offerID, a.AgentID, d.now())
	if err != nil {
		return nil, nil, err
	}
	d.metrics.OffersClosed("accepted", 1)
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID) // the queue moved up: the customers waiting are told
	return offer, conv, nil
}

// DeclineOffer passes on an offer; the conversation is offered to the next agent.
func (d *Desk) DeclineOffer(ctx context.Context, a Actor, offerID int64) (*model.Offer, error) {
	offer, err := d.store.DeclineOffer(ctx, a.WorkspaceID, offerID, a.AgentID, d.now())
	if err != nil {
		return nil, err
	}
	d.metrics.OffersClosed("declined", 1)
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return offer, nil
}

// Take makes the calling agent the owner of a conversation they picked
// from the queue, with the invariants of an accepted offer (see
// dispatch.Dispatcher.Take).
func (d *Desk) Take(ctx context.Context, a Actor, conversationID int64) (*model.Offer, *model.Conversation, error) {
	return d.dispatch.Take(ctx, a.WorkspaceID, a.AgentID, conversationID)
}
