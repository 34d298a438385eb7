package api

import (
	"encoding/json"
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
)

// registerAdmin adds the admin console's routes: the live overview, the
// workspace and assistant settings, the identity secret, and the
// customers' ratings.
func (a *API) registerAdmin(h func(pattern string, fn handlerFunc)) {
	h("GET /api/v1/stats/overview", a.authed(a.overview))
	h("GET /api/v1/settings/workspace", a.authed(a.getWorkspaceSettings))
	h("PUT /api/v1/settings/workspace", a.authed(a.putWorkspaceSettings))
	h("POST /api/v1/settings/identity-secret/rotate", a.authed(a.rotateIdentitySecret))
	h("GET /api/v1/settings/assistant", a.authed(a.getAssistantPolicy))
	h("PUT /api/v1/settings/assistant", a.authed(a.putAssistantPolicy))
	h("POST /api/v1/conversations/{id}/csat", a.authed(a.csat))
}

func (a *API) getWorkspaceSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	s, err := a.desk.WorkspaceSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) putWorkspaceSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req struct {
		Name           *string   `json:"name"`
		AssistantName  *string   `json:"assistant_name"`
		AllowedOrigins *[]string `json:"allowed_origins"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	s, err := a.desk.UpdateWorkspaceSettings(r.Context(), act, desk.WorkspaceSettingsInput{
		Name: req.Name, AssistantName: req.AssistantName, AllowedOrigins: req.AllowedOrigins,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) rotateIdentitySecret(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	secret, err := a.desk.RotateIdentitySecret(r.Context(), act)
	if err != nil {
		return err
	}
	s, err := a.desk.WorkspaceSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"identity_secret": secret, "settings": s})
	return nil
}

func (a *API) getAssistantPolicy(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	p, err := a.desk.AssistantPolicy(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) putAssistantPolicy(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req struct {
		Policy json.RawMessage `json:"policy"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Policy) == 0 || req.Policy[0] != '{' {
		return badRequest("policy is required: an object such as {\"answer_precision\":0.97}; {} restores the defaults")
	}
	p, err := a.desk.SetAssistantPolicy(r.Context(), act, req.Policy)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
