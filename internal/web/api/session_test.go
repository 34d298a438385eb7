package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

type session struct {
	Token      string `json:"token"`
	CustomerID int64  `json:"customer_id"`
	Verified   bool   `json:"verified"`
}

type conversationList struct {
	Conversations []struct {
		ID int64 `json:"id"`
	} `json:"conversations"`
}

// TestUnverifiedSessionNeverAttaches: a widget session that claims an
// external_id it cannot prove never becomes that customer. In a workspace
// without an identity secret the visitor is a new anonymous customer —
// the existing customer's conversations and messages stay out of reach and
// their record is untouched; in a workspace with one, a missing or wrong
// user_hash is refused.
func TestUnverifiedSessionNeverAttaches(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		// globex has no identity secret. Its customer "victim" was recorded
		// with that external id (by an earlier release, or an import).
		victim, err := f.st.UpsertCustomer(ctx, model.Customer{WorkspaceID: f.globex.ID, ExternalID: "victim", Name: "Victoria", Email: "victoria@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		conv, _, _, err := f.st.CreateConversation(ctx, f.globex.ID, victim.ID, store.NewMessage{Body: "my new address is 1 Secret Lane"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}

		var s session
		f.call(t, "POST", "/api/v1/widget/session", "", map[string]any{
			"workspace": "globex", "customer": map[string]string{"external_id": "victim", "name": "Mallory"},
		}, http.StatusCreated, &s)
		if s.CustomerID == victim.ID || s.Verified {
			t.Fatalf("an unverified session is %+v, want a new unverified customer, not the victim %d", s, victim.ID)
		}
		// A user_hash proves nothing without a secret to check it against.
		var s2 session
		f.call(t, "POST", "/api/v1/widget/session", "", map[string]any{
			"workspace": "globex", "customer": map[string]string{"external_id": "victim"}, "user_hash": desk.UserHash("", "victim"),
		}, http.StatusCreated, &s2)
		if s2.CustomerID == victim.ID || s2.CustomerID == s.CustomerID || s2.Verified {
			t.Fatalf("a second unverified session is %+v, want another new customer", s2)
		}
		for _, token := range []string{s.Token, s2.Token} {
			var list conversationList
			f.call(t, "GET", "/api/v1/conversations", token, nil, http.StatusOK, &list)
			if len(list.Conversations) != 0 {
				t.Errorf("the unverified visitor lists %+v, want none", list.Conversations)
			}
			path := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
			for _, p := range []string{path, path + "/messages"} {
				if status, raw := f.do(t, "GET", p, token, nil); status != http.StatusNotFound {
					t.Errorf("GET %s as the unverified visitor: %d %s, want 404", p, status, raw)
				}
			}
		}
		after, err := f.st.CustomerByID(ctx, f.globex.ID, victim.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Name != "Victoria" || after.ExternalID != "victim" {
			t.Errorf("the victim's record became %+v", after)
		}

		// acme has an identity secret: its verified customer's conversation
		// is reached only with the right user_hash.
		owner := f.customer(t, "cus_victim")
		var c struct {
			ID int64 `json:"id"`
		}
		f.call(t, "POST", "/api/v1/conversations", owner, map[string]any{"message": map[string]string{"body": "my card number is private"}}, http.StatusCreated, &c)
		for _, hash := range []string{"", "00", desk.UserHash("a guess", "cus_victim"), desk.UserHash(f.acme.IdentitySecret, "cus_other")} {
			body := map[string]any{"workspace": "acme", "customer": map[string]string{"external_id": "cus_victim"}, "user_hash": hash}
			if status, raw := f.do(t, "POST", "/api/v1/widget/session", "", body); status != http.StatusUnauthorized || errorCode(raw) != "unauthorized" {
				t.Errorf("session for cus_victim with user_hash %q: %d %s, want 401", hash, status, raw)
			}
		}
		var mine conversationList
		f.call(t, "GET", "/api/v1/conversations", f.customer(t, "cus_victim"), nil, http.StatusOK, &mine)
		if len(mine.Conversations) != 1 || mine.Conversations[0].ID != c.ID {
			t.Errorf("the verified customer's next session lists %+v, want their conversation %d", mine.Conversations, c.ID)
		}
	})
}

// TestCustomerLogout: a customer ends their widget session with POST
// /auth/logout; the token stops working and their conversation stays theirs.
func TestCustomerLogout(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, f *fixture) {
		token := f.customer(t, "cus_leaving")
		var c struct {
			ID int64 `json:"id"`
		}
		f.call(t, "POST", "/api/v1/conversations", token, map[string]any{"message": map[string]string{"body": "hello"}}, http.StatusCreated, &c)
		f.call(t, "POST", "/api/v1/auth/logout", token, nil, http.StatusNoContent, nil)
		if status, raw := f.do(t, "GET", "/api/v1/conversations", token, nil); status != http.StatusUnauthorized {
			t.Errorf("after logout the token gets %d %s, want 401", status, raw)
		}
		var list conversationList
		f.call(t, "GET", "/api/v1/conversations", f.customer(t, "cus_leaving"), nil, http.StatusOK, &list)
		if len(list.Conversations) != 1 || list.Conversations[0].ID != c.ID {
			t.Errorf("a new session of the customer lists %+v, want conversation %d", list.Conversations, c.ID)
		}
	})
}
