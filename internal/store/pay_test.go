package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestResolvePaysOnce: many resolves of one conversation at once — from two
// stores over one database, as two nodes would — write its pay exactly
// once; pay for someone who no longer holds the conversation is not written.
func TestResolvePaysOnce(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := b.newDB(t)
			s1, err := b.open(ctx, dsn)
			must(t, err, "open 1")
			defer s1.Close()
			s2, err := b.open(ctx, dsn)
			must(t, err, "open 2")
			defer s2.Close()
			ws := seedWorkspace(t, s1, "acme")
			ana := seedAgent(t, s1, ws, "ana", 3, model.AgentAvailable)
			ben := seedAgent(t, s1, ws, "ben", 3, model.AgentAvailable)
			cust := seedCustomer(t, s1, ws, "c1")
			for round := range 3 {
				conv := assignedConversation(t, s1, cust, ana, at(time.Duration(round)*time.Hour))
				pay := &store.Earning{AgentID: ana.ID, Currency: "EUR", Entries: []store.EarningEntry{
					{Kind: "base", Amount: 250, Multiplier: 100}, {Kind: "surge", Amount: 125, Multiplier: 150}}}
				var wg sync.WaitGroup
				for i := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						st := []*store.Store{s1, s2}[i%2]
						if _, _, err := st.ResolveAndPay(ctx, ws.ID, conv.ID, pay, at(time.Duration(round)*time.Hour+time.Minute)); err != nil {
							t.Errorf("resolve %d: %v", i, err)
						}
					}()
				}
				wg.Wait()
				// Reopened and resolved again by the same person: still paid once.
				if _, _, err := s2.ResolveAndPay(ctx, ws.ID, conv.ID, pay, at(time.Duration(round)*time.Hour+2*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			entries, err := s1.Ledger(ctx, ws.ID, ana.ID, at(-time.Hour), at(24*time.Hour))
			must(t, err, "ledger")
			var total int64
			for _, e := range entries {
				total += e.Amount
			}
			if len(entries) != 6 || total != 3*375 {
				t.Fatalf("%d entries totalling %d, want 6 totalling %d", len(entries), total, 3*375)
			}
			// Pay computed for Ben while Ana holds the conversation is not written.
			conv := assignedConversation(t, s1, cust, ana, at(5*time.Hour))
			_, _, err = s1.ResolveAndPay(ctx, ws.ID, conv.ID, &store.Earning{AgentID: ben.ID, Currency: "EUR",
				Entries: []store.EarningEntry{{Kind: "base", Amount: 250, Multiplier: 100}}}, at(5*time.Hour+time.Minute))
			must(t, err, "resolve")
			benEntries, err := s1.Ledger(ctx, ws.ID, ben.ID, at(-time.Hour), at(24*time.Hour))
			must(t, err, "ledger")
			if len(benEntries) != 0 {
				t.Errorf("Ben was paid for Ana's conversation: %+v", benEntries)
			}
		})
	}
}

// TestShiftBookings: the last place of a slot goes to one of two people
// booking at once; head start and release deadline hold; attendance is
// recorded from status changes and counts in adherence.
func TestShiftBookings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ana := seedAgent(t, s, ws, "ana", 3, model.AgentOffline)
		ben := seedAgent(t, s, ws, "ben", 3, model.AgentOffline)
		slot := at(4 * time.Hour)
		ids, err := s.CreateShifts(ctx, ws.ID, []store.NewShift{{StartsAt: slot, EndsAt: slot.Add(30 * time.Minute), Headcount: 1, Multiplier: 150}}, 0, at(0))
		must(t, err, "create")
		_, err = s.CreateShifts(ctx, ws.ID, []store.NewShift{{StartsAt: slot, EndsAt: slot.Add(30 * time.Minute), Headcount: 1, Multiplier: 100}}, 0, at(0))
		wantErr(t, err, store.ErrConflict, "a second slot at the same start")
		open := func(time.Time) time.Time { return at(0) }
		_, err = s.BookShift(ctx, ws.ID, ids[0], ana.ID, func(time.Time) time.Time { return at(time.Hour) }, at(0))
		wantErr(t, err, store.ErrConflict, "booking before the head start allows")

		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, a := range []*model.Agent{ana, ben} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.BookShift(ctx, ws.ID, ids[0], a.ID, open, at(time.Minute))
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("both or neither booked the last place: %v", errs)
		}
		winner, loser := ana, ben
		if errs[0] != nil {
			winner, loser = ben, ana
		}
		sh, err := s.ShiftByID(ctx, ws.ID, winner.ID, ids[0])
		must(t, err, "shift")
		if sh.Booked != 1 || !sh.BookedByMe {
			t.Errorf("slot after booking %+v", sh)
		}
		_, err = s.ReleaseShift(ctx, ws.ID, ids[0], loser.ID, 2*time.Hour, at(time.Hour))
		wantErr(t, err, store.ErrNotFound, "releasing a slot one has not booked")
		_, err = s.ReleaseShift(ctx, ws.ID, ids[0], winner.ID, 2*time.Hour, at(3*time.Hour))
		wantErr(t, err, store.ErrConflict, "release after the deadline")

		// The winner shows up 10 minutes into the slot; pay reads its multiplier.
		_, _, err = s.SetAgentStatus(ctx, ws.ID, winner.ID, model.AgentAvailable, slot.Add(10*time.Minute))
		must(t, err, "available")
		pl, err := s.PayLoad(ctx, ws.ID, winner.ID, slot.Add(15*time.Minute))
		must(t, err, "pay load")
		if pl.SlotPercent != 150 {
			t.Errorf("slot multiplier %d, want 150", pl.SlotPercent)
		}
		booked, attended, err := s.Adherence(ctx, ws.ID, winner.ID, slot.Add(time.Hour))
		must(t, err, "adherence")
		if booked != 1 || attended != 1 {
			t.Errorf("adherence %d/%d, want 1/1", attended, booked)
		}
		// A booked no-show counts against adherence.
		next := slot.Add(time.Hour)
		ids2, err := s.CreateShifts(ctx, ws.ID, []store.NewShift{{StartsAt: next, EndsAt: next.Add(30 * time.Minute), Headcount: 2, Multiplier: 100}}, 0, at(0))
		must(t, err, "create 2")
		_, err = s.BookShift(ctx, ws.ID, ids2[0], loser.ID, open, at(time.Minute))
		must(t, err, "book 2")
		booked, attended, err = s.Adherence(ctx, ws.ID, loser.ID, next.Add(time.Hour))
		must(t, err, "adherence")
		if booked != 1 || attended != 0 {
			t.Errorf("no-show adherence %d/%d, want 0/1", attended, booked)
		}
	})
}
