// Package routing is Tandem's dispatch policy: a pure function from a
// snapshot — the available agents, the queued conversations, the pending
// offers — and the time, to the offers to make, the offers to rescind and
// the bullseye rings that widened. It does no I/O and is deterministic, so
// the server drives it with the wall clock and the simulator (internal/sim)
// drives the very same code with a virtual one.
//
// The policy in one paragraph: queued conversations are taken in priority
// order (waiting time plus bounded boosts for VIP, frustration,
// sensitivity and SLA risk, so nobody starves). Each goes to the best
// eligible agent — available, certified for its workspace, with a free
// slot and every skill its current ring requires — ranked by a weighted sum
// of idle time, free capacity, quality, stickiness and skill level. A
// conversation nobody eligible can take waits without blocking the ones
// behind it, and its required skills widen ring by ring as it waits.
package routing

import (
	"math"
	"reflect"
	"slices"
	"time"
	"unsafe"
)

// Agent is an available agent as the policy sees them.
type Agent struct {
	ID       int64
	Capacity int
	// Active is the number of conversations assigned to the agent now.
	Active int
	// Skills maps a skill to the agent's level in it (1…5); languages are
	// skills named "lang:xx".
	Skills map[string]int
	// Workspaces lists the workspaces the agent is certified for.
	Workspaces []int64
	// IdleSince is when the agent last got work or became available.
	IdleSince time.Time
	// Quality is the agent's quality score, 0…1.
	Quality float64
}

// Conversation is a queued conversation.
type Conversation struct {
	ID          int64
	WorkspaceID int64
	QueuedAt    time.Time
	// What triage read: they decide the skills and the priority.
	Intent, Sensitive, Language string
	Frustrated                  bool
	// VIP is the customer's tier.
	VIP bool
	// Skills, when not nil, are the skills the conversation needs, primary
	// first, instead of those its intent and sensitivity map to.
	Skills []string
	// PreviousAgentID served the same customer last, at PreviousAt.
	PreviousAgentID int64
	PreviousAt      time.Time
	// Tried holds agents who already let an offer of this conversation
	// go, with when. They get it again only when nobody else can take it,
	// and not before their cooldown is over.
	Tried map[int64]time.Time
	// Ring is the ring already recorded for the conversation; Plan reports
	// the rings it has widened to beyond this.
	Ring int
	// Boost is extra priority beyond the settings' boosts: a conversation
	// handed back to the queue by an agent who stopped working is given
	// enough to stand at its front.
	Boost time.Duration
}

// PendingOffer is an offer waiting for its agent's answer.
type PendingOffer struct {
	ID             int64
	ConversationID int64
	AgentID        int64
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Snapshot is the state the policy decides on.
type Snapshot struct {
	Settings Settings
	// Agents are the available agents (status available); their pending
	// offers are counted from Pending.
	Agents []Agent
	// Queue holds the queued conversations, with or without a pending offer.
	Queue   []Conversation
	Pending []PendingOffer
	// StaffSkills lists every skill anyone on the staff has, available or
	// not. A skill nobody has cannot narrow the search and is not required,
	// so a workspace that has not set up skills routes to everyone. Nil
	// means the skills of Agents.
	StaffSkills []string
}

// Offer is a decision: offer this conversation to this agent until ExpiresAt.
type Offer struct {
	ConversationID int64
	AgentID        int64
	// Ring is the bullseye ring the agent was chosen in.
	Ring      int
	ExpiresAt time.Time
}

// Rescind reasons.
const (
	RescindUnavailable  = "agent_unavailable"
	RescindNotCertified = "agent_not_certified"
	RescindOverCapacity = "agent_over_capacity"
)

// Rescind is a pending offer to withdraw, and why.
type Rescind struct {
	OfferID int64
	Reason  string
}

// Widening records that a conversation's required skills widened to a ring.
type Widening struct {
	ConversationID int64
	Ring           int
	// Skills are the skills still required in the new ring.
	Skills []string
	// Skipped is true when the ring was reached before its time: the
	// rings before it require what no available agent has, which waiting
	// will not bring.
	Skipped bool
}

// Result is what the policy decided.
type Result struct {
	Offers  []Offer
	Rescind []Rescind
	Widened []Widening
	// Recheck is when to plan again even if nothing happens: a ring widens
	// or an agent's cooldown on a conversation ends. Zero when never.
	Recheck time.Time
}

// Plan decides on a snapshot. It is Planner.Plan with a fresh planner.
func Plan(s Snapshot, now time.Time) Result {
	var p Planner
	return p.Plan(s, now)
}

// Planner plans repeatedly with fewer allocations: it keeps its scratch
// space, and each agent's skills compiled to ids, between calls. It
// recompiles an agent's skills when their Skills map is another map or
// has another length: to change an agent's skills between plans, give
// them a new map rather than changing a level in place. Likewise the
// intent table is compiled again when Settings.IntentGroups is another
// slice or has another length. A Planner is not
// safe for concurrent use; its zero value is ready.
type Planner struct {
	skills   map[int64]*compiled
	src      []Agent
	weights  Weights
	skillID  map[string]int32
	names    []string
	known    []bool
	words    int
	masks    []uint64 // agent i's skills: masks[i*words : (i+1)*words]
	levels   [][]skillLevel
	agents   []agentState
	byID     map[int64]int32
	postings [][]int32
	// holders[id] lists every agent with skill id, free or not.
	holders  [][]int32
	all      []int32
	pol      policy
	pendConv map[int64]bool
	order    []queued
	req      []int32
	primary  int32
	// exhausted remembers requirement sets nobody free can meet any more:
	// free slots only shrink during a plan, so they stay unmet.
	exhausted map[reqKey]bool
	// meetable remembers, per requirement set, whether any available
	// agent (free or not) meets it: a ring nobody meets is skipped.
	meetable map[reqKey]bool
	// meetsByProfile remembers meets by what decides a conversation's
	// requirements, for conversations whose skills come from triage.
	meetsByProfile map[profile]bool
	certCols       map[int64][]bool
	levelCols      map[int32][]int8
	sorted         []bool // postings[id] is sorted by bound
	allSorted      bool
	reqMask        []uint64
	meetMask       []uint64
}

type skillLevel struct {
	id    int32
	level int32
}

type agentState struct {
	id       int64
	capacity int
	free     int
	pending  int
	idle     float64 // idle feature 0…1; 0 once offered work in this plan
	base     float64 // the weighted quality
	capInv   float64 // 1 / capacity
	ub       float64 // the most any conversation could score the agent now
	top      float64 // the agent's highest skill level
}

type queued struct {
	at   int64 // queued at, Unix nanoseconds
	c    *Conversation
	prio float64
	ring int
}

// Plan returns the offers to make now, the pending offers to rescind, the
// rings that widened, and when to look again.
func (p *Planner) Plan(s Snapshot, now time.Time) Result {
	var res Result
	set := &s.Settings
	p.load(&s, now)
	nowNs := now.UnixNano()
	res.Rescind = p.rescinds(&s)
	for i := range p.agents {
		a := &p.agents[i]
		a.free = a.capacity - s.Agents[i].Active - a.pending
		if a.free <= 0 {
			continue
		}
		p.all = append(p.all, int32(i))
		for _, sl := range p.levels[i] {
			p.postings[sl.id] = append(p.postings[sl.id], int32(i))
			a.top = max(a.top, float64(min(sl.level, 100)))
		}
		a.ub = p.bound(a)
	}
	free := len(p.all)

	// The queue: rings, widenings, rechecks, and priority order.
	// Integer nanoseconds: the queue may be long.
	pr := p.pol.prio
	recheckNs := int64(math.MaxInt64)
	for i := range s.Queue {
		c := &s.Queue[i]
		at := c.QueuedAt.UnixNano()
		wait := time.Duration(nowNs - at)
		ring, skipped := p.ringOf(set, c, wait)
		if ring > c.Ring {
			res.Widened = append(res.Widened, Widening{ConversationID: c.ID, Ring: ring, Skills: p.names2(p.required(set, c, ring)), Skipped: skipped})
		}
		if ring+1 < len(set.Rings) {
			recheckNs = min(recheckNs, at+int64(set.Rings[ring+1].After))
		}
		if len(p.pendConv) > 0 && p.pendConv[c.ID] {
			continue
		}
		p.order = append(p.order, queued{c: c, prio: pr.of(c, wait), ring: ring, at: at})
	}
	if recheckNs != math.MaxInt64 {
		res.Recheck = time.Unix(0, recheckNs).In(now.Location())
	}
	if free == 0 || len(p.order) == 0 {
		return res
	}
	// Highest priority first, by a heap: when few slots are free only
	// the head of a long queue is ever looked at.
	h := heap(p.order)
	h.init()

	for len(h) > 0 {
		q := h.pop()
		c := q.c
		req := p.required(set, c, q.ring)
		key, memo := exhaustKey(c.WorkspaceID, req)
		if memo && p.exhausted[key] {
			continue // an earlier conversation needing the same found nobody; slots only fill up
		}
		best, recheck := p.choose(set, c, req, now)
		if !recheck.IsZero() {
			res.Recheck = earliest(res.Recheck, recheck)
		}
		if best < 0 {
			if memo && recheck.IsZero() {
				p.exhausted[key] = true
			}
			continue
		}
		a := &p.agents[best]
		res.Offers = append(res.Offers, Offer{ConversationID: c.ID, AgentID: a.id, Ring: q.ring, ExpiresAt: now.Add(set.AcceptTimeout)})
		// The agent's score bound falls: move them down the sorted lists,
		// or out of every list once they are full.
		p.detach(int32(best))
		a.free--
		a.idle = 0
		if a.free == 0 {
			free--
			if free == 0 {
				break
			}
			continue
		}
		a.ub = p.bound(a)
		p.attach(int32(best))
	}
	return res
}

// load takes in a snapshot's agents: their skills as ids and bit masks,
// their scores' fixed parts, and the pending offers they hold.
func (p *Planner) load(s *Snapshot, now time.Time) {
	set := &s.Settings
	p.reset()
	p.compilePolicy(set)
	p.src = s.Agents
	p.weights = set.Weights

	// Agents, their skills as ids, and their load.
	p.levels = p.levels[:0]
	nowNs := now.UnixNano()
	for i := range s.Agents {
		a := &s.Agents[i]
		p.byID[a.ID] = int32(i)
		idle := time.Duration(max(nowNs-a.IdleSince.UnixNano(), 0))
		p.agents = append(p.agents, agentState{
			id: a.ID, capacity: a.Capacity, base: set.Weights.Quality * a.Quality, capInv: 1 / float64(max(a.Capacity, 1)),
			idle: float64(idle) / float64(idle+IdleScale),
		})
		p.levels = append(p.levels, p.compile(a))
	}
	// Everything the staff has is known.
	if s.StaffSkills != nil {
		for _, name := range s.StaffSkills {
			p.known[p.intern(name)] = true
		}
	} else {
		for _, lv := range p.levels {
			for _, sl := range lv {
				p.known[sl.id] = true
			}
		}
	}
	p.words = max((len(p.names)+63)/64, 1)
	if cap(p.masks) < len(s.Agents)*p.words {
		p.masks = make([]uint64, len(s.Agents)*p.words)
	}
	p.masks = p.masks[:len(s.Agents)*p.words]
	clear(p.masks)
	for len(p.holders) < len(p.names) {
		p.holders = append(p.holders, nil)
	}
	for i := range p.holders {
		p.holders[i] = p.holders[i][:0]
	}
	for i, lv := range p.levels {
		for _, sl := range lv {
			p.masks[i*p.words+int(sl.id>>6)] |= 1 << (sl.id & 63)
			p.holders[sl.id] = append(p.holders[sl.id], int32(i))
		}
	}
	// Pending offers count against capacity; some must be withdrawn.
	for _, o := range s.Pending {
		p.pendConv[o.ConversationID] = true
		if i, ok := p.byID[o.AgentID]; ok {
			p.agents[i].pending++
		}
	}
}

// ringOf is the ring c is in after waiting wait: the ring its waiting
// time reached, or a later one when no available agent, free or not,
// meets the requirements of the rings before. Such a ring is skipped at
// once: waiting would not bring anyone who meets it, and an agent who
// comes online or changes skills makes dispatch plan again, when the ring
// is narrower again for whoever waits then.
func (p *Planner) ringOf(set *Settings, c *Conversation, wait time.Duration) (ring int, skipped bool) {
	rings := p.pol.rings
	for r := len(rings) - 1; r > 0; r-- {
		if wait >= rings[r].after {
			ring = r
			break
		}
	}
	for ring+1 < len(rings) && !p.meets(set, c, ring) {
		ring++
		skipped = true
	}
	return ring, skipped
}

// meets reports whether any available agent, free or not, is certified
// for c's workspace and has every skill c needs in ring.
func (p *Planner) meets(set *Settings, c *Conversation, ring int) bool {
	if c.Skills == nil {
		k := profile{workspace: c.WorkspaceID, intent: c.Intent, sensitive: c.Sensitive, language: c.Language, ring: ring}
		ok, seen := p.meetsByProfile[k]
		if !seen {
			ok = p.meetsReq(c.WorkspaceID, p.required(set, c, ring))
			p.meetsByProfile[k] = ok
		}
		return ok
	}
	return p.meetsReq(c.WorkspaceID, p.required(set, c, ring))
}

// profile is what decides the requirements of a conversation whose skills
// come from its intent and sensitivity.
type profile struct {
	workspace                   int64
	intent, sensitive, language string
	ring                        int
}

// meetsReq is meets for the skill ids req in a workspace.
func (p *Planner) meetsReq(workspace int64, req []int32) bool {
	key, memo := exhaustKey(workspace, req)
	if memo {
		if ok, seen := p.meetable[key]; seen {
			return ok
		}
	}
	mask := p.maskOf(req, &p.meetMask)
	cert := p.certifiedFor(workspace)
	ok := false
	if len(req) == 0 {
		ok = slices.Contains(cert, true)
	} else {
		// Only those who have the rarest required skill can meet them all.
		cands := p.holders[req[0]]
		for _, id := range req[1:] {
			if len(p.holders[id]) < len(cands) {
				cands = p.holders[id]
			}
		}
		for _, i := range cands {
			if cert[i] && p.hasAll(int(i), mask) {
				ok = true
				break
			}
		}
	}
	if memo {
		p.meetable[key] = ok
	}
	return ok
}

// maskOf sets the bits of the skills in req in the scratch mask *buf.
func (p *Planner) maskOf(req []int32, buf *[]uint64) []uint64 {
	if cap(*buf) < p.words {
		*buf = make([]uint64, p.words)
	}
	mask := (*buf)[:p.words]
	clear(mask)
	for _, id := range req {
		mask[id>>6] |= 1 << (id & 63)
	}
	return mask
}

// reqKey names a set of required skills in a workspace.
type reqKey struct {
	workspace int64
	n         int
	ids       [4]int32
}

// exhaustKey is the key of req (in any order); ok is false for sets too
// big to key, which are then never memoised.
func exhaustKey(workspace int64, req []int32) (k reqKey, ok bool) {
	if len(req) > len(k.ids) {
		return k, false
	}
	k.workspace, k.n = workspace, len(req)
	copy(k.ids[:], req)
	slices.Sort(k.ids[:k.n])
	return k, true
}

func (p *Planner) reset() {
	if p.skillID == nil {
		p.skillID = map[string]int32{}
		p.byID = map[int64]int32{}
		p.pendConv = map[int64]bool{}
		p.exhausted = map[reqKey]bool{}
		p.meetable = map[reqKey]bool{}
		p.meetsByProfile = map[profile]bool{}
		p.certCols = map[int64][]bool{}
		p.levelCols = map[int32][]int8{}
		p.skills = map[int64]*compiled{}
	}
	clear(p.certCols)
	clear(p.levelCols)
	clear(p.exhausted)
	clear(p.meetable)
	clear(p.meetsByProfile)
	clear(p.byID)
	clear(p.pendConv)
	if len(p.names) > maxInterned || len(p.skills) > maxCached {
		// Skill ids and compiled skills live across plans; a caller that
		// keeps inventing skills or agents starts afresh now and then.
		clear(p.skillID)
		clear(p.skills)
		p.names = p.names[:0]
		p.known = p.known[:0]
		p.sorted = p.sorted[:0]
	}
	clear(p.known)
	clear(p.sorted)
	p.agents = p.agents[:0]
	p.all = p.all[:0]
	for i := range p.postings {
		p.postings[i] = p.postings[i][:0]
	}
	p.allSorted = false
	p.order = p.order[:0]
}

// Bounds on what a Planner remembers between plans.
const (
	maxInterned = 4096
	maxCached   = 1 << 17
)

// compiled is an agent's skills as ids, remembered between plans while
// the agent's Skills map is the same map with the same length.
type compiled struct {
	skills unsafe.Pointer // the map they were compiled from; kept alive, so never reused
	n      int
	levels []skillLevel
}

// compile returns agent a's skills as ids with levels.
func (p *Planner) compile(a *Agent) []skillLevel {
	ptr := reflect.ValueOf(a.Skills).UnsafePointer()
	c := p.skills[a.ID]
	if c != nil && c.skills == ptr && c.n == len(a.Skills) {
		return c.levels
	}
	if c == nil {
		c = &compiled{}
		p.skills[a.ID] = c
	}
	c.skills, c.n, c.levels = ptr, len(a.Skills), nil
	for name, level := range a.Skills {
		c.levels = append(c.levels, skillLevel{id: p.intern(name), level: int32(level)})
	}
	return c.levels
}

// intern gives a skill name its id.
func (p *Planner) intern(name string) int32 {
	if id, ok := p.skillID[name]; ok {
		return id
	}
	id := int32(len(p.names))
	p.skillID[name] = id
	p.names = append(p.names, name)
	p.known = append(p.known, false)
	p.sorted = append(p.sorted, false)
	if len(p.postings) <= int(id) {
		p.postings = append(p.postings, nil)
	}
	return id
}

func (p *Planner) names2(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = p.names[id]
	}
	return out
}

// required returns the ids of the skills c needs in ring: only skills
// someone on the staff has count. The slice is reused by the next call.
// It also sets p.primary to c's primary skill (−1 if no agent has it).
func (p *Planner) required(set *Settings, c *Conversation, ring int) []int32 {
	p.req = p.req[:0]
	need := p.pol.rings[ring]
	primary, secondary, language := need.primary, need.secondary, need.language
	skills := c.Skills
	if skills == nil {
		skills = p.skillsOf(c)
	}
	p.primary = -1
	if len(skills) > 0 {
		if id, ok := p.skillID[skills[0]]; ok {
			p.primary = id
		}
	}
	if primary || secondary {
		for i, name := range skills {
			if (i == 0 && !primary) || (i > 0 && !secondary) {
				continue
			}
			if id, ok := p.skillID[name]; ok && p.known[id] {
				p.req = append(p.req, id)
			}
		}
	}
	if language && c.Language != "" {
		if id, ok := p.skillID["lang:"+c.Language]; ok && p.known[id] {
			p.req = append(p.req, id)
		}
	}
	return p.req
}

// skillsOf maps a conversation's intent and sensitivity to skills, primary
// first (Settings.Skills), from the compiled intent table.
func (p *Planner) skillsOf(c *Conversation) []string {
	if c.Sensitive == "" {
		return p.pol.intents[c.Intent]
	}
	sk, ok := p.pol.sensitive[c.Sensitive]
	if !ok {
		sk = p.pol.sensitive["*"]
	}
	byIntent := p.pol.intents[c.Intent]
	if sk == "" {
		return byIntent
	}
	out := make([]string, 0, 1+len(byIntent))
	out = append(out, sk)
	for _, g := range byIntent {
		if g != sk {
			out = append(out, g)
		}
	}
	return out
}

// policy is a workspace's Settings compiled for planning, once per plan —
// and the intent table once per set of intent groups: what each ring
// requires, the boosts, the skills of each intent. Plan, Rank and
// Takeable read the rings, the required skills and the priority only
// from it, so they cannot disagree.
type policy struct {
	rings     []ringNeeds
	prio      priority
	sensitive map[string]string
	intents   map[string][]string
	// groups and nGroups name the intent groups the table was built from.
	groups  unsafe.Pointer
	nGroups int
}

// ringNeeds is a ring: from when it applies and what it requires.
type ringNeeds struct {
	after                        time.Duration
	primary, secondary, language bool
}

// compilePolicy compiles set into p.pol.
func (p *Planner) compilePolicy(set *Settings) {
	pol := &p.pol
	pol.rings = pol.rings[:0]
	for _, r := range set.Rings {
		n := ringNeeds{after: r.After}
		for _, k := range r.Require {
			switch k {
			case Primary:
				n.primary = true
			case Secondary:
				n.secondary = true
			case Language:
				n.language = true
			}
		}
		pol.rings = append(pol.rings, n)
	}
	pol.prio = newPriority(set)
	pol.sensitive = set.SensitiveSkills
	if g := unsafe.Pointer(unsafe.SliceData(set.IntentGroups)); pol.intents == nil || g != pol.groups || len(set.IntentGroups) != pol.nGroups {
		pol.intents = map[string][]string{}
		for _, g := range set.IntentGroups {
			for _, in := range g.Intents {
				if !slices.Contains(pol.intents[in], g.Skill) {
					pol.intents[in] = append(pol.intents[in], g.Skill)
				}
			}
		}
		pol.groups, pol.nGroups = g, len(set.IntentGroups)
	}
}

// choose returns the index of the best eligible agent for c (−1 if none),
// and when an agent sitting out a cooldown on c becomes eligible again.
//
// Candidate lists are sorted by each agent's score bound at the start of
// the plan (the most any conversation could score them; scores only fall
// as agents are given work), so the scan stops at the first agent whose
// bound is below the best score found.
func (p *Planner) choose(set *Settings, c *Conversation, req []int32, now time.Time) (int, time.Time) {
	list := int32(-1)
	cands := p.all
	for _, id := range req {
		if len(p.postings[id]) == 0 {
			return -1, time.Time{} // nobody free has this skill
		}
		if len(p.postings[id]) < len(cands) {
			cands, list = p.postings[id], id
		}
	}
	if list < 0 {
		if !p.allSorted {
			p.sortByBound(p.all)
			p.allSorted = true
		}
	} else if !p.sorted[list] {
		p.sortByBound(cands)
		p.sorted[list] = true
	}
	mask := p.maskOf(req, &p.reqMask)
	e := evaluation{p: p, set: set, c: c, now: now, mask: mask, cert: p.certifiedFor(c.WorkspaceID), best: -1, cooled: -1, levelW: set.Weights.Level / 5}
	if p.primary >= 0 && set.Weights.Level != 0 {
		e.levels = p.levelsIn(p.primary) // the level in the primary skill counts in every ring
	}
	// The previous agent of a returning customer first: the sticky bonus
	// is not in the bounds.
	sticky := int32(-1)
	if c.PreviousAgentID != 0 && now.Sub(c.PreviousAt) <= set.StickyWindow {
		if i, ok := p.byID[c.PreviousAgentID]; ok {
			sticky = i
			e.consider(int(i), set.Weights.Sticky)
		}
	}
	for _, i32 := range cands {
		if e.best >= 0 && !e.bestTried && p.agents[i32].ub < e.bestScore {
			break // nobody further down can beat it
		}
		if i32 != sticky {
			e.consider(int(i32), 0)
		}
	}
	if e.best < 0 && e.cooled >= 0 && !p.othersEligible(&e) {
		// Everyone else who could take c is sitting out a cooldown on it
		// or is not there: the cooldown spares an agent only while someone
		// else could take the conversation, never at the customer's cost.
		return e.cooled, time.Time{}
	}
	return e.best, e.recheck
}

// othersEligible reports whether an available agent other than those
// sitting out a cooldown on the conversation could take it, now or once
// a slot of theirs frees.
func (p *Planner) othersEligible(e *evaluation) bool {
	for i := range p.agents {
		if !e.cert[i] || !p.hasAll(i, e.mask) {
			continue
		}
		if at, ok := e.c.Tried[p.agents[i].id]; ok && e.now.Before(at.Add(e.set.Cooldown)) {
			continue
		}
		return true
	}
	return false
}

// evaluation is the search for the best agent for one conversation.
type evaluation struct {
	p      *Planner
	set    *Settings
	c      *Conversation
	now    time.Time
	mask   []uint64
	cert   []bool
	levels []int8
	levelW float64

	best int
	// cooled is the free eligible agent who passed on the conversation
	// longest ago and is still in their cooldown (−1: none).
	cooled      int
	cooledAt    time.Time
	bestTried   bool
	bestTriedAt time.Time
	bestScore   float64
	recheck     time.Time
}

// consider weighs agent i, with bonus added to their score.
func (e *evaluation) consider(i int, bonus float64) {
	p := e.p
	a := &p.agents[i]
	if a.free <= 0 || !e.cert[i] {
		return
	}
	if len(e.mask) == 1 {
		if p.masks[i]&e.mask[0] != e.mask[0] {
			return
		}
	} else if !p.hasAll(i, e.mask) {
		return
	}
	tried, triedAt := false, time.Time{}
	if e.c.Tried != nil {
		if at, ok := e.c.Tried[a.id]; ok {
			if until := at.Add(e.set.Cooldown); e.now.Before(until) {
				e.recheck = earliest(e.recheck, until)
				if e.cooled < 0 || at.Before(e.cooledAt) || (at.Equal(e.cooledAt) && a.id < p.agents[e.cooled].id) {
					e.cooled, e.cooledAt = i, at
				}
				return
			}
			tried, triedAt = true, at
		}
	}
	w := &e.set.Weights
	score := a.base + w.Idle*a.idle + w.Load*float64(a.free)*a.capInv + bonus
	if e.levels != nil {
		score += e.levelW * float64(e.levels[i])
	}
	if e.best >= 0 {
		switch {
		case tried != e.bestTried:
			if tried {
				return // an agent who passed comes after everyone who did not
			}
		case tried && !triedAt.Equal(e.bestTriedAt):
			if triedAt.After(e.bestTriedAt) {
				return // of those who passed, the one who passed longest ago
			}
		case score != e.bestScore:
			if score < e.bestScore {
				return
			}
		case a.id > p.agents[e.best].id:
			return
		}
	}
	e.best, e.bestTried, e.bestTriedAt, e.bestScore = i, tried, triedAt, score
}

// sortByBound orders a candidate list by score bound, highest first.
func (p *Planner) sortByBound(list []int32) { slices.SortFunc(list, p.less) }

func (p *Planner) hasAll(i int, mask []uint64) bool {
	m := p.masks[i*p.words : (i+1)*p.words]
	for k, w := range mask {
		if m[k]&w != w {
			return false
		}
	}
	return true
}

func (p *Planner) certified(i int, workspaceID int64) bool {
	return slices.Contains(p.src[i].Workspaces, workspaceID)
}

// certifiedFor says, per agent, whether they are certified for a
// workspace; computed once per workspace per plan.
func (p *Planner) certifiedFor(workspaceID int64) []bool {
	if col, ok := p.certCols[workspaceID]; ok {
		return col
	}
	col := make([]bool, len(p.agents))
	for i := range col {
		col[i] = p.certified(i, workspaceID)
	}
	p.certCols[workspaceID] = col
	return col
}

// levelsIn gives, per agent, the level in a skill (0 without it);
// computed once per skill per plan.
func (p *Planner) levelsIn(skill int32) []int8 {
	if col, ok := p.levelCols[skill]; ok {
		return col
	}
	col := make([]int8, len(p.agents))
	for i := range col {
		for _, sl := range p.levels[i] {
			if sl.id == skill {
				col[i] = int8(min(max(sl.level, 0), 100))
				break
			}
		}
	}
	p.levelCols[skill] = col
	return col
}

// rescinds lists the pending offers to withdraw: those of agents who are no
// longer available or certified, and the newest of an agent's offers
// beyond their capacity (an admin lowered it).
func (p *Planner) rescinds(s *Snapshot) []Rescind {
	var out []Rescind
	var workspaceOf map[int64]int64
	over := false
	for _, o := range s.Pending {
		i, ok := p.byID[o.AgentID]
		if !ok {
			out = append(out, Rescind{OfferID: o.ID, Reason: RescindUnavailable})
			continue
		}
		if workspaceOf == nil {
			workspaceOf = make(map[int64]int64, len(s.Queue))
			for k := range s.Queue {
				workspaceOf[s.Queue[k].ID] = s.Queue[k].WorkspaceID
			}
		}
		if ws, ok := workspaceOf[o.ConversationID]; ok && !p.certified(int(i), ws) {
			out = append(out, Rescind{OfferID: o.ID, Reason: RescindNotCertified})
			p.agents[i].pending--
			continue
		}
		if s.Agents[i].Active+p.agents[i].pending > s.Agents[i].Capacity {
			over = true
		}
	}
	if !over {
		return out
	}
	done := map[int64]bool{}
	for _, r := range out {
		done[r.OfferID] = true
	}
	for i := range p.agents {
		excess := s.Agents[i].Active + p.agents[i].pending - s.Agents[i].Capacity
		if excess <= 0 {
			continue
		}
		var mine []PendingOffer
		for _, o := range s.Pending {
			if o.AgentID == p.agents[i].id && !done[o.ID] {
				mine = append(mine, o)
			}
		}
		slices.SortFunc(mine, func(a, b PendingOffer) int { // newest first
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmpInt(b.ID, a.ID)
		})
		for _, o := range mine[:min(excess, len(mine))] {
			out = append(out, Rescind{OfferID: o.ID, Reason: RescindOverCapacity})
		}
	}
	return out
}

// bound is the most any conversation could score agent a now, sticky
// bonus aside: the level term assumes their best skill.
func (p *Planner) bound(a *agentState) float64 {
	w := &p.weights
	return a.base + w.Idle*a.idle + w.Load*float64(a.free)*a.capInv + w.Level*a.top/5
}

// less orders candidate lists: higher bound first, then lower id.
func (p *Planner) less(x, y int32) int {
	ax, ay := &p.agents[x], &p.agents[y]
	switch {
	case ax.ub > ay.ub:
		return -1
	case ax.ub < ay.ub:
		return 1
	}
	return cmpInt(ax.id, ay.id)
}

// detach takes agent i out of every candidate list.
func (p *Planner) detach(i int32) {
	p.all = p.remove(p.all, i, p.allSorted)
	for _, sl := range p.levels[i] {
		p.postings[sl.id] = p.remove(p.postings[sl.id], i, p.sorted[sl.id])
	}
}

// attach puts agent i back in their candidate lists, in order where sorted.
func (p *Planner) attach(i int32) {
	p.all = p.insert(p.all, i, p.allSorted)
	for _, sl := range p.levels[i] {
		p.postings[sl.id] = p.insert(p.postings[sl.id], i, p.sorted[sl.id])
	}
}

func (p *Planner) remove(list []int32, i int32, sorted bool) []int32 {
	k := -1
	if sorted {
		k, _ = slices.BinarySearchFunc(list, i, p.less)
	} else {
		k = slices.Index(list, i)
	}
	if k >= 0 && k < len(list) && list[k] == i {
		return slices.Delete(list, k, k+1)
	}
	return list
}

func (p *Planner) insert(list []int32, i int32, sorted bool) []int32 {
	if !sorted {
		return append(list, i)
	}
	k, _ := slices.BinarySearchFunc(list, i, p.less)
	return slices.Insert(list, k, i)
}

// heap is a binary max-heap of queued conversations by priority, then
// queued time (earlier first), then id.
type heap []queued

func (h heap) before(i, j int) bool { return h[i].before(&h[j]) }

// before is the queue's one order: higher priority first, then queued
// earlier, then lower id. Plan serves and Rank places by it.
func (a *queued) before(b *queued) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	if a.at != b.at {
		return a.at < b.at
	}
	return a.c.ID < b.c.ID
}

func (h heap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *heap) pop() queued {
	old := *h
	top := old[0]
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	h.down(0)
	return top
}

func (h heap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.before(r, l) {
			m = r
		}
		if !h.before(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
