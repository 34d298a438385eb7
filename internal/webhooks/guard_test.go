package webhooks_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

func TestIsPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14":        true,
		"8.8.8.8":              true,
		"2606:4700::6810:84e5": true,
		"127.0.0.1":            false,
		"10.1.2.3":             false,
		"172.16.0.1":           false,
		"192.168.1.1":          false,
		"169.254.169.254":      false, // cloud metadata
		"100.100.1.1":          false, // CGNAT / overlay networks
		"0.0.0.0":              false,
		"255.255.255.255":      false,
		"224.0.0.1":            false,
		"::1":                  false,
		"::":                   false,
		"fd00::1":              false,
		"fe80::1":              false,
		"::ffff:127.0.0.1":     false, // IPv4-mapped loopback
		"64:ff9b::a00:1":       false, // NAT64 of 10.0.0.1
		"2002:a00:1::1":        false, // 6to4 of 10.0.0.1
	} {
		if got := webhooks.IsPublicAddress(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublicAddress(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckPublicURL(t *testing.T) {
	for _, bad := range []string{"http://localhost:8080/x", "http://LOCALHOST./x", "http://api.localhost/x",
		"http://127.0.0.1/x", "http://[::1]:9000/x", "https://169.254.169.254/latest/meta-data", "http://10.0.0.5/hook"} {
		if err := webhooks.CheckPublicURL(bad); err == nil {
			t.Errorf("CheckPublicURL(%q) accepted a private endpoint", bad)
		}
	}
	for _, good := range []string{"https://hooks.example.com/tandem", "http://93.184.215.14/x", "https://[2606:4700::6810:84e5]/x"} {
		if err := webhooks.CheckPublicURL(good); err != nil {
			t.Errorf("CheckPublicURL(%q): %v", good, err)
		}
	}
}

// TestSenderRefusesPrivateAddressesAtDialTime: an endpoint whose URL passed
// the creation check (here written to the store directly, as a name that
// later resolves to a private address would be) is still never connected
// to; the refusal is logged as a failed attempt the admin can read.
func TestSenderRefusesPrivateAddressesAtDialTime(t *testing.T) {
	ctx := t.Context()
	s, ws, cust := acmeStore(t)
	r := newReceiver(t) // listens on 127.0.0.1
	e, err := s.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{WorkspaceID: ws.ID, URL: r.srv.URL,
		EventTypes: []string{webhooks.TypeConversationCreated}, Enabled: true, Secret: webhooks.NewSecret()}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	snd := webhooks.NewSender(webhooks.Options{Store: s, Bus: bus.NewMemory(), FirstRetry: time.Hour, Idle: 100 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- snd.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if _, _, _, err := s.CreateConversation(ctx, ws.ID, cust.ID, store.NewMessage{Body: "hi"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	snd.Notify(ws.ID)

	var d *store.WebhookDelivery
	eventually(t, "the refused attempt to be logged", func() bool {
		list, err := s.WebhookDeliveries(ctx, ws.ID, e.ID, 0, 10)
		if err != nil || len(list) != 1 || len(list[0].Log) == 0 {
			return false
		}
		d = list[0]
		return true
	})
	a := d.Log[0]
	if a.StatusCode != nil || !strings.Contains(a.Error, "private") || !strings.Contains(a.Error, "--webhook-allow-private") {
		t.Errorf("attempt logged as status %v, error %q; want a refusal that names the private address and the flag", a.StatusCode, a.Error)
	}
	if d.Status == store.DeliveryDelivered {
		t.Error("the delivery counts as delivered")
	}
	if n := len(r.list()); n != 0 {
		t.Errorf("the private receiver got %d requests", n)
	}
}
