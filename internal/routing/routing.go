// Package routing is Tandem's dispatch policy: a pure function from a
// snapshot of the queue and the available agents, and the time, to the
// offers to make. It does no I/O and is deterministic, so the server and a
// simulator can drive the very same code with a wall or a virtual clock.
package routing

import (
	"sort"
	"time"
)

// Agent is an available agent as the policy sees them.
type Agent struct {
	ID       int64
	Capacity int
	// Active is conversations assigned now; Pending is offers awaiting an answer.
	Active, Pending int
	// IdleSince is when the agent last changed status; the longest idle is
	// preferred among equally loaded agents.
	IdleSince time.Time
	// LastOfferedAt spreads offers: the agent offered longest ago goes first.
	LastOfferedAt *time.Time
}

func (a Agent) free() int { return a.Capacity - a.Active - a.Pending }

// Conversation is a queued conversation without a pending offer.
type Conversation struct {
	ID       int64
	QueuedAt time.Time
	// Tried holds agents who already let an offer of this conversation go,
	// with when. They get it again only when nobody else can take it.
	Tried map[int64]time.Time
}

// Snapshot is the state the policy decides on.
type Snapshot struct {
	Queue  []Conversation
	Agents []Agent
	// Cooldown is how long an agent who passed on a conversation is spared
	// from being offered it again; DefaultCooldown when zero.
	Cooldown time.Duration
}

// DefaultCooldown spares an agent who declined the same offer at once.
const DefaultCooldown = time.Minute

// Offer is a decision: offer this conversation to this agent.
type Offer struct {
	ConversationID int64
	AgentID        int64
}

// Plan returns the offers to make now: the oldest conversation first, each
// to the best agent with a free slot. Best means not yet tried on this
// conversation, then the least loaded, then offered longest ago, then idle
// longest, then the lowest id (for determinism). An agent who passed on a
// conversation gets it again only when nobody else can take it and their
// cooldown is over; recheck is then when the first cooldown ends (zero when
// nothing waits on one), so the caller knows when to plan again.
func Plan(s Snapshot, now time.Time) (offers []Offer, recheck time.Time) {
	cooldown := s.Cooldown
	if cooldown <= 0 {
		cooldown = DefaultCooldown
	}
	queue := append([]Conversation(nil), s.Queue...)
	sort.SliceStable(queue, func(i, j int) bool {
		if !queue[i].QueuedAt.Equal(queue[j].QueuedAt) {
			return queue[i].QueuedAt.Before(queue[j].QueuedAt)
		}
		return queue[i].ID < queue[j].ID
	})
	agents := append([]Agent(nil), s.Agents...)
	for _, c := range queue {
		best, free := -1, false
		for i := range agents {
			if agents[i].free() <= 0 {
				continue
			}
			free = true
			if passed, at := tried(c, agents[i].ID); passed && now.Before(at.Add(cooldown)) {
				if until := at.Add(cooldown); recheck.IsZero() || until.Before(recheck) {
					recheck = until
				}
				continue
			}
			if best < 0 || better(agents[i], agents[best], c) {
				best = i
			}
		}
		if !free {
			break // nobody has a free slot: the rest of the queue waits too
		}
		if best < 0 {
			continue // only agents in their cooldown: a younger conversation may still fit
		}
		agents[best].Pending++
		t := now
		agents[best].LastOfferedAt = &t
		offers = append(offers, Offer{ConversationID: c.ID, AgentID: agents[best].ID})
	}
	return offers, recheck
}

// better reports whether a should get conversation c rather than b.
func better(a, b Agent, c Conversation) bool {
	aTried, aWhen := tried(c, a.ID)
	bTried, bWhen := tried(c, b.ID)
	if aTried != bTried {
		return !aTried
	}
	if aTried && !aWhen.Equal(bWhen) {
		return aWhen.Before(bWhen) // the one who passed longest ago
	}
	if a.Active+a.Pending != b.Active+b.Pending {
		return a.Active+a.Pending < b.Active+b.Pending
	}
	if la, lb := offeredAt(a), offeredAt(b); !la.Equal(lb) {
		return la.Before(lb)
	}
	if !a.IdleSince.Equal(b.IdleSince) {
		return a.IdleSince.Before(b.IdleSince)
	}
	return a.ID < b.ID
}

func tried(c Conversation, agentID int64) (bool, time.Time) {
	at, ok := c.Tried[agentID]
	return ok, at
}

func offeredAt(a Agent) time.Time {
	if a.LastOfferedAt == nil {
		return time.Time{}
	}
	return *a.LastOfferedAt
}
