package model

import (
	"testing"
	"time"
)

func TestParseAuditType(t *testing.T) {
	for in, want := range map[string]AuditType{"1": AuditType1, "type 2": AuditType2, "Type-1": AuditType1, "II": AuditType2} {
		if got, err := ParseAuditType(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "3", "type", "one"} {
		if _, err := ParseAuditType(in); !IsValidation(err) {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestAuditWindow(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(DateLayout, s); return t }
	t2 := Audit{Type: AuditType2, PeriodFrom: "2026-01-01", PeriodTo: "2026-06-30"}
	if from, to := t2.Window(); !from.Equal(d("2026-01-01")) || !to.Equal(d("2026-07-01")) {
		t.Fatalf("Type 2 window: %v – %v (the last day is included)", from, to)
	}
	t1 := Audit{Type: AuditType1, AsOf: "2026-06-30"}
	if from, to := t1.Window(); !from.Equal(d("2026-07-01")) || !to.Equal(from) || !t1.AsOfInstant().Equal(d("2026-07-01").Add(-time.Microsecond)) {
		t.Fatalf("Type 1 window: %v – %v, instant %v", from, to, t1.AsOfInstant())
	}
	for _, c := range []struct {
		from, to string
		warn     bool
	}{{"2026-01-01", "2026-03-31", false}, {"2026-01-01", "2026-03-30", true}, {"2026-01-01", "2026-12-31", false}, {"2026-01-01", "2027-01-01", true}} {
		if got := AuditPeriodWarning(d(c.from), d(c.to)) != ""; got != c.warn {
			t.Errorf("%s – %s: warning %v, want %v", c.from, c.to, got, c.warn)
		}
	}
}
