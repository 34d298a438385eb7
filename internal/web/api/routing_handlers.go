package api

import (
	"encoding/json"
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

// dispatchPasses serves GET /api/v1/dispatch/passes: this node's dispatch
// pass counters (see desk.DispatchPasses), so that a caller can tell when
// the node's dispatcher has caught up.
func (a *API) dispatchPasses(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	p, err := a.desk.DispatchPasses(act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) routingSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	set, err := a.desk.RoutingSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (a *API) setRoutingSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	// One JSON object, size-limited; the fields are checked against the
	// settings themselves (unknown fields are refused there).
	var raw json.RawMessage
	if err := decode(w, r, &raw); err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return &apiError{http.StatusBadRequest, "invalid_json", "the settings must be a JSON object"}
	}
	set, err := a.desk.SetRoutingSettings(r.Context(), act, raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (a *API) agent(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	agent, err := a.desk.Agent(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Skills       *[]model.AgentSkill `json:"skills"`
		Languages    *[]string           `json:"languages"`
		Capacity     *int                `json:"capacity"`
		QualityScore *float64            `json:"quality_score"`
		CertifiedFor *[]string           `json:"certified_for"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	agent, err := a.desk.UpdateAgent(r.Context(), act, id, desk.AgentProfile{
		Skills: req.Skills, Languages: req.Languages, Capacity: req.Capacity, QualityScore: req.QualityScore, CertifiedFor: req.CertifiedFor,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agent)
	return nil
}

func (a *API) queue(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.Queue(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": list})
	return nil
}

// take serves POST /api/v1/conversations/{id}/take: the calling agent
// picks a queued conversation from the queue (staff only).
func (a *API) take(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	offer, conv, err := a.desk.Take(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offer": offer, "conversation": conv})
	return nil
}

func (a *API) followUp(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	conv, err := a.desk.FollowUp(r.Context(), act, id, req.Email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}
