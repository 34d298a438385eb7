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

// TestServeShutsDownGracefully runs the real serve command, talks to it, and
// stops it the way SIGTERM does: it must exit 0 and leave a database that
// opens cleanly.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	logR, logW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		defer logW.Close()
		exit <- app.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, func(string) string { return "" }, nil, io.Discard, logW)
	}()

	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	lines := bufio.NewScanner(logR)
	var addr string
	for addr == "" && lines.Scan() {
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatal("the server never logged its address")
	}
	var logged strings.Builder
	done := make(chan struct{})
	go func() { // keep draining the log so the server never blocks on it
		for lines.Scan() {
			logged.WriteString(lines.Text() + "\n")
		}
		close(done)
	}()

	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/readyz = %d", res.StatusCode)
	}

	stop()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit code %d after a graceful stop", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20 s of the signal")
	}
	<-done
	if !strings.Contains(logged.String(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", logged.String())
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "tandem.db"))
	if err != nil {
		t.Fatalf("database after shutdown: %v", err)
	}
	st.Close()
}
