package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tandem-desk/tandem/internal/store"
	"github.com/tandem-desk/tandem/internal/triage"
)

// commandFlags is a flag set whose --help lists each flag with its
// environment variable, like serve's.
type commandFlags struct {
	fs    *flag.FlagSet
	envs  map[string]string
	out   io.Writer
	usage string
}

func newCommandFlags(cmd, usage string, out io.Writer) *commandFlags {
	c := &commandFlags{fs: flag.NewFlagSet("tandem "+cmd, flag.ContinueOnError), envs: map[string]string{}, out: out, usage: usage}
	c.fs.SetOutput(out)
	c.fs.Usage = func() {
		fmt.Fprintf(out, "Usage: tandem %s [flags]\n\n%s\n\nFlags:\n", cmd, usage)
		c.fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(out, "  --%-14s %s", f.Name, f.Usage)
			if env := c.envs[f.Name]; env != "" {
				fmt.Fprintf(out, " (env %s)", env)
			}
			if f.DefValue != "" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
	return c
}

func (c *commandFlags) env(name, env string) { c.envs[name] = env }

// parse applies environment variables, then the command line.
func (c *commandFlags) parse(args []string, getenv func(string) string) error {
	for name, env := range c.envs {
		if v := getenv(env); v != "" {
			if err := c.fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
	}
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", c.fs.Arg(0))
	}
	return nil
}

// triageCommand reads JSON lines {"text","locale"} and writes one result
// line per input line, in order. A line that cannot be read gets an
// {"error": …} line in its place, so outputs stay aligned with inputs.
func triageCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommandFlags("triage", "Triages customer messages: reads JSON lines {\"text\",\"locale\"} on stdin and writes\none JSON result per line on stdout, in order.", stdout)
	workspace := c.fs.String("workspace", "acme", "workspace whose policy to apply (read from the database under --data-dir when it exists)")
	dataDir := c.fs.String("data-dir", "./tandem-data", "directory of the SQLite database")
	modelPath := c.fs.String("model", "", "intent model file from 'tandem train' (default: the embedded demo model)")
	c.env("data-dir", "TANDEM_DATA_DIR")
	if code, done := parseOrExit(c, args, getenv, stderr); done {
		return code
	}
	engine, err := loadEngine(*modelPath)
	if err != nil {
		fmt.Fprintln(stderr, "tandem triage:", err)
		return 1
	}
	policy, err := workspacePolicy(ctx, *dataDir, *workspace)
	if err != nil {
		fmt.Fprintln(stderr, "tandem triage:", err)
		return 1
	}
	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		line, err := in.ReadString('\n')
		if len(strings.TrimSpace(line)) > 0 {
			enc.Encode(triageLine(engine, policy, line, n))
		}
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "tandem triage: read stdin:", err)
			return 1
		}
		if in.Buffered() == 0 {
			out.Flush() // interactive use: answer each line as it comes
		}
	}
}

func triageLine(engine *triage.Engine, policy triage.Policy, line string, n int) any {
	var req struct {
		Text   string `json:"text"`
		Locale string `json:"locale"`
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return map[string]string{"error": fmt.Sprintf("line %d: %v", n, err)}
	}
	if strings.TrimSpace(req.Text) == "" {
		return map[string]string{"error": fmt.Sprintf("line %d: text is empty", n)}
	}
	return engine.Triage(triage.Input{Text: req.Text, Locale: req.Locale}, policy)
}

func loadEngine(modelPath string) (*triage.Engine, error) {
	if modelPath == "" {
		return triage.DefaultEngine()
	}
	f, err := os.Open(modelPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := triage.ReadIntentModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	return triage.NewEngine(m), nil
}

// workspacePolicy reads a workspace's triage policy from the database in
// dataDir; with no database there, the default policy applies.
func workspacePolicy(ctx context.Context, dataDir, slug string) (triage.Policy, error) {
	path := filepath.Join(dataDir, "tandem.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return triage.Policy{}, nil
	}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return triage.Policy{}, err
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return triage.Policy{}, fmt.Errorf("workspace %q: %w", slug, err)
	}
	return triage.ParsePolicy(ws.TriagePolicy)
}

func trainCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := newCommandFlags("train", "Trains an intent model on a CSV file with columns text,category and writes it to --out.\nRows labelled out_of_scope teach the model what not to answer.", stdout)
	data := c.fs.String("data", "", "training data: CSV with a header text,category (required)")
	outPath := c.fs.String("out", "", "where to write the model (required)")
	seed := c.fs.Int64("seed", 1, "random seed: the same data and seed give the same model")
	if code, done := parseOrExit(c, args, getenv, stderr); done {
		return code
	}
	if *data == "" || *outPath == "" {
		fmt.Fprintln(stderr, "tandem train: --data and --out are required")
		return 2
	}
	ex, err := readExamples(*data)
	if err != nil {
		fmt.Fprintln(stderr, "tandem train:", err)
		return 1
	}
	bar := newProgressBar(stderr, "training")
	start := time.Now()
	m, err := triage.TrainIntentModel(ex, triage.TrainOptions{Seed: *seed, Progress: bar.update})
	bar.done()
	if err != nil {
		fmt.Fprintln(stderr, "tandem train:", err)
		return 1
	}
	// Write to a temporary file and rename, so a failed run never leaves a
	// half-written model where a good one was.
	tmp, err := os.CreateTemp(filepath.Dir(*outPath), ".model-*")
	if err != nil {
		fmt.Fprintln(stderr, "tandem train:", err)
		return 1
	}
	defer os.Remove(tmp.Name())
	if _, err := m.WriteTo(tmp); err != nil {
		tmp.Close()
		fmt.Fprintln(stderr, "tandem train: write model:", err)
		return 1
	}
	if err := tmp.Close(); err != nil {
		fmt.Fprintln(stderr, "tandem train: write model:", err)
		return 1
	}
	if err := os.Rename(tmp.Name(), *outPath); err != nil {
		fmt.Fprintln(stderr, "tandem train:", err)
		return 1
	}
	fmt.Fprintf(stdout, "trained on %d examples, %d intents, in %s; wrote %s\n", len(ex), len(m.Intents()), time.Since(start).Round(time.Millisecond), *outPath)
	return 0
}

func evalCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := newCommandFlags("eval", "Measures an intent model on a CSV file with columns text,category: accuracy, macro-F1,\nexpected calibration error and the coverage at 97/98/99 % precision. Without --model it\ncross-validates a fresh model on the data (k folds); with --model it evaluates that model.", stdout)
	data := c.fs.String("data", "", "labelled data: CSV with a header text,category or text,category,language (required; with a language column the figures are also reported per language)")
	modelPath := c.fs.String("model", "", "model file to evaluate (default: cross-validate on --data)")
	folds := c.fs.Int("folds", 5, "cross-validation folds")
	seed := c.fs.Int64("seed", 1, "random seed for the folds")
	asJSON := c.fs.Bool("json", false, "print the report as JSON")
	if code, done := parseOrExit(c, args, getenv, stderr); done {
		return code
	}
	if *data == "" {
		fmt.Fprintln(stderr, "tandem eval: --data is required")
		return 2
	}
	if *folds < 2 {
		fmt.Fprintln(stderr, "tandem eval: --folds must be at least 2")
		return 2
	}
	ex, err := readExamples(*data)
	if err != nil {
		fmt.Fprintln(stderr, "tandem eval:", err)
		return 1
	}
	var report triage.EvalReport
	if *modelPath != "" {
		engine, err := loadEngine(*modelPath)
		if err != nil {
			fmt.Fprintln(stderr, "tandem eval:", err)
			return 1
		}
		report = triage.Evaluate(engine.Model(), ex)
	} else {
		bar := newProgressBar(stderr, fmt.Sprintf("%d-fold cross-validation", *folds))
		report, err = triage.CrossValidate(ex, triage.TrainOptions{Folds: *folds, Seed: *seed, Progress: bar.update})
		bar.done()
		if err != nil {
			fmt.Fprintln(stderr, "tandem eval:", err)
			return 1
		}
	}
	if *asJSON {
		report.Curve = nil
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(report)
		return 0
	}
	fmt.Fprint(stdout, report.String())
	return 0
}

func readExamples(path string) ([]triage.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := triage.ReadExamplesCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

// parseOrExit parses flags; done reports that the command should end with code.
func parseOrExit(c *commandFlags, args []string, getenv func(string) string, stderr io.Writer) (code int, done bool) {
	err := c.parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0, true
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.fs.Name(), err)
		return 2, true
	}
	return 0, false
}

// progressBar draws on a terminal and stays silent otherwise, so logs and
// pipes get no control characters.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	on    bool
	last  time.Time
}

func newProgressBar(w io.Writer, label string) *progressBar {
	on := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progressBar{w: w, label: label, on: on}
}

func (p *progressBar) update(done, total int) {
	if !p.on || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width * done / total
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%%", p.label, strings.Repeat("█", filled), strings.Repeat("·", width-filled), 100*done/total)
}

func (p *progressBar) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
