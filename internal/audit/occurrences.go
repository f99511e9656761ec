package audit

import (
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Window is one occurrence window of a periodic control: the span of the
// period in which one occurrence is expected.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// OccurrenceWindows splits [from, to) into the windows in which a control
// of frequency f is expected to operate, one per occurrence that
// model.Frequency.ExpectedOccurrences counts: each calendar unit (UTC day,
// ISO week from Monday, month, quarter, half-year, year) that starts inside
// the period opens a window that runs to the next unit's start (the last
// one to the end of the period). The part of the period before the first
// unit starts belongs to the first window, so the windows cover the whole
// period; a period shorter than one unit with no unit starting inside it is
// one window. Continuous and event-driven controls have no calendar: nil.
func OccurrenceWindows(f model.Frequency, from, to time.Time) []Window {
	if !f.Periodic() || !to.After(from) {
		return nil
	}
	from, to = from.UTC(), to.UTC()
	var bounds []time.Time
	for b := firstBoundary(f, from); b.Before(to); b = nextBoundary(f, b) {
		bounds = append(bounds, b)
	}
	if len(bounds) == 0 {
		return []Window{{From: from, To: to}}
	}
	out := make([]Window, len(bounds))
	for i, b := range bounds {
		end := to
		if i+1 < len(bounds) {
			end = bounds[i+1]
		}
		out[i] = Window{From: b, To: end}
	}
	out[0].From = from
	return out
}

// firstBoundary is the first start of a calendar unit of f at or after t.
func firstBoundary(f model.Frequency, t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	months := func(n int) time.Time {
		m := (int(t.Month()) - 1) / n * n
		b := time.Date(t.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
		if b.Before(t) {
			b = b.AddDate(0, n, 0)
		}
		return b
	}
	switch f {
	case model.FrequencyDaily:
		if day.Before(t) {
			return day.AddDate(0, 0, 1)
		}
		return day
	case model.FrequencyWeekly:
		b := day
		for b.Weekday() != time.Monday || b.Before(t) {
			b = b.AddDate(0, 0, 1)
		}
		return b
	case model.FrequencyMonthly:
		return months(1)
	case model.FrequencyQuarterly:
		return months(3)
	case model.FrequencySemiAnnual:
		return months(6)
	default: // annual
		return months(12)
	}
}

func nextBoundary(f model.Frequency, b time.Time) time.Time {
	switch f {
	case model.FrequencyDaily:
		return b.AddDate(0, 0, 1)
	case model.FrequencyWeekly:
		return b.AddDate(0, 0, 7)
	case model.FrequencyMonthly:
		return b.AddDate(0, 1, 0)
	case model.FrequencyQuarterly:
		return b.AddDate(0, 3, 0)
	case model.FrequencySemiAnnual:
		return b.AddDate(0, 6, 0)
	default:
		return b.AddDate(1, 0, 0)
	}
}

// Days splits [from, to) into UTC days (the first and last may be partial):
// the population a continuous control is sampled from when it has no
// population of events.
func Days(from, to time.Time) []Window {
	return OccurrenceWindows(model.FrequencyDaily, from, to)
}
