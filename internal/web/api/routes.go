package api

import (
	"fmt"
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
)

// access says who may call a route. Every route declares one where it is
// registered (routes below); the desk then checks what the rule cannot:
// whose conversation, offer or workspace a resource is.
type access int

const (
	accessUndeclared access = iota // the zero value: Register refuses it
	accessPublic                   // anyone, no token
	accessCustomer                 // customers only (widget sessions)
	accessSignedIn                 // any signed-in caller, customer or staff
	accessStaff                    // agents, supervisors and admins
	accessSupervisor               // supervisors and admins
	accessAdmin                    // admins
)

// String is how docs/api.md names the rule in its "who" column.
func (ac access) String() string {
	switch ac {
	case accessPublic:
		return "anyone"
	case accessCustomer:
		return "customer"
	case accessSignedIn:
		return "customer, staff"
	case accessStaff:
		return "staff"
	case accessSupervisor:
		return "supervisor"
	case accessAdmin:
		return "admin"
	}
	return "undeclared"
}

// allows reports whether an authenticated caller of kind may call the route.
func (ac access) allows(kind string) bool {
	switch ac {
	case accessPublic, accessSignedIn:
		return true
	case accessCustomer:
		return kind == desk.KindCustomer
	case accessStaff:
		return kind == desk.KindAgent || kind == desk.KindSupervisor || kind == desk.KindAdmin
	case accessSupervisor:
		return kind == desk.KindSupervisor || kind == desk.KindAdmin
	case accessAdmin:
		return kind == desk.KindAdmin
	}
	return false
}

// refusal is the 403 of a caller the rule does not allow.
func (ac access) refusal() error {
	what := map[access]string{
		accessCustomer:   "customers only",
		accessStaff:      "staff only",
		accessSupervisor: "supervisors and admins only",
		accessAdmin:      "admins only",
	}[ac]
	return fmt.Errorf("%s: %w", what, desk.ErrForbidden)
}

// rule is a handler with the rule of who may call it. Only the functions
// below make one, so a route cannot be registered without saying who may
// call it.
type rule struct {
	access access
	open   handlerFunc // public routes
	authed authedFunc  // every other route
	// queryToken accepts the token as the ?token= query parameter too:
	// browsers cannot set headers on a WebSocket.
	queryToken bool
}

// authedFunc is a handler that needs the authenticated caller.
type authedFunc func(w http.ResponseWriter, r *http.Request, act desk.Actor) error

// The rules, from the most open to the narrowest: public (no token),
// customer (widget sessions only), signedIn (customers and staff; the desk
// shows a customer only their own), staff, supervisor (and admins), admin.
func public(fn handlerFunc) rule    { return rule{access: accessPublic, open: fn} }
func customer(fn authedFunc) rule   { return rule{access: accessCustomer, authed: fn} }
func signedIn(fn authedFunc) rule   { return rule{access: accessSignedIn, authed: fn} }
func staff(fn authedFunc) rule      { return rule{access: accessStaff, authed: fn} }
func supervisor(fn authedFunc) rule { return rule{access: accessSupervisor, authed: fn} }
func admin(fn authedFunc) rule      { return rule{access: accessAdmin, authed: fn} }
func (r rule) withQueryToken() rule { r.queryToken = true; return r }
func (r rule) declared() bool       { return r.access != accessUndeclared }

// handler authenticates the caller (401 without a valid token) and checks
// the rule (403) before the route's handler runs.
func (r rule) handler(a *API) handlerFunc {
	if r.access == accessPublic {
		return r.open
	}
	return func(w http.ResponseWriter, req *http.Request) error {
		act, err := a.actor(req, r.queryToken)
		if err != nil {
			return err // 401: the handler never runs without its caller
		}
		if !r.access.allows(act.Kind) {
			return r.access.refusal()
		}
		return r.authed(w, req, act)
	}
}

// route is one entry of the route table.
type route struct {
	pattern string
	rule    rule
}

// routes is the API's route table: every route, and who may call it. Keep
// docs/api.md's "who" column in step (TestRouteTableMatchesTheDocs).
func (a *API) routes() []route {
	return append([]route{
		{"OPTIONS /api/v1/", public(preflight)},
		{"GET /api/v1/openapi.json", public(serveOpenAPI)},
		{"POST /api/v1/widget/session", public(a.widgetSession)},
		{"POST /api/v1/auth/login", public(a.login)},
		// A customer may end their widget session as staff end theirs.
		{"POST /api/v1/auth/logout", signedIn(a.logout)},
		{"GET /api/v1/agents/me", staff(a.me)},
		{"PUT /api/v1/agents/me/status", staff(a.setStatus)},
		{"GET /api/v1/agents", staff(a.agents)},
		{"GET /api/v1/agents/{id}", staff(a.agent)},
		{"PUT /api/v1/agents/{id}", supervisor(a.updateAgent)},
		{"POST /api/v1/conversations", customer(a.createConversation)},
		{"GET /api/v1/conversations", signedIn(a.listConversations)},
		{"GET /api/v1/conversations/{id}", signedIn(a.getConversation)},
		{"GET /api/v1/conversations/{id}/messages", signedIn(a.listMessages)},
		{"POST /api/v1/conversations/{id}/messages", signedIn(a.postMessage)},
		{"POST /api/v1/conversations/{id}/handoff", signedIn(a.handoff)},
		{"POST /api/v1/conversations/{id}/resolve", signedIn(a.resolve)},
		{"POST /api/v1/conversations/{id}/follow-up", signedIn(a.followUp)},
		{"POST /api/v1/conversations/{id}/take", staff(a.take)},
		{"POST /api/v1/conversations/{id}/typing", signedIn(a.typing)},
		{"POST /api/v1/conversations/{id}/csat", customer(a.csat)},
		{"POST /api/v1/conversations/{id}/feedback", customer(a.feedback)},
		{"GET /api/v1/conversations/{id}/copilot", staff(a.copilot)},
		{"GET /api/v1/widget/presence", customer(a.presence)},
		{"PUT /api/v1/conversations/{id}/tags", staff(a.setTags)},
		{"POST /api/v1/conversations/{id}/transfer", staff(a.transfer)},
		{"GET /api/v1/offers", staff(a.offers)},
		{"POST /api/v1/offers/{id}/accept", staff(a.acceptOffer)},
		{"POST /api/v1/offers/{id}/decline", staff(a.declineOffer)},
		{"GET /api/v1/stream", signedIn(a.stream).withQueryToken()},
		{"POST /api/v1/triage", staff(a.triage)},
		{"GET /api/v1/queue", staff(a.queue)},
		{"GET /api/v1/dispatch/passes", supervisor(a.dispatchPasses)},
		{"GET /api/v1/stats/overview", staff(a.overview)},
		{"GET /api/v1/stats/assistant", staff(a.assistantStats)},
		{"GET /api/v1/settings/routing", admin(a.routingSettings)},
		{"PUT /api/v1/settings/routing", admin(a.setRoutingSettings)},
		{"GET /api/v1/settings/workspace", admin(a.getWorkspaceSettings)},
		{"PUT /api/v1/settings/workspace", admin(a.putWorkspaceSettings)},
		{"POST /api/v1/settings/identity-secret/rotate", admin(a.rotateIdentitySecret)},
		{"GET /api/v1/settings/assistant", admin(a.getAssistantPolicy)},
		{"PUT /api/v1/settings/assistant", admin(a.putAssistantPolicy)},
		{"GET /api/v1/settings/conversation", staff(a.getAssistantSettings)},
		{"PUT /api/v1/settings/conversation", admin(a.putAssistantSettings)},
		{"GET /api/v1/articles", staff(a.listArticles)},
		{"POST /api/v1/articles", supervisor(a.createArticle)},
		{"GET /api/v1/articles/{id}", staff(a.getArticle)},
		{"PUT /api/v1/articles/{id}", supervisor(a.updateArticle)},
		{"DELETE /api/v1/articles/{id}", supervisor(a.deleteArticle)},
		{"GET /api/v1/intents", staff(a.listIntents)},
		{"GET /api/v1/actions", admin(a.listActions)},
		{"POST /api/v1/actions", admin(a.createAction)},
		{"GET /api/v1/actions/{id}", admin(a.getAction)},
		{"PUT /api/v1/actions/{id}", admin(a.updateAction)},
		{"DELETE /api/v1/actions/{id}", admin(a.deleteAction)},
		{"GET /api/v1/canned-replies", staff(a.listCannedReplies)},
		{"POST /api/v1/canned-replies", supervisor(a.createCannedReply)},
		{"GET /api/v1/canned-replies/{id}", staff(a.getCannedReply)},
		{"PUT /api/v1/canned-replies/{id}", supervisor(a.updateCannedReply)},
		{"DELETE /api/v1/canned-replies/{id}", supervisor(a.deleteCannedReply)},
		{"GET /api/v1/webhooks", admin(a.listWebhooks)},
		{"POST /api/v1/webhooks", admin(a.createWebhook)},
		{"GET /api/v1/webhooks/{id}", admin(a.getWebhook)},
		{"PATCH /api/v1/webhooks/{id}", admin(a.updateWebhook)},
		{"DELETE /api/v1/webhooks/{id}", admin(a.deleteWebhook)},
		{"POST /api/v1/webhooks/{id}/rotate-secret", admin(a.rotateWebhookSecret)},
		{"POST /api/v1/webhooks/{id}/test", admin(a.testWebhook)},
		{"GET /api/v1/webhooks/{id}/deliveries", admin(a.webhookDeliveries)},
		{"POST /api/v1/webhooks/{id}/deliveries/{delivery}/retry", admin(a.retryWebhookDelivery)},
		{"/api/v1/", public(notFound)},
	}, a.workforceRoutes()...)
}

// Register adds the API's routes to mux. A route without a rule stops the
// server at start-up (and every test).
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		if !rt.rule.declared() {
			panic("api: route " + rt.pattern + " does not say who may call it")
		}
		mux.Handle(rt.pattern, a.serve(rt.rule.handler(a)))
	}
}

func preflight(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPI)
	return err
}

func notFound(w http.ResponseWriter, r *http.Request) error { return errNotFoundRoute }
