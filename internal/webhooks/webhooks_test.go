package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tandem-desk/tandem/internal/backoff"
	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/bus/bustest"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

const wait = 10 * time.Second

func TestSignMatchesTheStandardWebhooksVector(t *testing.T) {
	// The example of the Standard Webhooks specification.
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	got, err := webhooks.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(webhooks.HeaderID, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(webhooks.HeaderTimestamp, "1614265330")
	h.Set(webhooks.HeaderSignature, "v1,bm90IGl0 "+got)
	if err := webhooks.Verify(h, body, ts.Add(time.Minute), 5*time.Minute, secret); err != nil {
		t.Errorf("verify: %v", err)
	}
	if err := webhooks.Verify(h, body, ts.Add(time.Hour), 5*time.Minute, secret); err == nil {
		t.Error("a stale timestamp verified")
	}
	if err := webhooks.Verify(h, []byte(`{"test": 1}`), ts, 5*time.Minute, secret); err == nil {
		t.Error("a changed body verified")
	}
	if err := webhooks.Verify(h, body, ts, 5*time.Minute, webhooks.NewSecret()); err == nil {
		t.Error("another secret verified")
	}
}

func TestMessageFiltersTypesAndStaffEvents(t *testing.T) {
	conv := int64(3)
	note := model.Event{Type: model.EventMessageCreated, ConversationID: &conv, StaffOnly: true, Data: []byte(`{"body":"internal"}`), At: time.Unix(10, 0)}
	reply := model.Event{Type: model.EventMessageCreated, ConversationID: &conv, Data: []byte(`{"body":"hi"}`), At: time.Unix(10, 0)}
	queued := model.Event{Type: model.EventConversationQueued, ConversationID: &conv, Data: []byte(`{"id":3}`), At: time.Unix(10, 0)}
	offer := model.Event{Type: model.EventOfferCreated, StaffOnly: true, Data: []byte(`{"id":1}`), At: time.Unix(10, 0)}
	all := &store.WebhookEndpoint{EventTypes: []string{"*"}}
	staff := &store.WebhookEndpoint{EventTypes: []string{"*"}, StaffEvents: true}
	handoffs := &store.WebhookEndpoint{EventTypes: []string{webhooks.TypeConversationHandedOff}}
	cases := []struct {
		name string
		ev   model.Event
		e    *store.WebhookEndpoint
		want string // "" = not sent
	}{
		{"a reply goes to *", reply, all, webhooks.TypeMessageCreated},
		{"an internal note does not", note, all, ""},
		{"an internal note goes to staff endpoints", note, staff, webhooks.TypeMessageCreated},
		{"offers are staff events", offer, all, ""},
		{"offers go to staff endpoints", offer, staff, webhooks.TypeOfferCreated},
		{"queued is handed_off", queued, handoffs, webhooks.TypeConversationHandedOff},
		{"unsubscribed types are not sent", reply, handoffs, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, ok := webhooks.Message(c.ev, c.e)
			if (c.want != "") != ok || m.Type != c.want {
				t.Fatalf("sent=%v type %q, want %q", ok, m.Type, c.want)
			}
			if ok {
				var p struct {
					Type      string          `json:"type"`
					Timestamp time.Time       `json:"timestamp"`
					Data      json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil || p.Type != c.want || !p.Timestamp.Equal(c.ev.At) || string(p.Data) != string(c.ev.Data) {
					t.Errorf("payload %s (%v)", m.Payload, err)
				}
			}
		})
	}
	if err := webhooks.ValidTypes([]string{"message.created", "nonsense"}); err == nil {
		t.Error("an unknown type was accepted")
	}
}

// --- the sender, end to end, on every database and bus ---------------------

type backend struct {
	name  string
	store func(t *testing.T) *store.Store
}

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", func(t *testing.T) *store.Store {
		s, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}}}
	if _, why := storetest.PostgresURL(); why == "" {
		bs = append(bs, backend{"postgres", func(t *testing.T) *store.Store {
			s, err := store.OpenPostgres(t.Context(), storetest.NewPostgresDB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}})
	} else {
		t.Logf("postgres: skipped: %s", why)
	}
	return bs
}

// buses returns, per bus kind, a function making two "nodes" on it.
func buses(t *testing.T) map[string]func(t *testing.T) (bus.Bus, bus.Bus) {
	out := map[string]func(t *testing.T) (bus.Bus, bus.Bus){
		"memory": func(t *testing.T) (bus.Bus, bus.Bus) { b := bus.NewMemory(); return b, b },
	}
	if url, why := bustest.NATSURL(); why == "" {
		out["nats"] = func(t *testing.T) (bus.Bus, bus.Bus) { return bustest.NATSPair(t, url) }
	} else {
		t.Logf("nats: skipped: %s", why)
	}
	return out
}

// receiver is a webhook endpoint under test.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	ok  map[string]bool // webhook-ids answered with success
	// fail answers 500 to the first fail requests.
	fail int
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{ok: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body, time.Now()})
		fail := r.fail > 0
		if fail {
			r.fail--
		} else {
			r.ok[req.Header.Get(webhooks.HeaderID)] = true
		}
		r.mu.Unlock()
		if fail {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) list() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// acmeStore opens a fresh SQLite store, closed when t ends, with the
// workspace "acme" and one customer.
func acmeStore(t *testing.T) (*store.Store, *model.Workspace, *model.Customer) {
	t.Helper()
	ctx := t.Context()
	s, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, err := s.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := s.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws.ID, ExternalID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	return s, ws, cust
}

func runSender(t *testing.T, s *store.Store, b bus.Bus) *webhooks.Sender {
	return runSenderWith(t, webhooks.Options{Store: s, Bus: b, AllowPrivateNetworks: true, FirstRetry: 50 * time.Millisecond, Idle: 200 * time.Millisecond, Lease: 2 * time.Second})
}

// runSenderWith runs a sender with o until the test ends.
func runSenderWith(t *testing.T, o webhooks.Options) *webhooks.Sender {
	snd := webhooks.NewSender(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- snd.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Sender.Run: %v", err)
		}
	})
	return snd
}

func TestSenderDeliversSignedEventsOnceAcrossNodes(t *testing.T) {
	for _, be := range backends(t) {
		for busName, pair := range buses(t) {
			t.Run(be.name+"/"+busName, func(t *testing.T) {
				ctx := t.Context()
				s := be.store(t)
				b1, b2 := pair(t)
				ws, err := s.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme"})
				if err != nil {
					t.Fatal(err)
				}
				cust, _ := s.UpsertCustomer(ctx, model.Customer{WorkspaceID: ws.ID, ExternalID: "c1", Name: "C"})
				agent, _ := s.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: "a@x", Name: "A", Role: model.RoleAgent, PasswordHash: "x", Status: model.AgentAvailable})
				// An event before the endpoint exists is not sent.
				before, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "before"}, time.Now())
				if err != nil {
					t.Fatal(err)
				}

				pub, staff := newReceiver(t), newReceiver(t)
				pub.fail = 2 // the public endpoint fails twice, then recovers
				ePub, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: pub.srv.URL, EventTypes: []string{"*"}, Enabled: true, Secret: webhooks.NewSecret()}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				eStaff, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: staff.srv.URL,
					EventTypes: []string{webhooks.TypeMessageCreated}, StaffEvents: true, Enabled: true, Secret: webhooks.NewSecret()}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				// Two nodes, each with a sender, on one database and one bus.
				n1, n2 := runSender(t, s, b1), runSender(t, s, b2)

				conv, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "hello"}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if _, _, _, err = s.AddMessage(ctx, store.NewMessage{WorkspaceID: ws.ID, ConversationID: conv.ID, AuthorKind: model.AuthorAgent,
					AuthorID: &agent.ID, Body: "a private note", Internal: true}, time.Now()); err != nil {
					t.Fatal(err)
				}
				if _, _, err = s.QueueConversation(ctx, ws.ID, conv.ID, "human_request", time.Now()); err != nil {
					t.Fatal(err)
				}
				n1.Notify(ws.ID)
				n2.Notify(ws.ID)
				if before.ID == 0 {
					t.Fatal("no conversation before the endpoints")
				}

				// Public: conversation.created, message.created, handed_off — no note.
				wantPub := []string{webhooks.TypeConversationCreated, webhooks.TypeMessageCreated, webhooks.TypeConversationHandedOff}
				eventually(t, "3 public deliveries", func() bool { return delivered(pub) == 3 })
				// Staff: both message.created, the note included.
				eventually(t, "2 staff deliveries", func() bool { return delivered(staff) == 2 })
				// Nothing more may come: wait until the senders have provably
				// done all they will do for the events so far, then check.
				eventually(t, "the senders to catch up with the event log", func() bool {
					return caughtUp(t, s, ws.ID, map[int64]*receiver{ePub.ID: pub, eStaff.ID: staff})
				})
				checkDeliveries(t, pub, ePub.Secret, wantPub, 2)
				checkDeliveries(t, staff, eStaff.Secret, []string{webhooks.TypeMessageCreated, webhooks.TypeMessageCreated}, 0)
				var bodies []string
				for _, r := range staff.list() {
					bodies = append(bodies, string(r.body))
				}
				if !slices.ContainsFunc(bodies, func(b string) bool { return strings.Contains(b, "a private note") }) {
					t.Errorf("the staff endpoint did not get the note: %v", bodies)
				}
				for _, r := range pub.list() {
					if strings.Contains(string(r.body), "a private note") || strings.Contains(string(r.body), "before") {
						t.Errorf("the public endpoint got %s", r.body)
					}
				}

				// The delivery log shows the two failures and the success.
				log, err := s.WebhookDeliveries(ctx, ws.ID, ePub.ID, 0, 50)
				if err != nil {
					t.Fatal(err)
				}
				if len(log) != 3 {
					t.Fatalf("%d deliveries logged, want 3", len(log))
				}
				attempts := 0
				for _, d := range log {
					if d.Status != store.DeliveryDelivered || d.DeliveredAt == nil || len(d.Log) != d.Attempts {
						t.Errorf("delivery %d: status %s, %d attempts, %d logged", d.ID, d.Status, d.Attempts, len(d.Log))
					}
					attempts += d.Attempts
				}
				if attempts != 5 {
					t.Errorf("%d attempts in all, want 5 (3 deliveries, 2 failures)", attempts)
				}
			})
		}
	}
}

// caughtUp reports whether what the receivers got is all they will ever
// get for the workspace's events so far (no more events being made):
//   - the fan-out cursor is at the head of the event log, so every delivery
//     those events are owed has been recorded, and no other will be;
//   - every delivery is delivered, so none will be claimed and sent again;
//   - each receiver saw exactly the attempts its deliveries' logs record, so
//     no request was sent that was not recorded, nor recorded that was not
//     received. (A second attempt at a delivery while a first is under way
//     is what the claim's lease rules out; the store's tests check that.)
func caughtUp(t *testing.T, s *store.Store, workspaceID int64, receivers map[int64]*receiver) bool {
	t.Helper()
	ctx := t.Context()
	head, err := s.HeadSeq(ctx, workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	cursor, err := s.WebhookCursor(ctx, workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	if cursor != head {
		return false
	}
	for endpointID, r := range receivers {
		list, err := s.WebhookDeliveries(ctx, workspaceID, endpointID, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		attempts := 0
		for _, d := range list {
			if d.Status != store.DeliveryDelivered {
				return false
			}
			attempts += len(d.Log)
		}
		if len(r.list()) != attempts {
			return false
		}
	}
	return true
}

// delivered counts the distinct messages the receiver acknowledged.
func delivered(r *receiver) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ok)
}

// checkDeliveries checks every request is signed with secret, the types
// arrived in event order (by message), and retries kept the webhook-id.
func checkDeliveries(t *testing.T, r *receiver, secret string, wantTypes []string, wantRetries int) {
	t.Helper()
	got := r.list()
	seen := map[string]int{}
	var order []string
	for _, g := range got {
		if err := webhooks.Verify(g.header, g.body, time.Now(), 5*time.Minute, secret); err != nil {
			t.Errorf("request %s: %v", g.header.Get(webhooks.HeaderID), err)
		}
		id := g.header.Get(webhooks.HeaderID)
		if seen[id] == 0 {
			var p struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(g.body, &p)
			order = append(order, p.Type)
		}
		seen[id]++
	}
	retries := len(got) - len(seen)
	slices.Sort(order)
	want := slices.Clone(wantTypes)
	slices.Sort(want)
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("types %v, want %v", order, want)
	}
	if retries != wantRetries {
		t.Errorf("%d retried requests, want %d (requests by webhook-id: %v)", retries, wantRetries, seen)
	}
}

func TestRetriesBackOffAndGiveUp(t *testing.T) {
	ctx := t.Context()
	s, ws, cust := acmeStore(t)
	r := newReceiver(t)
	r.fail = 1 << 30 // never recovers
	e, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: r.srv.URL, EventTypes: []string{webhooks.TypeConversationCreated}, Enabled: true, Secret: webhooks.NewSecret()}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "hi"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := bus.NewMemory()
	met := metrics.New("test", nil)
	snd := runSenderWith(t, webhooks.Options{Store: s, Bus: b, Metrics: met, AllowPrivateNetworks: true, FirstRetry: 20 * time.Millisecond, MaxRetryDelay: 160 * time.Millisecond,
		GiveUpAfter: 1500 * time.Millisecond, Idle: 100 * time.Millisecond})
	snd.Notify(ws.ID)

	var d *store.WebhookDelivery
	eventually(t, "the delivery to fail for good", func() bool {
		list, err := s.WebhookDeliveries(ctx, ws.ID, e.ID, 0, 10)
		if err != nil || len(list) != 1 {
			return false
		}
		d = list[0]
		return d.Status == store.DeliveryFailed
	})
	// The schedule, not the machine's speed: each retry came no sooner than
	// its back-off (20, 40, 80, 160, 160 … ms, less at most 10 % jitter), so
	// 1.5 s leave room for at most 13 attempts, and for 3 even on a slow machine.
	if d.Attempts < 3 || d.Attempts > 13 || len(d.Log) != d.Attempts {
		t.Errorf("%d attempts (%d logged) before giving up, want 3 to 13", d.Attempts, len(d.Log))
	}
	for i := 1; i < len(d.Log); i++ {
		gap, least := d.Log[i].At.Sub(d.Log[i-1].At), backoff.Delay(i-1, 20*time.Millisecond, 160*time.Millisecond, -0.1)
		if gap < least-time.Millisecond {
			t.Errorf("attempt %d came %v after the one before, sooner than its back-off of %v", i+1, gap, least)
		}
	}
	if last := d.Log[len(d.Log)-1]; last.StatusCode == nil || *last.StatusCode != 500 || last.Error == "" {
		t.Errorf("last attempt logged as %+v", last)
	}
	if d.NextAttemptAt != nil {
		t.Errorf("a delivery that failed for good is still scheduled for %v", d.NextAttemptAt)
	}
	if len(r.list()) != d.Attempts {
		t.Errorf("the receiver saw %d requests for %d logged attempts", len(r.list()), d.Attempts)
	}
	// It never delivered anything: the endpoint is disabled, saying why.
	ep, err := s.WebhookEndpoint(ctx, ws.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Enabled || !strings.Contains(ep.DisabledReason, "status 500") {
		t.Errorf("an endpoint that failed throughout: enabled %v, reason %q", ep.Enabled, ep.DisabledReason)
	}
	want := `# HELP tandem_webhook_endpoints_disabled_total Webhook endpoints Tandem disabled because every delivery failed for as long as deliveries are retried.
# TYPE tandem_webhook_endpoints_disabled_total counter
tandem_webhook_endpoints_disabled_total 1
`
	if err := testutil.GatherAndCompare(met.Registry(), strings.NewReader(want), "tandem_webhook_endpoints_disabled_total"); err != nil {
		t.Errorf("the disabled endpoint is not counted: %v", err)
	}
}

func TestRotationSignsWithBothSecretsDuringTheOverlap(t *testing.T) {
	ctx := t.Context()
	s, ws, cust := acmeStore(t)
	r := newReceiver(t)
	old := webhooks.NewSecret()
	e, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: r.srv.URL, EventTypes: []string{"*"}, Enabled: true, Secret: old}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fresh := webhooks.NewSecret()
	until := time.Now().Add(time.Hour)
	if _, err := s.UpdateWebhookEndpoint(ctx, ws.ID, e.ID, func(e *store.WebhookEndpoint) error {
		e.PreviousSecret, e.PreviousExpiresAt, e.Secret = e.Secret, &until, fresh
		return nil
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	snd := runSender(t, s, bus.NewMemory())
	if _, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "hi"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	snd.Notify(ws.ID)
	eventually(t, "a delivery", func() bool { return len(r.list()) >= 2 })
	g := r.list()[0]
	if n := len(strings.Fields(g.header.Get(webhooks.HeaderSignature))); n != 2 {
		t.Errorf("%d signatures during the overlap, want 2", n)
	}
	for _, secret := range []string{old, fresh} {
		if err := webhooks.Verify(g.header, g.body, time.Now(), time.Minute, secret); err != nil {
			t.Errorf("a receiver with one of the secrets cannot verify: %v", err)
		}
	}
}

// TestAttemptDurationIsWallClock runs the sender on a clock a day behind
// the wall clock: an attempt's recorded duration is how long the request
// took, not the distance between the two clocks.
func TestAttemptDurationIsWallClock(t *testing.T) {
	ctx := t.Context()
	began := time.Now()
	s, ws, cust := acmeStore(t)
	r := newReceiver(t)
	behind := func() time.Time { return time.Now().Add(-24 * time.Hour) }
	e, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: r.srv.URL, EventTypes: []string{webhooks.TypeConversationCreated}, Enabled: true, Secret: webhooks.NewSecret()}, behind())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "hi"}, behind()); err != nil {
		t.Fatal(err)
	}
	snd := runSenderWith(t, webhooks.Options{Store: s, Bus: bus.NewMemory(), AllowPrivateNetworks: true, Now: behind, Idle: 100 * time.Millisecond})
	snd.Notify(ws.ID)

	var d *store.WebhookDelivery
	eventually(t, "the delivery", func() bool {
		list, err := s.WebhookDeliveries(ctx, ws.ID, e.ID, 0, 10)
		if err != nil || len(list) != 1 || list[0].Status != store.DeliveryDelivered {
			return false
		}
		d = list[0]
		return true
	})
	if took, elapsed := d.Log[0].Duration, time.Since(began); took < 0 || took > elapsed {
		t.Errorf("the attempt is recorded as taking %v, in a test that ran %v", took, elapsed)
	}
}
