// Package config turns command-line flags and TANDEM_* environment
// variables into a validated Config. A flag given on the command line wins
// over its environment variable, which wins over the default. There are no
// globals: the Config is passed to whoever needs it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/tandem-desk/tandem/internal/mail"
)

// Config is everything a `tandem serve` or `tandem demo` process needs.
type Config struct {
	Addr            string
	DataDir         string
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	// PublicURL is how users reach this server; it is used in printed links.
	PublicURL string
	// DB is the database: a postgres:// URL, or empty for the embedded
	// SQLite file under DataDir (DBPath).
	DB string
	// NATSURL is the NATS server (with JetStream) the nodes of a cluster
	// share; empty means the in-process bus (a single node).
	NATSURL string
	// NATSPrefix starts the subjects and names the JetStream stream of this
	// cluster, so several clusters can share one NATS server.
	NATSPrefix string
	// LLMURL, LLMModel and LLMAPIKey name an optional OpenAI-compatible
	// chat-completions endpoint that may phrase the assistant's answers
	// from its sources; empty URL = off. LLMTimeout bounds each call.
	LLMURL     string
	LLMModel   string
	LLMAPIKey  string
	LLMTimeout time.Duration
	// ActionTimeout bounds each call the assistant makes to a business's API.
	ActionTimeout time.Duration
	// WebhookAllowPrivate lets webhook endpoints be on loopback, private
	// or other non-public addresses; refused by default (SSRF guard).
	WebhookAllowPrivate bool
	// SMTPURL is the server follow-up emails go through
	// (smtp://user:pass@host:587, STARTTLS when offered; smtps://…:465,
	// implicit TLS); empty means no email is sent. MailFrom is the sender
	// ("Acme Support <support@example.com>"), required with SMTPURL.
	SMTPURL  string
	MailFrom string
	// MailDelay is how long after an agent's reply its follow-up email
	// waits for further replies to go out with it.
	MailDelay time.Duration
	// MetricsAddr, when set, serves GET /metrics on a listener of its own
	// (e.g. 127.0.0.1:9090) and no longer on Addr; empty serves it on Addr.
	MetricsAddr string
	// PasswordCost is bcrypt's cost for new passwords; 0 is the default.
	// Not a flag: tests lower it to keep hashing fast.
	PasswordCost int
}

// MailEnabled reports whether follow-up emails are sent.
func (c Config) MailEnabled() bool { return c.SMTPURL != "" }

// DBPath is the SQLite database file under the data directory.
func (c Config) DBPath() string { return filepath.Join(c.DataDir, "tandem.db") }

// Database is what the store opens: the --db URL, or the SQLite file.
func (c Config) Database() string {
	if c.DB != "" {
		return c.DB
	}
	return c.DBPath()
}

// option describes one setting: its flag, its environment variable, its help.
type option struct {
	name, env, usage string
	set              func(fs *flag.FlagSet, c *Config)
}

var options = []option{
	{"addr", "TANDEM_ADDR", "address to listen on (host:port)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "")
	}},
	{"data-dir", "TANDEM_DATA_DIR", "directory for the embedded SQLite database", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.DataDir, "data-dir", "./tandem-data", "")
	}},
	{"public-url", "TANDEM_PUBLIC_URL", "URL users reach this server at (default: http://ADDR)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.PublicURL, "public-url", "", "")
	}},
	{"log-level", "TANDEM_LOG_LEVEL", "log level: debug, info, warn or error", func(fs *flag.FlagSet, c *Config) {
		fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "")
	}},
	{"log-format", "TANDEM_LOG_FORMAT", "log format: text or json", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.LogFormat, "log-format", "text", "")
	}},
	{"db", "TANDEM_DB", "database: postgres://user:pass@host:5432/db?sslmode=… for PostgreSQL (several nodes), or empty for SQLite under --data-dir", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.DB, "db", "", "")
	}},
	{"nats-url", "TANDEM_NATS_URL", "NATS server with JetStream shared by the nodes of a cluster (nats://host:4222), or empty for one node; --nats for short", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.NATSURL, "nats-url", "", "")
		fs.StringVar(&c.NATSURL, "nats", "", "the same as --nats-url")
	}},
	{"nats-prefix", "TANDEM_NATS_PREFIX", "subject prefix of this cluster on NATS (its work-queue stream is PREFIX_WORK, upper-cased)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.NATSPrefix, "nats-prefix", "tandem", "")
	}},
	{"shutdown-timeout", "TANDEM_SHUTDOWN_TIMEOUT", "how long in-flight requests may take to finish on shutdown", func(fs *flag.FlagSet, c *Config) {
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "")
	}},
	{"llm-url", "TANDEM_LLM_URL", "optional OpenAI-compatible chat-completions endpoint (e.g. http://localhost:11434/v1) that phrases answers from articles; off when empty", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.LLMURL, "llm-url", "", "")
	}},
	{"llm-model", "TANDEM_LLM_MODEL", "model name sent to the LLM endpoint", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.LLMModel, "llm-model", "", "")
	}},
	{"llm-api-key", "TANDEM_LLM_API_KEY", "API key for the LLM endpoint (sent as a Bearer token; never logged)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.LLMAPIKey, "llm-api-key", "", "")
	}},
	{"llm-timeout", "TANDEM_LLM_TIMEOUT", "how long an LLM call may take before the article's own text is used", func(fs *flag.FlagSet, c *Config) {
		fs.DurationVar(&c.LLMTimeout, "llm-timeout", 8*time.Second, "")
	}},
	{"action-timeout", "TANDEM_ACTION_TIMEOUT", "how long a call to a business's API (an action) may take before the assistant hands over", func(fs *flag.FlagSet, c *Config) {
		fs.DurationVar(&c.ActionTimeout, "action-timeout", 5*time.Second, "")
	}},
	{"webhook-allow-private", "TANDEM_WEBHOOK_ALLOW_PRIVATE", "let webhooks go to localhost and private networks (10.x, 192.168.x, …); off, webhooks reach public addresses only", func(fs *flag.FlagSet, c *Config) {
		fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "")
	}},
	{"smtp-url", "TANDEM_SMTP_URL", "SMTP server for follow-up emails: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465; off when empty (follow-up addresses are only recorded)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.SMTPURL, "smtp-url", "", "")
	}},
	{"mail-from", "TANDEM_MAIL_FROM", "sender of follow-up emails, e.g. \"Acme Support <support@example.com>\" (required with --smtp-url)", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.MailFrom, "mail-from", "", "")
	}},
	{"mail-delay", "TANDEM_MAIL_DELAY", "how long a follow-up email waits for more replies to the same conversation to go out with it", func(fs *flag.FlagSet, c *Config) {
		fs.DurationVar(&c.MailDelay, "mail-delay", time.Minute, "")
	}},
	{"metrics-addr", "TANDEM_METRICS_ADDR", "serve Prometheus GET /metrics on this address of its own (e.g. 127.0.0.1:9090) and not on --addr; empty: on --addr", func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "")
	}},
}

// ErrHelp is returned when the user asked for help; the usage was printed.
var ErrHelp = flag.ErrHelp

// Parse reads the flags of command cmd from args, with environment variables
// looked up through getenv, and validates the result. Usage goes to out.
func Parse(cmd, summary string, args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("tandem "+cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, o := range options {
		o.set(fs, &c)
		fs.Lookup(o.name).Usage = o.usage
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: tandem %s [flags]\n\n%s\n\nFlags (each may also be set by its environment variable):\n", cmd, summary)
		for _, o := range options {
			f := fs.Lookup(o.name)
			fmt.Fprintf(out, "  --%-18s %s\n  %20s env %s", o.name, o.usage, "", o.env)
			if f.DefValue != "" {
				fmt.Fprintf(out, ", default %s", f.DefValue)
			}
			fmt.Fprintln(out)
		}
	}
	// Environment first, so flags given on the command line override it.
	for _, o := range options {
		if v := getenv(o.env); v != "" {
			if err := fs.Set(o.name, v); err != nil {
				return c, fmt.Errorf("config: %s=%q: %w", o.env, v, err)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		errs = append(errs, fmt.Errorf("--db %q: want a postgres:// URL (leave it empty for SQLite under --data-dir)", redactURL(c.DB)))
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		errs = append(errs, fmt.Errorf("--nats-url %q: want a nats:// URL", redactURL(c.NATSURL)))
	}
	if !validToken(c.NATSPrefix) {
		errs = append(errs, fmt.Errorf("--nats-prefix %q: want letters, digits, '-' and '_' only", c.NATSPrefix))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.LLMURL != "" {
		if u, err := url.Parse(c.LLMURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--llm-url %q: want an http(s) URL", redactURL(c.LLMURL)))
		}
		if strings.TrimSpace(c.LLMModel) == "" {
			errs = append(errs, errors.New("--llm-model is required with --llm-url"))
		}
	}
	if c.LLMTimeout < 0 || c.ActionTimeout < 0 {
		errs = append(errs, errors.New("--llm-timeout and --action-timeout must not be negative"))
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-url %q: %v", redactURL(c.SMTPURL), err))
		}
		if strings.TrimSpace(c.MailFrom) == "" {
			errs = append(errs, errors.New(`--mail-from is required with --smtp-url (e.g. "Acme Support <support@example.com>")`))
		}
	}
	if c.MailFrom != "" {
		if c.SMTPURL == "" {
			errs = append(errs, errors.New("--mail-from needs --smtp-url: without a server no email is sent"))
		} else if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			errs = append(errs, fmt.Errorf("--mail-from %q: want an address such as \"Acme Support <support@example.com>\"", c.MailFrom))
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: want host:port", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			errs = append(errs, fmt.Errorf("--metrics-addr %q is --addr: leave it empty to serve /metrics there", c.MetricsAddr))
		}
	}
	if c.MailDelay < 0 {
		errs = append(errs, errors.New("--mail-delay must not be negative"))
	}
	if c.PublicURL == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Logger builds the process logger the config asks for.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// redactURL hides a password in a URL before it is shown. A URL that does
// not parse (often because a password has an unescaped '/', '?' or '#')
// loses everything between the scheme and its last '@'.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@")
		if i >= 0 && j > i {
			return raw[:i+3] + "xxxxx" + raw[j:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	return u.Redacted()
}

// validToken reports whether s can be one NATS subject token and part of a
// stream name.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
