package people

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// ScoreView is a person's quality score, its parts and its history.
type ScoreView struct {
	AgentID int64                  `json:"agent_id"`
	Name    string                 `json:"name,omitempty"`
	Score   float64                `json:"score"`
	Tier    string                 `json:"tier"`
	Parts   workforce.QualityParts `json:"parts"`
	Floor   float64                `json:"floor"`
	// Suspended says why the certification was suspended; retraining restores it.
	Suspended string                 `json:"suspended,omitempty"`
	History   []workforce.ScorePoint `json:"history"`
}

// recordEvery: a score is stored at most this often (more often only when it changes).
const recordEvery = time.Hour

// Score returns a person's score: agents their own, managers anyone's of
// the workspace. Reading computes it afresh.
func (s *Service) Score(ctx context.Context, a desk.Actor, agentID int64) (*ScoreView, error) {
	if agentID != a.AgentID && !a.ManagesPeople() {
		return nil, fmt.Errorf("you see only your own score: %w", desk.ErrForbidden)
	}
	return s.recompute(ctx, a.WorkspaceID, agentID)
}

// Scores lists everyone's score; managers only.
func (s *Service) Scores(ctx context.Context, a desk.Actor) ([]*ScoreView, error) {
	staff, err := s.store.Agents(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := []*ScoreView{}
	for _, ag := range staff {
		if ag.DeactivatedAt != nil {
			continue
		}
		v, err := s.recompute(ctx, a.WorkspaceID, ag.ID)
		if err != nil {
			return nil, err
		}
		v.Name, v.History = ag.Name, nil
		out = append(out, v)
	}
	return out, nil
}

// recompute computes a person's score from their data, stores it (tier
// with hysteresis, routing weight, history) and, when it has stayed below
// the floor for the floor period, suspends their certification.
func (s *Service) recompute(ctx context.Context, workspaceID, agentID int64) (*ScoreView, error) {
	now := s.now()
	d, err := s.store.QualityData(ctx, workspaceID, agentID, workforce.RatedWindow, now)
	if err != nil {
		return nil, err
	}
	score, parts := workforce.QualityScore(workforce.QualityInputs{CSAT: d.CSAT, OffersReceived: d.OffersReceived, OffersAccepted: d.OffersAccepted,
		SlotsBooked: d.SlotsBooked, SlotsAttended: d.SlotsAttended})
	tier := workforce.NextTier(d.Tier, score)
	hist, err := s.store.QualityHistory(ctx, workspaceID, agentID, now.Add(-workforce.FloorPeriod))
	if err != nil {
		return nil, err
	}
	last := len(hist) - 1
	if last < 0 || hist[last].Score != score || hist[last].Tier != tier || now.Sub(hist[last].At) >= recordEvery {
		raw, _ := json.Marshal(parts)
		if err := s.store.RecordQuality(ctx, workspaceID, agentID, score, string(raw), tier, now); err != nil {
			return nil, err
		}
		hist, err = s.store.QualityHistory(ctx, workspaceID, agentID, now.Add(-workforce.FloorPeriod))
		if err != nil {
			return nil, err
		}
	}
	v := &ScoreView{AgentID: agentID, Score: score, Tier: tier, Parts: parts, Floor: workforce.FloorScore, History: []workforce.ScorePoint{}}
	for _, h := range hist {
		v.History = append(v.History, workforce.ScorePoint{Score: h.Score, Tier: h.Tier, At: h.At})
	}
	if d.Certified && workforce.BelowFloor(v.History, parts.Ratings, now) {
		reason := fmt.Sprintf("your quality score stayed below %.2f for %d days; retake the workspace's training to be certified again",
			workforce.FloorScore, int(workforce.FloorPeriod.Hours()/24))
		if err := s.store.SuspendCertification(ctx, workspaceID, agentID, reason, now); err != nil {
			return nil, err
		}
		s.desk.Changed(workspaceID)
	}
	if v.Suspended, err = s.store.SuspendedReason(ctx, workspaceID, agentID); err != nil {
		return nil, err
	}
	return v, nil
}

// recomputeAll refreshes every active person's score in every workspace.
func (s *Service) recomputeAll(ctx context.Context) error {
	wss, err := s.store.Workspaces(ctx)
	if err != nil {
		return err
	}
	for _, ws := range wss {
		ids, err := s.store.ActiveStaff(ctx, ws.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.recompute(ctx, ws.ID, id); err != nil {
				return err
			}
		}
	}
	return nil
}
