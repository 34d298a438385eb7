package workforce

import "time"

// RatedWindow is how many of a person's latest rated conversations their
// CSAT part averages.
const RatedWindow = 50

// Inputs of a quality score, read from the ledger of what happened.
type QualityInputs struct {
	// CSAT are the latest ratings (1–5) of conversations the person
	// handled, at most RatedWindow.
	CSAT []int
	// QA are reviewers' scores (0–1) of their conversations, when any.
	QA []float64
	// OffersReceived / OffersAccepted: how they answer offers.
	OffersReceived, OffersAccepted int
	// SlotsBooked / SlotsAttended: booked shift slots that have started,
	// and those they were available in.
	SlotsBooked, SlotsAttended int
}

// QualityParts are the parts of a score, each 0–1, nil when there is no
// data for it yet.
type QualityParts struct {
	CSAT       *float64 `json:"csat"`
	QA         *float64 `json:"qa"`
	Acceptance *float64 `json:"acceptance"`
	Adherence  *float64 `json:"adherence"`
	Ratings    int      `json:"ratings"`
}

// Weights of the parts (docs/workforce.md). A part without data drops out
// and the others share its weight.
const (
	WeightCSAT       = 0.5
	WeightQA         = 0.2
	WeightAcceptance = 0.15
	WeightAdherence  = 0.15
	// NeutralScore is the score of a person with no data at all.
	NeutralScore = 0.6
)

// QualityScore computes a person's quality score (0–1) and its parts:
//
//	csat       = (mean of the last 50 ratings − 1) / 4
//	qa         = mean of QA scores
//	acceptance = accepted / received offers
//	adherence  = attended / booked slots
//	score      = Σ wᵢ·partᵢ / Σ wᵢ over the parts that have data
func QualityScore(in QualityInputs) (float64, QualityParts) {
	var p QualityParts
	var sum, weights float64
	add := func(part **float64, v, w float64) {
		*part = &v
		sum += w * v
		weights += w
	}
	if n := min(len(in.CSAT), RatedWindow); n > 0 {
		total := 0
		for _, s := range in.CSAT[:n] {
			total += s
		}
		add(&p.CSAT, (float64(total)/float64(n)-1)/4, WeightCSAT)
		p.Ratings = n
	}
	if len(in.QA) > 0 {
		total := 0.0
		for _, s := range in.QA {
			total += s
		}
		add(&p.QA, total/float64(len(in.QA)), WeightQA)
	}
	if in.OffersReceived > 0 {
		add(&p.Acceptance, float64(in.OffersAccepted)/float64(in.OffersReceived), WeightAcceptance)
	}
	if in.SlotsBooked > 0 {
		add(&p.Adherence, float64(in.SlotsAttended)/float64(in.SlotsBooked), WeightAdherence)
	}
	if weights == 0 {
		return NeutralScore, p
	}
	return round4(sum / weights), p
}

func round4(v float64) float64 { return float64(int64(v*1e4+0.5)) / 1e4 }

// Floor rules: a certified person whose score stays below FloorScore for
// FloorPeriod (every score computed in it below, the first at least
// FloorPeriod ago), with at least FloorMinRatings ratings, loses the
// certification and is told why; passing the training again restores it.
const (
	FloorScore      = 0.4
	FloorPeriod     = 7 * 24 * time.Hour
	FloorMinRatings = 10
)

// BelowFloor reports whether a score history (oldest first, each with its
// time) stays under the floor for the whole floor period up to now.
func BelowFloor(history []ScorePoint, ratings int, now time.Time) bool {
	if ratings < FloorMinRatings || len(history) == 0 {
		return false
	}
	start := now.Add(-FloorPeriod)
	covered := false
	for _, h := range history {
		if !h.At.After(start) {
			covered = true // a point at or before the period's start
		}
		if h.At.After(start) && h.Score >= FloorScore {
			return false
		}
	}
	if !covered {
		return false
	}
	// The last point at or before the start must be below the floor too.
	var before *ScorePoint
	for i := range history {
		if !history[i].At.After(start) {
			before = &history[i]
		}
	}
	return before != nil && before.Score < FloorScore
}

// ScorePoint is one computed score.
type ScorePoint struct {
	Score float64   `json:"score"`
	Tier  string    `json:"tier"`
	At    time.Time `json:"at"`
}
