package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

func (a *API) modules(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.Modules(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": list})
	return nil
}

func (a *API) createModule(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var m workforce.Module
	if err := decode(w, r, &m); err != nil {
		return err
	}
	v, err := a.people.CreateModule(r.Context(), act, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) module(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.people.Module(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) updateModule(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var m workforce.Module
	if err := decode(w, r, &m); err != nil {
		return err
	}
	v, err := a.people.UpdateModule(r.Context(), act, id, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) attempt(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Answers [][]int `json:"answers"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.people.Attempt(r.Context(), act, id, req.Answers)
	if errors.Is(err, store.ErrTooEarly) {
		return &apiError{http.StatusConflict, "retake_too_early", message(err, "too early to retake")}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (a *API) approveProbation(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ag, err := a.people.ApproveProbation(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ag)
	return nil
}

func (a *API) reviews(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.ReviewMarks(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": nonNilSlice(list)})
	return nil
}

func (a *API) payPolicy(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	p, err := a.people.PayPolicy(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) setPayPolicy(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var p workforce.PayPolicy
	if err := decode(w, r, &p); err != nil {
		return err
	}
	out, err := a.people.SetPayPolicy(r.Context(), act, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// timeOr reads a time query parameter as timeParam does (a date is its
// midnight UTC), in UTC; def when absent.
func timeOr(r *http.Request, name string, def time.Time) (time.Time, error) {
	t, err := timeParam(r, name, false)
	if err != nil {
		return time.Time{}, err
	}
	if t == nil {
		return def, nil
	}
	return t.UTC(), nil
}

func (a *API) earnings(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	period := workforce.PeriodOf(time.Now())
	from, err := timeOr(r, "from", period.Start)
	if err != nil {
		return err
	}
	to, err := timeOr(r, "to", period.End)
	if err != nil {
		return err
	}
	e, err := a.people.MyEarnings(r.Context(), act, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (a *API) outlook(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	o, err := a.people.Outlook(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (a *API) adjust(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req people.Adjustment
	if err := decode(w, r, &req); err != nil {
		return err
	}
	e, err := a.people.Adjust(r.Context(), act, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

// payouts answers JSON, or CSV with ?format=csv: one row per person with
// amounts in minor units, then a total row equal to the ledger's sum.
func (a *API) payouts(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	p, err := a.people.Payouts(r.Context(), act, r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "csv" {
		writeJSON(w, http.StatusOK, p)
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="payouts-%s.csv"`, p.Period))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"period", "agent_id", "email", "name", "currency", "base", "surge", "bonus", "adjustment", "total"})
	i := strconv.FormatInt
	for _, po := range p.Payouts {
		_ = cw.Write([]string{p.Period, i(po.AgentID, 10), po.Email, csvSafe(po.Name), p.Currency, i(po.Base, 10), i(po.Surge, 10), i(po.Bonus, 10), i(po.Adjustment, 10), i(po.Total, 10)})
	}
	_ = cw.Write([]string{p.Period, "", "", "TOTAL", p.Currency, "", "", "", "", i(p.Total, 10)})
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

func (a *API) payPeriods(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.PayPeriods(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"periods": nonNilSlice(list)})
	return nil
}

func (a *API) closePeriod(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	p, err := a.people.ClosePeriod(r.Context(), act, r.PathValue("period"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) shifts(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	now := time.Now().UTC()
	from, err := timeOr(r, "from", now.Truncate(workforce.SlotLength))
	if err != nil {
		return err
	}
	to, err := timeOr(r, "to", from.Add(7*24*time.Hour))
	if err != nil {
		return err
	}
	list, err := a.people.Shifts(r.Context(), act, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shifts": list})
	return nil
}

func (a *API) openShifts(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	var req people.OpenShifts
	if err := decode(w, r, &req); err != nil {
		return err
	}
	list, err := a.people.OpenShifts(r.Context(), act, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"shifts": list})
	return nil
}

func (a *API) book(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sh, err := a.people.Book(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sh)
	return nil
}

func (a *API) release(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sh, err := a.people.Release(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sh)
	return nil
}

func (a *API) myScore(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	v, err := a.people.Score(r.Context(), act, act.AgentID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) agentScore(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := a.people.Score(r.Context(), act, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) scores(w http.ResponseWriter, r *http.Request, act desk.Actor) error {
	list, err := a.people.Scores(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scores": list})
	return nil
}
