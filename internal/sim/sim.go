// Package sim is a discrete-event simulator of a contact centre that
// drives Tandem's real routing policy (internal/routing) with a virtual
// clock: Poisson arrivals (optionally following a daily curve),
// exponential or log-normal handling times, customers who give up,
// agents with skills, shifts and capacity who accept, decline or ignore
// offers. It reports service level, speed of answer, abandonment and
// occupancy, and compares single-skill runs with Erlang C and Erlang A
// (internal/workforce), so a policy change can be tried before it goes live.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// Report is what a run measured over its measured period: contacts that
// arrived in it, followed until they were answered or gave up.
type Report struct {
	Scenario string  `json:"scenario"`
	Policy   string  `json:"policy"`
	Seed     uint64  `json:"seed"`
	Agents   int     `json:"agents"`
	Hours    float64 `json:"hours"`
	Contacts int     `json:"contacts"`
	Answered int     `json:"answered"`
	// Abandoned contacts gave up waiting; Unanswered were still waiting
	// when the run had to stop (an overloaded centre without abandonment).
	Abandoned  int `json:"abandoned"`
	Unanswered int `json:"unanswered"`
	// ServiceLevel is the share of contacts answered within SLSeconds;
	// abandoned and unanswered contacts count as not answered in time.
	SLSeconds    float64 `json:"sl_seconds"`
	ServiceLevel float64 `json:"service_level"`
	// ASA is the mean wait of the answered contacts, in seconds.
	ASA         float64 `json:"asa_seconds"`
	AbandonRate float64 `json:"abandon_rate"`
	// Occupancy is the share of staffed capacity spent handling contacts.
	Occupancy float64 `json:"occupancy"`
	AvgHandle float64 `json:"avg_handle_seconds"`
	// OffSkill is the share of answered contacts handled by an agent
	// without a skill or the language they needed (after rings widened).
	OffSkill float64 `json:"off_skill_share"`
	// AnsweredByRing counts answered contacts by the bullseye ring their
	// agent was chosen in.
	AnsweredByRing  []int `json:"answered_by_ring"`
	Offers          int   `json:"offers"`
	OffersAccepted  int   `json:"offers_accepted"`
	OffersDeclined  int   `json:"offers_declined"`
	OffersExpired   int   `json:"offers_expired"`
	OffersRescinded int   `json:"offers_rescinded"`
	AgentsSetAway   int   `json:"agents_set_away"`
	// Plans counts the calls of the routing policy.
	Plans int `json:"plans"`
	// With one skill: the same centre by Erlang C (no abandonment) and,
	// with patience, Erlang A.
	ErlangCServiceLevel *float64 `json:"erlang_c_service_level,omitempty"`
	ErlangCASA          *float64 `json:"erlang_c_asa_seconds,omitempty"`
	ErlangAServiceLevel *float64 `json:"erlang_a_service_level,omitempty"`
	ErlangAASA          *float64 `json:"erlang_a_asa_seconds,omitempty"`
	ErlangAAbandonRate  *float64 `json:"erlang_a_abandon_rate,omitempty"`
}

// epoch is the virtual clock's origin: a Monday midnight, so the daily
// curve and shifts line up with hours of the day.
var epoch = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

const (
	evArrival = iota
	evAbandon
	evAccept
	evDecline
	evExpire
	evComplete
	evShift
	evBack
	evRecheck
)

type event struct {
	at   float64
	seq  uint64
	kind uint8
	c    *contact
	a    *agent
	o    *offer
}

type contact struct {
	id        int64
	arrival   float64
	handle    float64
	abandonAt float64
	measured  bool
	waiting   bool
	conv      routing.Conversation
	offer     *offer
	qi        int // index in the waiting list
}

type agent struct {
	ra       routing.Agent
	g        *AgentGroup
	gi       int // the group's index
	onShift  bool
	away     bool
	active   int
	pending  []*offer
	inRow    int // offers in a row that ran out
	wasFree  bool
	busySlot int
}

type offer struct {
	id       int64
	c        *contact
	a        *agent
	ring     int
	deadline float64
	open     bool
}

type engine struct {
	sc      Scenario
	set     routing.Settings
	arr     *rand.Rand // arrivals and contacts: the same for every policy
	beh     *rand.Rand // agents' behaviour
	now     float64
	seq     uint64
	events  []event
	agents  []*agent
	waiting []*contact
	offers  map[int64]*offer
	nextID  int64
	staff   []string
	planner routing.Planner
	snap    routing.Snapshot
	// stands[gi] is the plan in which group gi's busy agents last had a
	// stand-in in the snapshot.
	stands []int

	start, end    float64 // the measured period
	maxRate       float64
	shares        []float64
	free          int // available agents with a free slot
	unoffered     int // waiting contacts without a pending offer
	dirty         bool
	recheckAt     float64
	open          int // measured contacts still waiting
	lastAcc       float64
	busy, staffed float64 // slots busy, slots staffed now
	busyInt       float64 // ∫ busy dt over the measured period
	staffInt      float64

	rep       Report
	waitSum   float64
	handleSum float64
	offSkill  int
	slHits    int
}

// Run simulates the scenario and reports on its measured period.
func Run(sc Scenario) (*Report, error) {
	set, err := sc.normalize()
	if err != nil {
		return nil, err
	}
	e := &engine{
		sc: sc, set: set,
		arr:    rand.New(rand.NewPCG(sc.Seed, 0x7a6e_6465_6d31)),
		beh:    rand.New(rand.NewPCG(sc.Seed, 0x7a6e_6465_6d32)),
		offers: map[int64]*offer{},
		start:  *sc.WarmupHours * 3600, recheckAt: math.Inf(1),
	}
	e.end = e.start + sc.Hours*3600
	e.rep = Report{Scenario: sc.String(), Policy: sc.Policy, Seed: sc.Seed, Agents: sc.agentCount(), Hours: sc.Hours, SLSeconds: sc.SLSeconds,
		AnsweredByRing: make([]int, len(set.Rings))}
	e.setup()
	if err := e.loop(); err != nil {
		return nil, err
	}
	e.finish()
	return &e.rep, nil
}

func (e *engine) setup() {
	e.maxRate = e.sc.ArrivalsPerHour / 3600
	if len(e.sc.DailyCurve) > 0 {
		e.maxRate *= slices.Max(e.sc.DailyCurve)
	}
	total := 0.0
	for _, c := range e.sc.Contacts {
		total += c.Share
	}
	acc := 0.0
	for _, c := range e.sc.Contacts {
		acc += c.Share / total
		e.shares = append(e.shares, acc)
	}
	id := int64(0)
	for gi := range e.sc.Agents {
		g := &e.sc.Agents[gi]
		for range g.Count {
			id++
			a := &agent{g: g, gi: gi, ra: routing.Agent{ID: id, Capacity: g.Capacity, Skills: g.Skills, Workspaces: []int64{1}, IdleSince: epoch, Quality: g.Quality}}
			e.agents = append(e.agents, a)
			for s := range g.Skills {
				if !slices.Contains(e.staff, s) {
					e.staff = append(e.staff, s)
				}
			}
			if len(g.Shift) == 0 {
				e.setShift(a, true)
			} else {
				on := onShift(g.Shift, 0)
				e.setShift(a, on)
				e.push(event{at: nextShiftChange(g.Shift, 0), kind: evShift, a: a})
			}
		}
	}
	slices.Sort(e.staff)
	if e.staff == nil {
		e.staff = []string{}
	}
	e.scheduleArrival()
}

// onShift reports whether hour-of-day shift [start, end) covers time t.
func onShift(shift []float64, t float64) bool {
	h := math.Mod(t/3600, 24)
	s, en := shift[0], shift[1]
	if s == en {
		return true
	}
	if s < en {
		return h >= s && h < en
	}
	return h >= s || h < en
}

// nextShiftChange is the next time after t a shift starts or ends.
func nextShiftChange(shift []float64, t float64) float64 {
	day := math.Floor(t/86400) * 86400
	best := math.Inf(1)
	for d := 0.0; d <= 1; d++ {
		for _, h := range shift {
			if at := day + d*86400 + h*3600; at > t+1e-9 && at < best {
				best = at
			}
		}
	}
	return best
}

func (e *engine) push(ev event) {
	e.seq++
	ev.seq = e.seq
	e.events = append(e.events, ev)
	i := len(e.events) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !e.before(i, p) {
			break
		}
		e.events[i], e.events[p] = e.events[p], e.events[i]
		i = p
	}
}

func (e *engine) before(i, j int) bool {
	a, b := &e.events[i], &e.events[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (e *engine) pop() event {
	top := e.events[0]
	n := len(e.events) - 1
	e.events[0] = e.events[n]
	e.events = e.events[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && e.before(r, l) {
			m = r
		}
		if !e.before(m, i) {
			break
		}
		e.events[i], e.events[m] = e.events[m], e.events[i]
		i = m
	}
	return top
}

// clock converts virtual seconds to the routing policy's time.
func clock(t float64) time.Time { return epoch.Add(time.Duration(math.Round(t * 1e9))) }

func (e *engine) rate(t float64) float64 {
	r := e.sc.ArrivalsPerHour / 3600
	if len(e.sc.DailyCurve) > 0 {
		r *= e.sc.DailyCurve[int(math.Mod(t/3600, 24))]
	}
	return r
}

// scheduleArrival draws the next arrival by thinning a Poisson process at
// the peak rate.
func (e *engine) scheduleArrival() {
	t := e.now
	for {
		t += e.arr.ExpFloat64() / e.maxRate
		if len(e.sc.DailyCurve) == 0 || e.arr.Float64()*e.maxRate < e.rate(t) {
			break
		}
	}
	e.push(event{at: t, kind: evArrival})
}

// stopAt is when the run gives up on contacts still waiting: a day after
// the measured period (only an overloaded centre without abandonment
// gets there).
func (e *engine) stopAt() float64 { return e.end + math.Max(86400, 100*e.sc.AHT) }

func (e *engine) loop() error {
	for len(e.events) > 0 {
		ev := e.pop()
		if ev.at >= e.end && e.open == 0 {
			break
		}
		if ev.at > e.stopAt() {
			break
		}
		e.advance(ev.at)
		switch ev.kind {
		case evArrival:
			e.arrive()
		case evAbandon:
			if ev.c.waiting {
				e.abandon(ev.c)
			}
		case evAccept:
			if ev.o.open {
				e.accept(ev.o)
			}
		case evDecline:
			if ev.o.open {
				e.closeOffer(ev.o, evDecline)
			}
		case evExpire:
			if ev.o.open && routing.Expired(clock(ev.o.deadline), clock(e.now)) {
				e.closeOffer(ev.o, evExpire)
			}
		case evComplete:
			e.complete(ev.a)
		case evShift:
			e.setShift(ev.a, onShift(ev.a.g.Shift, e.now+1e-6))
			e.push(event{at: nextShiftChange(ev.a.g.Shift, e.now), kind: evShift, a: ev.a})
		case evBack:
			e.setAway(ev.a, false)
		case evRecheck:
			if ev.at == e.recheckAt {
				e.recheckAt = math.Inf(1)
				e.dirty = true
			}
		}
		if e.dirty && e.unoffered > 0 && e.free > 0 {
			if err := e.plan(); err != nil {
				return err
			}
		}
		e.dirty = false
	}
	return nil
}

// advance moves the clock, integrating busy and staffed capacity over the
// measured period.
func (e *engine) advance(to float64) {
	from, until := math.Max(e.lastAcc, e.start), math.Min(to, e.end)
	if until > from {
		e.busyInt += e.busy * (until - from)
		e.staffInt += e.staffed * (until - from)
	}
	e.lastAcc = to
	e.now = to
}

func (e *engine) arrive() {
	e.scheduleArrival()
	e.nextID++
	r := e.arr.Float64()
	typ := 0
	for typ < len(e.shares)-1 && r >= e.shares[typ] {
		typ++
	}
	ct := &e.sc.Contacts[typ]
	c := &contact{id: e.nextID, arrival: e.now, waiting: true, abandonAt: math.Inf(1)}
	c.measured = e.now >= e.start && e.now < e.end
	c.handle = e.drawHandle()
	if e.sc.Patience > 0 {
		c.abandonAt = e.now + e.arr.ExpFloat64()*e.sc.Patience
	}
	skills := ct.Skills
	if skills == nil {
		skills = []string{}
	}
	c.conv = routing.Conversation{ID: c.id, WorkspaceID: 1, QueuedAt: clock(e.now), Language: ct.Language, Skills: skills,
		VIP: e.arr.Float64() < ct.VIP, Frustrated: e.arr.Float64() < ct.Frustrated}
	if e.arr.Float64() < ct.Sensitive {
		c.conv.Sensitive = "sensitive"
	}
	if c.measured {
		e.rep.Contacts++
		e.open++
	}
	c.qi = len(e.waiting)
	e.waiting = append(e.waiting, c)
	e.unoffered++
	if !math.IsInf(c.abandonAt, 1) {
		e.push(event{at: c.abandonAt, kind: evAbandon, c: c})
	}
	e.dirty = true
}

func (e *engine) drawHandle() float64 {
	m := e.sc.AHT
	if e.sc.Handling == "lognormal" {
		s2 := math.Log(1 + e.sc.HandlingCV*e.sc.HandlingCV)
		return math.Exp(math.Log(m) - s2/2 + math.Sqrt(s2)*e.arr.NormFloat64())
	}
	return e.arr.ExpFloat64() * m
}

// unqueue takes a contact off the waiting list.
func (e *engine) unqueue(c *contact) {
	last := e.waiting[len(e.waiting)-1]
	e.waiting[c.qi] = last
	last.qi = c.qi
	e.waiting = e.waiting[:len(e.waiting)-1]
	c.waiting = false
	if c.measured {
		e.open--
	}
}

func (e *engine) abandon(c *contact) {
	if c.offer != nil {
		e.closeOffer(c.offer, -1) // the customer left: the offer is withdrawn
	}
	e.unqueue(c)
	e.unoffered--
	if c.measured {
		e.rep.Abandoned++
	}
}

// isFree says whether an agent can take an offer now.
func (a *agent) isFree() bool {
	return a.onShift && !a.away && a.active+len(a.pending) < a.ra.Capacity
}

// update keeps the free-agent count right after a change to a.
func (e *engine) update(a *agent) {
	if f := a.isFree(); f != a.wasFree {
		if f {
			e.free++
		} else {
			e.free--
		}
		a.wasFree = f
		if f {
			e.dirty = true
		}
	}
}

func (e *engine) setShift(a *agent, on bool) {
	if a.onShift == on {
		return
	}
	a.onShift = on
	if on {
		e.staffed += float64(a.ra.Capacity)
		a.ra.IdleSince = clock(e.now)
	} else {
		e.staffed -= float64(a.ra.Capacity)
		e.leave(a)
	}
	e.update(a)
}

func (e *engine) setAway(a *agent, away bool) {
	a.away = away
	if away {
		e.rep.AgentsSetAway++
		e.leave(a)
		e.push(event{at: e.now + e.sc.AwayMinutes*60, kind: evBack, a: a})
	} else {
		a.ra.IdleSince = clock(e.now)
	}
	e.update(a)
}

// leave withdraws an agent's pending offers: they stopped being available.
func (e *engine) leave(a *agent) {
	for len(a.pending) > 0 {
		e.closeOffer(a.pending[0], -1)
	}
}

// plan asks the routing policy what to do and does it.
func (e *engine) plan() error {
	e.rep.Plans++
	now := clock(e.now)
	s := &e.snap
	s.Settings, s.StaffSkills = e.set, e.staff
	s.Agents, s.Queue, s.Pending = s.Agents[:0], s.Queue[:0], s.Pending[:0]
	if len(e.stands) == 0 {
		e.stands = make([]int, len(e.sc.Agents))
	}
	for _, a := range e.agents {
		if !a.onShift || a.away {
			continue
		}
		if a.active >= a.ra.Capacity && len(a.pending) == 0 {
			// A busy agent only decides whether a ring can be met (routing
			// skips one nobody available meets), and a group's agents have
			// the same skills: one busy agent per group stands for the rest.
			if e.stands[a.gi] == e.rep.Plans {
				continue
			}
			e.stands[a.gi] = e.rep.Plans
		}
		ra := a.ra
		ra.Active = a.active
		s.Agents = append(s.Agents, ra)
		for _, o := range a.pending {
			s.Pending = append(s.Pending, routing.PendingOffer{ID: o.id, ConversationID: o.c.id, AgentID: a.ra.ID, ExpiresAt: clock(o.deadline)})
		}
	}
	for _, c := range e.waiting {
		s.Queue = append(s.Queue, c.conv)
	}
	var res routing.Result
	if e.sc.Policy == PolicyFCFS {
		res = fcfs(s, now)
	} else {
		res = e.planner.Plan(*s, now)
	}
	for _, r := range res.Rescind {
		if o := e.offers[r.OfferID]; o != nil {
			e.closeOffer(o, -1)
		}
	}
	byID := make(map[int64]*contact, len(res.Offers)+len(res.Widened))
	if len(res.Offers)+len(res.Widened) > 0 {
		for _, c := range e.waiting {
			byID[c.id] = c
		}
	}
	for _, w := range res.Widened {
		if c := byID[w.ConversationID]; c != nil {
			c.conv.Ring = w.Ring
		}
	}
	for _, o := range res.Offers {
		c, a := byID[o.ConversationID], e.agents[o.AgentID-1]
		if c == nil || c.offer != nil || !a.isFree() {
			return fmt.Errorf("sim: the policy offered conversation %d to agent %d, which cannot take it", o.ConversationID, o.AgentID)
		}
		e.makeOffer(c, a, o.Ring)
	}
	if !res.Recheck.IsZero() {
		at := res.Recheck.Sub(epoch).Seconds()
		if at > e.now && at < e.recheckAt {
			e.recheckAt = at
			e.push(event{at: at, kind: evRecheck})
		}
	}
	return nil
}

func (e *engine) makeOffer(c *contact, a *agent, ring int) {
	e.nextID++
	o := &offer{id: e.nextID, c: c, a: a, ring: ring, deadline: e.now + e.set.AcceptTimeout.Seconds(), open: true}
	e.offers[o.id] = o
	c.offer = o
	e.unoffered--
	a.pending = append(a.pending, o)
	a.ra.IdleSince = clock(e.now)
	e.update(a)
	if c.measured {
		e.rep.Offers++
	}
	g := a.g
	r := e.beh.Float64()
	delay := 0.0
	if g.AcceptDelay > 0 {
		delay = g.AcceptDelay * (0.5 + e.beh.Float64())
	}
	switch {
	case r < g.NoAnswer || routing.Expired(clock(o.deadline), clock(e.now+delay)):
		e.push(event{at: o.deadline, kind: evExpire, o: o})
	case r < g.NoAnswer+g.Decline:
		e.push(event{at: e.now + delay, kind: evDecline, o: o})
	default:
		e.push(event{at: e.now + delay, kind: evAccept, o: o})
	}
}

// closeOffer ends an open offer: declined, expired, or withdrawn (−1).
// What that means for the agent's run of expiries, the conversation's
// list of agents who passed on it and whether the agent is set away is
// routing's (AfterOffer, SetsAway), as on the server.
func (e *engine) closeOffer(o *offer, how int) {
	o.open = false
	delete(e.offers, o.id)
	a, c := o.a, o.c
	a.pending = slices.DeleteFunc(a.pending, func(p *offer) bool { return p == o })
	c.offer = nil
	end := routing.EndRescinded
	switch how {
	case evDecline:
		end = routing.EndDeclined
	case evExpire:
		end = routing.EndExpired
	}
	inRow, passed := routing.AfterOffer(end, a.inRow)
	a.inRow = inRow
	if c.waiting {
		e.unoffered++
		if passed {
			if c.conv.Tried == nil {
				c.conv.Tried = map[int64]time.Time{}
			}
			c.conv.Tried[a.ra.ID] = clock(e.now)
		}
	}
	if c.measured {
		switch end {
		case routing.EndDeclined:
			e.rep.OffersDeclined++
		case routing.EndExpired:
			e.rep.OffersExpired++
		default:
			e.rep.OffersRescinded++
		}
	}
	if end == routing.EndExpired && e.set.SetsAway(a.inRow) {
		a.inRow = 0
		e.setAway(a, true)
	}
	e.update(a)
	e.dirty = true
}

func (e *engine) accept(o *offer) {
	o.open = false
	delete(e.offers, o.id)
	a, c := o.a, o.c
	a.pending = slices.DeleteFunc(a.pending, func(p *offer) bool { return p == o })
	a.inRow, _ = routing.AfterOffer(routing.EndAccepted, a.inRow)
	c.offer = nil
	e.unqueue(c)
	a.active++
	e.busy++
	handle := c.handle
	if !hasAll(a, c) {
		handle *= e.sc.OffSkillFactor
		if c.measured {
			e.offSkill++
		}
	}
	if c.measured {
		wait := e.now - c.arrival
		e.rep.Answered++
		e.rep.OffersAccepted++
		e.waitSum += wait
		e.handleSum += handle
		if wait <= e.sc.SLSeconds+1e-9 {
			e.slHits++
		}
		if o.ring < len(e.rep.AnsweredByRing) {
			e.rep.AnsweredByRing[o.ring]++
		}
	}
	e.update(a)
	e.push(event{at: e.now + handle, kind: evComplete, a: a})
}

// hasAll reports whether the agent has every skill and the language the contact needs.
func hasAll(a *agent, c *contact) bool {
	for _, s := range c.conv.Skills {
		if _, ok := a.ra.Skills[s]; !ok {
			return false
		}
	}
	if c.conv.Language != "" {
		if _, ok := a.ra.Skills["lang:"+c.conv.Language]; !ok {
			return false
		}
	}
	return true
}

func (e *engine) complete(a *agent) {
	a.active--
	e.busy--
	e.update(a)
	e.dirty = true
}

func (e *engine) finish() {
	r := &e.rep
	r.Unanswered = r.Contacts - r.Answered - r.Abandoned
	if r.Contacts > 0 {
		r.ServiceLevel = float64(e.slHits) / float64(r.Contacts)
		r.AbandonRate = float64(r.Abandoned) / float64(r.Contacts)
	}
	if r.Answered > 0 {
		r.ASA = e.waitSum / float64(r.Answered)
		r.AvgHandle = e.handleSum / float64(r.Answered)
		r.OffSkill = float64(e.offSkill) / float64(r.Answered)
	}
	if e.staffInt > 0 {
		r.Occupancy = e.busyInt / e.staffInt
	}
	if !e.sc.singleSkill() {
		return
	}
	n := e.sc.agentCount()
	lambda := e.sc.ArrivalsPerHour / 3600
	c := workforce.ErlangC{Agents: n, ArrivalRate: lambda, AHT: e.sc.AHT}
	sl, asa := c.ServiceLevel(e.sc.SLSeconds), c.ASA()
	r.ErlangCServiceLevel, r.ErlangCASA = &sl, finite(asa)
	if e.sc.Patience > 0 {
		a := workforce.ErlangA{Agents: n, ArrivalRate: lambda, AHT: e.sc.AHT, Patience: e.sc.Patience}
		asl, aasa, ab := a.ServiceLevel(e.sc.SLSeconds), a.ASA(), a.AbandonRate()
		r.ErlangAServiceLevel, r.ErlangAASA, r.ErlangAAbandonRate = &asl, finite(aasa), &ab
	}
}

// finite returns a pointer to v, or nil when v is infinite (JSON has no infinity).
func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}
