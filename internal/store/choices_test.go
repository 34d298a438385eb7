package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// TestMessageChoicesPersist: a question back keeps its choices and a
// customer's message the choice it tapped, on every backend; a message
// without them has none.
func TestMessageChoicesPersist(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "u1")
		conv := openConversation(t, s, cu, "my card", at(0))
		choices := []model.Choice{{ID: "article:1", Label: "When will my card arrive?"}, {ID: model.ChoiceOther, Label: "Något annat"}, {ID: model.ChoicePerson, Label: "Talk to a person"}}
		q, _, _, err := s.AddMessage(ctx, store.NewMessage{WorkspaceID: ws.ID, ConversationID: conv.ID, AuthorKind: model.AuthorAssistant,
			Body: "Is it about …?", Choices: choices}, at(time.Second))
		must(t, err, "question")
		tap := customerMsg(cu, conv, "When will my card arrive?", "tap-1")
		tap.ChoiceID = "article:1"
		_, _, _, err = s.AddMessage(ctx, tap, at(2*time.Second))
		must(t, err, "tap")
		all, err := s.Messages(ctx, ws.ID, conv.ID, 0, 0, false)
		must(t, err, "messages")
		if len(all) != 3 || !slices.Equal(all[1].Choices, choices) || all[1].ID != q.ID || all[2].ChoiceID != "article:1" {
			t.Fatalf("stored %+v / %+v", all[1], all[2])
		}
		if all[0].Choices != nil || all[0].ChoiceID != "" || all[2].Choices != nil {
			t.Errorf("choices where there were none: %+v %+v", all[0], all[2])
		}
	})
}
