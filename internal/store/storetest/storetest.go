// Package storetest gives tests a database of their own: a fresh
// PostgreSQL database per test on the server named by
// TANDEM_TEST_POSTGRES_URL, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// EnvPostgres names the variable that points the tests at a PostgreSQL server
// on which they may create and drop databases.
const EnvPostgres = "TANDEM_TEST_POSTGRES_URL"

// PostgresURL returns the server URL from the environment, or "" with the
// reason to give when skipping.
func PostgresURL() (string, string) {
	u := os.Getenv(EnvPostgres)
	if u == "" {
		return "", EnvPostgres + " is not set"
	}
	return u, ""
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// NewPostgresDB creates an empty database tandem_test_<random> on the server
// of TANDEM_TEST_POSTGRES_URL and returns its URL; it is dropped (with any
// connection still open to it) when t ends. It skips the test when the
// variable is not set, and fails it when the server cannot be reached.
func NewPostgresDB(t testing.TB) string {
	t.Helper()
	base, why := PostgresURL()
	if base == "" {
		t.Skipf("postgres: skipped: %s", why)
	}
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			adminErr = admin.PingContext(ctx)
		}
	})
	if adminErr != nil {
		t.Fatalf("postgres at %s: %v", EnvPostgres, adminErr)
	}
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "tandem_test_" + hex.EncodeToString(raw)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}
