package people

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// PayPolicy returns the workspace's pay policy; every staff member may
// read it (agents see what they earn). ErrNotFound when none is set.
func (s *Service) PayPolicy(ctx context.Context, a desk.Actor) (*workforce.PayPolicy, error) {
	return s.policy(ctx, a.WorkspaceID)
}

func (s *Service) policy(ctx context.Context, workspaceID int64) (*workforce.PayPolicy, error) {
	raw, err := s.store.PayPolicy(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	p, err := workforce.ParsePayPolicy([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("people: stored pay policy: %w", err)
	}
	return &p, nil
}

// SetPayPolicy replaces the workspace's pay policy; admins only.
func (s *Service) SetPayPolicy(ctx context.Context, a desk.Actor, p workforce.PayPolicy) (*workforce.PayPolicy, error) {
	if p.Surge == nil {
		p.Surge = []workforce.SurgeRule{}
	}
	if field, problem := p.Check(); field != "" {
		return nil, model.Invalid(field, "%s", problem)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPayPolicy(ctx, a.WorkspaceID, string(raw), p.Currency, s.now()); err != nil {
		return nil, err
	}
	return &p, nil
}

// Earnings is a person's pay over a time range.
type Earnings struct {
	Currency string               `json:"currency"`
	Total    int64                `json:"total"`
	From     time.Time            `json:"from"`
	To       time.Time            `json:"to"`
	Entries  []*store.LedgerEntry `json:"entries"`
}

// MyEarnings returns the caller's own ledger entries in [from, to).
func (s *Service) MyEarnings(ctx context.Context, a desk.Actor, from, to time.Time) (*Earnings, error) {
	if !from.Before(to) {
		return nil, model.Invalid("from", "must be before to")
	}
	entries, err := s.store.Ledger(ctx, a.WorkspaceID, a.AgentID, from, to)
	if err != nil {
		return nil, err
	}
	out := &Earnings{From: from, To: to, Entries: entries}
	if out.Entries == nil {
		out.Entries = []*store.LedgerEntry{}
	}
	for _, e := range entries {
		out.Total += e.Amount
		out.Currency = e.Currency
	}
	if out.Currency == "" {
		if p, err := s.policy(ctx, a.WorkspaceID); err == nil {
			out.Currency = p.Currency
		}
	}
	return out, nil
}

// Adjustment is a manual ledger entry.
type Adjustment struct {
	AgentID int64  `json:"agent_id"`
	Kind    string `json:"kind"` // adjustment (default) or bonus
	Amount  int64  `json:"amount"`
	Reason  string `json:"reason"`
}

// Adjust appends a manual entry with its reason; admins only. A correction
// is a negative adjustment, never an edit.
func (s *Service) Adjust(ctx context.Context, a desk.Actor, adj Adjustment) (*store.LedgerEntry, error) {
	if adj.Kind == "" {
		adj.Kind = workforce.KindAdjustment
	}
	if adj.Kind != workforce.KindAdjustment && adj.Kind != workforce.KindBonus {
		return nil, model.Invalid("kind", "must be adjustment or bonus")
	}
	if adj.Amount == 0 || adj.Amount > workforce.MaxAmount || adj.Amount < -workforce.MaxAmount {
		return nil, model.Invalid("amount", "must be a non-zero whole number of minor units, at most %d either way", workforce.MaxAmount)
	}
	if adj.Kind == workforce.KindBonus && adj.Amount < 0 {
		return nil, model.Invalid("amount", "a bonus must be positive; correct with an adjustment")
	}
	adj.Reason = strings.TrimSpace(adj.Reason)
	if adj.Reason == "" || len(adj.Reason) > 500 {
		return nil, model.Invalid("reason", "must say why, in 1 to 500 characters")
	}
	p, err := s.policy(ctx, a.WorkspaceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("set a pay policy (its currency) first: %w", store.ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	by := a.AgentID
	return s.store.AddAdjustment(ctx, store.LedgerEntry{WorkspaceID: a.WorkspaceID, AgentID: adj.AgentID, Kind: adj.Kind, Amount: adj.Amount,
		Currency: p.Currency, Reason: adj.Reason, CreatedBy: &by, CreatedAt: s.now()})
}

// Payout is one person's pay of a period, by kind.
type Payout struct {
	AgentID    int64  `json:"agent_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Base       int64  `json:"base"`
	Surge      int64  `json:"surge"`
	Bonus      int64  `json:"bonus"`
	Adjustment int64  `json:"adjustment"`
	Total      int64  `json:"total"`
	Entries    int    `json:"entries"`
}

// Payouts is a pay period's payouts: their total equals the ledger's.
type Payouts struct {
	Period   string           `json:"period"`
	From     time.Time        `json:"from"`
	To       time.Time        `json:"to"`
	Currency string           `json:"currency"`
	Closed   *store.PayPeriod `json:"closed"`
	Total    int64            `json:"total"`
	Payouts  []*Payout        `json:"payouts"`
}

// Payouts sums a period's ledger per person; admins only.
func (s *Service) Payouts(ctx context.Context, a desk.Actor, period string) (*Payouts, error) {
	if period == "" {
		period = workforce.PeriodOf(s.now()).Name
	}
	p, err := workforce.ParsePeriod(period)
	if err != nil {
		return nil, model.Invalid("period", "%s", err)
	}
	entries, err := s.store.Ledger(ctx, a.WorkspaceID, 0, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	staff, err := s.store.Agents(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := &Payouts{Period: p.Name, From: p.Start, To: p.End, Payouts: []*Payout{}}
	by := map[int64]*Payout{}
	for _, ag := range staff {
		by[ag.ID] = &Payout{AgentID: ag.ID, Name: ag.Name, Email: ag.Email}
	}
	for _, e := range entries {
		po := by[e.AgentID]
		switch e.Kind {
		case workforce.KindBase:
			po.Base += e.Amount
		case workforce.KindSurge:
			po.Surge += e.Amount
		case workforce.KindBonus:
			po.Bonus += e.Amount
		default:
			po.Adjustment += e.Amount
		}
		po.Total += e.Amount
		po.Entries++
		out.Total += e.Amount
		out.Currency = e.Currency
	}
	for _, po := range by {
		if po.Entries > 0 {
			out.Payouts = append(out.Payouts, po)
		}
	}
	sort.Slice(out.Payouts, func(i, j int) bool { return out.Payouts[i].AgentID < out.Payouts[j].AgentID })
	if out.Currency == "" {
		if pol, err := s.policy(ctx, a.WorkspaceID); err == nil {
			out.Currency = pol.Currency
		}
	}
	closed, err := s.store.PayPeriodClosed(ctx, a.WorkspaceID, p.Name)
	switch {
	case err == nil:
		out.Closed = closed
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return out, nil
}

// ClosePeriod closes a pay period that has ended; admins only.
func (s *Service) ClosePeriod(ctx context.Context, a desk.Actor, period string) (*store.PayPeriod, error) {
	p, err := workforce.ParsePeriod(period)
	if err != nil {
		return nil, model.Invalid("period", "%s", err)
	}
	now := s.now()
	if now.Before(p.End) {
		return nil, fmt.Errorf("pay period %s has not ended (it ends %s): %w", p.Name, p.End.Format(time.RFC3339), store.ErrConflict)
	}
	currency := ""
	var bonuses []store.LedgerEntry
	pol, err := s.policy(ctx, a.WorkspaceID)
	switch {
	case err == nil:
		currency = pol.Currency
		if q := pol.QualityBonus; q != nil {
			ratings, err := s.store.PeriodRatings(ctx, a.WorkspaceID, p.Start, p.End)
			if err != nil {
				return nil, err
			}
			for agentID, r := range ratings {
				if q.Earned(r[0], r[1]) {
					bonuses = append(bonuses, store.LedgerEntry{AgentID: agentID, Kind: workforce.KindBonus, Amount: q.Amount,
						Reason: fmt.Sprintf("quality bonus %s: CSAT %.2f over %d ratings", p.Name, float64(r[0])/float64(r[1]), r[1])})
				}
			}
			sort.Slice(bonuses, func(i, j int) bool { return bonuses[i].AgentID < bonuses[j].AgentID })
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return s.store.ClosePeriod(ctx, a.WorkspaceID, p.Name, p.Start, p.End, currency, bonuses, a.AgentID, now)
}

// PayPeriods lists the closed pay periods; admins only.
func (s *Service) PayPeriods(ctx context.Context, a desk.Actor) ([]*store.PayPeriod, error) {
	return s.store.PayPeriods(ctx, a.WorkspaceID)
}

// Outlook is how busy the workspace is now, for a person deciding whether
// to go online: the queue, the oldest wait and the surge in force for them.
type Outlook struct {
	Queued            int     `json:"queued"`
	OldestWaitSeconds int     `json:"oldest_wait_seconds"`
	SurgeMultiplier   float64 `json:"surge_multiplier"`
	Currency          string  `json:"currency,omitempty"`
	PerResolved       int64   `json:"per_resolved"`
	// BookedNow: the person holds a booking of the slot under way.
	BookedNow bool `json:"booked_now"`
}

// Outlook reads the load and the surge multiplier in force for the caller.
func (s *Service) Outlook(ctx context.Context, a desk.Actor) (*Outlook, error) {
	now := s.now()
	pl, err := s.store.PayLoad(ctx, a.WorkspaceID, a.AgentID, now)
	if err != nil {
		return nil, err
	}
	out := &Outlook{Queued: pl.Queued, OldestWaitSeconds: int(pl.OldestWait / time.Second), SurgeMultiplier: 1, BookedNow: pl.SlotPercent > 0}
	p, err := s.policy(ctx, a.WorkspaceID)
	switch {
	case err == nil:
		m := p.SurgeInForce(workforce.Load{Queued: pl.Queued, OldestWait: pl.OldestWait, Slot: workforce.Percent(pl.SlotPercent)})
		out.SurgeMultiplier, out.Currency, out.PerResolved = float64(m)/100, p.Currency, p.PerResolved
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return out, nil
}
