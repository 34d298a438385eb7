package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tandem-desk/tandem/internal/sim"
)

// simulateCommand runs the contact-centre simulator over the real routing
// policy and prints its report.
func simulateCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := newCommandFlags("simulate", `Simulates a contact centre with a virtual clock, through Tandem's real routing
policy: Poisson arrivals, exponential (or log-normal) handling, customers who may
give up, agents who take a while to accept. Prints the service level within
--sl-seconds, the average speed of answer, abandonment and occupancy; with one
skill, also what Erlang C (and Erlang A with --patience) predicts.

A --scenario JSON file describes skills, languages, shifts, a daily curve,
declines and routing settings (see docs/routing.md); flags given explicitly
override its fields.`, stdout)
	scenario := c.fs.String("scenario", "", "scenario JSON file (default: one skill, every agent eligible)")
	agents := c.fs.Int("agents", 13, "number of agents (with a scenario: the size of its only agent group)")
	perHour := c.fs.Float64("arrivals-per-hour", 200, "contacts arriving per hour (Poisson)")
	aht := c.fs.Float64("aht", 180, "mean handling time in seconds")
	slSeconds := c.fs.Float64("sl-seconds", 20, "service-level threshold T: answered within T seconds")
	hours := c.fs.Float64("hours", 10000, "simulated hours measured (after --warmup-hours)")
	warmup := c.fs.Float64("warmup-hours", 0.5, "simulated hours run first and not measured")
	seed := c.fs.Uint64("seed", 1, "random seed: the same seed gives the same report")
	acceptDelay := c.fs.Float64("accept-delay", 0, "mean seconds an agent takes to accept an offer")
	patience := c.fs.Float64("patience", 0, "customers' mean patience in seconds before they give up (0: never)")
	handling := c.fs.String("handling", "exponential", "handling-time distribution: exponential or lognormal")
	policy := c.fs.String("policy", "skills", "routing: skills (Tandem's policy) or fcfs (strict first-come-first-free)")
	routingJSON := c.fs.String("routing", "", `routing settings to try, as JSON over the defaults, e.g. '{"rings":[{"after_seconds":0,"require":["primary","language"]}]}'`)
	asJSON := c.fs.Bool("json", false, "print the report as one JSON object")
	if code, done := parseOrExit(c, args, getenv, stderr); done {
		return code
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	sc := sim.Scenario{Agents: []sim.AgentGroup{{}}}
	if *scenario != "" {
		raw, err := os.ReadFile(*scenario)
		if err != nil {
			fmt.Fprintln(stderr, "tandem simulate:", err)
			return 1
		}
		if sc, err = sim.ParseScenario(raw); err != nil {
			fmt.Fprintf(stderr, "tandem simulate: %s: %v\n", *scenario, err)
			return 2
		}
	}
	// Without a scenario every flag applies; with one, those given do.
	use := func(name string) bool { return *scenario == "" || set[name] }
	if use("agents") {
		if len(sc.Agents) > 1 {
			fmt.Fprintln(stderr, "tandem simulate: --agents needs a scenario with one agent group")
			return 2
		}
		if len(sc.Agents) == 0 {
			sc.Agents = []sim.AgentGroup{{}}
		}
		sc.Agents[0].Count = *agents
	}
	if use("accept-delay") {
		for i := range sc.Agents {
			sc.Agents[i].AcceptDelay = *acceptDelay
		}
	}
	if use("arrivals-per-hour") {
		sc.ArrivalsPerHour = *perHour
	}
	if use("aht") {
		sc.AHT = *aht
	}
	if use("sl-seconds") {
		sc.SLSeconds = *slSeconds
	}
	if use("hours") {
		sc.Hours = *hours
	}
	if use("warmup-hours") {
		sc.WarmupHours = warmup
	}
	if use("seed") {
		sc.Seed = *seed
	}
	if use("patience") {
		sc.Patience = *patience
	}
	if use("handling") {
		sc.Handling = *handling
	}
	if use("policy") {
		sc.Policy = *policy
	}
	if set["routing"] {
		sc.Routing = json.RawMessage(*routingJSON)
	}
	start := time.Now()
	r, err := sim.Run(sc)
	if err != nil {
		fmt.Fprintln(stderr, "tandem simulate:", strings.TrimPrefix(err.Error(), "sim: "))
		return 2
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(stderr, "tandem simulate:", err)
			return 1
		}
		return 0
	}
	printReport(stdout, r, time.Since(start))
	return 0
}

func printReport(w io.Writer, r *sim.Report, took time.Duration) {
	pct := func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Scenario\t%s\n", r.Scenario)
	fmt.Fprintf(tw, "Run\tpolicy %s, seed %d, %g hours measured, %d agents\n", r.Policy, r.Seed, r.Hours, r.Agents)
	fmt.Fprintf(tw, "Contacts\t%d (answered %d, abandoned %d, unanswered %d)\n", r.Contacts, r.Answered, r.Abandoned, r.Unanswered)
	line := func(name, value string, theory ...string) {
		fmt.Fprintf(tw, "%s\t%s", name, value)
		for _, t := range theory {
			if t != "" {
				fmt.Fprintf(tw, "\t%s", t)
			}
		}
		fmt.Fprintln(tw)
	}
	theory := func(name string, v *float64, f func(float64) string) string {
		if v == nil {
			return ""
		}
		return name + " " + f(*v)
	}
	secs := func(v float64) string { return fmt.Sprintf("%.1f s", v) }
	line("Service level", fmt.Sprintf("%s within %g s", pct(r.ServiceLevel), r.SLSeconds),
		theory("Erlang C", r.ErlangCServiceLevel, pct), theory("Erlang A", r.ErlangAServiceLevel, pct))
	line("ASA", secs(r.ASA), theory("Erlang C", r.ErlangCASA, secs), theory("Erlang A", r.ErlangAASA, secs))
	line("Abandoned", pct(r.AbandonRate), theory("Erlang A", r.ErlangAAbandonRate, pct))
	line("Occupancy", pct(r.Occupancy))
	line("Handling", fmt.Sprintf("%.0f s on average; %s by an agent without a skill asked for", r.AvgHandle, pct(r.OffSkill)))
	line("Offers", fmt.Sprintf("%d made, %d accepted, %d declined, %d expired, %d withdrawn; %d times an agent was set away",
		r.Offers, r.OffersAccepted, r.OffersDeclined, r.OffersExpired, r.OffersRescinded, r.AgentsSetAway))
	var rings []string
	for i, n := range r.AnsweredByRing {
		if r.Answered > 0 {
			rings = append(rings, fmt.Sprintf("%d: %s", i, pct(float64(n)/float64(r.Answered))))
		}
	}
	line("Answered by ring", strings.Join(rings, ", "))
	line("Took", fmt.Sprintf("%.2f s, %d calls of the routing policy", took.Seconds(), r.Plans))
	tw.Flush()
}
