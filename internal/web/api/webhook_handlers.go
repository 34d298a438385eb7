package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/store"
)

// webhookJSON is a webhook endpoint as admins see it. The secret is shown
// when the endpoint is created or rotated and when it is read alone, never
// in the list.
type webhookJSON struct {
	ID                      int64      `json:"id"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	EventTypes              []string   `json:"event_types"`
	StaffEvents             bool       `json:"staff_events"`
	Enabled                 bool       `json:"enabled"`
	DisabledReason          string     `json:"disabled_reason,omitempty"`
	Secret                  string     `json:"secret,omitempty"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

func toWebhookJSON(e *store.WebhookEndpoint, withSecret bool) webhookJSON {
	out := webhookJSON{
		ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes, StaffEvents: e.StaffEvents,
		Enabled: e.Enabled, DisabledReason: e.DisabledReason, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if e.PreviousSecret != "" && e.PreviousExpiresAt != nil && time.Now().Before(*e.PreviousExpiresAt) {
		out.PreviousSecretExpiresAt = e.PreviousExpiresAt
	}
	if withSecret {
		out.Secret = e.Secret
	}
	return out
}

type deliveryAttemptJSON struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Response   string    `json:"response,omitempty"`
}

type deliveryJSON struct {
	ID            int64                 `json:"id"`
	EventSeq      int64                 `json:"event_seq"`
	Test          bool                  `json:"test"`
	EventType     string                `json:"event_type"`
	MsgID         string                `json:"msg_id"`
	Status        string                `json:"status"`
	Attempts      int                   `json:"attempts"`
	NextAttemptAt *time.Time            `json:"next_attempt_at"`
	LastAttemptAt *time.Time            `json:"last_attempt_at"`
	LastStatus    *int                  `json:"last_status"`
	LastError     string                `json:"last_error,omitempty"`
	CreatedAt     time.Time             `json:"created_at"`
	DeliveredAt   *time.Time            `json:"delivered_at"`
	Payload       json.RawMessage       `json:"payload"`
	Log           []deliveryAttemptJSON `json:"log"`
}

func toDeliveryJSON(d *store.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, EventSeq: d.EventSeq, EventType: d.EventType, MsgID: d.MsgID, Status: d.Status, Attempts: d.Attempts,
		LastAttemptAt: d.LastAttemptAt, LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt, Payload: json.RawMessage(d.Payload), Log: []deliveryAttemptJSON{},
	}
	if d.Test() {
		out.EventSeq, out.Test = 0, true // from no event
	}
	if d.Status == store.DeliveryPending {
		out.NextAttemptAt = d.NextAttemptAt
	}
	for _, a := range d.Log {
		out.Log = append(out.Log, deliveryAttemptJSON{
			Attempt: a.Attempt, At: a.At, StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.Duration.Milliseconds(), Response: a.Response,
		})
	}
	return out
}

// webhookRequest is the body of POST /webhooks and PATCH /webhooks/{id}.
type webhookRequest struct {
	URL         *string  `json:"url"`
	Description *string  `json:"description"`
	EventTypes  []string `json:"event_types"`
	StaffEvents *bool    `json:"staff_events"`
	Enabled     *bool    `json:"enabled"`
}

func (req webhookRequest) input() desk.WebhookInput {
	return desk.WebhookInput{URL: req.URL, Description: req.Description, EventTypes: req.EventTypes, StaffEvents: req.StaffEvents, Enabled: req.Enabled}
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Webhooks(r.Context(), act)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, 0, len(list))
	for _, e := range list {
		out = append(out, toWebhookJSON(e, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	e, err := a.desk.CreateWebhook(r.Context(), act, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toWebhookJSON(e, true))
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	e, err := a.desk.Webhook(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(e, true))
	return nil
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	e, err := a.desk.UpdateWebhook(r.Context(), act, id, req.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(e, false))
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.desk.DeleteWebhook(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	req := struct {
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}{}
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	overlap := desk.DefaultSecretOverlap
	if req.OverlapSeconds != nil {
		overlap = time.Duration(*req.OverlapSeconds) * time.Second
	}
	e, err := a.desk.RotateWebhookSecret(r.Context(), act, id, overlap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(e, true))
	return nil
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	list, err := a.desk.WebhookDeliveries(r.Context(), act, id, before, int(limit))
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		out = append(out, toDeliveryJSON(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
	return nil
}

func (a *API) retryWebhookDelivery(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	deliveryID, err := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	if err != nil || deliveryID <= 0 {
		return &apiError{http.StatusNotFound, "not_found", "no such delivery"}
	}
	if err := a.desk.RetryWebhookDelivery(r.Context(), act, id, deliveryID); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "pending"})
	return nil
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.desk.TestWebhook(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
	return nil
}
