package stream_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/stream"
)

// waitTimeout bounds every wait for a follower's events.
const waitTimeout = 5 * time.Second

var t0 = time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

// fixture is a real SQLite store and in-process bus, a workspace and a hub.
type fixture struct {
	t   *testing.T
	st  *store.Store
	bus *bus.Memory
	ws  *model.Workspace
	hub *stream.Hub
	n   int // events written, for distinct times and bodies
}

func topic(ws int64) string { return fmt.Sprintf("workspace.%d.events", ws) }

func newFixture(t *testing.T, o stream.Options) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "tandem.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme", OfferTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b := bus.NewMemory()
	t.Cleanup(func() { b.Close() })
	o.Store, o.Bus, o.Topic = st, b, topic
	return &fixture{t: t, st: st, bus: b, ws: ws, hub: stream.New(o)}
}

func (f *fixture) now() time.Time {
	f.n++
	return t0.Add(time.Duration(f.n) * time.Second)
}

func (f *fixture) customer(name string) *model.Customer {
	f.t.Helper()
	c, err := f.st.UpsertCustomer(f.t.Context(), model.Customer{WorkspaceID: f.ws.ID, ExternalID: name, Name: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// open starts a conversation of c (two events: created, message) and
// signals the workspace, as the desk does after a change.
func (f *fixture) open(c *model.Customer) *model.Conversation {
	f.t.Helper()
	conv, _, _, err := f.st.CreateConversation(f.t.Context(), f.ws.ID, c.ID, store.NewMessage{Body: "hello"}, f.now())
	if err != nil {
		f.t.Fatal(err)
	}
	f.bus.Publish(topic(f.ws.ID))
	return conv
}

// say adds a customer message (one event) and signals the workspace.
func (f *fixture) say(c *model.Customer, conv *model.Conversation) {
	f.t.Helper()
	id := c.ID
	_, _, _, err := f.st.AddMessage(f.t.Context(), store.NewMessage{WorkspaceID: f.ws.ID, ConversationID: conv.ID,
		AuthorKind: model.AuthorCustomer, AuthorID: &id, Body: fmt.Sprint("message ", f.n)}, f.now())
	if err != nil {
		f.t.Fatal(err)
	}
	f.bus.Publish(topic(f.ws.ID))
}

// log is every event of the workspace that aud sees after seq, from the store.
func (f *fixture) log(aud store.EventAudience, after int64) []int64 {
	f.t.Helper()
	evs, err := f.st.EventsAfter(f.t.Context(), f.ws.ID, after, aud, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	return seqs(evs)
}

func (f *fixture) head() int64 {
	f.t.Helper()
	h, err := f.st.HeadSeq(f.t.Context(), f.ws.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *fixture) follow(aud store.EventAudience, after *int64) *stream.Follower {
	f.t.Helper()
	fl, err := f.hub.Follow(f.t.Context(), f.ws.ID, aud, after)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(fl.Close)
	return fl
}

func seqs(evs []model.Event) []int64 {
	var out []int64
	for _, ev := range evs {
		out = append(out, ev.Seq)
	}
	return out
}

// until reads fl until it has handed out the event with seq last, and
// returns every seq it handed out on the way.
func until(t *testing.T, fl *stream.Follower, last int64) []int64 {
	t.Helper()
	var got []int64
	deadline := time.After(waitTimeout)
	for !slices.Contains(got, last) {
		select {
		case <-fl.C:
		case <-deadline:
			t.Fatalf("waited %v for seq %d; got %v", waitTimeout, last, got)
		}
		evs, err := fl.Next(t.Context())
		if err != nil {
			t.Fatalf("next: %v (got %v)", err, got)
		}
		got = append(got, seqs(evs)...)
	}
	return got
}

func TestFollowersGetExactlyWhatTheyMaySee(t *testing.T) {
	f := newFixture(t, stream.Options{})
	ana, ben := f.customer("ana"), f.customer("ben")
	admin := f.follow(store.EventAudience{}, nil)
	anas := f.follow(store.EventAudience{CustomerID: ana.ID}, nil)
	if admin.Start() != 0 || anas.Start() != 0 {
		t.Fatalf("followers of an empty log start at %d and %d, want 0", admin.Start(), anas.Start())
	}
	convA := f.open(ana)
	convB := f.open(ben)
	f.say(ana, convA)
	f.say(ben, convB)
	f.say(ana, convA)
	head := f.head()

	if got, want := until(t, admin, head), f.log(store.EventAudience{}, 0); !slices.Equal(got, want) {
		t.Errorf("admin got %v, want every event %v", got, want)
	}
	want := f.log(store.EventAudience{CustomerID: ana.ID}, 0)
	if got := until(t, anas, want[len(want)-1]); !slices.Equal(got, want) {
		t.Errorf("ana got %v, want her own %v", got, want)
	}
	// Ben's events never reach her: after one more of hers, she has just it.
	f.say(ana, convA)
	if got := until(t, anas, f.head()); !slices.Equal(got, []int64{f.head()}) {
		t.Errorf("ana then got %v, want only %d", got, f.head())
	}
}

// TestOneReadPerEventWhateverTheStreams: with many customers following,
// a new event costs the store one read, not one per stream.
func TestOneReadPerEventWhateverTheStreams(t *testing.T) {
	f := newFixture(t, stream.Options{})
	const n = 300
	var followers []*stream.Follower
	var last *model.Customer
	for i := range n {
		last = f.customer(fmt.Sprint("visitor", i))
		followers = append(followers, f.follow(store.EventAudience{CustomerID: last.ID}, nil))
	}
	admin := f.follow(store.EventAudience{}, nil)
	before := f.st.EventReads()
	f.open(last) // two events in one commit, one signal
	until(t, followers[n-1], f.head())
	until(t, admin, f.head())
	if reads := f.st.EventReads() - before; reads != 1 {
		t.Errorf("one new event with %d streams open cost %d reads of the log, want 1", n+1, reads)
	}
	for _, fl := range followers[:n-1] {
		if evs, err := fl.Next(t.Context()); err != nil || len(evs) != 0 {
			t.Fatalf("another visitor's stream got %v, %v", seqs(evs), err)
		}
	}
}

// TestResumeNoGapNoDuplicate resumes from every cursor of the log: from
// the feed's memory (History large enough), from the store (History 2),
// and ahead of the feed (a cursor from another node that read further).
func TestResumeNoGapNoDuplicate(t *testing.T) {
	for _, history := range []int{1024, 2} {
		t.Run(fmt.Sprint("history ", history), func(t *testing.T) {
			f := newFixture(t, stream.Options{History: history})
			ana, ben := f.customer("ana"), f.customer("ben")
			keep := f.follow(store.EventAudience{}, nil) // keeps the feed, and its memory, alive
			convA, convB := f.open(ana), f.open(ben)
			for range 3 {
				f.say(ana, convA)
				f.say(ben, convB)
			}
			head := f.head()
			until(t, keep, head)
			for _, aud := range []store.EventAudience{{}, {CustomerID: ana.ID}, {CustomerID: ben.ID}} {
				for after := int64(0); after <= head; after++ {
					want := f.log(aud, after)
					reads := stream.ResumeReads(f.hub)
					fl := f.follow(aud, &after)
					if fl.Start() != after {
						t.Fatalf("resumed after %d, starts after %d", after, fl.Start())
					}
					var got []int64
					if len(want) > 0 {
						got = until(t, fl, want[len(want)-1])
					}
					if n := stream.ResumeReads(f.hub) - reads; history > 100 && n != 0 {
						t.Errorf("resuming after %d, within the feed's memory, read the store %d times", after, n)
					}
					// Then live: one more event each sees, and nothing else.
					f.say(ana, convA)
					f.say(ben, convB)
					live := f.log(aud, f.head()-2)
					got = append(got, until(t, fl, live[len(live)-1])...)
					if want = append(want, live...); !slices.Equal(got, want) {
						t.Fatalf("%+v after %d: got %v, want %v", aud, after, got, want)
					}
					fl.Close()
				}
			}
			if history < 100 && stream.ResumeReads(f.hub) == 0 {
				t.Error("resuming from further back than the feed's memory never read the store")
			}
		})
	}
	t.Run("ahead of the feed", func(t *testing.T) {
		f := newFixture(t, stream.Options{})
		ana := f.customer("ana")
		conv := f.open(ana)
		f.say(ana, conv)
		// Another node has handed seq head out already; this one's feed
		// starts at head too, so the next event is the first for it.
		ahead := f.head() + 1
		fl := f.follow(store.EventAudience{CustomerID: ana.ID}, &ahead)
		f.say(ana, conv) // seq head+1: the client has it
		f.say(ana, conv)
		if got := until(t, fl, f.head()); !slices.Equal(got, []int64{f.head()}) {
			t.Errorf("resumed ahead at %d: got %v, want only %d", ahead, got, f.head())
		}
	})
}

// TestSlowFollowerIsCutOffResumably: a follower that does not read is
// told ErrBehind once its buffer is full, while the others get everything;
// resumed from what it had, it gets the rest exactly.
func TestSlowFollowerIsCutOffResumably(t *testing.T) {
	f := newFixture(t, stream.Options{Buffer: 3})
	ana := f.customer("ana")
	slow := f.follow(store.EventAudience{CustomerID: ana.ID}, nil)
	fast := f.follow(store.EventAudience{CustomerID: ana.ID}, nil)
	conv := f.open(ana)
	first := until(t, slow, f.head())
	until(t, fast, f.head())
	var got []int64
	for range 5 {
		f.say(ana, conv)
		got = append(got, until(t, fast, f.head())...)
	}
	if !slices.Equal(got, f.log(store.EventAudience{CustomerID: ana.ID}, first[len(first)-1])) {
		t.Errorf("the fast follower got %v", got)
	}
	select {
	case <-slow.C:
	case <-time.After(waitTimeout):
		t.Fatal("the slow follower was never woken")
	}
	if evs, err := slow.Next(t.Context()); !errors.Is(err, stream.ErrBehind) {
		t.Fatalf("the slow follower got %v, %v; want ErrBehind", seqs(evs), err)
	}
	slow.Close()
	after := first[len(first)-1]
	again := f.follow(store.EventAudience{CustomerID: ana.ID}, &after)
	if resumed := until(t, again, f.head()); !slices.Equal(resumed, got) {
		t.Errorf("resumed after %d: %v, want %v", after, resumed, got)
	}
}

// TestAgentSeesTheConversationsHeldNow: an agent's follower gets the
// events of the conversations assigned to them when the event is read,
// and their own offers; not another's.
func TestAgentSeesTheConversationsHeldNow(t *testing.T) {
	f := newFixture(t, stream.Options{})
	ctx := t.Context()
	ann, err := f.st.EnsureAgent(ctx, model.Agent{WorkspaceID: f.ws.ID, Email: "ann@acme.test", Name: "Ann", Role: model.RoleAgent,
		PasswordHash: "x", Capacity: 3, Status: model.AgentAvailable})
	if err != nil {
		t.Fatal(err)
	}
	anns := f.follow(store.EventAudience{AgentID: ann.ID}, nil)
	ana, ben := f.customer("ana"), f.customer("ben")
	convA, convB := f.open(ana), f.open(ben)
	if _, _, err := f.st.QueueConversation(ctx, f.ws.ID, convA.ID, "asked for a person", f.now()); err != nil {
		t.Fatal(err)
	}
	o, err := f.st.CreateTimedOffer(ctx, f.ws.ID, convA.ID, ann.ID, 0, time.Minute, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.AcceptOffer(ctx, f.ws.ID, o.ID, ann.ID, f.now()); err != nil {
		t.Fatal(err)
	}
	f.bus.Publish(topic(f.ws.ID))
	f.say(ben, convB)
	f.say(ana, convA)
	// Which of the conversation's earlier events she gets depends on
	// whether the feed read them before or after she accepted; every
	// event she gets must be one the store's rule shows her now, and the
	// offer and everything after it must be there.
	want := f.log(store.EventAudience{AgentID: ann.ID}, 0)
	got := until(t, anns, f.head())
	if len(got) == 0 || got[len(got)-1] != f.head() {
		t.Fatalf("ann got %v, want up to the customer's last message %d", got, f.head())
	}
	for _, s := range got {
		if !slices.Contains(want, s) {
			t.Errorf("ann got event %d, which the store's rule does not show her (%v)", s, want)
		}
	}
	all, err := f.st.EventsAfter(ctx, f.ws.ID, 0, store.EventAudience{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	offered := int64(-1)
	for _, ev := range all {
		if ev.Type == model.EventOfferCreated {
			offered = ev.Seq
		}
	}
	for _, s := range want {
		if s >= offered && !slices.Contains(got, s) {
			t.Errorf("ann missed event %d (she got %v of %v)", s, got, want)
		}
	}
}
