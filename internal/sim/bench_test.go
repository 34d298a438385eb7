package sim_test

import (
	"os"
	"testing"

	"github.com/tandem-desk/tandem/internal/sim"
)

// BenchmarkDay1000 simulates one day of a 1,000-agent centre
// (testdata/day1000.json: four shifts, chat capacity 2, five skills, four
// languages, a daily curve peaking at 14,000 contacts an hour, accept
// delays, declines, ignored offers, abandonment) through the real routing
// policy. ns/op is the wall time of one simulated day.
//
//	go test -run '^$' -bench Day1000 -benchtime 3x ./internal/sim
func BenchmarkDay1000(b *testing.B) {
	raw, err := os.ReadFile("testdata/day1000.json")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := sim.ParseScenario(raw)
	if err != nil {
		b.Fatal(err)
	}
	var r *sim.Report
	for b.Loop() {
		if r, err = sim.Run(sc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Contacts), "contacts/day")
	b.ReportMetric(float64(r.Plans), "plans/day")
	b.ReportMetric(r.ServiceLevel, "service_level")
}
