package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsEnvAndFlags(t *testing.T) {
	var out bytes.Buffer
	c, err := config.Parse("serve", "", nil, env(nil), &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./tandem-data" || c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = config.Parse("serve", "", nil, env(map[string]string{"TANDEM_ADDR": "0.0.0.0:9000", "TANDEM_DATA_DIR": "/tmp/x", "TANDEM_SHUTDOWN_TIMEOUT": "3s"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/tmp/x" || c.ShutdownTimeout != 3*time.Second || c.PublicURL != "http://localhost:9000" {
		t.Fatalf("from env: %+v", c)
	}
	c, err = config.Parse("serve", "", []string{"--addr", "127.0.0.1:7000"}, env(map[string]string{"TANDEM_ADDR": "0.0.0.0:9000"}), &out)
	if err != nil || c.Addr != "127.0.0.1:7000" {
		t.Fatalf("a flag must override the environment: %+v, %v", c, err)
	}
}

func TestInvalidConfigIsAClearError(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nonsense"}, nil, "--addr"},
		{nil, map[string]string{"TANDEM_LOG_FORMAT": "xml"}, "--log-format"},
		{nil, map[string]string{"TANDEM_SHUTDOWN_TIMEOUT": "soon"}, "TANDEM_SHUTDOWN_TIMEOUT"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{[]string{"--smtp-url", "http://mail.example.com", "--mail-from", "a@example.com"}, nil, "--smtp-url"},
		{[]string{"--smtp-url", "smtp://mail.example.com"}, nil, "--mail-from is required"},
		{[]string{"--mail-from", "a@example.com"}, nil, "--mail-from needs --smtp-url"},
		{nil, map[string]string{"TANDEM_SMTP_URL": "smtp://mail.example.com", "TANDEM_MAIL_FROM": "not an address"}, "--mail-from"},
		{nil, map[string]string{"TANDEM_SMTP_URL": "smtp://mail.example.com", "TANDEM_MAIL_FROM": "a@example.com\r\nBcc: b@example.com"}, "--mail-from"},
		{[]string{"--smtp-url", "smtp://mail.example.com", "--mail-from", "a@example.com", "--mail-delay", "-1s"}, nil, "--mail-delay"},
		{[]string{"--metrics-addr", "9090"}, nil, "--metrics-addr"},
		{[]string{"--addr", "127.0.0.1:8080"}, map[string]string{"TANDEM_METRICS_ADDR": "127.0.0.1:8080"}, "--metrics-addr"},
	}
	for _, tc := range tests {
		_, err := config.Parse("serve", "", tc.args, env(tc.env), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v, %v) error = %v, want it to mention %q", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestHelpNamesEveryFlagAndVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := config.Parse("demo", "Runs the demo.", []string{"--help"}, env(nil), &out)
	if !errors.Is(err, config.ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, want := range []string{"tandem demo", "Runs the demo.", "--addr", "TANDEM_ADDR", "--data-dir", "TANDEM_DATA_DIR", "--log-level", "TANDEM_LOG_LEVEL", "--shutdown-timeout", "--smtp-url", "TANDEM_SMTP_URL", "--mail-from", "TANDEM_MAIL_FROM", "--mail-delay", "--metrics-addr", "TANDEM_METRICS_ADDR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestMailConfig(t *testing.T) {
	c, err := config.Parse("serve", "", nil, env(nil), &bytes.Buffer{})
	if err != nil || c.MailEnabled() || c.MailDelay != time.Minute {
		t.Fatalf("mail by default: enabled %v, delay %v (%v); want off, 1m", c.MailEnabled(), c.MailDelay, err)
	}
	c, err = config.Parse("serve", "", []string{"--mail-delay", "0s"}, env(map[string]string{
		"TANDEM_SMTP_URL": "smtps://u:secret@mail.example.com", "TANDEM_MAIL_FROM": "Acme Support <support@example.com>",
	}), &bytes.Buffer{})
	if err != nil || !c.MailEnabled() || c.SMTPURL != "smtps://u:secret@mail.example.com" || c.MailFrom != "Acme Support <support@example.com>" || c.MailDelay != 0 {
		t.Fatalf("mail from env and flags: %+v (%v)", c, err)
	}
	// A password never shows in an error.
	// A password never shows in an error, even in a URL that does not
	// parse (an unescaped '/' in the password).
	for _, u := range []string{"smtp://u:secret@mail.example.com/x", "smtp://mailer:S3cret/xyz@smtp.example.com:587", "mysql://app:se/cret@db:5432/x"} {
		args := []string{"--smtp-url", u, "--mail-from", "a@example.com"}
		if strings.HasPrefix(u, "mysql") {
			args = []string{"--db", u} // the wrong kind of database: refused, and shown
		}
		_, err = config.Parse("serve", "", args, env(nil), &bytes.Buffer{})
		if err == nil || strings.Contains(strings.ToLower(err.Error()), "secret") || strings.Contains(err.Error(), "se/cret") {
			t.Errorf("%s: error %v: want one without the password", u, err)
		}
	}
}

func TestMetricsConfig(t *testing.T) {
	c, err := config.Parse("serve", "", nil, env(nil), &bytes.Buffer{})
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("by default /metrics is on --addr: MetricsAddr %q (%v)", c.MetricsAddr, err)
	}
	c, err = config.Parse("serve", "", nil, env(map[string]string{"TANDEM_METRICS_ADDR": "127.0.0.1:9090"}), &bytes.Buffer{})
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("from the environment: MetricsAddr %q (%v)", c.MetricsAddr, err)
	}
	// Two listeners on port 0 get two ports: not the same address.
	if _, err := config.Parse("serve", "", []string{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, env(nil), &bytes.Buffer{}); err != nil {
		t.Fatalf("port 0 twice: %v", err)
	}
}
