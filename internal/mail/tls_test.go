package mail_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/mail"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
)

// remote is a client of srv that believes it talks to smtp.example.com (a
// remote server, by name and certificate) while it dials the test server.
func remote(srv *mailtest.Server, roots *x509.CertPool, implicit bool) *mail.Client {
	_, port, _ := net.SplitHostPort(srv.Addr)
	return &mail.Client{
		Server:    mail.Server{Host: "smtp.example.com", Port: port, ImplicitTLS: implicit, Username: "tandem", Password: "s3cret"},
		TLS:       &tls.Config{RootCAs: roots},
		HelloName: "tandem.test",
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr)
		},
	}
}

func rendered(t *testing.T) []byte {
	t.Helper()
	raw, err := message(t).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestSendUpgradesWithSTARTTLSBeforeLoggingIn: a remote server that offers
// STARTTLS gets the password only inside TLS, and the message arrives.
func TestSendUpgradesWithSTARTTLSBeforeLoggingIn(t *testing.T) {
	conf, roots := mailtest.Certificate(t, "smtp.example.com")
	srv := mailtest.NewServerWith(t, mailtest.Options{TLS: conf, Auth: true})
	if err := remote(srv, roots, false).Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t)); err != nil {
		t.Fatal(err)
	}
	logins := srv.Logins()
	if len(logins) != 1 || !logins[0].TLS || logins[0].Username != "tandem" || logins[0].Password != "s3cret" {
		t.Errorf("logins %+v, want one, over TLS, with the URL's credentials", logins)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

// TestSendWithImplicitTLS: smtps:// speaks TLS from the first byte.
func TestSendWithImplicitTLS(t *testing.T) {
	conf, roots := mailtest.Certificate(t, "smtp.example.com")
	srv := mailtest.NewServerWith(t, mailtest.Options{TLS: conf, Implicit: true, Auth: true})
	if err := remote(srv, roots, true).Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t)); err != nil {
		t.Fatal(err)
	}
	if logins := srv.Logins(); len(logins) != 1 || !logins[0].TLS {
		t.Errorf("logins %+v, want one over TLS", logins)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

// TestSendNeverSendsThePasswordInClearToARemoteServer: a remote server
// without STARTTLS is refused before AUTH, with an error that says why;
// nothing is sent.
func TestSendNeverSendsThePasswordInClearToARemoteServer(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Options{Auth: true})
	err := remote(srv, nil, false).Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t))
	if err == nil || !strings.Contains(err.Error(), "clear text") {
		t.Fatalf("err %v, want a refusal to send the password in clear text", err)
	}
	if logins := srv.Logins(); len(logins) != 0 {
		t.Errorf("the server received logins %+v", logins)
	}
	if n := srv.Attempts(); n != 0 {
		t.Errorf("%d messages sent", n)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

// TestSendRefusesAnUntrustedCertificate: a certificate for another name
// (or not trusted) ends the send before any login: no fall-back to clear
// text, over STARTTLS or implicit TLS.
func TestSendRefusesAnUntrustedCertificate(t *testing.T) {
	conf, roots := mailtest.Certificate(t, "mail.other.example")
	for _, implicit := range []bool{false, true} {
		srv := mailtest.NewServerWith(t, mailtest.Options{TLS: conf, Implicit: implicit, Auth: true})
		err := remote(srv, roots, implicit).Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t))
		if err == nil {
			t.Fatalf("implicit %v: a certificate for another name was accepted", implicit)
		}
		if logins := srv.Logins(); len(logins) != 0 {
			t.Errorf("implicit %v: the server received logins %+v", implicit, logins)
		}
		if n := srv.Attempts(); n != 0 {
			t.Errorf("implicit %v: %d messages sent", implicit, n)
		}
	}
}

// TestSendLogsInWithoutTLSOnThisMachine: a server on this machine (a local
// relay) may take the password without TLS.
func TestSendLogsInWithoutTLSOnThisMachine(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Options{Auth: true})
	_, port, _ := net.SplitHostPort(srv.Addr)
	c := &mail.Client{Server: mail.Server{Host: "127.0.0.1", Port: port, Username: "relay", Password: "pw"}, HelloName: "tandem.test"}
	if err := c.Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t)); err != nil {
		t.Fatal(err)
	}
	if logins := srv.Logins(); len(logins) != 1 || logins[0].TLS || logins[0].Username != "relay" {
		t.Errorf("logins %+v, want one in clear to the local relay", logins)
	}
}

// TestRefusalsBeforeTheRecipientAreTemporary: a 5xx to AUTH (or the
// greeting, EHLO, MAIL FROM) says the configuration is wrong, not the
// mail: it is not a permanent failure, so queued mails wait for the fix.
func TestRefusalsBeforeTheRecipientAreTemporary(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Options{Auth: true, RefuseAuth: true})
	_, port, _ := net.SplitHostPort(srv.Addr)
	c := &mail.Client{Server: mail.Server{Host: "127.0.0.1", Port: port, Username: "relay", Password: "wrong"}, HelloName: "tandem.test"}
	err := c.Send(t.Context(), "support@acme.example", "dora@example.com", rendered(t))
	var se *mail.Error
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("err %v, want the server's 535", err)
	}
	if mail.Permanent(err) {
		t.Errorf("a refused login counts as a permanent failure of the mail: %v", err)
	}
}
