package dispatch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/routing"
	"github.com/tandem-desk/tandem/internal/store"
)

// Take makes agent agentID the owner of a queued conversation they picked
// from the queue, with the invariants of an accepted offer: routing must
// find them able to take it now (routing.Takeable: available, certified,
// the skills of its current ring, a free slot, no offer of it to anyone
// else), and the store re-checks all but the skills in its transaction,
// so a conversation has one owner and nobody goes over capacity however
// many take at once. Conflicts are store.ErrConflict, with a reason.
func (d *Dispatcher) Take(ctx context.Context, workspaceID, agentID, conversationID int64) (*model.Offer, *model.Conversation, error) {
	set, err := d.Settings(ctx, workspaceID)
	if err != nil {
		return nil, nil, err
	}
	now := d.now()
	snap, err := d.snapshot(ctx, workspaceID, set, now)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range snap.Queue {
		if c.ID == conversationID && !routing.Takeable(snap, now, agentID)[c.ID] {
			return nil, nil, fmt.Errorf("you cannot take this conversation now: it needs an available agent with a free slot and the skills %s, and it must not be offered to a colleague: %w",
				requiredOf(&snap, now, c.ID), store.ErrConflict)
		}
	}
	offer, conv, err := d.store.TakeConversation(ctx, workspaceID, conversationID, agentID, now)
	if err != nil {
		return nil, nil, err
	}
	d.log.Info("conversation taken from the queue", "conversation", conversationID, "agent", agentID)
	d.metrics.OffersMade("take", 1)
	d.metrics.OffersClosed("accepted", 1)
	d.changed(workspaceID)
	d.Kick(workspaceID) // the queue moved up: the customers waiting are told
	return offer, conv, nil
}

// requiredOf names the skills a queued conversation requires now.
func requiredOf(snap *routing.Snapshot, now time.Time, conversationID int64) string {
	for _, p := range routing.Rank(*snap, now, fallbackHandleTime) {
		if p.ConversationID == conversationID {
			if len(p.Skills) == 0 {
				return "(none)"
			}
			return strings.Join(p.Skills, ", ")
		}
	}
	return "(none)"
}

// handBackNotices is what a customer reads when the person helping them
// stopped working and their conversation is back at the front of the
// queue, in the language triage read in their words (else English).
var handBackNotices = map[string]string{
	"en": "The person who was helping you had to leave. You're first in line for the next one — someone will be with you shortly.",
	"sv": "Personen som hjälpte dig var tvungen att gå. Du står först i kön till nästa – någon är med dig inom kort.",
	"de": "Die Person, die Ihnen geholfen hat, musste gehen. Sie sind als Nächstes an der Reihe – gleich ist jemand für Sie da.",
	"es": "La persona que te atendía ha tenido que irse. Eres el primero en la cola: alguien te atenderá enseguida.",
	"fr": "La personne qui vous aidait a dû partir. Vous êtes le premier dans la file : quelqu’un sera avec vous dans un instant.",
}

func handBackNotice(conv *model.Conversation) string {
	if conv.Triage != nil {
		if s, ok := handBackNotices[conv.Triage.Language]; ok {
			return s
		}
	}
	return handBackNotices["en"]
}

// HandBack gives an agent's work in a workspace back: their pending
// offers are rescinded, and every conversation they hold goes back to the
// queue at its front — ahead of everyone waiting, boosts included — with
// the customer told in their language. Call it whenever an agent stops
// working while holding conversations: going offline, being deactivated.
// reason becomes the conversations' handoff reason. It returns the
// conversations handed back.
func (d *Dispatcher) HandBack(ctx context.Context, workspaceID, agentID int64, reason string) ([]*model.Conversation, error) {
	_, convs, err := d.handBack(ctx, workspaceID, agentID, reason, false)
	return convs, err
}

// GoOffline sets an agent offline and hands their work back as HandBack
// does, in one transaction: if it fails, the agent keeps their status and
// their conversations. It returns the agent as they are now and the
// conversations handed back.
func (d *Dispatcher) GoOffline(ctx context.Context, workspaceID, agentID int64, reason string) (*model.Agent, []*model.Conversation, error) {
	return d.handBack(ctx, workspaceID, agentID, reason, true)
}

func (d *Dispatcher) handBack(ctx context.Context, workspaceID, agentID int64, reason string, offline bool) (*model.Agent, []*model.Conversation, error) {
	set, err := d.Settings(ctx, workspaceID)
	if err != nil {
		return nil, nil, err
	}
	now := d.now()
	snap, err := d.snapshot(ctx, workspaceID, set, now)
	if err != nil {
		return nil, nil, err
	}
	// The front: a second more priority than the most urgent conversation
	// waiting now has. The queue is one order of priority (waiting time
	// plus boosts), so that puts them first, in the order handed back.
	top := 0.0
	for i := range snap.Queue {
		top = max(top, set.Priority(&snap.Queue[i], now))
	}
	front := time.Duration((top + 1) * float64(time.Second)).Truncate(time.Microsecond)
	boost := func(i int) time.Duration { return front - time.Duration(i)*time.Microsecond }
	var agent *model.Agent
	var convs []*model.Conversation
	var rescinded []*model.Offer
	if offline {
		agent, convs, rescinded, err = d.store.GoOffline(ctx, workspaceID, agentID, reason, boost, now)
	} else {
		convs, rescinded, err = d.store.HandBack(ctx, workspaceID, agentID, reason, boost, now)
	}
	if err != nil {
		return nil, nil, err
	}
	d.metrics.OffersClosed("rescinded", len(rescinded))
	for _, c := range convs {
		_, _, created, err := d.store.AddMessage(ctx, store.NewMessage{
			WorkspaceID: workspaceID, ConversationID: c.ID, AuthorKind: model.AuthorSystem, Body: handBackNotice(c),
		}, d.now())
		if err != nil {
			return nil, nil, err
		}
		if created {
			d.metrics.MessageStored(string(model.AuthorSystem))
		}
		d.log.Info("conversation handed back to the queue", "conversation", c.ID, "agent", agentID, "reason", reason)
	}
	if len(convs) > 0 || len(rescinded) > 0 {
		d.changed(workspaceID)
		d.Kick(workspaceID)
	}
	return agent, convs, nil
}
