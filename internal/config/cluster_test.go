package config_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tandem-desk/tandem/internal/config"
)

func TestDatabaseAndBus(t *testing.T) {
	c, err := config.Parse("serve", "", []string{"--data-dir", "/var/lib/tandem"}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Database() != "/var/lib/tandem/tandem.db" || c.NATSURL != "" {
		t.Fatalf("defaults: database %q, nats %q; want the SQLite file and no NATS", c.Database(), c.NATSURL)
	}
	pg := "postgres://tandem:secret@db:5432/tandem?sslmode=disable"
	c, err = config.Parse("serve", "", nil, env(map[string]string{"TANDEM_DB": pg, "TANDEM_NATS_URL": "nats://nats:4222"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Database() != pg || c.NATSURL != "nats://nats:4222" {
		t.Fatalf("from env: database %q, nats %q", c.Database(), c.NATSURL)
	}
	c, err = config.Parse("serve", "", []string{"--db", "postgresql://h/db", "--nats", "nats://a:4222,nats://b:4222"}, env(map[string]string{"TANDEM_DB": pg}), &bytes.Buffer{})
	if err != nil || c.Database() != "postgresql://h/db" || c.NATSURL != "nats://a:4222,nats://b:4222" {
		t.Fatalf("flags must override the environment: %+v, %v", c, err)
	}
	c, err = config.Parse("serve", "", []string{"--nats-url", "nats://c:4222"}, env(nil), &bytes.Buffer{})
	if err != nil || c.NATSURL != "nats://c:4222" {
		t.Fatalf("--nats-url: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", "mysql://u:hunter2@h/db"}, "--db"},
		{[]string{"--nats", "http://nats:4222"}, "--nats-url"},
		{[]string{"--nats-prefix", "a.b"}, "--nats-prefix"},
	} {
		_, err := config.Parse("serve", "", tc.args, env(nil), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%v) error = %v, want it to mention %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	var out bytes.Buffer
	_, _ = config.Parse("serve", "", []string{"--help"}, env(nil), &out)
	for _, want := range []string{"--db", "TANDEM_DB", "--nats-url", "TANDEM_NATS_URL", "--nats for short"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
