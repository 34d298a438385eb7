package store

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestDialectsListTheSameMigrations: SQLite and PostgreSQL run the same
// versions — a migration written for one dialect only would leave the
// other's schema behind without anyone noticing.
func TestDialectsListTheSameMigrations(t *testing.T) {
	versions := map[string][]string{}
	for _, d := range []dialect{sqliteDialect, postgresDialect} {
		list, err := migrations(migrationFiles, d.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			versions[d.name] = append(versions[d.name], m.version)
		}
	}
	if len(versions["sqlite"]) == 0 {
		t.Fatal("no migrations found")
	}
	if !slices.Equal(versions["sqlite"], versions["postgres"]) {
		t.Errorf("the dialects' migrations differ:\nsqlite:   %v\npostgres: %v", versions["sqlite"], versions["postgres"])
	}
}

// TestNoMigrationIsSharedAndPerDialect: a version lives either in
// migrations/shared (the same SQL for every dialect) or in each dialect's
// folder, never both.
func TestNoMigrationIsSharedAndPerDialect(t *testing.T) {
	shared := sqlFiles(t, migrationFiles, "migrations/shared")
	if len(shared) == 0 {
		t.Fatal("no shared migrations found")
	}
	for _, d := range []string{"sqlite", "postgres"} {
		for _, name := range sqlFiles(t, migrationFiles, "migrations/"+d) {
			if slices.Contains(shared, name) {
				t.Errorf("%s is in migrations/shared and in migrations/%s", name, d)
			}
		}
	}
	// And the store refuses to run such a set.
	fsys := fstest.MapFS{
		"migrations/shared/0001_a.sql": {Data: []byte("SELECT 1;")},
		"migrations/sqlite/0001_a.sql": {Data: []byte("SELECT 2;")},
		"migrations/sqlite/0002_b.sql": {Data: []byte("SELECT 3;")},
	}
	if list, err := migrations(fsys, "sqlite"); err == nil || !strings.Contains(err.Error(), "0001_a") {
		t.Errorf("a version both shared and per-dialect: %v, %v; want an error naming it", list, err)
	}
}

// TestSharedAndPerDialectMigrationsRunInVersionOrder: the two folders are
// merged by version, so a per-dialect 0003 runs between shared 0002 and 0004.
func TestSharedAndPerDialectMigrationsRunInVersionOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/shared/0002_b.sql":   {Data: []byte("-- b")},
		"migrations/shared/0004_d.sql":   {Data: []byte("-- d")},
		"migrations/sqlite/0001_a.sql":   {Data: []byte("-- a")},
		"migrations/sqlite/0003_c.sql":   {Data: []byte("-- c")},
		"migrations/postgres/0003_c.sql": {Data: []byte("-- c")},
		"migrations/sqlite/README.md":    {Data: []byte("not a migration")},
	}
	list, err := migrations(fsys, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(list); got != "[{0001_a migrations/sqlite/0001_a.sql} {0002_b migrations/shared/0002_b.sql} {0003_c migrations/sqlite/0003_c.sql} {0004_d migrations/shared/0004_d.sql}]" {
		t.Errorf("migrations in order: %s", got)
	}
}

func sqlFiles(t *testing.T, fsys fs.FS, dir string) []string {
	t.Helper()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, e.Name())
		}
	}
	return out
}
