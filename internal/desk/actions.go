package desk

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// ActionInput is what an admin sends to create or replace an action.
type ActionInput struct {
	Name        string
	Description string
	Parameters  []model.ActionParam
	Endpoint    string
	// Secret signs the requests; required on create, kept when empty on update.
	Secret       string
	Intents      []string
	Examples     []string
	UseInHandoff bool
	// Enabled defaults to true.
	Enabled *bool
}

// minSecretLen keeps signing secrets out of guessing range.
const minSecretLen = 16

// Actions lists the workspace's actions (secrets never leave); admins only.
func (d *Desk) Actions(ctx context.Context, a Actor) ([]*model.Action, error) {
	return d.store.Actions(ctx, a.WorkspaceID)
}

// Action returns one action; admins only.
func (d *Desk) Action(ctx context.Context, a Actor, id int64) (*model.Action, error) {
	return d.store.ActionByID(ctx, a.WorkspaceID, id)
}

// CreateAction adds an action; admins only.
func (d *Desk) CreateAction(ctx context.Context, a Actor, in ActionInput) (*model.Action, error) {
	act, err := d.validAction(in, true)
	if err != nil {
		return nil, err
	}
	act.WorkspaceID = a.WorkspaceID
	return d.store.CreateAction(ctx, *act, d.now())
}

// UpdateAction replaces an action's fields; admins only. An empty secret
// keeps the stored one.
func (d *Desk) UpdateAction(ctx context.Context, a Actor, id int64, in ActionInput) (*model.Action, error) {
	act, err := d.validAction(in, false)
	if err != nil {
		return nil, err
	}
	act.ID, act.WorkspaceID = id, a.WorkspaceID
	return d.store.UpdateAction(ctx, *act, d.now())
}

// DeleteAction removes an action; admins only.
func (d *Desk) DeleteAction(ctx context.Context, a Actor, id int64) error {
	return d.store.DeleteAction(ctx, a.WorkspaceID, id)
}

func (d *Desk) validAction(in ActionInput, create bool) (*model.Action, error) {
	act := &model.Action{
		Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description), Parameters: in.Parameters,
		Endpoint: strings.TrimSpace(in.Endpoint), Secret: in.Secret, UseInHandoff: in.UseInHandoff, Enabled: in.Enabled == nil || *in.Enabled,
		Intents: []string{}, Examples: []string{},
	}
	if act.Parameters == nil {
		act.Parameters = []model.ActionParam{}
	}
	for _, i := range in.Intents {
		if i = strings.TrimSpace(i); i != "" && !slices.Contains(act.Intents, i) {
			act.Intents = append(act.Intents, i)
		}
	}
	for _, e := range in.Examples {
		if e = strings.TrimSpace(e); e != "" {
			act.Examples = append(act.Examples, e)
		}
	}
	if err := act.Validate(); err != nil {
		return nil, err
	}
	if (create || in.Secret != "") && len(in.Secret) < minSecretLen {
		return nil, model.Invalid("secret", "must be at least %d characters", minSecretLen)
	}
	known := d.triage.Model().Intents()
	for _, i := range act.Intents {
		if !slices.Contains(known, i) {
			return nil, model.Invalid("intents", "unknown intent %q", i)
		}
	}
	return act, nil
}

// AssistantSettings returns the workspace's assistant settings; staff only.
func (d *Desk) AssistantSettings(ctx context.Context, a Actor) (model.AssistantSettings, error) {
	return d.store.AssistantSettings(ctx, a.WorkspaceID)
}

// SetAssistantSettings changes the workspace's assistant settings; admins only.
func (d *Desk) SetAssistantSettings(ctx context.Context, a Actor, s model.AssistantSettings) (model.AssistantSettings, error) {
	if err := s.Validate(); err != nil {
		return model.AssistantSettings{}, err
	}
	if err := d.store.SetAssistantSettings(ctx, a.WorkspaceID, s, d.now()); err != nil {
		return model.AssistantSettings{}, err
	}
	return d.store.AssistantSettings(ctx, a.WorkspaceID)
}

// AssistantStats are the assistant's figures over the last days: how many
// conversations it resolved (containment), handed over, answered.
func (d *Desk) AssistantStats(ctx context.Context, a Actor, days int) (store.AssistantStats, error) {
	if days <= 0 || days > 365 {
		return store.AssistantStats{}, model.Invalid("days", "must be between 1 and 365")
	}
	return d.store.AssistantStats(ctx, a.WorkspaceID, d.now().Add(-time.Duration(days)*24*time.Hour))
}
