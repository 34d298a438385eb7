package people

import (
	"context"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// OpenShifts is a request to open consecutive 30-minute slots.
type OpenShifts struct {
	StartsAt   time.Time `json:"starts_at"`
	Slots      int       `json:"slots"` // consecutive slots from StartsAt; 1 when 0
	Headcount  int       `json:"headcount"`
	Multiplier float64   `json:"multiplier"` // 1 when 0
}

// ShiftView is a slot as a person sees it: when it opens to them.
type ShiftView struct {
	*store.Shift
	BookableAt time.Time `json:"bookable_at"`
	// ReleaseBy is the release deadline of a booking.
	ReleaseBy time.Time `json:"release_by"`
}

// OpenShifts opens slots; admins and supervisors (the staffing forecast
// will open them too).
func (s *Service) OpenShifts(ctx context.Context, a desk.Actor, req OpenShifts) ([]*ShiftView, error) {
	if err := workforce.CheckSlotStart(req.StartsAt); err != nil {
		return nil, model.Invalid("starts_at", "%s", err)
	}
	if req.Slots == 0 {
		req.Slots = 1
	}
	if req.Slots < 1 || req.Slots > workforce.MaxSlotsAtOnce {
		return nil, model.Invalid("slots", "must be 1 to %d", workforce.MaxSlotsAtOnce)
	}
	if req.Headcount < 1 || req.Headcount > workforce.MaxHeadcount {
		return nil, model.Invalid("headcount", "must be 1 to %d", workforce.MaxHeadcount)
	}
	if req.Multiplier == 0 {
		req.Multiplier = 1
	}
	pct, ok := workforce.ToPercent(req.Multiplier)
	if !ok {
		return nil, model.Invalid("multiplier", "must be 1 to %d with at most two decimals", workforce.MaxMultiplier)
	}
	now := s.now()
	if !req.StartsAt.Add(workforce.SlotLength).After(now) {
		return nil, model.Invalid("starts_at", "must not be in the past (the slot under way may be opened)")
	}
	var slots []store.NewShift
	for i := range req.Slots {
		start := req.StartsAt.UTC().Add(time.Duration(i) * workforce.SlotLength)
		slots = append(slots, store.NewShift{StartsAt: start, EndsAt: start.Add(workforce.SlotLength), Headcount: req.Headcount, Multiplier: int64(pct)})
	}
	if _, err := s.store.CreateShifts(ctx, a.WorkspaceID, slots, a.AgentID, now); err != nil {
		return nil, err
	}
	return s.Shifts(ctx, a, slots[0].StartsAt, slots[len(slots)-1].EndsAt)
}

// MaxShiftRange bounds one listing of shifts.
const MaxShiftRange = 31 * 24 * time.Hour

// Shifts lists the slots overlapping [from, to) as the caller sees them.
func (s *Service) Shifts(ctx context.Context, a desk.Actor, from, to time.Time) ([]*ShiftView, error) {
	if !from.Before(to) || to.Sub(from) > MaxShiftRange {
		return nil, model.Invalid("to", "must be after from, at most 31 days later")
	}
	list, err := s.store.Shifts(ctx, a.WorkspaceID, a.AgentID, from, to)
	if err != nil {
		return nil, err
	}
	tier, err := s.store.AgentTier(ctx, a.WorkspaceID, a.AgentID)
	if err != nil {
		return nil, err
	}
	out := []*ShiftView{}
	for _, sh := range list {
		out = append(out, shiftView(sh, tier))
	}
	return out, nil
}

func shiftView(sh *store.Shift, tier string) *ShiftView {
	return &ShiftView{Shift: sh, BookableAt: workforce.BookableFrom(sh.StartsAt, tier), ReleaseBy: sh.StartsAt.Add(-workforce.ReleaseBefore)}
}

// Book books a slot for the caller, once their tier's head start allows.
func (s *Service) Book(ctx context.Context, a desk.Actor, shiftID int64) (*ShiftView, error) {
	tier, err := s.store.AgentTier(ctx, a.WorkspaceID, a.AgentID)
	if err != nil {
		return nil, err
	}
	sh, err := s.store.BookShift(ctx, a.WorkspaceID, shiftID, a.AgentID, func(start time.Time) time.Time { return workforce.BookableFrom(start, tier) }, s.now())
	if err != nil {
		return nil, err
	}
	return shiftView(sh, tier), nil
}

// Release gives the caller's booking back, until the release deadline.
func (s *Service) Release(ctx context.Context, a desk.Actor, shiftID int64) (*ShiftView, error) {
	sh, err := s.store.ReleaseShift(ctx, a.WorkspaceID, shiftID, a.AgentID, workforce.ReleaseBefore, s.now())
	if err != nil {
		return nil, err
	}
	tier, err := s.store.AgentTier(ctx, a.WorkspaceID, a.AgentID)
	if err != nil {
		return nil, err
	}
	return shiftView(sh, tier), nil
}
