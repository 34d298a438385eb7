// Package backoff is the retry schedule of Tandem's outboxes: the webhook
// sender and the follow-up mail sender try a failed send again after a
// delay that doubles with every failure up to a cap, with jitter so that
// sends which failed together are not retried in lockstep, until a
// deadline passes.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay is the wait before the next try of something that failed attempts
// times before: first, doubling each time up to max, then scaled by
// 1+jitter.
func Delay(attempts int, first, max time.Duration, jitter float64) time.Duration {
	delay := first
	for i := 0; i < attempts && delay < max; i++ {
		delay *= 2
	}
	delay = min(delay, max)
	return delay + time.Duration(jitter*float64(delay))
}

// Next is when to try again after a failure at now, with the jitter drawn
// in ±10 %, or nil to give up because that would be after giveUpAt.
func Next(now time.Time, attempts int, first, max time.Duration, giveUpAt time.Time) *time.Time {
	next := now.Add(Delay(attempts, first, max, rand.Float64()*0.2-0.1))
	if next.After(giveUpAt) {
		return nil
	}
	return &next
}
