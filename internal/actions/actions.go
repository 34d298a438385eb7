// Package actions calls the business's own API for the assistant: typed
// actions such as order_status, configured per workspace. A call is made
// only for an identity-verified customer and only about that customer —
// the customer id sent is the verified session's, never something read from
// a message. Requests are signed (HMAC-SHA256 over "timestamp.body", in the
// Tandem-Signature header), bounded in time and in response size; any
// failure is an error the assistant turns into a handover.
package actions

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
)

// Headers of a signed request.
const (
	HeaderTimestamp = "Tandem-Timestamp" // Unix seconds
	HeaderSignature = "Tandem-Signature" // "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderRequestID = "Tandem-Request-Id"
)

// Defaults.
const (
	DefaultTimeout          = 5 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	// SignatureTolerance is how old (or how far in the future) a signed
	// request may be when it is verified.
	SignatureTolerance = 5 * time.Minute
)

// Errors of a call.
var (
	ErrNotVerified  = errors.New("actions: the customer is not identity-verified")
	ErrDisabled     = errors.New("actions: the action is disabled")
	ErrMissingParam = errors.New("actions: a required parameter is missing")
	ErrTimeout      = errors.New("actions: the business's API did not answer in time")
	ErrRemote       = errors.New("actions: the business's API failed")
	ErrBadSignature = errors.New("actions: bad signature")
)

// Request is the JSON body Tandem sends to an action's endpoint.
type Request struct {
	Action string `json:"action"`
	// CustomerID is the verified customer's external id, from the session.
	CustomerID string         `json:"customer_id"`
	Language   string         `json:"language,omitempty"`
	Parameters map[string]any `json:"parameters"`
	RequestID  string         `json:"request_id"`
}

// Result is what the endpoint answered: a JSON object. Message, when the
// endpoint gives one, is its own reply for the customer.
type Result struct {
	Message string
	Data    map[string]any
}

// Sign computes the signature header value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's signature headers against secret, in constant
// time, and that its timestamp is within SignatureTolerance of now. The
// header may list several signatures ("v1=…,v1=…") during a secret rotation.
func Verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed timestamp", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp out of tolerance", ErrBadSignature)
	}
	want := Sign(secret, ts, body)
	for _, s := range strings.Split(signature, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Client calls actions. It is safe for concurrent use.
type Client struct {
	http     *http.Client
	timeout  time.Duration
	maxBytes int64
	now      func() time.Time

	mu   sync.RWMutex
	self string // this server's URL, for endpoints given as a path
}

// Options configure a Client.
type Options struct {
	Timeout          time.Duration
	MaxResponseBytes int64
	// HTTP is the client to use; one that follows no redirects when nil.
	HTTP *http.Client
	Now  func() time.Time
}

// NewClient returns a client.
func NewClient(o Options) *Client {
	c := &Client{http: o.HTTP, timeout: o.Timeout, maxBytes: o.MaxResponseBytes, now: o.Now}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// SetSelfURL tells the client where this server listens, for endpoints
// given as a path (such as the built-in demo backend).
func (c *Client) SetSelfURL(u string) {
	c.mu.Lock()
	c.self = strings.TrimRight(u, "/")
	c.mu.Unlock()
}

func (c *Client) endpoint(a *model.Action) (string, error) {
	if !strings.HasPrefix(a.Endpoint, "/") {
		return a.Endpoint, nil
	}
	c.mu.RLock()
	self := c.self
	c.mu.RUnlock()
	if self == "" {
		return "", fmt.Errorf("%w: %s is a path on this server, whose address is not known yet", ErrRemote, a.Endpoint)
	}
	return self + a.Endpoint, nil
}

// Call runs action a for customer, who must be identity-verified; the
// customer id sent is always customer.ExternalID. params come from
// ExtractParams.
func (c *Client) Call(ctx context.Context, a *model.Action, customer *model.Customer, language string, params map[string]any) (*Result, error) {
	if customer == nil || !customer.Verified || customer.ExternalID == "" {
		return nil, ErrNotVerified
	}
	if !a.Enabled {
		return nil, ErrDisabled
	}
	if params == nil {
		params = map[string]any{}
	}
	target, err := c.endpoint(a)
	if err != nil {
		return nil, err
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: endpoint is not an http(s) URL", ErrRemote)
	}
	rid := make([]byte, 12)
	_, _ = rand.Read(rid)
	body, err := json.Marshal(Request{Action: a.Name, CustomerID: customer.ExternalID, Language: language, Parameters: params, RequestID: hex.EncodeToString(rid)})
	if err != nil {
		return nil, fmt.Errorf("actions: encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRemote, err)
	}
	ts := c.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Tandem-Actions/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(a.Secret, ts, body))
	req.Header.Set(HeaderRequestID, hex.EncodeToString(rid))
	res, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%s after %v)", ErrTimeout, a.Name, c.timeout)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrRemote, a.Name, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, c.maxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%s)", ErrTimeout, a.Name)
		}
		return nil, fmt.Errorf("%w: %s: read: %v", ErrRemote, a.Name, err)
	}
	if int64(len(raw)) > c.maxBytes {
		return nil, fmt.Errorf("%w: %s: response over %d bytes", ErrRemote, a.Name, c.maxBytes)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, fmt.Errorf("%w: %s: status %d", ErrRemote, a.Name, res.StatusCode)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil || data == nil {
		return nil, fmt.Errorf("%w: %s: the response is not a JSON object", ErrRemote, a.Name)
	}
	out := &Result{Data: data}
	if m, ok := data["message"].(string); ok {
		out.Message = strings.TrimSpace(m)
	}
	return out, nil
}

// ExtractParams finds the action's parameters in the customer's message:
// only parameters with a pattern, only values that match it in full. The
// customer's identity is never a parameter (model.Action.Validate refuses
// it), so nothing in the message can point an action at someone else.
func ExtractParams(a *model.Action, message string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range a.Parameters {
		if p.Pattern == "" {
			continue
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(p.Pattern, "^"), "$")
		re, err := regexp.Compile(`\b(?:` + inner + `)\b`)
		if err != nil {
			return nil, fmt.Errorf("actions: parameter %s: %w", p.Name, err)
		}
		full, err := regexp.Compile(`^(?:` + inner + `)$`)
		if err != nil {
			return nil, fmt.Errorf("actions: parameter %s: %w", p.Name, err)
		}
		var found string
		for _, m := range re.FindAllString(message, -1) {
			if full.MatchString(m) {
				found = m
				break
			}
		}
		if found == "" {
			if p.Required {
				return nil, fmt.Errorf("%w: %s", ErrMissingParam, p.Name)
			}
			continue
		}
		if p.Type == "integer" {
			n, err := strconv.ParseInt(found, 10, 64)
			if err != nil {
				continue
			}
			out[p.Name] = n
		} else {
			out[p.Name] = found
		}
	}
	return out, nil
}
