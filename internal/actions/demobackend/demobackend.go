// Package demobackend is the API of Acme Pay, the demo's fictional
// buy-now-pay-later company: orders, payment schedules and refunds of the
// demo customers (cus_1001…cus_1004). The tandem binary serves it under
// /demo-backend/ so that the demo workspace's actions — order_status,
// payment_schedule, refund_status — work out of the box. Like any business
// API that Tandem calls, it verifies each request's signature and answers
// only about the customer the request names.
package demobackend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/actions"
)

// Backend serves the demo API. It is safe for concurrent use.
type Backend struct {
	secrets func(context.Context) ([]string, error)
	now     func() time.Time
}

// New returns the backend. secrets returns the signing secrets it accepts
// (the demo workspace's action secrets); now is the clock (time.Now when nil).
func New(secrets func(context.Context) ([]string, error), now func() time.Time) *Backend {
	if now == nil {
		now = time.Now
	}
	return &Backend{secrets: secrets, now: now}
}

// Actions are the action names the backend serves.
var Actions = []string{"order_status", "payment_schedule", "refund_status"}

const maxRequest = 64 << 10

func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, map[string]any{"error": "POST only"})
		return
	}
	name := path.Base(r.URL.Path)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil || len(body) > maxRequest {
		reply(w, http.StatusBadRequest, map[string]any{"error": "request too large or unreadable"})
		return
	}
	secrets, err := b.secrets(r.Context())
	if err != nil {
		reply(w, http.StatusServiceUnavailable, map[string]any{"error": "not configured"})
		return
	}
	ok := false
	for _, s := range secrets {
		if s != "" && actions.Verify(s, r.Header.Get(actions.HeaderTimestamp), r.Header.Get(actions.HeaderSignature), body, b.now()) == nil {
			ok = true
			break
		}
	}
	if !ok {
		reply(w, http.StatusUnauthorized, map[string]any{"error": "bad or missing signature"})
		return
	}
	var req actions.Request
	if err := json.Unmarshal(body, &req); err != nil || req.Action != name {
		reply(w, http.StatusBadRequest, map[string]any{"error": "malformed request"})
		return
	}
	c, found := customers[req.CustomerID]
	if !found {
		reply(w, http.StatusNotFound, map[string]any{"error": "unknown customer"})
		return
	}
	lang := req.Language
	if _, ok := texts[lang]; !ok {
		lang = "en"
	}
	tx := texts[lang]
	now := b.now().UTC()
	switch name {
	case "order_status":
		orders := c.orders
		if id, _ := req.Parameters["order_id"].(string); id != "" {
			orders = nil
			for _, o := range c.orders {
				if strings.EqualFold(o.id, id) {
					orders = append(orders, o)
				}
			}
			if orders == nil {
				reply(w, http.StatusOK, map[string]any{"message": fmt.Sprintf(tx.noSuchOrder, id), "orders": []any{}})
				return
			}
		}
		lines, list := []string{}, []map[string]any{}
		for _, o := range orders {
			placed := day(now.AddDate(0, 0, -o.placedDaysAgo))
			lines = append(lines, fmt.Sprintf(tx.orderLine, o.id, o.merchant, money(o.amount, lang), tx.status[o.status], placed))
			list = append(list, map[string]any{"id": o.id, "merchant": o.merchant, "amount": o.amount, "currency": "EUR", "status": o.status, "placed": placed})
		}
		reply(w, http.StatusOK, map[string]any{"message": tx.ordersIntro + "\n" + strings.Join(lines, "\n"), "orders": list})
	case "payment_schedule":
		lines, list := []string{}, []map[string]any{}
		for _, o := range c.orders {
			for i := o.paid; i < 4; i++ {
				due := day(now.AddDate(0, 0, o.nextDueDays+14*(i-o.paid)))
				amount := o.amount / 4
				lines = append(lines, fmt.Sprintf(tx.scheduleLine, due, money(amount, lang), o.merchant, i+1))
				list = append(list, map[string]any{"order_id": o.id, "instalment": i + 1, "of": 4, "due": due, "amount": amount, "currency": "EUR"})
			}
		}
		if len(list) == 0 {
			reply(w, http.StatusOK, map[string]any{"message": tx.nothingDue, "payments": list})
			return
		}
		// Soonest first.
		idx := make([]int, len(list))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return list[idx[a]]["due"].(string) < list[idx[b]]["due"].(string) })
		sortedLines, sortedList := make([]string, len(idx)), make([]map[string]any, len(idx))
		for i, j := range idx {
			sortedLines[i], sortedList[i] = lines[j], list[j]
		}
		lines, list = sortedLines, sortedList
		reply(w, http.StatusOK, map[string]any{"message": tx.scheduleIntro + "\n" + strings.Join(lines, "\n"), "payments": list})
	case "refund_status":
		if len(c.refunds) == 0 {
			reply(w, http.StatusOK, map[string]any{"message": tx.noRefunds, "refunds": []any{}})
			return
		}
		lines, list := []string{}, []map[string]any{}
		for _, f := range c.refunds {
			when := day(now.AddDate(0, 0, f.days))
			lines = append(lines, fmt.Sprintf(tx.refundLine[f.status], f.id, money(f.amount, lang), f.merchant, when))
			list = append(list, map[string]any{"id": f.id, "order_id": f.order, "merchant": f.merchant, "amount": f.amount, "currency": "EUR", "status": f.status, "date": when})
		}
		reply(w, http.StatusOK, map[string]any{"message": tx.refundsIntro + "\n" + strings.Join(lines, "\n"), "refunds": list})
	default:
		reply(w, http.StatusNotFound, map[string]any{"error": "unknown action"})
	}
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func day(t time.Time) string { return t.Format("2006-01-02") }

func money(v float64, lang string) string {
	s := fmt.Sprintf("%.2f", v)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " EUR"
}

type order struct {
	id, merchant  string
	amount        float64
	status        string // processing, shipped, delivered
	placedDaysAgo int
	paid          int // instalments paid of 4
	nextDueDays   int // days until the next instalment
}

type refund struct {
	id, order, merchant string
	amount              float64
	status              string // requested, processing, completed
	days                int    // completed: days ago (negative); otherwise expected in days
}

type customer struct {
	orders  []order
	refunds []refund
}

var customers = map[string]customer{
	"cus_1001": {
		orders: []order{
			{"ORD-2041", "Nordic Home", 480.00, "delivered", 20, 1, 9},
			{"ORD-2057", "Sportlife", 129.90, "shipped", 3, 1, 11},
		},
		refunds: []refund{{"RF-301", "ORD-1988", "Fjäll Outdoor", 59.90, "processing", 3}},
	},
	"cus_1002": {
		orders: []order{{"ORD-3102", "TechStore", 899.00, "processing", 1, 0, 1}},
	},
	"cus_1003": {
		orders:  []order{{"ORD-4410", "Moda Sol", 75.00, "delivered", 30, 4, 0}},
		refunds: []refund{{"RF-512", "ORD-4410", "Moda Sol", 75.00, "completed", -2}},
	},
	"cus_1004": {
		orders: []order{
			{"ORD-5120", "GadgetHub", 249.99, "shipped", 4, 1, 10},
			{"ORD-5133", "BookNook", 32.50, "delivered", 12, 2, 2},
		},
		refunds: []refund{{"RF-620", "ORD-5133", "BookNook", 32.50, "requested", 5}},
	},
}

type text struct {
	ordersIntro, orderLine, noSuchOrder     string
	scheduleIntro, scheduleLine, nothingDue string
	refundsIntro, noRefunds                 string
	status                                  map[string]string
	refundLine                              map[string]string
}

var texts = map[string]text{
	"en": {
		ordersIntro:   "Here are your recent orders:",
		orderLine:     "• %s from %s, %s: %s (ordered %s)",
		noSuchOrder:   "I couldn't find an order %s on your account.",
		status:        map[string]string{"processing": "waiting for the store to confirm", "shipped": "on its way", "delivered": "delivered"},
		scheduleIntro: "Here are your upcoming payments:",
		scheduleLine:  "• %s: %s for %s (instalment %d of 4)",
		nothingDue:    "You have no payments due: everything is paid off.",
		refundsIntro:  "Here is where your refunds stand:",
		noRefunds:     "There are no refunds on your account. A refund appears here as soon as the store has processed it.",
		refundLine: map[string]string{
			"requested":  "• %s: %s from %s, requested; the store has not processed it yet (expected by %s).",
			"processing": "• %s: %s from %s, processed by the store; it reaches you by %s.",
			"completed":  "• %s: %s from %s, completed on %s.",
		},
	},
	"sv": {
		ordersIntro:   "Här är dina senaste beställningar:",
		orderLine:     "• %s från %s, %s: %s (beställd %s)",
		noSuchOrder:   "Jag hittar ingen beställning %s på ditt konto.",
		status:        map[string]string{"processing": "väntar på att butiken bekräftar", "shipped": "på väg", "delivered": "levererad"},
		scheduleIntro: "Här är dina kommande betalningar:",
		scheduleLine:  "• %s: %s för %s (delbetalning %d av 4)",
		nothingDue:    "Du har inga betalningar kvar: allt är betalt.",
		refundsIntro:  "Så här ligger dina återbetalningar till:",
		noRefunds:     "Det finns inga återbetalningar på ditt konto. En återbetalning syns här så snart butiken har behandlat den.",
		refundLine: map[string]string{
			"requested":  "• %s: %s från %s, begärd; butiken har inte behandlat den än (väntas senast %s).",
			"processing": "• %s: %s från %s, behandlad av butiken; den når dig senast %s.",
			"completed":  "• %s: %s från %s, klar %s.",
		},
	},
	"de": {
		ordersIntro:   "Hier sind Ihre letzten Bestellungen:",
		orderLine:     "• %s bei %s, %s: %s (bestellt am %s)",
		noSuchOrder:   "Ich finde keine Bestellung %s in Ihrem Konto.",
		status:        map[string]string{"processing": "wartet auf die Bestätigung des Händlers", "shipped": "unterwegs", "delivered": "zugestellt"},
		scheduleIntro: "Hier sind Ihre nächsten Zahlungen:",
		scheduleLine:  "• %s: %s für %s (Rate %d von 4)",
		nothingDue:    "Sie haben keine offenen Zahlungen: alles ist bezahlt.",
		refundsIntro:  "So steht es um Ihre Erstattungen:",
		noRefunds:     "In Ihrem Konto gibt es keine Erstattungen. Eine Erstattung erscheint hier, sobald der Händler sie bearbeitet hat.",
		refundLine: map[string]string{
			"requested":  "• %s: %s von %s, beantragt; der Händler hat sie noch nicht bearbeitet (erwartet bis %s).",
			"processing": "• %s: %s von %s, vom Händler bearbeitet; sie erreicht Sie bis %s.",
			"completed":  "• %s: %s von %s, abgeschlossen am %s.",
		},
	},
	"es": {
		ordersIntro:   "Estos son tus pedidos recientes:",
		orderLine:     "• %s en %s, %s: %s (pedido el %s)",
		noSuchOrder:   "No encuentro ningún pedido %s en tu cuenta.",
		status:        map[string]string{"processing": "esperando la confirmación de la tienda", "shipped": "en camino", "delivered": "entregado"},
		scheduleIntro: "Estos son tus próximos pagos:",
		scheduleLine:  "• %s: %s por %s (cuota %d de 4)",
		nothingDue:    "No tienes pagos pendientes: todo está pagado.",
		refundsIntro:  "Así están tus reembolsos:",
		noRefunds:     "No hay reembolsos en tu cuenta. Un reembolso aparece aquí en cuanto la tienda lo ha procesado.",
		refundLine: map[string]string{
			"requested":  "• %s: %s de %s, solicitado; la tienda aún no lo ha procesado (previsto antes del %s).",
			"processing": "• %s: %s de %s, procesado por la tienda; te llegará antes del %s.",
			"completed":  "• %s: %s de %s, completado el %s.",
		},
	},
}
