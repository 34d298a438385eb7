package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/store"
)

// Reporter reads what a report needs from the store and computes it.
type Reporter struct {
	store *store.Store
}

// NewReporter returns a Reporter over st.
func NewReporter(st *store.Store) *Reporter { return &Reporter{store: st} }

// Query asks for a period's summary.
type Query struct {
	From, To time.Time
	Loc      *time.Location
	By       string
	// Now is the time of the report (the injected clock's).
	Now time.Time
}

// Summary computes the workspace's report for q. It reads the events of
// the conversations created in the period and of those created up to the
// repeat window (or 24 hours, if longer) after it, where returns are found.
func (r *Reporter) Summary(ctx context.Context, workspaceID int64, q Query) (*Summary, error) {
	if !ValidBy(q.By) {
		return nil, fmt.Errorf("analytics: unknown grouping %q", q.By)
	}
	rs, err := r.store.ReportSettings(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	after := max(time.Duration(rs.RepeatDays)*24*time.Hour, AssumedWindow)
	events, convs, err := r.store.ReportEvents(ctx, workspaceID, q.From, q.To.Add(after+time.Microsecond))
	if err != nil {
		return nil, err
	}
	dims := make(map[int64]Dim, len(convs))
	for _, c := range convs {
		dims[c.ID] = Dim{CustomerID: c.CustomerID, Intent: c.Intent, Language: c.Language}
	}
	o := Options{From: q.From, To: q.To, Loc: q.Loc, By: q.By, RepeatDays: rs.RepeatDays,
		AssistantCost: rs.AssistantCost, PersonCostPerHour: rs.PersonCostPerHour, Now: q.Now}
	if q.By == ByAgent {
		agents, err := r.store.Agents(ctx, workspaceID)
		if err != nil {
			return nil, err
		}
		o.AgentNames = map[int64]string{}
		for _, a := range agents {
			o.AgentNames[a.ID] = a.Name
		}
	}
	return Summarize(Fold(events, dims), o), nil
}
