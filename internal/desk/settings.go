package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
)

// WorkspaceSettings are a workspace's settings as admins see them. The
// identity secret itself is shown only once, when it is rotated.
type WorkspaceSettings struct {
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	AssistantName string `json:"assistant_name"`
	// IdentitySecretSet says whether customers can be verified at all;
	// IdentitySecretHint is the secret's last four characters.
	IdentitySecretSet  bool   `json:"identity_secret_set"`
	IdentitySecretHint string `json:"identity_secret_hint,omitempty"`
	// AllowedOrigins are the web origins that may open widget sessions;
	// empty means any origin.
	AllowedOrigins []string `json:"allowed_origins"`
}

func workspaceSettings(ws *model.Workspace, origins []string) WorkspaceSettings {
	out := WorkspaceSettings{
		Slug: ws.Slug, Name: ws.Name, AssistantName: ws.AssistantName,
		IdentitySecretSet: ws.IdentitySecret != "", AllowedOrigins: origins,
	}
	if n := len(ws.IdentitySecret); n >= 12 {
		out.IdentitySecretHint = ws.IdentitySecret[n-4:]
	}
	if out.AllowedOrigins == nil {
		out.AllowedOrigins = []string{}
	}
	return out
}

// WorkspaceSettings returns the caller's workspace's settings; admins only.
func (d *Desk) WorkspaceSettings(ctx context.Context, a Actor) (WorkspaceSettings, error) {
	ws, err := d.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return WorkspaceSettings{}, err
	}
	origins, err := d.store.WidgetOrigins(ctx, a.WorkspaceID)
	if err != nil {
		return WorkspaceSettings{}, err
	}
	return workspaceSettings(ws, origins), nil
}

// WorkspaceSettingsInput is an admin's change; nil fields stay as they are.
type WorkspaceSettingsInput struct {
	Name           *string
	AssistantName  *string
	AllowedOrigins *[]string
}

// UpdateWorkspaceSettings changes the caller's workspace's name, its
// assistant's name or its allowed widget origins; admins only.
func (d *Desk) UpdateWorkspaceSettings(ctx context.Context, a Actor, in WorkspaceSettingsInput) (WorkspaceSettings, error) {
	var u store.WorkspaceUpdate
	for _, f := range []struct {
		field string
		v     *string
		dst   **string
	}{{"name", in.Name, &u.Name}, {"assistant_name", in.AssistantName, &u.AssistantName}} {
		if f.v == nil {
			continue
		}
		v := strings.TrimSpace(*f.v)
		switch {
		case v == "":
			return WorkspaceSettings{}, model.Invalid(f.field, "must not be empty")
		case !utf8.ValidString(v) || strings.ContainsAny(v, "\r\n"):
			return WorkspaceSettings{}, model.Invalid(f.field, "must be one line of text")
		case utf8.RuneCountInString(v) > 80:
			return WorkspaceSettings{}, model.Invalid(f.field, "must be at most 80 characters")
		}
		*f.dst = &v
	}
	if in.AllowedOrigins != nil {
		if len(*in.AllowedOrigins) > model.MaxWidgetOrigins {
			return WorkspaceSettings{}, model.Invalid("allowed_origins", "at most %d origins", model.MaxWidgetOrigins)
		}
		list := []string{}
		for _, raw := range *in.AllowedOrigins {
			o, err := normalizeOrigin(raw, true)
			if err != nil {
				return WorkspaceSettings{}, model.Invalid("allowed_origins", "%q: %v", raw, err)
			}
			if !slices.Contains(list, o) {
				list = append(list, o)
			}
		}
		u.WidgetOrigins = &list
	}
	ws, origins, err := d.store.UpdateWorkspace(ctx, a.WorkspaceID, u, func(ws *model.Workspace, origins []string) any {
		return workspaceSettings(ws, origins)
	}, d.now())
	if err != nil {
		return WorkspaceSettings{}, err
	}
	d.changed(a.WorkspaceID)
	return workspaceSettings(ws, origins), nil
}

// RotateIdentitySecret gives the caller's workspace a new random identity
// secret and returns it; admins only. From then on only a user_hash made
// with the new secret verifies a customer: the business's servers must
// switch at once (sessions already open stay open).
func (d *Desk) RotateIdentitySecret(ctx context.Context, a Actor) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("desk: identity secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := d.store.RotateIdentitySecret(ctx, a.WorkspaceID, secret, d.now()); err != nil {
		return "", err
	}
	d.changed(a.WorkspaceID)
	return secret, nil
}

// checkOrigin lets a browser open a widget session only from an allowed
// origin, when the workspace lists any. A request without an Origin header
// does not come from a web page (browsers always send one with a
// cross-origin POST) and is let through: the list keeps other sites from
// embedding the widget; it is not authentication (identity verification
// is). The Tandem server's own pages (the /demo page) are always allowed.
func (d *Desk) checkOrigin(ctx context.Context, ws *model.Workspace, origin, host string) error {
	if origin == "" {
		return nil
	}
	allowed, err := d.store.WidgetOrigins(ctx, ws.ID)
	if err != nil || len(allowed) == 0 {
		return err
	}
	if o, err := normalizeOrigin(origin, false); err == nil {
		if u, _ := url.Parse(o); u != nil && host != "" && strings.EqualFold(u.Host, host) {
			return nil
		}
		for _, pattern := range allowed {
			if originMatches(pattern, o) {
				return nil
			}
		}
	}
	if len(origin) > 200 {
		origin = origin[:200] + "…"
	}
	return fmt.Errorf("the %s widget may not be used on %s: an admin can add it to the workspace's allowed widget origins: %w",
		ws.Slug, origin, ErrForbidden)
}

// normalizeOrigin returns an origin as browsers send it in the Origin
// header: scheme://host[:port], lower case, without a default port. With
// wildcard, the host may begin with "*." to stand for any subdomain.
func normalizeOrigin(raw string, wildcard bool) (string, error) {
	raw = strings.TrimSuffix(strings.TrimSpace(raw), "/")
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "", fmt.Errorf("must be an origin such as https://shop.example.com")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("must start with https:// or http://")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("must be scheme://host[:port] only, without a path, query or user")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	name := host
	if wildcard {
		name = strings.TrimPrefix(host, "*.")
		if name != host && !strings.Contains(name, ".") && name != "localhost" {
			return "", fmt.Errorf("a wildcard must be followed by a domain, as in https://*.example.com")
		}
	}
	if name == "" || !validHost(name) {
		return "", fmt.Errorf("has no valid host name")
	}
	if port != "" || strings.Contains(host, ":") {
		if port == "" {
			return scheme + "://[" + host + "]", nil
		}
		return scheme + "://" + net.JoinHostPort(host, port), nil
	}
	return scheme + "://" + host, nil
}

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r >= 0x80) {
				return false
			}
		}
	}
	return len(h) <= 253
}

// originMatches reports whether origin (normalized) is allowed by pattern:
// the same origin, or a subdomain of a "*." pattern with the same scheme
// and port.
func originMatches(pattern, origin string) bool {
	if pattern == origin {
		return true
	}
	scheme, rest, ok := strings.Cut(pattern, "://*.")
	if !ok {
		return false
	}
	oScheme, oRest, ok := strings.Cut(origin, "://")
	if !ok || oScheme != scheme {
		return false
	}
	pHost, pPort := splitPort(rest)
	oHost, oPort := splitPort(oRest)
	return pPort == oPort && strings.HasSuffix(oHost, "."+pHost)
}

func splitPort(hostport string) (string, string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return h, p
	}
	return hostport, ""
}

// AssistantPolicy is the workspace's triage policy — the thresholds at which
// the assistant answers, asks back or hands over, and what always goes to a
// person — with the values in force once defaults and the model's
// calibration are applied.
type AssistantPolicy struct {
	Policy    triage.Policy   `json:"policy"`
	Effective EffectivePolicy `json:"effective"`
}

// EffectivePolicy is what a policy means with the defaults filled in.
type EffectivePolicy struct {
	AnswerPrecision     float64 `json:"answer_precision"`
	AnswerThreshold     float64 `json:"answer_threshold"`
	ClarifyThreshold    float64 `json:"clarify_threshold"`
	OutOfScopeThreshold float64 `json:"out_of_scope_threshold"`
}

func (d *Desk) assistantPolicy(p triage.Policy) AssistantPolicy {
	e := EffectivePolicy{
		AnswerPrecision: p.AnswerPrecision, AnswerThreshold: d.triage.AnswerThreshold(p),
		ClarifyThreshold: p.ClarifyThreshold, OutOfScopeThreshold: p.OutOfScopeThreshold,
	}
	if e.AnswerPrecision == 0 {
		e.AnswerPrecision = triage.DefaultAnswerPrecision
	}
	if e.ClarifyThreshold == 0 {
		e.ClarifyThreshold = triage.DefaultClarifyThreshold
	}
	if e.OutOfScopeThreshold == 0 {
		e.OutOfScopeThreshold = triage.DefaultOutOfScopeThreshold
	}
	return AssistantPolicy{Policy: p, Effective: e}
}

// AssistantPolicy returns the caller's workspace's triage policy; admins only.
func (d *Desk) AssistantPolicy(ctx context.Context, a Actor) (AssistantPolicy, error) {
	ws, err := d.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return AssistantPolicy{}, err
	}
	return d.assistantPolicy(d.policy(ws)), nil
}

// SetAssistantPolicy replaces the caller's workspace's triage policy with
// raw (JSON, see triage.Policy; {} restores the defaults); admins only. A
// policy that does not parse, is out of range or names an intent the
// model does not know is invalid.
func (d *Desk) SetAssistantPolicy(ctx context.Context, a Actor, raw json.RawMessage) (AssistantPolicy, error) {
	p, err := triage.ParsePolicy(string(raw))
	if err != nil {
		return AssistantPolicy{}, model.Invalid("policy", "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "triage: "), "policy: "))
	}
	if eff := d.assistantPolicy(p).Effective; eff.ClarifyThreshold > eff.AnswerThreshold {
		return AssistantPolicy{}, model.Invalid("policy", "the clarify threshold (%.2f) must not be above the answer threshold (%.2f)",
			eff.ClarifyThreshold, eff.AnswerThreshold)
	}
	known := d.triage.Model().Intents()
	seen := []string{}
	for _, in := range p.AlwaysHuman {
		if !slices.Contains(known, in) {
			return AssistantPolicy{}, model.Invalid("policy", "always_human: unknown intent %q (GET /api/v1/intents lists them)", in)
		}
		if !slices.Contains(seen, in) {
			seen = append(seen, in)
		}
	}
	p.AlwaysHuman = seen
	stored := ""
	if !isZeroPolicy(p) {
		b, err := json.Marshal(p)
		if err != nil {
			return AssistantPolicy{}, fmt.Errorf("desk: encode policy: %w", err)
		}
		stored = string(b)
	}
	out := d.assistantPolicy(p)
	if err := d.store.UpdateTriagePolicy(ctx, a.WorkspaceID, stored, out, d.now()); err != nil {
		return AssistantPolicy{}, err
	}
	d.changed(a.WorkspaceID)
	return out, nil
}

func isZeroPolicy(p triage.Policy) bool {
	return p.AnswerPrecision == 0 && p.AnswerThreshold == 0 && p.ClarifyThreshold == 0 && p.OutOfScopeThreshold == 0 &&
		len(p.AlwaysHuman) == 0 && !p.VIPToHuman && !p.AnswerWhenFrustrated
}
