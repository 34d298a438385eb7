package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/app"
	"github.com/tandem-desk/tandem/internal/store"
)

// readyz returns GET /readyz's status and body.
func readyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestReadyzWaitsForTheWorkers runs the real serve command on a database
// the dispatcher cannot start on (its workspaces table is away, as a
// database still being restored would be): the node serves HTTP, but
// /readyz says 503 and names the dispatcher, and the failure is logged.
// When the table is back, the dispatcher is run again after its back-off
// and /readyz says ready — it does not stay dead until a restart.
func TestReadyzWaitsForTheWorkers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tandem.db")
	st, err := store.OpenSQLite(t.Context(), path) // the schema, migrated
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`ALTER TABLE workspaces RENAME TO workspaces_away`); err != nil {
		t.Fatal(err)
	}

	srv, addrs := runServe(t, []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))
	var body string
	eventually(t, waitTimeout, "/readyz to say the dispatcher is not running", func() bool {
		var code int
		code, body = readyz(t, addrs[0])
		return code == http.StatusServiceUnavailable && strings.Contains(body, "dispatcher (") && strings.Contains(body, "workspaces")
	})
	if strings.Contains(body, "webhooks") {
		t.Errorf("/readyz names a worker that runs: %q", body)
	}

	if _, err := db.Exec(`ALTER TABLE workspaces_away RENAME TO workspaces`); err != nil {
		t.Fatal(err)
	}
	// The dispatcher runs again when its back-off is over: by then up to
	// 15 s after its last failure (workerMaxRetry), on a slow machine.
	eventually(t, 30*time.Second, "/readyz to say ready once the dispatcher runs", func() bool {
		code, _ := readyz(t, addrs[0])
		return code == http.StatusOK
	})
	srv.stopAndWait(t)
	if !strings.Contains(srv.logged.String(), `msg="worker stopped; running it again" worker=dispatcher`) {
		t.Errorf("the dispatcher's failure was not logged:\n%s", srv.logged.String())
	}
}

// TestServeWithoutItsDatabaseExits: a node whose PostgreSQL does not
// answer at start-up exits non-zero, saying so, instead of serving.
func TestServeWithoutItsDatabaseExits(t *testing.T) {
	addr := closedPort(t)
	var stderr bytes.Buffer
	code := app.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--db", "postgres://postgres@" + addr + "/tandem?sslmode=disable&connect_timeout=5"},
		func(string) string { return "" }, nil, io.Discard, &stderr)
	if code == 0 {
		t.Fatalf("serve exited 0 without its database:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "postgres") {
		t.Errorf("the error does not say what failed:\n%s", stderr.String())
	}
}

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
