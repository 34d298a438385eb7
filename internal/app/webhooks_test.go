package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

type webhookJSON struct {
	ID                      int64      `json:"id"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	EventTypes              []string   `json:"event_types"`
	StaffEvents             bool       `json:"staff_events"`
	Enabled                 bool       `json:"enabled"`
	Secret                  string     `json:"secret"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
}

type deliveryJSON struct {
	ID        int64           `json:"id"`
	EventType string          `json:"event_type"`
	MsgID     string          `json:"msg_id"`
	Status    string          `json:"status"`
	Attempts  int             `json:"attempts"`
	Payload   json.RawMessage `json:"payload"`
	Log       []struct {
		Attempt    int  `json:"attempt"`
		StatusCode *int `json:"status_code"`
	} `json:"log"`
}

// TestWebhooksRefusePrivateURLsByDefault: without --webhook-allow-private
// an admin cannot point a webhook at the server's own network (SSRF), and
// the error says how an operator allows it.
func TestWebhooksRefusePrivateURLsByDefault(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(t, "admin@acme.test", "demo")
	for _, u := range []string{"http://127.0.0.1:5432/", "http://localhost:8080/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/x"} {
		status, raw := e.do(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": u})
		if status != 400 || !strings.Contains(string(raw), "--webhook-allow-private") {
			t.Errorf("POST a webhook to %s: %d %s; want 400 naming --webhook-allow-private", u, status, raw)
		}
	}
	var hook webhookJSON
	e.call(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://hooks.example.com/tandem"}, 201, &hook)
	e.fails(t, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), admin, map[string]any{"url": "http://10.0.0.8/"}, 400, "bad_request")
}

// runWebhooks runs the app's webhook sender until the test ends.
func runWebhooks(t *testing.T, a *app.App) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Webhooks.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("webhooks: %v", err)
		}
	})
}

// TestWebhooksAPI: admins manage endpoints; what customers and agents do
// arrives signed; internal notes only reach endpoints that opt in; the
// delivery log shows every attempt; a rotated secret signs alongside the
// old one during the overlap.
func TestWebhooksAPI(t *testing.T) {
	// The receiver listens on 127.0.0.1, a private address: allow it.
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) { c.WebhookAllowPrivate = true }})
	runWebhooks(t, e.app)
	admin, _ := e.login(t, "admin@acme.test", "demo")
	agentTok, _ := e.login(t, "ana@acme.test", "demo")
	cust := e.customer(t, "acme")

	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	defer receiver.Close()

	// Who may manage webhooks, and what is valid.
	e.fails(t, "GET", "/api/v1/webhooks", agentTok, nil, 403, "forbidden")
	e.fails(t, "POST", "/api/v1/webhooks", cust, map[string]any{"url": receiver.URL}, 403, "forbidden")
	e.fails(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": "ftp://x"}, 400, "bad_request")
	e.fails(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": receiver.URL, "event_types": []string{"nope"}}, 400, "bad_request")
	e.fails(t, "POST", "/api/v1/webhooks", admin, map[string]any{"event_types": []string{"*"}}, 400, "bad_request")
	e.fails(t, "GET", "/api/v1/webhooks/999", admin, nil, 404, "not_found")

	var hook webhookJSON
	e.call(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": receiver.URL, "description": "CRM",
		"event_types": []string{webhooks.TypeMessageCreated, webhooks.TypeConversationHandedOff}}, 201, &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") || !hook.Enabled || hook.StaffEvents || len(hook.EventTypes) != 2 {
		t.Fatalf("created %+v", hook)
	}
	var list struct {
		Webhooks []webhookJSON `json:"webhooks"`
	}
	e.call(t, "GET", "/api/v1/webhooks", admin, nil, 200, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != "" {
		t.Fatalf("list %+v: one endpoint, without its secret", list.Webhooks)
	}

	conv := e.start(t, cust, "w1", "I want to talk to a person")
	var c conversation
	e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/handoff", conv.ID), cust, nil, 200, &c)
	e.post(t, agentTok, conv.ID, "n1", "note: VIP, be nice", true)
	e.post(t, cust, conv.ID, "w2", "still there?", false)

	var log struct {
		Deliveries []deliveryJSON `json:"deliveries"`
	}
	eventually(t, 10*time.Second, "the deliveries", func() bool {
		e.call(t, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook.ID), admin, nil, 200, &log)
		done := 0
		for _, d := range log.Deliveries {
			if d.Status == "delivered" {
				done++
			}
		}
		return done >= 3 && done == len(log.Deliveries)
	})
	types := map[string]int{}
	for _, d := range log.Deliveries {
		types[d.EventType]++
		if d.Attempts != 1 || len(d.Log) != 1 || *d.Log[0].StatusCode != 200 {
			t.Errorf("delivery %+v", d)
		}
		if strings.Contains(string(d.Payload), "VIP") {
			t.Errorf("an internal note went to an endpoint without staff events: %s", d.Payload)
		}
	}
	if types[webhooks.TypeConversationHandedOff] != 1 || types[webhooks.TypeMessageCreated] < 2 {
		t.Errorf("delivered types %v", types)
	}
	mu.Lock()
	for i, r := range got {
		if err := webhooks.Verify(r.Header, bodies[i], time.Now(), time.Minute, hook.Secret); err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	mu.Unlock()

	// Staff events on, secret rotated: the note's successor goes out, signed twice.
	var rotated webhookJSON
	e.call(t, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), admin, map[string]any{"staff_events": true}, 200, nil)
	e.call(t, "POST", fmt.Sprintf("/api/v1/webhooks/%d/rotate-secret", hook.ID), admin, map[string]any{"overlap_seconds": 3600}, 200, &rotated)
	if rotated.Secret == hook.Secret || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotation: %+v", rotated)
	}
	e.post(t, agentTok, conv.ID, "n2", "second note", true)
	eventually(t, 10*time.Second, "the note delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(string(bodies[len(bodies)-1]), "second note")
	})
	mu.Lock()
	last, lastBody := got[len(got)-1], bodies[len(bodies)-1]
	mu.Unlock()
	if n := len(strings.Fields(last.Header.Get(webhooks.HeaderSignature))); n != 2 {
		t.Errorf("%d signatures during the overlap, want 2", n)
	}
	for _, s := range []string{hook.Secret, rotated.Secret} {
		if err := webhooks.Verify(last.Header, lastBody, time.Now(), time.Minute, s); err != nil {
			t.Errorf("verify with one of the two secrets: %v", err)
		}
	}

	e.call(t, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), admin, nil, 204, nil)
	e.fails(t, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook.ID), admin, nil, 404, "not_found")
}

// TestWebhookTestEvent: an admin's "send test event" reaches the endpoint
// once, signed with its secret, even though the endpoint subscribed to
// other types and is disabled (and it stays disabled); it is in the
// delivery log; agents may not send one; an unknown endpoint is 404.
func TestWebhookTestEvent(t *testing.T) {
	e := startEnv(t, envOptions{logLevel: slog.LevelWarn, configure: func(c *config.Config) { c.WebhookAllowPrivate = true }})
	runWebhooks(t, e.app)
	admin, _ := e.login(t, "admin@acme.test", "demo")
	agentTok, _ := e.login(t, "ana@acme.test", "demo")

	type received struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var got []received
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Clone(), b})
		mu.Unlock()
	}))
	defer receiver.Close()

	var hook webhookJSON
	e.call(t, "POST", "/api/v1/webhooks", admin, map[string]any{"url": receiver.URL,
		"event_types": []string{webhooks.TypeCSATSubmitted}}, 201, &hook)
	e.call(t, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), admin, map[string]any{"enabled": false}, 200, nil)

	path := fmt.Sprintf("/api/v1/webhooks/%d/test", hook.ID)
	e.fails(t, "POST", path, agentTok, nil, 403, "forbidden")
	e.fails(t, "POST", "/api/v1/webhooks/999999/test", admin, nil, 404, "not_found")

	var sent struct {
		deliveryJSON
		Test     bool  `json:"test"`
		EventSeq int64 `json:"event_seq"`
	}
	e.call(t, "POST", path, admin, nil, 202, &sent)
	if !sent.Test || sent.EventSeq != 0 || sent.EventType != webhooks.TypeTest || sent.Status != "pending" || sent.MsgID == "" {
		t.Fatalf("test delivery %+v", sent)
	}

	var log struct {
		Deliveries []deliveryJSON `json:"deliveries"`
	}
	eventually(t, 10*time.Second, "the test delivered", func() bool {
		e.call(t, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hook.ID), admin, nil, 200, &log)
		return len(log.Deliveries) == 1 && log.Deliveries[0].Status == "delivered"
	})
	if d := log.Deliveries[0]; d.ID != sent.ID || d.Attempts != 1 || len(d.Log) != 1 || *d.Log[0].StatusCode != 200 {
		t.Errorf("the delivery log: %+v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if err := webhooks.Verify(r.header, r.body, time.Now(), time.Minute, hook.Secret); err != nil {
		t.Errorf("verify with the endpoint's secret: %v", err)
	}
	if id := r.header.Get(webhooks.HeaderID); id != sent.MsgID {
		t.Errorf("webhook-id %q, want the delivery's %q", id, sent.MsgID)
	}
	var body struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      struct {
			EndpointID int64  `json:"endpoint_id"`
			Message    string `json:"message"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Type != webhooks.TypeTest || body.Timestamp.IsZero() ||
		body.Data.EndpointID != hook.ID || body.Data.Message != "This is a test event from Tandem." {
		t.Errorf("body %s (%v)", r.body, err)
	}
	var after webhookJSON
	e.call(t, "GET", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), admin, nil, 200, &after)
	if after.Enabled {
		t.Error("a test enabled the endpoint")
	}
}
