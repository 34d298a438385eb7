package people

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// ModuleView is a training module as the API shows it. Correct answers are
// shown only to the staff who manage training; everyone else sees the
// questions and choices, and their own standing.
type ModuleView struct {
	ID int64 `json:"id"`
	workforce.Module
	Questions []QuestionView `json:"questions"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// The caller's standing (agents): passed, last score, when they may retake.
	Passed    bool       `json:"passed"`
	LastScore *float64   `json:"last_score,omitempty"`
	RetakeAt  *time.Time `json:"retake_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// QuestionView is a question, with the right answers only for managers.
type QuestionView struct {
	Text    string   `json:"text"`
	Choices []string `json:"choices"`
	Correct []int    `json:"correct,omitempty"`
}

func decodeModule(m *store.TrainingModule) (workforce.Module, error) {
	var qs []workforce.Question
	if err := json.Unmarshal([]byte(m.Questions), &qs); err != nil {
		return workforce.Module{}, fmt.Errorf("people: stored module %d: %w", m.ID, err)
	}
	return workforce.Module{Title: m.Title, Body: m.Body, Certifies: m.Certifies, Questions: qs, PassMark: m.PassMark,
		RetakeAfterSeconds: m.RetakeAfterSeconds, ValidForDays: m.ValidForDays}, nil
}

func (s *Service) view(a desk.Actor, m *store.TrainingModule, attempts []*store.Attempt, grants *store.Grants) (*ModuleView, error) {
	mod, err := decodeModule(m)
	if err != nil {
		return nil, err
	}
	v := &ModuleView{ID: m.ID, Module: mod, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	for _, q := range mod.Questions {
		qv := QuestionView{Text: q.Text, Choices: q.Choices}
		if a.ManagesPeople() {
			qv.Correct = q.Correct
		}
		v.Questions = append(v.Questions, qv)
	}
	v.Module.Questions = nil
	for _, at := range attempts { // newest first
		if at.ModuleID != m.ID {
			continue
		}
		if v.LastScore == nil {
			score := at.Score
			v.LastScore = &score
			if !at.Passed {
				r := mod.RetakeAt(at.CreatedAt)
				if r.After(s.now()) {
					v.RetakeAt = &r
				}
			}
		}
		if at.Passed {
			v.Passed = true
		}
	}
	if v.Passed && grants != nil {
		if mod.Certifies == workforce.CertifiesWorkspace {
			v.ExpiresAt = grants.CertifiedExpires
			v.Passed = grants.Certified // an expired certification must be earned again
		} else {
			exp, ok := grants.SkillExpires[mod.Skill()]
			v.ExpiresAt, v.Passed = exp, ok
		}
	}
	return v, nil
}

// CreateModule stores a new module; admins and supervisors write training.
func (s *Service) CreateModule(ctx context.Context, a desk.Actor, m workforce.Module) (*ModuleView, error) {
	if field, problem := m.Check(); field != "" {
		return nil, model.Invalid(field, "%s", problem)
	}
	qs, err := json.Marshal(m.Questions)
	if err != nil {
		return nil, err
	}
	by := a.AgentID
	stored, err := s.store.CreateModule(ctx, store.TrainingModule{WorkspaceID: a.WorkspaceID, Title: m.Title, Body: m.Body, Certifies: m.Certifies,
		Questions: string(qs), PassMark: m.PassMark, RetakeAfterSeconds: m.RetakeAfterSeconds, ValidForDays: m.ValidForDays, CreatedBy: &by, CreatedAt: s.now()})
	if err != nil {
		return nil, err
	}
	return s.view(a, stored, nil, nil)
}

// UpdateModule replaces a module's content.
func (s *Service) UpdateModule(ctx context.Context, a desk.Actor, id int64, m workforce.Module) (*ModuleView, error) {
	if field, problem := m.Check(); field != "" {
		return nil, model.Invalid(field, "%s", problem)
	}
	qs, err := json.Marshal(m.Questions)
	if err != nil {
		return nil, err
	}
	stored, err := s.store.UpdateModule(ctx, store.TrainingModule{ID: id, WorkspaceID: a.WorkspaceID, Title: m.Title, Body: m.Body, Certifies: m.Certifies,
		Questions: string(qs), PassMark: m.PassMark, RetakeAfterSeconds: m.RetakeAfterSeconds, ValidForDays: m.ValidForDays}, s.now())
	if err != nil {
		return nil, err
	}
	return s.view(a, stored, nil, nil)
}

// Modules lists the workspace's modules with the caller's standing.
func (s *Service) Modules(ctx context.Context, a desk.Actor) ([]*ModuleView, error) {
	list, err := s.store.Modules(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	attempts, grants, err := s.standing(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []*ModuleView{}
	for _, m := range list {
		v, err := s.view(a, m, attempts, grants)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Module returns one module with the caller's standing.
func (s *Service) Module(ctx context.Context, a desk.Actor, id int64) (*ModuleView, error) {
	m, err := s.store.Module(ctx, a.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	attempts, grants, err := s.standing(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.view(a, m, attempts, grants)
}

func (s *Service) standing(ctx context.Context, a desk.Actor) ([]*store.Attempt, *store.Grants, error) {
	attempts, err := s.store.Attempts(ctx, a.WorkspaceID, a.AgentID)
	if err != nil {
		return nil, nil, err
	}
	grants, err := s.store.AgentGrants(ctx, a.WorkspaceID, a.AgentID)
	return attempts, grants, err
}

// AttemptResult is the answer to a quiz attempt: the score and whether it
// passed — never which answers were right.
type AttemptResult struct {
	Score    float64    `json:"score"`
	Passed   bool       `json:"passed"`
	RetakeAt *time.Time `json:"retake_at,omitempty"`
	// Grants says what passing granted ("workspace" or "skill:NAME").
	Grants string `json:"grants,omitempty"`
}

// Attempt scores a quiz attempt on the server and records it; a pass grants
// the module's certification or skill (with its expiry), and a first
// certification for the workspace starts probation.
func (s *Service) Attempt(ctx context.Context, a desk.Actor, moduleID int64, answers [][]int) (*AttemptResult, error) {
	m, err := s.store.Module(ctx, a.WorkspaceID, moduleID)
	if err != nil {
		return nil, err
	}
	mod, err := decodeModule(m)
	if err != nil {
		return nil, err
	}
	score, passed, err := workforce.Score(mod.Questions, mod.PassMark, answers)
	if err != nil {
		return nil, model.Invalid("answers", "%s", err)
	}
	raw, _ := json.Marshal(answers)
	now := s.now()
	n := store.NewAttempt{WorkspaceID: a.WorkspaceID, ModuleID: moduleID, AgentID: a.AgentID, Answers: string(raw), Score: score, Passed: passed,
		RetakeAfter: time.Duration(mod.RetakeAfterSeconds) * time.Second, ExpiresAt: mod.ExpiresAt(now), ProbationReviews: workforce.DefaultProbationReviews}
	if mod.Certifies == workforce.CertifiesWorkspace {
		if n.GrantWorkspace, err = s.grantsWorkspace(ctx, a); err != nil {
			return nil, err
		}
	} else {
		n.GrantSkill = mod.Skill()
	}
	if _, err := s.store.RecordAttempt(ctx, n, now); err != nil {
		return nil, err
	}
	res := &AttemptResult{Score: score, Passed: passed}
	switch {
	case passed && (n.GrantWorkspace || n.GrantSkill != ""):
		res.Grants = mod.Certifies
		s.desk.Changed(a.WorkspaceID)
	case !passed && mod.RetakeAfterSeconds > 0:
		r := mod.RetakeAt(now)
		res.RetakeAt = &r
	}
	return res, nil
}

// ApproveProbation ends a person's probation ("nesting"): a supervisor
// vouches for them before their marked conversations are reviewed.
func (s *Service) ApproveProbation(ctx context.Context, a desk.Actor, agentID int64) (*model.Agent, error) {
	agent, err := s.store.EndProbation(ctx, a.WorkspaceID, agentID, s.now())
	if err != nil {
		return nil, err
	}
	s.desk.Changed(a.WorkspaceID)
	return agent, nil
}

// ReviewMarks lists the conversations marked for review.
func (s *Service) ReviewMarks(ctx context.Context, a desk.Actor) ([]*store.ReviewMark, error) {
	return s.store.ReviewMarks(ctx, a.WorkspaceID)
}

// Run removes expired certifications and skills as they expire, and
// recomputes everyone's quality score every recordEvery, until ctx ends;
// routing never sees a lapsed grant for longer than sweepEvery. A failed
// pass is logged and tried again at the next tick.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	var scored time.Time
	for {
		touched, err := s.store.ExpireGrants(ctx, s.now())
		if err != nil && ctx.Err() == nil {
			s.log.Error("expire certifications", "err", err)
		}
		for _, ws := range touched {
			s.desk.Changed(ws)
		}
		if time.Since(scored) >= recordEvery {
			if err := s.recomputeAll(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("quality scores", "err", err)
			} else {
				scored = time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

const sweepEvery = 30 * time.Second
