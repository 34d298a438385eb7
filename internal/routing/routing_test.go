package routing_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/routing"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// ag is an agent of workspace 1, idle since t0, with the given skills at level 3.
func ag(id int64, capacity, active int, skills ...string) routing.Agent {
	a := routing.Agent{ID: id, Capacity: capacity, Active: active, Workspaces: []int64{1}, IdleSince: t0, Quality: 0.5, Skills: map[string]int{}}
	for _, s := range skills {
		a.Skills[s] = 3
	}
	return a
}

// cv is a conversation of workspace 1 queued at second sec.
func cv(id int64, sec int) routing.Conversation {
	return routing.Conversation{ID: id, WorkspaceID: 1, QueuedAt: at(sec)}
}

func with(c routing.Conversation, f func(*routing.Conversation)) routing.Conversation {
	f(&c)
	return c
}

func agentWith(a routing.Agent, f func(*routing.Agent)) routing.Agent { f(&a); return a }

func offers(pairs ...int64) []routing.Offer {
	var out []routing.Offer
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, routing.Offer{ConversationID: pairs[i], AgentID: pairs[i+1]})
	}
	return out
}

// pairs drops the ring and deadline of offers, for comparison.
func pairs(os []routing.Offer) []routing.Offer {
	var out []routing.Offer
	for _, o := range os {
		out = append(out, routing.Offer{ConversationID: o.ConversationID, AgentID: o.AgentID})
	}
	return out
}

func TestPlan(t *testing.T) {
	def := routing.DefaultSettings()
	cardQ := func(id int64, sec int, lang string) routing.Conversation {
		return with(cv(id, sec), func(c *routing.Conversation) { c.Intent, c.Language = "card_arrival", lang })
	}
	tests := []struct {
		name   string
		snap   routing.Snapshot
		now    int
		want   []routing.Offer
		adjust func(*routing.Settings)
	}{
		{
			name: "nobody available",
			snap: routing.Snapshot{Queue: []routing.Conversation{cv(1, 0)}},
		},
		{
			name: "oldest first, to the least loaded agent",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(2, 5), cv(1, 1)},
				Agents: []routing.Agent{ag(10, 3, 2), ag(11, 3, 0)},
			},
			want: offers(1, 11, 2, 11),
		},
		{
			name: "pending offers count against capacity; the queue waits when slots run out",
			snap: routing.Snapshot{
				Queue:   []routing.Conversation{cv(1, 1), cv(2, 2), cv(3, 3), cv(4, 0)},
				Agents:  []routing.Agent{ag(10, 3, 1)},
				Pending: []routing.PendingOffer{{ID: 1, ConversationID: 4, AgentID: 10}},
			},
			want: offers(1, 10),
		},
		{
			name: "an agent not certified for the workspace gets nothing",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, 1)},
				Agents: []routing.Agent{agentWith(ag(10, 3, 0), func(a *routing.Agent) { a.Workspaces = []int64{2} })},
			},
		},
		{
			name: "certified for several workspaces",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) { c.WorkspaceID = 2 })},
				Agents: []routing.Agent{agentWith(ag(10, 3, 0), func(a *routing.Agent) { a.Workspaces = []int64{1, 2} })},
			},
			want: offers(1, 10),
		},
		{
			name: "the skill of the intent: a busier agent who has it beats an idle one who does not",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cardQ(1, 90, "")},
				Agents: []routing.Agent{ag(10, 3, 0, "payments"), ag(11, 3, 2, "cards")},
			},
			want: offers(1, 11),
		},
		{
			name: "the language: a Swedish customer goes to the Swedish speaker",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cardQ(1, 90, "sv")},
				Agents: []routing.Agent{ag(10, 3, 0, "cards", "lang:en"), ag(11, 3, 2, "cards", "lang:sv")},
			},
			want: offers(1, 11),
		},
		{
			name: "a skill nobody on the staff has is not required",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cardQ(1, 0, "fi")},
				Agents: []routing.Agent{ag(10, 3, 0, "payments", "lang:en")},
			},
			want: offers(1, 10),
		},
		{
			name: "a skill only an unavailable colleague has: the rings that need it are skipped at once",
			snap: routing.Snapshot{
				Queue:       []routing.Conversation{cardQ(1, 90, "en")},
				Agents:      []routing.Agent{ag(10, 3, 0, "payments", "lang:en")},
				StaffSkills: []string{"cards", "payments", "lang:en"},
			},
			now:  95,
			want: offers(1, 10),
		},
		{
			name: "a skill only a busy available colleague has is still required: wait for them",
			snap: routing.Snapshot{
				Queue:       []routing.Conversation{cardQ(1, 90, "en")},
				Agents:      []routing.Agent{ag(10, 3, 0, "payments", "lang:en"), ag(11, 1, 1, "cards", "lang:en")},
				StaffSkills: []string{"cards", "payments", "lang:en"},
			},
			now: 95,
		},
		{
			name: "no head-of-line blocking: the next conversation that someone can take is served",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{cardQ(1, 0, "en"), with(cv(2, 50), func(c *routing.Conversation) {
					c.Intent, c.Language = "pending_transfer", "en"
				})},
				Agents:      []routing.Agent{ag(10, 3, 0, "transfers", "lang:en"), ag(11, 1, 1, "cards", "lang:en")},
				StaffSkills: []string{"cards", "transfers", "lang:en"},
			},
			now:  55,
			want: offers(2, 10),
		},
		{
			name: "sensitive matters need their skill first",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{with(cv(1, 90), func(c *routing.Conversation) {
					c.Intent, c.Sensitive, c.Language = "card_arrival", "fraud", "en"
				})},
				Agents: []routing.Agent{ag(10, 3, 0, "cards", "lang:en"), ag(11, 3, 2, "fraud", "cards", "lang:en")},
			},
			now:  95,
			want: offers(1, 11),
		},
		{
			name: "ties go to the lower id, whatever the order of the snapshot",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, 1)},
				Agents: []routing.Agent{ag(12, 2, 0), ag(11, 2, 0), ag(13, 2, 0)},
			},
			want: offers(1, 11),
		},
		{
			name: "equal load: the agent idle longest",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{cv(1, 1), cv(2, 2)},
				Agents: []routing.Agent{
					agentWith(ag(10, 1, 0), func(a *routing.Agent) { a.IdleSince = at(50) }),
					agentWith(ag(11, 1, 0), func(a *routing.Agent) { a.IdleSince = at(20) }),
				},
			},
			want: offers(1, 11, 2, 10),
		},
		{
			name: "an agent just offered work is no longer idle: offers spread",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, 1), cv(2, 2)},
				Agents: []routing.Agent{ag(10, 3, 0), agentWith(ag(11, 3, 0), func(a *routing.Agent) { a.IdleSince = at(10) })},
			},
			want: offers(1, 10, 2, 11),
		},
		{
			name: "higher quality wins at equal load and idle time",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, 1)},
				Agents: []routing.Agent{ag(10, 3, 0), agentWith(ag(11, 3, 0), func(a *routing.Agent) { a.Quality = 0.9 })},
			},
			want: offers(1, 11),
		},
		{
			name: "higher level in the primary skill wins",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cardQ(1, 1, "")},
				Agents: []routing.Agent{ag(10, 3, 0, "cards"), agentWith(ag(11, 3, 0, "cards"), func(a *routing.Agent) { a.Skills["cards"] = 5 })},
			},
			want: offers(1, 11),
		},
		{
			name: "sticky: a returning customer's previous agent, even if busier",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) {
					c.PreviousAgentID, c.PreviousAt = 11, at(-3600)
				})},
				Agents: []routing.Agent{ag(10, 3, 0), ag(11, 3, 2)},
			},
			want: offers(1, 11),
		},
		{
			name: "not sticky after 24 hours",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) {
					c.PreviousAgentID, c.PreviousAt = 11, at(-25*3600)
				})},
				Agents: []routing.Agent{ag(10, 3, 0), ag(11, 3, 2)},
			},
			want: offers(1, 10),
		},
		{
			name: "weights are configurable: with load alone, stickiness does not count",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) {
					c.PreviousAgentID, c.PreviousAt = 11, at(-3600)
				})},
				Agents: []routing.Agent{ag(10, 3, 0), ag(11, 3, 2)},
			},
			adjust: func(s *routing.Settings) { s.Weights = routing.Weights{Load: 1} },
			want:   offers(1, 10),
		},
		{
			name: "an agent who passed on it comes last",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) { c.Tried = map[int64]time.Time{11: at(3)} })},
				Agents: []routing.Agent{ag(10, 3, 2), ag(11, 3, 0)},
			},
			want: offers(1, 10),
		},
		{
			name: "if everyone passed, the one who passed longest ago gets it again",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) { c.Tried = map[int64]time.Time{10: at(9), 11: at(3)} })},
				Agents: []routing.Agent{ag(10, 3, 0), ag(11, 3, 0)},
			},
			want: offers(1, 11),
		},
		{
			name: "VIP: a VIP who just arrived goes before a standard customer waiting a minute",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, 40), with(cv(2, 99), func(c *routing.Conversation) { c.VIP = true })},
				Agents: []routing.Agent{ag(10, 1, 0)},
			},
			want: offers(2, 10),
		},
		{
			name: "aging: a standard customer waiting longer than the VIP boost goes first",
			snap: routing.Snapshot{
				Queue:  []routing.Conversation{cv(1, -200), with(cv(2, 99), func(c *routing.Conversation) { c.VIP = true })},
				Agents: []routing.Agent{ag(10, 1, 0)},
			},
			want: offers(1, 10),
		},
		{
			name: "frustration and sensitivity raise priority",
			snap: routing.Snapshot{
				Queue: []routing.Conversation{
					cv(1, 80),
					with(cv(2, 99), func(c *routing.Conversation) { c.Frustrated = true }),
					with(cv(3, 99), func(c *routing.Conversation) { c.Sensitive = "bereavement" }),
				},
				Agents: []routing.Agent{ag(10, 1, 0), ag(11, 1, 0), ag(12, 1, 0)},
			},
			want: offers(3, 10, 2, 11, 1, 12),
		},
		{
			name: "SLA risk: near the target a conversation gains the SLA boost",
			snap: routing.Snapshot{
				// At 100: conversation 1 has waited 55 s of a 60 s target:
				// 55 + 5/6 of the 100 s SLA boost = 138; the frustrated 2
				// has waited 10 s: 10 + 100 = 110. Without the SLA boost, 2 would go first.
				Queue:  []routing.Conversation{cv(1, 45), with(cv(2, 90), func(c *routing.Conversation) { c.Frustrated = true })},
				Agents: []routing.Agent{ag(10, 1, 0)},
			},
			adjust: func(s *routing.Settings) { s.Boosts.SLARisk, s.Boosts.Frustrated = 100*time.Second, 100*time.Second },
			want:   offers(1, 10),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.snap.Settings = def
			if tc.adjust != nil {
				tc.adjust(&tc.snap.Settings)
			}
			now := at(100)
			if tc.now != 0 {
				now = at(tc.now)
			}
			got := routing.Plan(tc.snap, now)
			if !reflect.DeepEqual(pairs(got.Offers), tc.want) {
				t.Fatalf("offers = %+v, want %+v", pairs(got.Offers), tc.want)
			}
			for _, o := range got.Offers {
				if !o.ExpiresAt.Equal(now.Add(def.AcceptTimeout)) {
					t.Errorf("offer deadline %v, want now + %v", o.ExpiresAt, def.AcceptTimeout)
				}
			}
			if again := routing.Plan(tc.snap, now); !reflect.DeepEqual(again, got) {
				t.Fatalf("Plan is not deterministic: %+v then %+v", got, again)
			}
			rev := tc.snap
			rev.Agents = slices.Clone(rev.Agents)
			rev.Queue = slices.Clone(rev.Queue)
			slices.Reverse(rev.Agents)
			slices.Reverse(rev.Queue)
			if other := routing.Plan(rev, now); !reflect.DeepEqual(other.Offers, got.Offers) {
				t.Fatalf("the order of the snapshot changed the plan: %+v, reversed %+v", got.Offers, other.Offers)
			}
		})
	}
}

// TestRings walks one Swedish fraud conversation about a card through the
// default bullseye: fraud+cards+Swedish, fraud+Swedish, Swedish, anyone.
func TestRings(t *testing.T) {
	set := routing.DefaultSettings()
	conv := with(cv(1, 0), func(c *routing.Conversation) {
		c.Intent, c.Sensitive, c.Language = "lost_or_stolen_card", "fraud", "sv"
	})
	staff := []string{"fraud", "cards", "payments", "lang:sv", "lang:en"}
	agents := []routing.Agent{
		ag(10, 1, 0, "payments", "lang:en"),       // no fraud, no cards, no Swedish
		ag(11, 1, 0, "payments", "lang:sv"),       // Swedish
		ag(12, 1, 0, "fraud", "lang:sv"),          // fraud in Swedish
		ag(13, 1, 0, "fraud", "lang:en"),          // fraud in English
		ag(14, 1, 1, "fraud", "cards", "lang:sv"), // perfect, but busy
	}
	steps := []struct {
		sec       int
		available []int64 // agents present
		ring      int
		skills    []string
		want      int64 // 0: no offer
		recheck   int
		skipped   bool // the ring was reached before its time
	}{
		{sec: 5, available: []int64{10, 11, 12, 13, 14}, ring: 0, skills: []string{"fraud", "cards", "lang:sv"}, recheck: 30},
		{sec: 30, available: []int64{10, 11, 12, 13, 14}, ring: 1, skills: []string{"fraud", "lang:sv"}, want: 12, recheck: 60},
		// Nobody available does fraud in Swedish any more: that ring is skipped.
		{sec: 40, available: []int64{10, 11, 13}, ring: 2, skills: []string{"lang:sv"}, want: 11, recheck: 180, skipped: true},
		{sec: 60, available: []int64{10, 11, 13}, ring: 2, skills: []string{"lang:sv"}, want: 11, recheck: 180},
		// Nobody available speaks Swedish: waiting would not change that.
		{sec: 100, available: []int64{10, 13}, ring: 3, skills: []string{}, want: 13, skipped: true},
		{sec: 180, available: []int64{10, 13}, ring: 3, skills: []string{}, want: 13},
	}
	recorded := 0
	for _, st := range steps {
		var present []routing.Agent
		for _, a := range agents {
			if slices.Contains(st.available, a.ID) {
				present = append(present, a)
			}
		}
		c := conv
		c.Ring = recorded
		res := routing.Plan(routing.Snapshot{Settings: set, Agents: present, Queue: []routing.Conversation{c}, StaffSkills: staff}, at(st.sec))
		var got int64
		if len(res.Offers) == 1 {
			got = res.Offers[0].AgentID
			if res.Offers[0].Ring != st.ring {
				t.Errorf("at %ds: offer in ring %d, want %d", st.sec, res.Offers[0].Ring, st.ring)
			}
		}
		if got != st.want {
			t.Errorf("at %ds (ring %d): offered to %d, want %d", st.sec, st.ring, got, st.want)
		}
		if st.ring > recorded {
			want := []routing.Widening{{ConversationID: 1, Ring: st.ring, Skills: st.skills, Skipped: st.skipped}}
			if !reflect.DeepEqual(res.Widened, want) {
				t.Errorf("at %ds: widened %+v, want %+v", st.sec, res.Widened, want)
			}
			recorded = st.ring
		} else if len(res.Widened) != 0 {
			t.Errorf("at %ds: widened %+v again", st.sec, res.Widened)
		}
		wantRecheck := time.Time{}
		if st.recheck != 0 {
			wantRecheck = at(st.recheck)
		}
		if !res.Recheck.Equal(wantRecheck) {
			t.Errorf("at %ds: recheck %v, want %v", st.sec, res.Recheck, wantRecheck)
		}
	}
}

func TestPassedAgentIsSparedUntilTheCooldownEnds(t *testing.T) {
	set := routing.DefaultSettings()
	set.Cooldown = 30 * time.Second
	set.Rings = set.Rings[:1]
	snap := routing.Snapshot{
		Settings: set,
		Queue:    []routing.Conversation{with(cv(1, 1), func(c *routing.Conversation) { c.Tried = map[int64]time.Time{10: at(90)} }), cv(2, 2)},
		// Agent 11 could take conversation 1 once their slot frees.
		Agents: []routing.Agent{ag(10, 3, 0), ag(11, 1, 1)},
	}
	got := routing.Plan(snap, at(100))
	if want := offers(2, 10); !reflect.DeepEqual(pairs(got.Offers), want) || !got.Recheck.Equal(at(120)) {
		t.Fatalf("during the cooldown: %+v, recheck %v; want %+v, recheck %v", pairs(got.Offers), got.Recheck, want, at(120))
	}
	got = routing.Plan(snap, at(120))
	if len(got.Offers) != 2 || got.Offers[0].ConversationID != 1 || !got.Recheck.IsZero() {
		t.Fatalf("after the cooldown: %+v, recheck %v; want conversation 1 offered again", got.Offers, got.Recheck)
	}
}

// TestCooldownHoldsOnlyWhileSomeoneElseCould: the only agent online who
// can take a conversation gets it again at once after passing on it; a
// cooldown never keeps a customer waiting for nobody.
func TestCooldownHoldsOnlyWhileSomeoneElseCould(t *testing.T) {
	set := routing.DefaultSettings()
	tried := with(cv(1, 1), func(c *routing.Conversation) { c.Tried = map[int64]time.Time{10: at(90)} })
	snap := routing.Snapshot{Settings: set, Queue: []routing.Conversation{tried}, Agents: []routing.Agent{ag(10, 3, 0)}}
	if got := routing.Plan(snap, at(100)); !reflect.DeepEqual(pairs(got.Offers), offers(1, 10)) {
		t.Errorf("the only agent online: %+v, want the conversation offered again", got.Offers)
	}
	// Someone else who could take it is online (agent 12 is certified
	// elsewhere and does not count): agent 10 is spared.
	other := agentWith(ag(12, 3, 0), func(a *routing.Agent) { a.Workspaces = []int64{2} })
	snap.Agents = []routing.Agent{ag(10, 3, 0), ag(11, 2, 2), other}
	if got := routing.Plan(snap, at(100)); len(got.Offers) != 0 || !got.Recheck.Equal(at(150)) {
		t.Errorf("with a colleague who could take it: %+v, recheck %v; want none until %v", got.Offers, got.Recheck, at(150))
	}
	// Both who could take it passed: the one who passed longest ago gets it.
	snap.Queue[0].Tried = map[int64]time.Time{10: at(90), 11: at(80)}
	snap.Agents = []routing.Agent{ag(10, 3, 0), ag(11, 3, 0)}
	if got := routing.Plan(snap, at(100)); !reflect.DeepEqual(pairs(got.Offers), offers(1, 11)) {
		t.Errorf("both passed: %+v, want agent 11", got.Offers)
	}
}

func TestRescind(t *testing.T) {
	set := routing.DefaultSettings()
	snap := routing.Snapshot{
		Settings: set,
		Queue:    []routing.Conversation{cv(1, 0), cv(2, 0), cv(3, 0), cv(4, 0), with(cv(5, 0), func(c *routing.Conversation) { c.WorkspaceID = 2 })},
		Agents:   []routing.Agent{ag(10, 1, 0), ag(11, 3, 2)},
		Pending: []routing.PendingOffer{
			{ID: 1, ConversationID: 1, AgentID: 99, CreatedAt: at(1)}, // agent went away
			{ID: 2, ConversationID: 2, AgentID: 11, CreatedAt: at(1)},
			{ID: 3, ConversationID: 3, AgentID: 11, CreatedAt: at(2)}, // newest beyond capacity 3
			{ID: 4, ConversationID: 5, AgentID: 10, CreatedAt: at(1)}, // another workspace
		},
	}
	got := routing.Plan(snap, at(10))
	want := []routing.Rescind{
		{OfferID: 1, Reason: routing.RescindUnavailable},
		{OfferID: 4, Reason: routing.RescindNotCertified},
		{OfferID: 3, Reason: routing.RescindOverCapacity},
	}
	if !reflect.DeepEqual(got.Rescind, want) {
		t.Errorf("rescind %+v, want %+v", got.Rescind, want)
	}
	// Agent 10's slot is free again once the wrong offer goes: conversation 4 is offered.
	if w := offers(4, 10); !reflect.DeepEqual(pairs(got.Offers), w) {
		t.Errorf("offers %+v, want %+v", pairs(got.Offers), w)
	}
}

func TestSettingsJSON(t *testing.T) {
	def := routing.DefaultSettings()
	raw, err := def.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := routing.ParseSettings(raw)
	if err != nil || !reflect.DeepEqual(back, def) {
		t.Fatalf("round trip: %v\n%+v\nwant %+v", err, back, def)
	}
	got, err := routing.ParseSettings([]byte(`{"accept_seconds": 45, "weights": {"sticky": 0}, "rings": [{"after_seconds": 0, "require": ["primary"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.AcceptTimeout != 45*time.Second || got.Weights.Sticky != 0 || got.Weights.Idle != def.Weights.Idle || len(got.Rings) != 1 || got.DefaultCapacity != 3 {
		t.Errorf("partial update: %+v", got)
	}
	for _, bad := range []string{
		`{"accept_seconds": 0.01}`,
		`{"default_capacity": 0}`,
		`{"rings": []}`,
		`{"rings": [{"after_seconds": 10, "require": []}]}`,
		`{"rings": [{"after_seconds": 0, "require": []}, {"after_seconds": 0, "require": []}]}`,
		`{"rings": [{"after_seconds": 0, "require": ["skills"]}]}`,
		`{"intent_groups": [{"skill": "Cards!", "intents": ["x"]}]}`,
		`{"intent_groups": [{"skill": "lang:en", "intents": ["x"]}]}`,
		`{"weights": {"idle": -1}}`,
		`{"sensitive_skills": {"fraud": ""}}`,
		`{"unknown": 1}`,
	} {
		if _, err := routing.ParseSettings([]byte(bad)); err == nil {
			t.Errorf("ParseSettings(%s) accepted it", bad)
		}
	}
}

func TestSkills(t *testing.T) {
	s := routing.DefaultSettings()
	for _, tc := range []struct {
		intent, sensitive string
		want              []string
	}{
		{"card_arrival", "", []string{"cards"}},
		{"card_payment_not_recognised", "", []string{"fraud", "payments"}},
		{"lost_or_stolen_card", "fraud", []string{"fraud", "cards"}},
		{"card_arrival", "bereavement", []string{"sensitive", "cards"}},
		{"", "", nil},
		{"no_such_intent", "", nil},
	} {
		if got := s.Skills(tc.intent, tc.sensitive); !slices.Equal(got, tc.want) {
			t.Errorf("Skills(%q, %q) = %v, want %v", tc.intent, tc.sensitive, got, tc.want)
		}
	}
}

// --- properties over random event sequences ---------------------------------

// world is a small dispatch centre driven by random events; it applies the
// policy's decisions as the dispatcher would.
type world struct {
	rng     *rand.Rand
	set     routing.Settings
	now     time.Time
	agents  map[int64]*wAgent
	convs   map[int64]*wConv
	pending map[int64]routing.PendingOffer // by offer id
	nextID  int64
	staff   []string
}

type wAgent struct {
	a         routing.Agent
	available bool
}

type wConv struct {
	c        routing.Conversation
	assigned int64
	done     bool
}

var (
	propSkills = []string{"cards", "payments", "transfers", "fraud", "lang:en", "lang:sv", "lang:de"}
	propIntent = []string{"card_arrival", "pending_transfer", "card_payment_not_recognised", "request_refund", "", "edit_personal_details"}
	propLang   = []string{"en", "sv", "de", "fi", ""}
)

func newWorld(seed uint64) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 7)), set: routing.DefaultSettings(), now: t0,
		agents: map[int64]*wAgent{}, convs: map[int64]*wConv{}, pending: map[int64]routing.PendingOffer{}}
	w.set.Cooldown = 20 * time.Second
	for id := int64(1); id <= 8; id++ {
		a := ag(id, 1+w.rng.IntN(3), 0)
		for _, s := range propSkills {
			if w.rng.IntN(3) == 0 {
				a.Skills[s] = 1 + w.rng.IntN(5)
			}
		}
		if w.rng.IntN(5) == 0 {
			a.Workspaces = []int64{2}
		}
		a.Quality = w.rng.Float64()
		w.agents[id] = &wAgent{a: a, available: w.rng.IntN(2) == 0}
		for s := range a.Skills {
			if !slices.Contains(w.staff, s) {
				w.staff = append(w.staff, s)
			}
		}
	}
	return w
}

func (w *world) snapshot() routing.Snapshot {
	s := routing.Snapshot{Settings: w.set, StaffSkills: w.staff}
	for _, id := range sortedKeys(w.agents) {
		if a := w.agents[id]; a.available {
			ra := a.a
			ra.Active, _ = w.load(id)
			s.Agents = append(s.Agents, ra)
		}
	}
	for _, id := range sortedKeys(w.convs) {
		if c := w.convs[id]; !c.done && c.assigned == 0 {
			s.Queue = append(s.Queue, c.c)
		}
	}
	for _, id := range sortedKeys(w.pending) {
		s.Pending = append(s.Pending, w.pending[id])
	}
	return s
}

func sortedKeys[V any](m map[int64]V) []int64 {
	var ks []int64
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// eligible is an independent statement of who may get c in ring.
func (w *world) eligible(a routing.Agent, c routing.Conversation, ring int) bool {
	if !slices.Contains(a.Workspaces, c.WorkspaceID) {
		return false
	}
	skills := w.set.Skills(c.Intent, c.Sensitive)
	need := []string{}
	for _, k := range w.set.Rings[ring].Require {
		switch k {
		case routing.Primary:
			if len(skills) > 0 {
				need = append(need, skills[0])
			}
		case routing.Secondary:
			if len(skills) > 1 {
				need = append(need, skills[1:]...)
			}
		case routing.Language:
			if c.Language != "" {
				need = append(need, "lang:"+c.Language)
			}
		}
	}
	for _, s := range need {
		if _, ok := a.Skills[s]; !ok && slices.Contains(w.staff, s) {
			return false
		}
	}
	return true
}

// ring is an independent statement of the ring c is in: the one its
// waiting time reached, or the first after it that some available agent
// (free or not) is eligible in.
func (w *world) ring(c routing.Conversation) int {
	ring := ringAt(w.set, w.now.Sub(c.QueuedAt))
	for ; ring+1 < len(w.set.Rings); ring++ {
		for _, id := range sortedKeys(w.agents) {
			if a := w.agents[id]; a.available && w.eligible(a.a, c, ring) {
				return ring
			}
		}
	}
	return ring
}

// cooling reports whether agent id sits out a cooldown on c: they passed
// on it within the cooldown and another available agent, not cooling
// down on it, is eligible for it.
func (w *world) cooling(id int64, c routing.Conversation, ring int) bool {
	cooling := func(id int64) bool {
		at, ok := c.Tried[id]
		return ok && w.now.Before(at.Add(w.set.Cooldown))
	}
	if !cooling(id) {
		return false
	}
	for _, other := range sortedKeys(w.agents) {
		if a := w.agents[other]; other != id && a.available && w.eligible(a.a, c, ring) && !cooling(other) {
			return true
		}
	}
	return false
}

// ringAt is the ring a conversation's waiting time w reaches.
func ringAt(set routing.Settings, w time.Duration) int {
	ring := 0
	for i, r := range set.Rings {
		if w >= r.After {
			ring = i
		}
	}
	return ring
}

func (w *world) load(id int64) (active, pending int) {
	for _, c := range w.convs {
		if !c.done && c.assigned == id {
			active++
		}
	}
	for _, o := range w.pending {
		if o.AgentID == id {
			pending++
		}
	}
	return
}

func (w *world) pendingOf(convID int64) bool {
	for _, o := range w.pending {
		if o.ConversationID == convID {
			return true
		}
	}
	return false
}

// plan runs the policy, checks every invariant and applies the decisions.
func (w *world) plan(t *testing.T) routing.Result {
	t.Helper()
	snap := w.snapshot()
	res := routing.Plan(snap, w.now)
	if again := routing.Plan(snap, w.now); !reflect.DeepEqual(again, res) {
		t.Fatalf("not deterministic:\n%+v\n%+v", res, again)
	}
	shuffled := snap
	shuffled.Agents, shuffled.Queue = slices.Clone(snap.Agents), slices.Clone(snap.Queue)
	w.rng.Shuffle(len(shuffled.Agents), func(i, j int) { shuffled.Agents[i], shuffled.Agents[j] = shuffled.Agents[j], shuffled.Agents[i] })
	w.rng.Shuffle(len(shuffled.Queue), func(i, j int) { shuffled.Queue[i], shuffled.Queue[j] = shuffled.Queue[j], shuffled.Queue[i] })
	if other := routing.Plan(shuffled, w.now); !reflect.DeepEqual(other.Offers, res.Offers) {
		t.Fatalf("the snapshot's order changed the offers:\n%+v\n%+v", res.Offers, other.Offers)
	}
	for _, r := range res.Rescind {
		delete(w.pending, r.OfferID)
	}
	seen := map[int64]bool{}
	for _, o := range res.Offers {
		c, a := w.convs[o.ConversationID], w.agents[o.AgentID]
		switch {
		case c == nil || c.done || c.assigned != 0:
			t.Fatalf("offer %+v of a conversation that is not queued", o)
		case seen[o.ConversationID] || w.pendingOf(o.ConversationID):
			t.Fatalf("offer %+v: a second pending offer of the conversation", o)
		case a == nil || !a.available:
			t.Fatalf("offer %+v to an unavailable agent", o)
		case o.Ring != w.ring(c.c) || !w.eligible(a.a, c.c, o.Ring):
			t.Fatalf("offer %+v to an agent not eligible in ring %d: %+v for %+v", o, w.ring(c.c), a.a, c.c)
		case w.cooling(o.AgentID, c.c, o.Ring):
			t.Fatalf("offer %+v to an agent in their cooldown while someone else could take it", o)
		}
		seen[o.ConversationID] = true
		w.nextID++
		w.pending[w.nextID] = routing.PendingOffer{ID: w.nextID, ConversationID: o.ConversationID, AgentID: o.AgentID, CreatedAt: w.now, ExpiresAt: o.ExpiresAt}
	}
	for _, id := range sortedKeys(w.agents) {
		a := w.agents[id]
		active, pending := w.load(id)
		if a.available && active+pending > a.a.Capacity {
			t.Fatalf("agent %d holds %d conversations and %d offers, over capacity %d", id, active, pending, a.a.Capacity)
		}
	}
	// Work-conserving: nobody who is left waiting could have been offered
	// to an eligible agent with a free slot (outside their cooldown).
	for _, id := range sortedKeys(w.convs) {
		c := w.convs[id]
		if c.done || c.assigned != 0 || w.pendingOf(id) {
			continue
		}
		ring := w.ring(c.c)
		for _, aid := range sortedKeys(w.agents) {
			a := w.agents[aid]
			active, pending := w.load(aid)
			if !a.available || active+pending >= a.a.Capacity || !w.eligible(a.a, c.c, ring) {
				continue
			}
			if w.cooling(aid, c.c, ring) {
				continue
			}
			t.Fatalf("conversation %d waits although agent %d is eligible with a free slot", id, aid)
		}
	}
	for _, wd := range res.Widened {
		w.convs[wd.ConversationID].c.Ring = wd.Ring
	}
	return res
}

func (w *world) step(t *testing.T, arrivals bool) {
	t.Helper()
	switch r := w.rng.IntN(10); {
	case r < 3 && arrivals: // a conversation is queued
		w.nextID++
		c := routing.Conversation{ID: w.nextID, WorkspaceID: 1 + int64(w.rng.IntN(5)/4), QueuedAt: w.now,
			Intent: propIntent[w.rng.IntN(len(propIntent))], Language: propLang[w.rng.IntN(len(propLang))],
			VIP: w.rng.IntN(5) == 0, Frustrated: w.rng.IntN(5) == 0}
		if w.rng.IntN(6) == 0 {
			c.Sensitive = "fraud"
		}
		if w.rng.IntN(4) == 0 {
			c.PreviousAgentID, c.PreviousAt = 1+int64(w.rng.IntN(8)), w.now.Add(-time.Duration(w.rng.IntN(48))*time.Hour)
		}
		w.convs[c.ID] = &wConv{c: c}
	case r < 6: // an agent answers an offer: accept, decline, or it expires
		ids := sortedKeys(w.pending)
		if len(ids) == 0 {
			break
		}
		o := w.pending[ids[w.rng.IntN(len(ids))]]
		delete(w.pending, o.ID)
		c := w.convs[o.ConversationID]
		if w.rng.IntN(3) == 0 {
			c.assigned = o.AgentID
		} else {
			if c.c.Tried == nil {
				c.c.Tried = map[int64]time.Time{}
			}
			c.c.Tried[o.AgentID] = w.now
		}
	case r < 7: // an agent changes status; leaving gives the offers back
		a := w.agents[1+int64(w.rng.IntN(len(w.agents)))]
		a.available = !a.available
		if !a.available {
			for id, o := range w.pending {
				if o.AgentID == a.a.ID {
					delete(w.pending, id)
				}
			}
		}
	case r < 8: // a conversation is resolved
		for _, id := range sortedKeys(w.convs) {
			if c := w.convs[id]; !c.done && c.assigned != 0 {
				c.done = true
				break
			}
		}
	default: // time passes
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(40)) * time.Second)
	}
}

// TestPlanProperties drives random worlds: every plan keeps the invariants
// (eligible agents only, never over capacity, one pending offer per
// conversation, cooldowns respected, nobody left waiting who could be
// served, deterministic and independent of the snapshot's order), and once
// arrivals stop and agents take what they are offered, everyone is served.
func TestPlanProperties(t *testing.T) {
	seeds := 60
	if testing.Short() || raceEnabled {
		seeds = 12 // the race detector has nothing to find in this single-threaded code
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			w := newWorld(uint64(seed))
			for range 300 {
				w.step(t, true)
				w.plan(t)
			}
			// No starvation: arrivals stop, everyone available, every offer accepted.
			for _, a := range w.agents {
				a.available = true
				a.a.Workspaces = []int64{1, 2}
			}
			for round := 0; ; round++ {
				w.plan(t)
				for _, id := range sortedKeys(w.pending) {
					o := w.pending[id]
					w.convs[o.ConversationID].assigned = o.AgentID
					delete(w.pending, id)
				}
				for _, c := range w.convs {
					if c.assigned != 0 {
						c.done = true
					}
				}
				waiting := 0
				for _, c := range w.convs {
					if !c.done {
						waiting++
					}
				}
				if waiting == 0 {
					break
				}
				if round > 1000 {
					t.Fatalf("%d conversations still wait after %d rounds", waiting, round)
				}
				w.now = w.now.Add(10 * time.Second)
			}
		})
	}
}
