package desk

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/model"
)

// Typing indicators are transient: "Ana is typing…" matters for a few
// seconds and never afterwards, so a notice is neither stored nor part of
// the event log (it has no seq and is not replayed after a reconnect). The
// desk keeps the latest notices of each workspace in memory and signals the
// workspace's typing topic on the bus; the streams of this node that follow
// the workspace read the notices they may see and forward them.
//
// A notice reaches the streams of the node that received it: the bus
// carries signals, not data. (On a cluster a notice is lost when customer
// and agent are connected to different nodes — it is only a hint.)

// TypingNotice says that someone is writing in a conversation.
type TypingNotice struct {
	WorkspaceID    int64
	ConversationID int64
	// CustomerID and AssigneeID say who may see it: the conversation's
	// customer (of staff typing) and its owner (of anyone else typing).
	CustomerID int64
	AssigneeID int64
	AuthorKind model.AuthorKind
	AuthorID   int64
	// Name is shown: the agent's name, or the customer's.
	Name string
	At   time.Time
	n    uint64
}

const (
	// typingKept is how many recent notices a workspace keeps for its streams.
	typingKept = 256
	// typingEvery drops a writer's notices closer together than this.
	typingEvery = time.Second
)

// typingBoard holds the recent typing notices of every workspace.
type typingBoard struct {
	mu   sync.Mutex
	ws   map[int64]*typingRing
	last map[typingKey]time.Time
}

type typingRing struct {
	n      uint64 // notices ever posted in the workspace
	recent []TypingNotice
}

type typingKey struct {
	conv int64
	kind model.AuthorKind
	id   int64
}

// TypingTopic is the bus topic that signals new typing notices of a workspace.
func TypingTopic(workspaceID int64) string { return fmt.Sprintf("workspace.%d.typing", workspaceID) }

// Typing tells whoever follows the conversation that the actor is writing
// in it: its customer, when staff write; its owner (and admins), when the
// customer or another staff member writes. Clients call it at most every
// few seconds while the person types; notices closer than a second apart
// from one writer are dropped.
func (d *Desk) Typing(ctx context.Context, a Actor, conversationID int64) error {
	conv, err := d.conversationFor(ctx, a, conversationID)
	if err != nil {
		return err
	}
	if conv.Status == model.StatusClosed {
		return nil
	}
	n := TypingNotice{WorkspaceID: a.WorkspaceID, ConversationID: conv.ID, CustomerID: conv.CustomerID, At: d.now()}
	if conv.AssigneeID != nil {
		n.AssigneeID = *conv.AssigneeID
	}
	if a.Kind == KindCustomer {
		n.AuthorKind, n.AuthorID, n.Name = model.AuthorCustomer, a.CustomerID, conv.CustomerName
	} else {
		n.AuthorKind, n.AuthorID = model.AuthorAgent, a.AgentID
	}
	if !d.typing.allow(typingKey{conv.ID, n.AuthorKind, n.AuthorID}, n.At) {
		return nil
	}
	if a.IsStaff() {
		agent, err := d.store.AgentByID(ctx, a.WorkspaceID, a.AgentID)
		if err != nil {
			return err
		}
		n.Name = agent.Name
	}
	d.typing.post(n)
	d.bus.Publish(TypingTopic(a.WorkspaceID))
	return nil
}

// allow reports whether a writer's notice is due, and notes it.
func (b *typingBoard) allow(k typingKey, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[typingKey]time.Time{}
	}
	if prev, ok := b.last[k]; ok && now.Sub(prev) < typingEvery && !now.Before(prev) {
		return false
	}
	if len(b.last) > 10000 { // forget the writers who stopped long ago
		for key, at := range b.last {
			if now.Sub(at) > time.Minute {
				delete(b.last, key)
			}
		}
	}
	b.last[k] = now
	return true
}

func (b *typingBoard) post(n TypingNotice) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ws == nil {
		b.ws = map[int64]*typingRing{}
	}
	r := b.ws[n.WorkspaceID]
	if r == nil {
		r = &typingRing{}
		b.ws[n.WorkspaceID] = r
	}
	r.n++
	n.n = r.n
	if len(r.recent) == typingKept {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:typingKept-1]
	}
	r.recent = append(r.recent, n)
}

// TypingFeed follows a workspace's typing notices for one actor.
type TypingFeed struct {
	// C signals that there may be new notices: read them with Next.
	C     <-chan struct{}
	d     *Desk
	a     Actor
	after uint64
	sub   *bus.Subscription
}

// FollowTyping starts following the typing notices the actor may see,
// from now on. Close it when done.
func (d *Desk) FollowTyping(a Actor) *TypingFeed {
	sub := d.bus.Subscribe(TypingTopic(a.WorkspaceID))
	f := &TypingFeed{C: sub.C, d: d, a: a, sub: sub}
	d.typing.mu.Lock()
	if r := d.typing.ws[a.WorkspaceID]; r != nil {
		f.after = r.n
	}
	d.typing.mu.Unlock()
	return f
}

// Close stops following.
func (f *TypingFeed) Close() { f.sub.Close() }

// Next returns the notices posted since the last call that the actor may
// see: a customer those of staff in their own conversations; an agent
// those of others in the conversations they own; an admin everyone's but
// their own.
func (f *TypingFeed) Next() []TypingNotice {
	b := &f.d.typing
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ws[f.a.WorkspaceID]
	if r == nil {
		return nil
	}
	var out []TypingNotice
	for _, n := range r.recent {
		if n.n > f.after && f.visible(n) {
			out = append(out, n)
		}
	}
	f.after = r.n
	return out
}

func (f *TypingFeed) visible(n TypingNotice) bool {
	a := f.a
	switch a.Kind {
	case KindCustomer:
		return n.CustomerID == a.CustomerID && n.AuthorKind != model.AuthorCustomer
	case KindAgent:
		return n.AssigneeID == a.AgentID && !(n.AuthorKind == model.AuthorAgent && n.AuthorID == a.AgentID)
	case KindAdmin:
		return !(n.AuthorKind == model.AuthorAgent && n.AuthorID == a.AgentID)
	}
	return false
}
