package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Webhook URLs are chosen by workspace admins, but requests leave from the
// server, inside the operator's network. Unless the operator allows private
// networks, the sender connects only to public unicast addresses, so a
// webhook cannot be aimed at the database, a cloud metadata service or an
// admin port on the same network (server-side request forgery). The check
// is made on the address actually dialled, after DNS resolution, so a name
// that resolves to a private address — or starts to, between two
// deliveries — is refused as well.

// ErrPrivateAddress is why a delivery to a non-public address was refused.
var ErrPrivateAddress = errors.New("a private or reserved network address; start Tandem with --webhook-allow-private to allow such endpoints")

// nonPublic are reserved ranges that netip's predicates do not cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, often internal overlays
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: an IPv4 address in disguise
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: an IPv4 address in disguise
}

// IsPublicAddress reports whether ip is a public unicast address a webhook
// may be sent to when private networks are not allowed.
func IsPublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() ||
		ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckPublicURL refuses, before anything is sent, an endpoint URL whose
// host is plainly not public: a literal private address, or localhost.
// Names are judged again at every delivery, on the addresses they resolve
// to.
func CheckPublicURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s is %w", host, ErrPrivateAddress)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !IsPublicAddress(ip) {
		return fmt.Errorf("%s is %w", host, ErrPrivateAddress)
	}
	return nil
}

// newClient is the sender's HTTP client: a 10 s timeout, no redirects (a
// redirect is a failed delivery under Standard Webhooks: the signature was
// made for the configured URL) and, unless allowPrivate, connections to
// public addresses only. With the guard on, no proxy is used: the guard
// must see the address it protects.
func newClient(allowPrivate bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if !allowPrivate {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
		tr.DialContext = d.DialContext
		tr.Proxy = nil
	}
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refusePrivate runs just before a socket connects, with the resolved address.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhooks: unexpected address %q: %w", address, err)
	}
	if !IsPublicAddress(ip) {
		return fmt.Errorf("refusing to connect to %s, %w", ip.Unmap(), ErrPrivateAddress)
	}
	return nil
}
