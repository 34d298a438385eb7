package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// everyEvent accepts every event, with its type as the payload.
func everyEvent(ev model.Event, e *store.WebhookEndpoint) (store.WebhookMessage, bool) {
	return store.WebhookMessage{Type: ev.Type, Payload: []byte(`"` + ev.Type + `"`)}, true
}

// TestWebhookOutboxConcurrentNodes: nodes fanning out and claiming at the
// same time create each delivery once and hand each one to one node.
func TestWebhookOutboxConcurrentNodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		openConversation(t, s, cu, "before the endpoints", at(0))
		var eps []*store.WebhookEndpoint
		for i := range 2 {
			e, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: fmt.Sprintf("https://h%d.test/", i),
				EventTypes: []string{"*"}, Enabled: true, Secret: "whsec_AAAA"}, at(0))
			must(t, err, "create endpoint")
			eps = append(eps, e)
		}
		if eps[0].FromSeq != head(t, s, ws.ID) {
			t.Errorf("from_seq %d, want the head %d", eps[0].FromSeq, head(t, s, ws.ID))
		}
		conv := openConversation(t, s, cu, "hello", at(time.Second))
		for i := range 20 {
			_, _, _, err := s.AddMessage(ctx, customerMsg(cu, conv, fmt.Sprintf("m%d", i), ""), at(2*time.Second))
			must(t, err, "add")
		}
		events := eventsAfter(t, s, ws.ID, eps[0].FromSeq, store.EventAudience{})
		want := 2 * len(events)
		if cur, err := s.WebhookCursor(ctx, ws.ID); err != nil || cur != 0 {
			t.Fatalf("cursor before any fan-out: %d, %v; want 0", cur, err)
		}

		var mu sync.Mutex
		created := 0
		errs := race(4, func(int) error {
			for {
				n, more, err := s.FanOutWebhooks(ctx, ws.ID, 7, everyEvent, at(time.Minute))
				if err != nil {
					return err
				}
				mu.Lock()
				created += n
				mu.Unlock()
				if !more {
					return nil
				}
			}
		})
		if ok := tally(t, errs); ok != 4 {
			t.Fatalf("%d of 4 fan-outs succeeded", ok)
		}
		if created != want {
			t.Fatalf("%d deliveries created, want %d (2 endpoints × %d events)", created, want, len(events))
		}
		if n, more, err := s.FanOutWebhooks(ctx, ws.ID, 7, everyEvent, at(time.Minute)); err != nil || n != 0 || more {
			t.Fatalf("a further fan-out: %d, %v, %v", n, more, err)
		}
		if cur, err := s.WebhookCursor(ctx, ws.ID); err != nil || cur != head(t, s, ws.ID) {
			t.Fatalf("cursor after the fan-out: %d, %v; want the head %d", cur, err, head(t, s, ws.ID))
		}

		claimed := map[int64]int{}
		errs = race(4, func(int) error {
			for {
				batch, err := s.ClaimWebhookDeliveries(ctx, at(time.Minute), time.Minute, 5)
				if err != nil {
					return err
				}
				if len(batch) == 0 {
					return nil
				}
				mu.Lock()
				for _, d := range batch {
					claimed[d.ID]++
					if d.Endpoint == nil || d.Endpoint.ID != d.EndpointID {
						t.Errorf("delivery %d without its endpoint", d.ID)
					}
				}
				mu.Unlock()
			}
		})
		if ok := tally(t, errs); ok != 4 {
			t.Fatalf("%d of 4 claimers succeeded", ok)
		}
		if len(claimed) != want {
			t.Fatalf("%d deliveries claimed, want %d", len(claimed), want)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("delivery %d claimed %d times", id, n)
			}
		}
		// Leased: nothing is due until the lease runs out, then all are.
		if batch, err := s.ClaimWebhookDeliveries(ctx, at(time.Minute+time.Second), time.Minute, 100); err != nil || len(batch) != 0 {
			t.Fatalf("during the lease: %d claimed, %v", len(batch), err)
		}
		batch, err := s.ClaimWebhookDeliveries(ctx, at(3*time.Minute), time.Minute, 100)
		must(t, err, "claim after the lease")
		if len(batch) != want {
			t.Fatalf("after the lease: %d claimed, want %d", len(batch), want)
		}
		code := 200
		_, err = s.RecordWebhookAttempt(ctx, batch[0].ID, store.WebhookAttempt{At: at(3 * time.Minute), StatusCode: &code}, true, nil)
		must(t, err, "record")
		log, err := s.WebhookDeliveries(ctx, ws.ID, batch[0].EndpointID, 0, 100)
		must(t, err, "deliveries")
		for _, d := range log {
			if d.ID == batch[0].ID && (d.Status != store.DeliveryDelivered || d.Attempts != 1 || len(d.Log) != 1 || *d.Log[0].StatusCode != 200) {
				t.Errorf("after a success: %+v", d)
			}
		}
		// Deleting an endpoint deletes its deliveries.
		must(t, s.DeleteWebhookEndpoint(ctx, ws.ID, eps[1].ID), "delete")
		if list, err := s.WebhookDeliveries(ctx, ws.ID, eps[1].ID, 0, 100); err != nil || len(list) != 0 {
			t.Errorf("deliveries of a deleted endpoint: %d, %v", len(list), err)
		}
		wantErr(t, s.DeleteWebhookEndpoint(ctx, ws.ID, eps[1].ID), store.ErrNotFound, "delete again")
	})
}
