package people

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// Limits of the join page.
const (
	MaxScreeningQuestions = 10
	MaxAnswerLen          = 2000
)

// JoinPage is what the public join page shows.
type JoinPage struct {
	Workspace string   `json:"workspace"`
	Name      string   `json:"name"`
	Questions []string `json:"questions"`
}

// errJoinClosed: a closed join page is "not found", like an unknown one,
// so nobody learns which workspaces exist.
var errJoinClosed = fmt.Errorf("join page: %w", store.ErrNotFound)

// JoinPage returns a workspace's open join page.
func (s *Service) JoinPage(ctx context.Context, slug string) (*JoinPage, error) {
	ws, err := s.store.WorkspaceBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errJoinClosed
	}
	if err != nil {
		return nil, err
	}
	js, err := s.store.JoinSettings(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	if !js.Open {
		return nil, errJoinClosed
	}
	return &JoinPage{Workspace: ws.Slug, Name: ws.Name, Questions: js.Questions}, nil
}

// Apply is an application from the join page.
type Apply struct {
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	Languages  []string `json:"languages"`
	Motivation string   `json:"motivation"`
	Answers    []string `json:"answers"`
}

// Apply creates an applicant and signs them in: they can take training at
// once, and receive work only when certified.
func (s *Service) Apply(ctx context.Context, slug string, req Apply) (string, *model.Agent, error) {
	page, err := s.JoinPage(ctx, slug)
	if err != nil {
		return "", nil, err
	}
	ws, err := s.store.WorkspaceBySlug(ctx, page.Workspace)
	if err != nil {
		return "", nil, err
	}
	name, err := checkName(req.Name)
	if err != nil {
		return "", nil, err
	}
	email, err := workforce.NormalizeEmail(req.Email)
	if err != nil {
		return "", nil, model.Invalid("email", "%s", err)
	}
	langs, err := checkNames("languages", req.Languages, true)
	if err != nil {
		return "", nil, err
	}
	if len(langs) == 0 {
		return "", nil, model.Invalid("languages", "name at least one language you can support customers in")
	}
	req.Motivation = strings.TrimSpace(req.Motivation)
	if len(req.Motivation) > MaxAnswerLen {
		return "", nil, model.Invalid("motivation", "must be at most %d characters", MaxAnswerLen)
	}
	if len(req.Answers) != len(page.Questions) {
		return "", nil, model.Invalid("answers", "answer each of the %d screening questions", len(page.Questions))
	}
	for i, a := range req.Answers {
		if strings.TrimSpace(a) == "" || len(a) > MaxAnswerLen {
			return "", nil, model.Invalid("answers", "answer %d must be 1 to %d characters", i+1, MaxAnswerLen)
		}
	}
	hash, err := s.hash(req.Password)
	if err != nil {
		return "", nil, err
	}
	agent, err := s.store.CreateApplicant(ctx, store.NewStaff{WorkspaceID: ws.ID, Email: email, Name: name, PasswordHash: hash, Languages: langs},
		req.Motivation, req.Answers, s.now())
	if err != nil {
		return "", nil, err
	}
	s.desk.Changed(ws.ID)
	token, err := s.desk.StaffSession(ctx, agent)
	return token, agent, err
}

// JoinSettingsView is the join page's settings with its address.
type JoinSettingsView struct {
	*store.JoinSettings
	Path string `json:"path"` // /join/{workspace}
}

// JoinSettings returns the workspace's join page settings; managers read them.
func (s *Service) JoinSettings(ctx context.Context, a desk.Actor) (*JoinSettingsView, error) {
	js, err := s.store.JoinSettings(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	ws, err := s.store.WorkspaceByID(ctx, a.WorkspaceID)
	if err != nil {
		return nil, err
	}
	return &JoinSettingsView{JoinSettings: js, Path: "/join/" + ws.Slug}, nil
}

// SetJoinSettings opens or closes the join page; admins only.
func (s *Service) SetJoinSettings(ctx context.Context, a desk.Actor, js store.JoinSettings) (*store.JoinSettings, error) {
	if len(js.Questions) > MaxScreeningQuestions {
		return nil, model.Invalid("questions", "must hold at most %d questions", MaxScreeningQuestions)
	}
	for i, q := range js.Questions {
		js.Questions[i] = strings.TrimSpace(q)
		if js.Questions[i] == "" || len(q) > 500 {
			return nil, model.Invalid("questions", "question %d must be 1 to 500 characters", i+1)
		}
	}
	if js.Questions == nil {
		js.Questions = []string{}
	}
	if err := s.store.SetJoinSettings(ctx, a.WorkspaceID, js, s.now()); err != nil {
		return nil, err
	}
	return &js, nil
}

// Applicants lists the applications; admins and supervisors.
func (s *Service) Applicants(ctx context.Context, a desk.Actor) ([]*store.Application, error) {
	list, err := s.store.Applications(ctx, a.WorkspaceID)
	if list == nil && err == nil {
		list = []*store.Application{}
	}
	return list, err
}

// Decide accepts (certifies, with probation) or rejects (deactivates) an applicant.
func (s *Service) Decide(ctx context.Context, a desk.Actor, agentID int64, accept bool) (*store.Application, error) {
	ap, err := s.store.DecideApplication(ctx, a.WorkspaceID, agentID, accept, workforce.DefaultProbationReviews, a.AgentID, s.now())
	if err != nil {
		return nil, err
	}
	s.desk.Changed(a.WorkspaceID)
	return ap, nil
}

// grantsWorkspace reports whether passing a workspace module certifies the
// person now: staff, and applicants when the workspace auto-accepts on
// passing training or has accepted them; a pending applicant's pass
// otherwise waits for an admin's decision.
func (s *Service) grantsWorkspace(ctx context.Context, a desk.Actor) (bool, error) {
	ap, err := s.store.ApplicationOf(ctx, a.WorkspaceID, a.AgentID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if ap.Status != store.ApplicationPending {
		return ap.Status == store.ApplicationAccepted, nil
	}
	js, err := s.store.JoinSettings(ctx, a.WorkspaceID)
	if err != nil {
		return false, err
	}
	return js.AutoAccept, nil
}
