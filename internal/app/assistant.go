package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/actions/demobackend"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/llm"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
)

// assistantOptions wires the optional LLM and the action time-out.
func assistantOptions(cfg config.Config) desk.AssistantOptions {
	return desk.AssistantOptions{
		LLM:           llm.New(llm.Config{URL: cfg.LLMURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey, Timeout: cfg.LLMTimeout}),
		ActionTimeout: cfg.ActionTimeout,
	}
}

// DemoBackendPath is where the built-in Acme Pay API is served.
const DemoBackendPath = "/demo-backend/"

// withDemoBackend serves the demo's business API under /demo-backend/ next
// to Tandem itself. It answers only requests signed with the secret of one
// of the demo workspace's actions that point at it.
func withDemoBackend(next http.Handler, st *store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(DemoBackendPath, http.StripPrefix(strings.TrimSuffix(DemoBackendPath, "/"), demobackend.New(DemoBackendSecrets(st), nil)))
	mux.Handle("/", next)
	return mux
}

// DemoBackendSecrets returns the signing secrets of the demo workspace's
// actions whose endpoint is the built-in backend.
func DemoBackendSecrets(st *store.Store) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		ws, err := st.WorkspaceBySlug(ctx, demoSlug)
		if err != nil {
			return nil, err
		}
		acts, err := st.Actions(ctx, ws.ID)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, a := range acts {
			if strings.HasPrefix(a.Endpoint, DemoBackendPath) {
				out = append(out, a.Secret)
			}
		}
		return out, nil
	}
}

// selfURL is how this process reaches its own listener.
func selfURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
		if tcp.IP.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// demoSlug is the demo workspace.
const demoSlug = "acme"

// DemoActions are the demo workspace's actions, served by the built-in
// backend. Their secrets are generated when they are first seeded.
func DemoActions() []model.Action {
	return []model.Action{
		{
			Name:        "order_status",
			Description: "Looks up the customer's recent orders and where each one stands.",
			Parameters:  []model.ActionParam{{Name: "order_id", Type: "string", Description: "an order number such as ORD-2041", Pattern: `ORD-[0-9]{4}`}},
			Endpoint:    DemoBackendPath + "order_status",
			Examples: []string{
				"where is my order", "what is the status of my order", "has my order shipped", "track my order", "my recent orders",
				"when will my order arrive", "check my order", "order status",
				"var är min beställning", "status på min beställning", "har min beställning skickats", "mina beställningar",
				"wo ist meine Bestellung", "Status meiner Bestellung", "wurde meine Bestellung verschickt", "meine Bestellungen",
				"dónde está mi pedido", "estado de mi pedido", "ha salido mi pedido", "mis pedidos",
			},
			UseInHandoff: true, Enabled: true,
		},
		{
			Name:        "payment_schedule",
			Description: "Shows the customer's upcoming instalments: due dates and amounts.",
			Parameters:  []model.ActionParam{},
			Endpoint:    DemoBackendPath + "payment_schedule",
			Examples: []string{
				"when is my next payment", "when is my next instalment due", "when is my next installment due", "my payment schedule",
				"upcoming payments", "how much is my next payment", "how much is my next instalment", "when do I have to pay", "payment plan dates",
				"när är min nästa betalning", "mina kommande betalningar", "min betalningsplan", "när ska jag betala",
				"wann ist meine nächste Rate fällig", "meine nächsten Zahlungen", "mein Zahlungsplan", "wann muss ich zahlen",
				"cuándo es mi próximo pago", "mis próximos pagos", "mi calendario de pagos", "cuándo tengo que pagar",
			},
			Enabled: true,
		},
		{
			Name:        "refund_status",
			Description: "Shows the customer's refunds and where each one stands.",
			Parameters:  []model.ActionParam{},
			Endpoint:    DemoBackendPath + "refund_status",
			Intents:     []string{"Refund_not_showing_up", "request_refund"},
			Examples: []string{
				"where is my refund", "refund status", "has my refund been processed", "my refunds",
				"var är min återbetalning", "status på min återbetalning", "mina återbetalningar",
				"wo ist meine Erstattung", "wo ist meine Rückerstattung", "Status meiner Rückerstattung", "meine Erstattungen",
				"dónde está mi reembolso", "estado de mi reembolso", "mis reembolsos",
			},
			Enabled: true,
		},
	}
}

// seedActions adds the demo actions that are missing, each with a fresh
// signing secret; existing ones are kept as they are.
func seedActions(ctx context.Context, st *store.Store, workspaceID int64) error {
	for _, a := range DemoActions() {
		if _, err := st.ActionByName(ctx, workspaceID, a.Name); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return fmt.Errorf("seed action %s: %w", a.Name, err)
		}
		a.WorkspaceID, a.Secret = workspaceID, hex.EncodeToString(raw)
		if err := a.Validate(); err != nil {
			return fmt.Errorf("seed action %s: %w", a.Name, err)
		}
		if _, err := st.EnsureAction(ctx, a, time.Now()); err != nil {
			return fmt.Errorf("seed action %s: %w", a.Name, err)
		}
	}
	return nil
}
