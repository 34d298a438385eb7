// Package mailtest is a small SMTP server for tests: it listens on
// 127.0.0.1, speaks enough ESMTP for net/smtp (EHLO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT; optionally STARTTLS or TLS from the start, and AUTH
// PLAIN), and records every message it accepts and every login. A test may
// script the reply to each DATA, to simulate temporary (4xx) and permanent
// (5xx) failures.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	// Data is the message as received, dot-unstuffed, with CRLF line endings.
	Data string
}

// Reply is an SMTP reply code and text.
type Reply struct {
	Code int
	Text string
}

// Options vary what a Server offers. The zero value is a plain server
// with neither TLS nor AUTH.
type Options struct {
	// TLS, when set, makes the server offer STARTTLS with this
	// configuration, or, with Implicit, speak TLS from the first byte.
	TLS      *tls.Config
	Implicit bool
	// Auth offers AUTH PLAIN (any credentials are accepted and recorded,
	// unless RefuseAuth: then recorded and refused with 535).
	Auth, RefuseAuth bool
}

// Login is one AUTH PLAIN the server received.
type Login struct {
	Username, Password string
	// TLS says whether the connection was encrypted when it came.
	TLS bool
}

// Server is a running test SMTP server.
type Server struct {
	// Addr is host:port to connect to.
	Addr string

	o        Options
	logins   []Login
	ln       net.Listener
	mu       sync.Mutex
	msgs     []Message
	attempts int
	script   []Reply
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// NewServer starts a server that accepts everything; it stops when t ends.
func NewServer(t testing.TB) *Server { return NewServerWith(t, Options{}) }

// NewServerWith starts a server with the given options; it stops when t ends.
func NewServerWith(t testing.TB, o Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), o: o, ln: ln, arrived: make(chan struct{}, 1)}
	s.wg.Go(s.serve)
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// URL is the smtp:// URL of the server.
func (s *Server) URL() string { return "smtp://" + s.Addr }

// Script sets the replies to the next DATA commands, in order; after them,
// messages are accepted (250).
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	s.script = append(s.script, replies...)
	s.mu.Unlock()
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Logins returns the AUTH PLAIN logins received so far.
func (s *Server) Logins() []Login {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Login(nil), s.logins...)
}

// Certificate makes a self-signed certificate for hosts, valid for an
// hour: the server's TLS configuration, and the pool a client trusts it with.
func Certificate(t testing.TB, hosts ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mailtest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}

// Attempts is how many messages were sent to the server (DATA completed),
// accepted or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// WaitFor waits until at least n messages were accepted, and returns them;
// it fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: %d messages after %v, want %d", len(s.Messages()), timeout, n)
			return nil
		}
	}
}

func (s *Server) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.session(conn) })
	}
}

func (s *Server) session(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	secure := false
	if s.o.TLS != nil && s.o.Implicit {
		conn, secure = tls.Server(conn, s.o.TLS), true
	}
	tp := textproto.NewConn(conn)
	reply := func(code int, text string) bool { return tp.PrintfLine("%d %s", code, text) == nil }
	if !reply(220, "mailtest ESMTP ready") {
		return
	}
	var cur Message
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"mailtest greets " + arg}
			if s.o.TLS != nil && !secure {
				ext = append(ext, "STARTTLS")
			}
			if s.o.Auth {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				if err := tp.PrintfLine("250%s%s", sep, e); err != nil {
					return
				}
			}
		case "STARTTLS":
			if s.o.TLS == nil || secure {
				reply(502, "STARTTLS not offered")
				continue
			}
			if !reply(220, "go ahead") {
				return
			}
			// Anything the client pipelined before the handshake is dropped,
			// as a real server must (no plaintext injection into TLS).
			tc := tls.Server(conn, s.o.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, secure = tc, true
			tp = textproto.NewConn(conn)
			cur = Message{}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !s.o.Auth || !strings.EqualFold(mech, "PLAIN") {
				reply(504, "mechanism not offered")
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 {
				reply(501, "malformed AUTH PLAIN")
				continue
			}
			s.mu.Lock()
			s.logins = append(s.logins, Login{Username: parts[1], Password: parts[2], TLS: secure})
			s.mu.Unlock()
			if s.o.RefuseAuth {
				reply(535, "5.7.8 authentication credentials invalid")
				continue
			}
			reply(235, "authenticated")
		case "MAIL":
			cur = Message{From: addr(arg)}
			reply(250, "OK")
		case "RCPT":
			cur.To = append(cur.To, addr(arg))
			reply(250, "OK")
		case "DATA":
			if !reply(354, "end with <CRLF>.<CRLF>") {
				return
			}
			raw, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			// DotReader turns CRLF into LF; put the wire's CRLF back.
			cur.Data = strings.ReplaceAll(string(raw), "\n", "\r\n")
			s.mu.Lock()
			s.attempts++
			r := Reply{250, "queued"}
			if len(s.script) > 0 {
				r, s.script = s.script[0], s.script[1:]
			}
			if r.Code/100 == 2 {
				s.msgs = append(s.msgs, cur)
			}
			s.mu.Unlock()
			select {
			case s.arrived <- struct{}{}:
			default:
			}
			reply(r.Code, r.Text)
		case "RSET":
			cur = Message{}
			reply(250, "OK")
		case "NOOP":
			reply(250, "OK")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, fmt.Sprintf("%s not implemented", verb))
		}
	}
}

// addr takes the address out of "FROM:<a@b> BODY=8BITMIME".
func addr(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	a, _, _ := strings.Cut(rest, ">")
	return a
}
