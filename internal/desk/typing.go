package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/model"
)

// Typing indicators are transient: "Ana is typing…" matters for a few
// seconds and never afterwards, so a notice is neither stored nor part of
// the event log (it has no seq and is not replayed after a reconnect).
//
// The node that receives a notice broadcasts it on the bus to the
// workspace's typing topic (bus.Broadcast: a small payload, at most once,
// lossy — it is only a hint). Every node whose streams follow the
// workspace's typing listens to that topic while it has such followers,
// and posts what it hears to its own board, which keeps the latest notices
// of each workspace in memory and wakes its local followers; each reads the
// notices it may see and forwards them. The sending node hears its own
// broadcast like the others (the bus hands it to local listeners too), so
// every node posts a notice once, by one path. The payload carries what the
// visibility rules need (customer, owner, author), so they hold on every
// node without a database read, and a payload that does not make sense is
// ignored.

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

// typingBoard holds the recent typing notices of every workspace, and this
// node's followers of them.
type typingBoard struct {
	mu   sync.Mutex
	ws   map[int64]*typingRing
	last map[typingKey]time.Time
	// feeds are the local followers of each workspace; listeners hold the
	// bus listener of each workspace that has any.
	feeds     map[int64]map[*TypingFeed]struct{}
	listeners map[int64]*bus.Listener
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

// TypingTopic is the bus topic on which a workspace's typing notices are broadcast.
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
	payload, err := json.Marshal(typingWire{
		WorkspaceID: n.WorkspaceID, ConversationID: n.ConversationID, CustomerID: n.CustomerID, AssigneeID: n.AssigneeID,
		AuthorKind: n.AuthorKind, AuthorID: n.AuthorID, Name: n.Name, At: n.At,
	})
	if err != nil {
		return fmt.Errorf("desk: typing: %w", err)
	}
	// This node's followers hear it through the bus too (see the top).
	if err := d.bus.Broadcast(TypingTopic(a.WorkspaceID), payload); err != nil {
		d.log.Warn("desk: typing notice not sent", "workspace", a.WorkspaceID, "conversation", conv.ID, "err", err)
	}
	return nil
}

// typingWire is a typing notice on the bus.
type typingWire struct {
	WorkspaceID    int64            `json:"workspace_id"`
	ConversationID int64            `json:"conversation_id"`
	CustomerID     int64            `json:"customer_id"`
	AssigneeID     int64            `json:"assignee_id,omitempty"`
	AuthorKind     model.AuthorKind `json:"author_kind"`
	AuthorID       int64            `json:"author_id"`
	Name           string           `json:"name"`
	At             time.Time        `json:"at"`
}

var errTypingPayload = errors.New("desk: malformed typing notice")

// decodeTyping reads a notice broadcast to workspace ws's typing topic and
// checks that it makes sense: the visibility rules trust its ids. Unknown
// fields are allowed, so nodes of the next version may add some.
func decodeTyping(ws int64, payload []byte) (TypingNotice, error) {
	var w typingWire
	if err := json.Unmarshal(payload, &w); err != nil {
		return TypingNotice{}, fmt.Errorf("%w: %v", errTypingPayload, err)
	}
	bad := func(why string) (TypingNotice, error) {
		return TypingNotice{}, fmt.Errorf("%w: %s", errTypingPayload, why)
	}
	switch {
	case w.WorkspaceID != ws:
		return bad("workspace is not the topic's")
	case w.ConversationID <= 0 || w.CustomerID <= 0 || w.AssigneeID < 0 || w.AuthorID <= 0:
		return bad("missing or negative ids")
	case w.AuthorKind == model.AuthorCustomer && w.AuthorID != w.CustomerID:
		return bad("a customer typing in another's conversation")
	case w.AuthorKind != model.AuthorCustomer && w.AuthorKind != model.AuthorAgent:
		return bad("author is neither customer nor agent")
	case len(w.Name) > model.MaxNameLen || !utf8.ValidString(w.Name):
		return bad("name too long or not UTF-8")
	case w.At.IsZero():
		return bad("no time")
	}
	return TypingNotice{
		WorkspaceID: w.WorkspaceID, ConversationID: w.ConversationID, CustomerID: w.CustomerID, AssigneeID: w.AssigneeID,
		AuthorKind: w.AuthorKind, AuthorID: w.AuthorID, Name: w.Name, At: w.At,
	}, nil
}

// hearTyping posts the notices broadcast to the workspace's typing topic,
// until the listener is closed (the last local follower left).
func (d *Desk) hearTyping(ws int64, l *bus.Listener) {
	for payload := range l.C {
		n, err := decodeTyping(ws, payload)
		if err != nil {
			d.log.Debug("desk: ignoring a typing notice", "workspace", ws, "err", err)
			continue
		}
		d.typing.post(n)
	}
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
	for f := range b.feeds[n.WorkspaceID] {
		select {
		case f.c <- struct{}{}:
		default: // already woken: it reads everything new anyway
		}
	}
}

// TypingFeed follows a workspace's typing notices for one actor.
type TypingFeed struct {
	// C signals that there may be new notices: read them with Next.
	C     <-chan struct{}
	c     chan struct{}
	d     *Desk
	a     Actor
	after uint64
	once  sync.Once
}

// FollowTyping starts following the typing notices the actor may see,
// from now on, from every node. Close it when done. The workspace's first
// follower on this node starts listening to its typing topic.
func (d *Desk) FollowTyping(a Actor) *TypingFeed {
	c := make(chan struct{}, 1)
	f := &TypingFeed{C: c, c: c, d: d, a: a}
	b := &d.typing
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.ws[a.WorkspaceID]; r != nil {
		f.after = r.n
	}
	if b.feeds == nil {
		b.feeds = map[int64]map[*TypingFeed]struct{}{}
		b.listeners = map[int64]*bus.Listener{}
	}
	if b.feeds[a.WorkspaceID] == nil {
		b.feeds[a.WorkspaceID] = map[*TypingFeed]struct{}{}
		l := d.bus.Listen(TypingTopic(a.WorkspaceID))
		b.listeners[a.WorkspaceID] = l
		go d.hearTyping(a.WorkspaceID, l)
	}
	b.feeds[a.WorkspaceID][f] = struct{}{}
	return f
}

// Close stops following; the workspace's last follower on this node stops
// listening to its typing topic. Calling it again does nothing.
func (f *TypingFeed) Close() {
	f.once.Do(func() {
		b := &f.d.typing
		b.mu.Lock()
		defer b.mu.Unlock()
		ws := f.a.WorkspaceID
		delete(b.feeds[ws], f)
		if len(b.feeds[ws]) == 0 {
			delete(b.feeds, ws)
			if l := b.listeners[ws]; l != nil {
				l.Close() // ends its hearTyping
				delete(b.listeners, ws)
			}
		}
	})
}

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
	case KindSupervisor, KindAdmin:
		return !(n.AuthorKind == model.AuthorAgent && n.AuthorID == a.AgentID)
	}
	return false
}
