package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tandem-desk/tandem/internal/config"
	"github.com/tandem-desk/tandem/internal/model"
	"github.com/tandem-desk/tandem/internal/people"
	"github.com/tandem-desk/tandem/internal/store"
)

// adminCommand runs "tandem workspace create" and "tandem user create":
// scriptable setup of a server (containers, provisioning) over the same
// database serve uses (--data-dir, --db and their environment variables).
func adminCommand(ctx context.Context, noun string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintf(stderr, "Usage: tandem %s create [flags]   (tandem %s create --help)\n", noun, noun)
		return 2
	}
	fs := flag.NewFlagSet("tandem "+noun+" create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	fs.StringVar(&cfg.DataDir, "data-dir", orDefault(getenv("TANDEM_DATA_DIR"), "./tandem-data"), "directory of the embedded SQLite database (env TANDEM_DATA_DIR)")
	fs.StringVar(&cfg.DB, "db", getenv("TANDEM_DB"), "PostgreSQL URL, or empty for SQLite under --data-dir (env TANDEM_DB)")
	var slug, name, workspace, email, role string
	var passwordStdin bool
	if noun == "workspace" {
		fs.StringVar(&slug, "slug", "", "the workspace's short name, in URLs and the widget's data-workspace (e.g. acme)")
		fs.StringVar(&name, "name", "", "the workspace's display name (e.g. \"Acme Pay\")")
	} else {
		fs.StringVar(&workspace, "workspace", "", "slug of the workspace the person joins")
		fs.StringVar(&email, "email", "", "sign-in email")
		fs.StringVar(&name, "name", "", "display name (default: the email's local part)")
		fs.StringVar(&role, "role", "agent", "admin, supervisor or agent")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password (at least 10 characters) from the first line of standard input (required)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tandem: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if cfg.DB != "" && !store.IsPostgresURL(cfg.DB) {
		fmt.Fprintln(stderr, "tandem: --db: want a postgres:// URL (leave it empty for SQLite under --data-dir)")
		return 2
	}
	if noun == "user" && !passwordStdin {
		fmt.Fprintln(stderr, "tandem: --password-stdin is required (a password on the command line would be in the shell history)")
		return 2
	}
	st, err := store.Open(ctx, cfg.Database())
	if err != nil {
		fmt.Fprintln(stderr, "tandem:", err)
		return 1
	}
	defer st.Close()
	svc := people.New(people.Options{Store: st})
	if noun == "workspace" {
		ws, err := svc.CreateWorkspace(ctx, slug, name)
		if err != nil {
			fmt.Fprintln(stderr, "tandem:", err)
			return 1
		}
		fmt.Fprintf(stdout, "created workspace %q (%s), id %d\n", ws.Slug, ws.Name, ws.ID)
		return 0
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "tandem: read the password:", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	u, err := svc.CreateUser(ctx, people.NewUser{Workspace: workspace, Email: email, Name: name, Role: model.Role(role), Password: password})
	if err != nil {
		fmt.Fprintln(stderr, "tandem:", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %s %s (%s) in workspace %q, id %d\n", u.Role, u.Email, u.Name, workspace, u.ID)
	return 0
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
