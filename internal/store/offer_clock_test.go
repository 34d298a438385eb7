package store_test

import (
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/store/storetest"
)

// TestCreateTimedOfferReadsTheClockOnceChecked: the offer's times come from
// one clock reading taken inside the transaction, after its checks (a
// refused offer never reads it), and the window is added to that reading.
func TestCreateTimedOfferReadsTheClockOnceChecked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		ws := seedWorkspace(t, s, "acme")
		cu := seedCustomer(t, s, ws, "c1")
		ann := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
		var reads atomic.Int32
		clock := func() time.Time { reads.Add(1); return at(time.Minute) }

		open := openConversation(t, s, cu, "hi", at(0)) // still with the assistant
		_, err := s.CreateTimedOffer(ctx, ws.ID, open.ID, ann.ID, 0, 30*time.Second, clock)
		wantErr(t, err, store.ErrConflict, "offer a conversation that is not queued")
		if n := reads.Load(); n != 0 {
			t.Errorf("a refused offer read the clock %d times", n)
		}

		conv := queuedConversation(t, s, cu, at(time.Second))
		o, err := s.CreateTimedOffer(ctx, ws.ID, conv.ID, ann.ID, 1, 30*time.Second, clock)
		must(t, err, "create a timed offer")
		if n := reads.Load(); n != 1 {
			t.Errorf("the clock was read %d times, want once", n)
		}
		if !o.CreatedAt.Equal(at(time.Minute)) || !o.ExpiresAt.Equal(at(time.Minute+30*time.Second)) {
			t.Errorf("offer created %v, expires %v; want %v and 30 s later", o.CreatedAt, o.ExpiresAt, at(time.Minute))
		}
	})
}

// TestCreateTimedOfferTimeSpentWaitingIsNotTheAgents: on PostgreSQL, while
// another transaction holds the conversation's row, the offer waits; its
// accept window starts when it gets the row, not when it was asked for.
func TestCreateTimedOfferTimeSpentWaitingIsNotTheAgents(t *testing.T) {
	if _, why := storetest.PostgresURL(); why != "" {
		t.Skipf("postgres: %s", why)
	}
	ctx := t.Context()
	dsn := storetest.NewPostgresDB(t)
	s, err := store.OpenPostgres(ctx, dsn)
	must(t, err, "open")
	defer s.Close()
	ws := seedWorkspace(t, s, "acme")
	cu := seedCustomer(t, s, ws, "c1")
	ann := seedAgent(t, s, ws, "ann", 2, model.AgentAvailable)
	conv := queuedConversation(t, s, cu, at(0))

	raw, err := sql.Open("pgx", dsn)
	must(t, err, "open a second connection")
	defer raw.Close()
	blocker, err := raw.BeginTx(ctx, nil)
	must(t, err, "begin the blocking transaction")
	defer blocker.Rollback()
	if _, err := blocker.ExecContext(ctx, `SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, conv.ID); err != nil {
		t.Fatalf("lock the conversation: %v", err)
	}

	var now atomic.Int64
	now.Store(at(time.Minute).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	type result struct {
		o   *model.Offer
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := s.CreateTimedOffer(ctx, ws.ID, conv.ID, ann.ID, 0, 30*time.Second, clock)
		done <- result{o, err}
	}()
	// Wait until the offer's transaction is stuck behind the row lock.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the offer never waited for the locked conversation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	now.Store(at(5 * time.Minute).UnixNano()) // the wait took four minutes
	must(t, blocker.Rollback(), "release the conversation")
	r := <-done
	must(t, r.err, "create the offer")
	if !r.o.CreatedAt.Equal(at(5*time.Minute)) || !r.o.ExpiresAt.Equal(at(5*time.Minute+30*time.Second)) {
		t.Errorf("offer created %v, expires %v: the time spent waiting was taken from the agent", r.o.CreatedAt, r.o.ExpiresAt)
	}
}
