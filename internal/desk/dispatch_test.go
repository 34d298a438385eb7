package desk_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/dispatch"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
)

// clock is a settable clock for the desk.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a desk over a real SQLite file with its dispatcher running.
type fixture struct {
	t     *testing.T
	path  string
	st    *store.Store
	d     *desk.Desk
	ws    *model.Workspace
	admin desk.Actor
	n     int
	stop  func()
	// clock is the desk's clock, also used for the rows the test writes.
	clock func() time.Time
	// log is the desk's logger; nil discards, unless DESK_TEST_LOG is set
	// (then it goes to stderr, for a look at what the dispatcher did).
	log *slog.Logger
}

var (
	engineOnce sync.Once
	engine     *triage.Engine
	engineErr  error
)

func triageEngine(t *testing.T) *triage.Engine {
	t.Helper()
	engineOnce.Do(func() { engine, engineErr = triage.DefaultEngine() })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

// newFixture opens a fresh database with workspace "acme" (accept deadline
// timeout) and an admin, and starts the dispatcher. now may be nil (the wall clock).
func newFixture(t *testing.T, timeout time.Duration, now func() time.Time) *fixture {
	t.Helper()
	return newLoggedFixture(t, timeout, now, nil)
}

// newLoggedFixture is newFixture with the desk logging to log.
func newLoggedFixture(t *testing.T, timeout time.Duration, now func() time.Time, log *slog.Logger) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "tandem.db"), clock: now, log: log}
	if now == nil {
		f.clock = time.Now
	}
	f.open(now)
	ws, err := f.st.EnsureWorkspace(t.Context(), model.Workspace{Slug: "acme", Name: "Acme", OfferTimeout: timeout})
	must(t, err)
	f.ws = ws
	admin, err := f.st.EnsureAgent(t.Context(), model.Agent{WorkspaceID: ws.ID, Email: "admin@acme.test", Name: "Admin", Role: model.RoleAdmin, PasswordHash: "x"})
	must(t, err)
	f.admin = desk.Actor{WorkspaceID: ws.ID, Kind: desk.KindAdmin, AgentID: admin.ID}
	f.start()
	return f
}

func (f *fixture) open(now func() time.Time) {
	st, err := store.OpenSQLite(context.Background(), f.path)
	must(f.t, err)
	f.st = st
	lg := f.log
	if lg == nil && os.Getenv("DESK_TEST_LOG") != "" {
		lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f.d = desk.New(desk.Options{Store: st, Bus: bus.NewMemory(), Triage: triageEngine(f.t), Now: now, Logger: lg})
}

// start runs the dispatcher until the test ends or restart stops it.
func (f *fixture) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx) }()
	st := f.st
	stopped := false
	f.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("Run: %v", err)
		}
		st.Close()
	}
	f.t.Cleanup(f.stop)
}

// restart stops the dispatcher and closes the database, then opens both anew.
func (f *fixture) restart(now func() time.Time) {
	f.stop()
	f.open(now)
	f.start()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// agent creates an agent with skills ("lang:xx" for languages) at level 3.
func (f *fixture) agent(name string, capacity int, status model.AgentStatus, skills ...string) desk.Actor {
	f.t.Helper()
	a, err := f.st.EnsureAgent(f.t.Context(), model.Agent{WorkspaceID: f.ws.ID, Email: name + "@acme.test", Name: name, Role: model.RoleAgent, PasswordHash: "x", Capacity: capacity})
	must(f.t, err)
	var sk []model.AgentSkill
	var langs []string
	for _, s := range skills {
		if l, ok := cutLang(s); ok {
			langs = append(langs, l)
		} else {
			sk = append(sk, model.AgentSkill{Name: s, Level: 3})
		}
	}
	if len(skills) > 0 {
		_, err = f.st.UpdateAgent(f.t.Context(), f.ws.ID, a.ID, store.AgentUpdate{Skills: &sk, Languages: &langs}, time.Now())
		must(f.t, err)
	}
	act := desk.Actor{WorkspaceID: f.ws.ID, Kind: desk.KindAgent, AgentID: a.ID}
	if status != model.AgentOffline {
		_, err = f.d.SetStatus(f.t.Context(), act, status)
		must(f.t, err)
	}
	return act
}

func cutLang(s string) (string, bool) {
	if len(s) > 5 && s[:5] == "lang:" {
		return s[5:], true
	}
	return "", false
}

// queue puts a new conversation in the queue, as triage read it.
func (f *fixture) queue(tr model.ConversationTriage, vip bool) *model.Conversation {
	f.t.Helper()
	ctx := f.t.Context()
	f.n++
	tier := "standard"
	if vip {
		tier = "vip"
	}
	cu, err := f.st.UpsertCustomer(ctx, model.Customer{WorkspaceID: f.ws.ID, ExternalID: fmt.Sprint("c", f.n), Tier: tier})
	must(f.t, err)
	now := f.now()
	conv, _, _, err := f.st.CreateConversation(ctx, f.ws.ID, cu.ID, store.NewMessage{ClientID: "m", Body: "hello"}, now)
	must(f.t, err)
	must(f.t, f.st.SetConversationTriage(ctx, f.ws.ID, conv.ID, tr))
	conv, _, err = f.st.QueueConversation(ctx, f.ws.ID, conv.ID, "human_request", now)
	must(f.t, err)
	f.d.Kick(f.ws.ID)
	return conv
}

func (f *fixture) now() time.Time { return f.clock().UTC().Truncate(time.Microsecond) }

// eventually polls cond until it holds, failing after thirty seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 30*time.Second, what, cond)
}

// eventuallyWithin polls cond until it holds, failing after d.
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkInvariants reads the database in one transaction (a consistent
// snapshot) and fails on any broken dispatch invariant.
func checkInvariants(t *testing.T, db *sql.DB) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Error(err)
		return
	}
	defer tx.Rollback()
	checks := []struct{ what, query string }{
		{"a conversation with two pending offers", `SELECT conversation_id FROM offers WHERE status = 'pending' GROUP BY conversation_id HAVING COUNT(*) > 1`},
		{"an agent over capacity (conversations + pending offers)", `SELECT a.id FROM agents a WHERE
			(SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = a.id AND c.status = 'assigned') +
			(SELECT COUNT(*) FROM offers o WHERE o.agent_id = a.id AND o.status = 'pending') > a.capacity`},
		{"a pending offer to an agent who is not available", `SELECT o.id FROM offers o JOIN agents a ON a.id = o.agent_id WHERE o.status = 'pending' AND a.status <> 'available'`},
		{"a pending offer of a conversation not queued", `SELECT o.id FROM offers o JOIN conversations c ON c.id = o.conversation_id WHERE o.status = 'pending' AND c.status <> 'queued'`},
		{"an assigned conversation without exactly one accepted offer by its assignee", `SELECT c.id FROM conversations c WHERE c.status = 'assigned' AND
			(SELECT COUNT(*) FROM offers o WHERE o.conversation_id = c.id AND o.status = 'accepted' AND o.agent_id = c.assignee_id AND o.created_at >= c.queued_at) <> 1`},
		{"an offer to an agent not certified for its workspace", `SELECT o.id FROM offers o WHERE NOT EXISTS
			(SELECT 1 FROM agent_certifications ac WHERE ac.agent_id = o.agent_id AND ac.workspace_id = o.workspace_id)`},
	}
	for _, c := range checks {
		rows, err := tx.Query(c.query)
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Error(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) > 0 {
			t.Errorf("invariant broken: %s: %v", c.what, ids)
		}
	}
}

func (f *fixture) rawDB() *sql.DB {
	db, err := sql.Open("sqlite", "file:"+f.path+"?mode=ro&_pragma=busy_timeout(10000)")
	must(f.t, err)
	f.t.Cleanup(func() { db.Close() })
	return db
}

// TestDispatchUnderConcurrency: agents accept, decline and ignore offers,
// go offline and come back, and resolve their work, all at once, while
// conversations keep arriving and offers expire. At every moment the
// database shows one owner and at most one pending offer per
// conversation, no agent over capacity, offers only to available,
// certified agents; accepting an offer that is gone fails cleanly; and in
// the end every conversation is served exactly once.
func TestDispatchUnderConcurrency(t *testing.T) {
	// Offers run out after a second: long enough to be accepted on an idle
	// machine, short enough that ignored ones expire often.
	f := newFixture(t, time.Second, nil)
	ctx := t.Context()
	// Short cooldowns: a conversation every agent passed on comes round again soon.
	if _, err := f.d.SetRoutingSettings(ctx, f.admin, []byte(`{"cooldown_seconds": 0.2}`)); err != nil {
		t.Fatal(err)
	}
	langs := []string{"en", "sv"}
	var agents []desk.Actor
	for i := range 8 {
		agents = append(agents, f.agent(fmt.Sprint("agent", i), 1+i%3, model.AgentAvailable, "cards", "lang:"+langs[i%2]))
	}
	db := f.rawDB()
	const total = 60
	var convs []*model.Conversation
	for i := range total / 2 {
		convs = append(convs, f.queue(model.ConversationTriage{Intent: "card_arrival", Language: langs[i%2]}, i%7 == 0))
	}

	var unexpected sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			// Like the agent console: react to the workspace's events
			// (and look again now and then), rather than spin.
			sub := f.d.Subscribe(a)
			defer sub.Close()
			for {
				select {
				case <-stop:
					return
				case <-sub.C:
				case <-time.After(20 * time.Millisecond):
				}
				offers, err := f.d.Offers(ctx, a)
				if err != nil {
					unexpected.Store(err.Error(), true)
					return
				}
				for _, o := range offers {
					switch r := rng.IntN(10); {
					case r < 6:
						_, _, err := f.d.AcceptOffer(ctx, a, o.ID)
						if err != nil && !errors.Is(err, store.ErrOfferUnavailable) && !errors.Is(err, store.ErrCapacityFull) {
							unexpected.Store(err.Error(), true)
						}
					case r < 8:
						if _, err := f.d.DeclineOffer(ctx, a, o.ID); err != nil && !errors.Is(err, store.ErrOfferUnavailable) {
							unexpected.Store(err.Error(), true)
						}
					}
					// else: let it expire
				}
				if rng.IntN(20) == 0 {
					_, err1 := f.d.SetStatus(ctx, a, model.AgentOffline)
					_, err2 := f.d.SetStatus(ctx, a, model.AgentAvailable)
					if err := errors.Join(err1, err2); err != nil {
						unexpected.Store(err.Error(), true)
					}
				}
				if rng.IntN(4) == 0 {
					mine, err := f.d.Conversations(ctx, a, desk.ConversationQuery{Status: model.StatusAssigned, AssignedMe: true})
					if err == nil && len(mine) > 0 {
						_, err = f.d.Resolve(ctx, a, mine[rng.IntN(len(mine))].ID)
					}
					if err != nil {
						unexpected.Store(err.Error(), true)
					}
				}
			}
		})
	}
	// More conversations arrive meanwhile; the invariants are checked throughout.
	for i := total / 2; i < total; i++ {
		convs = append(convs, f.queue(model.ConversationTriage{Intent: "card_arrival", Language: langs[i%2], Frustrated: i%5 == 0}, false))
		checkInvariants(t, db)
	}
	// The rush goes on until a third of the conversations are resolved. How
	// soon that is depends on the machine: under the race detector on two
	// busy cores, agents read offers late and let them expire, and are set
	// away for it. A slow machine is no bug: after a minute the rush ends
	// anyway, and the drain below must still serve everyone.
	rushEnd := time.Now().Add(time.Minute)
	for {
		checkInvariants(t, db)
		n, err := countStatus(db, model.StatusResolved)
		must(t, err)
		if n >= total/3 {
			break
		}
		if time.Now().After(rushEnd) {
			t.Logf("%d of %d conversations resolved after a minute of the rush; draining", n, total)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	unexpected.Range(func(k, _ any) bool { t.Errorf("unexpected error: %v", k); return true })

	// Everyone available and eager, no cooldowns, and time enough to accept
	// however slow the machine (nobody set away for being slow): every
	// conversation is served.
	if _, err := f.d.SetRoutingSettings(ctx, f.admin, []byte(`{"cooldown_seconds": 0, "accept_seconds": 60, "expiries_before_away": 0}`)); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		_, err := f.d.SetStatus(ctx, a, model.AgentAvailable)
		must(t, err)
	}
	eventuallyWithin(t, 2*time.Minute, "every conversation served", func() bool {
		for _, a := range agents {
			offers, _ := f.d.Offers(ctx, a)
			for _, o := range offers {
				f.d.AcceptOffer(ctx, a, o.ID)
			}
			mine, _ := f.d.Conversations(ctx, a, desk.ConversationQuery{Status: model.StatusAssigned, AssignedMe: true})
			for _, c := range mine {
				f.d.Resolve(ctx, a, c.ID)
			}
		}
		checkInvariants(t, db)
		n, err := countStatus(db, model.StatusResolved)
		return err == nil && n == total
	})
	// One accepted offer per conversation, and one more per time its agent
	// went offline and handed it back: nobody was served twice at once.
	var twice int
	must(t, db.QueryRow(`SELECT COUNT(*) FROM conversations c WHERE
		(SELECT COUNT(*) FROM offers o WHERE o.conversation_id = c.id AND o.status = 'accepted') <>
		1 + (SELECT COUNT(*) FROM events e WHERE e.conversation_id = c.id AND e.type = ?)`, model.EventConversationTransferred).Scan(&twice))
	if twice != 0 {
		t.Errorf("%d conversations were accepted more or less than once per time in the queue", twice)
	}
	// Declines and expiries are counted per agent.
	list, err := f.d.Agents(ctx, f.admin)
	must(t, err)
	answered := 0
	for _, a := range list {
		if s := a.OfferStats; s != nil {
			answered += s.Declined + s.Expired
			if s.Accepted+s.Declined+s.Expired > s.Received {
				t.Errorf("agent %d answered more offers than received: %+v", a.ID, s)
			}
		}
	}
	if answered == 0 {
		t.Error("no declined or expired offers were counted")
	}
	_ = convs
}

func countStatus(db *sql.DB, status model.ConversationStatus) (int, error) {
	var n int
	err := db.QueryRow(`SELECT COUNT(*) FROM conversations WHERE status = ?`, status).Scan(&n)
	return n, err
}

// TestRestartLosesNothing: the server stops with offers pending and
// restarts after their deadline; the queue is intact, the stale offers
// expire and their conversations are offered again, and accepting a stale
// offer fails cleanly.
func TestRestartLosesNothing(t *testing.T) {
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	ann := f.agent("ann", 1, model.AgentAvailable)
	bob := f.agent("bob", 1, model.AgentAvailable)
	c1 := f.queue(model.ConversationTriage{Language: "en"}, false)
	c2 := f.queue(model.ConversationTriage{Language: "en"}, false)
	offered := func(a desk.Actor, not int64) *model.Offer {
		var got *model.Offer
		eventually(t, "an offer", func() bool {
			list, err := f.d.Offers(ctx, a)
			must(t, err)
			if len(list) == 1 && list[0].ID != not {
				got = list[0]
			}
			return got != nil
		})
		return got
	}
	first := map[int64]int64{} // conversation → agent
	oa, ob := offered(ann, 0), offered(bob, 0)
	first[oa.ConversationID], first[ob.ConversationID] = ann.AgentID, bob.AgentID

	c.advance(time.Minute) // down for a minute: the deadlines pass
	f.restart(c.now)
	queued, err := f.d.Conversations(ctx, f.admin, desk.ConversationQuery{Status: model.StatusQueued})
	must(t, err)
	if len(queued) != 2 {
		t.Fatalf("%d conversations queued after the restart, want 2", len(queued))
	}
	// Each conversation goes to the other agent: who let it expire waits out a cooldown.
	na, nb := offered(ann, oa.ID), offered(bob, ob.ID)
	if na.ID == oa.ID || nb.ID == ob.ID || first[na.ConversationID] == ann.AgentID || first[nb.ConversationID] == bob.AgentID {
		t.Errorf("after the restart: ann has %+v, bob has %+v; before: ann %+v, bob %+v", na, nb, oa, ob)
	}
	if _, _, err := f.d.AcceptOffer(ctx, ann, oa.ID); !errors.Is(err, store.ErrOfferUnavailable) {
		t.Errorf("accepting the expired offer: %v, want ErrOfferUnavailable", err)
	}
	for _, id := range []int64{c1.ID, c2.ID} {
		conv, err := f.d.Conversation(ctx, f.admin, id)
		must(t, err)
		if conv.Status != model.StatusQueued || conv.Queue == nil || conv.Queue.AgentsOnline != 2 {
			t.Errorf("conversation %d after the restart: %+v", id, conv)
		}
	}
}

// events returns the types of a conversation's events, in order.
func (f *fixture) events(convID int64) []model.Event {
	f.t.Helper()
	all, err := f.st.EventsAfter(f.t.Context(), f.ws.ID, 0, store.EventAudience{}, 1000)
	must(f.t, err)
	var out []model.Event
	for _, e := range all {
		if e.ConversationID != nil && *e.ConversationID == convID {
			out = append(out, e)
		}
	}
	return out
}

// TestRingsWidenOnTheRecord: a fraud report in English while the fraud
// specialist is busy: nobody is offered it until the rings widen to "any
// agent of the language"; each widening is an event of the conversation,
// and the offer says in which ring it was made.
func TestRingsWidenOnTheRecord(t *testing.T) {
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	fiona := f.agent("fiona", 1, model.AgentAvailable, "fraud", "lang:en") // the specialist, busy with another customer
	first := f.queue(model.ConversationTriage{Language: "en"}, false)
	eventually(t, "fiona's first conversation", func() bool {
		list, err := f.d.Offers(ctx, fiona)
		must(t, err)
		if len(list) == 1 && list[0].ConversationID == first.ID {
			_, _, err = f.d.AcceptOffer(ctx, fiona, list[0].ID)
			return err == nil
		}
		return false
	})
	gus := f.agent("gus", 2, model.AgentAvailable, "cards", "lang:en")
	f.agent("sven", 2, model.AgentAvailable, "cards", "lang:sv")
	conv := f.queue(model.ConversationTriage{Intent: "card_payment_not_recognised", Sensitive: "fraud", Language: "en"}, false)

	pending := func() []*model.Offer {
		list, err := f.d.Offers(ctx, gus)
		must(t, err)
		return list
	}
	waitRing := func(ring int) {
		t.Helper()
		eventually(t, fmt.Sprintf("ring %d on record", ring), func() bool {
			for _, e := range f.events(conv.ID) {
				var w struct{ Ring int }
				if e.Type == model.EventConversationRingWidened && json.Unmarshal(e.Data, &w) == nil && w.Ring == ring {
					return true
				}
			}
			return false
		})
	}
	// Ring 0 needs fraud and English: nobody available has both.
	q, err := f.d.Conversation(ctx, f.admin, conv.ID)
	must(t, err)
	if q.Queue == nil || q.Queue.AgentsOnline == 0 {
		t.Fatalf("queue info %+v: agents who can take it in the widest ring are online", q.Queue)
	}
	c.advance(31 * time.Second)
	f.d.Kick(f.ws.ID)
	waitRing(1) // fraud in English still: nobody
	if len(pending()) != 0 {
		t.Fatal("offered before the rings allowed it")
	}
	c.advance(30 * time.Second)
	f.d.Kick(f.ws.ID)
	waitRing(2) // any agent of the language
	eventually(t, "the offer to gus", func() bool { return len(pending()) == 1 })
	o := pending()[0]
	if o.ConversationID != conv.ID || o.Ring != 2 {
		t.Errorf("offer %+v, want conversation %d in ring 2", o, conv.ID)
	}
	var types []string
	for _, e := range f.events(conv.ID) {
		if e.Type != model.EventConversationQueueUpdated && e.Type != model.EventMessageCreated {
			types = append(types, e.Type)
		}
	}
	want := []string{model.EventConversationCreated, model.EventConversationQueued, model.EventConversationRingWidened, model.EventConversationRingWidened, model.EventOfferCreated}
	if !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
}

// slowWidenings is a log handler that moves the clock on by step whenever
// the dispatcher records a widening: as if writing it took the database
// that long.
type slowWidenings struct {
	c    *clock
	step time.Duration
}

func (h slowWidenings) Enabled(context.Context, slog.Level) bool { return true }
func (h slowWidenings) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h slowWidenings) WithGroup(string) slog.Handler            { return h }
func (h slowWidenings) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "required skills widened" {
		h.c.advance(h.step)
	}
	return nil
}

// TestOfferDeadlineCountsFromItsMaking: an agent's time to accept counts
// from when the offer is made, however long the dispatch pass took to get
// there. Here the pass that widens a conversation's rings and then offers
// it spends longer than the accept deadline on the widening; the offer it
// makes must still be open, not born expired and counted against the agent.
func TestOfferDeadlineCountsFromItsMaking(t *testing.T) {
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newLoggedFixture(t, 30*time.Second, c.now, slog.New(slowWidenings{c: c, step: 45 * time.Second}))
	ctx := t.Context()
	// With the fraud specialist on staff (offline), fraud stays required
	// until ring 2: nobody is offered the conversation before the clock moves.
	f.agent("fiona", 2, model.AgentOffline, "fraud", "lang:en")
	gus := f.agent("gus", 1, model.AgentAvailable, "cards", "lang:en")
	conv := f.queue(model.ConversationTriage{Intent: "card_payment_not_recognised", Sensitive: "fraud", Language: "en"}, false)
	c.advance(61 * time.Second) // ring 2: any agent of the language, so gus
	f.d.Kick(f.ws.ID)
	db := f.rawDB()
	var id, expires int64
	eventually(t, "an offer of the conversation", func() bool {
		err := db.QueryRow(`SELECT id, expires_at FROM offers WHERE conversation_id = ?`, conv.ID).Scan(&id, &expires)
		return err == nil
	})
	if now := c.now(); !now.Before(time.UnixMicro(expires)) {
		t.Errorf("offer %d was made expired: it runs out at %v, the clock is at %v", id, time.UnixMicro(expires).UTC(), now)
	}
	if _, _, err := f.d.AcceptOffer(ctx, gus, id); err != nil {
		t.Errorf("accepting the offer at once: %v", err)
	}
}

// TestAgentSetAwayAfterMissedOffers: an agent who lets two offers in a
// row run out (the workspace's setting) is set away, with the reason, and
// the conversations stay queued.
func TestAgentSetAwayAfterMissedOffers(t *testing.T) {
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	if _, err := f.d.SetRoutingSettings(ctx, f.admin, []byte(`{"expiries_before_away": 2, "accept_seconds": 10}`)); err != nil {
		t.Fatal(err)
	}
	dan := f.agent("dan", 1, model.AgentAvailable)
	// Dan is the only one online: the conversation he let run out comes
	// straight back to him (no cooldown keeps a customer waiting for nobody).
	conv := f.queue(model.ConversationTriage{Language: "en"}, false)
	last := int64(0)
	for i := range 2 {
		eventually(t, "a new offer to dan", func() bool {
			list, err := f.d.Offers(ctx, dan)
			must(t, err)
			if len(list) == 1 && list[0].ConversationID == conv.ID && list[0].ID != last {
				last = list[0].ID
				return true
			}
			return false
		})
		me, err := f.d.Me(ctx, dan)
		must(t, err)
		if me.Status != model.AgentAvailable {
			t.Fatalf("after %d missed offers dan is %s", i, me.Status)
		}
		c.advance(11 * time.Second) // the offer runs out
		f.d.Kick(f.ws.ID)
	}
	var me *model.Agent
	eventually(t, "dan set away", func() bool {
		var err error
		me, err = f.d.Me(ctx, dan)
		must(t, err)
		return me.Status == model.AgentAway
	})
	if me.StatusReason == "" {
		t.Error("dan was set away without a reason")
	}
	if list, _ := f.d.Offers(ctx, dan); len(list) != 0 {
		t.Errorf("dan, away, still holds offers %+v", list)
	}
	queued, err := f.d.Conversations(ctx, f.admin, desk.ConversationQuery{Status: model.StatusQueued})
	must(t, err)
	if len(queued) != 1 {
		t.Errorf("%d conversations queued, want the one dan let go", len(queued))
	}
	// Coming back is the agent's choice; the count starts again.
	back, err := f.d.SetStatus(ctx, dan, model.AgentAvailable)
	must(t, err)
	if back.StatusReason != "" {
		t.Errorf("status reason %q kept after dan came back", back.StatusReason)
	}
}

// TestNobodyOnlineFollowUp: with nobody online who can help, the customer
// is told so, may leave an email, and is served when someone comes online.
func TestNobodyOnlineFollowUp(t *testing.T) {
	// A clock that stands still: the offer cannot run out before it is seen.
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	eva := f.agent("eva", 2, model.AgentOffline, "cards", "lang:en")
	conv := f.queue(model.ConversationTriage{Intent: "card_arrival", Language: "en"}, false)
	cust := desk.Actor{WorkspaceID: f.ws.ID, Kind: desk.KindCustomer, CustomerID: conv.CustomerID}
	got, err := f.d.Conversation(ctx, cust, conv.ID)
	must(t, err)
	if got.Queue == nil || got.Queue.AgentsOnline != 0 || got.Queue.Position != 1 {
		t.Fatalf("queue info with nobody online: %+v", got.Queue)
	}
	// The customer's stream says where they stand, once the dispatcher has
	// looked. (Waited for here, while nobody is online: when eva comes
	// online, the pass that offers her the conversation may be the first to
	// look, and it makes the offer before it tells the queue.)
	from := int64(0)
	stream, err := f.d.Follow(ctx, cust, &from)
	must(t, err)
	defer stream.Close()
	var evs []model.Event
	eventually(t, "a conversation.queue_updated on the customer's stream", func() bool {
		more, err := stream.Next(ctx)
		must(t, err)
		evs = append(evs, more...)
		for _, e := range evs {
			if e.Type == model.EventConversationQueueUpdated {
				return true
			}
		}
		return false
	})
	for _, bad := range []string{"", "nobody", "a@b", "x@example.com, y@example.com", "Name <x@example.com>"} {
		if _, err := f.d.FollowUp(ctx, cust, conv.ID, bad); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("follow-up email %q: %v, want invalid", bad, err)
		}
	}
	got, err = f.d.FollowUp(ctx, cust, conv.ID, "carla@example.com")
	must(t, err)
	if got.FollowUpEmail != "carla@example.com" || got.Status != model.StatusQueued {
		t.Errorf("after the follow-up: %+v", got)
	}
	msgs, err := f.d.Messages(ctx, cust, conv.ID, 0, 0)
	must(t, err)
	if last := msgs[len(msgs)-1]; last.AuthorKind != model.AuthorSystem || !strings.Contains(last.Body, "carla@example.com") {
		t.Errorf("the customer is not told: %+v", last)
	}
	// Asking again changes nothing.
	if _, err := f.d.FollowUp(ctx, cust, conv.ID, "carla@example.com"); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.d.Messages(ctx, cust, conv.ID, 0, 0); len(again) != len(msgs) {
		t.Errorf("a repeated follow-up added %d messages", len(again)-len(msgs))
	}
	// Someone comes online: the conversation is offered at once.
	_, err = f.d.SetStatus(ctx, eva, model.AgentAvailable)
	must(t, err)
	eventually(t, "the offer to eva", func() bool {
		list, err := f.d.Offers(ctx, eva)
		must(t, err)
		return len(list) == 1 && list[0].ConversationID == conv.ID
	})
}

// TestQueuePriorityAndPositions: the queue staff see is in priority
// order — a VIP ahead of those who have not waited much longer — and each
// customer's position follows it.
func TestQueuePriorityAndPositions(t *testing.T) {
	// A clock that stands still: on the wall clock a slow machine could let
	// the first conversation wait long enough to earn its way up.
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	plain := f.queue(model.ConversationTriage{Language: "en"}, false)
	vip := f.queue(model.ConversationTriage{Language: "en"}, true)
	angry := f.queue(model.ConversationTriage{Language: "en", Frustrated: true}, false)
	list, err := f.d.Queue(ctx, f.admin)
	must(t, err)
	var order []int64
	for _, r := range list {
		order = append(order, r.ConversationID)
	}
	if want := []int64{vip.ID, angry.ID, plain.ID}; !slices.Equal(order, want) {
		t.Fatalf("queue order %v, want %v (VIP, frustrated, then the rest)", order, want)
	}
	for i, id := range order {
		conv, err := f.d.Conversation(ctx, f.admin, id)
		must(t, err)
		if conv.Queue == nil || conv.Queue.Position != i+1 {
			t.Errorf("conversation %d: queue %+v, want position %d", id, conv.Queue, i+1)
		}
	}
	if _, err := f.d.SetRoutingSettings(ctx, f.admin, []byte(`{"rings": []}`)); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("empty rings accepted: %v", err)
	}
	if _, err := f.d.UpdateAgent(ctx, f.admin, f.admin.AgentID, desk.AgentProfile{CertifiedFor: &[]string{"nope"}}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("certification for an unknown workspace: %v", err)
	}
}

// TestDispatchPassesCountsThePasses: the counters that show a node's
// dispatcher has caught up advance with the passes, and
// never show more than one pass under way.
func TestDispatchPassesCountsThePasses(t *testing.T) {
	f := newFixture(t, time.Minute, nil)
	f.agent("ana", 1, model.AgentAvailable, "cards", "lang:en")
	read := func() dispatch.Passes {
		t.Helper()
		p, err := f.d.DispatchPasses(f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if p.Finished > p.Started || p.Started-p.Finished > 1 {
			t.Fatalf("passes %+v: more than one under way, or more finished than started", p)
		}
		return p
	}
	before := read()
	f.queue(model.ConversationTriage{Intent: "card_arrival", Language: "en"}, false)
	eventually(t, "a pass begun after the kick to finish", func() bool { return read().Finished > before.Started })
}
