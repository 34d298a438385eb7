// Package mail writes and sends email: Message composes an RFC 5322
// text/plain message (pure, no I/O), Client sends it over SMTP with the
// standard library. The outbox that decides what to send lives in
// mail/outbox.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// ErrInvalid is returned for a message or address that cannot be sent as
// is: a header with a line break in it (header injection), an address that
// does not parse.
var ErrInvalid = errors.New("mail: invalid")

// Message is one plain-text email.
type Message struct {
	From mail.Address
	To   mail.Address
	// Subject is one line; non-ASCII is encoded (RFC 2047).
	Subject string
	// Body is plain text; any line endings.
	Body string
	Date time.Time
	// MessageID is the Message-ID without its angle brackets
	// ("local@domain"); keep it the same on every attempt.
	MessageID string
}

// ParseAddress parses one address ("Acme Support <support@example.com>" or
// "support@example.com"), refusing line breaks.
func ParseAddress(s string) (mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return mail.Address{}, fmt.Errorf("%w: address %q has a line break", ErrInvalid, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return mail.Address{}, fmt.Errorf("%w: address %q: %v", ErrInvalid, s, err)
	}
	return *a, nil
}

func checkAddress(what string, a mail.Address) error {
	if strings.ContainsAny(a.Name+a.Address, "\r\n") {
		return fmt.Errorf("%w: %s has a line break", ErrInvalid, what)
	}
	if _, err := mail.ParseAddress(a.Address); err != nil || !strings.Contains(a.Address, "@") {
		return fmt.Errorf("%w: %s %q is not an email address", ErrInvalid, what, a.Address)
	}
	return nil
}

// Bytes renders the message: headers (From, To, Subject, Date, Message-ID,
// MIME-Version, Content-Type, Content-Transfer-Encoding) and a
// quoted-printable UTF-8 body, with CRLF line endings.
func (m Message) Bytes() ([]byte, error) {
	if err := checkAddress("From", m.From); err != nil {
		return nil, err
	}
	if err := checkAddress("To", m.To); err != nil {
		return nil, err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("%w: the subject has a line break", ErrInvalid)
	}
	if m.MessageID == "" || strings.ContainsAny(m.MessageID, "\r\n<> ") || !strings.Contains(m.MessageID, "@") {
		return nil, fmt.Errorf("%w: Message-ID %q", ErrInvalid, m.MessageID)
	}
	if m.Date.IsZero() {
		return nil, fmt.Errorf("%w: no date", ErrInvalid)
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", m.From.String()) // net/mail encodes a non-ASCII name
	header("To", m.To.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", m.Date.Format(time.RFC1123Z))
	header("Message-ID", "<"+m.MessageID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// A notification: auto-responders must not answer it (RFC 3834).
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\r", "\n")
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}
