package desk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
)

// TestFollowUpConfirmationInTheCustomersLanguage: the confirmation of a
// follow-up address is written in the language triage read in the
// customer's words, and (mail being off here) promises no email.
func TestFollowUpConfirmationInTheCustomersLanguage(t *testing.T) {
	c := &clock{t: time.Date(2030, 5, 6, 9, 0, 0, 0, time.UTC)}
	f := newFixture(t, 30*time.Second, c.now)
	ctx := t.Context()
	for lang, want := range map[string]string{
		"sv": "Vårt team har din e-postadress, lisa@example.se,",
		"de": "Unser Team hat Ihre E-Mail-Adresse, lisa@example.se,",
		"ja": "Our team has your email address, lisa@example.se,", // no text in Japanese: English
	} {
		conv := f.queue(model.ConversationTriage{Intent: "card_arrival", Language: lang}, false)
		cust := desk.Actor{WorkspaceID: f.ws.ID, Kind: desk.KindCustomer, CustomerID: conv.CustomerID}
		_, err := f.d.FollowUp(ctx, cust, conv.ID, "lisa@example.se")
		must(t, err)
		msgs, err := f.d.Messages(ctx, cust, conv.ID, 0, 0)
		must(t, err)
		last := msgs[len(msgs)-1]
		if last.AuthorKind != model.AuthorSystem || !strings.Contains(last.Body, want) {
			t.Errorf("%s: the confirmation reads %q, want it to contain %q", lang, last.Body, want)
		}
	}
}
