package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

func population(n int) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{Key: fmt.Sprintf("item-%03d", i), At: day("2026-01-01").Add(time.Duration(i) * time.Hour)}
	}
	return out
}

func indexes(items []model.SampleItem) []int {
	out := []int{}
	for _, it := range items {
		out = append(out, it.PopulationIndex)
	}
	return out
}

// The documented example: SHA-256("42:0") starts with 547345cae1cef372.
func TestPickIsTheDocumentedHash(t *testing.T) {
	if got := Pick(42, 0); got != 6085284259181818738 { // 0x547345cae1cef372
		t.Fatalf("Pick(42, 0) = %d", got)
	}
	// Stratum 0 of a population of 100 in a sample of 10 holds indexes 0–9:
	// 6085284259181818738 mod 10 = 8.
	if got := Draw(population(100), 10, 42)[0].PopulationIndex; got != 8 {
		t.Fatalf("first item: %d, want 8", got)
	}
}

func TestDrawIsReproducibleAndSpread(t *testing.T) {
	pop := population(100)
	a, b := Draw(pop, 10, 42), Draw(pop, 10, 42)
	if !slices.Equal(indexes(a), indexes(b)) {
		t.Fatalf("the same seed drew %v and %v", indexes(a), indexes(b))
	}
	if c := Draw(pop, 10, 43); slices.Equal(indexes(a), indexes(c)) {
		t.Fatalf("another seed drew the same items %v", indexes(c))
	}
	for j, it := range a {
		if it.Stratum != j || it.Position != j+1 || it.PopulationIndex < j*10 || it.PopulationIndex >= (j+1)*10 || it.Key != pop[it.PopulationIndex].Key {
			t.Fatalf("item %d is not from its stratum: %+v", j, it)
		}
	}
	// Uneven strata: 7 of 23 still spread, one per stratum, no repeats.
	u := Draw(population(23), 7, 5)
	seen := map[int]bool{}
	for j, it := range u {
		lo, hi := j*23/7, (j+1)*23/7
		if it.PopulationIndex < lo || it.PopulationIndex >= hi || seen[it.PopulationIndex] {
			t.Fatalf("uneven strata: %v", indexes(u))
		}
		seen[it.PopulationIndex] = true
	}
	// A population smaller than the sample is taken whole, in order.
	if all := Draw(population(3), 5, 1); !slices.Equal(indexes(all), []int{0, 1, 2}) {
		t.Fatalf("small population: %v", indexes(all))
	}
}

// Occurrence windows agree with model.Frequency.ExpectedOccurrences and
// cover the period without gaps or overlaps.
func TestOccurrenceWindowsMatchExpectedOccurrences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		from := day("2024-01-01").Add(time.Duration(r.IntN(900*24)) * time.Hour)
		to := from.Add(time.Duration(1+r.IntN(500*24)) * time.Hour)
		for _, f := range model.Frequencies() {
			ws := OccurrenceWindows(f, from, to)
			n, periodic := f.ExpectedOccurrences(from, to)
			if !periodic {
				if ws != nil {
					t.Fatalf("%s has windows", f)
				}
				continue
			}
			if len(ws) != n {
				t.Fatalf("%s %v – %v: %d windows, %d expected occurrences", f, from, to, len(ws), n)
			}
			if !ws[0].From.Equal(from) || !ws[len(ws)-1].To.Equal(to) {
				t.Fatalf("%s: windows do not cover the period", f)
			}
			for k := 1; k < len(ws); k++ {
				if !ws[k].From.Equal(ws[k-1].To) || !ws[k].To.After(ws[k].From) {
					t.Fatalf("%s: windows %d and %d do not follow each other", f, k-1, k)
				}
			}
		}
	}
	q := OccurrenceWindows(model.FrequencyQuarterly, day("2026-01-01"), day("2026-07-01"))
	if len(q) != 2 || !q[1].From.Equal(day("2026-04-01")) {
		t.Fatalf("two quarters: %+v", q)
	}
}

func TestSampleTable(t *testing.T) {
	tab := model.DefaultSampleTable()
	if err := tab.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    model.Frequency
		n    int
		want int
	}{
		{model.FrequencyAnnual, 1, 1}, {model.FrequencyQuarterly, 4, 2}, {model.FrequencyQuarterly, 2, 2}, {model.FrequencyQuarterly, 1, 1},
		{model.FrequencyMonthly, 12, 2}, {model.FrequencyWeekly, 52, 5}, {model.FrequencyDaily, 365, 25}, {model.FrequencyDaily, 10, 10},
		{model.FrequencyContinuous, 400, 25}, {model.FrequencyEventDriven, 3, 3}, {model.FrequencyEventDriven, 5, 5},
		{model.FrequencyEventDriven, 40, 5}, {model.FrequencyEventDriven, 101, 11}, {model.FrequencyEventDriven, 1000, 25},
		{model.FrequencyEventDriven, 0, 0},
	} {
		if got, rule := tab.SizeFor(c.f, c.n); got != c.want {
			t.Errorf("%s of %d: %d (%s), want %d", c.f, c.n, got, rule, c.want)
		}
	}
	bad := model.DefaultSampleTable()
	bad.Sizes[model.FrequencyWeekly] = 0
	if err := bad.Validate(); !model.IsValidation(err) {
		t.Fatalf("a zero size: %v", err)
	}
	bad = model.DefaultSampleTable()
	bad.EventDriven.Max = 1
	if err := bad.Validate(); !model.IsValidation(err) {
		t.Fatalf("max below min: %v", err)
	}
}

// In an audit: the size follows the audit's table for the control's
// frequency and population, the same seed draws the same sample and
// another seed another one.
func TestSamplesInAnAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2027-01-10"))
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-12-31"})
		seed := int64(7)
		draw := func(in SampleInput) model.Sample {
			t.Helper()
			sm, err := w.svc.DrawSample(ctx, w.owner, a.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			return sm
		}
		for _, c := range []struct {
			control string
			basis   model.SampleBasis
			pop     int
			size    int
		}{
			{"IAM-08", model.SampleOccurrences, 4, 2},  // quarterly
			{"IAM-09", model.SampleOccurrences, 12, 2}, // monthly
			{"BCP-02", model.SampleOccurrences, 365, 25},
			{"IAM-04", model.SampleDays, 365, 25}, // continuous, no population
		} {
			sm := draw(SampleInput{Control: c.control, Seed: &seed})
			if sm.Basis != c.basis || sm.PopulationSize != c.pop || sm.Size != c.size || len(sm.Items) != c.size || sm.Seed != 7 {
				t.Fatalf("%s: basis %s, population %d, size %d (%s)", c.control, sm.Basis, sm.PopulationSize, sm.Size, sm.Rule)
			}
		}
		a1 := draw(SampleInput{Control: "BCP-02", Seed: &seed})
		a2 := draw(SampleInput{Control: "BCP-02", Seed: &seed})
		other := int64(8)
		b := draw(SampleInput{Control: "BCP-02", Seed: &other})
		if !slices.Equal(indexes(a1.Items), indexes(a2.Items)) || a1.PopulationSHA256 != a2.PopulationSHA256 {
			t.Fatalf("same seed: %v vs %v", indexes(a1.Items), indexes(a2.Items))
		}
		if slices.Equal(indexes(a1.Items), indexes(b.Items)) {
			t.Fatalf("another seed drew the same days %v", indexes(b.Items))
		}
		// The days drawn are spread over the year: one per stratum.
		first, last := a1.Items[0].At, a1.Items[len(a1.Items)-1].At
		if !first.Before(day("2026-01-16")) || !last.After(day("2026-12-16")) {
			t.Fatalf("not spread: %v … %v", first, last)
		}
		// Without a seed one is drawn and stored.
		r := draw(SampleInput{Control: "IAM-08"})
		if r.Seed <= 0 {
			t.Fatalf("random seed: %d", r.Seed)
		}
		again := draw(SampleInput{Control: "IAM-08", Seed: &r.Seed})
		if !slices.Equal(indexes(r.Items), indexes(again.Items)) {
			t.Fatal("the stored seed does not draw the sample again")
		}
		// The audit firm changes its table: new samples follow it, old ones keep theirs.
		tab := model.DefaultSampleTable()
		tab.Sizes[model.FrequencyQuarterly] = 3
		if _, err := w.svc.SetSampling(ctx, w.owner, a.ID, tab); err != nil {
			t.Fatal(err)
		}
		if sm := draw(SampleInput{Control: "IAM-08", Seed: &seed}); sm.Size != 3 {
			t.Fatalf("after the table changed: %d", sm.Size)
		}
		old, err := w.svc.Sample(ctx, w.owner, a.ID, a1.ID)
		if err != nil || old.Size != 25 {
			t.Fatalf("an earlier sample changed: %d %v", old.Size, err)
		}
		// An event-driven control needs a population.
		if _, err := w.svc.DrawSample(ctx, w.owner, a.ID, SampleInput{Control: "IAM-07"}); !model.IsValidation(err) {
			t.Fatalf("event-driven without a population: %v", err)
		}
		// Type 1 audits are not sampled.
		t1 := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-12-31"})
		if _, err := w.svc.DrawSample(ctx, w.owner, t1.ID, SampleInput{Control: "IAM-08"}); !model.IsValidation(err) {
			t.Fatalf("Type 1 sample: %v", err)
		}
	})
}
