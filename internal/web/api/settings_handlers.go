package api

import (
	"encoding/json"
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
)

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
