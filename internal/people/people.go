// Package people runs the workforce's use cases: setting up a fresh
// server, creating workspaces and staff, inviting people, changing roles
// and deactivating. Its rules (passwords, slugs, throttling) are the pure
// policies of package workforce; persistence goes through the store; the
// sessions it hands out are the desk's. The web layer and the CLI call it.
// Who may call each use case is the rule of its route (web/api routes.go);
// the service keeps what a rule cannot say: the caller's workspace, whose
// resource it is, and that supervisors neither invite nor deactivate admins.
package people

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/workforce"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// Options configure a Service.
type Options struct {
	Store *store.Store
	// Desk issues sessions and notifies dispatch; required.
	Desk   *desk.Desk
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HashCost is bcrypt's cost; bcrypt.DefaultCost when 0.
	HashCost int
	// Mail says invitations are emailed (an SMTP server is configured);
	// NotifyMail wakes the mail sender. PublicURL starts the links in them.
	Mail       bool
	NotifyMail func()
	PublicURL  string
}

// Service runs the people use cases.
type Service struct {
	store *store.Store
	desk  *desk.Desk
	log   *slog.Logger
	now   func() time.Time
	cost  int
	mail  Options // Mail, NotifyMail, PublicURL
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, desk: o.Desk, log: o.Logger, now: o.Now, cost: o.HashCost, mail: o}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	return s
}

func (s *Service) hash(password string) (string, error) {
	if err := workforce.CheckPassword(password); err != nil {
		return "", model.Invalid("password", "%s", err)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return "", fmt.Errorf("people: hash password: %w", err)
	}
	return string(h), nil
}

func checkWorkspace(slug, name string) (model.Workspace, error) {
	slug, name = strings.TrimSpace(slug), strings.TrimSpace(name)
	if err := workforce.CheckSlug(slug); err != nil {
		return model.Workspace{}, model.Invalid("slug", "%s", err)
	}
	if name == "" || len(name) > model.MaxNameLen {
		return model.Workspace{}, model.Invalid("name", "must be 1 to %d characters", model.MaxNameLen)
	}
	return model.Workspace{Slug: slug, Name: name}, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > model.MaxNameLen {
		return "", model.Invalid("name", "must be 1 to %d characters", model.MaxNameLen)
	}
	return name, nil
}

// CreateWorkspace creates a workspace (tandem workspace create).
func (s *Service) CreateWorkspace(ctx context.Context, slug, name string) (*model.Workspace, error) {
	w, err := checkWorkspace(slug, name)
	if err != nil {
		return nil, err
	}
	return s.store.CreateWorkspace(ctx, w, s.now())
}

// NewUser is a person created from the command line.
type NewUser struct {
	Workspace string // slug
	Email     string
	Name      string // the email's local part when empty
	Role      model.Role
	Password  string
}

// CreateUser adds a person to a workspace (tandem user create), certified
// for it.
func (s *Service) CreateUser(ctx context.Context, u NewUser) (*model.Agent, error) {
	ws, err := s.store.WorkspaceBySlug(ctx, u.Workspace)
	if err != nil {
		return nil, err
	}
	email, err := workforce.NormalizeEmail(u.Email)
	if err != nil {
		return nil, model.Invalid("email", "%s", err)
	}
	if !u.Role.Valid() {
		return nil, model.Invalid("role", "must be admin, supervisor or agent")
	}
	if u.Name == "" {
		u.Name = email[:strings.IndexByte(email, '@')]
	}
	name, err := checkName(u.Name)
	if err != nil {
		return nil, err
	}
	hash, err := s.hash(u.Password)
	if err != nil {
		return nil, err
	}
	return s.store.CreateStaff(ctx, store.NewStaff{WorkspaceID: ws.ID, Email: email, Name: name, Role: u.Role, PasswordHash: hash, Certified: true}, s.now())
}

// SetupLink returns a new one-time setup token when the server has no
// workspace yet; ok is false on a server set up already. Every link works
// until one of them is used.
func (s *Service) SetupLink(ctx context.Context) (token string, ok bool, err error) {
	n, err := s.store.CountWorkspaces(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	token, hash := newToken()
	if err := s.store.CreateSetupToken(ctx, hash, s.now()); err != nil {
		return "", false, err
	}
	return token, true, nil
}

// SetupValid reports whether token is a setup link that still works.
func (s *Service) SetupValid(ctx context.Context, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	return s.store.SetupTokenValid(ctx, hashToken(token))
}

// Setup is the form of the setup page.
type Setup struct {
	Token         string `json:"token"`
	WorkspaceSlug string `json:"workspace_slug"`
	WorkspaceName string `json:"workspace_name"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	Password      string `json:"password"`
}

// RunSetup creates the first workspace and its admin with a setup link and
// signs the admin in.
func (s *Service) RunSetup(ctx context.Context, req Setup) (string, *model.Agent, error) {
	w, err := checkWorkspace(req.WorkspaceSlug, req.WorkspaceName)
	if err != nil {
		return "", nil, err
	}
	email, err := workforce.NormalizeEmail(req.Email)
	if err != nil {
		return "", nil, model.Invalid("email", "%s", err)
	}
	name, err := checkName(req.Name)
	if err != nil {
		return "", nil, err
	}
	hash, err := s.hash(req.Password)
	if err != nil {
		return "", nil, err
	}
	_, admin, err := s.store.Setup(ctx, hashToken(req.Token), w, store.NewStaff{Email: email, Name: name, PasswordHash: hash}, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("this setup link is not valid (used already?): %w", desk.ErrForbidden)
	}
	if err != nil {
		return "", nil, err
	}
	token, err := s.desk.StaffSession(ctx, admin)
	return token, admin, err
}

// Invite is an invitation request.
type Invite struct {
	Email     string     `json:"email"`
	Role      model.Role `json:"role"`
	Skills    []string   `json:"skills"`
	Languages []string   `json:"languages"`
}

// Invite creates a one-time link for someone to join the actor's
// workspace. Admins invite anyone; supervisors invite agents and
// supervisors. The token is returned once and only its hash is stored.
func (s *Service) Invite(ctx context.Context, a desk.Actor, req Invite) (*store.Invitation, string, error) {
	email, err := workforce.NormalizeEmail(req.Email)
	if err != nil {
		return nil, "", model.Invalid("email", "%s", err)
	}
	if req.Role == "" {
		req.Role = model.RoleAgent
	}
	if !req.Role.Valid() {
		return nil, "", model.Invalid("role", "must be admin, supervisor or agent")
	}
	if req.Role == model.RoleAdmin && a.Kind != desk.KindAdmin {
		return nil, "", fmt.Errorf("only admins invite admins: %w", desk.ErrForbidden)
	}
	skills, err := checkNames("skills", req.Skills, false)
	if err != nil {
		return nil, "", err
	}
	langs, err := checkNames("languages", req.Languages, true)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.store.AgentByEmail(ctx, email); err == nil {
		return nil, "", fmt.Errorf("%s has an account already: %w", email, store.ErrConflict)
	}
	now := s.now()
	token, hash := newToken()
	by := a.AgentID
	var mail *store.Mail
	if s.mail.Mail {
		ws, err := s.store.WorkspaceByID(ctx, a.WorkspaceID)
		if err != nil {
			return nil, "", err
		}
		mail = &store.Mail{
			Subject: "You are invited to join " + ws.Name + " on Tandem",
			Body: fmt.Sprintf("Hello,\n\nyou are invited to join the support team of %s as %s.\n\n"+
				"Choose your name and password here (the link works once, for %d days):\n\n  %s/invite/%s\n",
				ws.Name, req.Role, int(InvitationTTL.Hours()/24), s.mail.PublicURL, token),
		}
	}
	inv, err := s.store.CreateInvitation(ctx, store.Invitation{WorkspaceID: a.WorkspaceID, Email: email, Role: req.Role,
		Skills: skills, Languages: langs, InvitedBy: &by, CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}, hash, mail)
	if err != nil {
		return nil, "", err
	}
	if mail != nil && s.mail.NotifyMail != nil {
		s.mail.NotifyMail()
	}
	return inv, token, nil
}

// checkNames validates skill or language names: lowercase letters,
// digits, _ - . ; languages 2–8 characters. Duplicates are dropped.
func checkNames(field string, names []string, lang bool) ([]string, error) {
	if len(names) > store.MaxAgentSkills {
		return nil, model.Invalid(field, "must list at most %d", store.MaxAgentSkills)
	}
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		ok := n != "" && len(n) <= 64 && !strings.HasPrefix(n, "lang:")
		for _, r := range n {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
				ok = false
			}
		}
		if lang && (len(n) < 2 || len(n) > 8) {
			ok = false
		}
		if !ok {
			return nil, model.Invalid(field, "%q is not a valid name (lowercase letters, digits, _ - .)", n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// Invitations lists the actor's workspace's invitations.
func (s *Service) Invitations(ctx context.Context, a desk.Actor) ([]*store.Invitation, error) {
	return s.store.Invitations(ctx, a.WorkspaceID)
}

// AcceptInvitation creates the invitee's account with their name and
// password and signs them in.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password string) (string, *model.Agent, error) {
	name, err := checkName(name)
	if err != nil {
		return "", nil, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return "", nil, err
	}
	agent, err := s.store.AcceptInvitation(ctx, hashToken(token), name, hash, s.now())
	if err != nil {
		return "", nil, err
	}
	session, err := s.desk.StaffSession(ctx, agent)
	return session, agent, err
}

// SetRole changes a person's role; admins only, and not their own (a
// workspace must not lose its last admin by accident).
func (s *Service) SetRole(ctx context.Context, a desk.Actor, agentID int64, role model.Role) (*model.Agent, error) {
	if !role.Valid() {
		return nil, model.Invalid("role", "must be admin, supervisor or agent")
	}
	if agentID == a.AgentID {
		return nil, fmt.Errorf("you cannot change your own role: %w", store.ErrConflict)
	}
	return s.store.SetAgentRole(ctx, a.WorkspaceID, agentID, role, s.now())
}

// Deactivate deactivates a person: they cannot sign in, their pending
// offers are rescinded and their conversations go back to the front of the
// queue (dispatch.Dispatcher.HandBack). Admins deactivate anyone but
// themselves; supervisors deactivate agents.
func (s *Service) Deactivate(ctx context.Context, a desk.Actor, agentID int64) (*model.Agent, error) {
	if agentID == a.AgentID {
		return nil, fmt.Errorf("you cannot deactivate yourself: %w", store.ErrConflict)
	}
	target, err := s.store.AgentByID(ctx, a.WorkspaceID, agentID)
	if err != nil {
		return nil, err
	}
	if a.Kind != desk.KindAdmin && target.Role != model.RoleAgent {
		return nil, fmt.Errorf("supervisors deactivate agents only: %w", desk.ErrForbidden)
	}
	agent, err := s.store.DeactivateAgent(ctx, a.WorkspaceID, agentID, s.now())
	if err != nil {
		return nil, err
	}
	// Last, as going offline does: their pending offers are rescinded and
	// the conversations they hold go back to the front of the queue, their
	// customers told. They are offline and signed out already, so no new
	// offer reaches them meanwhile.
	if _, err := s.desk.Dispatcher().HandBack(ctx, a.WorkspaceID, agentID, "agent_deactivated"); err != nil {
		return nil, err
	}
	s.desk.Changed(a.WorkspaceID)
	return agent, nil
}

// Reactivate lets a deactivated person sign in again.
func (s *Service) Reactivate(ctx context.Context, a desk.Actor, agentID int64) (*model.Agent, error) {
	return s.store.ReactivateAgent(ctx, a.WorkspaceID, agentID, s.now())
}

// SignOutEverywhere ends every session of the calling person.
func (s *Service) SignOutEverywhere(ctx context.Context, a desk.Actor) error {
	return s.store.DeleteStaffSessions(ctx, a.AgentID)
}

func newToken() (token, hash string) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
