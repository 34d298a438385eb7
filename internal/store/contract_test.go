package store_test

// The store contract suite. Every test runs once per backend (see backends in
// helpers_test.go) on a fresh database, and only uses the exported API, so the
// same tests hold the SQLite and the PostgreSQL store to the same contract.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// --- schema and seeding ----------------------------------------------------

func TestMigrationsIdempotent(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := b.newDB(t)
			s, err := b.open(ctx, dsn)
			must(t, err, "first open")
			if s.Dialect() != b.name {
				t.Errorf("Dialect() = %q, want %q", s.Dialect(), b.name)
			}
			ws := seedWorkspace(t, s, "acme")
			must(t, s.Close(), "close")

			// Opening an up-to-date database applies nothing and loses nothing.
			for i := range 2 {
				s, err := b.open(ctx, dsn)
				must(t, err, fmt.Sprintf("reopen %d", i+1))
				must(t, s.Ping(ctx), "ping")
				got, err := s.WorkspaceBySlug(ctx, "acme")
				must(t, err, "workspace after reopen")
				if got.ID != ws.ID {
					t.Errorf("reopen %d: workspace id %d, want %d", i+1, got.ID, ws.ID)
				}
				must(t, s.Close(), "close")
			}

			// Several processes starting at once on a fresh database all
			// migrate it without error (one applies, the others see it done).
			// On PostgreSQL this needs migrate to serialise itself (e.g. a
			// pg_advisory_xact_lock): READ COMMITTED lets two nodes both see a
			// migration as pending, and concurrent CREATE TABLE IF NOT EXISTS
			// can fail there.
			fresh := b.newDB(t)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					s, err := b.open(ctx, fresh)
					if err != nil {
						errs <- err
						return
					}
					_, err = s.EnsureWorkspace(ctx, model.Workspace{Slug: "same", Name: "Same"})
					errs <- err
					_ = s.Close()
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				must(t, err, "concurrent open")
			}
		})
	}
}

func TestEnsureIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cases := []struct {
			name string
			// first and again return (id, a field that "again" tried to change).
			first, again func(t *testing.T) (int64, string)
			wantKept     string
		}{
			{
				name: "workspace by slug",
				first: func(t *testing.T) (int64, string) {
					w, err := s.EnsureWorkspace(ctx, model.Workspace{Slug: "beta", Name: "Beta"})
					must(t, err, "ensure workspace")
					if w.OfferTimeout != 30*time.Second || w.AssistantName != "Assistant" {
						t.Errorf("defaults: offer timeout %v, assistant %q", w.OfferTimeout, w.AssistantName)
					}
					return w.ID, w.Name
				},
				again: func(t *testing.T) (int64, string) {
					w, err := s.EnsureWorkspace(ctx, model.Workspace{Slug: "beta", Name: "Renamed", OfferTimeout: time.Hour})
					must(t, err, "ensure workspace again")
					if w.OfferTimeout != 30*time.Second {
						t.Errorf("existing offer timeout changed to %v", w.OfferTimeout)
					}
					return w.ID, w.Name
				},
				wantKept: "Beta",
			},
			{
				name: "agent by email",
				first: func(t *testing.T) (int64, string) {
					a, err := s.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "ann@acme.test", Name: "Ann", Role: model.RoleAgent, PasswordHash: "h1"})
					must(t, err, "ensure agent")
					if a.Capacity != 3 || a.Status != model.AgentOffline || a.Active != 0 {
						t.Errorf("defaults: capacity %d status %s active %d", a.Capacity, a.Status, a.Active)
					}
					return a.ID, a.Name
				},
				again: func(t *testing.T) (int64, string) {
					a, err := s.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "ann@acme.test", Name: "Other", Role: model.RoleAdmin, PasswordHash: "h2", Capacity: 9})
					must(t, err, "ensure agent again")
					if a.Capacity != 3 || a.Role != model.RoleAgent || a.PasswordHash != "h1" {
						t.Errorf("existing agent changed: capacity %d role %s", a.Capacity, a.Role)
					}
					return a.ID, a.Name
				},
				wantKept: "Ann",
			},
			{
				name: "article by workspace, language and title",
				first: func(t *testing.T) (int64, string) {
					a, err := s.EnsureArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "v1", Published: true})
					must(t, err, "ensure article")
					if a.Language != "en" {
						t.Errorf("default language %q", a.Language)
					}
					return a.ID, a.Body
				},
				again: func(t *testing.T) (int64, string) {
					a, err := s.EnsureArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "v2", Language: "en"})
					must(t, err, "ensure article again")
					return a.ID, a.Body
				},
				wantKept: "v1",
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				id1, _ := tc.first(t)
				id2, kept := tc.again(t)
				if id1 != id2 {
					t.Errorf("second ensure made a new row: id %d, then %d", id1, id2)
				}
				if kept != tc.wantKept {
					t.Errorf("second ensure changed the stored row: %q, want %q", kept, tc.wantKept)
				}
			})
		}

		// The same title in another language is another article.
		sv, err := s.EnsureArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Refunds", Body: "sv", Language: "sv"})
		must(t, err, "ensure article sv")
		all, err := s.Articles(ctx, ws.ID, false)
		must(t, err, "articles")
		if len(all) != 2 || all[1].ID != sv.ID {
			t.Errorf("articles: %d, want en and sv", len(all))
		}
		// Drafts are hidden from the published list.
		_, err = s.EnsureArticle(ctx, model.Article{WorkspaceID: ws.ID, Title: "Draft", Body: "wip", Published: false})
		must(t, err, "ensure draft")
		pub, err := s.Articles(ctx, ws.ID, true)
		must(t, err, "published articles")
		for _, a := range pub {
			if !a.Published {
				t.Errorf("published list holds draft %q", a.Title)
			}
		}
		if len(pub) != 1 {
			t.Errorf("published articles: %d, want 1", len(pub))
		}
		if wss, err := s.Workspaces(ctx); err != nil || len(wss) != 2 {
			t.Errorf("workspaces: %d, %v; want 2", len(wss), err)
		}
	})
}

func TestUpsertCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		cases := []struct {
			name    string
			upserts []model.Customer
			// sameRow: every upsert lands on one row; otherwise each makes a new one.
			sameRow bool
			want    model.Customer // checked against the last upsert's result
		}{
			{
				name:    "anonymous visitors get a new row each time",
				upserts: []model.Customer{{WorkspaceID: ws.ID, Name: "Visitor"}, {WorkspaceID: ws.ID, Name: "Visitor"}},
				want:    model.Customer{Name: "Visitor", Tier: "standard"},
			},
			{
				name: "external id is one row; given fields update, empty fields are kept",
				upserts: []model.Customer{
					{WorkspaceID: ws.ID, ExternalID: "u1", Name: "Ann", Email: "ann@example.com", Locale: "en"},
					{WorkspaceID: ws.ID, ExternalID: "u1", Name: "Annie", Verified: true},
					{WorkspaceID: ws.ID, ExternalID: "u1", Locale: "sv", Verified: true},
				},
				sameRow: true,
				want:    model.Customer{ExternalID: "u1", Name: "Annie", Email: "ann@example.com", Locale: "sv", Tier: "standard", Verified: true},
			},
			{
				name: "tier is set on creation",
				upserts: []model.Customer{
					{WorkspaceID: ws.ID, ExternalID: "vip1", Name: "Vic", Tier: "vip"},
					{WorkspaceID: ws.ID, ExternalID: "vip1"},
				},
				sameRow: true,
				want:    model.Customer{ExternalID: "vip1", Name: "Vic", Tier: "vip"},
			},
			{
				name: "the same external id in another workspace is another customer",
				upserts: []model.Customer{
					{WorkspaceID: ws.ID, ExternalID: "shared", Name: "In acme"},
					{WorkspaceID: other.ID, ExternalID: "shared", Name: "In other"},
				},
				want: model.Customer{ExternalID: "shared", Name: "In other", Tier: "standard"},
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ids := map[int64]bool{}
				var last *model.Customer
				for i, in := range tc.upserts {
					c, err := s.UpsertCustomer(ctx, in)
					must(t, err, fmt.Sprintf("upsert %d", i))
					if c.WorkspaceID != in.WorkspaceID {
						t.Errorf("upsert %d: workspace %d, want %d", i, c.WorkspaceID, in.WorkspaceID)
					}
					ids[c.ID] = true
					last = c
				}
				if tc.sameRow && len(ids) != 1 {
					t.Errorf("got %d rows, want one", len(ids))
				}
				if !tc.sameRow && len(ids) != len(tc.upserts) {
					t.Errorf("got %d rows, want %d", len(ids), len(tc.upserts))
				}
				got := model.Customer{ExternalID: last.ExternalID, Name: last.Name, Email: last.Email, Locale: last.Locale, Tier: last.Tier, Verified: last.Verified}
				if got != tc.want {
					t.Errorf("customer %+v, want %+v", got, tc.want)
				}
				stored, err := s.CustomerByID(ctx, last.WorkspaceID, last.ID)
				must(t, err, "customer by id")
				if *stored != *last {
					t.Errorf("stored %+v, returned %+v", stored, last)
				}
			})
		}
	})
}

func TestSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		sess := store.Session{TokenHash: "hash-1", WorkspaceID: ws.ID, Kind: store.SessionCustomer, SubjectID: 42, CreatedAt: at(0), ExpiresAt: at(time.Hour)}
		must(t, s.CreateSession(ctx, sess), "create session")
		if err := s.CreateSession(ctx, sess); err == nil {
			t.Error("a second session with the same token hash was stored")
		}
		cases := []struct {
			name  string
			hash  string
			now   time.Time
			found bool
		}{
			{"at creation", "hash-1", at(0), true},
			{"just before expiry", "hash-1", at(time.Hour - time.Microsecond), true},
			{"at expiry", "hash-1", at(time.Hour), false},
			{"after expiry", "hash-1", at(2 * time.Hour), false},
			{"unknown token", "nope", at(0), false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.SessionByTokenHash(ctx, tc.hash, tc.now)
				if !tc.found {
					wantErr(t, err, store.ErrNotFound, "lookup")
					return
				}
				must(t, err, "lookup")
				if *got != sess {
					t.Errorf("session %+v, want %+v", *got, sess)
				}
			})
		}
		must(t, s.DeleteSession(ctx, "hash-1"), "delete")
		_, err := s.SessionByTokenHash(ctx, "hash-1", at(0))
		wantErr(t, err, store.ErrNotFound, "lookup after delete")
		must(t, s.DeleteSession(ctx, "hash-1"), "delete twice")
	})
}

// --- conversations and messages --------------------------------------------

func TestCreateConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		first := store.NewMessage{Body: "Where is my card?", ClientID: "c-1"}

		conv, msg, created, err := s.CreateConversation(ctx, ws.ID, cu.ID, first, at(0))
		must(t, err, "create")
		if !created {
			t.Error("created=false for a new conversation")
		}
		if conv.Status != model.StatusAI || conv.LastSeq != 1 || conv.WorkspaceID != ws.ID || conv.CustomerID != cu.ID ||
			conv.AssigneeID != nil || conv.QueuedAt != nil || conv.ClientID != "c-1" || !conv.CreatedAt.Equal(at(0)) {
			t.Errorf("conversation %+v", conv)
		}
		if msg.Seq != 1 || msg.AuthorKind != model.AuthorCustomer || msg.AuthorID == nil || *msg.AuthorID != cu.ID ||
			msg.Body != first.Body || msg.Internal || msg.ConversationID != conv.ID || msg.ClientID != "c-1" {
			t.Errorf("first message %+v", msg)
		}
		stored, err := s.ConversationByID(ctx, ws.ID, conv.ID)
		must(t, err, "conversation by id")
		if stored.LastSeq != 1 || stored.Status != model.StatusAI || stored.CustomerName != cu.Name {
			t.Errorf("stored conversation %+v", stored)
		}

		evs := allEvents(t, s, ws.ID, store.EventAudience{})
		wantTypes(t, evs, []string{model.EventConversationCreated, model.EventMessageCreated}, "events")
		for _, e := range evs {
			if e.ConversationID == nil || *e.ConversationID != conv.ID || e.CustomerID == nil || *e.CustomerID != cu.ID || e.StaffOnly || e.WorkspaceID != ws.ID {
				t.Errorf("event %s: %+v", e.Type, e)
			}
		}
		var data model.Message
		must(t, json.Unmarshal(evs[1].Data, &data), "decode message.created")
		if data.ID != msg.ID || data.Seq != 1 || data.Body != first.Body {
			t.Errorf("message.created data %+v", data)
		}
		headAfter := head(t, s, ws.ID)

		t.Run("retry with the same client_id returns the first conversation", func(t *testing.T) {
			again, msg2, created, err := s.CreateConversation(ctx, ws.ID, cu.ID, first, at(time.Minute))
			must(t, err, "retry")
			if created || again.ID != conv.ID || msg2.ID != msg.ID || msg2.Seq != 1 {
				t.Errorf("retry: created=%v conversation %d message %d", created, again.ID, msg2.ID)
			}
			msgs, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, true)
			must(t, err, "messages")
			if len(msgs) != 1 {
				t.Errorf("%d messages after a retry, want 1", len(msgs))
			}
			if h := head(t, s, ws.ID); h != headAfter {
				t.Errorf("a retry appended events: head %d, was %d", h, headAfter)
			}
		})
		t.Run("the same client_id with another body is a conflict", func(t *testing.T) {
			_, _, _, err := s.CreateConversation(ctx, ws.ID, cu.ID, store.NewMessage{Body: "something else", ClientID: "c-1"}, at(time.Minute))
			wantErr(t, err, store.ErrConflict, "create")
		})
		t.Run("client_ids are per customer", func(t *testing.T) {
			cu2 := seedCustomer(t, s, ws, "u2")
			c2, _, created, err := s.CreateConversation(ctx, ws.ID, cu2.ID, first, at(time.Minute))
			must(t, err, "create")
			if !created || c2.ID == conv.ID {
				t.Errorf("another customer's conversation: created=%v id %d", created, c2.ID)
			}
		})
		t.Run("no client_id never deduplicates", func(t *testing.T) {
			a := openConversation(t, s, cu, "hello", at(time.Minute))
			b := openConversation(t, s, cu, "hello", at(time.Minute))
			if a.ID == b.ID {
				t.Error("two conversations without client_id are one")
			}
		})

		invalid := []struct {
			name string
			msg  store.NewMessage
		}{
			{"empty body", store.NewMessage{Body: ""}},
			{"blank body", store.NewMessage{Body: " \n\t "}},
			{"body too long", store.NewMessage{Body: strings.Repeat("é", model.MaxBodyLen+1)}},
			{"body not UTF-8", store.NewMessage{Body: "\xff\xfe"}},
			{"client_id too long", store.NewMessage{Body: "hi", ClientID: strings.Repeat("x", model.MaxClientIDLen+1)}},
		}
		for _, tc := range invalid {
			t.Run("invalid/"+tc.name, func(t *testing.T) {
				before := head(t, s, ws.ID)
				_, _, _, err := s.CreateConversation(ctx, ws.ID, cu.ID, tc.msg, at(0))
				wantErr(t, err, model.ErrInvalid, "create")
				if h := head(t, s, ws.ID); h != before {
					t.Errorf("a refused create appended events")
				}
			})
		}
		t.Run("unknown customer", func(t *testing.T) {
			_, _, _, err := s.CreateConversation(ctx, ws.ID, cu.ID+1000, store.NewMessage{Body: "hi"}, at(0))
			wantErr(t, err, store.ErrNotFound, "create")
		})

		t.Run("listing", func(t *testing.T) {
			list, err := s.Conversations(ctx, ws.ID, store.ConversationFilter{CustomerID: cu.ID})
			must(t, err, "conversations")
			if len(list) != 3 {
				t.Fatalf("%d conversations of the customer, want 3", len(list))
			}
			for i := 1; i < len(list); i++ {
				if list[i].UpdatedAt.After(list[i-1].UpdatedAt) {
					t.Errorf("list not most recently updated first")
				}
			}
			ai, err := s.Conversations(ctx, ws.ID, store.ConversationFilter{Status: model.StatusQueued})
			must(t, err, "queued conversations")
			if len(ai) != 0 {
				t.Errorf("%d queued conversations, want 0", len(ai))
			}
		})
	})
}

func TestAddMessageSeq(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := openConversation(t, s, cu, "hi", at(0))
		msgs := []store.NewMessage{
			{AuthorKind: model.AuthorAssistant, AuthorName: "Assistant", Body: "Hello! How can I help?", Citation: &model.Citation{ArticleID: 7, Title: "Cards", URL: "/kb/7"}},
			customerMsg(cu, conv, "My card is lost", ""),
			{AuthorKind: model.AuthorSystem, Body: "Handing you over to a person"},
			agentMsg(ag, conv, "customer sounds worried", true),
			agentMsg(ag, conv, "I'll block it now", false),
		}
		for i, m := range msgs {
			m.WorkspaceID, m.ConversationID = ws.ID, conv.ID
			now := at(time.Duration(i+1) * time.Second)
			got, c, created, err := s.AddMessage(ctx, m, now)
			must(t, err, fmt.Sprintf("message %d", i))
			want := int64(i + 2)
			if !created || got.Seq != want || c.LastSeq != want {
				t.Errorf("message %d: created=%v seq %d last_seq %d, want %d", i, created, got.Seq, c.LastSeq, want)
			}
			if got.AuthorKind != m.AuthorKind || got.Body != m.Body || got.Internal != m.Internal || !got.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(now) {
				t.Errorf("message %d: %+v", i, got)
			}
		}
		all, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, true)
		must(t, err, "messages")
		for i, m := range all {
			if m.Seq != int64(i+1) {
				t.Fatalf("messages[%d].seq = %d", i, m.Seq)
			}
		}
		if len(all) != 6 {
			t.Fatalf("%d messages, want 6", len(all))
		}
		if c := all[1].Citation; c == nil || *c != (model.Citation{ArticleID: 7, Title: "Cards", URL: "/kb/7"}) {
			t.Errorf("citation %+v", c)
		}
		if all[1].AuthorID != nil || all[4].AuthorID == nil || *all[4].AuthorID != ag.ID {
			t.Errorf("author ids: assistant %v, agent %v", all[1].AuthorID, all[4].AuthorID)
		}
		page, err := s.Messages(ctx, ws.ID, conv.ID, 2, 2, true)
		must(t, err, "messages page")
		if len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
			t.Errorf("messages after 2, limit 2: %d", len(page))
		}
		last, err := s.LastCustomerMessage(ctx, ws.ID, conv.ID)
		must(t, err, "last customer message")
		if last.Seq != 3 {
			t.Errorf("last customer message seq %d, want 3", last.Seq)
		}
		_, _, _, err = s.AddMessage(ctx, store.NewMessage{WorkspaceID: ws.ID, ConversationID: conv.ID + 1000, AuthorKind: model.AuthorSystem, Body: "x"}, at(0))
		wantErr(t, err, store.ErrNotFound, "message to an unknown conversation")
	})
}

func TestAddMessageIdempotency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := openConversation(t, s, cu, "hi", at(0))
		assistant := func(body, clientID string) store.NewMessage {
			return store.NewMessage{WorkspaceID: ws.ID, ConversationID: conv.ID, AuthorKind: model.AuthorAssistant, Body: body, ClientID: clientID}
		}
		withClient := func(m store.NewMessage, id string) store.NewMessage { m.ClientID = id; return m }

		// Steps run in order on one conversation.
		steps := []struct {
			name        string
			msg         store.NewMessage
			wantErr     error
			wantCreated bool
			// sameAs names an earlier step whose message must be returned.
			sameAs string
		}{
			{name: "customer sends", msg: customerMsg(cu, conv, "card lost", "k1"), wantCreated: true},
			{name: "customer retries", msg: customerMsg(cu, conv, "card lost", "k1"), sameAs: "customer sends"},
			{name: "customer reuses the key for another body", msg: customerMsg(cu, conv, "something else", "k1"), wantErr: store.ErrConflict},
			{name: "agent uses the same key", msg: withClient(agentMsg(ag, conv, "card lost", false), "k1"), wantCreated: true},
			{name: "agent retries", msg: withClient(agentMsg(ag, conv, "card lost", false), "k1"), sameAs: "agent uses the same key"},
			{name: "agent retries as an internal note", msg: withClient(agentMsg(ag, conv, "card lost", true), "k1"), wantErr: store.ErrConflict},
			{name: "assistant sends", msg: assistant("Here is how to block a card", "a1"), wantCreated: true},
			{name: "assistant retries", msg: assistant("Here is how to block a card", "a1"), sameAs: "assistant sends"},
			{name: "customer sends a new key", msg: customerMsg(cu, conv, "card lost", "k2"), wantCreated: true},
		}
		got := map[string]*model.Message{}
		wantSeq := int64(1)
		for _, st := range steps {
			before := head(t, s, ws.ID)
			m, _, created, err := s.AddMessage(ctx, st.msg, at(time.Minute))
			if st.wantErr != nil {
				wantErr(t, err, st.wantErr, st.name)
				continue
			}
			must(t, err, st.name)
			if created != st.wantCreated {
				t.Errorf("%s: created=%v, want %v", st.name, created, st.wantCreated)
			}
			if st.wantCreated {
				wantSeq++
				if m.Seq != wantSeq {
					t.Errorf("%s: seq %d, want %d", st.name, m.Seq, wantSeq)
				}
			} else {
				if first := got[st.sameAs]; first == nil || m.ID != first.ID || m.Seq != first.Seq {
					t.Errorf("%s: message %d seq %d, want the one of %q", st.name, m.ID, m.Seq, st.sameAs)
				}
				if h := head(t, s, ws.ID); h != before {
					t.Errorf("%s: a retry appended events", st.name)
				}
			}
			got[st.name] = m
		}
		all, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, true)
		must(t, err, "messages")
		if int64(len(all)) != wantSeq {
			t.Errorf("%d messages stored, want %d", len(all), wantSeq)
		}
	})
}

func TestAddMessageValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		conv := openConversation(t, s, cu, "hi", at(0))
		cases := []struct {
			name   string
			mutate func(m *store.NewMessage)
		}{
			{"empty body", func(m *store.NewMessage) { m.Body = "" }},
			{"blank body", func(m *store.NewMessage) { m.Body = "   \n" }},
			{"body too long", func(m *store.NewMessage) { m.Body = strings.Repeat("a", model.MaxBodyLen+1) }},
			{"body not UTF-8", func(m *store.NewMessage) { m.Body = "ok \xc3\x28" }},
			{"client_id too long", func(m *store.NewMessage) { m.ClientID = strings.Repeat("k", model.MaxClientIDLen+1) }},
			{"unknown author kind", func(m *store.NewMessage) { m.AuthorKind = "robot" }},
			{"customer writes an internal note", func(m *store.NewMessage) { m.Internal = true }},
		}
		before := head(t, s, ws.ID)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				m := customerMsg(cu, conv, "hello", "")
				tc.mutate(&m)
				_, _, _, err := s.AddMessage(ctx, m, at(time.Second))
				wantErr(t, err, model.ErrInvalid, "add message")
			})
		}
		if h := head(t, s, ws.ID); h != before {
			t.Error("refused messages appended events")
		}
		// Refused messages take no seq; the longest allowed body is fine.
		m, _, _, err := s.AddMessage(ctx, customerMsg(cu, conv, strings.Repeat("é", model.MaxBodyLen), ""), at(time.Second))
		must(t, err, "longest body")
		if m.Seq != 2 {
			t.Errorf("seq after refused messages %d, want 2", m.Seq)
		}
	})
}

func TestInternalNotes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := assignedConversation(t, s, cu, ag, at(0))
		before := head(t, s, ws.ID)
		note, _, _, err := s.AddMessage(ctx, agentMsg(ag, conv, "VIP, be gentle", true), at(time.Minute))
		must(t, err, "internal note")
		reply, _, _, err := s.AddMessage(ctx, agentMsg(ag, conv, "Hi, I'm Ann", false), at(time.Minute))
		must(t, err, "reply")

		public, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, false)
		must(t, err, "public messages")
		staff, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, true)
		must(t, err, "staff messages")
		for _, m := range public {
			if m.Internal || m.ID == note.ID {
				t.Errorf("customer view holds internal note %d", m.ID)
			}
		}
		if len(staff) != len(public)+1 || public[len(public)-1].ID != reply.ID {
			t.Errorf("staff sees %d messages, customer %d", len(staff), len(public))
		}

		noteEvent := func(evs []model.Event) bool {
			for _, e := range evs {
				if e.Type == model.EventMessageCreated && strings.Contains(string(e.Data), "VIP, be gentle") {
					return true
				}
			}
			return false
		}
		admin := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
		wantTypes(t, admin, []string{model.EventMessageCreated, model.EventMessageCreated}, "admin events")
		if !admin[0].StaffOnly || admin[0].CustomerID != nil || admin[1].StaffOnly {
			t.Errorf("note event staff_only=%v customer=%v; reply staff_only=%v", admin[0].StaffOnly, admin[0].CustomerID, admin[1].StaffOnly)
		}
		if !noteEvent(admin) {
			t.Error("admin does not see the note's event")
		}
		if !noteEvent(eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: ag.ID})) {
			t.Error("the assigned agent does not see the note's event")
		}
		cust := eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID})
		if noteEvent(cust) || len(cust) != 1 {
			t.Errorf("customer sees %q", types(cust))
		}
	})
}

func TestReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		cases := []struct {
			name       string
			setup      func(t *testing.T, cu *model.Customer) *model.Conversation
			author     func(cu *model.Customer, c *model.Conversation) store.NewMessage
			wantStatus model.ConversationStatus
			wantEvents []string
		}{
			{
				name: "assistant only: back to the assistant",
				setup: func(t *testing.T, cu *model.Customer) *model.Conversation {
					return openConversation(t, s, cu, "hi", at(0))
				},
				author: func(cu *model.Customer, c *model.Conversation) store.NewMessage {
					return customerMsg(cu, c, "one more thing", "")
				},
				wantStatus: model.StatusAI,
				wantEvents: []string{model.EventConversationReopened, model.EventMessageCreated},
			},
			{
				name:  "queued but never assigned: back to the assistant",
				setup: func(t *testing.T, cu *model.Customer) *model.Conversation { return queuedConversation(t, s, cu, at(0)) },
				author: func(cu *model.Customer, c *model.Conversation) store.NewMessage {
					return customerMsg(cu, c, "one more thing", "")
				},
				wantStatus: model.StatusAI,
				wantEvents: []string{model.EventConversationReopened, model.EventMessageCreated},
			},
			{
				name: "a person had it: back to the queue",
				setup: func(t *testing.T, cu *model.Customer) *model.Conversation {
					return assignedConversation(t, s, cu, ag, at(0))
				},
				author: func(cu *model.Customer, c *model.Conversation) store.NewMessage {
					return customerMsg(cu, c, "one more thing", "")
				},
				wantStatus: model.StatusQueued,
				wantEvents: []string{model.EventConversationReopened, model.EventConversationQueued, model.EventMessageCreated},
			},
			{
				name: "an agent's message does not reopen",
				setup: func(t *testing.T, cu *model.Customer) *model.Conversation {
					return assignedConversation(t, s, cu, ag, at(0))
				},
				author: func(_ *model.Customer, c *model.Conversation) store.NewMessage {
					return agentMsg(ag, c, "glad to help", false)
				},
				wantStatus: model.StatusResolved,
				wantEvents: []string{model.EventMessageCreated},
			},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cu := seedCustomer(t, s, ws, fmt.Sprintf("reopen-%d", i))
				conv := tc.setup(t, cu)
				resolved, _, err := s.ResolveConversation(ctx, ws.ID, conv.ID, at(time.Hour))
				must(t, err, "resolve")
				if resolved.Status != model.StatusResolved || resolved.ResolvedAt == nil || !resolved.ResolvedAt.Equal(at(time.Hour)) {
					t.Fatalf("resolved %+v", resolved)
				}
				before := head(t, s, ws.ID)
				now := at(2 * time.Hour)
				_, after, _, err := s.AddMessage(ctx, tc.author(cu, conv), now)
				must(t, err, "add message")
				if after.Status != tc.wantStatus {
					t.Errorf("status %s, want %s", after.Status, tc.wantStatus)
				}
				wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{}), tc.wantEvents, "events")
				if tc.wantStatus == model.StatusResolved {
					return
				}
				if after.AssigneeID != nil || after.ResolvedAt != nil {
					t.Errorf("reopened conversation keeps assignee %v resolved_at %v", after.AssigneeID, after.ResolvedAt)
				}
				// The customer sees the reopening.
				cust := eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID})
				wantTypes(t, cust, tc.wantEvents, "customer events")
				snap, err := s.DispatchSnapshot(ctx, ws.ID)
				must(t, err, "snapshot")
				inQueue := false
				for _, q := range snap.Queue {
					inQueue = inQueue || q.ID == conv.ID
				}
				if tc.wantStatus == model.StatusQueued {
					if after.QueuedAt == nil || !after.QueuedAt.Equal(now) || !inQueue {
						t.Errorf("queued_at %v, in dispatch queue %v", after.QueuedAt, inQueue)
					}
				} else if after.QueuedAt != nil || inQueue {
					t.Errorf("back with the assistant but queued_at %v, in dispatch queue %v", after.QueuedAt, inQueue)
				}
			})
		}
	})
}

func TestQueueConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		conv := openConversation(t, s, cu, "I want a human", at(0))
		before := head(t, s, ws.ID)

		q, changed, err := s.QueueConversation(ctx, ws.ID, conv.ID, "asked for a human", at(time.Minute))
		must(t, err, "queue")
		if !changed || q.Status != model.StatusQueued || q.HandoffReason != "asked for a human" ||
			q.QueuedAt == nil || !q.QueuedAt.Equal(at(time.Minute)) || !q.UpdatedAt.Equal(at(time.Minute)) {
			t.Errorf("queued %+v", q)
		}
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
		wantTypes(t, evs, []string{model.EventConversationQueued}, "events")
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID}), []string{model.EventConversationQueued}, "customer events")

		mid := head(t, s, ws.ID)
		again, changed, err := s.QueueConversation(ctx, ws.ID, conv.ID, "another reason", at(2*time.Minute))
		must(t, err, "queue again")
		if changed || again.HandoffReason != "asked for a human" || !again.QueuedAt.Equal(at(time.Minute)) {
			t.Errorf("second queue changed the conversation: changed=%v %+v", changed, again)
		}
		if h := head(t, s, ws.ID); h != mid {
			t.Error("second queue appended events")
		}

		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		assigned := assignedConversation(t, s, cu, ag, at(3*time.Minute))
		got, changed, err := s.QueueConversation(ctx, ws.ID, assigned.ID, "again", at(4*time.Minute))
		must(t, err, "queue assigned")
		if changed || got.Status != model.StatusAssigned || got.AssigneeID == nil || *got.AssigneeID != ag.ID {
			t.Errorf("queueing an assigned conversation: changed=%v %+v", changed, got)
		}
		_, _, err = s.QueueConversation(ctx, ws.ID, conv.ID+1000, "x", at(0))
		wantErr(t, err, store.ErrNotFound, "queue unknown")
	})
}

func TestResolveConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := queuedConversation(t, s, cu, at(0))
		o := makeOffer(t, s, conv, ag, at(time.Second))
		before := head(t, s, ws.ID)

		res, rescinded, err := s.ResolveConversation(ctx, ws.ID, conv.ID, at(time.Minute))
		must(t, err, "resolve")
		if res.Status != model.StatusResolved {
			t.Errorf("status %s", res.Status)
		}
		if len(rescinded) != 1 || rescinded[0].ID != o.ID || rescinded[0].Status != model.OfferRescinded || rescinded[0].DecidedAt == nil {
			t.Fatalf("rescinded %+v", rescinded)
		}
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
		wantTypes(t, evs, []string{model.EventOfferRescinded, model.EventConversationResolved}, "events")
		if evs[0].AgentID == nil || *evs[0].AgentID != ag.ID || !evs[0].StaffOnly {
			t.Errorf("offer.rescinded %+v", evs[0])
		}
		pending, err := s.PendingOffers(ctx, ws.ID, ag.ID)
		must(t, err, "pending offers")
		if len(pending) != 0 {
			t.Errorf("%d pending offers after resolve", len(pending))
		}
		_, _, err = s.AcceptOffer(ctx, ws.ID, o.ID, ag.ID, at(2*time.Minute))
		wantErr(t, err, store.ErrOfferUnavailable, "accept a rescinded offer")

		mid := head(t, s, ws.ID)
		again, rescinded, err := s.ResolveConversation(ctx, ws.ID, conv.ID, at(time.Hour))
		must(t, err, "resolve again")
		if len(rescinded) != 0 || !again.ResolvedAt.Equal(at(time.Minute)) {
			t.Errorf("second resolve changed things: rescinded %d, resolved_at %v", len(rescinded), again.ResolvedAt)
		}
		if h := head(t, s, ws.ID); h != mid {
			t.Error("second resolve appended events")
		}

		// Resolving frees the agent's slot.
		assigned := assignedConversation(t, s, cu, ag, at(time.Hour))
		if a, _ := s.AgentByID(ctx, ws.ID, ag.ID); a.Active != 1 {
			t.Fatalf("active %d, want 1", a.Active)
		}
		_, _, err = s.ResolveConversation(ctx, ws.ID, assigned.ID, at(2*time.Hour))
		must(t, err, "resolve assigned")
		if a, _ := s.AgentByID(ctx, ws.ID, ag.ID); a.Active != 0 {
			t.Errorf("active %d after resolve, want 0", a.Active)
		}
	})
}

// --- offers ----------------------------------------------------------------

func TestCreateOffer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		cases := []struct {
			name string
			// setup returns the conversation and agent to offer; anything it
			// creates lives in ws.
			setup func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent)
			want  error
		}{
			{
				name: "conversation still with the assistant",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					return openConversation(t, s, cu, "hi", at(0)), seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				},
				want: store.ErrConflict,
			},
			{
				name: "conversation already assigned",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					return assignedConversation(t, s, cu, a, at(0)), seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
				},
				want: store.ErrConflict,
			},
			{
				name: "conversation resolved",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					c := queuedConversation(t, s, cu, at(0))
					_, _, err := s.ResolveConversation(ctx, ws.ID, c.ID, at(time.Second))
					must(t, err, "resolve")
					return c, seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				},
				want: store.ErrConflict,
			},
			{
				name: "agent offline",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					return queuedConversation(t, s, cu, at(0)), seedAgent(t, s, ws, "ann", 3, model.AgentOffline)
				},
				want: store.ErrConflict,
			},
			{
				name: "agent away",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					return queuedConversation(t, s, cu, at(0)), seedAgent(t, s, ws, "ann", 3, model.AgentAway)
				},
				want: store.ErrConflict,
			},
			{
				name: "agent full with pending offers",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					return queuedConversation(t, s, cu, at(0)), a
				},
				want: store.ErrConflict,
			},
			{
				name: "agent full with an active conversation and a pending offer",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
					assignedConversation(t, s, cu, a, at(0))
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					return queuedConversation(t, s, cu, at(0)), a
				},
				want: store.ErrConflict,
			},
			{
				name: "conversation already has a pending offer",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					c := queuedConversation(t, s, cu, at(0))
					makeOffer(t, s, c, seedAgent(t, s, ws, "ann", 3, model.AgentAvailable), at(0))
					return c, seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
				},
				want: store.ErrConflict,
			},
			{
				name: "unknown conversation",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					return &model.Conversation{ID: 1 << 40, WorkspaceID: ws.ID}, seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				},
				want: store.ErrNotFound,
			},
			{
				name: "unknown agent",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Conversation, *model.Agent) {
					return queuedConversation(t, s, cu, at(0)), &model.Agent{ID: 1 << 40}
				},
				want: store.ErrNotFound,
			},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ws := seedWorkspace(t, s, fmt.Sprintf("case-%d", i))
				cu := seedCustomer(t, s, ws, "u1")
				conv, a := tc.setup(t, ws, cu)
				before := head(t, s, ws.ID)
				_, err := s.CreateOffer(ctx, ws.ID, conv.ID, a.ID, at(time.Hour), at(time.Minute))
				wantErr(t, err, tc.want, "create offer")
				if h := head(t, s, ws.ID); h != before {
					t.Error("a refused offer appended events")
				}
			})
		}

		t.Run("success", func(t *testing.T) {
			ws := seedWorkspace(t, s, "ok")
			cu := seedCustomer(t, s, ws, "u1")
			a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
			conv := queuedConversation(t, s, cu, at(0))
			_, _, _, err := s.AddMessage(ctx, customerMsg(cu, conv, "still there?", ""), at(time.Second))
			must(t, err, "add message")
			before := head(t, s, ws.ID)
			o, err := s.CreateOffer(ctx, ws.ID, conv.ID, a.ID, at(time.Minute), at(2*time.Second))
			must(t, err, "create offer")
			if o.Status != model.OfferPending || o.ConversationID != conv.ID || o.AgentID != a.ID || o.DecidedAt != nil ||
				!o.ExpiresAt.Equal(at(time.Minute)) || !o.CreatedAt.Equal(at(2*time.Second)) || o.Conversation == nil {
				t.Errorf("offer %+v", o)
			}
			evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
			wantTypes(t, evs, []string{model.EventOfferCreated}, "events")
			if e := evs[0]; !e.StaffOnly || e.AgentID == nil || *e.AgentID != a.ID || e.CustomerID != nil {
				t.Errorf("offer.created %+v", e)
			}
			if got, _ := s.AgentByID(ctx, ws.ID, a.ID); got.LastOfferedAt == nil || !got.LastOfferedAt.Equal(at(2*time.Second)) {
				t.Errorf("last_offered_at %v", got.LastOfferedAt)
			}
			pending, err := s.PendingOffers(ctx, ws.ID, a.ID)
			must(t, err, "pending offers")
			if len(pending) != 1 || pending[0].ID != o.ID || pending[0].Preview != "still there?" ||
				pending[0].Conversation == nil || pending[0].Conversation.ID != conv.ID {
				t.Errorf("pending offers %+v", pending)
			}
		})
	})
}

func TestAcceptOffer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		t.Run("success", func(t *testing.T) {
			ws := seedWorkspace(t, s, "ok")
			cu := seedCustomer(t, s, ws, "u1")
			ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
			bob := seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
			conv := queuedConversation(t, s, cu, at(0))
			o := makeOffer(t, s, conv, ann, at(time.Second))
			before := head(t, s, ws.ID)

			got, c, err := s.AcceptOffer(ctx, ws.ID, o.ID, ann.ID, at(10*time.Second))
			must(t, err, "accept")
			if got.Status != model.OfferAccepted || got.DecidedAt == nil || !got.DecidedAt.Equal(at(10*time.Second)) {
				t.Errorf("offer %+v", got)
			}
			if c.Status != model.StatusAssigned || c.AssigneeID == nil || *c.AssigneeID != ann.ID || c.AssigneeName != "ann" ||
				!c.HadHuman || c.AssignedAt == nil || !c.AssignedAt.Equal(at(10*time.Second)) {
				t.Errorf("conversation %+v", c)
			}
			if a, _ := s.AgentByID(ctx, ws.ID, ann.ID); a.Active != 1 {
				t.Errorf("active %d, want 1", a.Active)
			}
			list, err := s.Conversations(ctx, ws.ID, store.ConversationFilter{AssigneeID: ann.ID, Status: model.StatusAssigned})
			must(t, err, "conversations of ann")
			if len(list) != 1 || list[0].ID != conv.ID {
				t.Errorf("ann's conversations: %d", len(list))
			}

			wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{}),
				[]string{model.EventOfferAccepted, model.EventConversationAssigned}, "admin events")
			wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID}),
				[]string{model.EventConversationAssigned}, "customer events")
			wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: ann.ID}),
				[]string{model.EventOfferAccepted, model.EventConversationAssigned}, "ann's events")
			wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: bob.ID}), nil, "bob's events")
		})

		cases := []struct {
			name string
			// setup returns the offer and the agent who tries to accept it.
			setup func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent)
			now   time.Time // the offer's deadline is at(time.Minute)
			want  error
		}{
			{
				name: "at the deadline",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					return makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0)), a
				},
				now:  at(time.Minute),
				want: store.ErrOfferUnavailable,
			},
			{
				name: "after the deadline",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					return makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0)), a
				},
				now:  at(time.Hour),
				want: store.ErrOfferUnavailable,
			},
			{
				name: "another agent's offer",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					return makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0)), seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
				},
				now:  at(time.Second),
				want: store.ErrNotFound,
			},
			{
				name: "unknown offer",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					return &model.Offer{ID: 1 << 40}, seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				},
				now:  at(time.Second),
				want: store.ErrNotFound,
			},
			{
				name: "declined",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					o := makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					_, err := s.DeclineOffer(ctx, ws.ID, o.ID, a.ID, at(time.Second))
					must(t, err, "decline")
					return o, a
				},
				now:  at(2 * time.Second),
				want: store.ErrOfferUnavailable,
			},
			{
				name: "expired",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					o := makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					_, err := s.ExpireOffers(ctx, at(time.Minute))
					must(t, err, "expire")
					return o, a
				},
				now:  at(30 * time.Second), // even a clock behind the expiry job cannot revive it
				want: store.ErrOfferUnavailable,
			},
			{
				name: "already accepted",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
					o := makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					_, _, err := s.AcceptOffer(ctx, ws.ID, o.ID, a.ID, at(time.Second))
					must(t, err, "first accept")
					return o, a
				},
				now:  at(2 * time.Second),
				want: store.ErrOfferUnavailable,
			},
			{
				name: "agent at capacity",
				setup: func(t *testing.T, ws *model.Workspace, cu *model.Customer) (*model.Offer, *model.Agent) {
					a := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
					o1 := makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					o2 := makeOffer(t, s, queuedConversation(t, s, cu, at(0)), a, at(0))
					// An admin lowers the capacity while both offers are out.
					must(t, store.SetAgentCapacityForTest(ctx, s, a.ID, 1), "lower capacity")
					_, _, err := s.AcceptOffer(ctx, ws.ID, o1.ID, a.ID, at(time.Second))
					must(t, err, "accept first")
					return o2, a
				},
				now:  at(2 * time.Second),
				want: store.ErrCapacityFull,
			},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ws := seedWorkspace(t, s, fmt.Sprintf("case-%d", i))
				cu := seedCustomer(t, s, ws, "u1")
				o, a := tc.setup(t, ws, cu)
				before := head(t, s, ws.ID)
				_, _, err := s.AcceptOffer(ctx, ws.ID, o.ID, a.ID, tc.now)
				wantErr(t, err, tc.want, "accept")
				if h := head(t, s, ws.ID); h != before {
					t.Error("a refused accept appended events")
				}
				if o.ConversationID != 0 {
					c, err := s.ConversationByID(ctx, ws.ID, o.ConversationID)
					must(t, err, "conversation")
					if tc.name != "already accepted" && (c.Status == model.StatusAssigned || c.AssigneeID != nil) {
						t.Errorf("a refused accept assigned the conversation: %+v", c)
					}
				}
			})
		}
	})
}

func TestDeclineOffer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		bob := seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
		conv := queuedConversation(t, s, cu, at(0))
		o := makeOffer(t, s, conv, ann, at(time.Second))

		_, err := s.DeclineOffer(ctx, ws.ID, o.ID, bob.ID, at(2*time.Second))
		wantErr(t, err, store.ErrNotFound, "bob declines ann's offer")

		before := head(t, s, ws.ID)
		d, err := s.DeclineOffer(ctx, ws.ID, o.ID, ann.ID, at(5*time.Second))
		must(t, err, "decline")
		if d.Status != model.OfferDeclined || d.DecidedAt == nil || !d.DecidedAt.Equal(at(5*time.Second)) {
			t.Errorf("declined %+v", d)
		}
		evs := eventsAfter(t, s, ws.ID, before, store.EventAudience{})
		wantTypes(t, evs, []string{model.EventOfferDeclined}, "events")
		if e := evs[0]; !e.StaffOnly || e.AgentID == nil || *e.AgentID != ann.ID {
			t.Errorf("offer.declined %+v", e)
		}
		wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID}), nil, "customer events")

		_, err = s.DeclineOffer(ctx, ws.ID, o.ID, ann.ID, at(6*time.Second))
		wantErr(t, err, store.ErrOfferUnavailable, "decline twice")
		c, err := s.ConversationByID(ctx, ws.ID, conv.ID)
		must(t, err, "conversation")
		if c.Status != model.StatusQueued {
			t.Errorf("status after decline %s, want queued", c.Status)
		}
		// The conversation may be offered again, to someone else.
		o2 := makeOffer(t, s, conv, bob, at(7*time.Second))
		_, _, err = s.AcceptOffer(ctx, ws.ID, o2.ID, bob.ID, at(8*time.Second))
		must(t, err, "bob accepts")
		_, err = s.DeclineOffer(ctx, ws.ID, o2.ID, bob.ID, at(9*time.Second))
		wantErr(t, err, store.ErrOfferUnavailable, "decline an accepted offer")
	})
}

func TestExpireOffers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		_, ok, err := s.NextOfferDeadline(ctx)
		must(t, err, "next deadline")
		if ok {
			t.Fatal("a deadline with no offers")
		}
		// Two workspaces: expiry is one job for the whole database.
		ws1, ws2 := seedWorkspace(t, s, "one"), seedWorkspace(t, s, "two")
		a1, a2 := seedAgent(t, s, ws1, "ann", 3, model.AgentAvailable), seedAgent(t, s, ws2, "bob", 3, model.AgentAvailable)
		c1 := queuedConversation(t, s, seedCustomer(t, s, ws1, "u1"), at(0))
		c2 := queuedConversation(t, s, seedCustomer(t, s, ws2, "u2"), at(0))
		d1, d2 := at(time.Minute), at(2*time.Minute)
		o2, err := s.CreateOffer(ctx, ws2.ID, c2.ID, a2.ID, d2, at(0))
		must(t, err, "offer 2")
		o1, err := s.CreateOffer(ctx, ws1.ID, c1.ID, a1.ID, d1, at(0))
		must(t, err, "offer 1")

		steps := []struct {
			now          time.Time
			wantExpired  []int64
			wantNext     time.Time
			wantNextNone bool
		}{
			{now: d1.Add(-time.Microsecond), wantNext: d1},
			{now: d1, wantExpired: []int64{o1.ID}, wantNext: d2},
			{now: d1.Add(time.Second), wantNext: d2},
			{now: d2.Add(time.Hour), wantExpired: []int64{o2.ID}, wantNextNone: true},
			{now: d2.Add(2 * time.Hour), wantNextNone: true},
		}
		for i, st := range steps {
			expired, err := s.ExpireOffers(ctx, st.now)
			must(t, err, fmt.Sprintf("step %d: expire", i))
			var ids []int64
			for _, o := range expired {
				ids = append(ids, o.ID)
				if o.Status != model.OfferExpired || o.DecidedAt == nil || !o.DecidedAt.Equal(st.now) {
					t.Errorf("step %d: expired offer %+v", i, o)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(st.wantExpired) {
				t.Errorf("step %d: expired %v, want %v", i, ids, st.wantExpired)
			}
			next, ok, err := s.NextOfferDeadline(ctx)
			must(t, err, "next deadline")
			if ok == st.wantNextNone || (ok && !next.Equal(st.wantNext)) {
				t.Errorf("step %d: next deadline %v (ok=%v), want %v (none=%v)", i, next, ok, st.wantNext, st.wantNextNone)
			}
		}
		for _, w := range []struct {
			ws    *model.Workspace
			agent *model.Agent
		}{{ws1, a1}, {ws2, a2}} {
			evs := allEvents(t, s, w.ws.ID, store.EventAudience{AgentID: w.agent.ID})
			if n := countType(evs, model.EventOfferExpired); n != 1 {
				t.Errorf("%s: %d offer.expired events for the agent, want 1", w.ws.Slug, n)
			}
			snap, err := s.DispatchSnapshot(ctx, w.ws.ID)
			must(t, err, "snapshot")
			if len(snap.Queue) != 1 || snap.Queue[0].TriedAgents == nil || snap.Queue[0].TriedAgents[w.agent.ID].IsZero() {
				t.Errorf("%s: after expiry the conversation is not back in the queue with the agent tried: %+v", w.ws.Slug, snap.Queue)
			}
		}
	})
}

func TestSetAgentStatus(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		for i, to := range []model.AgentStatus{model.AgentAway, model.AgentOffline} {
			t.Run("to "+string(to)+" rescinds pending offers", func(t *testing.T) {
				ws := seedWorkspace(t, s, fmt.Sprintf("ws-%d", i))
				cu := seedCustomer(t, s, ws, "u1")
				a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				kept := assignedConversation(t, s, cu, a, at(0))
				o1 := makeOffer(t, s, queuedConversation(t, s, cu, at(time.Second)), a, at(time.Second))
				o2 := makeOffer(t, s, queuedConversation(t, s, cu, at(time.Second)), a, at(time.Second))
				before := head(t, s, ws.ID)

				got, rescinded, err := s.SetAgentStatus(ctx, ws.ID, a.ID, to, at(time.Minute))
				must(t, err, "set status")
				if got.Status != to || !got.StatusChangedAt.Equal(at(time.Minute)) || got.Active != 1 {
					t.Errorf("agent %+v", got)
				}
				if len(rescinded) != 2 || rescinded[0].ID != o1.ID || rescinded[1].ID != o2.ID {
					t.Fatalf("rescinded %+v", rescinded)
				}
				for _, o := range rescinded {
					if o.Status != model.OfferRescinded {
						t.Errorf("offer %d status %s", o.ID, o.Status)
					}
				}
				wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{AgentID: a.ID}),
					[]string{model.EventOfferRescinded, model.EventOfferRescinded, model.EventAgentStatusChanged}, "agent events")
				wantTypes(t, eventsAfter(t, s, ws.ID, before, store.EventAudience{CustomerID: cu.ID}), nil, "customer events")
				snap, err := s.DispatchSnapshot(ctx, ws.ID)
				must(t, err, "snapshot")
				if len(snap.Queue) != 2 || len(snap.Agents) != 0 {
					t.Errorf("snapshot: %d queued, %d agents; want 2 and 0", len(snap.Queue), len(snap.Agents))
				}
				for _, q := range snap.Queue {
					if _, ok := q.TriedAgents[a.ID]; !ok {
						t.Errorf("conversation %d: agent not among tried agents", q.ID)
					}
				}
				// The conversation the agent already owns stays theirs.
				if c, _ := s.ConversationByID(ctx, ws.ID, kept.ID); c.Status != model.StatusAssigned || *c.AssigneeID != a.ID {
					t.Errorf("owned conversation %+v", c)
				}

				mid := head(t, s, ws.ID)
				_, rescinded, err = s.SetAgentStatus(ctx, ws.ID, a.ID, to, at(2*time.Minute))
				must(t, err, "same status again")
				if len(rescinded) != 0 || head(t, s, ws.ID) != mid {
					t.Error("setting the same status again did something")
				}
				back, _, err := s.SetAgentStatus(ctx, ws.ID, a.ID, model.AgentAvailable, at(3*time.Minute))
				must(t, err, "back to available")
				if back.Status != model.AgentAvailable {
					t.Errorf("status %s", back.Status)
				}
			})
		}
		t.Run("errors", func(t *testing.T) {
			ws := seedWorkspace(t, s, "errors")
			a := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
			_, _, err := s.SetAgentStatus(ctx, ws.ID, a.ID, "busy", at(0))
			wantErr(t, err, model.ErrInvalid, "unknown status")
			_, _, err = s.SetAgentStatus(ctx, ws.ID, a.ID+1000, model.AgentAway, at(0))
			wantErr(t, err, store.ErrNotFound, "unknown agent")
		})
	})
}

// --- dispatch and queue ----------------------------------------------------

func TestDispatchSnapshot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		bob := seedAgent(t, s, ws, "bob", 1, model.AgentAvailable)
		seedAgent(t, s, ws, "cid", 3, model.AgentOffline)
		seedAgent(t, s, ws, "dee", 3, model.AgentAway)

		assigned := assignedConversation(t, s, cu, ann, at(0))
		second := queuedConversation(t, s, cu, at(2*time.Minute))
		first := queuedConversation(t, s, cu, at(1*time.Minute))
		offered := queuedConversation(t, s, cu, at(30*time.Second))
		openConversation(t, s, cu, "assistant has this", at(0))
		makeOffer(t, s, offered, bob, at(3*time.Minute))
		declined := makeOffer(t, s, second, ann, at(3*time.Minute))
		_, err := s.DeclineOffer(ctx, ws.ID, declined.ID, ann.ID, at(4*time.Minute))
		must(t, err, "decline")

		snap, err := s.DispatchSnapshot(ctx, ws.ID)
		must(t, err, "snapshot")
		var ids []int64
		for _, q := range snap.Queue {
			ids = append(ids, q.ID)
		}
		if want := []int64{first.ID, second.ID}; fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("queue %v, want %v (oldest first, without the offered %d and assigned %d)", ids, want, offered.ID, assigned.ID)
		}
		if !snap.Queue[0].QueuedAt.Equal(at(time.Minute)) || len(snap.Queue[0].TriedAgents) != 0 {
			t.Errorf("first in queue %+v", snap.Queue[0])
		}
		if tried := snap.Queue[1].TriedAgents; len(tried) != 1 || !tried[ann.ID].Equal(at(4*time.Minute)) {
			t.Errorf("tried agents of the declined conversation %v", tried)
		}
		want := []store.AgentLoad{
			{ID: ann.ID, Capacity: 3, Active: 1, PendingOffers: 0},
			{ID: bob.ID, Capacity: 1, Active: 0, PendingOffers: 1},
		}
		if len(snap.Agents) != len(want) {
			t.Fatalf("agents %+v, want ann and bob only", snap.Agents)
		}
		for i, w := range want {
			g := snap.Agents[i]
			if g.ID != w.ID || g.Capacity != w.Capacity || g.Active != w.Active || g.PendingOffers != w.PendingOffers {
				t.Errorf("agent %d: %+v, want %+v", i, g, w)
			}
		}
		if snap.Agents[0].LastOfferedAt == nil || !snap.Agents[0].LastOfferedAt.Equal(at(3*time.Minute)) {
			t.Errorf("ann last offered at %v", snap.Agents[0].LastOfferedAt)
		}

		t.Run("tried agents reset when a conversation is queued again", func(t *testing.T) {
			o := makeOffer(t, s, second, ann, at(5*time.Minute))
			_, _, err := s.AcceptOffer(ctx, ws.ID, o.ID, ann.ID, at(5*time.Minute))
			must(t, err, "accept")
			_, _, err = s.ResolveConversation(ctx, ws.ID, second.ID, at(6*time.Minute))
			must(t, err, "resolve")
			_, _, _, err = s.AddMessage(ctx, customerMsg(cu, second, "it broke again", ""), at(7*time.Minute))
			must(t, err, "reopen")
			snap, err := s.DispatchSnapshot(ctx, ws.ID)
			must(t, err, "snapshot")
			for _, q := range snap.Queue {
				if q.ID == second.ID {
					if len(q.TriedAgents) != 0 {
						t.Errorf("tried agents after requeue %v", q.TriedAgents)
					}
					return
				}
			}
			t.Error("reopened conversation not in the queue")
		})
	})
}

// --- events ----------------------------------------------------------------

func TestEventsAfterAudiences(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "other")
		alice, bert := seedCustomer(t, s, ws, "alice"), seedCustomer(t, s, ws, "bert")
		ann := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		bob := seedAgent(t, s, ws, "bob", 3, model.AgentAvailable)
		if h := head(t, s, ws.ID); h != 0 {
			t.Errorf("head seq of an empty log %d, want 0", h)
		}

		convA := queuedConversation(t, s, alice, at(0))
		oA := makeOffer(t, s, convA, ann, at(time.Second))
		_, _, err := s.AcceptOffer(ctx, ws.ID, oA.ID, ann.ID, at(2*time.Second))
		must(t, err, "accept")
		convB := queuedConversation(t, s, bert, at(3*time.Second))
		oB := makeOffer(t, s, convB, bob, at(4*time.Second))
		_, _, _, err = s.AddMessage(ctx, agentMsg(ann, convA, "note: refund pending", true), at(5*time.Second))
		must(t, err, "note")
		_, _, _, err = s.AddMessage(ctx, agentMsg(ann, convA, "Hello Alice", false), at(6*time.Second))
		must(t, err, "reply")
		_, _, err = s.SetAgentStatus(ctx, ws.ID, ann.ID, model.AgentAway, at(7*time.Second))
		must(t, err, "ann away")
		// Noise in another workspace, interleaved in the global log.
		queuedConversation(t, s, seedCustomer(t, s, other, "zed"), at(8*time.Second))
		_, _, _, err = s.AddMessage(ctx, customerMsg(alice, convA, "Thanks!", ""), at(9*time.Second))
		must(t, err, "customer reply")

		admin := allEvents(t, s, ws.ID, store.EventAudience{})
		for i, e := range admin {
			if e.WorkspaceID != ws.ID {
				t.Errorf("admin sees event %d of workspace %d", e.Seq, e.WorkspaceID)
			}
			if i > 0 && e.Seq <= admin[i-1].Seq {
				t.Errorf("seq not increasing: %d after %d", e.Seq, admin[i-1].Seq)
			}
		}
		wantAdmin := []string{
			model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued, // A
			model.EventOfferCreated, model.EventOfferAccepted, model.EventConversationAssigned, // A to ann
			model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued, // B
			model.EventOfferCreated,                                                             // B to bob
			model.EventMessageCreated, model.EventMessageCreated, model.EventAgentStatusChanged, // note, reply, ann away
			model.EventMessageCreated, // alice
		}
		wantTypes(t, admin, wantAdmin, "admin events")
		if h := head(t, s, ws.ID); h != admin[len(admin)-1].Seq {
			t.Errorf("head seq %d, want %d", h, admin[len(admin)-1].Seq)
		}

		// Each audience must see exactly the admin events matching its rule.
		is := func(p *int64, v int64) bool { return p != nil && *p == v }
		audiences := []struct {
			name  string
			aud   store.EventAudience
			sees  func(e model.Event) bool
			types []string
		}{
			{
				name: "alice", aud: store.EventAudience{CustomerID: alice.ID},
				sees: func(e model.Event) bool { return is(e.ConversationID, convA.ID) && !e.StaffOnly },
				types: []string{model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued,
					model.EventConversationAssigned, model.EventMessageCreated, model.EventMessageCreated},
			},
			{
				name: "bert", aud: store.EventAudience{CustomerID: bert.ID},
				sees:  func(e model.Event) bool { return is(e.ConversationID, convB.ID) && !e.StaffOnly },
				types: []string{model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued},
			},
			{
				name: "ann (owns A)", aud: store.EventAudience{AgentID: ann.ID},
				sees: func(e model.Event) bool {
					return is(e.AgentID, ann.ID) || (e.AgentID == nil && is(e.ConversationID, convA.ID))
				},
				types: []string{model.EventConversationCreated, model.EventMessageCreated, model.EventConversationQueued,
					model.EventOfferCreated, model.EventOfferAccepted, model.EventConversationAssigned,
					model.EventMessageCreated, model.EventMessageCreated, model.EventAgentStatusChanged, model.EventMessageCreated},
			},
			{
				name: "bob (offered B)", aud: store.EventAudience{AgentID: bob.ID},
				sees:  func(e model.Event) bool { return is(e.AgentID, bob.ID) },
				types: []string{model.EventOfferCreated},
			},
		}
		for _, a := range audiences {
			t.Run(a.name, func(t *testing.T) {
				got := allEvents(t, s, ws.ID, a.aud)
				wantTypes(t, got, a.types, "events")
				var want []int64
				for _, e := range admin {
					if a.sees(e) {
						want = append(want, e.Seq)
					}
				}
				var seqs []int64
				for _, e := range got {
					seqs = append(seqs, e.Seq)
					if a.aud.CustomerID != 0 && (e.StaffOnly || !is(e.CustomerID, a.aud.CustomerID)) {
						t.Errorf("customer sees event %d %s (staff_only=%v)", e.Seq, e.Type, e.StaffOnly)
					}
					if e.Type == model.EventOfferCreated && !is(e.AgentID, oB.AgentID) && a.aud.AgentID == bob.ID {
						t.Errorf("bob sees another agent's offer")
					}
				}
				if fmt.Sprint(seqs) != fmt.Sprint(want) {
					t.Errorf("seqs %v, want %v", seqs, want)
				}
				// The streams apply the same rule in memory to one read of
				// the whole log (internal/stream): it must agree with the SQL.
				var convs []int64
				for _, e := range admin {
					if e.ConversationID != nil {
						convs = append(convs, *e.ConversationID)
					}
				}
				owners, err := s.ConversationOwners(ctx, ws.ID, convs)
				must(t, err, "owners")
				var inMemory []int64
				for _, e := range admin {
					if a.aud.Sees(e, func(conv int64) int64 { return owners[conv] }) {
						inMemory = append(inMemory, e.Seq)
					}
				}
				if fmt.Sprint(inMemory) != fmt.Sprint(seqs) {
					t.Errorf("EventAudience.Sees picks %v, the query %v", inMemory, seqs)
				}
			})
		}
		// Who holds what now, as the agents' streams ask it.
		owners, err := s.ConversationOwners(ctx, ws.ID, []int64{convA.ID, convB.ID, convA.ID + convB.ID + 100})
		must(t, err, "owners")
		if fmt.Sprint(owners) != fmt.Sprint(map[int64]int64{convA.ID: ann.ID}) {
			t.Errorf("owners %v, want only conversation %d held by %d", owners, convA.ID, ann.ID)
		}
		if owners, err := s.ConversationOwners(ctx, other.ID, []int64{convA.ID}); err != nil || len(owners) != 0 {
			t.Errorf("owners of a conversation asked through another workspace: %v, %v", owners, err)
		}
		// A customer of another workspace sees nothing here, whatever the id.
		if evs := allEvents(t, s, other.ID, store.EventAudience{CustomerID: alice.ID}); len(evs) != 0 {
			t.Errorf("alice sees %d events of another workspace", len(evs))
		}
	})
}

func TestEventsAfterCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		conv := openConversation(t, s, cu, "hi", at(0))
		for i := range 10 {
			_, _, _, err := s.AddMessage(ctx, customerMsg(cu, conv, fmt.Sprintf("m%d", i), ""), at(time.Duration(i)*time.Second))
			must(t, err, "add")
		}
		for _, limit := range []int{1, 2, 3, 7, 1000} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				var got []int64
				after := int64(0)
				for round := 0; ; round++ {
					page, err := s.EventsAfter(ctx, ws.ID, after, store.EventAudience{CustomerID: cu.ID}, limit)
					must(t, err, "page")
					if len(page) > limit {
						t.Fatalf("page of %d, limit %d", len(page), limit)
					}
					if len(page) == 0 {
						break
					}
					for _, e := range page {
						got = append(got, e.Seq)
					}
					after = page[len(page)-1].Seq
					// New events while a reader pages must show up, once.
					if round == 1 {
						_, _, _, err := s.AddMessage(ctx, customerMsg(cu, conv, "while paging", ""), at(time.Hour))
						must(t, err, "add while paging")
					}
				}
				want := allEvents(t, s, ws.ID, store.EventAudience{CustomerID: cu.ID})
				var wantSeqs []int64
				for _, e := range want {
					wantSeqs = append(wantSeqs, e.Seq)
				}
				if fmt.Sprint(got) != fmt.Sprint(wantSeqs) {
					t.Errorf("paged %v, want %v", got, wantSeqs)
				}
			})
		}
		// Every cursor position returns exactly the suffix.
		full := allEvents(t, s, ws.ID, store.EventAudience{})
		for k := range full {
			rest := eventsAfter(t, s, ws.ID, full[k].Seq, store.EventAudience{})
			if fmt.Sprint(seqsOf(rest)) != fmt.Sprint(seqsOf(full[k+1:])) {
				t.Fatalf("after %d: %d events %q, want %d", full[k].Seq, len(rest), types(rest), len(full)-k-1)
			}
		}
		if rest := eventsAfter(t, s, ws.ID, head(t, s, ws.ID), store.EventAudience{}); len(rest) != 0 {
			t.Errorf("%d events after head", len(rest))
		}
	})
}

// --- tenancy ---------------------------------------------------------------

func TestWorkspaceIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		wsA := seedWorkspace(t, s, "a")
		wsB := seedWorkspace(t, s, "b")
		cuA := seedCustomer(t, s, wsA, "u1")
		agA := seedAgent(t, s, wsA, "ann", 3, model.AgentAvailable)
		agB := seedAgent(t, s, wsB, "bob", 3, model.AgentAvailable)
		art, err := s.EnsureArticle(ctx, model.Article{WorkspaceID: wsA.ID, Title: "Refunds", Body: "…", Published: true})
		must(t, err, "article")
		convA := queuedConversation(t, s, cuA, at(0))
		offA := makeOffer(t, s, convA, agA, at(time.Second))
		B := wsB.ID
		headB := head(t, s, B)

		lookups := []struct {
			name string
			call func() error
		}{
			{"CustomerByID", func() error { _, err := s.CustomerByID(ctx, B, cuA.ID); return err }},
			{"AgentByID", func() error { _, err := s.AgentByID(ctx, B, agA.ID); return err }},
			{"ArticleByID", func() error { _, err := s.ArticleByID(ctx, B, art.ID); return err }},
			{"ConversationByID", func() error { _, err := s.ConversationByID(ctx, B, convA.ID); return err }},
			{"LastCustomerMessage", func() error { _, err := s.LastCustomerMessage(ctx, B, convA.ID); return err }},
			{"WorkspaceByID unknown", func() error { _, err := s.WorkspaceByID(ctx, B+1000); return err }},
			{"WorkspaceBySlug unknown", func() error { _, err := s.WorkspaceBySlug(ctx, "nope"); return err }},
			{"SetIdentitySecret unknown", func() error { return s.SetIdentitySecret(ctx, B+1000, "s") }},
			{"CreateConversation for a customer of A", func() error {
				_, _, _, err := s.CreateConversation(ctx, B, cuA.ID, store.NewMessage{Body: "hi"}, at(0))
				return err
			}},
			{"AddMessage", func() error {
				m := customerMsg(cuA, convA, "hi", "")
				m.WorkspaceID = B
				_, _, _, err := s.AddMessage(ctx, m, at(0))
				return err
			}},
			{"QueueConversation", func() error { _, _, err := s.QueueConversation(ctx, B, convA.ID, "x", at(0)); return err }},
			{"ResolveConversation", func() error { _, _, err := s.ResolveConversation(ctx, B, convA.ID, at(0)); return err }},
			{"CreateOffer of A's conversation", func() error {
				_, err := s.CreateOffer(ctx, B, convA.ID, agB.ID, at(time.Hour), at(0))
				return err
			}},
			{"CreateOffer to B's agent", func() error {
				c := queuedConversation(t, s, cuA, at(0))
				_, err := s.CreateOffer(ctx, wsA.ID, c.ID, agB.ID, at(time.Hour), at(0))
				return err
			}},
			{"AcceptOffer", func() error { _, _, err := s.AcceptOffer(ctx, B, offA.ID, agA.ID, at(2*time.Second)); return err }},
			{"DeclineOffer", func() error { _, err := s.DeclineOffer(ctx, B, offA.ID, agA.ID, at(2*time.Second)); return err }},
			{"SetAgentStatus", func() error { _, _, err := s.SetAgentStatus(ctx, B, agA.ID, model.AgentAway, at(0)); return err }},
		}
		for _, l := range lookups {
			t.Run(l.name, func(t *testing.T) { wantErr(t, l.call(), store.ErrNotFound, l.name) })
		}

		// Lists filtered by B show nothing of A.
		msgs, err := s.Messages(ctx, B, convA.ID, 0, 0, true)
		must(t, err, "messages")
		convs, err := s.Conversations(ctx, B, store.ConversationFilter{CustomerID: cuA.ID})
		must(t, err, "conversations")
		agents, err := s.Agents(ctx, B)
		must(t, err, "agents")
		arts, err := s.Articles(ctx, B, false)
		must(t, err, "articles")
		pending, err := s.PendingOffers(ctx, B, agA.ID)
		must(t, err, "pending offers")
		snap, err := s.DispatchSnapshot(ctx, B)
		must(t, err, "snapshot")
		evs := allEvents(t, s, B, store.EventAudience{})
		if len(msgs)+len(convs)+len(arts)+len(pending)+len(snap.Queue) != 0 || len(agents) != 1 || agents[0].ID != agB.ID ||
			len(snap.Agents) != 1 || snap.Agents[0].ID != agB.ID {
			t.Errorf("B sees A: %d messages, %d conversations, %d agents, %d articles, %d offers, snapshot %+v",
				len(msgs), len(convs), len(agents), len(arts), len(pending), snap)
		}
		for _, e := range evs {
			t.Errorf("B's log holds %s (conversation %v)", e.Type, e.ConversationID)
		}
		if h := head(t, s, B); h != headB {
			t.Errorf("refused cross-workspace calls appended events to B")
		}

		// And A is untouched.
		c, err := s.ConversationByID(ctx, wsA.ID, convA.ID)
		must(t, err, "A's conversation")
		a, err := s.AgentByID(ctx, wsA.ID, agA.ID)
		must(t, err, "A's agent")
		p, err := s.PendingOffers(ctx, wsA.ID, agA.ID)
		must(t, err, "A's offers")
		if c.Status != model.StatusQueued || c.LastSeq != 1 || a.Status != model.AgentAvailable || len(p) != 1 || p[0].ID != offA.ID {
			t.Errorf("A changed: conversation %s seq %d, agent %s, %d pending offers", c.Status, c.LastSeq, a.Status, len(p))
		}
	})
}

// --- concurrency -----------------------------------------------------------

// race runs n goroutines that start together and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts nil errors and fails on any error that is not one of allowed.
func tally(t *testing.T, errs []error, allowed ...error) (ok int) {
	t.Helper()
	for i, err := range errs {
		if err == nil {
			ok++
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || errors.Is(err, a)
		}
		if !known {
			t.Errorf("goroutine %d: unexpected error %v", i, err)
		}
	}
	return ok
}

func TestConcurrentAddMessage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := assignedConversation(t, s, cu, ag, at(0))
		const n = 50
		var mu sync.Mutex
		seqs := map[int64]int{}
		errs := race(n, func(i int) error {
			m := customerMsg(cu, conv, fmt.Sprintf("message %d", i), fmt.Sprintf("k%d", i))
			if i%2 == 1 {
				m = agentMsg(ag, conv, fmt.Sprintf("message %d", i), i%4 == 1)
			}
			msg, _, created, err := s.AddMessage(ctx, m, at(time.Second))
			if err != nil {
				return err
			}
			if !created {
				return fmt.Errorf("created=false")
			}
			mu.Lock()
			seqs[msg.Seq]++
			mu.Unlock()
			return nil
		})
		if ok := tally(t, errs); ok != n {
			t.Fatalf("%d of %d sends succeeded", ok, n)
		}
		for seq := int64(2); seq <= n+1; seq++ {
			if seqs[seq] != 1 {
				t.Errorf("seq %d handed out %d times", seq, seqs[seq])
			}
		}
		all, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, true)
		must(t, err, "messages")
		if len(all) != n+1 {
			t.Fatalf("%d messages stored, want %d", len(all), n+1)
		}
		for i, m := range all {
			if m.Seq != int64(i+1) {
				t.Fatalf("stored seqs have a gap or duplicate at %d: seq %d", i, m.Seq)
			}
		}
		c, err := s.ConversationByID(ctx, ws.ID, conv.ID)
		must(t, err, "conversation")
		if c.LastSeq != n+1 {
			t.Errorf("last_seq %d, want %d", c.LastSeq, n+1)
		}
		evs := allEvents(t, s, ws.ID, store.EventAudience{})
		if got := countType(evs, model.EventMessageCreated); got != n+1 {
			t.Errorf("%d message.created events, want %d", got, n+1)
		}

		t.Run("retries of one client_id store one message", func(t *testing.T) {
			var mu sync.Mutex
			ids := map[int64]bool{}
			createdCount := 0
			errs := race(20, func(int) error {
				msg, _, created, err := s.AddMessage(ctx, customerMsg(cu, conv, "retry me", "same-key"), at(time.Minute))
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				ids[msg.ID] = true
				if created {
					createdCount++
				}
				return nil
			})
			if ok := tally(t, errs); ok != 20 || createdCount != 1 || len(ids) != 1 {
				t.Errorf("%d ok, %d created, %d distinct messages; want 20, 1, 1", ok, createdCount, len(ids))
			}
		})
	})
}

func TestConcurrentAcceptOffer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
		conv := queuedConversation(t, s, cu, at(0))
		o := makeOffer(t, s, conv, ag, at(0))

		errs := race(20, func(int) error {
			_, _, err := s.AcceptOffer(ctx, ws.ID, o.ID, ag.ID, at(time.Second))
			return err
		})
		if ok := tally(t, errs, store.ErrOfferUnavailable); ok != 1 {
			t.Fatalf("%d accepts succeeded, want exactly 1", ok)
		}
		c, err := s.ConversationByID(ctx, ws.ID, conv.ID)
		must(t, err, "conversation")
		a, err := s.AgentByID(ctx, ws.ID, ag.ID)
		must(t, err, "agent")
		if c.Status != model.StatusAssigned || *c.AssigneeID != ag.ID || a.Active != 1 {
			t.Errorf("conversation %s, agent active %d", c.Status, a.Active)
		}
		evs := allEvents(t, s, ws.ID, store.EventAudience{})
		if countType(evs, model.EventOfferAccepted) != 1 || countType(evs, model.EventConversationAssigned) != 1 {
			t.Errorf("events %q", types(evs))
		}
	})
}

func TestConcurrentOffersForOneConversation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		conv := queuedConversation(t, s, cu, at(0))
		agents := make([]*model.Agent, 10)
		for i := range agents {
			agents[i] = seedAgent(t, s, ws, fmt.Sprintf("agent%d", i), 3, model.AgentAvailable)
		}
		errs := race(len(agents), func(i int) error {
			_, err := s.CreateOffer(ctx, ws.ID, conv.ID, agents[i].ID, at(time.Minute), at(0))
			return err
		})
		if ok := tally(t, errs, store.ErrConflict); ok != 1 {
			t.Fatalf("%d offers made for one conversation, want exactly 1", ok)
		}
		snap, err := s.DispatchSnapshot(ctx, ws.ID)
		must(t, err, "snapshot")
		pending := 0
		for _, a := range snap.Agents {
			pending += a.PendingOffers
		}
		if pending != 1 || len(snap.Queue) != 0 {
			t.Errorf("%d pending offers, %d queued without offer; want 1, 0", pending, len(snap.Queue))
		}
	})
}

func TestConcurrentCapacity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()

		t.Run("offers never exceed free slots", func(t *testing.T) {
			ws := seedWorkspace(t, s, "slots")
			cu := seedCustomer(t, s, ws, "u1")
			ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
			convs := make([]*model.Conversation, 10)
			for i := range convs {
				convs[i] = queuedConversation(t, s, cu, at(time.Duration(i)*time.Second))
			}
			errs := race(len(convs), func(i int) error {
				_, err := s.CreateOffer(ctx, ws.ID, convs[i].ID, ag.ID, at(time.Hour), at(time.Minute))
				return err
			})
			if ok := tally(t, errs, store.ErrConflict); ok != 3 {
				t.Errorf("%d offers made to an agent with 3 slots", ok)
			}
			pending, err := s.PendingOffers(ctx, ws.ID, ag.ID)
			must(t, err, "pending")
			if len(pending) != 3 {
				t.Errorf("%d pending offers, want 3", len(pending))
			}
			// Accepting them all, concurrently, fills the agent exactly.
			errs = race(len(pending), func(i int) error {
				_, _, err := s.AcceptOffer(ctx, ws.ID, pending[i].ID, ag.ID, at(2*time.Minute))
				return err
			})
			if ok := tally(t, errs); ok != 3 {
				t.Errorf("%d of 3 accepts succeeded", ok)
			}
			if a, _ := s.AgentByID(ctx, ws.ID, ag.ID); a.Active != 3 {
				t.Errorf("active %d, want 3", a.Active)
			}
		})

		t.Run("capacity one: second offer refused, accept and decline race", func(t *testing.T) {
			for round := range 5 {
				ws := seedWorkspace(t, s, fmt.Sprintf("one-%d", round))
				cu := seedCustomer(t, s, ws, "u1")
				ag := seedAgent(t, s, ws, "ann", 1, model.AgentAvailable)
				c1 := queuedConversation(t, s, cu, at(0))
				c2 := queuedConversation(t, s, cu, at(0))
				o := makeOffer(t, s, c1, ag, at(0))
				_, err := s.CreateOffer(ctx, ws.ID, c2.ID, ag.ID, at(time.Hour), at(0))
				wantErr(t, err, store.ErrConflict, "second offer to a full agent")

				var mu sync.Mutex
				var accepted, declined int
				errs := race(20, func(i int) error {
					var err error
					if i%2 == 0 {
						_, _, err = s.AcceptOffer(ctx, ws.ID, o.ID, ag.ID, at(time.Second))
					} else {
						_, err = s.DeclineOffer(ctx, ws.ID, o.ID, ag.ID, at(time.Second))
					}
					if err == nil {
						mu.Lock()
						if i%2 == 0 {
							accepted++
						} else {
							declined++
						}
						mu.Unlock()
					}
					return err
				})
				if ok := tally(t, errs, store.ErrOfferUnavailable); ok != 1 {
					t.Fatalf("round %d: %d decisions on one offer succeeded, want 1", round, ok)
				}
				a, err := s.AgentByID(ctx, ws.ID, ag.ID)
				must(t, err, "agent")
				c, err := s.ConversationByID(ctx, ws.ID, c1.ID)
				must(t, err, "conversation")
				_, err = s.CreateOffer(ctx, ws.ID, c2.ID, ag.ID, at(time.Hour), at(2*time.Second))
				switch {
				case accepted == 1:
					if a.Active != 1 || c.Status != model.StatusAssigned {
						t.Errorf("round %d: accepted but active %d, status %s", round, a.Active, c.Status)
					}
					wantErr(t, err, store.ErrConflict, "offer to a full agent")
				case declined == 1:
					if a.Active != 0 || c.Status != model.StatusQueued {
						t.Errorf("round %d: declined but active %d, status %s", round, a.Active, c.Status)
					}
					must(t, err, "offer after a decline")
				}
			}
		})

		t.Run("lowered capacity: concurrent accepts never overfill", func(t *testing.T) {
			for round := range 5 {
				ws := seedWorkspace(t, s, fmt.Sprintf("lowered-%d", round))
				cu := seedCustomer(t, s, ws, "u1")
				ag := seedAgent(t, s, ws, "ann", 3, model.AgentAvailable)
				offers := []*model.Offer{
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), ag, at(0)),
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), ag, at(0)),
					makeOffer(t, s, queuedConversation(t, s, cu, at(0)), ag, at(0)),
				}
				must(t, store.SetAgentCapacityForTest(ctx, s, ag.ID, 1), "lower capacity")
				errs := race(len(offers), func(i int) error {
					_, _, err := s.AcceptOffer(ctx, ws.ID, offers[i].ID, ag.ID, at(time.Second))
					return err
				})
				if ok := tally(t, errs, store.ErrCapacityFull); ok != 1 {
					t.Errorf("round %d: %d accepts succeeded for one free slot", round, ok)
				}
				if a, _ := s.AgentByID(ctx, ws.ID, ag.ID); a.Active != 1 {
					t.Errorf("round %d: active %d with capacity 1", round, a.Active)
				}
			}
		})
	})
}
