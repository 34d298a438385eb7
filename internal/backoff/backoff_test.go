package backoff_test

import (
	"testing"
	"time"

	"github.com/tandem-desk/tandem/internal/backoff"
)

// TestDelayDoublesUpToTheCap checks the schedule itself, not wall-clock
// gaps: 20, 40, 80, 160, 160 … with the cap at 160, and jitter scales it.
func TestDelayDoublesUpToTheCap(t *testing.T) {
	ms := time.Millisecond
	for attempts, want := range []time.Duration{20 * ms, 40 * ms, 80 * ms, 160 * ms, 160 * ms, 160 * ms} {
		if got := backoff.Delay(attempts, 20*ms, 160*ms, 0); got != want {
			t.Errorf("Delay(%d) = %v, want %v", attempts, got, want)
		}
	}
	for _, tc := range []struct {
		attempts    int
		first, max  time.Duration
		jitter      float64
		want        time.Duration
		explanation string
	}{
		{2, 20 * ms, 160 * ms, 0.1, 88 * ms, "+10 % jitter"},
		{20, 30 * time.Second, time.Hour, -0.1, 54 * time.Minute, "-10 % jitter at the cap"},
		{40, 5 * time.Second, 12 * time.Hour, 0, 12 * time.Hour, "many failures stay at the cap"},
	} {
		if got := backoff.Delay(tc.attempts, tc.first, tc.max, tc.jitter); got != tc.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tc.explanation, tc.attempts, got, tc.want)
		}
	}
}

// TestNextGivesUpAtTheDeadline: the next try falls within ±10 % of the
// delay, and there is none once it would come after the deadline.
func TestNextGivesUpAtTheDeadline(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 100 {
		next := backoff.Next(now, 3, time.Second, time.Hour, now.Add(time.Hour))
		if next == nil {
			t.Fatal("gave up an hour early")
		}
		if d := next.Sub(now); d < 7200*time.Millisecond || d > 8800*time.Millisecond {
			t.Fatalf("next try after %v, want 8 s ± 10 %%", d)
		}
	}
	if next := backoff.Next(now, 3, time.Second, time.Hour, now.Add(7*time.Second)); next != nil {
		t.Errorf("a try at %v, after the deadline", next)
	}
}
