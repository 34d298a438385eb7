package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// DemoPassword is the password of every demo staff account. It exists only
// in demo mode.
const DemoPassword = "demo"

// DemoInfo is what a person needs to try the demo.
type DemoInfo struct {
	Workspace      *model.Workspace
	IdentitySecret string
	Staff          []*model.Agent
}

// Print writes the demo's URLs and logins.
func (i *DemoInfo) Print(w io.Writer, baseURL string) {
	fmt.Fprintf(w, "\nTandem demo is running: workspace %q (%s)\n\n", i.Workspace.Slug, i.Workspace.Name)
	fmt.Fprintf(w, "  Customer  %s/demo          (the Acme Pay site with the chat widget)\n", baseURL)
	fmt.Fprintf(w, "  Agents    %s/agent         (log in as ana@acme.test, ben@acme.test or chen@acme.test, password %q)\n", baseURL, DemoPassword)
	fmt.Fprintf(w, "  Admin     %s/admin         (log in as admin@acme.test, password %q)\n", baseURL, DemoPassword)
	fmt.Fprintf(w, "  Knowledge %s/admin/knowledge (the help centre's articles; admins edit)\n", baseURL)
	fmt.Fprintf(w, "  My space  %s/agent/me      (an agent's hours, earnings, training and rating)\n", baseURL)
	fmt.Fprintf(w, "  People    %s/admin/people  (invite, applicants, training, shifts, pay)\n", baseURL)
	fmt.Fprintf(w, "  Join      %s/join/%s     (the open sign-up page of the crowd)\n", baseURL, i.Workspace.Slug)
	fmt.Fprintf(w, "  API       %s/api/v1/openapi.json\n", baseURL)
	fmt.Fprintf(w, "  Identity secret of %q: %s\n", i.Workspace.Slug, i.IdentitySecret)
	fmt.Fprintf(w, "            (user_hash = hex(HMAC-SHA256(secret, external_id)) verifies a customer)\n")
	fmt.Fprintf(w, "  Signed-in demo customer: data-external-id=\"cus_1001\" data-user-hash=\"%s\"\n", desk.UserHash(i.IdentitySecret, "cus_1001"))
	fmt.Fprintf(w, "            (then ask \"Where is my order?\", \"When is my next payment due?\" or \"Where is my refund?\")\n\n")
}

// Seed creates the demo workspace and its data. It is idempotent: running it
// again changes nothing that exists and adds what is missing.
func Seed(ctx context.Context, st *store.Store) (*DemoInfo, error) {
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: demoSlug, Name: "Acme Pay", AssistantName: "Acme Pay assistant"})
	if err != nil {
		return nil, err
	}
	if ws.IdentitySecret == "" {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := st.SetIdentitySecret(ctx, ws.ID, hex.EncodeToString(raw)); err != nil {
			return nil, err
		}
		if ws, err = st.WorkspaceByID(ctx, ws.ID); err != nil {
			return nil, err
		}
	}
	info := &DemoInfo{Workspace: ws, IdentitySecret: ws.IdentitySecret}
	staff := []struct {
		email, name string
		role        model.Role
	}{
		{"admin@acme.test", "Alex Admin", model.RoleAdmin},
		{"ana@acme.test", "Ana", model.RoleAgent},
		{"ben@acme.test", "Ben", model.RoleAgent},
		{"chen@acme.test", "Chen", model.RoleAgent},
	}
	for _, s := range staff {
		agent, err := st.AgentByEmail(ctx, s.email)
		if errors.Is(err, store.ErrNotFound) {
			hash, herr := desk.HashPassword(DemoPassword)
			if herr != nil {
				return nil, herr
			}
			agent, err = st.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: s.email, Name: s.name, Role: s.role, PasswordHash: hash, Capacity: 3})
		}
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", s.email, err)
		}
		if err := seedRoutingProfile(ctx, st, agent); err != nil {
			return nil, err
		}
		info.Staff = append(info.Staff, agent)
	}
	for _, c := range demoCustomers {
		c.WorkspaceID, c.Verified = ws.ID, true
		if _, err := st.UpsertCustomer(ctx, c); err != nil {
			return nil, fmt.Errorf("seed customer %s: %w", c.ExternalID, err)
		}
	}
	for _, a := range DemoArticles() {
		a.WorkspaceID, a.Published = ws.ID, true
		if _, err := st.EnsureArticle(ctx, a); err != nil {
			return nil, fmt.Errorf("seed article %q: %w", a.Title, err)
		}
	}
	if err := seedActions(ctx, st, ws.ID); err != nil {
		return nil, err
	}
	return info, nil
}

var demoCustomers = []model.Customer{
	{ExternalID: "cus_1001", Name: "Alice Andersson", Email: "alice@example.com", Locale: "sv-SE", Tier: "vip"},
	{ExternalID: "cus_1002", Name: "Bruno Becker", Email: "bruno@example.com", Locale: "de-DE", Tier: "standard"},
	{ExternalID: "cus_1003", Name: "Carmen Castillo", Email: "carmen@example.com", Locale: "es-ES", Tier: "standard"},
	{ExternalID: "cus_1004", Name: "Dan Doyle", Email: "dan@example.com", Locale: "en-GB", Tier: "standard"},
}
