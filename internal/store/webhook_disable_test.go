package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/store"
)

// TestWebhookEndpointDisabledAfterFailingThroughout: a delivery given up on
// while its endpoint delivered nothing since that delivery was made
// disables the endpoint, with the reason; its other deliveries then wait,
// and an admin enabling it again clears the reason and lets them go. An
// endpoint that delivered something meanwhile stays enabled.
func TestWebhookEndpointDisabledAfterFailingThroughout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		dead, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://dead.test/",
			EventTypes: []string{"*"}, Enabled: true, Secret: "whsec_AAAA"}, at(0))
		must(t, err, "create endpoint")
		flaky, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://flaky.test/",
			EventTypes: []string{"*"}, Enabled: true, Secret: "whsec_AAAA"}, at(0))
		must(t, err, "create endpoint")
		openConversation(t, s, cu, "one", at(time.Second))
		openConversation(t, s, cu, "two", at(2*time.Second))
		if _, _, err := s.FanOutWebhooks(ctx, ws.ID, 100, everyEvent, at(3*time.Second)); err != nil {
			t.Fatal(err)
		}
		batch, err := s.ClaimWebhookDeliveries(ctx, at(time.Hour), time.Minute, 100)
		must(t, err, "claim")
		by := map[int64][]*store.WebhookDelivery{}
		for _, d := range batch {
			by[d.EndpointID] = append(by[d.EndpointID], d)
		}
		if len(by[dead.ID]) < 2 || len(by[flaky.ID]) < 2 {
			t.Fatalf("deliveries per endpoint: %d and %d, want at least 2 each", len(by[dead.ID]), len(by[flaky.ID]))
		}
		code := 503
		failed := store.WebhookAttempt{At: at(72 * time.Hour), StatusCode: &code, Error: "status 503"}
		ok := 200

		// The flaky endpoint delivered its second event: one given-up
		// delivery does not disable it.
		_, err = s.RecordWebhookAttempt(ctx, by[flaky.ID][1].ID, store.WebhookAttempt{At: at(time.Hour), StatusCode: &ok}, true, nil)
		must(t, err, "record a success")
		disabled, err := s.RecordWebhookAttempt(ctx, by[flaky.ID][0].ID, failed, false, nil)
		must(t, err, "record a failure")
		if disabled {
			t.Error("an endpoint that delivered something meanwhile was disabled")
		}

		disabled, err = s.RecordWebhookAttempt(ctx, by[dead.ID][0].ID, failed, false, nil)
		must(t, err, "record the give-up")
		if !disabled {
			t.Fatal("an endpoint that failed throughout was not disabled")
		}
		e, err := s.WebhookEndpoint(ctx, ws.ID, dead.ID)
		must(t, err, "read endpoint")
		if e.Enabled || !strings.Contains(e.DisabledReason, "status 503") {
			t.Errorf("after failing throughout: enabled %v, reason %q", e.Enabled, e.DisabledReason)
		}
		// Its other delivery waits (only the flaky endpoint's are due)...
		again, err := s.ClaimWebhookDeliveries(ctx, at(100*time.Hour), time.Minute, 100)
		must(t, err, "claim while disabled")
		for _, d := range again {
			if d.EndpointID == dead.ID {
				t.Errorf("delivery %d of a disabled endpoint was claimed", d.ID)
			}
		}
		// ...and does not count as due: nothing else is pending now (the
		// flaky endpoint's were just claimed), so the sender has nothing to wake for.
		if next, ok, err := s.NextWebhookAttempt(ctx); err != nil || (ok && !next.After(at(100*time.Hour))) {
			t.Errorf("next attempt %v (%v, %v): a disabled endpoint's delivery counts as due", next, ok, err)
		}
		e, err = s.UpdateWebhookEndpoint(ctx, ws.ID, dead.ID, func(e *store.WebhookEndpoint) error { e.Enabled = true; return nil }, at(101*time.Hour))
		must(t, err, "enable again")
		if !e.Enabled || e.DisabledReason != "" {
			t.Errorf("enabled again: enabled %v, reason %q", e.Enabled, e.DisabledReason)
		}
		after, err := s.ClaimWebhookDeliveries(ctx, at(102*time.Hour), time.Minute, 100)
		must(t, err, "claim after enabling")
		var waited *store.WebhookDelivery
		for _, d := range after {
			if d.ID == by[dead.ID][1].ID {
				waited = d
			}
		}
		if waited == nil {
			t.Fatal("the waiting delivery did not go out once the endpoint was enabled again")
		}
		// It starts afresh: one more failure now is a retry, not a give-up
		// that would disable the endpoint again at once.
		if !waited.CreatedAt.Equal(at(101*time.Hour)) || waited.Attempts != 0 {
			t.Errorf("the waiting delivery after enabling: created %v, %d attempts; want now and 0", waited.CreatedAt, waited.Attempts)
		}
	})
}
