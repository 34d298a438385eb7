package desk

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/analytics"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// Limits of the report settings.
const (
	MaxRepeatDays = 90
	MaxCost       = 1_000_000_000 // minor units
)

// ConversationSearch is a staff search: the store's filter, read from the
// request, plus the opaque cursor of the page before.
type ConversationSearch struct {
	store.ConversationSearch
	Cursor string
}

// SearchConversations lists the conversations staff may see that match q,
// newest first, and the cursor of the next page ("" after the last).
// Admins and supervisors see the whole workspace; an agent the
// conversations they own and the queue.
func (d *Desk) SearchConversations(ctx context.Context, a Actor, q ConversationSearch) ([]*model.Conversation, string, error) {
	if q.Status != "" && !q.Status.Valid() {
		return nil, "", model.Invalid("status", "unknown status %q", q.Status)
	}
	if q.CSATMax < 0 || q.CSATMax > model.MaxCSATScore {
		return nil, "", model.Invalid("csat_max", "must be from %d to %d", model.MinCSATScore, model.MaxCSATScore)
	}
	if len(q.Text) > 500 {
		return nil, "", model.Invalid("q", "must be at most 500 bytes")
	}
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", model.Invalid("cursor", "is not a cursor this server gave out")
		}
		q.AfterCreated, q.AfterID = at, id
	}
	if a.Kind == KindAgent {
		q.MineOrQueued = a.AgentID
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	list, err := d.store.SearchConversations(ctx, a.WorkspaceID, q.ConversationSearch)
	if err != nil {
		return nil, "", err
	}
	for _, c := range list {
		if err := d.decorateCSAT(ctx, c); err != nil {
			return nil, "", err
		}
	}
	if err := d.tagAll(ctx, a, list); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) == q.Limit {
		last := list[len(list)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return list, next, nil
}

// The cursor is opaque to clients; inside, the last row's creation time
// and id, which continue the newest-first order without skipping or
// repeating a conversation created meanwhile.
func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, err
	}
	us, ids, ok := strings.Cut(string(raw), ".")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("no separator")
	}
	u, err1 := strconv.ParseInt(us, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return time.Time{}, 0, fmt.Errorf("bad numbers")
	}
	return time.UnixMicro(u).UTC(), id, nil
}

// ConversationEvents is a conversation's event log, for its transcript page (staff).
func (d *Desk) ConversationEvents(ctx context.Context, a Actor, id int64) ([]model.Event, error) {
	if _, err := d.conversationFor(ctx, a, id); err != nil {
		return nil, err
	}
	return d.store.ConversationEvents(ctx, a.WorkspaceID, id)
}

// ReportSummary computes the workspace's report over a period
// (internal/analytics; docs/metrics.md).
func (d *Desk) ReportSummary(ctx context.Context, a Actor, from, to, tz, by string) (*analytics.Summary, error) {
	if !analytics.ValidBy(by) {
		return nil, model.Invalid("by", "must be one of day, week, agent, intent, language, channel")
	}
	now := d.now()
	start, end, loc, err := analytics.ParsePeriod(from, to, tz, now)
	if err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		return nil, model.Invalid(field, "%s", msg)
	}
	return analytics.NewReporter(d.store).Summary(ctx, a.WorkspaceID, analytics.Query{From: start, To: end, Loc: loc, By: by, Now: now})
}

// ReportSettings returns the workspace's report settings.
func (d *Desk) ReportSettings(ctx context.Context, a Actor) (store.ReportSettings, error) {
	return d.store.ReportSettings(ctx, a.WorkspaceID)
}

// SetReportSettings validates and stores the workspace's report settings.
func (d *Desk) SetReportSettings(ctx context.Context, a Actor, rs store.ReportSettings) (store.ReportSettings, error) {
	switch {
	case rs.RepeatDays < 1 || rs.RepeatDays > MaxRepeatDays:
		return rs, model.Invalid("repeat_days", "must be from 1 to %d", MaxRepeatDays)
	case rs.AssistantCost < 0 || rs.AssistantCost > MaxCost:
		return rs, model.Invalid("assistant_cost_per_conversation", "must be from 0 to %d (minor units)", MaxCost)
	case rs.PersonCostPerHour < 0 || rs.PersonCostPerHour > MaxCost:
		return rs, model.Invalid("person_cost_per_hour", "must be from 0 to %d (minor units)", MaxCost)
	}
	if err := d.store.SetReportSettings(ctx, a.WorkspaceID, rs, d.now()); err != nil {
		return rs, err
	}
	return rs, nil
}
