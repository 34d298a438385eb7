package desk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tandem-desk/tandem/internal/dispatch"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/routing"
)

// RoutingSettings returns the caller's workspace's routing settings; admins only.
func (d *Desk) RoutingSettings(ctx context.Context, a Actor) (routing.Settings, error) {
	return d.dispatch.Settings(ctx, a.WorkspaceID)
}

// SetRoutingSettings changes the caller's workspace's routing settings:
// the fields given in raw, over the current ones. Admins only.
func (d *Desk) SetRoutingSettings(ctx context.Context, a Actor, raw []byte) (routing.Settings, error) {
	set, err := d.dispatch.Settings(ctx, a.WorkspaceID)
	if err != nil {
		return routing.Settings{}, err
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		var se *routing.SettingsError
		if errors.As(err, &se) {
			return routing.Settings{}, model.Invalid(se.Field, "%s", se.Problem)
		}
		return routing.Settings{}, model.Invalid("settings", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := set.Validate(); err != nil {
		var se *routing.SettingsError
		if errors.As(err, &se) {
			return routing.Settings{}, model.Invalid(se.Field, "%s", se.Problem)
		}
		return routing.Settings{}, model.Invalid("settings", "%s", err.Error())
	}
	stored, err := json.Marshal(set)
	if err != nil {
		return routing.Settings{}, err
	}
	if err := d.store.SetRoutingSettings(ctx, a.WorkspaceID, string(stored), set.AcceptTimeout, json.RawMessage(stored), d.now()); err != nil {
		return routing.Settings{}, err
	}
	d.changed(a.WorkspaceID)
	d.Kick(a.WorkspaceID)
	return set, nil
}

// Queue lists the caller's workspace's queued conversations in the order
// dispatch serves them, with why they are where they are and which of
// them the caller could take now (see Take); staff only.
func (d *Desk) Queue(ctx context.Context, a Actor) ([]dispatch.Ranked, error) {
	return d.dispatch.Queue(ctx, a.WorkspaceID, a.AgentID)
}
