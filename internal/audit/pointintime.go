package audit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Point in time: a control's state, its tests' results and the evidence
// that counted "as of T", rebuilt from what the services keep over time —
// status intervals, exception lifetimes, evidence versions and effective
// dates — with the same roll-up rules as the live status.

// TestAt is one test of a control with its results at a moment.
type TestAt struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity model.Severity `json:"severity"`
	Counts   check.Counts   `json:"counts"`
	State    string         `json:"state"`
	// Failing lists the resources failing (or not judgeable) then.
	Failing []ResourceAt `json:"failing"`
}

// ResourceAt is a resource's result at a moment, since when.
type ResourceAt struct {
	ResourceID   int64            `json:"resource_id"`
	ResourceName string           `json:"resource_name"`
	ResourceType string           `json:"resource_type"`
	Status       model.TestStatus `json:"status"`
	Message      string           `json:"message"`
	Since        time.Time        `json:"since"`
	// ExceptionID is the exception that accepted the failure then (0: none).
	ExceptionID int64 `json:"exception_id,omitempty"`
}

// EvidenceRef is one version of an evidence item as an audit cites it.
type EvidenceRef struct {
	ItemID        int64              `json:"item_id"`
	Version       int                `json:"version"`
	Title         string             `json:"title"`
	Kind          model.EvidenceKind `json:"kind"`
	SHA256        string             `json:"sha256"`
	EffectiveFrom string             `json:"effective_from"`
	EffectiveTo   string             `json:"effective_to,omitempty"`
	ExpiresOn     string             `json:"expires_on,omitempty"`
	CapturedAt    time.Time          `json:"captured_at"`
	LedgerSeq     int64              `json:"ledger_seq"`
	// AddedAfter is true when the version was recorded after the moment it
	// speaks for (evidence added later about an earlier day).
	AddedAfter bool `json:"added_after,omitempty"`
}

// ExceptionRef is an accepted failure (a check exception) as an audit cites it.
type ExceptionRef struct {
	ID           int64      `json:"id"`
	TestID       string     `json:"test"`
	ResourceID   int64      `json:"resource_id,omitempty"`
	ResourceName string     `json:"resource_name,omitempty"`
	Reason       string     `json:"reason"`
	Approver     string     `json:"approver"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

func exceptionRef(e model.Exception) ExceptionRef {
	return ExceptionRef{ID: e.ID, TestID: e.TestID, ResourceID: e.ResourceID, ResourceName: e.ResourceName, Reason: e.Reason,
		Approver: e.Approver, CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt, RevokedAt: e.RevokedAt}
}

// PointInTime is a control's state at a moment.
type PointInTime struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"` // passing, failing, needs_evidence, not_tested (as for the live status)
	Reason string    `json:"reason"`
	Tests  []TestAt  `json:"tests"`
	// Evidence is the freshness of the control's evidence then, and the
	// versions that counted.
	Evidence      evidence.Freshness `json:"evidence"`
	EvidenceItems []EvidenceRef      `json:"evidence_items"`
	// Exceptions lists the exceptions active then for its tests.
	Exceptions []ExceptionRef `json:"exceptions"`
}

// facts is what the analysis of one organization reads once: its tests,
// exceptions, evidence and the intervals already read.
type facts struct {
	orgID      int64
	eng        *check.Engine
	exceptions []model.Exception
	items      []model.EvidenceItem
	versions   map[int64][]model.EvidenceVersion
	intervals  map[string][]model.StatusInterval // test id → intervals over the span read
	span       [2]time.Time
}

func (s *Service) loadFacts(ctx context.Context, orgID int64) (*facts, error) {
	f := &facts{orgID: orgID, versions: map[int64][]model.EvidenceVersion{}, intervals: map[string][]model.StatusInterval{}}
	var err error
	if f.eng, err = s.Checks.Engine(ctx, orgID); err != nil {
		return nil, err
	}
	o := s.Store.Org(orgID)
	if f.exceptions, err = o.Exceptions(ctx, store.ExceptionFilter{}); err != nil {
		return nil, err
	}
	if f.items, err = o.ListEvidence(ctx, store.EvidenceFilter{}); err != nil {
		return nil, err
	}
	vs, err := o.AllEvidenceVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		f.versions[v.ItemID] = append(f.versions[v.ItemID], v)
	}
	return f, nil
}

// testIntervals reads (once per span) a test's intervals overlapping [from, to).
func (s *Service) testIntervals(ctx context.Context, f *facts, testID string, from, to time.Time) ([]model.StatusInterval, error) {
	if f.span != [2]time.Time{from, to} {
		f.intervals, f.span = map[string][]model.StatusInterval{}, [2]time.Time{from, to}
	}
	if ivs, ok := f.intervals[testID]; ok {
		return ivs, nil
	}
	ivs, err := s.Checks.Intervals(ctx, f.orgID, testID, 0, from, to)
	if err != nil {
		return nil, err
	}
	f.intervals[testID] = ivs
	return ivs, nil
}

// exceptionAt is the exception accepting a test's failure for a resource at t (0: none).
func (f *facts) exceptionAt(testID string, resourceID int64, t time.Time) int64 {
	for _, e := range f.exceptions {
		if e.Covers(testID, resourceID) && e.ActiveAt(t) {
			return e.ID
		}
	}
	return 0
}

// pointInTime judges control c at t.
func (s *Service) pointInTime(ctx context.Context, f *facts, c model.AuditControl, t time.Time) (PointInTime, error) {
	pit := PointInTime{At: t, Tests: []TestAt{}, EvidenceItems: []EvidenceRef{}, Exceptions: []ExceptionRef{}}
	tests := check.TestsFor(f.eng, c.AsControl())
	var total check.Counts
	ids := map[string]bool{}
	for _, tt := range tests {
		ids[tt.ID] = true
		ivs, err := s.testIntervals(ctx, f, tt.ID, t, t.Add(time.Microsecond))
		if err != nil {
			return pit, err
		}
		ta := TestAt{ID: tt.ID, Title: tt.Title, Severity: tt.Severity, Failing: []ResourceAt{}}
		for _, iv := range ivs {
			if !iv.Covers(t) {
				continue
			}
			switch iv.Status {
			case model.TestPass:
				ta.Counts.Pass++
			case model.TestFail:
				ta.Counts.Fail++
			case model.TestError:
				ta.Counts.Error++
			case model.TestSkipped:
				ta.Counts.Skipped++
			}
			if iv.Status.Failing() {
				ra := ResourceAt{ResourceID: iv.ResourceID, ResourceName: iv.ResourceName, ResourceType: iv.ResourceType, Status: iv.Status,
					Message: iv.Message, Since: iv.From, ExceptionID: f.exceptionAt(tt.ID, iv.ResourceID, t)}
				if ra.ExceptionID != 0 {
					ta.Counts.Excepted++
				}
				ta.Failing = append(ta.Failing, ra)
			}
		}
		ta.State = testState(ta.Counts)
		total.Pass += ta.Counts.Pass
		total.Fail += ta.Counts.Fail
		total.Error += ta.Counts.Error
		total.Excepted += ta.Counts.Excepted
		pit.Tests = append(pit.Tests, ta)
	}
	for _, e := range f.exceptions {
		if ids[e.TestID] && e.ActiveAt(t) {
			pit.Exceptions = append(pit.Exceptions, exceptionRef(e))
		}
	}
	pit.Evidence, pit.EvidenceItems = f.evidenceAt(c.Key, c.Frequency, t)
	pit.State, pit.Reason = check.ControlState(c.AsControl(), total, len(tests), !pit.Evidence.NeedsEvidence(), &pit.Evidence)
	return pit, nil
}

func testState(c check.Counts) string {
	switch {
	case c.Failing() > 0:
		return "failing"
	case c.Pass > 0 || c.Excepted > 0:
		return "passing"
	default:
		return "not_run"
	}
}

// evidenceAt is a control's evidence freshness at t, judged on the versions
// that were current then: a version superseded after t still counts, one
// superseded before t gave way to the next; versions recorded after t but
// effective before it count too (and say so). The rules are the live
// ones (evidence.ValidUntil, evidence.FreshnessOf) with t as "now".
func (f *facts) evidenceAt(control string, freq model.Frequency, t time.Time) (evidence.Freshness, []EvidenceRef) {
	var synth []model.EvidenceItem
	refs := []EvidenceRef{}
	for _, it := range f.items {
		if !slices.Contains(it.Controls, control) {
			continue
		}
		var best *model.EvidenceVersion
		var bestItem model.EvidenceItem
		var bestUntil *time.Time
		for _, v := range f.versions[it.ID] {
			if v.DeletedAt != nil || (v.SupersededAt != nil && !v.SupersededAt.After(t)) {
				continue
			}
			vv, ii := v, it
			ii.DeletedAt = nil
			if vv.SupersededAt != nil {
				if it.Kind == model.EvidenceAutomated {
					end := *vv.SupersededAt
					ii.LastObservedAt = &end
				}
				vv.SupersededAt = nil
			}
			until, ok := evidence.ValidUntil(ii, vv, freq, t)
			if !ok {
				continue
			}
			if best == nil || later(until, bestUntil) {
				best, bestItem, bestUntil = &vv, ii, until
			}
		}
		if best == nil {
			continue
		}
		bestItem.Current = best
		synth = append(synth, bestItem)
		refs = append(refs, evidenceRef(it, *best, t))
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].ItemID < refs[j].ItemID })
	if !freq.Valid() {
		freq = model.FrequencyEventDriven
	}
	return evidence.FreshnessOf(control, freq, synth, t, 14*24*time.Hour), refs
}

// later reports whether until a is later than b (nil: never ends).
func later(a, b *time.Time) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	default:
		return a.After(*b)
	}
}

func evidenceRef(it model.EvidenceItem, v model.EvidenceVersion, t time.Time) EvidenceRef {
	return EvidenceRef{ItemID: it.ID, Version: v.Version, Title: it.Title, Kind: it.Kind, SHA256: v.SHA256, EffectiveFrom: v.EffectiveFrom,
		EffectiveTo: v.EffectiveTo, ExpiresOn: v.ExpiresOn, CapturedAt: v.CapturedAt, LedgerSeq: v.LedgerSeq,
		AddedAfter: !t.IsZero() && v.CreatedAt.After(t)}
}

// ---- The organization as of T (outside audits) ------------------------------

// ControlAt is a live control judged at a moment.
type ControlAt struct {
	Key       string          `json:"key"`
	Title     string          `json:"title"`
	Frequency model.Frequency `json:"frequency"`
	Nature    model.Nature    `json:"nature"`
	PointInTime
}

// Snapshot is the organization's control status, test results and
// effective evidence as of a moment.
type Snapshot struct {
	At       time.Time     `json:"at"`
	Controls []ControlAt   `json:"controls"`
	Tests    []TestAt      `json:"tests"`
	Evidence []EvidenceRef `json:"evidence"`
}

// AsOf rebuilds the organization's state at t: every active control's
// status (today's controls, judged on what held at t), every test's
// results, and the evidence versions effective then. key narrows it to one
// control (and its tests and evidence).
func (s *Service) AsOf(ctx context.Context, p model.Principal, t time.Time, key string) (Snapshot, error) {
	if !p.Can(model.PermView) {
		return Snapshot{}, fmt.Errorf("reading the state as of a date needs the viewer role or higher: %w", model.ErrForbidden)
	}
	t = t.UTC()
	if t.IsZero() {
		return Snapshot{}, model.Invalid("at", "give the moment: YYYY-MM-DD (end of that day, UTC) or an RFC 3339 time")
	}
	f, err := s.loadFacts(ctx, p.Org.ID)
	if err != nil {
		return Snapshot{}, err
	}
	controls, err := s.Store.Org(p.Org.ID).Controls(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{At: t, Controls: []ControlAt{}, Tests: []TestAt{}, Evidence: []EvidenceRef{}}
	found := key == ""
	for _, c := range controls {
		if c.Status == model.ControlRetired || (key != "" && c.Key != key) {
			continue
		}
		found = true
		pit, err := s.pointInTime(ctx, f, model.FreezeControl(c), t)
		if err != nil {
			return Snapshot{}, err
		}
		snap.Controls = append(snap.Controls, ControlAt{Key: c.Key, Title: c.Title, Frequency: c.Frequency, Nature: c.Nature, PointInTime: pit})
	}
	if !found {
		return Snapshot{}, fmt.Errorf("control %s: %w", key, model.ErrNotFound)
	}
	seen := map[string]bool{}
	addTest := func(ta TestAt) {
		if !seen[ta.ID] {
			seen[ta.ID] = true
			snap.Tests = append(snap.Tests, ta)
		}
	}
	if key != "" {
		for _, c := range snap.Controls {
			for _, ta := range c.Tests {
				addTest(ta)
			}
			snap.Evidence = append(snap.Evidence, c.EvidenceItems...)
		}
		return snap, nil
	}
	ivs, err := s.Checks.Intervals(ctx, p.Org.ID, "", 0, t, t.Add(time.Microsecond))
	if err != nil {
		return Snapshot{}, err
	}
	byTest := map[string]*TestAt{}
	var order []string
	for _, tt := range f.eng.Tests() {
		byTest[tt.ID] = &TestAt{ID: tt.ID, Title: tt.Title, Severity: tt.Severity, Failing: []ResourceAt{}}
		order = append(order, tt.ID)
	}
	for _, iv := range ivs {
		ta := byTest[iv.TestID]
		if ta == nil || !iv.Covers(t) {
			continue
		}
		switch iv.Status {
		case model.TestPass:
			ta.Counts.Pass++
		case model.TestFail:
			ta.Counts.Fail++
		case model.TestError:
			ta.Counts.Error++
		case model.TestSkipped:
			ta.Counts.Skipped++
		}
		if iv.Status.Failing() {
			ra := ResourceAt{ResourceID: iv.ResourceID, ResourceName: iv.ResourceName, ResourceType: iv.ResourceType, Status: iv.Status,
				Message: iv.Message, Since: iv.From, ExceptionID: f.exceptionAt(iv.TestID, iv.ResourceID, t)}
			if ra.ExceptionID != 0 {
				ta.Counts.Excepted++
			}
			ta.Failing = append(ta.Failing, ra)
		}
	}
	for _, id := range order {
		ta := byTest[id]
		if ta.Counts.Total() == 0 {
			continue
		}
		ta.State = testState(ta.Counts)
		addTest(*ta)
	}
	ev := map[[2]int64]bool{}
	for _, c := range snap.Controls {
		for _, r := range c.EvidenceItems {
			if k := [2]int64{r.ItemID, int64(r.Version)}; !ev[k] {
				ev[k] = true
				snap.Evidence = append(snap.Evidence, r)
			}
		}
	}
	sort.Slice(snap.Evidence, func(i, j int) bool { return snap.Evidence[i].ItemID < snap.Evidence[j].ItemID })
	return snap, nil
}

// ParseMoment reads "as of" input: a day (YYYY-MM-DD: the end of that day,
// UTC) or an RFC 3339 time.
func ParseMoment(field, s string) (time.Time, error) {
	if d, err := time.Parse(model.DateLayout, s); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, model.Invalid(field, "%q is not a day (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}
