// Package desk is Tandem's request-level use cases: what a customer, an
// agent or an admin asks for through the API — open a session, start a
// conversation, add a message, hand over to a person, accept or decline an
// offer, take from the queue, transfer, resolve, rate, change settings.
// Every method takes the calling Actor and checks it against the
// resource's workspace and owner; who may call a use case at all
// (customer, staff, supervisor, admin) is the rule its route declares
// (web/api/routes.go), so the desk does not check roles again. Desk holds
// no domain of its own: it calls the domain packages — dispatch (the
// dispatcher and the queue view), assistant, triage, knowledge — and
// persists through the store, signals through the bus.
package desk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/dispatch"
	"github.com/tandem-desk/tandem/internal/knowledge"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/stream"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// Errors beyond the store's sentinels.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	// ErrThrottled: too many failed sign-ins; try again later.
	ErrThrottled = errors.New("too many attempts")
)

// Actor kinds.
const (
	KindCustomer   = "customer"
	KindAgent      = "agent"
	KindSupervisor = "supervisor"
	KindAdmin      = "admin"
)

// Actor is the authenticated caller of a use case.
type Actor struct {
	WorkspaceID int64
	Kind        string
	CustomerID  int64
	AgentID     int64
	tokenHash   string
}

// IsStaff reports whether the actor is a staff member: an agent, a
// supervisor or an admin.
func (a Actor) IsStaff() bool {
	return a.Kind == KindAgent || a.Kind == KindSupervisor || a.Kind == KindAdmin
}

// ManagesPeople reports whether the actor may manage the workspace's
// people: supervisors and admins.
func (a Actor) ManagesPeople() bool { return a.Kind == KindAdmin || a.Kind == KindSupervisor }

// Options configure a Desk.
type Options struct {
	Store  *store.Store
	Bus    bus.Bus
	Logger *slog.Logger
	// Triage reads customer messages for the assistant; required.
	Triage *triage.Engine
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CustomerSessionTTL and StaffSessionTTL bound token lifetimes.
	CustomerSessionTTL time.Duration
	StaffSessionTTL    time.Duration
	// OnEvents is told, without blocking, that a workspace has new events
	// (the webhook sender listens); optional.
	OnEvents func(workspaceID int64)
	// Assistant holds the assistant's optional parts: an LLM to phrase
	// answers, the client that calls business actions.
	Assistant AssistantOptions
	// WebhooksAllowPrivate accepts webhook URLs on private networks
	// (localhost, 10.0.0.0/8, …); refused by default, as the sender refuses
	// to connect to them (webhooks.Options.AllowPrivateNetworks).
	WebhooksAllowPrivate bool
	// Mail says whether follow-up emails are sent (see MailOptions).
	Mail MailOptions
	// Metrics counts messages, triage decisions, handoffs, resolutions,
	// offers and dispatch passes; nil counts nothing.
	Metrics *metrics.Metrics
}

// MailOptions configure follow-up email. A customer who leaves an address
// while nobody is online is emailed the agents' public replies, until they
// write in the chat again; replies written within Delay of the first one
// go out as one email. Disabled, the address is only recorded for the
// team, and the customer is not promised an email.
type MailOptions struct {
	Enabled bool
	Delay   time.Duration
	// Notify is told, without blocking, that a reply may have enqueued an
	// email (the mail sender listens); optional.
	Notify func()
}

// Desk runs the use cases. Create it with New and start dispatch with Run.
type Desk struct {
	store  *store.Store
	bus    bus.Bus
	log    *slog.Logger
	now    func() time.Time
	triage *triage.Engine

	customerTTL, staffTTL time.Duration

	webhooksAllowPrivate bool

	kbMu sync.Mutex
	kb   map[int64]*knowledgeBase
	// kbGen counts invalidations: a fill that began before one is not
	// cached, or it would put back the index the invalidation dropped.
	kbGen uint64
	// kbChanged is signalled (TopicKnowledge) when any node changed articles.
	kbChanged *bus.Subscription

	dispatch *dispatch.Dispatcher
	assist   assistantDeps
	onEvents func(workspaceID int64)
	mail     MailOptions
	typing   typingBoard // transient "is typing" notices (typing.go)
	streams  *stream.Hub // this node's fan-out of the event log to its streams
	metrics  *metrics.Metrics
}

// New returns a Desk.
func New(o Options) *Desk {
	d := &Desk{
		store: o.Store, bus: o.Bus, log: o.Logger, triage: o.Triage,
		customerTTL: o.CustomerSessionTTL, staffTTL: o.StaffSessionTTL, onEvents: o.OnEvents, mail: o.Mail, metrics: o.Metrics,
		kb: map[int64]*knowledgeBase{}, webhooksAllowPrivate: o.WebhooksAllowPrivate,
	}
	d.kbChanged = d.bus.Subscribe(TopicKnowledge)
	clock := o.Now
	if clock == nil {
		clock = time.Now
	}
	// Times are stored to the microsecond: trim here so what a call returns
	// equals what a later read returns.
	d.now = func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.customerTTL <= 0 {
		d.customerTTL = 30 * 24 * time.Hour
	}
	if d.staffTTL <= 0 {
		d.staffTTL = 12 * time.Hour
	}
	d.assist = newAssistantDeps(o.Assistant, d.now)
	d.streams = stream.New(stream.Options{Store: o.Store, Bus: o.Bus, Topic: Topic, Log: d.log})
	d.dispatch = dispatch.New(dispatch.Options{Store: o.Store, Bus: o.Bus, Logger: d.log, Now: d.now, Changed: d.changed, Metrics: o.Metrics})
	return d
}

// Topic is the bus topic that signals new events of a workspace.
func Topic(workspaceID int64) string { return fmt.Sprintf("workspace.%d.events", workspaceID) }

// changed tells readers of the workspace's event log to look again.
func (d *Desk) changed(workspaceID int64) {
	d.bus.Publish(Topic(workspaceID))
	if d.onEvents != nil {
		d.onEvents(workspaceID)
	}
}

// Changed tells the desk that a use case outside it (package people)
// appended events of a workspace that may have freed or queued work:
// streams look again and the dispatcher runs.
func (d *Desk) Changed(workspaceID int64) {
	d.changed(workspaceID)
	d.Kick(workspaceID)
}

// WidgetSession is what a widget sends to open a customer session.
type WidgetSession struct {
	Workspace  string
	ExternalID string
	Name       string
	Email      string
	Locale     string
	UserHash   string
	// Origin is the request's Origin header and Host the server's host as
	// the request named it: see checkOrigin (settings.go).
	Origin string
	Host   string
}

// OpenWidgetSession identifies a customer and returns their bearer token.
// Without an external id the visitor is anonymous. When the workspace has an
// identity secret, an external id must come with
// user_hash = hex(HMAC-SHA256(secret, external_id)); the customer is then
// verified. Without a secret an external id cannot be verified and the
// visitor is a new anonymous customer: an unverified session never
// attaches to an existing customer.
func (d *Desk) OpenWidgetSession(ctx context.Context, req WidgetSession) (string, *model.Customer, error) {
	for field, v := range map[string]string{"external_id": req.ExternalID, "name": req.Name, "email": req.Email} {
		if len(v) > model.MaxNameLen {
			return "", nil, model.Invalid("customer."+field, "must be at most %d bytes", model.MaxNameLen)
		}
	}
	if len(req.Locale) > 35 {
		return "", nil, model.Invalid("customer.locale", "must be a language tag such as en-GB")
	}
	if req.Workspace == "" {
		return "", nil, model.Invalid("workspace", "is required")
	}
	ws, err := d.store.WorkspaceBySlug(ctx, req.Workspace)
	if err != nil {
		return "", nil, err
	}
	if err := d.checkOrigin(ctx, ws, req.Origin, req.Host); err != nil {
		return "", nil, err
	}
	externalID, verified := req.ExternalID, false
	switch {
	case externalID == "":
	case ws.IdentitySecret == "":
		// Nothing can prove the page's claim, and attaching the session to
		// the customer of that external_id would hand anyone their
		// history. The visitor is a new anonymous customer instead, as an
		// unauthenticated visitor is in Zendesk or Intercom's messenger.
		externalID = ""
	case !VerifyUserHash(ws.IdentitySecret, externalID, req.UserHash):
		return "", nil, fmt.Errorf("user_hash does not match external_id: %w", ErrUnauthorized)
	default:
		verified = true
	}
	cust, err := d.store.UpsertCustomer(ctx, model.Customer{
		WorkspaceID: ws.ID, ExternalID: externalID, Name: req.Name, Email: req.Email, Locale: req.Locale, Verified: verified,
	})
	if err != nil {
		return "", nil, err
	}
	token, err := d.newSession(ctx, ws.ID, store.SessionCustomer, cust.ID, d.customerTTL)
	if err != nil {
		return "", nil, err
	}
	return token, cust, nil
}

// UserHash is the identity proof a business computes on its server.
func UserHash(secret, externalID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(externalID))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyUserHash checks a user_hash in constant time.
func VerifyUserHash(secret, externalID, userHash string) bool {
	return hmac.Equal([]byte(UserHash(secret, externalID)), []byte(strings.ToLower(userHash)))
}

// HashPassword hashes a staff password for storage.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("desk: hash password: %w", err)
	}
	return string(h), nil
}

// Login checks a staff member's credentials and returns a bearer token.
// addr is the client's address: failed attempts are counted per account and
// per address (workforce.DefaultThrottle) on every node alike, and over the
// limit even the right password is refused until the window passes. A
// deactivated person cannot sign in.
func (d *Desk) Login(ctx context.Context, email, password, addr string) (string, *model.Agent, error) {
	email = strings.TrimSpace(strings.ToLower(email))
	now := d.now()
	th := workforce.DefaultThrottle
	keys := []string{"account:" + email, "address:" + addr}
	counts, err := d.store.LoginFailures(ctx, now.Add(-th.Window), keys...)
	if err != nil {
		return "", nil, err
	}
	if !th.Allows(counts[0], counts[1]) {
		return "", nil, fmt.Errorf("too many failed sign-ins; try again in %s: %w", th.Window, ErrThrottled)
	}
	fail := func() (string, *model.Agent, error) {
		if err := d.store.RecordLoginFailure(ctx, now, now.Add(-th.Window), keys...); err != nil {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("wrong email or password: %w", ErrUnauthorized)
	}
	agent, err := d.store.AgentByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a wrong password, so emails cannot be probed.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return fail()
	}
	if err != nil {
		return "", nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(agent.PasswordHash), []byte(password)) != nil {
		return fail()
	}
	if agent.DeactivatedAt != nil {
		return "", nil, fmt.Errorf("this account is deactivated: %w", ErrUnauthorized)
	}
	if err := d.store.ClearLoginFailures(ctx, keys[0]); err != nil {
		return "", nil, err
	}
	token, err := d.StaffSession(ctx, agent)
	if err != nil {
		return "", nil, err
	}
	return token, agent, nil
}

// StaffSession signs a person in: a new bearer token for them.
func (d *Desk) StaffSession(ctx context.Context, agent *model.Agent) (string, error) {
	return d.newSession(ctx, agent.WorkspaceID, store.SessionStaff, agent.ID, d.staffTTL)
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// Logout ends the actor's session.
func (d *Desk) Logout(ctx context.Context, a Actor) error {
	return d.store.DeleteSession(ctx, a.tokenHash)
}

func (d *Desk) newSession(ctx context.Context, workspaceID int64, kind string, subject int64, ttl time.Duration) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("desk: token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := d.now()
	err := d.store.CreateSession(ctx, store.Session{
		TokenHash: hashToken(token), WorkspaceID: workspaceID, Kind: kind, SubjectID: subject, CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	return token, err
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate resolves a bearer token to its actor.
func (d *Desk) Authenticate(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{}, fmt.Errorf("missing token: %w", ErrUnauthorized)
	}
	sess, err := d.store.SessionByTokenHash(ctx, hashToken(token), d.now())
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, fmt.Errorf("invalid or expired token: %w", ErrUnauthorized)
	}
	if err != nil {
		return Actor{}, err
	}
	a := Actor{WorkspaceID: sess.WorkspaceID, tokenHash: sess.TokenHash}
	switch sess.Kind {
	case store.SessionCustomer:
		a.Kind, a.CustomerID = KindCustomer, sess.SubjectID
	case store.SessionStaff:
		agent, err := d.store.AgentByID(ctx, sess.WorkspaceID, sess.SubjectID)
		if err != nil || agent.DeactivatedAt != nil {
			return Actor{}, fmt.Errorf("staff member is gone: %w", ErrUnauthorized)
		}
		a.Kind, a.AgentID = KindAgent, agent.ID
		switch agent.Role {
		case model.RoleAdmin:
			a.Kind = KindAdmin
		case model.RoleSupervisor:
			a.Kind = KindSupervisor
		}
	default:
		return Actor{}, fmt.Errorf("unknown session kind: %w", ErrUnauthorized)
	}
	return a, nil
}

// Me returns the calling staff member.
func (d *Desk) Me(ctx context.Context, a Actor) (*model.Agent, error) {
	return d.store.AgentByID(ctx, a.WorkspaceID, a.AgentID)
}

// Agents lists the workspace's staff.
func (d *Desk) Agents(ctx context.Context, a Actor) ([]*model.Agent, error) {
	list, err := d.store.Agents(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return list, d.store.FillRoutingProfiles(ctx, list) // skills, languages, certifications, offer statistics
}

// SetStatus changes the calling agent's status. Going available triggers
// dispatch; leaving gives pending offers back to the queue; going offline
// also hands the conversations the agent holds back to the front of the
// queue, their customers told (dispatch.Dispatcher.HandBack) — a break
// (away) keeps them.
func (d *Desk) SetStatus(ctx context.Context, a Actor, status model.AgentStatus) (*model.Agent, error) {
	if !status.Valid() {
		return nil, model.Invalid("status", "must be available, away or offline")
	}
	if status == model.AgentOffline {
		// One transaction: a failed hand-back leaves the agent as they were.
		me, err := d.store.AgentByID(ctx, a.WorkspaceID, a.AgentID)
		if err != nil {
			return nil, err
		}
		agent, _, err := d.dispatch.GoOffline(ctx, a.WorkspaceID, a.AgentID, me.Name+" went offline")
		if err != nil {
			return nil, err
		}
		d.changed(a.WorkspaceID)
		d.Kick(a.WorkspaceID)
		return agent, nil
	}
	agent, released, err := d.store.SetAgentStatus(ctx, a.WorkspaceID, a.AgentID, status, d.now())
	if err != nil {
		return nil, err
	}
	d.metrics.OffersClosed("rescinded", len(released))
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return agent, nil
}

// knowledgeBase is a workspace's published articles and their index.
type knowledgeBase struct {
	articles []*model.Article
	index    *knowledge.Index
}

// TopicKnowledge is signalled when a workspace's articles change, so that
// every node drops its cached article indexes (as TopicEndpoints does for
// webhook endpoints): an article edited on one node reaches the assistant
// on all of them.
const TopicKnowledge = "knowledge.changed"

// knowledge returns the workspace's knowledge base, loading it once.
func (d *Desk) knowledge(ctx context.Context, workspaceID int64) (*knowledgeBase, error) {
	d.kbMu.Lock()
	d.kbSync()
	kb, gen := d.kb[workspaceID], d.kbGen
	d.kbMu.Unlock()
	if kb != nil {
		return kb, nil
	}
	articles, err := d.store.Articles(ctx, workspaceID, true)
	if err != nil {
		return nil, err
	}
	kb = &knowledgeBase{articles: articles, index: knowledge.NewIndex(articles)}
	d.kbMu.Lock()
	d.kbSync()
	if d.kbGen == gen { // no change since the articles were read
		d.kb[workspaceID] = kb
	}
	d.kbMu.Unlock()
	return kb, nil
}

// kbSync drops every cached index when some node signalled a change since
// the last look. Signals carry no workspace, and indexes reload lazily, so
// all go. The caller holds kbMu.
func (d *Desk) kbSync() {
	select {
	case <-d.kbChanged.C:
		d.kbGen++
		clear(d.kb)
	default:
	}
}

// KnowledgeChanged drops the cached article index of a workspace, here at
// once and on the other nodes through the bus, so the next question is
// answered from the current articles.
func (d *Desk) KnowledgeChanged(workspaceID int64) {
	d.kbMu.Lock()
	d.kbGen++
	delete(d.kb, workspaceID)
	d.kbMu.Unlock()
	d.bus.Publish(TopicKnowledge)
}

// Subscribe returns a signal that fires when the actor's workspace has new
// events; read them with Events.
func (d *Desk) Subscribe(a Actor) *bus.Subscription { return d.bus.Subscribe(Topic(a.WorkspaceID)) }

// policy is the workspace's triage policy. A stored policy that no longer
// parses is logged and the defaults apply: the assistant must keep working.
func (d *Desk) policy(ws *model.Workspace) triage.Policy {
	p, err := triage.ParsePolicy(ws.TriagePolicy)
	if err != nil {
		d.log.Error("workspace triage policy is invalid; using the defaults", "workspace", ws.Slug, "err", err)
		return triage.Policy{}
	}
	return p
}

// Triage reads a message as the assistant would, under the caller's
// workspace policy. Staff only: it shows how the model sees things.
func (d *Desk) Triage(ctx context.Context, a Actor, text, locale string) (triage.Result, error) {
	if err := model.ValidateBody(text); err != nil {
		return triage.Result{}, model.Invalid("text", "%s", strings.TrimPrefix(err.Error(), "body: "))
	}
	ws, err := d.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return triage.Result{}, err
	}
	return d.triage.Triage(triage.Input{Text: text, Locale: locale}, d.policy(ws)), nil
}
