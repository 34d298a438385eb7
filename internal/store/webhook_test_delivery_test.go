package store_test

import (
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/store"
)

// TestWebhookTestDeliveries: a test delivery goes to one endpoint, from no
// event (the log and the fan-out cursor do not move), with its own
// webhook-id and a negative event_seq; it is claimed even when the endpoint
// is disabled, whose other deliveries wait — and, waiting, do not count as
// due. Another workspace's endpoint is not found.
func TestWebhookTestDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		other := seedWorkspace(t, s, "globex")
		cu := seedCustomer(t, s, ws, "u1")
		ep, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://h.test/",
			EventTypes: []string{"csat.submitted"}, Enabled: true, Secret: "whsec_AAAA"}, at(0))
		must(t, err, "create endpoint")
		openConversation(t, s, cu, "hello", at(time.Second))
		if _, _, err := s.FanOutWebhooks(ctx, ws.ID, 100, everyEvent, at(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		// Disabled, with an ordinary delivery waiting.
		_, err = s.UpdateWebhookEndpoint(ctx, ws.ID, ep.ID, func(e *store.WebhookEndpoint) error { e.Enabled = false; return nil }, at(3*time.Second))
		must(t, err, "disable")
		if _, ok, err := s.NextWebhookAttempt(ctx); err != nil || ok {
			t.Errorf("next attempt with only a disabled endpoint's delivery: ok %v, %v; want none due", ok, err)
		}
		headBefore := head(t, s, ws.ID)
		cursorBefore, err := s.WebhookCursor(ctx, ws.ID)
		must(t, err, "cursor")

		m := store.WebhookMessage{Type: "webhook.test", Payload: []byte(`{"type":"webhook.test"}`)}
		d1, err := s.CreateTestWebhookDelivery(ctx, ws.ID, ep.ID, m, at(time.Minute))
		must(t, err, "create a test delivery")
		d2, err := s.CreateTestWebhookDelivery(ctx, ws.ID, ep.ID, m, at(time.Minute))
		must(t, err, "create another")
		if !d1.Test() || d1.EventSeq != -1 || d2.EventSeq != -2 || d1.MsgID == d2.MsgID || d1.MsgID == "" ||
			d1.EventType != "webhook.test" || d1.Payload != string(m.Payload) || d1.Status != store.DeliveryPending ||
			d1.EndpointID != ep.ID || d1.WorkspaceID != ws.ID || d1.NextAttemptAt == nil || !d1.NextAttemptAt.Equal(at(time.Minute)) {
			t.Fatalf("test deliveries %+v and %+v", d1, d2)
		}
		if head(t, s, ws.ID) != headBefore {
			t.Error("a test delivery appended to the event log")
		}
		if cur, err := s.WebhookCursor(ctx, ws.ID); err != nil || cur != cursorBefore {
			t.Errorf("cursor %d, %v after a test; want %d", cur, err, cursorBefore)
		}
		if n, _, err := s.FanOutWebhooks(ctx, ws.ID, 100, everyEvent, at(time.Minute)); err != nil || n != 0 {
			t.Errorf("fan-out after a test: %d, %v; want nothing", n, err)
		}
		wantErr(t, errOf(s.CreateTestWebhookDelivery(ctx, other.ID, ep.ID, m, at(time.Minute))), store.ErrNotFound, "another workspace's endpoint")
		wantErr(t, errOf(s.CreateTestWebhookDelivery(ctx, ws.ID, ep.ID+100, m, at(time.Minute))), store.ErrNotFound, "an unknown endpoint")

		if next, ok, err := s.NextWebhookAttempt(ctx); err != nil || !ok || !next.Equal(at(time.Minute)) {
			t.Errorf("next attempt: %v, %v, %v; want the tests, due at %v", next, ok, err, at(time.Minute))
		}
		batch, err := s.ClaimWebhookDeliveries(ctx, at(time.Hour), time.Minute, 100)
		must(t, err, "claim")
		if len(batch) != 2 || !batch[0].Test() || !batch[1].Test() || batch[0].Endpoint == nil || batch[0].Endpoint.ID != ep.ID {
			t.Fatalf("claimed %d deliveries of a disabled endpoint, want its 2 tests with the endpoint: %+v", len(batch), batch)
		}
		code := 204
		_, err = s.RecordWebhookAttempt(ctx, d1.ID, store.WebhookAttempt{At: at(time.Hour), StatusCode: &code}, true, nil)
		must(t, err, "record")
		log, err := s.WebhookDeliveries(ctx, ws.ID, ep.ID, 0, 100)
		must(t, err, "deliveries")
		tests := 0
		for _, d := range log {
			if d.Test() {
				tests++
			}
			if d.ID == d1.ID && (d.Status != store.DeliveryDelivered || len(d.Log) != 1 || *d.Log[0].StatusCode != 204) {
				t.Errorf("the delivered test in the log: %+v", d)
			}
		}
		if tests != 2 || len(log) < 3 || log[0].ID != d2.ID {
			t.Errorf("delivery log: %d entries, %d tests, newest %d; want the 2 tests, newest first, and the waiting ones", len(log), tests, log[0].ID)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }
