package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// SampleInput asks for a sample of one control.
type SampleInput struct {
	Control string `json:"control"`
	// Seed makes the selection reproducible; nil draws a random one (stored).
	Seed *int64 `json:"seed,omitempty"`
	// PopulationID draws from a stored population instead of the default
	// (docs/audits.md says which population a control is sampled from).
	PopulationID int64 `json:"population_id,omitempty"`
}

// DrawSample selects items to test for one control of a Type 2 audit, with
// the size from the audit's table for the control's frequency and the
// population's size, spread across the period, reproducibly from the seed.
func (s *Service) DrawSample(ctx context.Context, p model.Principal, auditID int64, in SampleInput) (model.Sample, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Sample{}, err
	}
	if a.Type != model.AuditType2 {
		return model.Sample{}, model.Invalid("audit", "samples test operation over a period: they belong to Type 2 audits (a Type 1 examines design as of %s)", a.AsOf)
	}
	c, ok := a.Control(strings.TrimSpace(in.Control))
	if !ok {
		return model.Sample{}, model.Invalid("control", "%q is not in the audit's control set (see `assure audit show %d`)", in.Control, a.ID)
	}
	pop, err := s.samplePopulation(ctx, p, a, c, in.PopulationID)
	if err != nil {
		return model.Sample{}, err
	}
	if len(pop.items) == 0 {
		return model.Sample{}, model.Invalid("population", "the population to sample %s from is empty (%s): nothing to test", c.Key, pop.what)
	}
	seed := NewSeed()
	if in.Seed != nil {
		if *in.Seed < 0 {
			return model.Sample{}, model.Invalid("seed", "use a seed of 0 or more")
		}
		seed = *in.Seed
	}
	freq := c.Frequency
	size, rule := a.Sampling.SizeFor(freq, len(pop.items))
	now := s.now()
	sm := model.Sample{AuditID: a.ID, ControlKey: c.Key, Frequency: freq, Basis: pop.basis, PopulationID: pop.id, PopulationSHA256: pop.sha256,
		PopulationSize: len(pop.items), Seed: seed, Size: size, Rule: rule, Items: Draw(pop.items, size, seed), CreatedAt: now,
		CreatedBy: actorName(p.Actor())}
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if sm.ID, err = tx.InsertSample(ctx, sm); err != nil {
			return err
		}
		idx := make([]int, len(sm.Items))
		for i, it := range sm.Items {
			idx[i] = it.PopulationIndex
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindSampleDrawn, a.ID, now, map[string]any{
			"sample_id": sm.ID, "control": c.Key, "basis": string(pop.basis), "population_id": pop.id, "population_sha256": pop.sha256,
			"population_size": len(pop.items), "seed": seed, "size": size, "population_indexes": idx,
		})
	})
	if err != nil {
		return model.Sample{}, err
	}
	return s.Store.Org(a.OrgID).Sample(ctx, a.ID, sm.ID)
}

type samplePop struct {
	basis  model.SampleBasis
	id     int64
	sha256 string
	items  []Candidate
	what   string
}

// samplePopulation is what a control is sampled from: the population
// given; else, for an event-driven control, the latest population linked
// to it; for a continuous control, the latest linked population or else
// the days of the period; for a periodic control, its occurrence windows.
func (s *Service) samplePopulation(ctx context.Context, p model.Principal, a model.Audit, c model.AuditControl, popID int64) (samplePop, error) {
	from, to := a.Window()
	if popID == 0 && (c.Frequency == model.FrequencyEventDriven || c.Frequency == model.FrequencyContinuous) {
		pops, err := s.Store.Org(a.OrgID).Populations(ctx, a.ID)
		if err != nil {
			return samplePop{}, err
		}
		for _, pp := range pops { // newest first
			for _, k := range pp.Controls {
				if k == c.Key && popID == 0 {
					popID = pp.ID
				}
			}
		}
		if popID == 0 && c.Frequency == model.FrequencyEventDriven {
			return samplePop{}, model.Invalid("population", "%s is event-driven: its sample comes from a population of events. Pull one first (assure audit population %d --kind …, linking --control %s) or name it with --population ID",
				c.Key, a.ID, c.Key)
		}
	}
	if popID != 0 {
		pop, file, err := s.Population(ctx, p, a.ID, popID)
		if err != nil {
			return samplePop{}, err
		}
		sp := samplePop{basis: model.SamplePopulation, id: pop.ID, sha256: pop.SHA256, what: fmt.Sprintf("population %d, %s", pop.ID, pop.Kind)}
		for _, it := range file.Items {
			sp.items = append(sp.items, Candidate{Key: it.Key, Label: it.Label, At: it.OccurredAt, ResourceID: it.ResourceID})
		}
		SortPopulation(sp.items) // already in this order; kept explicit
		return sp, nil
	}
	var ws []Window
	sp := samplePop{basis: model.SampleOccurrences}
	if c.Frequency == model.FrequencyContinuous {
		sp.basis, ws, sp.what = model.SampleDays, Days(from, to), "the days of the period"
	} else {
		ws, sp.what = OccurrenceWindows(c.Frequency, from, to), "the "+c.Frequency.Label()+" occurrences in the period"
	}
	h := sha256.New()
	for i, w := range ws {
		to := w.To
		key := fmt.Sprintf("%s/%s", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
		sp.items = append(sp.items, Candidate{Key: key, Label: windowLabel(c.Frequency, i, w), At: w.From, To: &to})
		fmt.Fprintf(h, "%s\n", key)
	}
	sp.sha256 = hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

// windowLabel names a window for people ("2026-Q2", "2026-03", "week of 2026-03-02").
func windowLabel(f model.Frequency, i int, w Window) string {
	d := w.From
	switch f {
	case model.FrequencyDaily, model.FrequencyContinuous:
		return d.Format(model.DateLayout)
	case model.FrequencyWeekly:
		return "week of " + d.Format(model.DateLayout)
	case model.FrequencyMonthly:
		return w.To.Add(-time.Nanosecond).Format("2006-01")
	case model.FrequencyQuarterly:
		e := w.To.Add(-time.Nanosecond)
		return fmt.Sprintf("%d-Q%d", e.Year(), (int(e.Month())-1)/3+1)
	case model.FrequencySemiAnnual:
		e := w.To.Add(-time.Nanosecond)
		return fmt.Sprintf("%d-H%d", e.Year(), (int(e.Month())-1)/6+1)
	}
	return fmt.Sprintf("occurrence %d (%s – %s)", i+1, w.From.Format(model.DateLayout), w.To.Add(-time.Nanosecond).Format(model.DateLayout))
}

// Samples lists an audit's samples (of one control, or all for ""), newest first.
func (s *Service) Samples(ctx context.Context, p model.Principal, id int64) ([]model.Sample, error) {
	return s.SamplesOf(ctx, p, id, "")
}

// SamplesOf lists an audit's samples of one control ("" : all), newest first.
func (s *Service) SamplesOf(ctx context.Context, p model.Principal, id int64, control string) ([]model.Sample, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.Store.Org(a.OrgID).Samples(ctx, a.ID, control)
}

// Sample reads one sample.
func (s *Service) Sample(ctx context.Context, p model.Principal, auditID, id int64) (model.Sample, error) {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return model.Sample{}, err
	}
	return s.Store.Org(a.OrgID).Sample(ctx, a.ID, id)
}

// ResultInput is the auditor's result for one sampled item.
type ResultInput struct {
	Result model.SampleResult `json:"result"`
	Note   string             `json:"note"`
}

// RecordResult records the result of item position (1…size) of a sample:
// pass, exception (with a note saying what deviated), or pending again.
func (s *Service) RecordResult(ctx context.Context, p model.Principal, auditID, sampleID int64, position int, in ResultInput) (model.Sample, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Sample{}, err
	}
	res, err := model.ParseSampleResult(string(in.Result))
	if err != nil {
		return model.Sample{}, err
	}
	note := strings.TrimSpace(in.Note)
	if res == model.ResultException && note == "" {
		return model.Sample{}, model.Invalid("note", "say what deviated (for example \"access removed 9 days after termination, policy says 1\")")
	}
	if len(note) > 5000 {
		return model.Sample{}, model.Invalid("note", "must be at most 5,000 characters")
	}
	sm, err := s.Store.Org(a.OrgID).Sample(ctx, a.ID, sampleID)
	if err != nil {
		return model.Sample{}, err
	}
	if position < 1 || position > len(sm.Items) {
		return model.Sample{}, fmt.Errorf("sample %d has items 1 to %d, not %d: %w", sampleID, len(sm.Items), position, model.ErrNotFound)
	}
	now := s.now()
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.SetSampleResult(ctx, sampleID, position, res, note, actorName(p.Actor()), now); err != nil {
			return err
		}
		it := sm.Items[position-1]
		return s.record(ctx, tx.Store(), tx.ID(), p, KindSampleResult, a.ID, now, map[string]any{
			"sample_id": sampleID, "control": sm.ControlKey, "position": position, "item": it.Key, "result": string(res), "note": note,
		})
	})
	if err != nil {
		return model.Sample{}, err
	}
	return s.Store.Org(a.OrgID).Sample(ctx, a.ID, sampleID)
}
