package mail_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/mail"
	"github.com/tandem-desk/tandem/internal/mail/mailtest"
)

var date = time.Date(2030, 3, 4, 9, 5, 6, 0, time.FixedZone("CET", 3600))

func message(t *testing.T) mail.Message {
	t.Helper()
	from, err := mail.ParseAddress("Acme Support <support@acme.example>")
	if err != nil {
		t.Fatal(err)
	}
	return mail.Message{
		From: from, To: netmail.Address{Address: "dora@example.com"},
		Subject: "Re: your conversation with Acme Pay", Body: "Ana wrote:\n\nYour refund is on its way.\n",
		Date: date, MessageID: "tandem.1.42@acme.example",
	}
}

func TestMessageHeadersAndBody(t *testing.T) {
	raw, err := message(t).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	head, body, ok := strings.Cut(s, "\r\n\r\n")
	if !ok {
		t.Fatalf("no blank line between headers and body:\n%q", s)
	}
	wantHead := strings.Join([]string{
		`From: "Acme Support" <support@acme.example>`,
		`To: <dora@example.com>`,
		`Subject: Re: your conversation with Acme Pay`,
		`Date: Mon, 04 Mar 2030 09:05:06 +0100`,
		`Message-ID: <tandem.1.42@acme.example>`,
		`MIME-Version: 1.0`,
		`Content-Type: text/plain; charset=utf-8`,
		`Content-Transfer-Encoding: quoted-printable`,
		`Auto-Submitted: auto-generated`,
	}, "\r\n")
	if head != wantHead {
		t.Errorf("headers:\n%s\nwant:\n%s", head, wantHead)
	}
	if body != "Ana wrote:\r\n\r\nYour refund is on its way.\r\n" {
		t.Errorf("body %q", body)
	}
	for i, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if strings.Contains(line, "\n") || strings.Contains(line, "\r") || len(line) > 78 {
			t.Errorf("line %d is not a proper line: %q", i, line)
		}
	}
	// A standard parser reads it back.
	m, err := netmail.ReadMessage(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(date) {
		t.Errorf("Date %v (%v)", d, err)
	}
}

func TestMessageEncodesNonASCII(t *testing.T) {
	m := message(t)
	m.From = netmail.Address{Name: "Åsa på Acme", Address: "support@acme.example"}
	m.Subject = "Re: din konversation med Acme Pay – Åsa"
	m.Body = "Hej Dora! Pengarna är på väg. " + strings.Repeat("Lång rad ", 20) + "\n.\n= slut"
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range raw {
		if b > 127 {
			t.Fatalf("byte %d is not ASCII: the message must be 7-bit clean", i)
		}
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(parsed.Header.Get("Subject")); err != nil || subj != m.Subject {
		t.Errorf("Subject decodes to %q (%v)", subj, err)
	}
	if from, err := parsed.Header.AddressList("From"); err != nil || from[0].Name != "Åsa på Acme" {
		t.Errorf("From decodes to %v (%v)", from, err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(m.Body, "\n", "\r\n") + "\r\n"; string(body) != want {
		t.Errorf("body decodes to %q, want %q", body, want)
	}
}

func TestMessageRefusesHeaderInjection(t *testing.T) {
	cases := map[string]func(m *mail.Message){
		"subject CRLF":  func(m *mail.Message) { m.Subject = "Hi\r\nBcc: victim@example.com" },
		"subject LF":    func(m *mail.Message) { m.Subject = "Hi\nBcc: victim@example.com" },
		"to CRLF":       func(m *mail.Message) { m.To.Address = "dora@example.com\r\nBcc: victim@example.com" },
		"to name LF":    func(m *mail.Message) { m.To.Name = "Dora\nBcc: victim@example.com" },
		"from CR":       func(m *mail.Message) { m.From.Address = "support@acme.example\rX: y" },
		"to not email":  func(m *mail.Message) { m.To.Address = "not an address" },
		"no message id": func(m *mail.Message) { m.MessageID = "" },
		"no date":       func(m *mail.Message) { m.Date = time.Time{} },
	}
	for name, edit := range cases {
		m := message(t)
		edit(&m)
		if _, err := m.Bytes(); !errors.Is(err, mail.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	if _, err := mail.ParseAddress("a@example.com\r\nBcc: b@example.com"); !errors.Is(err, mail.ErrInvalid) {
		t.Errorf("ParseAddress with CRLF: %v", err)
	}
	c := &mail.Client{Server: mail.Server{Host: "127.0.0.1", Port: "1"}}
	if err := c.Send(t.Context(), "a@example.com", "b@example.com\r\nRCPT TO:<c@example.com>", []byte("x")); !errors.Is(err, mail.ErrInvalid) || !mail.Permanent(err) {
		t.Errorf("Send with CRLF in the envelope: %v", err)
	}
}

func TestParseURL(t *testing.T) {
	good := []struct {
		in   string
		want mail.Server
	}{
		{"smtp://mail.example.com", mail.Server{Host: "mail.example.com", Port: "587"}},
		{"smtp://u%40x:p%3Ass@mail.example.com:2525", mail.Server{Host: "mail.example.com", Port: "2525", Username: "u@x", Password: "p:ss"}},
		{"smtps://u:p@mail.example.com", mail.Server{Host: "mail.example.com", Port: "465", ImplicitTLS: true, Username: "u", Password: "p"}},
		{"smtp://mail.example.com:465", mail.Server{Host: "mail.example.com", Port: "465", ImplicitTLS: true}},
		{"smtp://[::1]:25", mail.Server{Host: "::1", Port: "25"}},
	}
	for _, tc := range good {
		got, err := mail.ParseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"http://mail.example.com", "mail.example.com:587", "smtp://", "smtp://host/path", "smtp://host?x=1", "smtp://u:p@host:bad", "smtp://u:p/q@host:587"} {
		if _, err := mail.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), ":p@") || strings.Contains(err.Error(), "p/q") {
			t.Errorf("ParseURL(%q) error shows the password: %v", bad, err)
		}
	}
}

// TestSendToAServer sends through a real (test) SMTP server: the message
// arrives as rendered; a 451 is temporary, a 550 permanent.
func TestSendToAServer(t *testing.T) {
	srv := mailtest.NewServer(t)
	server, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := &mail.Client{Server: server, HelloName: "tandem.test"}
	m := message(t)
	m.Body = "line one\n.\n..dots stay\n"
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), "support@acme.example", "dora@example.com", raw); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "support@acme.example" || len(got[0].To) != 1 || got[0].To[0] != "dora@example.com" {
		t.Fatalf("received %+v", got)
	}
	if got[0].Data != string(raw) {
		t.Errorf("received data differs from what was sent:\n%q\n%q", got[0].Data, raw)
	}

	srv.Script(mailtest.Reply{Code: 451, Text: "4.3.0 try again later"}, mailtest.Reply{Code: 550, Text: "5.1.1 no such user"})
	err = c.Send(t.Context(), "support@acme.example", "dora@example.com", raw)
	var se *mail.Error
	if !errors.As(err, &se) || se.Code != 451 || mail.Permanent(err) {
		t.Errorf("451: err %v, permanent %v; want a temporary *mail.Error", err, mail.Permanent(err))
	}
	err = c.Send(t.Context(), "support@acme.example", "dora@example.com", raw)
	if !errors.As(err, &se) || se.Code != 550 || !mail.Permanent(err) {
		t.Errorf("550: err %v; want a permanent *mail.Error", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages accepted, want 1", n)
	}

	// Credentials to a server on this machine without TLS are allowed (the
	// test server has no AUTH, so the login is refused).
	local := &mail.Client{Server: mail.Server{Host: "localhost", Port: server.Port, Username: "u", Password: "p"}}
	if err := local.Send(t.Context(), "support@acme.example", "dora@example.com", raw); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("AUTH to a server without it: %v", err)
	}

	// Nothing listening: a temporary (network) error.
	closed := &mail.Client{Server: mail.Server{Host: "127.0.0.1", Port: "1"}}
	if err := closed.Send(t.Context(), "support@acme.example", "dora@example.com", raw); err == nil || mail.Permanent(err) {
		t.Errorf("connection refused: %v, want a temporary error", err)
	}
	// A cancelled context stops the send.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Send(ctx, "support@acme.example", "dora@example.com", raw); err == nil {
		t.Error("a send with a cancelled context succeeded")
	}
}
