// Package mailtest is a small SMTP server for tests: it listens on
// 127.0.0.1, speaks enough ESMTP for net/smtp (EHLO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT; no TLS, no AUTH), and records every message it accepts.
// A test may script the reply to each DATA, to simulate temporary (4xx)
// and permanent (5xx) failures.
package mailtest

import (
	"fmt"
	"io"
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

// Server is a running test SMTP server.
type Server struct {
	// Addr is host:port to connect to.
	Addr string

	ln       net.Listener
	mu       sync.Mutex
	msgs     []Message
	attempts int
	script   []Reply
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// NewServer starts a server that accepts everything; it stops when t ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, arrived: make(chan struct{}, 1)}
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
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
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
			if err := tp.PrintfLine("250-mailtest greets %s", arg); err != nil {
				return
			}
			if !reply(250, "8BITMIME") {
				return
			}
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
