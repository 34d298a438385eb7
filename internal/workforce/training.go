package workforce

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Question is one multiple-choice question of a training quiz. Correct
// lists the indexes of the right choices; a question may have several.
type Question struct {
	Text    string   `json:"text"`
	Choices []string `json:"choices"`
	Correct []int    `json:"correct"`
}

// Module is a training module as an admin writes it: Markdown material
// and a quiz. Certifies is "workspace" (passing certifies the person for
// the module's workspace) or "skill:NAME" (passing grants the skill).
type Module struct {
	Title              string     `json:"title"`
	Body               string     `json:"body"`
	Certifies          string     `json:"certifies"`
	Questions          []Question `json:"questions"`
	PassMark           float64    `json:"pass_mark"`
	RetakeAfterSeconds int64      `json:"retake_after_seconds"`
	// ValidForDays makes the grant expire that many days after passing,
	// so people re-certify; 0 never expires.
	ValidForDays int `json:"valid_for_days"`
}

// Limits of a module.
const (
	MaxQuestions     = 100
	MaxChoices       = 10
	MaxModuleBody    = 50000
	MaxQuestionText  = 1000
	MaxRetakeSeconds = 365 * 24 * 3600
	MaxValidForDays  = 3650
)

// CertifiesWorkspace is Module.Certifies for the module's workspace.
const CertifiesWorkspace = "workspace"

// Skill returns the skill a module grants, or "" when it certifies its workspace.
func (m Module) Skill() string { return strings.TrimPrefix(m.Certifies, "skill:") }

// Check tells what is wrong with a module as field and problem, or "".
func (m Module) Check() (field, problem string) {
	switch {
	case strings.TrimSpace(m.Title) == "" || len(m.Title) > 200:
		return "title", "must be 1 to 200 characters"
	case len(m.Body) > MaxModuleBody:
		return "body", fmt.Sprintf("must be at most %d bytes", MaxModuleBody)
	case m.Certifies != CertifiesWorkspace && !(strings.HasPrefix(m.Certifies, "skill:") && skillName(m.Skill())):
		return "certifies", `must be "workspace" or "skill:NAME" (NAME: lowercase letters, digits, _ - .)`
	case len(m.Questions) == 0 || len(m.Questions) > MaxQuestions:
		return "questions", fmt.Sprintf("must hold 1 to %d questions", MaxQuestions)
	case !(m.PassMark > 0 && m.PassMark <= 1):
		return "pass_mark", "must be above 0 and at most 1 (the share of questions answered right)"
	case m.RetakeAfterSeconds < 0 || m.RetakeAfterSeconds > MaxRetakeSeconds:
		return "retake_after_seconds", fmt.Sprintf("must be 0 to %d", MaxRetakeSeconds)
	case m.ValidForDays < 0 || m.ValidForDays > MaxValidForDays:
		return "valid_for_days", fmt.Sprintf("must be 0 (no expiry) to %d", MaxValidForDays)
	}
	for i, q := range m.Questions {
		f := fmt.Sprintf("questions[%d]", i)
		switch {
		case strings.TrimSpace(q.Text) == "" || len(q.Text) > MaxQuestionText:
			return f + ".text", fmt.Sprintf("must be 1 to %d characters", MaxQuestionText)
		case len(q.Choices) < 2 || len(q.Choices) > MaxChoices:
			return f + ".choices", fmt.Sprintf("must hold 2 to %d choices", MaxChoices)
		case len(q.Correct) == 0:
			return f + ".correct", "must name at least one right choice"
		}
		for _, c := range q.Choices {
			if strings.TrimSpace(c) == "" || len(c) > MaxQuestionText {
				return f + ".choices", fmt.Sprintf("every choice must be 1 to %d characters", MaxQuestionText)
			}
		}
		if msg := checkIndexes(q.Correct, len(q.Choices)); msg != "" {
			return f + ".correct", msg
		}
	}
	return "", ""
}

func skillName(s string) bool {
	if s == "" || len(s) > 64 || strings.HasPrefix(s, "lang:") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func checkIndexes(idx []int, n int) string {
	for i, c := range idx {
		if c < 0 || c >= n {
			return fmt.Sprintf("index %d is not a choice (0 to %d)", c, n-1)
		}
		if slices.Contains(idx[:i], c) {
			return fmt.Sprintf("index %d is listed twice", c)
		}
	}
	return ""
}

// Score marks a quiz attempt: the share of questions whose chosen set of
// choices is exactly the right set (a partly right answer scores nothing
// for that question), and whether it reaches the pass mark. Answers must
// hold one list of choice indexes per question.
func Score(questions []Question, passMark float64, answers [][]int) (score float64, passed bool, err error) {
	if len(answers) != len(questions) {
		return 0, false, fmt.Errorf("answers: want one list per question (%d), got %d", len(questions), len(answers))
	}
	right := 0
	for i, q := range questions {
		if msg := checkIndexes(answers[i], len(q.Choices)); msg != "" {
			return 0, false, fmt.Errorf("answers[%d]: %s", i, msg)
		}
		if sameSet(answers[i], q.Correct) {
			right++
		}
	}
	score = float64(right) / float64(len(questions))
	// Rounded to 4 places so that 4/5 ≥ 0.8 holds in floating point.
	score = math.Round(score*1e4) / 1e4
	return score, score >= passMark, nil
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// RetakeAt is when a person who failed at failedAt may try again.
func (m Module) RetakeAt(failedAt time.Time) time.Time {
	return failedAt.Add(time.Duration(m.RetakeAfterSeconds) * time.Second)
}

// ExpiresAt is when a grant earned at passedAt lapses; nil: never.
func (m Module) ExpiresAt(passedAt time.Time) *time.Time {
	if m.ValidForDays == 0 {
		return nil
	}
	t := passedAt.AddDate(0, 0, m.ValidForDays)
	return &t
}

// DefaultProbationReviews is how many of a newly certified person's first
// conversations are marked for review ("nesting"); they take one
// conversation at a time until a supervisor approves them.
const DefaultProbationReviews = 10
