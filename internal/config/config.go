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
	"path/filepath"
	"strings"
	"time"
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
}

// DBPath is the SQLite database file under the data directory.
func (c Config) DBPath() string { return filepath.Join(c.DataDir, "tandem.db") }

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
	{"shutdown-timeout", "TANDEM_SHUTDOWN_TIMEOUT", "how long in-flight requests may take to finish on shutdown", func(fs *flag.FlagSet, c *Config) {
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "")
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
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
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
