package model

import (
	"slices"
	"time"
)

// Frequency is how often a control operates, and so how often it needs
// fresh evidence.
type Frequency string

// The frequencies of a control.
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

// Frequencies lists every frequency, most frequent first.
func Frequencies() []Frequency {
	return []Frequency{FrequencyContinuous, FrequencyDaily, FrequencyWeekly, FrequencyMonthly,
		FrequencyQuarterly, FrequencySemiAnnual, FrequencyAnnual, FrequencyEventDriven}
}

// ParseFrequency accepts a frequency name.
func ParseFrequency(s string) (Frequency, error) {
	f := Frequency(s)
	if slices.Contains(Frequencies(), f) {
		return f, nil
	}
	return "", Invalid("frequency", "unknown frequency %q (use continuous, daily, weekly, monthly, quarterly, semi_annual, annual or event_driven)", s)
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

// EnumValues lists the frequencies for the API schema.
func (Frequency) EnumValues() []string {
	var out []string
	for _, f := range Frequencies() {
		out = append(out, string(f))
	}
	return out
}
