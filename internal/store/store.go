// Package store persists Tandem's state. One concrete Store serves every SQL
// dialect: queries are written once with '?' placeholders and rebound per
// dialect, and each dialect has its own embedded, forward-only migrations.
// Every change that matters appends an event in the same transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors; callers match them with errors.Is.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflict")
	ErrOfferUnavailable = errors.New("offer is no longer pending")
	ErrCapacityFull     = errors.New("agent is at capacity")
)

//go:embed migrations
var migrationFiles embed.FS

// dialect holds what differs between databases.
type dialect struct {
	name string
	// forUpdate is appended to SELECTs that must lock the rows they read.
	// SQLite has no row locks: its write transactions are exclusive already.
	forUpdate string
	// skipLocked is appended to SELECTs that claim work: rows another
	// transaction holds are skipped rather than waited for.
	skipLocked string
	// numbered placeholders ($1, $2…) instead of '?'.
	numbered bool
	// lock takes a transaction-scoped lock on (namespace, key), held until
	// the transaction ends; nil where write transactions are exclusive anyway.
	lock func(ctx context.Context, tx *sql.Tx, namespace, key int64) error
	// eventLock, where set, is a one-row SELECT taking the transaction-scoped
	// lock (namespace, key) of its two parameters: appending events takes
	// the workspace's event lock in the same statement (see insertEvents).
	eventLock string
	// retryable reports whether a failed transaction may simply run again
	// (a deadlock or serialization failure the database resolved by aborting it).
	retryable func(err error) bool
}

var sqliteDialect = dialect{name: "sqlite", retryable: sqliteBusy}

// sqliteBusy reports a transaction that found the database locked for
// longer than busy_timeout. With _txlock=immediate that happens at BEGIN,
// before anything was done — several writers queueing on a loaded machine,
// where SQLite's busy handler is not fair — so the transaction may simply
// run again.
func sqliteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Lock namespaces for dialect.lock: the first key of PostgreSQL's
// two-key advisory locks, so Tandem's locks never collide with each other.
const (
	lockMigrations int64 = 0x54440001 // key 0: the schema
	lockEvents     int64 = 0x54440002 // key: the workspace id
)

// Open opens the database named by dsn: a postgres:// or postgresql:// URL
// opens PostgreSQL, anything else is the path of an SQLite file.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgresURL(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
}

// IsPostgresURL reports whether dsn names a PostgreSQL server.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Store is Tandem's persistence layer.
type Store struct {
	db *sql.DB
	d  dialect
	// eventReads counts EventsAfter calls (EventReads).
	eventReads atomic.Int64
	// queued holds, per open transaction of tx (*sql.Tx → *[]pendingEvent),
	// the events appended in it and not yet written: see flushEvents.
	queued sync.Map
}

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL
// mode, and applies pending migrations. Use ":memory:"-like paths only for
// tests; the file form is what the server uses.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w", err)
		}
	}
	// _txlock=immediate takes the write lock at BEGIN, so two writers never
	// deadlock upgrading read locks; busy_timeout makes them queue instead of failing.
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, d: sqliteDialect}
	if err := migrateSQLite(ctx, s); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrateSQLite migrates, trying again while the file is busy. When
// several openers set up a new database file at the same moment (switching
// it to WAL, creating the schema), SQLite can answer one of them
// SQLITE_BUSY at once instead of waiting for busy_timeout — CI saw "begin:
// database is locked" with four stores opening one new file. Such a
// failure is transient: try again for up to ten seconds.
func migrateSQLite(ctx context.Context, s *Store) error {
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.migrate(ctx)
		if err == nil || !sqliteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Dialect names the database in use ("sqlite", "postgres").
func (s *Store) Dialect() string { return s.d.name }

// q rebinds a query written with '?' placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tx runs fn in a transaction, committing when it returns nil. When the
// database aborts the transaction to break a deadlock (or SQLite found
// itself locked for too long), fn runs again from the start (a few times):
// fn must only set its results, never accumulate.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tx1(ctx, fn)
		if err == nil || s.d.retryable == nil || !s.d.retryable(err) || attempt == 5 || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
	}
}

func (s *Store) tx1(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	var events []pendingEvent
	s.queued.Store(tx, &events)
	err = fn(tx)
	s.queued.Delete(tx)
	if err == nil {
		err = s.flushEvents(ctx, tx, events)
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// lock takes a transaction-scoped lock where the dialect needs one.
func (s *Store) lock(ctx context.Context, tx *sql.Tx, namespace, key int64) error {
	if s.d.lock == nil {
		return nil
	}
	if err := s.d.lock(ctx, tx, namespace, key); err != nil {
		return fmt.Errorf("store: lock %x/%d: %w", namespace, key, err)
	}
	return nil
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations this database has not seen yet. Migrations are forward-only:
// a shipped file is never edited, a change is a new file.
//
// Several nodes may start at once on one database: every migration
// transaction first takes the schema lock (PostgreSQL: an advisory
// transaction lock; SQLite: its write transactions are exclusive), so one
// node applies a migration and the others then see it applied.
func (s *Store) migrate(ctx context.Context) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, lockMigrations, 0); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	list, err := migrations(migrationFiles, s.d.name)
	if err != nil {
		return err
	}
	for _, m := range list {
		body, err := fs.ReadFile(migrationFiles, m.path)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", m.path, err)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if err := s.lock(ctx, tx, lockMigrations, 0); err != nil {
				return err
			}
			var seen int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&seen); err != nil {
				return err
			}
			if seen > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.version, micros(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.path, err)
		}
	}
	return nil
}

// migration is one embedded migration file. Its version is its file name
// without ".sql": what schema_migrations records, so a shipped file keeps
// its name for ever (even two files numbered 0006 are two versions).
type migration struct {
	version, path string
}

// migrations lists the migrations of a dialect in version order: the files
// in migrations/shared, which every dialect runs as they are, and those in
// migrations/<dialect>, for SQL the dialects disagree on. A version found
// in both is refused: which file would the database have run?
func migrations(fsys fs.FS, dialect string) ([]migration, error) {
	var out []migration
	seen := map[string]string{}
	for _, dir := range []string{"migrations/shared", "migrations/" + dialect} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("store: read migrations: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			path := dir + "/" + e.Name()
			version := strings.TrimSuffix(e.Name(), ".sql")
			if other, dup := seen[version]; dup {
				return nil, fmt.Errorf("store: migration %s is both %s and %s", version, other, path)
			}
			seen[version] = path
			out = append(out, migration{version: version, path: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// micros encodes a time as microseconds since the epoch: the one time format
// in every dialect's schema.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func int64Ptr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	x := v.Int64
	return &x
}

func nullInt64(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
