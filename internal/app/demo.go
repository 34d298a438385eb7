package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// DemoPassword is the password of every demo staff account. It exists only
// in demo mode.
const DemoPassword = "demo"

// DemoInfo is what a person needs to try the demo.
type DemoInfo struct {
	Workspace      *model.Workspace
	IdentitySecret string
	Staff          []*model.Agent
}

// Print writes the demo's URLs and logins.
func (i *DemoInfo) Print(w io.Writer, baseURL string) {
	fmt.Fprintf(w, "\nTandem demo is running: workspace %q (%s)\n\n", i.Workspace.Slug, i.Workspace.Name)
	fmt.Fprintf(w, "  Customer  %s/demo          (the Acme Pay site with the chat widget)\n", baseURL)
	fmt.Fprintf(w, "  Agents    %s/agent         (log in as ana@acme.test, ben@acme.test or chen@acme.test, password %q)\n", baseURL, DemoPassword)
	fmt.Fprintf(w, "  Admin     admin@acme.test, password %q\n", DemoPassword)
	fmt.Fprintf(w, "  API       %s/api/v1/openapi.json\n", baseURL)
	fmt.Fprintf(w, "  Identity secret of %q: %s\n", i.Workspace.Slug, i.IdentitySecret)
	fmt.Fprintf(w, "            (user_hash = hex(HMAC-SHA256(secret, external_id)) verifies a customer)\n\n")
}

// Seed creates the demo workspace and its data. It is idempotent: running it
// again changes nothing that exists and adds what is missing.
func Seed(ctx context.Context, st *store.Store) (*DemoInfo, error) {
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme Pay", AssistantName: "Acme Pay assistant"})
	if err != nil {
		return nil, err
	}
	if ws.IdentitySecret == "" {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := st.SetIdentitySecret(ctx, ws.ID, hex.EncodeToString(raw)); err != nil {
			return nil, err
		}
		if ws, err = st.WorkspaceByID(ctx, ws.ID); err != nil {
			return nil, err
		}
	}
	info := &DemoInfo{Workspace: ws, IdentitySecret: ws.IdentitySecret}
	staff := []struct {
		email, name string
		role        model.Role
	}{
		{"admin@acme.test", "Alex Admin", model.RoleAdmin},
		{"ana@acme.test", "Ana", model.RoleAgent},
		{"ben@acme.test", "Ben", model.RoleAgent},
		{"chen@acme.test", "Chen", model.RoleAgent},
	}
	for _, s := range staff {
		agent, err := st.AgentByEmail(ctx, s.email)
		if errors.Is(err, store.ErrNotFound) {
			hash, herr := desk.HashPassword(DemoPassword)
			if herr != nil {
				return nil, herr
			}
			agent, err = st.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: s.email, Name: s.name, Role: s.role, PasswordHash: hash, Capacity: 3})
		}
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", s.email, err)
		}
		info.Staff = append(info.Staff, agent)
	}
	for _, c := range demoCustomers {
		c.WorkspaceID, c.Verified = ws.ID, true
		if _, err := st.UpsertCustomer(ctx, c); err != nil {
			return nil, fmt.Errorf("seed customer %s: %w", c.ExternalID, err)
		}
	}
	for _, a := range demoArticles {
		a.WorkspaceID, a.Published = ws.ID, true
		if _, err := st.EnsureArticle(ctx, a); err != nil {
			return nil, fmt.Errorf("seed article %q: %w", a.Title, err)
		}
	}
	return info, nil
}

var demoCustomers = []model.Customer{
	{ExternalID: "cus_1001", Name: "Alice Andersson", Email: "alice@example.com", Locale: "sv-SE", Tier: "vip"},
	{ExternalID: "cus_1002", Name: "Bruno Becker", Email: "bruno@example.com", Locale: "de-DE", Tier: "standard"},
	{ExternalID: "cus_1003", Name: "Carmen Castillo", Email: "carmen@example.com", Locale: "es-ES", Tier: "standard"},
	{ExternalID: "cus_1004", Name: "Dan Doyle", Email: "dan@example.com", Locale: "en-GB", Tier: "standard"},
}

// Intents that several demo articles (and their translations) answer.
var (
	cardArrival = []string{"card_arrival", "card_delivery_estimate"}
	refunds     = []string{"request_refund", "Refund_not_showing_up"}
)

// demoArticles is the Acme Pay help centre. Acme Pay is a fictional
// buy-now-pay-later company: shoppers split a purchase into four payments.
var demoArticles = []model.Article{
	{Title: "When will my Acme Pay card arrive?", Language: "en", Intents: cardArrival, Body: "Your physical Acme Pay card is posted the next working day after you order it and usually arrives within 5 to 7 working days.\n\nIf it has not arrived after 10 working days, freeze the card in the app and order a replacement: it is free of charge."},
	{Title: "How do I pay an instalment early?", Language: "en", Body: "Open the purchase in the app, choose Pay now and pick the instalment you want to pay. You can pay one instalment or the whole remaining balance early at any time, with no fees.\n\nYour later payment dates stay the same unless you pay everything."},
	{Title: "How do refunds work?", Language: "en", Intents: refunds, Body: "When a store refunds a purchase, the refund is taken off what you still owe, starting with the last instalment. If the refund is larger than what you still owe, the difference is paid back to your card within 5 working days.\n\nA refund appears in the app as soon as the store has processed it; that can take the store a few days."},
	{Title: "Why was my payment declined?", Language: "en", Intents: []string{"declined_card_payment"}, Body: "A payment can be declined when the card on file has expired or lacks funds, when the purchase is above your spending limit, or when our checks need more information.\n\nUpdate your card under Payment methods and try again. Your spending limit is shown on the home screen."},
	{Title: "How do I change my payment date?", Language: "en", Body: "You can move a payment date once per purchase by up to 14 days. Open the purchase, choose Change date and pick a new date.\n\nMoving a date is free; late fees only apply if a payment is missed."},
	{Title: "What happens if I miss a payment?", Language: "en", Body: "We try the payment again two days later. If it fails again a late fee of up to 5 EUR is added and your account is paused until the payment is made.\n\nIf you are struggling to pay, talk to us: we can set up a payment plan, and there is no fee for asking."},
	{Title: "How do I reset my password?", Language: "en", Intents: []string{"passcode_forgotten"}, Body: "On the login screen choose Forgot password and enter your email address. We send you a link that is valid for 30 minutes.\n\nIf the email does not arrive, check your spam folder, then ask us for help."},
	{Title: "How do I close my account?", Language: "en", Intents: []string{"terminate_account"}, Body: "You can close your account once every purchase is paid off. Go to Settings, Account, Close account.\n\nWe keep the records the law requires us to keep and delete the rest."},
	{Title: "När kommer mitt Acme Pay-kort?", Language: "sv", Intents: cardArrival, Body: "Ditt Acme Pay-kort skickas nästa arbetsdag efter beställningen och kommer oftast inom 5–7 arbetsdagar.\n\nOm det inte har kommit efter 10 arbetsdagar kan du frysa kortet i appen och beställa ett nytt utan kostnad."},
	{Title: "Hur fungerar återbetalningar?", Language: "sv", Intents: refunds, Body: "När en butik gör en återbetalning dras beloppet av från det du har kvar att betala, med början från den sista delbetalningen. Blir det pengar över betalas de tillbaka till ditt kort inom 5 arbetsdagar."},
	{Title: "Wann kommt meine Acme Pay Karte?", Language: "de", Intents: cardArrival, Body: "Ihre Acme Pay Karte wird am nächsten Werktag nach der Bestellung verschickt und kommt meist innerhalb von 5 bis 7 Werktagen an.\n\nIst sie nach 10 Werktagen nicht da, sperren Sie die Karte in der App und bestellen Sie kostenlos eine neue."},
	{Title: "Wie funktionieren Rückerstattungen?", Language: "de", Intents: refunds, Body: "Erstattet ein Geschäft einen Einkauf, wird der Betrag von Ihrer offenen Summe abgezogen, beginnend mit der letzten Rate. Ist die Erstattung höher, zahlen wir die Differenz innerhalb von 5 Werktagen auf Ihre Karte zurück."},
	{Title: "¿Cuándo llegará mi tarjeta Acme Pay?", Language: "es", Intents: cardArrival, Body: "Tu tarjeta Acme Pay se envía el día hábil siguiente al pedido y suele llegar en 5 a 7 días hábiles.\n\nSi no ha llegado tras 10 días hábiles, congela la tarjeta en la app y pide una nueva sin coste."},
	{Title: "¿Cómo funcionan los reembolsos?", Language: "es", Intents: refunds, Body: "Cuando una tienda reembolsa una compra, el importe se descuenta de lo que te queda por pagar, empezando por la última cuota. Si el reembolso es mayor, te devolvemos la diferencia a tu tarjeta en 5 días hábiles."},
}
