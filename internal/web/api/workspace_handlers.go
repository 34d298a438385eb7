package api

import (
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

type cannedRequest struct {
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Body     string `json:"body"`
}

func (a *API) listCannedReplies(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.desk.CannedReplies(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_replies": list})
	return nil
}

func (a *API) getCannedReply(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.desk.CannedReply(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) createCannedReply(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	return a.saveCannedReply(w, r, act, 0)
}

func (a *API) updateCannedReply(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return a.saveCannedReply(w, r, act, id)
}

func (a *API) saveCannedReply(w http.ResponseWriter, r *http.Request, act desk.Actor, id int64) error {
	var req cannedRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := a.desk.SaveCannedReply(r.Context(), act, model.CannedReply{ID: id, Shortcut: req.Shortcut, Title: req.Title, Body: req.Body})
	if err != nil {
		return err
	}
	writeJSON(w, createdStatus(id == 0), c)
	return nil
}

func (a *API) deleteCannedReply(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.desk.DeleteCannedReply(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) setTags(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Tags []string `json:"tags"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	conv, err := a.desk.SetTags(r.Context(), act, id, req.Tags)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}

func (a *API) transfer(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		To      string `json:"to"`
		AgentID int64  `json:"agent_id"`
		Note    string `json:"note"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.To != "" && req.To != "queue" {
		return badRequest(`to must be "queue"; to hand the conversation to a colleague, give their agent_id`)
	}
	res, err := a.desk.Transfer(r.Context(), act, id, desk.TransferRequest{ToQueue: req.To == "queue", AgentID: req.AgentID, Note: req.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// typing serves POST /conversations/{id}/typing: the caller is writing. No
// body (or an empty JSON object); 204.
func (a *API) typing(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if r.ContentLength != 0 {
		var req struct{}
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	if err := a.desk.Typing(r.Context(), act, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
