package analytics_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to write the history in bulk
	_ "modernc.org/sqlite"

	"github.com/tandem-desk/tandem/internal/analytics"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
)

// benchConversations is the size of the generated history:
// TANDEM_BENCH_CONVERSATIONS, default 20 000 (so that `go test -bench .`
// stays short); the README's figures name the size they were measured at.
func benchConversations() int {
	if n, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_CONVERSATIONS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// BenchmarkSummary30Days measures a 30-day summary (by day) over a history
// of benchConversations conversations spread over those 30 days, with
// about seven events each, on SQLite and PostgreSQL.
func BenchmarkSummary30Days(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchSummary(b, filepath.Join(b.TempDir(), "bench.db"), "sqlite", "file:"+filepath.Join(b.TempDir(), "bench.db"))
	})
	b.Run("postgres", func(b *testing.B) {
		url := storetest.NewPostgresDB(b)
		benchSummary(b, url, "pgx", url)
	})
}

func benchSummary(b *testing.B, dsn, driver, rawDSN string) {
	ctx := context.Background()
	if driver == "sqlite" {
		rawDSN = "file:" + dsn
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, 0, -30)
	n := benchConversations()
	db, err := sql.Open(driver, rawDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := generate(ctx, db, driver == "pgx", ws.ID, n, start, end); err != nil {
		b.Fatal(err)
	}
	rep := analytics.NewReporter(st)
	q := analytics.Query{From: start, To: end, Loc: time.UTC, By: analytics.ByDay, Now: end.Add(48 * time.Hour)}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		s, err := rep.Summary(ctx, ws.ID, q)
		if err != nil {
			b.Fatal(err)
		}
		if s.Conversations != n {
			b.Fatalf("summary of %d conversations, want %d", s.Conversations, n)
		}
	}
	// CPU time of this process per summary: on a busy machine (the
	// database's own CPU is not in it on PostgreSQL) a steadier figure than ns/op.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n), "conversations")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// generate writes n conversations with their events straight into the
// tables, in one transaction: a store call per event would take far longer
// than the report it is there to measure.
func generate(ctx context.Context, db *sql.DB, numbered bool, ws int64, n int, start, end time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ph := func(k int) string {
		s := ""
		for i := 1; i <= k; i++ {
			if i > 1 {
				s += ", "
			}
			if numbered {
				s += "$" + strconv.Itoa(i)
			} else {
				s += "?"
			}
		}
		return s
	}
	insCust, err := tx.PrepareContext(ctx, `INSERT INTO customers (id, workspace_id, external_id, created_at) VALUES (`+ph(4)+`)`)
	if err != nil {
		return err
	}
	insConv, err := tx.PrepareContext(ctx, `INSERT INTO conversations (id, workspace_id, customer_id, status, created_at, updated_at, intent, language) VALUES (`+ph(8)+`)`)
	if err != nil {
		return err
	}
	insEv, err := tx.PrepareContext(ctx, `INSERT INTO events (workspace_id, type, conversation_id, staff_only, data, at) VALUES (`+ph(6)+`)`)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	customers := n/2 + 1
	for c := 1; c <= customers; c++ {
		if _, err := insCust.ExecContext(ctx, 1_000_000+c, ws, "c"+strconv.Itoa(c), start.UnixMicro()); err != nil {
			return err
		}
	}
	intents := []string{"card_lost", "refund", "delivery", "fraud", "balance"}
	span := end.Sub(start)
	ev := func(typ string, conv int, at time.Time, data string) error {
		_, err := insEv.ExecContext(ctx, ws, typ, conv, false, data, at.UnixMicro())
		return err
	}
	for i := 1; i <= n; i++ {
		at := start.Add(time.Duration(rng.Int64N(int64(span))))
		conv := 1_000_000 + i
		cust := 1_000_000 + 1 + rng.IntN(customers)
		if _, err := insConv.ExecContext(ctx, conv, ws, cust, "resolved", at.UnixMicro(), at.UnixMicro(), intents[rng.IntN(len(intents))], "en"); err != nil {
			return err
		}
		steps := []struct {
			typ  string
			d    time.Duration
			data string
		}{
			{model.EventConversationCreated, 0, fmt.Sprintf(`{"id":%d,"status":"ai"}`, conv)},
			{model.EventMessageCreated, 0, `{"author_kind":"customer","internal":false,"body":"Where is my card? It has been two weeks now."}`},
			{model.EventMessageCreated, 2 * time.Second, `{"author_kind":"assistant","internal":false,"body":"Cards arrive within 5 working days of the order."}`},
		}
		switch r := rng.IntN(10); {
		case r < 5: // confirmed
			steps = append(steps,
				struct {
					typ  string
					d    time.Duration
					data string
				}{model.EventAssistantFeedback, 40 * time.Second, `{"helpful":true}`},
				struct {
					typ  string
					d    time.Duration
					data string
				}{model.EventConversationResolved, 40 * time.Second, `{"status":"resolved"}`})
		case r < 8: // to a person
			for _, s := range []struct {
				typ  string
				d    time.Duration
				data string
			}{
				{model.EventConversationQueued, 60 * time.Second, `{"handoff_reason":"human_request"}`},
				{model.EventOfferAccepted, 90 * time.Second, `{"agent_id":7}`},
				{model.EventConversationAssigned, 90 * time.Second, `{"assignee_id":7}`},
				{model.EventMessageCreated, 150 * time.Second, `{"author_kind":"agent","internal":false,"body":"Let me check that for you."}`},
				{model.EventConversationResolved, 600 * time.Second, `{"status":"resolved"}`},
				{model.EventCSATSubmitted, 700 * time.Second, `{"score":4,"agent_id":7}`},
			} {
				steps = append(steps, s)
			}
		}
		for _, s := range steps {
			if err := ev(s.typ, conv, at.Add(s.d), s.data); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Fresh statistics, as autovacuum would gather after a bulk load.
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}
