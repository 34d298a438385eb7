package api

import (
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
)

// Option configures an API beyond its desk.
type Option func(*API)

// WithPeople serves the workforce's people endpoints (setup, invitations,
// roles, deactivation) through p.
func WithPeople(p *people.Service) Option { return func(a *API) { a.people = p } }

// workforceRoutes are the workforce's routes (docs/workforce.md), with who
// may call each. Deactivation comes last: the route-table test calls the
// routes in order as an agent who must still be active for the others.
func (a *API) workforceRoutes() []route {
	return []route{
		{"GET /api/v1/setup/{token}", public(a.setupValid)},
		{"POST /api/v1/setup", public(a.setup)},
		{"POST /api/v1/invitations/{token}/accept", public(a.acceptInvitation)},
		{"GET /api/v1/join/{workspace}", public(a.joinPage)},
		{"POST /api/v1/join/{workspace}", public(a.apply)},
		{"DELETE /api/v1/agents/me/sessions", staff(a.signOutEverywhere)},
		{"GET /api/v1/agents/me/earnings", staff(a.earnings)},
		{"GET /api/v1/agents/me/outlook", staff(a.outlook)},
		{"GET /api/v1/agents/me/score", staff(a.myScore)},
		{"GET /api/v1/training/modules", staff(a.modules)},
		{"GET /api/v1/training/modules/{id}", staff(a.module)},
		{"POST /api/v1/training/modules/{id}/attempts", staff(a.attempt)},
		{"GET /api/v1/pay-policy", staff(a.payPolicy)},
		{"GET /api/v1/shifts", staff(a.shifts)},
		{"POST /api/v1/shifts/{id}/booking", staff(a.book)},
		{"DELETE /api/v1/shifts/{id}/booking", staff(a.release)},
		{"GET /api/v1/invitations", supervisor(a.invitations)},
		{"POST /api/v1/invitations", supervisor(a.invite)},
		{"POST /api/v1/training/modules", supervisor(a.createModule)},
		{"PUT /api/v1/training/modules/{id}", supervisor(a.updateModule)},
		{"POST /api/v1/agents/{id}/probation/approve", supervisor(a.approveProbation)},
		{"GET /api/v1/agents/{id}/score", supervisor(a.agentScore)},
		{"GET /api/v1/scores", supervisor(a.scores)},
		{"GET /api/v1/reviews", supervisor(a.reviews)},
		{"POST /api/v1/shifts", supervisor(a.openShifts)},
		{"GET /api/v1/join-settings", supervisor(a.joinSettings)},
		{"GET /api/v1/applicants", supervisor(a.applicants)},
		{"POST /api/v1/applicants/{id}/accept", supervisor(a.decide(true))},
		{"POST /api/v1/applicants/{id}/reject", supervisor(a.decide(false))},
		{"PUT /api/v1/join-settings", admin(a.setJoinSettings)},
		{"PUT /api/v1/pay-policy", admin(a.setPayPolicy)},
		{"POST /api/v1/ledger/adjustments", admin(a.adjust)},
		{"GET /api/v1/payouts", admin(a.payouts)},
		{"GET /api/v1/pay-periods", admin(a.payPeriods)},
		{"POST /api/v1/pay-periods/{period}/close", admin(a.closePeriod)},
		{"PUT /api/v1/agents/{id}/role", admin(a.setRole)},
		{"POST /api/v1/agents/{id}/reactivate", admin(a.reactivate)},
		{"POST /api/v1/agents/{id}/deactivate", supervisor(a.deactivate)},
	}
}

// setupValid answers the setup page: does this link still work?
func (a *API) setupValid(w http.ResponseWriter, r *http.Request) error {
	ok, err := a.people.SetupValid(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	if !ok {
		return &apiError{http.StatusNotFound, "not_found", "this setup link is not valid (the server is set up already?)"}
	}
	writeJSON(w, http.StatusOK, map[string]bool{"valid": true})
	return nil
}

func (a *API) setup(w http.ResponseWriter, r *http.Request) error {
	var req people.Setup
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, agent, err := a.people.RunSetup(r.Context(), req)
	if err != nil {
		return err
	}
	a.signedIn(w, r, http.StatusCreated, token, agent)
	return nil
}

// signedIn answers a request that signed someone in: the token, also as
// the console's session cookie.
func (a *API) signedIn(w http.ResponseWriter, r *http.Request, status int, token string, agent *model.Agent) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	})
	writeJSON(w, status, map[string]any{"token": token, "agent": agent})
}

func (a *API) invite(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req people.Invite
	if err := decode(w, r, &req); err != nil {
		return err
	}
	inv, token, err := a.people.Invite(r.Context(), act, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"invitation": inv, "token": token, "link": baseURL(r) + "/invite/" + token})
	return nil
}

// baseURL is the scheme and host the request reached.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *API) invitations(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.Invitations(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": nonNilSlice(list)})
	return nil
}

func nonNilSlice[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, agent, err := a.people.AcceptInvitation(r.Context(), r.PathValue("token"), req.Name, req.Password)
	if err != nil {
		return err
	}
	a.signedIn(w, r, http.StatusCreated, token, agent)
	return nil
}

func (a *API) setRole(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Role model.Role `json:"role"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	agent, err := a.people.SetRole(r.Context(), act, id, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) deactivate(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	agent, err := a.people.Deactivate(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) reactivate(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	agent, err := a.people.Reactivate(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) signOutEverywhere(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	if err := a.people.SignOutEverywhere(r.Context(), act); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) joinPage(w http.ResponseWriter, r *http.Request) error {
	p, err := a.people.JoinPage(r.Context(), r.PathValue("workspace"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) apply(w http.ResponseWriter, r *http.Request) error {
	var req people.Apply
	if err := decode(w, r, &req); err != nil {
		return err
	}
	token, agent, err := a.people.Apply(r.Context(), r.PathValue("workspace"), req)
	if err != nil {
		return err
	}
	a.signedIn(w, r, http.StatusCreated, token, agent)
	return nil
}

func (a *API) joinSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	js, err := a.people.JoinSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, js)
	return nil
}

func (a *API) setJoinSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req store.JoinSettings
	if err := decode(w, r, &req); err != nil {
		return err
	}
	js, err := a.people.SetJoinSettings(r.Context(), act, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, js)
	return nil
}

func (a *API) applicants(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.Applicants(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"applicants": list})
	return nil
}

func (a *API) decide(accept bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		ap, err := a.people.Decide(r.Context(), act, id, accept)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ap)
		return nil
	}
}
