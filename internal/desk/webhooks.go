package desk

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

// WebhookInput creates or changes a webhook endpoint; nil fields are left
// as they are on a change (on creation: no description, every type, no
// staff events, enabled).
type WebhookInput struct {
	URL         *string
	Description *string
	EventTypes  []string
	StaffEvents *bool
	Enabled     *bool
}

// Bounds on webhook settings.
const (
	maxWebhookURL         = 2000
	maxWebhookDescription = 500
	// DefaultSecretOverlap is how long the old secret keeps signing after a rotation.
	DefaultSecretOverlap = 24 * time.Hour
	maxSecretOverlap     = 7 * 24 * time.Hour
)

func validWebhookURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxWebhookURL {
		return model.Invalid("url", "must be an absolute http(s) URL of at most %d bytes", maxWebhookURL)
	}
	if u.User != nil {
		return model.Invalid("url", "must not carry credentials; the signature authenticates Tandem")
	}
	if !allowPrivate {
		if err := webhooks.CheckPublicURL(raw); err != nil {
			return model.Invalid("url", "%v", err)
		}
	}
	return nil
}

// webhookEdit returns the function that applies in to an endpoint.
func (d *Desk) webhookEdit(in WebhookInput) func(e *store.WebhookEndpoint) error {
	return func(e *store.WebhookEndpoint) error { return in.apply(e, d.webhooksAllowPrivate) }
}

func (in WebhookInput) apply(e *store.WebhookEndpoint, allowPrivate bool) error {
	if in.URL != nil {
		u := strings.TrimSpace(*in.URL)
		if err := validWebhookURL(u, allowPrivate); err != nil {
			return err
		}
		e.URL = u
	}
	if in.Description != nil {
		if len(*in.Description) > maxWebhookDescription {
			return model.Invalid("description", "must be at most %d bytes", maxWebhookDescription)
		}
		e.Description = *in.Description
	}
	if in.EventTypes != nil {
		if err := webhooks.ValidTypes(in.EventTypes); err != nil {
			return err
		}
		e.EventTypes = in.EventTypes
	}
	if in.StaffEvents != nil {
		e.StaffEvents = *in.StaffEvents
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	return nil
}

// webhooksChanged tells every node's webhook sender to re-read which
// workspaces have endpoints.
func (d *Desk) webhooksChanged() { d.bus.Publish(webhooks.TopicEndpoints) }

// CreateWebhook adds an endpoint to the admin's workspace, with a fresh
// signing secret. It receives the events that happen from now on.
func (d *Desk) CreateWebhook(ctx context.Context, a Actor, in WebhookInput) (*store.WebhookEndpoint, error) {
	if in.URL == nil {
		return nil, model.Invalid("url", "is required")
	}
	e := store.WebhookEndpoint{WorkspaceID: a.WorkspaceID, EventTypes: []string{webhooks.All}, Enabled: true, Secret: webhooks.NewSecret()}
	if err := d.webhookEdit(in)(&e); err != nil {
		return nil, err
	}
	out, err := d.store.CreateWebhookEndpoint(ctx, e, d.now())
	if err != nil {
		return nil, err
	}
	d.webhooksChanged()
	return out, nil
}

// Webhooks lists the admin's workspace's endpoints.
func (d *Desk) Webhooks(ctx context.Context, a Actor) ([]*store.WebhookEndpoint, error) {
	return d.store.WebhookEndpoints(ctx, a.WorkspaceID)
}

// Webhook returns one endpoint of the admin's workspace.
func (d *Desk) Webhook(ctx context.Context, a Actor, id int64) (*store.WebhookEndpoint, error) {
	return d.store.WebhookEndpoint(ctx, a.WorkspaceID, id)
}

// UpdateWebhook changes an endpoint.
func (d *Desk) UpdateWebhook(ctx context.Context, a Actor, id int64, in WebhookInput) (*store.WebhookEndpoint, error) {
	out, err := d.store.UpdateWebhookEndpoint(ctx, a.WorkspaceID, id, d.webhookEdit(in), d.now())
	if err != nil {
		return nil, err
	}
	d.webhooksChanged()
	return out, nil
}

// DeleteWebhook removes an endpoint and its delivery log.
func (d *Desk) DeleteWebhook(ctx context.Context, a Actor, id int64) error {
	if err := d.store.DeleteWebhookEndpoint(ctx, a.WorkspaceID, id); err != nil {
		return err
	}
	d.webhooksChanged()
	return nil
}

// RotateWebhookSecret gives an endpoint a new secret. For overlap, the old
// secret keeps signing too (two signatures per delivery), so the receiver
// can switch without losing a message.
func (d *Desk) RotateWebhookSecret(ctx context.Context, a Actor, id int64, overlap time.Duration) (*store.WebhookEndpoint, error) {
	if overlap < 0 || overlap > maxSecretOverlap {
		return nil, model.Invalid("overlap_seconds", "must be between 0 and %d", int(maxSecretOverlap.Seconds()))
	}
	now := d.now()
	return d.store.UpdateWebhookEndpoint(ctx, a.WorkspaceID, id, func(e *store.WebhookEndpoint) error {
		e.PreviousSecret, e.PreviousExpiresAt = "", nil
		if overlap > 0 {
			until := now.Add(overlap)
			e.PreviousSecret, e.PreviousExpiresAt = e.Secret, &until
		}
		e.Secret = webhooks.NewSecret()
		return nil
	}, now)
}

// WebhookDeliveries is an endpoint's delivery log, newest first.
func (d *Desk) WebhookDeliveries(ctx context.Context, a Actor, id, before int64, limit int) ([]*store.WebhookDelivery, error) {
	if _, err := d.store.WebhookEndpoint(ctx, a.WorkspaceID, id); err != nil {
		return nil, err
	}
	return d.store.WebhookDeliveries(ctx, a.WorkspaceID, id, before, limit)
}

// RetryWebhookDelivery sends a delivery again now (a failed one included).
func (d *Desk) RetryWebhookDelivery(ctx context.Context, a Actor, id, deliveryID int64) error {
	if err := d.store.RetryWebhookDelivery(ctx, a.WorkspaceID, id, deliveryID, d.now()); err != nil {
		return err
	}
	d.webhooksChanged() // wakes the senders
	return nil
}

// TestWebhook sends one webhook.test event to an endpoint, whatever it
// subscribed to and even when it is disabled (that is how an admin checks
// a fixed receiver before enabling it again). The delivery goes through the
// outbox like any other — signed, logged, retried — but no event is
// appended to the log: nothing happened in the workspace.
func (d *Desk) TestWebhook(ctx context.Context, a Actor, id int64) (*store.WebhookDelivery, error) {
	now := d.now()
	out, err := d.store.CreateTestWebhookDelivery(ctx, a.WorkspaceID, id, webhooks.TestMessage(id, now), now)
	if err != nil {
		return nil, err
	}
	d.webhooksChanged() // wakes the senders, on every node
	return out, nil
}
