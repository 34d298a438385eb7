package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
)

// t0 is the suite's clock origin. Every method that takes a "now" gets a
// time derived from it, so the tests never depend on the wall clock.
var t0 = time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// backend is one database the contract suite runs against.
type backend struct {
	name string
	// newDB returns the address of a fresh, empty database that lives until
	// the test ends: a file path for SQLite, a connection URL for PostgreSQL.
	// Every test gets its own database, so tests never see each other's rows
	// (ExpireOffers and NextOfferDeadline are global across workspaces).
	newDB func(t *testing.T) string
	// open opens the store at that address, applying migrations.
	open func(ctx context.Context, dsn string) (*store.Store, error)
}

// backends lists the databases to run the suite against.
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{{
		name:  "sqlite",
		newDB: func(t *testing.T) string { return filepath.Join(t.TempDir(), "tandem.db") },
		open:  store.OpenSQLite,
	}}
	// PostgreSQL joins the suite when TANDEM_TEST_POSTGRES_URL names a server
	// the tests may create databases on: every test gets a database of its
	// own (tandem_test_<random>), dropped when it ends.
	if _, why := storetest.PostgresURL(); why == "" {
		bs = append(bs, backend{
			name:  "postgres",
			newDB: func(t *testing.T) string { return storetest.NewPostgresDB(t) },
			open:  store.OpenPostgres,
		})
	} else {
		t.Logf("postgres: skipped: %s", why)
	}
	return bs
}

// forEachBackend runs fn once per backend, each on a fresh migrated store.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			fn(t, openFresh(t, b))
		})
	}
}

// openFresh opens a store over a new empty database, closed when t ends.
func openFresh(t *testing.T, b backend) *store.Store {
	t.Helper()
	s, err := b.open(t.Context(), b.newDB(t))
	if err != nil {
		t.Fatalf("open %s: %v", b.name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// must fails the test on err.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func ptr[T any](v T) *T { return &v }

// --- seeding ---------------------------------------------------------------

func seedWorkspace(t *testing.T, s *store.Store, slug string) *model.Workspace {
	t.Helper()
	w, err := s.EnsureWorkspace(t.Context(), model.Workspace{Slug: slug, Name: "Workspace " + slug, OfferTimeout: 30 * time.Second})
	must(t, err, "seed workspace "+slug)
	return w
}

func seedCustomer(t *testing.T, s *store.Store, ws *model.Workspace, externalID string) *model.Customer {
	t.Helper()
	c, err := s.UpsertCustomer(t.Context(), model.Customer{WorkspaceID: ws.ID, ExternalID: externalID, Name: "Customer " + externalID})
	must(t, err, "seed customer "+externalID)
	return c
}

// seedAgent creates an agent with the given capacity and status. The email is
// unique across the database, so it is derived from the workspace and name.
func seedAgent(t *testing.T, s *store.Store, ws *model.Workspace, name string, capacity int, status model.AgentStatus) *model.Agent {
	t.Helper()
	a, err := s.EnsureAgent(t.Context(), model.Agent{
		WorkspaceID: ws.ID, Email: name + "@" + ws.Slug + ".test", Name: name,
		Role: model.RoleAgent, PasswordHash: "x", Capacity: capacity, Status: status,
	})
	must(t, err, "seed agent "+name)
	if a.Status != status || a.Capacity != capacity {
		t.Fatalf("seed agent %s: status %s capacity %d, want %s %d", name, a.Status, a.Capacity, status, capacity)
	}
	return a
}

// openConversation creates a conversation (status ai) with its first message.
func openConversation(t *testing.T, s *store.Store, c *model.Customer, body string, now time.Time) *model.Conversation {
	t.Helper()
	conv, _, created, err := s.CreateConversation(t.Context(), c.WorkspaceID, c.ID, store.NewMessage{Body: body}, now)
	must(t, err, "create conversation")
	if !created {
		t.Fatal("create conversation: created=false for a new conversation")
	}
	return conv
}

// queuedConversation creates a conversation and queues it at now.
func queuedConversation(t *testing.T, s *store.Store, c *model.Customer, now time.Time) *model.Conversation {
	t.Helper()
	conv := openConversation(t, s, c, "I need a person", now)
	conv, changed, err := s.QueueConversation(t.Context(), c.WorkspaceID, conv.ID, "asked for a human", now)
	must(t, err, "queue conversation")
	if !changed || conv.Status != model.StatusQueued {
		t.Fatalf("queue conversation: changed=%v status=%s", changed, conv.Status)
	}
	return conv
}

// makeOffer offers conv to agent at now with a one-minute deadline.
func makeOffer(t *testing.T, s *store.Store, conv *model.Conversation, a *model.Agent, now time.Time) *model.Offer {
	t.Helper()
	o, err := s.CreateOffer(t.Context(), conv.WorkspaceID, conv.ID, a.ID, now.Add(time.Minute), now)
	must(t, err, fmt.Sprintf("offer conversation %d to agent %d", conv.ID, a.ID))
	return o
}

// assignedConversation creates a conversation and assigns it to agent through
// an accepted offer.
func assignedConversation(t *testing.T, s *store.Store, c *model.Customer, a *model.Agent, now time.Time) *model.Conversation {
	t.Helper()
	conv := queuedConversation(t, s, c, now)
	o := makeOffer(t, s, conv, a, now)
	_, conv, err := s.AcceptOffer(t.Context(), conv.WorkspaceID, o.ID, a.ID, now.Add(time.Second))
	must(t, err, "accept offer")
	return conv
}

func customerMsg(c *model.Customer, conv *model.Conversation, body, clientID string) store.NewMessage {
	return store.NewMessage{
		WorkspaceID: c.WorkspaceID, ConversationID: conv.ID, AuthorKind: model.AuthorCustomer,
		AuthorID: ptr(c.ID), Body: body, ClientID: clientID,
	}
}

func agentMsg(a *model.Agent, conv *model.Conversation, body string, internal bool) store.NewMessage {
	return store.NewMessage{
		WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AuthorKind: model.AuthorAgent,
		AuthorID: ptr(a.ID), AuthorName: a.Name, Body: body, Internal: internal,
	}
}

// --- events ----------------------------------------------------------------

// allEvents reads the whole event log of a workspace for an audience.
func allEvents(t *testing.T, s *store.Store, workspaceID int64, aud store.EventAudience) []model.Event {
	t.Helper()
	return eventsAfter(t, s, workspaceID, 0, aud)
}

// eventsAfter reads every event after seq for an audience, page by page.
func eventsAfter(t *testing.T, s *store.Store, workspaceID, after int64, aud store.EventAudience) []model.Event {
	t.Helper()
	var out []model.Event
	for {
		page, err := s.EventsAfter(t.Context(), workspaceID, after, aud, 1000)
		must(t, err, "events after")
		out = append(out, page...)
		if len(page) < 1000 {
			return out
		}
		after = page[len(page)-1].Seq
	}
}

func types(evs []model.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func seqsOf(evs []model.Event) []int64 {
	out := make([]int64, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// wantTypes fails unless the events' types are exactly want, in order.
func wantTypes(t *testing.T, evs []model.Event, want []string, what string) {
	t.Helper()
	got := types(evs)
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: event types %q, want %q", what, got, want)
	}
}

// countType counts events of one type.
func countType(evs []model.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// head is the workspace's latest event seq.
func head(t *testing.T, s *store.Store, workspaceID int64) int64 {
	t.Helper()
	h, err := s.HeadSeq(t.Context(), workspaceID)
	must(t, err, "head seq")
	return h
}
