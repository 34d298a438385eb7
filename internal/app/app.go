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
	"strings"
	"syscall"
	"time"

	"github.com/tandem-desk/tandem/internal/bus"
	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/desk"
	"github.com/tandem-desk/tandem/internal/mail"
	"github.com/tandem-desk/tandem/internal/mail/outbox"
	"github.com/tandem-desk/tandem/internal/metrics"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
	"github.com/tandem-desk/tandem/internal/web"
	"github.com/tandem-desk/tandem/internal/webhooks"
)

// Version is set at build time with -ldflags "-X …/internal/app.Version=…".
var Version = "dev"

// App is a wired Tandem instance.
type App struct {
	Store   *store.Store
	Bus     bus.Bus
	Desk    *desk.Desk
	Handler http.Handler
	Log     *slog.Logger
	// Webhooks sends the workspaces' events to their endpoints.
	Webhooks *webhooks.Sender
	// Mail sends follow-up emails; nil when no SMTP server is configured.
	Mail *outbox.Sender
	// Metrics are the process's Prometheus metrics. Handler serves them at
	// GET /metrics unless --metrics-addr gives them a listener of their
	// own; MetricsHandler is then what that listener serves (else nil).
	Metrics        *metrics.Metrics
	MetricsHandler http.Handler
	// People runs setup, invitations, roles and deactivation.
	People *people.Service

	workers *workers
}

// Open builds an App over the database of cfg (PostgreSQL with --db, else
// the SQLite file) and its bus (NATS with --nats, else in-process).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	st, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return nil, err
	}
	var b bus.Bus = bus.NewMemory()
	if cfg.NATSURL != "" {
		nb, err := bus.NewNATS(ctx, cfg.NATSURL, bus.NATSOptions{
			Prefix: cfg.NATSPrefix, Stream: strings.ToUpper(cfg.NATSPrefix) + "_WORK", Logger: log, Name: "tandem " + cfg.Addr,
		})
		if err != nil {
			st.Close()
			return nil, err
		}
		b = nb
	}
	engine, err := triage.DefaultEngine()
	if err != nil {
		b.Close()
		st.Close()
		return nil, fmt.Errorf("load the triage model: %w", err)
	}
	m := metrics.New(Version, log)
	m.WatchLoad(readLoad(st), loadTimeout)
	m.WatchStreamReads(func() float64 { return float64(st.EventReads()) })
	hooks := webhooks.NewSender(webhooks.Options{Store: st, Bus: b, Logger: log, AllowPrivateNetworks: cfg.WebhookAllowPrivate, Metrics: m})
	mailer, err := openMail(cfg, st, log, m)
	if err != nil {
		b.Close()
		st.Close()
		return nil, err
	}
	mailOpts := desk.MailOptions{Enabled: mailer != nil, Delay: cfg.MailDelay}
	if mailer != nil {
		mailOpts.Notify = mailer.Notify // wakes this node's sender; other nodes' find the mail within a poll
	}
	d := desk.New(desk.Options{Store: st, Bus: b, Logger: log, Triage: engine, OnEvents: hooks.Notify,
		Assistant: assistantOptions(cfg), Mail: mailOpts, WebhooksAllowPrivate: cfg.WebhookAllowPrivate, Metrics: m})
	p := people.New(people.Options{Store: st, Desk: d, Logger: log, HashCost: cfg.PasswordCost,
		Mail: mailer != nil, NotifyMail: mailOpts.Notify, PublicURL: cfg.PublicURL})
	a := &App{Store: st, Bus: b, Desk: d, Log: log, Webhooks: hooks, Mail: mailer, Metrics: m, People: p}
	list := []worker{{"dispatcher", d.Run}, {"webhooks", hooks.Run}, {"certifications and scores", p.Run}}
	if mailer != nil {
		list = append(list, worker{"mail", mailer.Run})
	}
	a.workers = newWorkers(log, list...)
	// /metrics is for operators: on the public listener only when they
	// have not given it one of its own.
	separate := cfg.MetricsAddr != ""
	a.Handler = withDemoBackend(web.Handler(d, st, log, web.Options{Metrics: m, ServeMetrics: !separate, Ready: a.workers.ready, People: p}), st)
	if separate {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		a.MetricsHandler = mux
	}
	return a, nil
}

// loadTimeout bounds the database reads of one scrape.
const loadTimeout = 2 * time.Second

// readLoad reads the live load the gauges report from the database.
func readLoad(st *store.Store) func(context.Context) (metrics.Load, error) {
	return func(ctx context.Context) (metrics.Load, error) {
		l, err := st.Load(ctx)
		if err != nil {
			return metrics.Load{}, err
		}
		out := metrics.Load{Queued: l.Queued, Agents: map[string]int{}}
		if l.OldestQueuedAt != nil {
			out.OldestQueued = max(time.Since(*l.OldestQueuedAt), 0)
		}
		for status, n := range l.Agents {
			out.Agents[string(status)] = n
		}
		return out, nil
	}
}

// openMail builds the follow-up mail sender cfg asks for, or nil when mail is off.
func openMail(cfg config.Config, st *store.Store, log *slog.Logger, m *metrics.Metrics) (*outbox.Sender, error) {
	if !cfg.MailEnabled() {
		return nil, nil
	}
	server, err := mail.ParseURL(cfg.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	from, err := mail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("--mail-from: %w", err)
	}
	return outbox.New(outbox.Options{Store: st, Client: &mail.Client{Server: server}, From: from, Logger: log, Metrics: m}), nil
}

// Close releases the bus and the database.
func (a *App) Close() error {
	berr := a.Bus.Close()
	return errors.Join(berr, a.Store.Close())
}

// RunWorkers runs what works in the background — the dispatcher, the
// webhook sender, the sweep of expired certifications and quality scores
// and, with mail configured, the mail sender — until ctx ends. A worker
// that stops early is logged and run again after a back-off; meanwhile
// /readyz answers 503 (see workers.go). It returns when ctx ends and every
// worker has stopped.
func (a *App) RunWorkers(ctx context.Context) error {
	a.workers.run(ctx)
	return nil
}

const usage = `Tandem — customer support where an AI assistant and people work as one team.

Usage: tandem <command> [flags]

Commands:
  demo      run the server with the demo workspace "acme" (Acme Pay) seeded
  serve     run the server
  triage    triage messages: JSON lines {"text","locale"} in, one result per line out
  train     train an intent model from a CSV file (text,category)
  eval      measure an intent model: accuracy, macro-F1, calibration, coverage
  simulate  simulate a contact centre through the routing policy; compare with Erlang C/A
  workspace create --slug SLUG --name NAME
            create a workspace in the database of --data-dir / --db
  user      create --workspace SLUG --email E --role admin|supervisor|agent --password-stdin
            add a person to a workspace (password from standard input)
  bench     measure messages per second and latency on a server it starts on 127.0.0.1
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
	case "simulate":
		return simulateCommand(rest, getenv, stdout, stderr)
	case "workspace", "user":
		return adminCommand(ctx, cmd, rest, getenv, stdin, stdout, stderr)
	case "bench":
		return benchCommand(ctx, rest, getenv, stdout, stderr)
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
		if err := SeedWorkforce(ctx, a.Store, info, time.Now()); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.Desk.SetSelfURL(selfURL(ln.Addr()))
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

	metricsSrv, metricsLn, err := a.listenMetrics(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}

	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan error, 1)
	go func() { dispatched <- a.RunWorkers(dispatchCtx) }()

	served := make(chan error, 2) // the main server and the metrics one
	go func() { served <- srv.Serve(ln) }()
	attrs := []any{"addr", ln.Addr().String()}
	if metricsSrv != nil {
		go func() { served <- metricsSrv.Serve(metricsLn) }()
		attrs = append(attrs, "metrics_addr", metricsLn.Addr().String())
	}
	log.Info("tandem listening", append(attrs, "data_dir", cfg.DataDir, "version", Version,
		"db", a.Store.Dialect(), "bus", busName(cfg), "mail", a.Mail != nil)...)
	if info != nil {
		info.Print(stdout, cfg.PublicURL)
	} else if err := printSetupLink(ctx, a.People, cfg.PublicURL, stdout); err != nil {
		log.Error("setup link", "err", err)
	}

	select {
	case err := <-served:
		srv.Close()
		if metricsSrv != nil {
			metricsSrv.Close()
		}
		stopDispatch()
		<-dispatched
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if metricsSrv != nil {
		err = errors.Join(err, metricsSrv.Shutdown(shutdownCtx))
	}
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

// printSetupLink prints, on a server without any workspace, the one-time
// link that creates the first workspace and its admin in the browser.
func printSetupLink(ctx context.Context, p *people.Service, baseURL string, w io.Writer) error {
	token, ok, err := p.SetupLink(ctx)
	if err != nil || !ok {
		return err
	}
	fmt.Fprintf(w, "\nThis server has no workspace yet. Set it up in your browser (the link works once):\n\n  %s/setup?token=%s\n\n"+
		"(or from a shell: tandem workspace create, then tandem user create --role admin)\n\n", baseURL, token)
	return nil
}

// listenMetrics opens the listener of --metrics-addr and the server of
// /metrics on it; nil, nil when /metrics is served on --addr.
func (a *App) listenMetrics(cfg config.Config, log *slog.Logger) (*http.Server, net.Listener, error) {
	if a.MetricsHandler == nil {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on --metrics-addr: %w", err)
	}
	return &http.Server{
		Handler:           a.MetricsHandler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}, ln, nil
}

func busName(cfg config.Config) string {
	if cfg.NATSURL != "" {
		return "nats"
	}
	return "memory"
}
