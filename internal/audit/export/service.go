package export

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Format is what an export produces.
type Format string

// The formats.
const (
	FormatXLSX    Format = "xlsx"    // the control matrix as a workbook
	FormatCSV     Format = "csv"     // the control matrix as CSV
	FormatPDF     Format = "pdf"     // the report draft
	FormatHTML    Format = "html"    // the report draft, printable
	FormatPackage Format = "package" // the evidence package (ZIP)
)

// Formats lists the formats.
func Formats() []Format {
	return []Format{FormatXLSX, FormatCSV, FormatPDF, FormatHTML, FormatPackage}
}

// ParseFormat accepts a format ("zip" for the package too).
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == "zip" {
		f = FormatPackage
	}
	if slices.Contains(Formats(), f) {
		return f, nil
	}
	return "", model.Invalid("format", "unknown export format %q (use xlsx, csv, pdf, html or package)", s)
}

// EnumValues lists the formats for the API schema.
func (Format) EnumValues() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, string(f))
	}
	return out
}

// MediaType is the format's content type.
func (f Format) MediaType() string {
	switch f {
	case FormatXLSX:
		return mediaXLSX
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatPDF:
		return "application/pdf"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "application/zip"
}

// Describe says what the format holds, for people.
func (f Format) Describe() string {
	switch f {
	case FormatXLSX:
		return "Control matrix (Excel workbook)"
	case FormatCSV:
		return "Control matrix (CSV)"
	case FormatPDF:
		return "Report draft (PDF)"
	case FormatHTML:
		return "Report draft (HTML, printable)"
	}
	return "Evidence package (ZIP, verifiable offline)"
}

// FileName is the name offered for an export: generated from the
// organization's slug and the audit's id, never from free text.
func FileName(org model.Organization, auditID int64, f Format) string {
	base := org.Slug + "-audit-" + strconv.FormatInt(auditID, 10)
	switch f {
	case FormatXLSX:
		return base + "-control-matrix.xlsx"
	case FormatCSV:
		return base + "-control-matrix.csv"
	case FormatPDF:
		return base + "-report-draft.pdf"
	case FormatHTML:
		return base + "-report-draft.html"
	}
	return base + "-evidence-package.zip"
}

// Deps are what exports need.
type Deps struct {
	Store  *store.Store
	Blobs  blob.Store
	Ledger *ledger.Log
	Audits *audit.Service
	Checks *check.Service
	Now    func() time.Time
	// Generator names the program in every export ("assure v1.2.3").
	Generator string
	// Limits bound a package (zero: DefaultLimits).
	Limits Limits
}

// Service exports audits.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Generator == "" {
		d.Generator = "assure"
	}
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits
	}
	return &Service{Deps: d}
}

// Options tune an export.
type Options struct {
	// WithoutResponses leaves the raw API responses out of a package.
	WithoutResponses bool
}

// Result says what an export wrote.
type Result struct {
	Format    Format `json:"format"`
	FileName  string `json:"file_name"`
	MediaType string `json:"media_type"`
	// Package is set for the evidence package.
	Package *PackageResult `json:"package,omitempty"`
}

// Write writes audit id's export in format f to w. Whoever may read the
// audit may export it (its owners and admins, and the auditors invited to
// it): the audit service checks that. A package is recorded in the ledger
// (audit.exported, with the manifest's hash) under p's name.
func (s *Service) Write(ctx context.Context, p model.Principal, id int64, f Format, w io.Writer, opt Options) (Result, error) {
	if err := s.Access(ctx, p, id); err != nil {
		return Result{}, err
	}
	f, err := ParseFormat(string(f))
	if err != nil {
		return Result{}, err
	}
	d, err := s.Data(ctx, p, id)
	if err != nil {
		return Result{}, err
	}
	res := Result{Format: f, FileName: FileName(p.Org, id, f), MediaType: f.MediaType()}
	switch f {
	case FormatXLSX:
		err = WriteMatrixXLSX(w, d)
	case FormatCSV:
		err = WriteMatrixCSV(w, d)
	case FormatPDF:
		err = WriteReportPDF(w, d)
	case FormatHTML:
		err = WriteReportHTML(w, d)
	case FormatPackage:
		sealer := LedgerSealer{Store: s.Store, Log: s.Ledger, OrgID: p.Org.ID, Actor: p.Actor(), Audit: d.Audit, Now: s.Now}
		var pr PackageResult
		pr, err = WritePackage(ctx, w, d, s.Blobs, sealer, PackageOptions{WithoutResponses: opt.WithoutResponses, Limits: s.Limits,
			Installation: s.Ledger.InstallationID()})
		res.Package = &pr
	default:
		return res, model.Invalid("format", "unknown export format %q (use xlsx, csv, pdf, html or package)", f)
	}
	if err != nil {
		return res, fmt.Errorf("cannot export audit %d as %s: %w", id, f, err)
	}
	return res, nil
}

// Access checks that p may read (and so export) audit id: the audit
// service's rule. An audit p may not see is not found.
func (s *Service) Access(ctx context.Context, p model.Principal, id int64) error {
	_, err := s.Audits.Audit(ctx, p, id)
	return err
}

func info(a model.Audit) AuditInfo {
	return AuditInfo{ID: a.ID, Name: a.Name, Framework: a.Framework, Type: int(a.Type), AsOf: a.AsOf, PeriodFrom: a.PeriodFrom,
		PeriodTo: a.PeriodTo, Status: string(a.Status)}
}

const day = 24 * time.Hour

// Data gathers what every export of audit id shows, through the audit
// service (which checks that p may read the audit) and, for the evidence
// the audit relies on, the organization's records.
func (s *Service) Data(ctx context.Context, p model.Principal, id int64) (Data, error) {
	a, err := s.Audits.Audit(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	rs, err := s.Audits.Controls(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	crits, err := s.Audits.Criteria(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	pops, err := s.Audits.Populations(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	samples, err := s.Audits.Samples(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	changes, err := s.Audits.Changes(ctx, p, id)
	if err != nil {
		return Data{}, err
	}
	now := s.Now().UTC()
	d := Data{GeneratedAt: now.Truncate(time.Microsecond), Generator: s.Generator, Org: p.Org, Audit: info(a), Scope: a.Scope}
	ev := newEvidenceIndex(s.Store.Org(a.OrgID))

	for _, c := range crits {
		d.Criteria = append(d.Criteria, Criterion{ID: c.ID, Title: c.Title, NotRelevant: c.NotRelevant, Controls: c.Controls})
	}
	slices.SortStableFunc(samples, func(x, y model.Sample) int { return int(x.ID - y.ID) })
	from, to := a.Window()
	for _, r := range rs {
		c, err := s.control(ctx, a, r, samples, ev, from, to)
		if err != nil {
			return Data{}, err
		}
		d.Controls = append(d.Controls, c)
	}
	for _, sm := range samples {
		d.Samples = append(d.Samples, sampleOf(sm))
	}
	for _, pp := range pops {
		seq, err := ev.seqOf(ctx, pp.EvidenceID, pp.SHA256)
		if err != nil {
			return Data{}, err
		}
		d.Populations = append(d.Populations, Population{ID: pp.ID, Name: pp.Title, Source: sourceText(pp.Source), Query: queryText(pp.Query),
			ProducedAt: pp.ProducedAt, Count: pp.Count, SHA256: pp.SHA256, Size: pp.Size, MediaType: "application/json", LedgerSeq: seq, Controls: pp.Controls})
	}

	// Changes during the period (DC 9): the scope's list, and the control
	// changes Assure saw since the freeze.
	for _, ch := range a.Scope.System.Changes {
		if inAudit(a, ch.Date) {
			d.Changes = append(d.Changes, Change{Date: ch.Date, Description: ch.Description})
		}
	}
	for _, ch := range changes {
		if ch.DuringPeriod {
			d.Changes = append(d.Changes, Change{Date: ch.ChangedAt.UTC().Format(model.DateLayout), Description: changeText(ch)})
		}
	}
	sort.SliceStable(d.Changes, func(i, j int) bool { return d.Changes[i].Date < d.Changes[j].Date })

	// The audit's own record in the ledger, and the exceptions it cites.
	o := s.Store.Org(a.OrgID)
	subjects := []string{"audit:" + strconv.FormatInt(a.ID, 10)}
	for _, r := range rs {
		for _, x := range exceptionIDs(r) {
			subjects = append(subjects, "exception:"+strconv.FormatInt(x, 10))
		}
	}
	slices.Sort(subjects)
	for _, sub := range slices.Compact(subjects) {
		es, err := o.LedgerEntriesFor(ctx, sub)
		if err != nil {
			return Data{}, err
		}
		for _, e := range es {
			d.Entries = append(d.Entries, e.Seq)
		}
	}

	if b, err := s.bridge(ctx, a, rs, changes, to, now); err != nil {
		return Data{}, err
	} else {
		d.Bridge = b
	}
	return d, nil
}

func inAudit(a model.Audit, date string) bool {
	if a.Type == model.AuditType1 {
		return date != "" && date <= a.AsOf
	}
	return date >= a.PeriodFrom && date <= a.PeriodTo
}

func changeText(ch audit.ControlChange) string {
	s := ch.Control + " " + ch.Title + ": " + ch.Change
	var fs []string
	for _, f := range ch.Fields {
		fs = append(fs, f.Field)
	}
	if len(fs) > 0 {
		s += " (" + strings.Join(fs, ", ") + ")"
	}
	if ch.ChangedBy != "" {
		s += " by " + ch.ChangedBy
	}
	return s
}

func exceptionIDs(r audit.ControlResult) []int64 {
	var out []int64
	if r.Operation != nil {
		for _, ce := range r.Operation.CandidateExceptions {
			for _, x := range ce.Exceptions {
				out = append(out, x.ID)
			}
		}
	}
	if r.AsOf != nil {
		for _, x := range r.AsOf.Exceptions {
			out = append(out, x.ID)
		}
	}
	return out
}

func sourceText(src model.PopulationSource) string {
	var parts []string
	for _, in := range src.Integrations {
		s := in.Name + " (" + in.Connector + ")"
		if in.DataThrough != nil {
			s += ", data through " + in.DataThrough.UTC().Format(time.RFC3339)
		}
		parts = append(parts, s)
	}
	if len(src.ResourceTypes) > 0 {
		parts = append(parts, "types "+strings.Join(src.ResourceTypes, ", "))
	}
	return strings.Join(parts, "; ")
}

func queryText(q model.PopulationQuery) string {
	keys := make([]string, 0, len(q.Parameters))
	for k := range q.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ps []string
	for _, k := range keys {
		ps = append(ps, k+"="+q.Parameters[k])
	}
	if len(ps) == 0 {
		return q.Description
	}
	return q.Description + " [" + strings.Join(ps, " ") + "]"
}

func sampleOf(sm model.Sample) Sample {
	out := Sample{ID: sm.ID, Control: sm.ControlKey, Population: sm.PopulationID, Seed: strconv.FormatInt(sm.Seed, 10), DrawnAt: sm.CreatedAt}
	for _, it := range sm.Items {
		date := it.At.UTC().Format(model.DateLayout)
		if it.To != nil && !it.To.IsZero() {
			if end := it.To.UTC().Add(-time.Microsecond).Format(model.DateLayout); end != date {
				date += " to " + end
			}
		}
		res := string(it.Result)
		if res == "" {
			res = ResultPending
		}
		out.Items = append(out.Items, SampleItem{Ref: it.Key, Date: date, Title: it.Label, Result: res, Note: it.Note})
	}
	return out
}

// control turns one control result into the export's view.
func (s *Service) control(ctx context.Context, a model.Audit, r audit.ControlResult, samples []model.Sample, ev *evidenceIndex, from, to time.Time) (Control, error) {
	fc := r.Control
	c := Control{Key: fc.Key, Title: fc.Title, Description: fc.Description, Owner: fc.Owner, Frequency: fc.Frequency, Nature: fc.Nature,
		Criteria: r.MappedTo, Status: r.Result, StatusNote: r.Reason}
	date := func(t time.Time) string { return t.UTC().Format(model.DateLayout) }
	lastDay := func(t time.Time) string { return t.UTC().Add(-time.Microsecond).Format(model.DateLayout) }
	refs := map[[2]int64]bool{}
	var cited []audit.EvidenceRef

	if op := r.Operation; op != nil {
		failing := map[string]int64{}
		for _, row := range op.Rows {
			failing[row.TestID] += row.FailingSeconds
		}
		for _, t := range r.Tests {
			days := float64(failing[t.ID]) / day.Seconds()
			status := "no failure in the period"
			if failing[t.ID] > 0 {
				status = "failing " + audit.HumanDuration(model.Duration(time.Duration(failing[t.ID])*time.Second)) + " in the period"
			}
			c.Tests = append(c.Tests, Test{ID: t.ID, Title: t.Title, Status: status, DaysFailing: roundTenth(days)})
		}
		o := &Operation{PeriodDays: int(to.Sub(from) / day), DaysFailing: roundTenth(float64(op.TimeFailingAnySeconds) / day.Seconds()),
			Expected: op.Occurrences.Expected, Present: op.Occurrences.Present}
		for _, w := range op.Occurrences.Windows {
			if w.Due && !w.Present {
				o.Gaps = append(o.Gaps, date(w.From)+" to "+lastDay(w.To))
			}
			cited = append(cited, w.Evidence...)
		}
		c.Operation = o
		for _, ce := range op.CandidateExceptions {
			src, note := "test_failure", ce.Message
			if ce.State == audit.CandidateAccepted {
				src = "accepted"
			}
			for _, x := range ce.Exceptions {
				note = joinNonEmpty("; ", note, "accepted by "+x.Approver+": "+x.Reason)
			}
			end := lastDay(ce.To)
			if ce.Ongoing {
				end += " (ongoing)"
			}
			c.Exceptions = append(c.Exceptions, Exception{Control: fc.Key, Source: src, From: date(ce.From), To: end,
				Item: joinNonEmpty(" on ", ce.TestID, ce.ResourceName), Note: note})
		}
	}
	if at := r.AsOf; at != nil {
		byID := map[string]audit.TestAt{}
		for _, t := range at.Tests {
			byID[t.ID] = t
		}
		for _, t := range r.Tests {
			st := byID[t.ID].State
			if st == "" {
				st = check.ControlNotTested
			}
			c.Tests = append(c.Tests, Test{ID: t.ID, Title: t.Title, Status: st + " on " + a.AsOf})
			for _, f := range byID[t.ID].Failing {
				c.Exceptions = append(c.Exceptions, Exception{Control: fc.Key, Source: "test_failure", From: date(f.Since), To: a.AsOf,
					Item: joinNonEmpty(" on ", t.ID, f.ResourceName), Note: joinNonEmpty(": ", string(f.Status), f.Message)})
			}
		}
		cited = append(cited, at.EvidenceItems...)
	}
	for _, sm := range samples {
		if sm.ControlKey != fc.Key {
			continue
		}
		for _, it := range sm.Items {
			if it.Result == model.ResultException {
				c.Exceptions = append(c.Exceptions, Exception{Control: fc.Key, Source: "sample", From: date(it.At),
					Item: joinNonEmpty(" ", "S"+strconv.FormatInt(sm.ID, 10)+" #"+strconv.Itoa(it.Position), it.Key), Note: it.Note})
			}
		}
	}

	// Evidence: what the audit service cites (the versions that counted as
	// of the date, or in each occurrence window), and every version of the
	// control's evidence effective within the period.
	add := func(e Evidence) {
		k := [2]int64{e.Item, int64(e.Version)}
		if !refs[k] {
			refs[k] = true
			c.Evidence = append(c.Evidence, e)
		}
	}
	for _, ref := range cited {
		e, ok, err := ev.version(ctx, ref.ItemID, ref.Version)
		if err != nil {
			return c, err
		}
		if ok {
			add(e)
		}
	}
	effective, err := ev.forControl(ctx, fc.Key)
	if err != nil {
		return c, err
	}
	winFrom, winTo := from.Format(model.DateLayout), to.Add(-time.Microsecond).Format(model.DateLayout)
	for _, e := range effective {
		if a.Type == model.AuditType1 {
			// Type 1: the version current on the as-of day is what the audit
			// service cites; nothing else is in scope.
			continue
		}
		end := e.EffectiveTo
		if end == "" {
			end = e.EffectiveFrom
		}
		if e.EffectiveFrom <= winTo && end >= winFrom {
			add(e)
		}
	}
	sort.SliceStable(c.Evidence, func(i, j int) bool {
		if c.Evidence[i].Item != c.Evidence[j].Item {
			return c.Evidence[i].Item < c.Evidence[j].Item
		}
		return c.Evidence[i].Version < c.Evidence[j].Version
	})
	return c, nil
}

func roundTenth(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// bridge is the bridge letter's content once the audit's date or period
// has passed: control changes after it, and controls whose tests failed at
// some time since.
func (s *Service) bridge(ctx context.Context, a model.Audit, rs []audit.ControlResult, changes []audit.ControlChange, end, now time.Time) (*Bridge, error) {
	if !now.After(end) {
		return nil, nil
	}
	b := &Bridge{From: end.UTC().Format(model.DateLayout), To: now.UTC().Format(model.DateLayout)}
	for _, ch := range changes {
		if ch.ChangedAt.After(end) {
			b.Changes = append(b.Changes, Change{Date: ch.ChangedAt.UTC().Format(model.DateLayout), Description: changeText(ch)})
		}
	}
	for _, r := range rs {
		var first time.Time
		for _, t := range r.Tests {
			ivs, err := s.Checks.Intervals(ctx, a.OrgID, t.ID, 0, end, now)
			if err != nil {
				return nil, err
			}
			for _, iv := range ivs {
				if iv.Status != model.TestFail && iv.Status != model.TestError {
					continue
				}
				at := iv.From
				if at.Before(end) {
					at = end
				}
				if first.IsZero() || at.Before(first) {
					first = at
				}
			}
		}
		if !first.IsZero() {
			b.Failing = append(b.Failing, r.Control.Key+" "+r.Control.Title+" (first failing "+first.UTC().Format(model.DateLayout)+")")
		}
	}
	return b, nil
}

// evidenceIndex reads evidence items and versions once per export.
type evidenceIndex struct {
	o        *store.OrgStore
	items    map[int64]model.EvidenceItem
	versions map[int64][]model.EvidenceVersion
}

func newEvidenceIndex(o *store.OrgStore) *evidenceIndex {
	return &evidenceIndex{o: o, items: map[int64]model.EvidenceItem{}, versions: map[int64][]model.EvidenceVersion{}}
}

func (x *evidenceIndex) load(ctx context.Context, id int64) (model.EvidenceItem, []model.EvidenceVersion, error) {
	if it, ok := x.items[id]; ok {
		return it, x.versions[id], nil
	}
	it, err := x.o.EvidenceItem(ctx, id)
	if err != nil {
		return it, nil, err
	}
	vs, err := x.o.EvidenceVersions(ctx, id)
	if err != nil {
		return it, nil, err
	}
	x.items[id], x.versions[id] = it, vs
	return it, vs, nil
}

func (x *evidenceIndex) version(ctx context.Context, item int64, version int) (Evidence, bool, error) {
	it, vs, err := x.load(ctx, item)
	if err != nil {
		return Evidence{}, false, err
	}
	for _, v := range vs {
		if v.Version == version {
			return FromVersion(it, v), true, nil
		}
	}
	return Evidence{}, false, nil
}

func (x *evidenceIndex) forControl(ctx context.Context, key string) ([]Evidence, error) {
	items, err := x.o.ListEvidence(ctx, store.EvidenceFilter{Control: key})
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for _, li := range items {
		it, vs, err := x.load(ctx, li.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out = append(out, FromVersion(it, v))
		}
	}
	return out, nil
}

// seqOf is the ledger entry that recorded the version of item holding sha.
func (x *evidenceIndex) seqOf(ctx context.Context, item int64, sha string) (int64, error) {
	_, vs, err := x.load(ctx, item)
	if err != nil {
		return 0, err
	}
	for _, v := range vs {
		if v.SHA256 == sha {
			return v.LedgerSeq, nil
		}
	}
	return 0, nil
}
