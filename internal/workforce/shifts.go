package workforce

import (
	"fmt"
	"time"
)

// SlotLength is the length of a shift slot.
const SlotLength = 30 * time.Minute

// ReleaseBefore is the release deadline: a booked slot may be given back
// until this long before it starts, so the gap can still be filled.
const ReleaseBefore = 2 * time.Hour

// Limits of opening slots at once.
const (
	MaxSlotsAtOnce = 7 * 48 // a week
	MaxHeadcount   = 1000
)

// CheckSlotStart tells why t cannot start a slot (slots start on the hour
// or the half hour), or nil.
func CheckSlotStart(t time.Time) error {
	if !t.Equal(t.Truncate(SlotLength)) {
		return fmt.Errorf("must be on the hour or the half hour (e.g. 2026-12-07T09:30:00Z)")
	}
	return nil
}

// Tiers, from a person's quality score with hysteresis.
const (
	TierNew      = "new"
	TierStandard = "standard"
	TierTrusted  = "trusted"
)

// tierBands: a person enters a tier when their score reaches Enter and
// leaves it only when it falls below Leave (< Enter), so a score that
// wobbles around a threshold does not flip the tier back and forth.
var tierBands = []struct {
	Tier         string
	Enter, Leave float64
}{
	{TierTrusted, 0.85, 0.80},
	{TierStandard, 0.60, 0.55},
}

// NextTier is the tier a person in tier cur moves to with score.
func NextTier(cur string, score float64) string {
	for _, b := range tierBands {
		if score >= b.Enter || (cur == b.Tier && score >= b.Leave) {
			return b.Tier
		}
	}
	return TierNew
}

// BookingHorizon is how far ahead the best-rated people may book.
const BookingHorizon = 14 * 24 * time.Hour

// HeadStart is how much earlier than the next tier down a tier may book:
// trusted people book slots up to BookingHorizon ahead, standard ones a
// day less, new ones two days less — better-rated people get first pick.
func HeadStart(tier string) time.Duration {
	switch tier {
	case TierTrusted:
		return 0
	case TierStandard:
		return 24 * time.Hour
	}
	return 48 * time.Hour
}

// BookableFrom is when a person of tier may book a slot starting at start.
func BookableFrom(start time.Time, tier string) time.Time {
	return start.Add(-BookingHorizon + HeadStart(tier))
}
