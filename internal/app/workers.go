package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/backoff"
)

// A background worker that returns while the process runs — the dispatcher
// finding the database not ready at start-up, say — is run again after a
// back-off that doubles from workerFirstRetry up to workerMaxRetry, and
// /readyz answers 503 until it runs again: never a node that serves HTTP,
// says it is ready and quietly dispatches nothing.
const (
	workerFirstRetry = 500 * time.Millisecond
	workerMaxRetry   = 15 * time.Second
	// workerHealthy is how long a worker must have run for its next
	// failure to count as a first one again.
	workerHealthy = time.Minute
)

// worker is one of the process's background jobs.
type worker struct {
	name string
	run  func(context.Context) error
}

// workers runs the background workers and knows which of them are running.
type workers struct {
	log  *slog.Logger
	list []worker

	mu   sync.Mutex
	down map[string]string // worker → why it is not running
}

func newWorkers(log *slog.Logger, list ...worker) *workers {
	w := &workers{log: log, list: list, down: map[string]string{}}
	for _, wk := range list {
		w.down[wk.name] = "not started"
	}
	return w
}

// run runs every worker until ctx ends, each again whenever it stops early.
func (w *workers) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, wk := range w.list {
		wg.Go(func() { w.supervise(ctx, wk) })
	}
	wg.Wait()
}

func (w *workers) supervise(ctx context.Context, wk worker) {
	failures := 0
	for {
		w.set(wk.name, "")
		began := time.Now()
		err := wk.run(ctx)
		if ctx.Err() != nil {
			w.set(wk.name, "stopped")
			return
		}
		if err == nil {
			err = errors.New("returned while the process runs")
		}
		if time.Since(began) >= workerHealthy {
			failures = 0
		}
		delay := backoff.Delay(failures, workerFirstRetry, workerMaxRetry, 0)
		failures++
		w.set(wk.name, err.Error())
		w.log.Error("worker stopped; running it again", "worker", wk.name, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			w.set(wk.name, "stopped")
			return
		case <-time.After(delay):
		}
	}
}

func (w *workers) set(name, why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if why == "" {
		delete(w.down, name)
	} else {
		w.down[name] = why
	}
}

// ready says which workers are not running, or nil when all are.
func (w *workers) ready() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.down) == 0 {
		return nil
	}
	var why []string
	for name, reason := range w.down {
		why = append(why, fmt.Sprintf("%s (%s)", name, reason))
	}
	slices.Sort(why)
	return errors.New("workers not running: " + strings.Join(why, ", "))
}
