// Package export turns an audit into what leaves Assure: the control
// matrix (XLSX, CSV), the report draft (PDF, HTML) with a management
// assertion template and a bridge letter draft, and the evidence package
// (ZIP) whose integrity anyone can check offline with `assure verify`
// (Verify in this package: no database, only the package and, if given, a
// trusted public key).
//
// Every writer works from one value, Data: the audit's frozen view gathered
// once by the Service (or built by hand in tests). Nothing here writes SQL;
// the only write an export makes is the ledger entry that seals a package.
package export

import (
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// AuditInfo identifies the audit an export is about.
type AuditInfo struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name,omitempty"`
	Framework model.Framework `json:"framework"`
	// Type is 1 (as of a date) or 2 (over a period).
	Type       int    `json:"type"`
	AsOf       string `json:"as_of,omitempty"`
	PeriodFrom string `json:"period_from,omitempty"`
	PeriodTo   string `json:"period_to,omitempty"`
	Status     string `json:"status,omitempty"`
}

// When says the audit's date or period in words.
func (a AuditInfo) When() string {
	if a.Type == 1 {
		return "as of " + a.AsOf
	}
	return a.PeriodFrom + " to " + a.PeriodTo
}

// FrameworkLabel is "SOC 2" or "SOC 1".
func (a AuditInfo) FrameworkLabel() string {
	if a.Framework == model.SOC1 {
		return "SOC 1"
	}
	return "SOC 2"
}

// Title is "SOC 2 Type 2, 2026-01-01 to 2026-06-30".
func (a AuditInfo) Title() string {
	return a.FrameworkLabel() + " Type " + strconv.Itoa(a.Type) + ", " + a.When()
}

// Data is everything an export shows.
type Data struct {
	GeneratedAt time.Time
	Generator   string // "assure v1.2.3"
	Org         model.Organization
	Audit       AuditInfo
	// Scope is the audit's frozen scope: categories, the system
	// description elements (DC 200), subservice organizations with their
	// CSOCs, CUECs, criteria not relevant.
	Scope model.Scope
	// Criteria are the criteria (SOC 2) or objectives (SOC 1) in scope,
	// each with the controls that address it.
	Criteria    []Criterion
	Controls    []Control
	Populations []Population
	Samples     []Sample
	// Changes are changes to the system and its controls during the period
	// (DC 9): the scope's own list and the control changes Assure saw.
	Changes []Change
	// Entries are further ledger entries a package proves besides those
	// of its evidence and populations (the audit's own record, exceptions).
	Entries []int64
	// Bridge is the bridge letter's content, for an audit whose period has
	// ended (nil otherwise).
	Bridge *Bridge
}

// Criterion is a criterion or objective in scope.
type Criterion struct {
	ID    string
	Title string
	Group string // the category or objective family
	// NotRelevant is the reason it is not relevant to the system ("" when
	// it is relevant).
	NotRelevant string
	Controls    []string
}

// Control is one control of the audit, with its state as of the Type 1
// date or its operation over the Type 2 period.
type Control struct {
	Key         string
	Title       string
	Description string
	Owner       string
	Frequency   model.Frequency
	Nature      model.Nature
	// Criteria are the criteria or objectives in scope it addresses.
	Criteria []string
	Tests    []Test
	// Status is one word (passing, failing, no_tests, not_operating…) as
	// of the Type 1 date or over the Type 2 period; StatusNote says it in
	// a sentence ("failing 3 of 181 days; 1 of 2 occurrences evidenced").
	Status     string
	StatusNote string
	Operation  *Operation
	Evidence   []Evidence
	Exceptions []Exception
}

// Test is a test that supports a control.
type Test struct {
	ID     string
	Title  string
	Status string
	// DaysFailing over the period (Type 2).
	DaysFailing float64
}

// Operation is how a control operated across a Type 2 period.
type Operation struct {
	PeriodDays  int
	DaysFailing float64
	// Expected occurrences by frequency (0 for continuous and event-driven
	// controls) and how many windows hold effective evidence.
	Expected int
	Present  int
	// Gaps are occurrence windows without evidence ("2026-04-01 to 2026-06-30").
	Gaps []string
}

// Evidence is one evidence version the audit relies on.
type Evidence struct {
	Item          int64
	Version       int
	Kind          model.EvidenceKind
	Title         string
	Controls      []string
	SHA256        string
	Size          int64
	MediaType     string
	OriginalName  string
	URL           string
	EffectiveFrom string
	EffectiveTo   string
	ExpiresOn     string
	LedgerSeq     int64
	// Deleted says why the content is gone ("" when it is stored).
	Deleted string
}

// Ref is how exports name an evidence version: "E12-v2".
func (e Evidence) Ref() string {
	return "E" + strconv.FormatInt(e.Item, 10) + "-v" + strconv.Itoa(e.Version)
}

// Effective is "2026-03-01" or "2026-03-01 to 2026-03-31".
func (e Evidence) Effective() string {
	if e.EffectiveTo != "" && e.EffectiveTo != e.EffectiveFrom {
		return e.EffectiveFrom + " to " + e.EffectiveTo
	}
	return e.EffectiveFrom
}

// Exception is a deviation noted for a control: a sample result recorded
// as an exception, a failure interval of a test (a candidate exception),
// or an exception management accepted.
type Exception struct {
	Control string
	// Source is sample, test_failure or accepted.
	Source string
	From   string
	To     string
	// Item is what it is about: the sample item, the test and resource.
	Item string
	Note string
}

// Population is a complete list of events of one kind in the period.
type Population struct {
	ID         int64
	Name       string
	Source     string
	Query      string
	ProducedAt time.Time
	Count      int
	// SHA256, Size and MediaType describe the stored content; LedgerSeq
	// the entry that recorded it.
	SHA256    string
	Size      int64
	MediaType string
	LedgerSeq int64
	Controls  []string
}

// Sample is a selection from a population (or from a control's
// occurrences) with the auditor's result per item.
type Sample struct {
	ID         int64
	Control    string
	Population int64
	Seed       string
	DrawnAt    time.Time
	Items      []SampleItem
}

// Exceptions counts the items recorded as exceptions.
func (s Sample) Exceptions() int {
	n := 0
	for _, it := range s.Items {
		if it.Result == ResultException {
			n++
		}
	}
	return n
}

// Sample results.
const (
	ResultPass      = "pass"
	ResultException = "exception"
	ResultPending   = "pending"
)

// SampleItem is one selected item and its result.
type SampleItem struct {
	Ref    string // the population item's key (a pull request, a person…)
	Date   string
	Title  string
	Result string // pass, exception or pending
	Note   string
}

// Change is a change to the system or its controls.
type Change struct {
	Date        string
	Description string
}

// Bridge is the content of a bridge letter draft: the time after the
// period's end up to To.
type Bridge struct {
	From, To string
	// Changes and Failing are what Assure saw since the period ended:
	// control changes, and controls failing at some time since.
	Changes []Change
	Failing []string
}

// ControlByKey finds a control.
func (d Data) ControlByKey(key string) (Control, bool) {
	for _, c := range d.Controls {
		if c.Key == key {
			return c, true
		}
	}
	return Control{}, false
}

// AllExceptions lists every control's exceptions in control order.
func (d Data) AllExceptions() []Exception {
	var out []Exception
	for _, c := range d.Controls {
		out = append(out, c.Exceptions...)
	}
	return out
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// FromVersion describes an evidence version for an export.
func FromVersion(it model.EvidenceItem, v model.EvidenceVersion) Evidence {
	e := Evidence{Item: it.ID, Version: v.Version, Kind: it.Kind, Title: it.Title, Controls: it.Controls, SHA256: v.SHA256, Size: v.Size,
		MediaType: v.MediaType, OriginalName: v.FileName, URL: v.URL, EffectiveFrom: v.EffectiveFrom, EffectiveTo: v.EffectiveTo,
		ExpiresOn: v.ExpiresOn, LedgerSeq: v.LedgerSeq}
	if v.DeletedAt != nil {
		e.Deleted = "deleted by the retention policy on " + v.DeletedAt.UTC().Format(model.DateLayout)
		if v.DeletionReason != "" {
			e.Deleted += " (" + v.DeletionReason + ")"
		}
	}
	return e
}
