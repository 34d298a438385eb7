package app_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/store"
)

// served is the real serve command, running in this process on the test's
// arguments until stopAndWait.
type served struct {
	stop   context.CancelFunc
	exit   chan int
	done   chan struct{} // closed when the log is drained to its end
	logged strings.Builder
	stdout syncBuffer // what the command printed (demo logins, the setup link)
}

// runServe runs `tandem serve` with args and waits until its log has a line
// matching addrRE (the listening line): it returns that match's groups. The
// whole log is kept; read it after stopAndWait.
func runServe(t *testing.T, args []string, addrRE *regexp.Regexp) (*served, []string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	s := &served{stop: stop, exit: make(chan int, 1), done: make(chan struct{})}
	logR, logW := io.Pipe()
	go func() {
		defer logW.Close()
		s.exit <- app.Run(ctx, append([]string{"serve"}, args...), func(string) string { return "" }, nil, &s.stdout, logW)
	}()
	lines := bufio.NewScanner(logR)
	var m []string
	for m == nil && lines.Scan() {
		// Lines before the listening line count too: workers may log
		// before it.
		s.logged.WriteString(lines.Text() + "\n")
		m = addrRE.FindStringSubmatch(lines.Text())
	}
	if m == nil {
		t.Fatal("the server never logged its address")
	}
	go func() { // keep draining the log so the server never blocks on it
		for lines.Scan() {
			s.logged.WriteString(lines.Text() + "\n")
		}
		close(s.done)
	}()
	return s, m[1:]
}

// stopAndWait stops the server the way SIGTERM does and fails unless it
// exits 0 within 20 s.
func (s *served) stopAndWait(t *testing.T) {
	t.Helper()
	s.stop()
	select {
	case code := <-s.exit:
		if code != 0 {
			t.Fatalf("exit code %d after a graceful stop", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20 s of the signal")
	}
	<-s.done
}

// TestServeShutsDownGracefully runs the real serve command, talks to it, and
// stops it the way SIGTERM does: it must exit 0 and leave a database that
// opens cleanly.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	srv, addrs := runServe(t, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))
	// Ready once its workers run, a moment after it listens.
	eventually(t, waitTimeout, "/readyz to say ready", func() bool {
		code, _ := readyz(t, addrs[0])
		return code == http.StatusOK
	})
	srv.stopAndWait(t)
	if !strings.Contains(srv.logged.String(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", srv.logged.String())
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "tandem.db"))
	if err != nil {
		t.Fatalf("database after shutdown: %v", err)
	}
	st.Close()
}
