package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/model"
)

// TestFrustrationDialogues plays hand-written multi-turn dialogues through
// the HTTP API (testdata/mood_dialogues.json): routine ones, in several
// languages, with the rephrasings, "sorry, I mean…" and follow-ups of calm
// customers, and angry ones. A routine dialogue must never show the
// Frustrated badge (the conversation's triage, which also raises its
// priority) nor a frustrated or angry mood in the handoff packet; an angry
// one must. Run with -v for the figures:
//
//	go test ./internal/app -run TestFrustrationDialogues -v
func TestFrustrationDialogues(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/mood_dialogues.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Routine, Angry []struct {
			Locale string   `json:"locale"`
			Say    []string `json:"say"`
		}
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	staff, _ := e.login(t, "ana@acme.test", app.DemoPassword)
	// play returns whether the conversation was ever marked frustrated.
	play := func(locale string, say []string, n int) (bool, string) {
		cust := e.customerIn(t, locale)
		var convID int64
		marked := false
		for i, s := range say {
			id := fmt.Sprintf("mood-%d-%d", n, i)
			if convID == 0 {
				convID = e.start(t, cust, id, s).ID
			} else {
				e.post(t, cust, convID, id, s, false)
			}
			var c struct {
				Triage *model.ConversationTriage `json:"triage"`
			}
			e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", convID), staff, nil, http.StatusOK, &c)
			marked = marked || c.Triage != nil && c.Triage.Frustrated
		}
		var cp struct {
			Handoff *model.HandoffPacket `json:"handoff"`
		}
		e.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/copilot", convID), staff, nil, http.StatusOK, &cp)
		mood := cp.Handoff.Mood.Label
		return marked || mood == "frustrated" || mood == "angry", mood
	}
	falsePos := 0
	for i, d := range set.Routine {
		if marked, mood := play(d.Locale, d.Say, i); marked {
			falsePos++
			t.Errorf("routine dialogue marked frustrated (mood %s): %s %q", mood, d.Locale, d.Say)
		}
	}
	found := 0
	for i, d := range set.Angry {
		if marked, mood := play(d.Locale, d.Say, 1000+i); marked {
			found++
		} else {
			t.Logf("angry dialogue not marked (mood %s): %s %q", mood, d.Locale, d.Say)
		}
	}
	recall := float64(found) / float64(len(set.Angry))
	t.Logf("routine dialogues marked frustrated: %d of %d; angry dialogues marked: %d of %d (recall %.2f)",
		falsePos, len(set.Routine), found, len(set.Angry), recall)
	if recall < 0.9 {
		t.Errorf("recall on angry dialogues %.2f, want ≥ 0.90", recall)
	}
}
