package routing

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Place is where a queued conversation stands: its place in the order
// Plan serves the queue in, and how long it can expect to wait.
type Place struct {
	ConversationID int64
	// Position is 1 for the conversation served next.
	Position int
	Priority float64
	// Ring is the ring it is in now (see Plan: reached by waiting, or by
	// skipping rings no available agent meets) and Skills what it requires.
	Ring    int
	Skills  []string
	Offered bool
	// AgentsOnline counts the available agents who could take it in its
	// widest ring, free or not.
	AgentsOnline int
	// Wait is the expected wait from now. WaitKnown is false when nobody
	// available could take the conversation in any ring still ahead of
	// it: there is nothing to estimate from.
	Wait      time.Duration
	WaitKnown bool
}

// BusyFloor is the least wait a conversation is told while no agent who
// could take it has a free slot: a slot has to free first, and "under a
// minute" would be a promise nobody keeps.
const BusyFloor = time.Minute

// Rank is Planner.Rank with a fresh planner.
func Rank(s Snapshot, now time.Time, handle time.Duration) []Place {
	var p Planner
	return p.Rank(s, now, handle)
}

// Rank places every queued conversation of s, offered or not, in the
// order Plan serves them, with its ring (as Plan computes it) and an
// expected wait. The wait is the soonest of, over each ring from its
// current one to the widest: when that ring starts, or when the agents
// eligible in it have worked off the conversations ahead that they could
// also take — at handle per conversation over their slots, after their
// free slots. An offered conversation waits no longer.
func (p *Planner) Rank(s Snapshot, now time.Time, handle time.Duration) []Place {
	set := &s.Settings
	p.load(&s, now)
	for i := range p.agents {
		a := &p.agents[i]
		a.free = a.capacity - s.Agents[i].Active - a.pending
	}
	pr := p.pol.prio
	nowNs := now.UnixNano()
	type entry struct {
		queued
		waited  time.Duration
		offered bool
	}
	entries := make([]entry, len(s.Queue))
	for i := range s.Queue {
		c := &s.Queue[i]
		at := c.QueuedAt.UnixNano()
		wait := time.Duration(nowNs - at)
		ring, _ := p.ringOf(set, c, wait)
		entries[i] = entry{queued: queued{at: at, c: c, prio: pr.of(c, wait), ring: ring}, waited: wait, offered: p.pendConv[c.ID]}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.before(&b.queued):
			return -1
		case b.before(&a.queued):
			return 1
		}
		return 0
	})

	// Requirement sets by key: who meets them, and how many conversations
	// ranked so far (not offered) need each in their current ring.
	type need struct {
		ws                   int64
		mask                 []uint64
		agents, slots, avail int
	}
	needs := map[string]*need{}
	needOf := func(c *Conversation, ring int) (string, *need) {
		req := p.required(set, c, ring)
		key := reqString(c.WorkspaceID, req)
		if n, ok := needs[key]; ok {
			return key, n
		}
		n := &need{ws: c.WorkspaceID, mask: slices.Clone(p.maskOf(req, &p.meetMask))}
		cert := p.certifiedFor(c.WorkspaceID)
		for i := range p.agents {
			if cert[i] && p.hasAll(i, n.mask) {
				n.agents++
				n.slots += p.agents[i].capacity
				n.avail += max(p.agents[i].free, 0)
			}
		}
		needs[key] = n
		return key, n
	}
	// compete says whether some agent meets both requirement sets: the
	// conversations needing a compete with those needing b for them.
	competes := map[[2]string]bool{}
	compete := func(ka, kb string) bool {
		if v, ok := competes[[2]string{ka, kb}]; ok {
			return v
		}
		a, b := needs[ka], needs[kb]
		ca, cb := p.certifiedFor(a.ws), p.certifiedFor(b.ws)
		v := false
		for i := range p.agents {
			if ca[i] && cb[i] && p.hasAll(i, a.mask) && p.hasAll(i, b.mask) {
				v = true
				break
			}
		}
		competes[[2]string{ka, kb}] = v
		return v
	}
	ahead := map[string]int{} // conversations ranked so far, not offered, by their current need
	var aheadKeys []string
	widest := len(set.Rings) - 1

	out := make([]Place, len(entries))
	for i := range entries {
		e := &entries[i]
		c := e.c
		pl := Place{
			ConversationID: c.ID, Position: i + 1, Priority: e.prio, Ring: e.ring,
			Skills: p.names2(p.required(set, c, e.ring)), Offered: e.offered,
		}
		_, wn := needOf(c, widest)
		pl.AgentsOnline = wn.agents
		if e.offered {
			pl.WaitKnown = true
		}
		anyFree := false
		for r := e.ring; r <= widest && !e.offered; r++ {
			key, n := needOf(c, r)
			if n.agents == 0 {
				continue
			}
			start := time.Duration(0)
			if r > e.ring {
				start = max(p.pol.rings[r].after-e.waited, 0)
			}
			before := 0
			for _, k := range aheadKeys {
				if compete(k, key) {
					before += ahead[k]
				}
			}
			served := time.Duration(0)
			if left := before - n.avail; left >= 0 {
				served = time.Duration(left+1) * handle / time.Duration(max(n.slots, 1))
			}
			if n.avail > 0 {
				anyFree = true
			}
			w := max(start, served)
			if !pl.WaitKnown || w < pl.Wait {
				pl.Wait = w
			}
			pl.WaitKnown = true
		}
		if pl.WaitKnown && !e.offered && !anyFree {
			pl.Wait = max(pl.Wait, BusyFloor)
		}
		if !e.offered {
			key, _ := needOf(c, e.ring)
			if ahead[key] == 0 {
				aheadKeys = append(aheadKeys, key)
			}
			ahead[key]++
		}
		out[i] = pl
	}
	return out
}

// reqString names a workspace's set of required skills, in any order.
func reqString(workspace int64, req []int32) string {
	ids := slices.Clone(req)
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString(strconv.FormatInt(workspace, 10))
	for _, id := range ids {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(int(id)))
	}
	return b.String()
}

// Takeable lists the queued conversations of s that agent agentID could
// take now by picking them from the queue, with the invariants of an
// accepted offer: the agent is available (in s.Agents) with a free slot
// (counting their pending offers), certified for the conversation's
// workspace, with every skill its current ring requires (as Plan computes
// the ring); and nobody else holds an offer of it.
func Takeable(s Snapshot, now time.Time, agentID int64) map[int64]bool {
	var p Planner
	set := &s.Settings
	p.load(&s, now)
	i, ok := p.byID[agentID]
	if !ok {
		return nil
	}
	offeredTo := map[int64]int64{}
	for _, o := range s.Pending {
		offeredTo[o.ConversationID] = o.AgentID
	}
	a := &p.agents[i]
	mine := 0
	for _, o := range s.Pending {
		if o.AgentID == agentID {
			mine++
		}
	}
	out := map[int64]bool{}
	nowNs := now.UnixNano()
	for k := range s.Queue {
		c := &s.Queue[k]
		to, offered := offeredTo[c.ID]
		if offered && to != agentID {
			continue
		}
		// An offer of this very conversation holds the slot it would take.
		free := a.capacity - s.Agents[i].Active - mine
		if offered {
			free++
		}
		if free <= 0 || !p.certifiedFor(c.WorkspaceID)[i] {
			continue
		}
		ring, _ := p.ringOf(set, c, time.Duration(nowNs-c.QueuedAt.UnixNano()))
		if p.hasAll(int(i), p.maskOf(p.required(set, c, ring), &p.reqMask)) {
			out[c.ID] = true
		}
	}
	return out
}
