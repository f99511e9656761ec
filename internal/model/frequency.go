package model

import (
	"slices"
	"strings"
	"time"
)

// Frequency is how often a control operates: audits use it to compute how
// many occurrences a period should contain, evidence to know when it goes
// stale.
type Frequency string

const (
	FrequencyContinuous  Frequency = "continuous"
	FrequencyDaily       Frequency = "daily"
	FrequencyWeekly      Frequency = "weekly"
	FrequencyMonthly     Frequency = "monthly"
	FrequencyQuarterly   Frequency = "quarterly"
	FrequencySemiAnnual  Frequency = "semi_annual"
	FrequencyAnnual      Frequency = "annual"
	FrequencyEventDriven Frequency = "event_driven"
)

// Frequencies lists the frequencies from most to least frequent, then event-driven.
func Frequencies() []Frequency {
	return []Frequency{FrequencyContinuous, FrequencyDaily, FrequencyWeekly, FrequencyMonthly, FrequencyQuarterly,
		FrequencySemiAnnual, FrequencyAnnual, FrequencyEventDriven}
}

// ParseFrequency accepts a frequency ("semi-annual" and "event-driven" too).
func ParseFrequency(s string) (Frequency, error) {
	f := Frequency(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if slices.Contains(Frequencies(), f) {
		return f, nil
	}
	return "", Invalid("frequency", "unknown frequency %q (use continuous, daily, weekly, monthly, quarterly, semi_annual, annual or event_driven)", s)
}

// EnumValues lists the frequencies for the API schema.
func (Frequency) EnumValues() []string { return enumStrings(Frequencies()) }

// Label is the frequency for people ("semi-annual").
func (f Frequency) Label() string { return strings.ReplaceAll(string(f), "_", "-") }

// Periodic reports whether the control runs on a calendar (daily to annual),
// so that a period has a countable number of occurrences.
func (f Frequency) Periodic() bool {
	return f != FrequencyContinuous && f != FrequencyEventDriven && slices.Contains(Frequencies(), f)
}

// ExpectedOccurrences is how many times a periodic control should have
// operated in [from, to): whole days, ISO weeks, calendar months, quarters,
// half-years or years that start inside the period (a period of one year
// holds 12 monthly occurrences). Continuous and event-driven controls have no
// calendar: it returns 0 and false, and their population comes from the
// events or from continuous monitoring instead.
func (f Frequency) ExpectedOccurrences(from, to time.Time) (int, bool) {
	if !f.Periodic() {
		return 0, false
	}
	if !to.After(from) {
		return 0, true
	}
	from, to = from.UTC(), to.UTC()
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	// first returns the first boundary at or after from; next steps one unit.
	var first func(time.Time) time.Time
	var next func(time.Time) time.Time
	months := func(n int) {
		first = func(t time.Time) time.Time {
			m := (int(t.Month()) - 1) / n * n
			b := time.Date(t.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
			if b.Before(t) {
				b = b.AddDate(0, n, 0)
			}
			return b
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, n, 0) }
	}
	switch f {
	case FrequencyDaily:
		first = func(t time.Time) time.Time {
			if b := day(t); !b.Before(t) {
				return b
			}
			return day(t).AddDate(0, 0, 1)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case FrequencyWeekly:
		first = func(t time.Time) time.Time {
			b := day(t)
			for b.Weekday() != time.Monday || b.Before(t) {
				b = b.AddDate(0, 0, 1)
			}
			return b
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case FrequencyMonthly:
		months(1)
	case FrequencyQuarterly:
		months(3)
	case FrequencySemiAnnual:
		months(6)
	case FrequencyAnnual:
		months(12)
	}
	n := 0
	for b := first(from); b.Before(to); b = next(b) {
		n++
	}
	if n == 0 {
		// A period shorter than one unit still holds the occurrence in progress.
		n = 1
	}
	return n, true
}

// Valid reports whether f is a known frequency.
func (f Frequency) Valid() bool { return slices.Contains(Frequencies(), f) }

// Covers returns the moment until which evidence for a period ending at end
// stays current for a control of this frequency: the next occurrence is due
// one period later. Continuous controls are observed at least daily. ok is
// false for event-driven controls, whose evidence does not age by the
// calendar (only an explicit expiry ends it).
func (f Frequency) Covers(end time.Time) (until time.Time, ok bool) {
	switch f {
	case FrequencyContinuous, FrequencyDaily:
		return end.AddDate(0, 0, 1), true
	case FrequencyWeekly:
		return end.AddDate(0, 0, 7), true
	case FrequencyMonthly:
		return end.AddDate(0, 1, 0), true
	case FrequencyQuarterly:
		return end.AddDate(0, 3, 0), true
	case FrequencySemiAnnual:
		return end.AddDate(0, 6, 0), true
	case FrequencyAnnual:
		return end.AddDate(1, 0, 0), true
	}
	return time.Time{}, false
}
