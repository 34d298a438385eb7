package api

import (
	"net/http"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
)

// overview serves GET /api/v1/stats/overview?tz=Europe/Stockholm: the live
// overview of the caller's workspace, "today" starting at midnight in tz
// (an IANA time zone; UTC when absent).
func (a *API) overview(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	loc := time.UTC
	if tz := r.URL.Query().Get("tz"); tz != "" {
		var err error
		// LoadLocation refuses names that climb out of the zone database.
		if loc, err = time.LoadLocation(tz); err != nil || len(tz) > 64 {
			return badRequest("tz: unknown time zone %q", tz)
		}
	}
	o, err := a.desk.Overview(r.Context(), act, loc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
