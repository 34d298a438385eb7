package desk_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/bus/bustest"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// typingScene is two desks ("nodes") on one database and one bus cluster:
// a customer's conversation held by Ana, a colleague Ben, and an admin.
type typingScene struct {
	a, b                  *desk.Desk
	clock                 *clock
	ws                    int64
	conv                  int64
	cust, ana, ben, admin desk.Actor
}

func newTypingScene(t *testing.T, busA, busB bus.Bus) *typingScene {
	t.Helper()
	ctx := t.Context()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "tandem.db"))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme", OfferTimeout: time.Minute})
	must(t, err)
	now := time.Now().UTC().Truncate(time.Microsecond)
	staff := func(name string, role model.Role) int64 {
		a, err := st.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: strings.ToLower(name) + "@acme.test", Name: name, Role: role, PasswordHash: "x", Capacity: 2})
		must(t, err)
		return a.ID
	}
	ana, ben, admin := staff("Ana", model.RoleAgent), staff("Ben", model.RoleAgent), staff("Admin", model.RoleAdmin)
	cu, err := st.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws.ID, ExternalID: "c1", Name: "Carla"})
	must(t, err)
	conv, _, _, err := st.CreateConversation(ctx, ws.ID, cu.ID, store.NewMessage{ClientID: "m", Body: "hello"}, now)
	must(t, err)
	_, _, err = st.QueueConversation(ctx, ws.ID, conv.ID, "human_request", now)
	must(t, err)
	_, _, err = st.SetAgentStatus(ctx, ws.ID, ana, model.AgentAvailable, now)
	must(t, err)
	o, err := st.CreateTimedOffer(ctx, ws.ID, conv.ID, ana, 0, time.Minute, func() time.Time { return now })
	must(t, err)
	_, _, err = st.AcceptOffer(ctx, ws.ID, o.ID, ana, now)
	must(t, err)

	s := &typingScene{clock: &clock{t: now}, ws: ws.ID, conv: conv.ID,
		cust:  desk.Actor{WorkspaceID: ws.ID, Kind: desk.KindCustomer, CustomerID: cu.ID},
		ana:   desk.Actor{WorkspaceID: ws.ID, Kind: desk.KindAgent, AgentID: ana},
		ben:   desk.Actor{WorkspaceID: ws.ID, Kind: desk.KindAgent, AgentID: ben},
		admin: desk.Actor{WorkspaceID: ws.ID, Kind: desk.KindAdmin, AgentID: admin},
	}
	// The desks' clock moves only when the test says: a writer's notices
	// closer than a second apart are dropped.
	s.a = desk.New(desk.Options{Store: st, Bus: busA, Triage: triageEngine(t), Now: s.clock.now})
	s.b = desk.New(desk.Options{Store: st, Bus: busB, Triage: triageEngine(t), Now: s.clock.now})
	return s
}

// typeIn has the actor write on desk d, a notice not dropped as too soon.
func (s *typingScene) typeIn(t *testing.T, d *desk.Desk, a desk.Actor) {
	t.Helper()
	s.clock.advance(2 * time.Second)
	must(t, d.Typing(t.Context(), a, s.conv))
}

// noticesWithin collects what the feed gets within d.
func noticesWithin(f *desk.TypingFeed, d time.Duration) []desk.TypingNotice {
	var out []desk.TypingNotice
	deadline := time.After(d)
	for {
		select {
		case <-f.C:
			out = append(out, f.Next()...)
		case <-deadline:
			return out
		}
	}
}

// reaches has the actor write on desk d until feed f hears it (a new
// listener takes a moment to reach a networked bus), then empties feeds.
func (s *typingScene) reaches(t *testing.T, d *desk.Desk, a desk.Actor, f *desk.TypingFeed, feeds ...*desk.TypingFeed) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.typeIn(t, d, a)
		if len(noticesWithin(f, 100*time.Millisecond)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a typing notice never reached the other desk")
		}
	}
	for _, f := range feeds {
		noticesWithin(f, 100*time.Millisecond)
	}
}

// TestTypingAcrossNodes: a notice written on one desk reaches the followers
// on every desk that may see it, exactly once each, the sending desk's own
// included; the visibility rules hold on the receiving desk.
func TestTypingAcrossNodes(t *testing.T) {
	buses := map[string]func(t *testing.T) (bus.Bus, bus.Bus){
		"memory": func(t *testing.T) (bus.Bus, bus.Bus) { m := bus.NewMemory(); return m, m },
		"nats": func(t *testing.T) (bus.Bus, bus.Bus) {
			url, why := bustest.NATSURL()
			if why != "" {
				t.Skipf("nats: skipped: %s", why)
			}
			return bustest.NATSPair(t, url)
		},
	}
	for name, newBuses := range buses {
		t.Run(name, func(t *testing.T) {
			busA, busB := newBuses(t)
			s := newTypingScene(t, busA, busB)
			// The customer and the admin follow on A, Ana and Ben on B.
			cust, admin := s.a.FollowTyping(s.cust), s.a.FollowTyping(s.admin)
			ana, ben := s.b.FollowTyping(s.ana), s.b.FollowTyping(s.ben)
			all := []*desk.TypingFeed{cust, admin, ana, ben}
			for _, f := range all {
				defer f.Close()
			}
			s.reaches(t, s.b, s.ana, cust, all...)
			s.reaches(t, s.a, s.cust, ana, all...)

			check := func(what string, got []desk.TypingNotice, want desk.TypingNotice) {
				t.Helper()
				if len(got) != 1 {
					t.Fatalf("%s: %d notices %+v, want exactly one", what, len(got), got)
				}
				g := got[0]
				if g.ConversationID != s.conv || g.AuthorKind != want.AuthorKind || g.AuthorID != want.AuthorID || g.Name != want.Name ||
					g.CustomerID != s.cust.CustomerID || g.AssigneeID != s.ana.AgentID || !g.At.Equal(s.clock.now()) {
					t.Errorf("%s: %+v, want %+v", what, g, want)
				}
			}
			const quiet = 300 * time.Millisecond // long enough for a duplicate to show

			// Ana writes on B.
			s.typeIn(t, s.b, s.ana)
			fromAna := desk.TypingNotice{AuthorKind: model.AuthorAgent, AuthorID: s.ana.AgentID, Name: "Ana"}
			check("the customer on A", noticesWithin(cust, quiet), fromAna)
			check("the admin on A", noticesWithin(admin, quiet), fromAna)
			if got := noticesWithin(ana, quiet); len(got) != 0 {
				t.Errorf("Ana heard herself: %+v", got)
			}
			if got := noticesWithin(ben, quiet); len(got) != 0 {
				t.Errorf("Ben, who does not hold the conversation, heard Ana: %+v", got)
			}

			// The customer writes on A.
			s.typeIn(t, s.a, s.cust)
			fromCust := desk.TypingNotice{AuthorKind: model.AuthorCustomer, AuthorID: s.cust.CustomerID, Name: "Carla"}
			check("Ana on B", noticesWithin(ana, quiet), fromCust)
			check("the admin on A, the sending desk", noticesWithin(admin, quiet), fromCust)
			if got := noticesWithin(cust, quiet); len(got) != 0 {
				t.Errorf("the customer heard herself: %+v", got)
			}
			if got := noticesWithin(ben, quiet); len(got) != 0 {
				t.Errorf("Ben heard the customer: %+v", got)
			}

			// Ben writes on B (an internal note, say): Ana, who holds it,
			// and the admin hear him; the customer does, as staff.
			s.typeIn(t, s.b, s.ben)
			fromBen := desk.TypingNotice{AuthorKind: model.AuthorAgent, AuthorID: s.ben.AgentID, Name: "Ben"}
			check("Ana on B, of Ben", noticesWithin(ana, quiet), fromBen)
			check("the customer on A, of Ben", noticesWithin(cust, quiet), fromBen)
			check("the admin on A, of Ben", noticesWithin(admin, quiet), fromBen)
		})
	}
}

// TestTypingIgnoresMalformedNotices: what arrives on a typing topic and
// does not make sense is dropped, not shown.
func TestTypingIgnoresMalformedNotices(t *testing.T) {
	b := bus.NewMemory()
	s := newTypingScene(t, b, b)
	admin := s.a.FollowTyping(s.admin)
	defer admin.Close()
	topic := desk.TypingTopic(s.ws)
	// valid is a good payload with the edits ("field=json", "field=" to
	// leave it out) made.
	valid := func(edits ...string) string {
		fields := map[string]string{
			"workspace_id": fmt.Sprint(s.ws), "conversation_id": fmt.Sprint(s.conv), "customer_id": fmt.Sprint(s.cust.CustomerID),
			"assignee_id": fmt.Sprint(s.ana.AgentID), "author_kind": `"agent"`, "author_id": fmt.Sprint(s.ben.AgentID),
			"name": `"Ben"`, "at": `"2026-01-02T03:04:05Z"`,
		}
		for _, edit := range edits {
			k, v, _ := strings.Cut(edit, "=")
			if v == "" {
				delete(fields, k)
			} else {
				fields[k] = v
			}
		}
		var parts []string
		for k, v := range fields {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	bad := []string{
		"not json", "", "null", "[]", "{}", valid() + " trailing",
		valid("workspace_id=" + fmt.Sprint(s.ws+1)),
		valid("conversation_id="), valid("customer_id=0"), valid("author_id=-1"), valid("assignee_id=-3"),
		valid(`author_kind="system"`), valid(`author_kind=""`),
		valid(`author_kind="customer"`, fmt.Sprint("author_id=", s.cust.CustomerID+1)), // a customer typing in another's conversation
		valid(`name="` + strings.Repeat("n", model.MaxNameLen+1) + `"`),
		valid(`name="\xff"`), valid("at="), valid(`at="yesterday"`),
	}
	for _, p := range bad {
		must(t, b.Broadcast(topic, []byte(p)))
	}
	must(t, b.Broadcast(topic, []byte(valid(`name="Valid"`))))
	must(t, b.Broadcast(topic, []byte(valid(`future_field={"x":1}`)))) // a newer node's notice is read
	var got []desk.TypingNotice
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case <-admin.C:
			got = append(got, admin.Next()...)
		case <-deadline:
			t.Fatalf("the valid notices never arrived; got %+v", got)
		}
	}
	if len(got) != 2 || got[0].Name != "Valid" || got[1].Name != "Ben" {
		t.Fatalf("notices %+v, want the two valid ones only", got)
	}

	// The last follower gone, a new one listens anew.
	admin.Close()
	admin.Close()
	again := s.a.FollowTyping(s.admin)
	defer again.Close()
	must(t, b.Broadcast(topic, []byte(valid(`name="Again"`))))
	select {
	case <-again.C:
		if n := again.Next(); len(n) != 1 || n[0].Name != "Again" {
			t.Fatalf("after following again: %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a new follower heard nothing")
	}
}
