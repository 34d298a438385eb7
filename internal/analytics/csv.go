package analytics

import (
	"encoding/csv"
	"io"
	"sort"
	"strconv"
)

// WriteCSV writes the summary as a table: a row for the whole period
// (group "all") and one per group, one column per figure. Rates are
// shares in 0…1; an empty cell has no value (nothing to divide by).
func (s *Summary) WriteCSV(w io.Writer) error {
	reasons := map[string]bool{}
	for r := range s.HandoffReasons {
		reasons[r] = true
	}
	var rs []string
	for r := range reasons {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	head := []string{"group", "label", "conversations", "ai_resolution_rate", "containment_rate", "handoff_rate",
		"first_response_assistant_median", "first_response_assistant_p90", "first_response_person_median", "first_response_person_p90",
		"resolution_median", "resolution_p90", "handling_median", "handling_p90",
		"repeat_contact_rate", "repeat_contact_rate_same_intent", "first_contact_resolution_rate",
		"csat_assistant_satisfied_rate", "csat_assistant_ratings", "csat_people_satisfied_rate", "csat_people_ratings",
		"cost_per_resolution", "cost_per_resolution_ai_only", "cost_per_resolution_human_only", "cost_per_resolution_hybrid",
		"acceptance_rate", "qa_score"}
	for _, r := range rs {
		head = append(head, "handoffs_"+r)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	row := func(key, label string, f *Figures) []string {
		out := []string{key, label, strconv.Itoa(f.Conversations), fl(f.AIResolutionRate), fl(f.ContainmentRate), fl(f.HandoffRate),
			fl(f.FirstResponseSeconds.Assistant.Median), fl(f.FirstResponseSeconds.Assistant.P90),
			fl(f.FirstResponseSeconds.Person.Median), fl(f.FirstResponseSeconds.Person.P90),
			fl(f.ResolutionSeconds.Median), fl(f.ResolutionSeconds.P90), fl(f.HandlingSeconds.Median), fl(f.HandlingSeconds.P90),
			fl(f.RepeatContactRate), fl(f.RepeatContactRateSame), fl(f.FirstContactResolution),
			fl(f.CSAT.Assistant.SatisfiedRate), strconv.Itoa(f.CSAT.Assistant.Ratings), fl(f.CSAT.People.SatisfiedRate), strconv.Itoa(f.CSAT.People.Ratings),
			in(f.CostPerResolution.All), in(f.CostPerResolution.AIOnly), in(f.CostPerResolution.HumanOnly), in(f.CostPerResolution.Hybrid),
			fl(f.AcceptanceRate), fl(f.QAScore)}
		for _, r := range rs {
			out = append(out, strconv.Itoa(f.HandoffReasons[r]))
		}
		return out
	}
	if err := cw.Write(row("all", "All", &s.Figures)); err != nil {
		return err
	}
	for i := range s.Groups {
		g := &s.Groups[i]
		if err := cw.Write(row(g.Key, g.Label, &g.Figures)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func fl(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func in(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}
