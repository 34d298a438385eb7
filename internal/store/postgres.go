package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver, registered as "pgx"
)

// postgresDialect is PostgreSQL through pgx's database/sql driver.
//
// Event order. The stream resumes by the events' seq, a BIGSERIAL. In
// PostgreSQL a sequence hands out numbers when rows are inserted, not when
// their transactions commit, so two transactions can commit out of seq
// order: a reader that saw seq 11 would then never see seq 10 committed a
// moment later. Appending events therefore takes a transaction-scoped
// advisory lock on the event's workspace in the statement that inserts
// them (insertEvents), the last statement before the commit: the seqs of
// one workspace are drawn one transaction at a time, and the lock is
// released only after the holder's commit is visible. Within a workspace, a
// reader who sees seq N therefore already sees every seq below N that will
// ever exist. (Seqs of different workspaces may still interleave out of
// order; no reader follows more than one workspace.) Taken last, after
// every row lock, the lock never closes a deadlock (see flushEvents). See
// docs/scaling.md.
var postgresDialect = dialect{
	name:       "postgres",
	forUpdate:  " FOR UPDATE",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	numbered:   true,
	eventLock:  `SELECT pg_advisory_xact_lock(?::int4, ?::int4)`,
	lock: func(ctx context.Context, tx *sql.Tx, namespace, key int64) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, namespace, key)
		return err
	},
	retryable: func(err error) bool {
		var pe *pgconn.PgError
		// 40P01 deadlock_detected, 40001 serialization_failure.
		return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
	},
}

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:password@host:port/database?sslmode=…) and applies
// pending migrations.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// Each node keeps a modest pool: N nodes share the server's max_connections.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	s := &Store{db: db, d: postgresDialect}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
