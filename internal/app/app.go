// Package app wires Tandem together — config → store, bus, desk, HTTP — and
// runs its commands. It is the only package that imports everything.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/web"
)

// Version is set at build time with -ldflags "-X …/internal/app.Version=…".
var Version = "dev"

// App is a wired Tandem instance.
type App struct {
	Store   *store.Store
	Desk    *desk.Desk
	Handler http.Handler
	Log     *slog.Logger
}

// Open builds an App over the SQLite database of cfg.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	st, err := store.OpenSQLite(ctx, cfg.DBPath())
	if err != nil {
		return nil, err
	}
	engine, err := triage.DefaultEngine()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("load the triage model: %w", err)
	}
	d := desk.New(desk.Options{Store: st, Bus: bus.NewMemory(), Logger: log, Triage: engine})
	return &App{Store: st, Desk: d, Handler: web.Handler(d, st, log), Log: log}, nil
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

const usage = `Tandem — customer support where an AI assistant and people work as one team.

Usage: tandem <command> [flags]

Commands:
  demo      run the server with the demo workspace "acme" (Acme Pay) seeded
  serve     run the server
  triage    triage messages: JSON lines {"text","locale"} in, one result per line out
  train     train an intent model from a CSV file (text,category)
  eval      measure an intent model: accuracy, macro-F1, calibration, coverage
  version   print the version

Run "tandem <command> --help" for the flags of a command.
`

// Main runs the command in args (without the program name) and returns the
// process exit code. SIGINT and SIGTERM stop a server gracefully.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// Run is Main with the stop signal given as a context: a server runs until
// ctx ends, then shuts down gracefully.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "tandem", Version)
		return 0
	case "triage":
		return triageCommand(ctx, rest, getenv, stdin, stdout, stderr)
	case "train":
		return trainCommand(rest, getenv, stdout, stderr)
	case "eval":
		return evalCommand(rest, getenv, stdout, stderr)
	case "serve", "demo":
		summary := "Runs the Tandem server."
		if cmd == "demo" {
			summary = "Runs the Tandem server with the demo workspace \"acme\" (Acme Pay): knowledge base,\ncustomers, an admin and three agents (password \"demo\"). Seeding is idempotent."
		}
		cfg, err := config.Parse(cmd, summary, rest, getenv, stdout)
		if errors.Is(err, config.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "tandem:", err)
			return 2
		}
		if err := serve(ctx, cfg, cmd == "demo", stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "tandem:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "tandem: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// serve runs the server until ctx ends, then shuts down gracefully:
// in-flight requests finish, streams close, the dispatcher stops, and the
// database closes last.
func serve(ctx context.Context, cfg config.Config, demo bool, stdout, stderr io.Writer) error {
	log := cfg.Logger(stderr)
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	var info *DemoInfo
	if demo {
		if info, err = Seed(ctx, a.Store); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	baseCtx, cancelStreams := context.WithCancel(context.Background())
	defer cancelStreams()
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Streams are hijacked connections that Shutdown does not wait for:
	// cancelling their base context closes them.
	srv.RegisterOnShutdown(cancelStreams)

	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan error, 1)
	go func() { dispatched <- a.Desk.Run(dispatchCtx) }()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("tandem listening", "addr", ln.Addr().String(), "data_dir", cfg.DataDir, "version", Version)
	if info != nil {
		info.Print(stdout, cfg.PublicURL)
	}

	select {
	case err := <-served:
		stopDispatch()
		<-dispatched
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopDispatch()
	if derr := <-dispatched; derr != nil {
		log.Error("dispatcher", "err", derr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
