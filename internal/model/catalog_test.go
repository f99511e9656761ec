package model

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCatalogEnums(t *testing.T) {
	for in, want := range map[string]Frequency{"semi-annual": FrequencySemiAnnual, " Daily ": FrequencyDaily, "event-driven": FrequencyEventDriven, "continuous": FrequencyContinuous} {
		if got, err := ParseFrequency(in); err != nil || got != want {
			t.Errorf("frequency %q → %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "hourly", "yearly"} {
		if _, err := ParseFrequency(bad); !IsValidation(err) {
			t.Errorf("frequency %q accepted", bad)
		}
	}
	if n, err := ParseNature("IT-dependent-manual"); err != nil || n != NatureITDependentManual || n.Label() != "IT-dependent manual" {
		t.Errorf("nature: %q %v", n, err)
	}
	if _, err := ParseNature("magic"); !IsValidation(err) {
		t.Error("unknown nature accepted")
	}
	if m, err := ParseSubserviceMethod("carve-out"); err != nil || m != CarveOut {
		t.Errorf("method: %q %v", m, err)
	}
	if _, err := ParseFramework("SOC2"); err != nil {
		t.Error("SOC2 in capitals refused")
	}
	if _, err := ParseFramework("iso27001"); !IsValidation(err) {
		t.Error("unknown framework accepted")
	}
	if len(Categories()) != 5 || Categories()[0] != CategorySecurity {
		t.Error("categories")
	}
}

func TestCategoriesAndSecurity(t *testing.T) {
	got, err := NormalizeCategories([]Category{"privacy", "security", " Availability ", "privacy"})
	if err != nil || !slices.Equal(got, []Category{"security", "availability", "privacy"}) {
		t.Fatalf("normalize: %v %v", got, err)
	}
	if _, err := NormalizeCategories([]Category{"uptime"}); !IsValidation(err) {
		t.Error("unknown category accepted")
	}
	err = CheckSOC2Categories([]Category{"availability"})
	if !IsValidation(err) || !strings.Contains(err.Error(), "Security cannot be removed") {
		t.Errorf("security removal: %v", err)
	}
}

func TestValidateControlKey(t *testing.T) {
	for _, ok := range []string{"IAM-01", "acme_2", "A.1"} {
		if err := ValidateControlKey(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "x/y", strings.Repeat("A", 33)} {
		if err := ValidateControlKey(bad); !IsValidation(err) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Audits use the frequency to count the occurrences a period should hold.
func TestExpectedOccurrences(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	year := [2]time.Time{d("2026-01-01"), d("2027-01-01")}
	cases := []struct {
		f        Frequency
		from, to time.Time
		want     int
		ok       bool
	}{
		{FrequencyDaily, year[0], year[1], 365, true},
		{FrequencyWeekly, year[0], year[1], 52, true}, // Mondays in 2026
		{FrequencyMonthly, year[0], year[1], 12, true},
		{FrequencyQuarterly, year[0], year[1], 4, true},
		{FrequencySemiAnnual, year[0], year[1], 2, true},
		{FrequencyAnnual, year[0], year[1], 1, true},
		{FrequencyQuarterly, d("2026-02-15"), d("2026-08-15"), 2, true}, // April and July start inside
		{FrequencyMonthly, d("2026-03-10"), d("2026-03-20"), 1, true},   // shorter than a month: the one in progress
		{FrequencyAnnual, d("2026-07-01"), d("2027-06-30"), 1, true},
		{FrequencyContinuous, year[0], year[1], 0, false},
		{FrequencyEventDriven, year[0], year[1], 0, false},
		{FrequencyDaily, year[1], year[0], 0, true},
	}
	for _, c := range cases {
		got, ok := c.f.ExpectedOccurrences(c.from, c.to)
		if got != c.want || ok != c.ok {
			t.Errorf("%s %s–%s: %d %v, want %d %v", c.f, c.from.Format(time.DateOnly), c.to.Format(time.DateOnly), got, ok, c.want, c.ok)
		}
	}
}
