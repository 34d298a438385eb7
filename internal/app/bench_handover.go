package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tandem-desk/tandem/internal/model"
)

// The handover scenario (BenchOptions.Handover > 0) is the load that made
// PostgreSQL deadlock: every customer starts a conversation with the
// assistant and writes in a loop; a share of them asks for a person, so
// the conversation is queued, dispatch offers it, and one of the agents
// accepts, answers and resolves it — the queue moves while messages flow.

// benchTopics are what the customers write about: questions the assistant
// answers from the knowledge base, or clarifies.
var benchTopics = []string{
	"how do I reset my card pin",
	"my transfer has not arrived yet",
	"where is my refund",
	"can I change the address on my account",
	"what are your fees for sending money abroad",
}

// benchHandoverText asks for a person in words, as customers do.
const benchHandoverText = "I want to talk to a person please"

// perBenchConversation is how many messages a customer writes in one
// conversation (the first opens it) before starting the next.
const perBenchConversation = 6

// conversations runs the handover scenario on the server at b.base and
// fills the message counts and latencies of res.
func (b *bencher) conversations(ctx context.Context, a *App, o BenchOptions, slug string, rec *benchRecorder) error {
	agents, err := b.seedAgents(ctx, a, slug, o.Agents, o.Clients)
	if err != nil {
		return err
	}
	tokens := make([]string, o.Clients)
	for i := range tokens {
		var sess struct {
			Token string `json:"token"`
		}
		if err := b.call(ctx, "POST", "/api/v1/widget/session", "", map[string]any{"workspace": slug}, 201, &sess); err != nil {
			return err
		}
		tokens[i] = sess.Token
	}
	deadline := time.Now().Add(o.Warmup + o.Duration)
	var wg sync.WaitGroup
	for _, tok := range agents {
		wg.Go(func() { b.agentLoop(ctx, tok, deadline, rec) })
	}
	var started atomic.Int64
	for i, tok := range tokens {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				// Handover is a share of all conversations started: of
				// every 100, the first Handover ask for a person.
				handover := started.Add(1)%100 < int64(o.Handover)
				var conv int64
				for k := 0; k < perBenchConversation && time.Now().Before(deadline); k++ {
					text := benchTopics[(i+n+k)%len(benchTopics)]
					if handover && k == perBenchConversation/2 {
						text = benchHandoverText
					}
					body := fmt.Sprintf("%s (%d.%d.%d)", text, i, n, k)
					path, payload := fmt.Sprintf("/api/v1/conversations/%d/messages", conv), map[string]any{"client_id": fmt.Sprint("b", n, ".", k), "body": body}
					if k == 0 {
						path, payload = "/api/v1/conversations", map[string]any{"message": map[string]string{"body": body}}
					}
					t0 := rec.sent(body)
					status, raw, err := b.do(ctx, "POST", path, tok, payload)
					ok := err == nil && status == http.StatusCreated
					rec.acked(t0, ok)
					if !ok {
						break
					}
					if k == 0 {
						var c struct {
							ID int64 `json:"id"`
						}
						if json.Unmarshal(raw, &c) != nil {
							break
						}
						conv = c.ID
					}
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// agentLoop accepts the agent's offers and, for each conversation it
// gets, answers once and resolves it, until deadline.
func (b *bencher) agentLoop(ctx context.Context, tok string, deadline time.Time, rec *benchRecorder) {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var out struct {
			Offers []struct {
				ID             int64 `json:"id"`
				ConversationID int64 `json:"conversation_id"`
			} `json:"offers"`
		}
		if err := b.call(ctx, "GET", "/api/v1/offers", tok, nil, 200, &out); err != nil {
			rec.agentError()
			continue
		}
		if len(out.Offers) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for _, off := range out.Offers {
			// An offer can lapse or be rescinded between the list and the
			// accept; that is dispatch working, not a failure.
			if status, _, err := b.do(ctx, "POST", fmt.Sprintf("/api/v1/offers/%d/accept", off.ID), tok, nil); err != nil || status != http.StatusOK {
				continue
			}
			rec.handedOver()
			if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", off.ConversationID), tok,
				map[string]any{"body": "Hello, I am looking into it now."}, 201, nil); err != nil {
				rec.agentError()
			}
			if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%d/resolve", off.ConversationID), tok, nil, 200, nil); err != nil {
				rec.agentError()
			}
		}
	}
}

// seedAgents creates n available agents who can each hold clients
// conversations, and returns their tokens.
func (b *bencher) seedAgents(ctx context.Context, a *App, slug string, n, clients int) ([]string, error) {
	ws, err := a.Store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("bench"), bcrypt.MinCost)
	tokens := make([]string, n)
	for i := range tokens {
		email := fmt.Sprintf("agent%d@%s.test", i, slug)
		if _, err := a.Store.EnsureAgent(ctx, model.Agent{WorkspaceID: ws.ID, Email: email, Name: fmt.Sprint("Agent ", i), Role: model.RoleAgent,
			PasswordHash: string(hash), Capacity: clients}); err != nil {
			return nil, err
		}
		var out struct {
			Token string `json:"token"`
		}
		if err := b.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "bench"}, 200, &out); err != nil {
			return nil, err
		}
		if err := b.call(ctx, "PUT", "/api/v1/agents/me/status", out.Token, map[string]string{"status": "available"}, 200, nil); err != nil {
			return nil, err
		}
		tokens[i] = out.Token
	}
	return tokens, nil
}

// pgDeadlocks reads how many deadlocks PostgreSQL has detected in the
// database of url since its statistics were last reset.
func pgDeadlocks(ctx context.Context, url string) (int64, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, err
}

// logCounter is the bench server's log: it keeps nothing but counts the
// warnings and errors, and among them those about a deadlock.
type logCounter struct {
	problems, deadlocks *atomic.Int64
	attrs               []slog.Attr
}

func newLogCounter() *logCounter {
	return &logCounter{problems: new(atomic.Int64), deadlocks: new(atomic.Int64)}
}

func (l *logCounter) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.problems.Add(1)
	var text strings.Builder
	text.WriteString(r.Message)
	each := func(a slog.Attr) bool {
		text.WriteString(" " + a.String())
		return true
	}
	for _, a := range l.attrs {
		each(a)
	}
	r.Attrs(each)
	if s := text.String(); strings.Contains(s, "40P01") || strings.Contains(s, "deadlock") {
		l.deadlocks.Add(1)
	}
	return nil
}

func (l *logCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	cp := *l
	cp.attrs = append(append([]slog.Attr(nil), l.attrs...), attrs...)
	return &cp
}

func (l *logCounter) WithGroup(string) slog.Handler { return l }
