package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"
)

// Server is an SMTP server to send through.
type Server struct {
	Host string
	Port string
	// ImplicitTLS: TLS from the first byte (smtps://, port 465). Otherwise
	// the connection is upgraded with STARTTLS whenever the server offers it.
	ImplicitTLS bool
	// Username and Password, when set, log in with AUTH PLAIN — only over
	// TLS, or to a server on this machine.
	Username, Password string
}

// ParseURL reads smtp://[user:pass@]host[:port] (port 587 by default,
// STARTTLS when offered) or smtps://[user:pass@]host[:port] (implicit TLS,
// port 465 by default). Port 465 means implicit TLS with either scheme.
func ParseURL(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's own message may quote the password: leave it out.
		return Server{}, errors.New("cannot parse it: want smtp://user:pass@host:587 or smtps://user:pass@host:465, with special characters in user and password percent-encoded (/ as %2F, ? as %3F, # as %23, @ as %40)")
	}
	var s Server
	switch u.Scheme {
	case "smtp":
		s.Port = "587"
	case "smtps":
		s.Port, s.ImplicitTLS = "465", true
	default:
		return Server{}, errors.New("want an smtp:// or smtps:// URL")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Server{}, errors.New("the URL names no host")
	}
	if p := u.Port(); p != "" {
		s.Port = p
	}
	if s.Port == "465" {
		s.ImplicitTLS = true
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, errors.New("want no path, query or fragment after host:port")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// Addr is host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

func (s Server) local() bool {
	if s.Host == "localhost" {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// Client sends messages through one SMTP server, one connection per message.
type Client struct {
	Server Server
	// Timeout bounds a whole send, from dial to QUIT (30 s when zero).
	Timeout time.Duration
	// TLS configures TLS (the server name is set); nil means the defaults.
	TLS *tls.Config
	// HelloName is sent in EHLO; the host name when empty.
	HelloName string
	// Dial connects to the server's address; a net.Dialer when nil. (Tests
	// reach a local server under a remote name with it.)
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Error is an SMTP server's refusal: its reply code and text.
type Error = textproto.Error

// Permanent reports whether err means trying again will not help: a 5xx
// reply to the recipient or the message (such as 550 no such user), or a
// message that cannot be sent as is. Network errors, 4xx replies and any
// refusal before the recipient is named are temporary.
func Permanent(err error) bool {
	var se setupError
	if errors.As(err, &se) {
		return false
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code < 600
	}
	return errors.Is(err, ErrInvalid)
}

// setupError is a refusal before the recipient is named — the greeting,
// EHLO, STARTTLS, AUTH, MAIL FROM (535 bad credentials, 530 authentication
// required, 553 sender not allowed): the server or Tandem's configuration
// is wrong, not this mail, so it is worth trying again once that is fixed
// rather than failing every queued mail for good.
type setupError struct{ err error }

func (e setupError) Error() string { return e.err.Error() }
func (e setupError) Unwrap() error { return e.err }

// Send delivers msg (as Message.Bytes renders it) from from to to.
func (c *Client) Send(ctx context.Context, from, to string, msg []byte) error {
	if strings.ContainsAny(from+to, "\r\n") {
		return fmt.Errorf("%w: an envelope address has a line break", ErrInvalid)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		tlsConf = c.TLS.Clone()
	}
	tlsConf.ServerName = c.Server.Host
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", c.Server.Addr())
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", c.Server.Addr(), err)
	}
	defer conn.Close()
	if c.Server.ImplicitTLS {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("mail: TLS with %s: %w", c.Server.Addr(), err)
		}
		conn = tc
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	// Shutdown or timeout interrupts whatever read or write is blocked.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	sc, err := smtp.NewClient(conn, c.Server.Host)
	if err != nil {
		return setupError{fmt.Errorf("mail: greeting: %w", err)}
	}
	defer sc.Close()
	hello := c.HelloName
	if hello == "" {
		if hello, err = os.Hostname(); err != nil || hello == "" {
			hello = "localhost"
		}
	}
	if err := sc.Hello(hello); err != nil {
		return setupError{fmt.Errorf("mail: EHLO: %w", err)}
	}
	secure := c.Server.ImplicitTLS
	if !secure {
		if ok, _ := sc.Extension("STARTTLS"); ok {
			if err := sc.StartTLS(tlsConf); err != nil {
				return setupError{fmt.Errorf("mail: STARTTLS: %w", err)}
			}
			secure = true
		}
	}
	if c.Server.Username != "" {
		if !secure && !c.Server.local() {
			return fmt.Errorf("mail: %s offers no STARTTLS: refusing to send the password in clear text (use smtps:// or a server with TLS)", c.Server.Addr())
		}
		if err := sc.Auth(smtp.PlainAuth("", c.Server.Username, c.Server.Password, c.Server.Host)); err != nil {
			return setupError{fmt.Errorf("mail: AUTH: %w", err)}
		}
	}
	if err := sc.Mail(from); err != nil {
		return setupError{fmt.Errorf("mail: MAIL FROM: %w", err)}
	}
	if err := sc.Rcpt(to); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := sc.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = sc.Quit()
	return nil
}
