package check

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

func need(p model.Principal, perm model.Permission, what string) error {
	if !p.Can(perm) {
		return fmt.Errorf("%s needs the %s permission, which your role (%s) does not have: %w", what, perm, p.Role, model.ErrForbidden)
	}
	return nil
}

// Counts are a test's current results by status.
type Counts struct {
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Error    int `json:"error"`
	Skipped  int `json:"skipped"`
	Excepted int `json:"excepted"` // failing results under an active exception (also in Fail or Error)
}

// Failing counts the failing results that no exception covers.
func (c Counts) Failing() int { return c.Fail + c.Error - c.Excepted }

// Total counts every judged resource.
func (c Counts) Total() int { return c.Pass + c.Fail + c.Error + c.Skipped }

// TestSummary is a test with its current results.
type TestSummary struct {
	Test
	Counts Counts `json:"counts"`
	// State is failing (a failure not excepted), passing (passes and no
	// failure), or not_run (no resource judged yet, or only skipped ones).
	State string `json:"state"`
}

func stateOf(c Counts) string {
	switch {
	case c.Failing() > 0:
		return "failing"
	case c.Pass > 0 || c.Excepted > 0:
		return "passing"
	default:
		return "not_run"
	}
}

// current reads the organization's current results with the exceptions
// that apply now.
func (s *Service) current(ctx context.Context, orgID int64, testID string) ([]store.CurrentResult, []model.Exception, error) {
	ost := s.Store.Org(orgID)
	cur, err := ost.CurrentResults(ctx, testID)
	if err != nil {
		return nil, nil, err
	}
	ex, err := ost.Exceptions(ctx, store.ExceptionFilter{TestID: testID})
	return cur, ex, err
}

func countsByTest(cur []store.CurrentResult, ex []model.Exception, now time.Time) map[string]*Counts {
	out := map[string]*Counts{}
	for _, r := range cur {
		c := out[r.TestID]
		if c == nil {
			c = &Counts{}
			out[r.TestID] = c
		}
		switch r.Status {
		case model.TestPass:
			c.Pass++
		case model.TestFail:
			c.Fail++
		case model.TestError:
			c.Error++
		case model.TestSkipped:
			c.Skipped++
		}
		if r.Status.Failing() && activeException(ex, r.TestID, r.ResourceID, now) != 0 {
			c.Excepted++
		}
	}
	return out
}

// TestFilter narrows the tests list.
type TestFilter struct {
	State        string         // failing, passing, not_run
	Severity     model.Severity // this severity only
	Control      string         // supports this control key
	ResourceType string
	Query        string // part of the id or title
}

// Tests lists the organization's tests with their current results, failing
// first (most severe first), then by id.
func (s *Service) Tests(ctx context.Context, p model.Principal, f TestFilter) ([]TestSummary, error) {
	if err := need(p, model.PermView, "listing tests"); err != nil {
		return nil, err
	}
	eng, err := s.engine(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	cur, ex, err := s.current(ctx, p.Org.ID, "")
	if err != nil {
		return nil, err
	}
	counts := countsByTest(cur, ex, s.Now())
	out := []TestSummary{}
	for _, t := range eng.Tests() {
		ts := TestSummary{Test: t}
		if c := counts[t.ID]; c != nil {
			ts.Counts = *c
		}
		ts.State = stateOf(ts.Counts)
		if !f.matches(ts) {
			continue
		}
		out = append(out, ts)
	}
	rank := map[string]int{"failing": 0, "passing": 1, "not_run": 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.State] != rank[b.State] {
			return rank[a.State] < rank[b.State]
		}
		if a.Severity != b.Severity {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		return a.ID < b.ID
	})
	return out, nil
}

func (f TestFilter) matches(t TestSummary) bool {
	if f.State != "" && t.State != f.State {
		return false
	}
	if f.Severity != "" && t.Severity != f.Severity {
		return false
	}
	if f.Control != "" && !slices.Contains(t.Controls, f.Control) {
		return false
	}
	if f.ResourceType != "" && !slices.Contains(t.ResourceTypes, f.ResourceType) {
		return false
	}
	if f.Query != "" && !containsFold(t.ID, f.Query) && !containsFold(t.Title, f.Query) {
		return false
	}
	return true
}

// ResourceResult is a resource's current result in a test, since when.
type ResourceResult struct {
	ResourceID   int64            `json:"resource_id"`
	Resource     string           `json:"resource"`
	ResourceName string           `json:"resource_name"`
	ResourceType string           `json:"resource_type"`
	Integration  string           `json:"integration"`
	Status       model.TestStatus `json:"status"`
	Message      string           `json:"message"`
	Since        time.Time        `json:"since"`
	ExceptionID  int64            `json:"exception_id,omitempty"`
}

// Segment is a span of one status in a timeline.
type Segment struct {
	From   time.Time        `json:"from"`
	To     time.Time        `json:"to"`
	Status model.TestStatus `json:"status"`
}

// TimelineRow is one resource's statuses over a period.
type TimelineRow struct {
	ResourceID   int64     `json:"resource_id"`
	ResourceName string    `json:"resource_name"`
	Segments     []Segment `json:"segments"`
	// Failing is how long it failed (fail or error) within the period.
	Failing model.Duration `json:"failing"`
}

// TestDetail is a test's page: its definition, each resource's status
// since when, a timeline of the period, its exceptions and recent changes.
type TestDetail struct {
	TestSummary
	Results    []ResourceResult     `json:"results"`
	From       time.Time            `json:"timeline_from"`
	To         time.Time            `json:"timeline_to"`
	Timeline   []TimelineRow        `json:"timeline"`
	Exceptions []ExceptionView      `json:"exceptions"`
	Changes    []model.StatusChange `json:"changes"`
}

// TimelineDays is how far back a test's page looks.
const TimelineDays = 90

// TestDetail reads one test with its results and 90-day timeline.
func (s *Service) TestDetail(ctx context.Context, p model.Principal, id string) (TestDetail, error) {
	if err := need(p, model.PermView, "reading a test"); err != nil {
		return TestDetail{}, err
	}
	eng, err := s.engine(ctx, p.Org.ID)
	if err != nil {
		return TestDetail{}, err
	}
	t, ok := eng.Test(id)
	if !ok {
		return TestDetail{}, fmt.Errorf("test %q: %w", id, model.ErrNotFound)
	}
	now := s.Now()
	cur, ex, err := s.current(ctx, p.Org.ID, id)
	if err != nil {
		return TestDetail{}, err
	}
	d := TestDetail{TestSummary: TestSummary{Test: t}, Results: []ResourceResult{}, Exceptions: exceptionViews(ex, now)}
	if c := countsByTest(cur, ex, now)[id]; c != nil {
		d.Counts = *c
	}
	d.State = stateOf(d.Counts)
	for _, r := range cur {
		rr := ResourceResult{ResourceID: r.ResourceID, Resource: r.ExternalID, ResourceName: r.ResourceName, ResourceType: r.ResourceType,
			Integration: r.Integration, Status: r.Status, Message: r.Message, Since: r.From}
		if r.Status.Failing() {
			rr.ExceptionID = activeException(ex, id, r.ResourceID, now)
		}
		d.Results = append(d.Results, rr)
	}
	d.To = now
	d.From = now.AddDate(0, 0, -TimelineDays)
	ivs, err := s.Store.Org(p.Org.ID).Intervals(ctx, store.IntervalFilter{TestID: id, From: d.From, To: d.To})
	if err != nil {
		return TestDetail{}, err
	}
	d.Timeline = timeline(ivs, d.From, d.To)
	if d.Changes, err = s.Store.Org(p.Org.ID).StatusChanges(ctx, store.StatusChangeFilter{TestID: id, Limit: 50}); err != nil {
		return TestDetail{}, err
	}
	return d, nil
}

// timeline groups intervals (ordered by resource, then start) into rows,
// clipped to [from, to).
func timeline(ivs []model.StatusInterval, from, to time.Time) []TimelineRow {
	out := []TimelineRow{}
	idx := map[int64]int{}
	for _, iv := range ivs {
		i, ok := idx[iv.ResourceID]
		if !ok {
			i = len(out)
			idx[iv.ResourceID] = i
			out = append(out, TimelineRow{ResourceID: iv.ResourceID, ResourceName: iv.ResourceName, Segments: []Segment{}})
		}
		start, end := iv.From, to
		if iv.To != nil && iv.To.Before(end) {
			end = *iv.To
		}
		if start.Before(from) {
			start = from
		}
		if !end.After(start) {
			continue
		}
		out[i].Segments = append(out[i].Segments, Segment{From: start, To: end, Status: iv.Status})
		if iv.Status.Failing() {
			out[i].Failing += model.Duration(end.Sub(start))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Failing != out[j].Failing {
			return out[i].Failing > out[j].Failing
		}
		return out[i].ResourceName < out[j].ResourceName
	})
	return out
}

// ---- Point in time (for audits) --------------------------------------------

// StatusAt is a test's status for a resource at t (false when it had none).
func (s *Service) StatusAt(ctx context.Context, orgID int64, testID string, resourceID int64, t time.Time) (model.StatusInterval, bool, error) {
	ivs, err := s.Store.Org(orgID).Intervals(ctx, store.IntervalFilter{TestID: testID, ResourceID: resourceID, From: t, To: t.Add(time.Microsecond)})
	if err != nil || len(ivs) == 0 {
		return model.StatusInterval{}, false, err
	}
	return ivs[0], true, nil
}

// Intervals lists the status intervals overlapping [from, to) of a test
// ("" : all) and resource (0: all).
func (s *Service) Intervals(ctx context.Context, orgID int64, testID string, resourceID int64, from, to time.Time) ([]model.StatusInterval, error) {
	return s.Store.Org(orgID).Intervals(ctx, store.IntervalFilter{TestID: testID, ResourceID: resourceID, From: from, To: to})
}

// TimeFailing is how long a test failed (fail or error) within [from, to)
// for one resource (0: summed over every resource).
func (s *Service) TimeFailing(ctx context.Context, orgID int64, testID string, resourceID int64, from, to time.Time) (time.Duration, error) {
	ivs, err := s.Intervals(ctx, orgID, testID, resourceID, from, to)
	if err != nil {
		return 0, err
	}
	var d time.Duration
	for _, iv := range ivs {
		if iv.Status.Failing() {
			d += iv.Overlap(from, to)
		}
	}
	return d, nil
}

// ---- Controls and readiness -------------------------------------------------

// Control states.
const (
	ControlPassing       = "passing"
	ControlFailing       = "failing"
	ControlNeedsEvidence = "needs_evidence"
	ControlNotTested     = "not_tested"
)

// ControlTest is one test of a control with its current results.
type ControlTest struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity model.Severity `json:"severity"`
	Counts   Counts         `json:"counts"`
	State    string         `json:"state"`
}

// ControlStatus is a control's state rolled up from its tests and its
// evidence (docs/tests.md gives the rules).
type ControlStatus struct {
	Key        string              `json:"key"`
	Title      string              `json:"title"`
	Nature     model.Nature        `json:"nature"`
	Frequency  model.Frequency     `json:"frequency"`
	Status     string              `json:"status"`
	Reason     string              `json:"reason"`
	Tests      []ControlTest       `json:"tests"`
	Evidence   *evidence.Freshness `json:"evidence,omitempty"`
	Exceptions []ExceptionView     `json:"exceptions"`
}

// testsFor lists the tests supporting a control: those naming its key or
// the library key it was adopted from.
func testsFor(eng *Engine, c model.Control) []Test {
	var out []Test
	for _, t := range eng.Tests() {
		if slices.Contains(t.Controls, c.Key) || (c.LibraryKey != "" && slices.Contains(t.Controls, c.LibraryKey)) {
			out = append(out, t)
		}
	}
	return out
}

// TestsForControl counts the tests supporting a control (the coverage
// report's "tests" column).
func (s *Service) TestsForControl(ctx context.Context, orgID int64, key string) (int, error) {
	eng, err := s.engine(ctx, orgID)
	if err != nil {
		return 0, err
	}
	c, err := s.Store.Org(orgID).Control(ctx, key)
	if err != nil {
		return 0, err
	}
	return len(testsFor(eng, c)), nil
}

// ControlStatuses rolls every active control up from its tests and evidence.
func (s *Service) ControlStatuses(ctx context.Context, p model.Principal) ([]ControlStatus, error) {
	if err := need(p, model.PermView, "reading control status"); err != nil {
		return nil, err
	}
	controls, err := s.Store.Org(p.Org.ID).Controls(ctx)
	if err != nil {
		return nil, err
	}
	return s.rollUp(ctx, p.Org.ID, controls)
}

// ControlStatus rolls one control up.
func (s *Service) ControlStatus(ctx context.Context, p model.Principal, key string) (ControlStatus, error) {
	if err := need(p, model.PermView, "reading control status"); err != nil {
		return ControlStatus{}, err
	}
	c, err := s.Store.Org(p.Org.ID).Control(ctx, key)
	if err != nil {
		return ControlStatus{}, err
	}
	out, err := s.rollUp(ctx, p.Org.ID, []model.Control{c})
	if err != nil {
		return ControlStatus{}, err
	}
	return out[0], nil
}

func (s *Service) rollUp(ctx context.Context, orgID int64, controls []model.Control) ([]ControlStatus, error) {
	eng, err := s.engine(ctx, orgID)
	if err != nil {
		return nil, err
	}
	cur, ex, err := s.current(ctx, orgID, "")
	if err != nil {
		return nil, err
	}
	now := s.Now()
	counts := countsByTest(cur, ex, now)
	var items []model.EvidenceItem
	if s.Evidence != nil {
		if items, err = s.Store.Org(orgID).ListEvidence(ctx, store.EvidenceFilter{}); err != nil {
			return nil, err
		}
	}
	out := []ControlStatus{}
	for _, c := range controls {
		if c.Status == model.ControlRetired {
			continue
		}
		cs := ControlStatus{Key: c.Key, Title: c.Title, Nature: c.Nature, Frequency: c.Frequency, Tests: []ControlTest{}, Exceptions: []ExceptionView{}}
		var total Counts
		ids := map[string]bool{}
		for _, t := range testsFor(eng, c) {
			ct := ControlTest{ID: t.ID, Title: t.Title, Severity: t.Severity}
			if n := counts[t.ID]; n != nil {
				ct.Counts = *n
			}
			ct.State = stateOf(ct.Counts)
			total.Pass += ct.Counts.Pass
			total.Fail += ct.Counts.Fail
			total.Error += ct.Counts.Error
			total.Excepted += ct.Counts.Excepted
			cs.Tests = append(cs.Tests, ct)
			ids[t.ID] = true
		}
		for _, e := range exceptionViews(ex, now) {
			if ids[e.TestID] {
				cs.Exceptions = append(cs.Exceptions, e)
			}
		}
		fresh := false
		if s.Evidence != nil && c.Frequency.Valid() {
			f := evidence.FreshnessOf(c.Key, c.Frequency, items, now, 14*24*time.Hour)
			cs.Evidence = &f
			fresh = !f.NeedsEvidence()
		}
		cs.Status, cs.Reason = controlState(c, total, len(cs.Tests), fresh, cs.Evidence)
		out = append(out, cs)
	}
	return out, nil
}

// controlState applies the roll-up rules, in order:
//  1. failing: some test fails (or cannot judge) a resource, and no
//     unexpired exception accepts it;
//  2. passing: tests pass and the control is automated, or its evidence is
//     current;
//  3. needs evidence: tests pass but a manual or IT-dependent manual control
//     has no current evidence, or it has no test results and no current
//     evidence while it is not automated;
//  4. passing on evidence alone: no test results, current evidence;
//  5. not tested: automated, no test results, no current evidence.
func controlState(c model.Control, total Counts, tests int, fresh bool, f *evidence.Freshness) (string, string) {
	switch {
	case total.Failing() > 0:
		return ControlFailing, fmt.Sprintf("%d failing result(s) across its tests", total.Failing())
	case total.Pass > 0 || total.Excepted > 0:
		if c.Nature == model.NatureAutomated || fresh {
			return ControlPassing, fmt.Sprintf("%d passing result(s), no failure", total.Pass)
		}
		return ControlNeedsEvidence, "its tests pass, but a " + c.Nature.Label() + " control also needs current evidence: " + reasonOf(f)
	case fresh:
		return ControlPassing, "current evidence: " + reasonOf(f)
	case c.Nature != model.NatureAutomated:
		return ControlNeedsEvidence, reasonOf(f)
	case tests > 0:
		return ControlNotTested, fmt.Sprintf("%d test(s) support it but none has judged a resource yet: connect the systems they read", tests)
	default:
		return ControlNotTested, "no test supports it and it has no current evidence"
	}
}

func reasonOf(f *evidence.Freshness) string {
	if f == nil {
		return "no evidence"
	}
	return f.Reason
}

// CategoryReadiness is how many in-scope criteria of a category (or a
// framework's objectives) are ready: every control mapped to them passes.
type CategoryReadiness struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Ready   int    `json:"ready"`
	Total   int    `json:"total"`
	Percent int    `json:"percent"`
	// NotReady lists the criteria or objectives that are not, with why.
	NotReady []NotReady `json:"not_ready"`
}

// NotReady is a criterion or objective that is not ready.
type NotReady struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Reason string   `json:"reason"`
	Failed []string `json:"controls"` // its controls that do not pass
}

// Readiness is one framework's readiness by category.
type Readiness struct {
	Framework  model.Framework     `json:"framework"`
	Ready      int                 `json:"ready"`
	Total      int                 `json:"total"`
	Percent    int                 `json:"percent"`
	Categories []CategoryReadiness `json:"categories"`
}

func percent(a, b int) int {
	if b == 0 {
		return 0
	}
	return a * 100 / b
}

// Readiness computes readiness for SOC 2 (per category in scope) and SOC 1
// (over the organization's objectives): an in-scope, relevant criterion is
// ready when it has controls and all of them pass.
func (s *Service) Readiness(ctx context.Context, p model.Principal) ([]Readiness, error) {
	if err := need(p, model.PermView, "reading readiness"); err != nil {
		return nil, err
	}
	statuses, err := s.ControlStatuses(ctx, p)
	if err != nil {
		return nil, err
	}
	state := map[string]string{}
	for _, c := range statuses {
		state[c.Key] = c.Status
	}
	judge := func(id, title string, controls []string) (bool, NotReady) {
		nr := NotReady{ID: id, Title: title, Failed: []string{}}
		if len(controls) == 0 {
			nr.Reason = "no control covers it"
			return false, nr
		}
		for _, k := range controls {
			if state[k] != ControlPassing {
				nr.Failed = append(nr.Failed, k)
			}
		}
		if len(nr.Failed) > 0 {
			nr.Reason = fmt.Sprintf("%d of %d controls do not pass", len(nr.Failed), len(controls))
			return false, nr
		}
		return true, nr
	}
	var out []Readiness
	soc2, err := s.Catalog.SOC2(ctx, p)
	if err != nil {
		return nil, err
	}
	r2 := Readiness{Framework: model.SOC2, Categories: []CategoryReadiness{}}
	for _, cat := range soc2.Categories {
		if !cat.InScope {
			continue
		}
		cr := CategoryReadiness{ID: string(cat.ID), Name: cat.Name, NotReady: []NotReady{}}
		for _, cv := range soc2.Criteria {
			if cv.Category != cat.ID || !cv.InScope || cv.NotRelevant != "" {
				continue
			}
			cr.Total++
			if ok, nr := judge(cv.ID, cv.Title, cv.Controls); ok {
				cr.Ready++
			} else {
				cr.NotReady = append(cr.NotReady, nr)
			}
		}
		cr.Percent = percent(cr.Ready, cr.Total)
		r2.Ready += cr.Ready
		r2.Total += cr.Total
		r2.Categories = append(r2.Categories, cr)
	}
	r2.Percent = percent(r2.Ready, r2.Total)
	out = append(out, r2)
	soc1, err := s.Catalog.SOC1(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(soc1.Objectives) > 0 {
		cr := CategoryReadiness{ID: "objectives", Name: "Control objectives", NotReady: []NotReady{}}
		for _, ob := range soc1.Objectives {
			if ob.RetiredAt != nil || ob.NotRelevant != "" {
				continue
			}
			cr.Total++
			if ok, nr := judge(ob.Key, ob.Title, ob.Controls); ok {
				cr.Ready++
			} else {
				cr.NotReady = append(cr.NotReady, nr)
			}
		}
		cr.Percent = percent(cr.Ready, cr.Total)
		out = append(out, Readiness{Framework: model.SOC1, Ready: cr.Ready, Total: cr.Total, Percent: cr.Percent, Categories: []CategoryReadiness{cr}})
	}
	return out, nil
}

// TrendPoint is the number of failing and passing results at the end of a day.
type TrendPoint struct {
	Day     string `json:"day"` // YYYY-MM-DD
	Failing int    `json:"failing"`
	Passing int    `json:"passing"`
}

// Trend counts failing and passing results at the end of each of the last
// days (today: now), from the status intervals.
func (s *Service) Trend(ctx context.Context, p model.Principal, days int) ([]TrendPoint, error) {
	if err := need(p, model.PermView, "reading the trend"); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from := today.AddDate(0, 0, -(days - 1))
	ivs, err := s.Store.Org(p.Org.ID).Intervals(ctx, store.IntervalFilter{From: from, To: now.Add(time.Microsecond)})
	if err != nil {
		return nil, err
	}
	out := make([]TrendPoint, 0, days)
	for i := 0; i < days; i++ {
		day := from.AddDate(0, 0, i)
		at := day.AddDate(0, 0, 1).Add(-time.Microsecond)
		if at.After(now) {
			at = now
		}
		pt := TrendPoint{Day: day.Format(model.DateLayout)}
		for _, iv := range ivs {
			if !iv.Covers(at) {
				continue
			}
			switch {
			case iv.Status.Failing():
				pt.Failing++
			case iv.Status == model.TestPass:
				pt.Passing++
			}
		}
		out = append(out, pt)
	}
	return out, nil
}

// StatusChangesAfter lists the organization's status changes after an id,
// oldest first (at most limit, 0: 100).
func (s *Service) StatusChangesAfter(ctx context.Context, p model.Principal, after int64, limit int) ([]model.StatusChange, error) {
	if err := need(p, model.PermView, "reading status changes"); err != nil {
		return nil, err
	}
	if limit > 1000 {
		return nil, model.Invalid("limit", "must be at most 1000")
	}
	return s.Store.Org(p.Org.ID).StatusChangesAfter(ctx, after, limit)
}
