package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/model"
)

// TestRef names a test supporting a control.
type TestRef struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity model.Severity `json:"severity"`
}

// SampleSummary rolls a control's samples up: items drawn, tested, and
// how many of those had an exception.
type SampleSummary struct {
	Samples    int `json:"samples"`
	Items      int `json:"items"`
	Tested     int `json:"tested"`
	Exceptions int `json:"exceptions"`
	// LatestID is the most recent sample (0: none).
	LatestID int64 `json:"latest_id,omitempty"`
}

// ControlResult is one control of an audit's frozen set with what the
// audit finds: the design as frozen, its state as of the date (Type 1) or
// its operation over the period (Type 2), its samples, and the changes
// made to it since the audit froze it.
type ControlResult struct {
	Control model.AuditControl `json:"control"`
	// MappedTo lists the criteria (SOC 2) or objectives (SOC 1) it maps to.
	MappedTo []string  `json:"mapped_to"`
	Tests    []TestRef `json:"tests"`
	// AsOf is set for a Type 1 audit: the state at the end of the as-of day.
	AsOf *PointInTime `json:"as_of,omitempty"`
	// Operation is set for a Type 2 audit.
	Operation *ControlOperation `json:"operation,omitempty"`
	Samples   SampleSummary     `json:"samples"`
	Changes   []ControlChange   `json:"changes"`
	// Result sums it up: for Type 1 the state (passing, failing,
	// needs_evidence, not_tested), for Type 2 the operation state
	// (no_exceptions, exceptions, gaps, not_tested), where a sampled item
	// with an exception makes it exceptions.
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// ControlChange is a difference between a frozen control and the live one:
// an edited field, a retired control, or a control added to the scope
// after the freeze. When and who are the live control's last change (the
// system description lists significant changes during the period).
type ControlChange struct {
	Control string `json:"control"`
	Title   string `json:"title"`
	// Change is edited, retired, or added.
	Change    string        `json:"change"`
	Fields    []FieldChange `json:"fields"`
	ChangedAt time.Time     `json:"changed_at"`
	ChangedBy string        `json:"changed_by"`
	// DuringPeriod is true when the change falls inside the audit's period
	// (Type 2) or before the as-of moment (Type 1).
	DuringPeriod bool `json:"during_period"`
}

// FieldChange is one field of a control, frozen and live.
type FieldChange struct {
	Field  string `json:"field"`
	Frozen string `json:"frozen"`
	Live   string `json:"live"`
}

// Controls lists the audit's frozen controls with their Type 1 state or
// Type 2 operation, samples and changes.
func (s *Service) Controls(ctx context.Context, p model.Principal, id int64) ([]ControlResult, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.results(ctx, a, "")
}

// Control reads one control of an audit.
func (s *Service) Control(ctx context.Context, p model.Principal, id int64, key string) (ControlResult, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return ControlResult{}, err
	}
	if _, ok := a.Control(key); !ok {
		return ControlResult{}, fmt.Errorf("control %s is not in audit %d's control set: %w", key, id, model.ErrNotFound)
	}
	rs, err := s.results(ctx, a, key)
	if err != nil {
		return ControlResult{}, err
	}
	return rs[0], nil
}

// ControlAsOf judges one of the audit's frozen controls at any moment (a
// Type 2 audit can be looked at as of a day in its period too).
func (s *Service) ControlAsOf(ctx context.Context, p model.Principal, id int64, key string, t time.Time) (PointInTime, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return PointInTime{}, err
	}
	c, ok := a.Control(key)
	if !ok {
		return PointInTime{}, fmt.Errorf("control %s is not in audit %d's control set: %w", key, id, model.ErrNotFound)
	}
	f, err := s.loadFacts(ctx, a.OrgID)
	if err != nil {
		return PointInTime{}, err
	}
	return s.pointInTime(ctx, f, c, t.UTC())
}

func (s *Service) results(ctx context.Context, a model.Audit, only string) ([]ControlResult, error) {
	f, err := s.loadFacts(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	samples, err := s.Store.Org(a.OrgID).Samples(ctx, a.ID, only)
	if err != nil {
		return nil, err
	}
	changes, err := s.changes(ctx, a)
	if err != nil {
		return nil, err
	}
	now := s.now()
	from, to := a.Window()
	out := []ControlResult{}
	for _, c := range a.Controls {
		if only != "" && c.Key != only {
			continue
		}
		r := ControlResult{Control: c, MappedTo: c.MappedTo(a.Framework), Tests: []TestRef{}, Changes: []ControlChange{}}
		for _, t := range check.TestsFor(f.eng, c.AsControl()) {
			r.Tests = append(r.Tests, TestRef{ID: t.ID, Title: t.Title, Severity: t.Severity})
		}
		for _, sm := range samples {
			if sm.ControlKey != c.Key {
				continue
			}
			tested, exc := sm.Counts()
			r.Samples.Samples++
			r.Samples.Items += len(sm.Items)
			r.Samples.Tested += tested
			r.Samples.Exceptions += exc
			if sm.ID > r.Samples.LatestID {
				r.Samples.LatestID = sm.ID
			}
		}
		for _, ch := range changes {
			if ch.Control == c.Key {
				r.Changes = append(r.Changes, ch)
			}
		}
		if a.Type == model.AuditType1 {
			at := a.AsOfInstant()
			if now.Before(at) {
				at = now
			}
			pit, err := s.pointInTime(ctx, f, c, at)
			if err != nil {
				return nil, err
			}
			r.AsOf = &pit
			r.Result, r.Reason = pit.State, pit.Reason
		} else {
			op, err := s.operation(ctx, f, c, from, to, now)
			if err != nil {
				return nil, err
			}
			r.Operation = &op
			r.Result, r.Reason = op.State, op.Reason
			if r.Samples.Exceptions > 0 {
				reason := fmt.Sprintf("%d of %d sampled item(s) tested with an exception", r.Samples.Exceptions, r.Samples.Tested)
				if r.Result == OperationExceptions {
					reason = r.Reason + "; " + reason
				}
				r.Result, r.Reason = OperationExceptions, reason
			} else if r.Result == OperationNotTested && r.Samples.Tested > 0 {
				r.Result, r.Reason = OperationNoExceptions, fmt.Sprintf("%d sampled item(s) tested without exception", r.Samples.Tested)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ---- Criteria ---------------------------------------------------------------

// CriterionResult rolls the audit's control results up to one criterion
// (SOC 2) or objective (SOC 1) in scope.
type CriterionResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// NotRelevant is the reason when the scope marks it not relevant.
	NotRelevant string   `json:"not_relevant,omitempty"`
	Controls    []string `json:"controls"`
	// Result is no_controls, or the worst of its controls' results (Type 1:
	// failing > needs_evidence > not_tested > passing; Type 2: exceptions >
	// gaps > not_tested > no_exceptions).
	Result string `json:"result"`
	// WithExceptions lists its controls with exceptions (failing, for Type 1).
	WithExceptions   []string `json:"with_exceptions"`
	SampleExceptions int      `json:"sample_exceptions"`
	// Candidates counts its controls' failures in the period not accepted.
	Candidates int `json:"candidate_exceptions"`
}

var resultRank = map[string]int{
	check.ControlFailing: 4, check.ControlNeedsEvidence: 3, check.ControlNotTested: 2, check.ControlPassing: 1,
	OperationExceptions: 4, OperationGaps: 3, OperationNoExceptions: 1, // OperationNotTested is check.ControlNotTested
}

// Criteria rolls control results up to the criteria or objectives in the
// audit's frozen scope.
func (s *Service) Criteria(ctx context.Context, p model.Principal, id int64) ([]CriterionResult, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.results(ctx, a, "")
	if err != nil {
		return nil, err
	}
	return s.criteria(ctx, a, rs)
}

func (s *Service) criteria(ctx context.Context, a model.Audit, rs []ControlResult) ([]CriterionResult, error) {
	nr := map[string]string{}
	for _, n := range a.Scope.NotRelevant {
		nr[n.Criterion] = n.Reason
	}
	type item struct{ id, title string }
	var items []item
	if a.Framework == model.SOC2 {
		for _, cr := range s.Catalog.Catalog().CriteriaIn(a.Scope.Categories) {
			items = append(items, item{cr.ID, cr.Title})
		}
	} else {
		obs, err := s.Store.Org(a.OrgID).Objectives(ctx, true)
		if err != nil {
			return nil, err
		}
		mapped := map[string]bool{}
		for _, r := range rs {
			for _, k := range r.MappedTo {
				mapped[k] = true
			}
		}
		for _, ob := range obs {
			if ob.RetiredAt == nil || ob.RetiredAt.After(a.CreatedAt) || mapped[ob.Key] {
				items = append(items, item{ob.Key, ob.Title})
			}
		}
	}
	out := []CriterionResult{}
	for _, it := range items {
		cr := CriterionResult{ID: it.id, Title: it.title, NotRelevant: nr[it.id], Controls: []string{}, WithExceptions: []string{}}
		for _, r := range rs {
			if !slices.Contains(r.MappedTo, it.id) {
				continue
			}
			cr.Controls = append(cr.Controls, r.Control.Key)
			if resultRank[r.Result] > resultRank[cr.Result] {
				cr.Result = r.Result
			}
			if r.Result == OperationExceptions || r.Result == check.ControlFailing {
				cr.WithExceptions = append(cr.WithExceptions, r.Control.Key)
			}
			cr.SampleExceptions += r.Samples.Exceptions
			if r.Operation != nil {
				cr.Candidates += r.Operation.Unaccepted
			}
		}
		if len(cr.Controls) == 0 {
			cr.Result = "no_controls"
		}
		out = append(out, cr)
	}
	return out, nil
}

// ---- Changes since the freeze ----------------------------------------------

// Changes lists how the live controls differ from the audit's frozen set.
func (s *Service) Changes(ctx context.Context, p model.Principal, id int64) ([]ControlChange, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.changes(ctx, a)
}

func (s *Service) changes(ctx context.Context, a model.Audit) ([]ControlChange, error) {
	live, err := s.Store.Org(a.OrgID).Controls(ctx)
	if err != nil {
		return nil, err
	}
	from, to := a.Window()
	if a.Type == model.AuditType1 {
		from = time.Time{}
	}
	during := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	out := []ControlChange{}
	byKey := map[string]model.Control{}
	for _, c := range live {
		byKey[c.Key] = c
	}
	for _, fc := range a.Controls {
		lc, ok := byKey[fc.Key]
		if !ok {
			continue
		}
		fields := diffControl(fc, model.FreezeControl(lc))
		change := "edited"
		if lc.Status == model.ControlRetired {
			change = "retired"
		}
		if len(fields) == 0 {
			continue
		}
		out = append(out, ControlChange{Control: fc.Key, Title: lc.Title, Change: change, Fields: fields, ChangedAt: lc.UpdatedAt,
			ChangedBy: lc.UpdatedBy, DuringPeriod: during(lc.UpdatedAt)})
	}
	frozen := map[string]bool{}
	for _, fc := range a.Controls {
		frozen[fc.Key] = true
	}
	inScope, err := s.controlSet(ctx, a.OrgID, a.Framework, a.Scope, live)
	if err != nil {
		return nil, err
	}
	for _, c := range inScope {
		if !frozen[c.Key] {
			out = append(out, ControlChange{Control: c.Key, Title: c.Title, Change: "added", Fields: []FieldChange{},
				ChangedAt: c.UpdatedAt, ChangedBy: c.UpdatedBy, DuringPeriod: during(c.UpdatedAt)})
		}
	}
	return out, nil
}

// diffControl lists the fields in which the live control differs from the frozen one.
func diffControl(f, l model.AuditControl) []FieldChange {
	out := []FieldChange{}
	add := func(field, a, b string) {
		if a != b {
			out = append(out, FieldChange{Field: field, Frozen: a, Live: b})
		}
	}
	add("title", f.Title, l.Title)
	add("description", f.Description, l.Description)
	add("owner", f.Owner, l.Owner)
	add("frequency", string(f.Frequency), string(l.Frequency))
	add("nature", string(f.Nature), string(l.Nature))
	add("status", string(f.Status), string(l.Status))
	add("evidence", strings.Join(f.Evidence, "; "), strings.Join(l.Evidence, "; "))
	add("criteria", mappings(f.Criteria, nil), mappings(l.Criteria, nil))
	add("objectives", mappings(nil, f.Objectives), mappings(nil, l.Objectives))
	return out
}

func mappings(cs []model.CriterionMapping, os []model.ObjectiveMapping) string {
	var parts []string
	for _, m := range cs {
		parts = append(parts, m.CriterionID+": "+m.Rationale)
	}
	for _, m := range os {
		parts = append(parts, m.ObjectiveKey+": "+m.Rationale)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
