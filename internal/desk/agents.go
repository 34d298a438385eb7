package desk

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// AgentProfile is an admin's change to an agent's routing profile; nil
// fields stay as they are.
type AgentProfile struct {
	Skills       *[]model.AgentSkill
	Languages    *[]string
	Capacity     *int
	QualityScore *float64
	// CertifiedFor lists workspace slugs; the agent's own workspace must be
	// among them for them to get its work.
	CertifiedFor *[]string
}

// Agent returns a staff member of the caller's workspace with their routing profile.
func (d *Desk) Agent(ctx context.Context, a Actor, id int64) (*model.Agent, error) {
	agent, err := d.store.AgentByID(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if err := d.store.FillRoutingProfiles(ctx, []*model.Agent{agent}); err != nil {
		return nil, err
	}
	return agent, nil
}

// UpdateAgent changes an agent's skills, languages, capacity, quality score
// or certifications; supervisors and admins. Dispatch looks again at once.
func (d *Desk) UpdateAgent(ctx context.Context, a Actor, id int64, p AgentProfile) (*model.Agent, error) {
	u := store.AgentUpdate{Skills: p.Skills, Languages: p.Languages, Capacity: p.Capacity, Quality: p.QualityScore}
	if p.Skills != nil {
		sk := slices.Clone(*p.Skills)
		for i := range sk {
			sk[i].Name = strings.ToLower(strings.TrimSpace(sk[i].Name))
			if sk[i].Level == 0 {
				sk[i].Level = 3
			}
		}
		u.Skills = &sk
	}
	if p.Languages != nil {
		langs := make([]string, len(*p.Languages))
		for i, l := range *p.Languages {
			langs[i] = strings.ToLower(strings.TrimSpace(l))
		}
		u.Languages = &langs
	}
	if p.CertifiedFor != nil {
		var ids []int64
		for _, slug := range *p.CertifiedFor {
			ws, err := d.store.WorkspaceBySlug(ctx, slug)
			if errors.Is(err, store.ErrNotFound) {
				return nil, model.Invalid("certified_for", "no workspace %q", slug)
			}
			if err != nil {
				return nil, err
			}
			if !slices.Contains(ids, ws.ID) {
				ids = append(ids, ws.ID)
			}
		}
		u.CertifiedFor = &ids
	}
	agent, err := d.store.UpdateAgent(ctx, a.WorkspaceID, id, u, d.now())
	if err != nil {
		return nil, err
	}
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return agent, nil
}
