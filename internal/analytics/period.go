package analytics

import (
	"errors"
	"fmt"
	"time"
)

// DefaultDays is the period of a report that names none: the last 30 days.
const DefaultDays = 30

// MaxDays bounds a report's period.
const MaxDays = 366

// ParsePeriod reads a report's from, to and tz. from and to are dates
// (YYYY-MM-DD; to inclusive: the period ends when that day ends in tz) or
// RFC 3339 times (to exclusive). tz is an IANA zone name, default UTC.
// Without from and to the period is the DefaultDays days up to today.
func ParsePeriod(from, to, tz string, now time.Time) (start, end time.Time, loc *time.Location, err error) {
	loc = time.UTC
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return start, end, nil, fmt.Errorf("tz: unknown time zone %q", tz)
		}
	}
	today := now.In(loc)
	end = time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, loc)
	if to != "" {
		if end, err = parseBound(to, loc, true); err != nil {
			return start, end, nil, fmt.Errorf("to: %w", err)
		}
	}
	e := end.In(loc)
	start = time.Date(e.Year(), e.Month(), e.Day()-DefaultDays, 0, 0, 0, 0, loc)
	if from != "" {
		if start, err = parseBound(from, loc, false); err != nil {
			return start, end, nil, fmt.Errorf("from: %w", err)
		}
	}
	if !start.Before(end) {
		return start, end, nil, errors.New("from: must be before to")
	}
	if end.Sub(start) > MaxDays*24*time.Hour+time.Hour {
		return start, end, nil, fmt.Errorf("to: the period may be at most %d days", MaxDays)
	}
	return start, end, loc, nil
}

func parseBound(v string, loc *time.Location, endOfDay bool) (time.Time, error) {
	if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if endOfDay {
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", v)
	}
	return t, nil
}
