package api

import (
	"net/http"

	"github.com/tandem-desk/tandem/internal/desk"
)

// csat serves POST /api/v1/conversations/{id}/csat: the customer rates their
// resolved conversation. 201 with the rating the first time, 200 when it
// replaces (or repeats) an earlier one.
func (a *API) csat(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Score   *int   `json:"score"`
		Comment string `json:"comment"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Score == nil {
		return badRequest("score is required: a whole number from 1 to 5")
	}
	rating, created, err := a.desk.SubmitCSAT(r.Context(), act, id, *req.Score, req.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, createdStatus(created), rating)
	return nil
}
