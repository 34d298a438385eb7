package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// SeedWorkforce gives the demo workspace its workforce so the new pages
// are not empty: an open join page, two training modules with quizzes, a
// week of open shifts from now, a pay policy with surge, and two weeks of
// ledger history for the three demo agents. Idempotent like Seed.
func SeedWorkforce(ctx context.Context, st *store.Store, info *DemoInfo, now time.Time) error {
	ws := info.Workspace
	if err := st.SetJoinSettings(ctx, ws.ID, store.JoinSettings{Open: true, AutoAccept: true,
		Questions: []string{"Which hours of the week could you work?"}}, now); err != nil {
		return err
	}
	policy := workforce.PayPolicy{Currency: "EUR", PerResolved: 250, PerMinute: 5,
		Surge: []workforce.SurgeRule{{QueueAtLeast: 5, Multiplier: 1.5}, {WaitAtLeastSeconds: 300, Multiplier: 2}}}
	if _, err := st.PayPolicy(ctx, ws.ID); err != nil {
		raw, _ := json.Marshal(policy)
		if err := st.SetPayPolicy(ctx, ws.ID, string(raw), policy.Currency, now); err != nil {
			return err
		}
	}
	mods, err := st.Modules(ctx, ws.ID)
	if err != nil {
		return err
	}
	if len(mods) == 0 {
		for _, m := range demoModules {
			qs, _ := json.Marshal(m.Questions)
			if _, err := st.CreateModule(ctx, store.TrainingModule{WorkspaceID: ws.ID, Title: m.Title, Body: m.Body, Certifies: m.Certifies,
				Questions: string(qs), PassMark: m.PassMark, RetakeAfterSeconds: m.RetakeAfterSeconds, CreatedAt: now}); err != nil {
				return err
			}
		}
	}
	if err := seedShifts(ctx, st, ws.ID, now); err != nil {
		return err
	}
	return seedLedger(ctx, st, info, now)
}

// seedShifts opens, for the next seven days, the slots from 08:00 to 20:00
// UTC that are not open yet: two people each, evenings at ×1.25.
func seedShifts(ctx context.Context, st *store.Store, workspaceID int64, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	existing, err := st.Shifts(ctx, workspaceID, 0, day, day.Add(8*24*time.Hour))
	if err != nil {
		return err
	}
	taken := map[time.Time]bool{}
	for _, s := range existing {
		taken[s.StartsAt] = true
	}
	var slots []store.NewShift
	for d := range 7 {
		for h := 8 * 2; h < 20*2; h++ {
			start := day.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*workforce.SlotLength)
			if taken[start] || !start.Add(workforce.SlotLength).After(now) {
				continue
			}
			mult := int64(100)
			if h >= 17*2 {
				mult = 125
			}
			slots = append(slots, store.NewShift{StartsAt: start, EndsAt: start.Add(workforce.SlotLength), Headcount: 2, Multiplier: mult})
		}
	}
	if len(slots) == 0 {
		return nil
	}
	_, err = st.CreateShifts(ctx, workspaceID, slots, 0, now)
	return err
}

// seedLedger writes fourteen days of pay for Ana, Ben and Chen: a few
// resolved conversations a day, some under surge, and a quality bonus.
func seedLedger(ctx context.Context, st *store.Store, info *DemoInfo, now time.Time) error {
	for i, a := range info.Staff {
		if a.Role != model.RoleAgent {
			continue
		}
		for d := 1; d <= 14; d++ {
			at := now.Add(-time.Duration(d) * 24 * time.Hour)
			for n := range 2 + (d+i)%3 {
				t := at.Add(time.Duration(n) * 37 * time.Minute)
				key := fmt.Sprintf("demo:%d:%d:%d", a.ID, d, n)
				if err := st.SeedLedgerEntry(ctx, store.LedgerEntry{WorkspaceID: a.WorkspaceID, AgentID: a.ID, Kind: workforce.KindBase, Amount: 250 + 5*int64(4+n),
					Currency: "EUR", Multiplier: 100, CreatedAt: t}, key+":base"); err != nil {
					return err
				}
				if (d+n+i)%4 == 0 {
					if err := st.SeedLedgerEntry(ctx, store.LedgerEntry{WorkspaceID: a.WorkspaceID, AgentID: a.ID, Kind: workforce.KindSurge, Amount: 135,
						Currency: "EUR", Multiplier: 150, CreatedAt: t}, key+":surge"); err != nil {
						return err
					}
				}
			}
		}
		if err := st.SeedLedgerEntry(ctx, store.LedgerEntry{WorkspaceID: a.WorkspaceID, AgentID: a.ID, Kind: workforce.KindBonus, Amount: 1000,
			Currency: "EUR", Multiplier: 100, Reason: "CSAT above 4.5 last month", CreatedAt: now.Add(-7 * 24 * time.Hour)}, fmt.Sprintf("demo:%d:bonus", a.ID)); err != nil {
			return err
		}
	}
	return nil
}

var demoModules = []workforce.Module{
	{
		Title: "Acme Pay essentials", Certifies: workforce.CertifiesWorkspace, PassMark: 0.8, RetakeAfterSeconds: 600,
		Body: `# Who we are
Acme Pay runs cards, transfers and refunds for 2 million customers.

# How we help
- Greet by name, and read the handoff summary before you write.
- Never ask for a full card number or a password.
- Refunds reach the card in 5 working days; transfers within the EU in 1.
- A customer who mentions fraud is transferred to the fraud team at once.`,
		Questions: []workforce.Question{
			{Text: "How long does a refund take to reach the card?", Choices: []string{"At once", "5 working days", "A month"}, Correct: []int{1}},
			{Text: "What may you never ask a customer for?", Choices: []string{"Their full card number", "Their name", "Their password"}, Correct: []int{0, 2}},
			{Text: "A customer mentions fraud. You…", Choices: []string{"Handle it yourself", "Transfer to the fraud team", "Ask them to call back"}, Correct: []int{1}},
			{Text: "Before your first reply you read…", Choices: []string{"The handoff summary", "Nothing"}, Correct: []int{0}},
			{Text: "EU transfers arrive within…", Choices: []string{"1 working day", "10 working days"}, Correct: []int{0}},
		},
	},
	{
		Title: "Disputes and chargebacks", Certifies: "skill:disputes", PassMark: 0.75, RetakeAfterSeconds: 3600,
		Body: `# Disputes
A customer may dispute a card payment within 120 days.
- Collect the date, amount and merchant.
- Open the dispute form; the customer gets a provisional credit within 10 days.`,
		Questions: []workforce.Question{
			{Text: "How long may a customer wait before disputing?", Choices: []string{"30 days", "120 days", "1 year"}, Correct: []int{1}},
			{Text: "What do you collect?", Choices: []string{"Date", "Amount", "Merchant", "PIN"}, Correct: []int{0, 1, 2}},
			{Text: "A provisional credit comes within…", Choices: []string{"10 days", "60 days"}, Correct: []int{0}},
			{Text: "Do you ask for the PIN?", Choices: []string{"Yes", "Never"}, Correct: []int{1}},
		},
	},
}
