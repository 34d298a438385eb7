// Package api serves Tandem's JSON HTTP API v1 and its WebSocket stream.
// Handlers decode and validate input, call one desk use case and encode the
// result; errors are mapped to statuses in one place (writeError).
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

// SessionCookie carries a staff token for the browser UI.
const SessionCookie = "tandem_session"

//go:embed openapi.json
var openAPI []byte

// API serves /api/v1.
type API struct {
	desk   *desk.Desk
	people *people.Service
	log    *slog.Logger
	cop    *http.CrossOriginProtection
}

// New returns the API over a desk.
func New(d *desk.Desk, log *slog.Logger, opts ...Option) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{desk: d, log: log, cop: http.NewCrossOriginProtection()}
	for _, o := range opts {
		o(a)
	}
	return a
}

// handlerFunc is an HTTP handler that returns its error; serve maps it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// serve adapts a handlerFunc: CORS headers, the text every route refuses
// (checkText), then the error mapping.
func (a *API) serve(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The widget runs on customers' sites and authenticates with a
		// bearer token, never a cookie, so any origin may call the API.
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", "*")
		hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		hdr.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		hdr.Set("Access-Control-Max-Age", "600")
		err := checkText(w, r)
		if err == nil {
			err = fn(w, r)
		}
		if err != nil {
			a.writeError(w, r, err)
		}
	})
}

// apiError is an error with its HTTP status and code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

var errNotFoundRoute = &apiError{http.StatusNotFound, "not_found", "no such endpoint"}

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...)}
}

// writeError is the one place errors become statuses.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var ve *model.ValidationError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &tooBig):
		ae = &apiError{http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("request body is over %d bytes", MaxBodyBytes)}
	case errors.As(err, &ve):
		ae = &apiError{http.StatusBadRequest, "bad_request", ve.Error()}
	case errors.Is(err, desk.ErrUnauthorized):
		ae = &apiError{http.StatusUnauthorized, "unauthorized", message(err, "authentication required")}
	case errors.Is(err, desk.ErrThrottled):
		ae = &apiError{http.StatusTooManyRequests, "too_many_attempts", message(err, "too many attempts")}
	case errors.Is(err, desk.ErrForbidden):
		ae = &apiError{http.StatusForbidden, "forbidden", message(err, "not allowed")}
	case errors.Is(err, store.ErrNotFound):
		ae = &apiError{http.StatusNotFound, "not_found", notFoundMessage(err)}
	case errors.Is(err, store.ErrOfferUnavailable):
		ae = &apiError{http.StatusConflict, "offer_unavailable", "the offer is no longer available"}
	case errors.Is(err, store.ErrCapacityFull):
		ae = &apiError{http.StatusConflict, "capacity_full", "you are at your conversation capacity"}
	case errors.Is(err, store.ErrConflict):
		ae = &apiError{http.StatusConflict, "conflict", message(err, "conflict")}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away (a page closed or moved on): nothing failed
		// on our side, and nobody reads the answer.
		a.log.Debug("request canceled by the client", "method", r.Method, "path", r.URL.Path)
		ae = &apiError{499, "canceled", "the request was canceled"}
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{http.StatusInternalServerError, "internal", "internal error"}
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.msg}})
}

// message strips the package prefixes from a wrapped error for display.
func message(err error, fallback string) string {
	s := err.Error()
	for _, p := range []string{"store: ", "desk: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	if s == "" {
		return fallback
	}
	return s
}

func notFoundMessage(err error) string {
	s := message(err, "not found")
	if i := strings.Index(s, ": not found"); i > 0 {
		return strings.TrimSpace(s[strings.LastIndex(s[:i], ":")+1:i]) + " not found"
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads exactly one JSON object into v: size-limited, unknown fields
// and trailing data rejected.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return &apiError{http.StatusBadRequest, "invalid_json", "request body is empty; a JSON object is required"}
		}
		return &apiError{http.StatusBadRequest, "invalid_json", "malformed JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return &apiError{http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object"}
	}
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &apiError{http.StatusNotFound, "not_found", "no such id"}
	}
	return id, nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s must be a non-negative integer", name)
	}
	return n, nil
}

// actor authenticates the request: a bearer token, the ?token= query
// parameter where the route accepts it (the WebSocket stream), or the
// session cookie. A cookie is ambient authority, so an unsafe request
// carrying only a cookie must come from the same origin.
func (a *API) actor(r *http.Request, queryToken bool) (desk.Actor, error) {
	token, fromCookie := bearer(r), false
	if token == "" && queryToken {
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		if c, err := r.Cookie(SessionCookie); err == nil {
			token, fromCookie = c.Value, true
		}
	}
	if fromCookie {
		if err := a.cop.Check(r); err != nil {
			return desk.Actor{}, fmt.Errorf("cross-origin request with a session cookie: %w", desk.ErrForbidden)
		}
	}
	return a.desk.Authenticate(r.Context(), token)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
