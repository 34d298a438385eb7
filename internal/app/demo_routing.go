package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// demoProfiles gives the demo agents skills and languages, so routing is
// visible in the demo: a Swedish card question goes to Ana, a German
// transfer to Ben, a fraud report to Chen.
var demoProfiles = map[string]struct {
	skills    []model.AgentSkill
	languages []string
	quality   float64
}{
	"ana@acme.test":  {[]model.AgentSkill{{Name: "cards", Level: 5}, {Name: "payments", Level: 3}}, []string{"en", "sv"}, 0.9},
	"ben@acme.test":  {[]model.AgentSkill{{Name: "payments", Level: 4}, {Name: "transfers", Level: 5}}, []string{"en", "de"}, 0.8},
	"chen@acme.test": {[]model.AgentSkill{{Name: "fraud", Level: 5}, {Name: "account", Level: 4}, {Name: "payments", Level: 2}}, []string{"en", "es"}, 0.85},
}

// seedRoutingProfile gives a demo agent their skills and languages unless
// they have some already (an admin may have changed them).
func seedRoutingProfile(ctx context.Context, st *store.Store, agent *model.Agent) error {
	p, ok := demoProfiles[agent.Email]
	if !ok {
		return nil
	}
	if err := st.FillRoutingProfiles(ctx, []*model.Agent{agent}); err != nil {
		return err
	}
	if len(agent.Skills) > 0 || len(agent.Languages) > 0 {
		return nil
	}
	skills, languages, quality := p.skills, p.languages, p.quality
	_, err := st.UpdateAgent(ctx, agent.WorkspaceID, agent.ID, store.AgentUpdate{Skills: &skills, Languages: &languages, Quality: &quality}, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("seed %s: %w", agent.Email, err)
	}
	return nil
}
