package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// searchParams are the query parameters of the staff search; any of them
// (or none with no assignee=me) makes GET /conversations the search.
func searchConversations(a *API, w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	v := r.URL.Query()
	q := desk.ConversationSearch{Cursor: v.Get("cursor")}
	q.Status = model.ConversationStatus(v.Get("status"))
	q.Text, q.Intent, q.Language, q.Tag = v.Get("q"), v.Get("intent"), v.Get("language"), v.Get("tag")
	var err error
	if q.AgentID, err = queryInt(r, "agent_id"); err != nil {
		return err
	}
	csatMax, err := queryInt(r, "csat_max")
	if err != nil {
		return err
	}
	q.CSATMax = int(min(csatMax, 100))
	if v.Get("csat_max") != "" && csatMax == 0 {
		return badRequest("csat_max must be from 1 to 5")
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q.Limit = int(min(limit, 200))
	if q.From, err = timeParam(r, "from", false); err != nil {
		return err
	}
	if q.To, err = timeParam(r, "to", true); err != nil {
		return err
	}
	list, next, err := a.desk.SearchConversations(r.Context(), act, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list, "next_cursor": next})
	return nil
}

// timeParam reads a date (YYYY-MM-DD, UTC; an end date counts whole) or
// an RFC 3339 time.
func timeParam(r *http.Request, name string, end bool) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return &d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, badRequest("%s must be a date (YYYY-MM-DD) or an RFC 3339 time", name)
	}
	return &t, nil
}

// conversationEvents serves GET /api/v1/conversations/{id}/events: the
// conversation's event log, for its transcript page.
func (a *API) conversationEvents(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	evs, err := a.desk.ConversationEvents(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

// reportSummary serves GET /api/v1/reports/summary?from&to&tz&by, as JSON
// or, with format=csv or Accept: text/csv, as a CSV table.
func (a *API) reportSummary(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	v := r.URL.Query()
	format := v.Get("format")
	if format != "" && format != "csv" && format != "json" {
		return badRequest("format must be csv or json")
	}
	if len(v.Get("tz")) > 64 {
		return badRequest("tz: unknown time zone")
	}
	s, err := a.desk.ReportSummary(r.Context(), act, v.Get("from"), v.Get("to"), v.Get("tz"), v.Get("by"))
	if err != nil {
		return err
	}
	if format == "csv" || (format == "" && strings.Contains(r.Header.Get("Accept"), "text/csv")) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name := "tandem-report-" + s.From.In(time.UTC).Format("20060102") + "-" + s.To.In(time.UTC).Format("20060102")
		if s.By != "" {
			name += "-by-" + s.By
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		return s.WriteCSV(w)
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) getReportSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	rs, err := a.desk.ReportSettings(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (a *API) putReportSettings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	rs, err := a.desk.ReportSettings(r.Context(), act)
	if err != nil {
		return err
	}
	var in struct {
		RepeatDays        *int   `json:"repeat_days"`
		AssistantCost     *int64 `json:"assistant_cost_per_conversation"`
		PersonCostPerHour *int64 `json:"person_cost_per_hour"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.RepeatDays != nil {
		rs.RepeatDays = *in.RepeatDays
	}
	if in.AssistantCost != nil {
		rs.AssistantCost = *in.AssistantCost
	}
	if in.PersonCostPerHour != nil {
		rs.PersonCostPerHour = *in.PersonCostPerHour
	}
	out, err := a.desk.SetReportSettings(r.Context(), act, store.ReportSettings(rs))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
