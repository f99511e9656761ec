package audit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/model"
)

// Type 2: how a control operated across the period — its tests' status
// timeline, the time they spent failing, each failure as a candidate
// exception (or an accepted one, when a check exception covered it), and,
// for a periodic control, the occurrences expected by its frequency
// against the evidence effective in each occurrence window.

// Operation states of a control over a period.
const (
	OperationNoExceptions = "no_exceptions" // tested, nothing deviated
	OperationExceptions   = "exceptions"    // a failure not accepted, or a sampled item with an exception
	OperationGaps         = "gaps"          // an occurrence window without evidence
	OperationNotTested    = "not_tested"    // nothing in the period to judge it by yet
)

// OperationRow is one test × resource strip of the timeline.
type OperationRow struct {
	TestID       string          `json:"test"`
	TestTitle    string          `json:"test_title"`
	ResourceID   int64           `json:"resource_id"`
	ResourceName string          `json:"resource_name"`
	ResourceType string          `json:"resource_type"`
	Segments     []check.Segment `json:"segments"`
	// Failing is how long it failed (fail or error) within the period.
	Failing        model.Duration `json:"failing"`
	FailingSeconds int64          `json:"failing_seconds"`
}

// CandidateException is one failure of a test for a resource within the
// period (consecutive fail and error intervals joined), clipped to the
// period. It is accepted when check exceptions covered all of it, partly
// accepted when they covered some of it.
type CandidateException struct {
	TestID       string             `json:"test"`
	TestTitle    string             `json:"test_title"`
	Severity     model.Severity     `json:"severity"`
	ResourceID   int64              `json:"resource_id"`
	ResourceName string             `json:"resource_name"`
	ResourceType string             `json:"resource_type"`
	From         time.Time          `json:"from"`
	To           time.Time          `json:"to"`
	Ongoing      bool               `json:"ongoing"` // still failing at the end of what was observed
	Duration     model.Duration     `json:"duration"`
	Seconds      int64              `json:"seconds"`
	Statuses     []model.TestStatus `json:"statuses"`
	Message      string             `json:"message"`
	// State is candidate, accepted or partly_accepted.
	State           string         `json:"state"`
	Accepted        model.Duration `json:"accepted"`
	AcceptedSeconds int64          `json:"accepted_seconds"`
	Exceptions      []ExceptionRef `json:"exceptions"`
}

// Candidate exception states.
const (
	CandidateOpen     = "candidate"
	CandidateAccepted = "accepted"
	CandidatePartly   = "partly_accepted"
)

// OccurrenceWindow is one expected occurrence with the evidence effective in it.
type OccurrenceWindow struct {
	Index    int           `json:"index"` // 1-based
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Evidence []EvidenceRef `json:"evidence"`
	Present  bool          `json:"present"`
	// Due is false for a window not over yet (no gap can be called).
	Due bool `json:"due"`
}

// Occurrences compares a periodic control's expected occurrences with the
// evidence present.
type Occurrences struct {
	Frequency model.Frequency `json:"frequency"`
	// Periodic is false for continuous and event-driven controls, which
	// have no calendar (their population comes from events or monitoring).
	Periodic bool `json:"periodic"`
	// Expected is model.Frequency.ExpectedOccurrences over the period.
	Expected int                `json:"expected"`
	Due      int                `json:"due"`
	Present  int                `json:"present"`
	Gaps     int                `json:"gaps"`
	Windows  []OccurrenceWindow `json:"windows"`
}

// ControlOperation is a control's operation over a Type 2 period.
type ControlOperation struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// ObservedTo is where the record ends: the period's end, or now while
	// the period runs.
	ObservedTo time.Time `json:"observed_to"`
	Tests      int       `json:"tests"`
	// TimeFailing sums the failing time of every test × resource
	// (clipped to the period); TimeFailingAny is the time during which at
	// least one of them failed.
	TimeFailing           model.Duration       `json:"time_failing"`
	TimeFailingSeconds    int64                `json:"time_failing_seconds"`
	TimeFailingAny        model.Duration       `json:"time_failing_any"`
	TimeFailingAnySeconds int64                `json:"time_failing_any_seconds"`
	Rows                  []OperationRow       `json:"rows"`
	CandidateExceptions   []CandidateException `json:"candidate_exceptions"`
	// Unaccepted counts the candidate exceptions not fully accepted.
	Unaccepted  int         `json:"unaccepted"`
	Occurrences Occurrences `json:"occurrences"`
	State       string      `json:"state"`
	Reason      string      `json:"reason"`
}

// operation computes a control's operation over [from, to), observed up to now.
func (s *Service) operation(ctx context.Context, f *facts, c model.AuditControl, from, to, now time.Time) (ControlOperation, error) {
	obs := to
	if now.Before(obs) {
		obs = now
	}
	if obs.Before(from) {
		obs = from
	}
	op := ControlOperation{From: from, To: to, ObservedTo: obs, Rows: []OperationRow{}, CandidateExceptions: []CandidateException{}}
	tests := check.TestsFor(f.eng, c.AsControl())
	op.Tests = len(tests)
	var failing []span // every failing span, for the union
	for _, tt := range tests {
		ivs, err := s.testIntervals(ctx, f, tt.ID, from, obs)
		if err != nil {
			return op, err
		}
		rows := map[int64]*OperationRow{}
		var order []int64
		var open *CandidateException
		flush := func() {
			if open != nil {
				s.closeCandidate(f, open, obs)
				op.CandidateExceptions = append(op.CandidateExceptions, *open)
				open = nil
			}
		}
		for _, iv := range ivs { // ordered by resource, then start
			start, end := iv.From, obs
			if iv.To != nil && iv.To.Before(end) {
				end = *iv.To
			}
			if start.Before(from) {
				start = from
			}
			if !end.After(start) {
				continue
			}
			r := rows[iv.ResourceID]
			if r == nil {
				r = &OperationRow{TestID: tt.ID, TestTitle: tt.Title, ResourceID: iv.ResourceID, ResourceName: iv.ResourceName,
					ResourceType: iv.ResourceType, Segments: []check.Segment{}}
				rows[iv.ResourceID] = r
				order = append(order, iv.ResourceID)
			}
			r.Segments = append(r.Segments, check.Segment{From: start, To: end, Status: iv.Status})
			if !iv.Status.Failing() {
				flush()
				continue
			}
			r.Failing += model.Duration(end.Sub(start))
			failing = append(failing, span{start, end})
			if open != nil && (open.ResourceID != iv.ResourceID || !open.To.Equal(start)) {
				flush()
			}
			if open == nil {
				open = &CandidateException{TestID: tt.ID, TestTitle: tt.Title, Severity: tt.Severity, ResourceID: iv.ResourceID,
					ResourceName: iv.ResourceName, ResourceType: iv.ResourceType, From: start, Message: iv.Message,
					Statuses: []model.TestStatus{}, Exceptions: []ExceptionRef{}}
			}
			open.To = end
			open.Ongoing = iv.To == nil || !iv.To.Before(obs)
			if !slices.Contains(open.Statuses, iv.Status) {
				open.Statuses = append(open.Statuses, iv.Status)
			}
		}
		flush()
		for _, id := range order {
			r := rows[id]
			r.FailingSeconds = int64(r.Failing.Std() / time.Second)
			op.TimeFailing += r.Failing
			op.Rows = append(op.Rows, *r)
		}
	}
	op.TimeFailingSeconds = int64(op.TimeFailing.Std() / time.Second)
	op.TimeFailingAny = model.Duration(unionLength(failing))
	op.TimeFailingAnySeconds = int64(op.TimeFailingAny.Std() / time.Second)
	sort.SliceStable(op.Rows, func(i, j int) bool {
		if op.Rows[i].Failing != op.Rows[j].Failing {
			return op.Rows[i].Failing > op.Rows[j].Failing
		}
		if op.Rows[i].TestID != op.Rows[j].TestID {
			return op.Rows[i].TestID < op.Rows[j].TestID
		}
		return op.Rows[i].ResourceName < op.Rows[j].ResourceName
	})
	sort.SliceStable(op.CandidateExceptions, func(i, j int) bool { return op.CandidateExceptions[i].From.Before(op.CandidateExceptions[j].From) })
	for _, ce := range op.CandidateExceptions {
		if ce.State != CandidateAccepted {
			op.Unaccepted++
		}
	}
	op.Occurrences = f.occurrences(c, from, to, obs)
	op.State, op.Reason = operationState(op, len(op.Rows) > 0)
	return op, nil
}

// closeCandidate measures a candidate's duration and how much of it the
// check exceptions active then accepted.
func (s *Service) closeCandidate(f *facts, ce *CandidateException, obs time.Time) {
	d := ce.To.Sub(ce.From)
	ce.Duration, ce.Seconds = model.Duration(d), int64(d/time.Second)
	var covered []span
	for _, e := range f.exceptions {
		if !e.Covers(ce.TestID, ce.ResourceID) {
			continue
		}
		end := e.ExpiresAt
		if e.RevokedAt != nil && e.RevokedAt.Before(end) {
			end = *e.RevokedAt
		}
		a, b := maxTime(e.CreatedAt, ce.From), minTime(end, ce.To)
		if b.After(a) {
			covered = append(covered, span{a, b})
			ce.Exceptions = append(ce.Exceptions, exceptionRef(e))
		}
	}
	acc := unionLength(covered)
	ce.Accepted, ce.AcceptedSeconds = model.Duration(acc), int64(acc/time.Second)
	switch {
	case acc >= d && d > 0:
		ce.State = CandidateAccepted
	case acc > 0:
		ce.State = CandidatePartly
	default:
		ce.State = CandidateOpen
	}
}

// occurrences lays the control's occurrence windows over the period and
// finds the evidence versions effective in each (an effective period that
// overlaps the window; automated evidence from its capture until it was
// superseded or last observed).
func (f *facts) occurrences(c model.AuditControl, from, to, obs time.Time) Occurrences {
	oc := Occurrences{Frequency: c.Frequency, Windows: []OccurrenceWindow{}}
	n, periodic := c.Frequency.ExpectedOccurrences(from, to)
	oc.Periodic, oc.Expected = periodic, n
	if !periodic {
		return oc
	}
	spans := f.evidenceSpans(c.Key)
	for i, w := range OccurrenceWindows(c.Frequency, from, to) {
		ow := OccurrenceWindow{Index: i + 1, From: w.From, To: w.To, Evidence: []EvidenceRef{}, Due: !w.To.After(obs)}
		for _, es := range spans {
			if es.from.Before(w.To) && w.From.Before(es.to) {
				ow.Evidence = append(ow.Evidence, es.ref)
			}
		}
		ow.Present = len(ow.Evidence) > 0
		if ow.Present {
			oc.Present++
		}
		if ow.Due {
			oc.Due++
			if !ow.Present {
				oc.Gaps++
			}
		}
		oc.Windows = append(oc.Windows, ow)
	}
	return oc
}

type evidenceSpan struct {
	from, to time.Time
	ref      EvidenceRef
}

// evidenceSpans lists when each version of the control's evidence was
// effective: [first day, day after the last day) for files, links and
// attestations, cut at an expiry; for automated evidence from its first
// day until the end of the day it was superseded or last observed. Versions
// the retention policy deleted are left out (their content is gone).
func (f *facts) evidenceSpans(control string) []evidenceSpan {
	var out []evidenceSpan
	day := func(s string) (time.Time, bool) {
		t, err := time.Parse(model.DateLayout, s)
		return t, err == nil
	}
	endOfDay := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	}
	for _, it := range f.items {
		if !slices.Contains(it.Controls, control) {
			continue
		}
		for _, v := range f.versions[it.ID] {
			if v.DeletedAt != nil {
				continue
			}
			start, ok := day(v.EffectiveFrom)
			if !ok {
				continue
			}
			var end time.Time
			if it.Kind == model.EvidenceAutomated {
				last := v.CapturedAt
				switch {
				case v.SupersededAt != nil:
					last = *v.SupersededAt
				case it.LastObservedAt != nil:
					last = *it.LastObservedAt
				}
				end = endOfDay(last)
			} else {
				e, ok := day(v.EffectiveEnd())
				if !ok {
					continue
				}
				end = e.AddDate(0, 0, 1)
			}
			if v.ExpiresOn != "" {
				if x, ok := day(v.ExpiresOn); ok && x.Before(end) {
					end = x
				}
			}
			if end.After(start) {
				out = append(out, evidenceSpan{from: start, to: end, ref: evidenceRef(it, v, time.Time{})})
			}
		}
	}
	return out
}

// operationState decides a control's operation over the period (docs/audits.md).
func operationState(op ControlOperation, judged bool) (string, string) {
	oc := op.Occurrences
	switch {
	case op.Unaccepted > 0:
		return OperationExceptions, fmt.Sprintf("%d failure(s) in the period not accepted by an exception (%s failing in total)",
			op.Unaccepted, op.TimeFailing.Human())
	case oc.Periodic && oc.Gaps > 0:
		return OperationGaps, fmt.Sprintf("evidence for %d of %d expected occurrence(s); %d due without evidence", oc.Present, oc.Expected, oc.Gaps)
	case judged || (oc.Periodic && oc.Due > 0):
		parts := []string{}
		if judged {
			parts = append(parts, "its tests found no failure that was not accepted")
		}
		if oc.Periodic && oc.Due > 0 {
			parts = append(parts, fmt.Sprintf("evidence for each of the %d occurrence(s) due", oc.Due))
		}
		return OperationNoExceptions, joinAnd(parts)
	default:
		return OperationNotTested, "no test result in the period and no occurrence due yet: the auditor tests it by sampling"
	}
}

type span struct{ from, to time.Time }

// unionLength is the total length of the union of spans.
func unionLength(ss []span) time.Duration {
	if len(ss) == 0 {
		return 0
	}
	sorted := slices.Clone(ss)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].from.Before(sorted[j].from) })
	var total time.Duration
	cur := sorted[0]
	for _, s := range sorted[1:] {
		if s.from.After(cur.to) {
			total += cur.to.Sub(cur.from)
			cur = s
			continue
		}
		if s.to.After(cur.to) {
			cur.to = s.to
		}
	}
	return total + cur.to.Sub(cur.from)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		out += ", " + p
	}
	return out + " and " + parts[len(parts)-1]
}

// humanDuration writes a duration for people: "3 d 4 h", "5 h 12 min", "40 s".
// HumanDuration writes a duration for people (pages, the CLI, exports).
func HumanDuration(d model.Duration) string { return d.Human() }
