package webhooks_test

import (
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

// TestWorkspaceEventsAreStaffWebhooks: tag changes and transfers can be
// subscribed to, and reach only endpoints that opted in to staff events.
func TestWorkspaceEventsAreStaffWebhooks(t *testing.T) {
	conv := int64(7)
	for _, typ := range []string{model.EventConversationTagged, model.EventConversationTransferred} {
		if err := webhooks.ValidTypes([]string{typ}); err != nil {
			t.Errorf("cannot subscribe to %s: %v", typ, err)
		}
		ev := model.Event{Type: typ, ConversationID: &conv, StaffOnly: true, Data: []byte(`{"id":7,"tags":["vip"]}`), At: time.Unix(20, 0)}
		public := &store.WebhookEndpoint{EventTypes: []string{typ}}
		staff := &store.WebhookEndpoint{EventTypes: []string{typ}, StaffEvents: true}
		if _, ok := webhooks.Message(ev, public); ok {
			t.Errorf("%s went to an endpoint without staff events", typ)
		}
		m, ok := webhooks.Message(ev, staff)
		if !ok || m.Type != typ {
			t.Errorf("%s to a staff endpoint: %+v, %v", typ, m, ok)
		}
	}
}
