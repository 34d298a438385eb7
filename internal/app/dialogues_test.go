package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
)

// dialogue is a golden multi-turn conversation (testdata/dialogues/*.json):
// what the customer writes or taps, turn by turn, what the assistant must
// do with each turn, and how the conversation must look to the people
// afterwards.
type dialogue struct {
	About string `json:"about"`
	// Locale is the customer's locale ("sv-SE"); empty: none.
	Locale string `json:"locale"`
	// Online: an agent is available before the conversation starts.
	Online bool         `json:"online"`
	Turns  []dialogTurn `json:"turns"`
	Final  *dialogFinal `json:"final"`
}

type dialogTurn struct {
	// One of: the customer writes Say, taps the choice labelled Tap, or
	// sends the choice TapID ("something_else", "person") without a body.
	Say    string       `json:"say"`
	Tap    string       `json:"tap"`
	TapID  string       `json:"tap_id"`
	Expect dialogExpect `json:"expect"`
}

type dialogExpect struct {
	// Reply: answer, clarify, handoff or resolve.
	Reply   string   `json:"reply"`
	Article string   `json:"article"` // the cited article's title
	Choices []string `json:"choices"` // a question back's choices, in order
	Says    []string `json:"says"`
	NotSays []string `json:"not_says"`
}

type dialogFinal struct {
	Status     string   `json:"status"`
	Reasons    []string `json:"reasons"`     // the hand-over reasons, exactly
	Frustrated bool     `json:"frustrated"`  // the badge (and the priority boost) on the conversation
	Mood       string   `json:"mood"`        // the handoff packet's mood label
	Summary    []string `json:"summary"`     // parts of the packet's summary
	NotSummary []string `json:"not_summary"` // what the summary must not say
	// Steps are the packet's turn-by-turn account, each "kind: text part".
	Steps []string `json:"steps"`
	// MaxSuggestions bounds the copilot's suggested replies (-1: no bound).
	MaxSuggestions *int `json:"max_suggestions"`
}

type dialogMessage struct {
	Seq        int64     `json:"seq"`
	AuthorKind string    `json:"author_kind"`
	Body       string    `json:"body"`
	Citation   *citation `json:"citation"`
	Choices    []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"choices"`
	ChoiceID string `json:"choice_id"`
}

// TestGoldenDialogues plays every dialogue in testdata/dialogues through
// the HTTP API, as a customer would, and checks each reply and the
// conversation the people get.
func TestGoldenDialogues(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/dialogues/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dialogues: %v", err)
	}
	e := newEnv(t)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var dialogues []dialogue
		if err := json.Unmarshal(raw, &dialogues); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, d := range dialogues {
			name := fmt.Sprintf("%s/%d", strings.TrimSuffix(filepath.Base(file), ".json"), i+1)
			t.Run(name, func(t *testing.T) { e.playDialogue(t, name, d) })
		}
	}
}

func (e *env) playDialogue(t *testing.T, name string, d dialogue) {
	staff, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	if d.Online {
		e.setStatus(t, staff, "available")
		defer e.setStatus(t, staff, "offline")
	}
	cust := e.customerIn(t, d.Locale)
	var convID int64
	var transcript []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s (%s)\n%s\ntranscript:\n%s", fmt.Sprintf(format, args...), d.About, name, strings.Join(transcript, "\n"))
	}
	var last []dialogMessage // the messages so far
	for n, turn := range d.Turns {
		body := map[string]any{"client_id": fmt.Sprintf("%s-%d", name, n), "body": turn.Say}
		said := turn.Say
		switch {
		case turn.Tap != "" || turn.TapID != "":
			var q *dialogMessage
			for i := len(last) - 1; i >= 0 && q == nil; i-- {
				if len(last[i].Choices) > 0 {
					q = &last[i]
				}
			}
			if q == nil {
				fail("turn %d: nothing to tap", n+1)
			}
			id := turn.TapID
			for _, c := range q.Choices {
				if turn.Tap != "" && c.Label == turn.Tap {
					id = c.ID
				}
			}
			if id == "" {
				fail("turn %d: no choice %q among %+v", n+1, turn.Tap, q.Choices)
			}
			body = map[string]any{"client_id": fmt.Sprintf("%s-%d", name, n), "choice_id": id}
			said = "[taps " + id + "]"
		}
		var after int64
		if convID == 0 {
			var c conversation
			e.call(t, "POST", "/api/v1/conversations", cust, map[string]any{"message": body}, http.StatusCreated, &c)
			convID = c.ID
		} else {
			var m dialogMessage
			e.call(t, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), cust, body, http.StatusCreated, &m)
			after = m.Seq
			if turn.Tap != "" && m.Body != turn.Tap {
				fail("turn %d: a tap without a body is stored as %q, want the label %q", n+1, m.Body, turn.Tap)
			}
		}
		var out struct {
			Messages []dialogMessage `json:"messages"`
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/messages", convID), cust, nil, http.StatusOK, &out)
		last = out.Messages
		transcript = append(transcript, "customer: "+said)
		var replies []dialogMessage
		for _, m := range out.Messages {
			if m.Seq > after && m.AuthorKind != "customer" {
				replies = append(replies, m)
				transcript = append(transcript, fmt.Sprintf("%s: %s %v", m.AuthorKind, m.Body, m.Choices))
			}
		}
		if len(replies) == 0 {
			fail("turn %d: no reply", n+1)
		}
		reply := replies[len(replies)-1]
		status := e.conversation(t, cust, convID).Status
		kind := ""
		switch {
		case status == "queued" || status == "assigned":
			kind = "handoff"
		case status == "resolved":
			kind = "resolve"
		case len(reply.Choices) > 0:
			kind = "clarify"
		case reply.Citation != nil:
			kind = "answer"
		}
		x := turn.Expect
		if x.Reply != "" && kind != x.Reply {
			fail("turn %d: the assistant did %q, want %q", n+1, kind, x.Reply)
		}
		if x.Article != "" && (reply.Citation == nil || reply.Citation.Title != x.Article) {
			fail("turn %d: cited %+v, want %q", n+1, reply.Citation, x.Article)
		}
		if x.Choices != nil {
			var labels []string
			for _, c := range reply.Choices {
				labels = append(labels, c.Label)
			}
			if !slices.Equal(labels, x.Choices) {
				fail("turn %d: choices %q, want %q", n+1, labels, x.Choices)
			}
		}
		for _, s := range x.Says {
			if !strings.Contains(reply.Body, s) {
				fail("turn %d: the reply does not say %q", n+1, s)
			}
		}
		for _, s := range x.NotSays {
			if strings.Contains(reply.Body, s) {
				fail("turn %d: the reply says %q", n+1, s)
			}
		}
	}
	f := d.Final
	if f == nil {
		return
	}
	var c struct {
		staffConversation
		Triage *struct {
			Frustrated bool `json:"frustrated"`
		} `json:"triage"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", convID), staff, nil, http.StatusOK, &c)
	if f.Status != "" && c.Status != f.Status {
		fail("final status %q, want %q", c.Status, f.Status)
	}
	if c.Triage != nil && c.Triage.Frustrated != f.Frustrated {
		fail("frustrated %v, want %v", c.Triage.Frustrated, f.Frustrated)
	}
	p := c.Handoff
	if f.Reasons != nil || f.Mood != "" || f.Summary != nil || f.Steps != nil {
		if p == nil {
			fail("no handoff packet")
		}
		if f.Reasons != nil && !slices.Equal(p.Reasons, f.Reasons) {
			fail("hand-over reasons %q, want %q", p.Reasons, f.Reasons)
		}
		if f.Mood != "" && p.Mood.Label != f.Mood {
			fail("mood %q (%v), want %q", p.Mood.Label, p.Mood.Signals, f.Mood)
		}
		for _, s := range f.Summary {
			if !strings.Contains(p.Summary, s) {
				fail("the summary %q does not say %q", p.Summary, s)
			}
		}
		for _, s := range f.NotSummary {
			if strings.Contains(p.Summary, s) {
				fail("the summary %q says %q", p.Summary, s)
			}
		}
		if f.Steps != nil {
			var steps []string
			for _, s := range p.AssistantSaid {
				steps = append(steps, strings.TrimSpace(fmt.Sprintf("%s: %s %s %s", s.Kind, s.Article, strings.Join(s.Options, ", "), s.Text)))
			}
			if len(steps) != len(f.Steps) {
				fail("steps %q, want %q", steps, f.Steps)
			}
			for i, want := range f.Steps {
				k, part, _ := strings.Cut(want, ": ")
				if p.AssistantSaid[i].Kind != k || !strings.Contains(steps[i], part) {
					fail("step %d %q, want %q", i+1, steps[i], want)
				}
			}
		}
	}
	if f.MaxSuggestions != nil {
		var cp struct {
			Suggestions []struct {
				Title string `json:"title"`
			} `json:"suggestions"`
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/copilot", convID), staff, nil, http.StatusOK, &cp)
		if len(cp.Suggestions) > *f.MaxSuggestions {
			fail("copilot suggests %+v, want at most %d", cp.Suggestions, *f.MaxSuggestions)
		}
	}
}
