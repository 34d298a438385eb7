package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestSetupOnce: two setup links used at the same moment create one first
// workspace; the other is refused and nothing of it is written.
func TestSetupOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ok, err := s.SetupTokenValid(ctx, "h1")
		must(t, err, "valid")
		if ok {
			t.Fatal("an unknown token is valid")
		}
		must(t, s.CreateSetupToken(ctx, "h1", at(0)), "token 1")
		must(t, s.CreateSetupToken(ctx, "h2", at(0)), "token 2")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, h := range []string{"h1", "h2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = s.Setup(ctx, h, model.Workspace{Slug: fmt.Sprintf("ws%d", i), Name: "W"},
					store.NewStaff{Email: fmt.Sprintf("admin%d@x.test", i), Name: "A", PasswordHash: "x"}, at(time.Second))
			}()
		}
		wg.Wait()
		okCount := 0
		for _, err := range errs {
			if err == nil {
				okCount++
			} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				t.Errorf("the losing setup failed with %v", err)
			}
		}
		if okCount != 1 {
			t.Fatalf("%d setups succeeded, want 1 (%v)", okCount, errs)
		}
		n, err := s.CountWorkspaces(ctx)
		must(t, err, "count")
		if n != 1 {
			t.Errorf("%d workspaces after setup, want 1", n)
		}
		for _, h := range []string{"h1", "h2"} {
			if ok, _ := s.SetupTokenValid(ctx, h); ok {
				t.Errorf("token %s still valid after setup", h)
			}
		}
	})
}

// TestInvitationAcceptedOnce: an invitation becomes one person, certified
// for the workspace with the invited skills; a second accept, an expired
// invitation or an email that has an account are refused.
func TestInvitationAcceptedOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		inv, err := s.CreateInvitation(ctx, store.Invitation{WorkspaceID: ws.ID, Email: "dana@x.test", Role: model.RoleAgent,
			Skills: []string{"payments"}, Languages: []string{"sv"}, CreatedAt: at(0), ExpiresAt: at(time.Hour)}, "tok", nil)
		must(t, err, "invite")
		if inv.AcceptedAt != nil || len(inv.Skills) != 1 {
			t.Fatalf("invitation %+v", inv)
		}
		_, err = s.AcceptInvitation(ctx, "tok", "Dana", "hash", at(2*time.Hour))
		wantErr(t, err, store.ErrNotFound, "accept expired")
		var wg sync.WaitGroup
		results := make([]error, 3)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = s.AcceptInvitation(ctx, "tok", "Dana", "hash", at(time.Minute))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			if err == nil {
				won++
			}
		}
		if won != 1 {
			t.Fatalf("%d accepts won, want 1: %v", won, results)
		}
		a, err := s.AgentByEmail(ctx, "dana@x.test")
		must(t, err, "agent")
		must(t, s.FillRoutingProfiles(ctx, []*model.Agent{a}), "profile")
		if len(a.CertifiedFor) != 1 || len(a.Languages) != 1 || len(a.Skills) != 1 {
			t.Errorf("invitee's profile %+v", a)
		}
		list, err := s.Invitations(ctx, ws.ID)
		must(t, err, "list")
		if len(list) != 1 || list[0].AgentID == nil || *list[0].AgentID != a.ID {
			t.Errorf("invitations %+v", list)
		}
		_, err = s.CreateInvitation(ctx, store.Invitation{WorkspaceID: ws.ID, Email: "dana@x.test", Role: model.RoleAgent, CreatedAt: at(0), ExpiresAt: at(time.Hour)}, "tok2", nil)
		must(t, err, "invite again")
		_, err = s.AcceptInvitation(ctx, "tok2", "Dana", "hash", at(time.Minute))
		wantErr(t, err, store.ErrConflict, "an email with an account")
	})
}

// TestDeactivateAgent: the person goes offline and loses their sessions;
// deactivating again changes nothing; another workspace's person is not
// found. (Their work is handed back by the dispatcher, tested there.)
func TestDeactivateAgent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		ana := seedAgent(t, s, ws, "ana", 3, model.AgentAvailable)
		must(t, s.CreateSession(ctx, store.Session{TokenHash: "sess", WorkspaceID: ws.ID, Kind: store.SessionStaff, SubjectID: ana.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour)}), "session")
		d, err := s.DeactivateAgent(ctx, ws.ID, ana.ID, at(5*time.Minute))
		must(t, err, "deactivate")
		if d.DeactivatedAt == nil || d.Status != model.AgentOffline {
			t.Errorf("agent after deactivation %+v", d)
		}
		_, err = s.SessionByTokenHash(ctx, "sess", at(5*time.Minute))
		wantErr(t, err, store.ErrNotFound, "session after deactivation")
		again, err := s.DeactivateAgent(ctx, ws.ID, ana.ID, at(6*time.Minute))
		must(t, err, "deactivate again")
		if !again.DeactivatedAt.Equal(*d.DeactivatedAt) {
			t.Errorf("second deactivation changed %+v", again)
		}
		back, err := s.ReactivateAgent(ctx, ws.ID, ana.ID, at(7*time.Minute))
		must(t, err, "reactivate")
		if back.DeactivatedAt != nil {
			t.Errorf("reactivated %+v", back)
		}
		other := seedWorkspace(t, s, "globex")
		_, err = s.DeactivateAgent(ctx, other.ID, ana.ID, at(8*time.Minute))
		wantErr(t, err, store.ErrNotFound, "another workspace's agent")
	})
}

// TestLoginFailures counts failures per key inside the window.
func TestLoginFailures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		for i := range 3 {
			must(t, s.RecordLoginFailure(ctx, at(time.Duration(i)*time.Minute), at(-time.Hour), "account:a", "address:1"), "record")
		}
		n, err := s.LoginFailures(ctx, at(30*time.Second), "account:a", "address:1", "account:b")
		must(t, err, "count")
		if n[0] != 2 || n[1] != 2 || n[2] != 0 {
			t.Errorf("failures %v, want [2 2 0]", n)
		}
		must(t, s.ClearLoginFailures(ctx, "account:a"), "clear")
		n, _ = s.LoginFailures(ctx, at(-time.Minute), "account:a", "address:1")
		if n[0] != 0 || n[1] != 3 {
			t.Errorf("after clear %v, want [0 3]", n)
		}
	})
}
