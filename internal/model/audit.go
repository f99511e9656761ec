package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuditType is the kind of SOC report an audit prepares: Type 1 (design as
// of a date) or Type 2 (operating effectiveness over a period).
type AuditType int

// The audit types.
const (
	AuditType1 AuditType = 1
	AuditType2 AuditType = 2
)

// ParseAuditType accepts 1, 2, "type1", "type 2", "ii"….
func ParseAuditType(s string) (AuditType, error) {
	v := strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.TrimSpace(s)))
	v = strings.TrimPrefix(v, "type")
	switch v {
	case "1", "i":
		return AuditType1, nil
	case "2", "ii":
		return AuditType2, nil
	}
	return 0, Invalid("type", "unknown audit type %q (use 1 for a Type 1 as of a date, or 2 for a Type 2 over a period)", s)
}

// Valid reports whether t is 1 or 2.
func (t AuditType) Valid() bool { return t == AuditType1 || t == AuditType2 }

// String is "Type 1" or "Type 2".
func (t AuditType) String() string { return "Type " + strconv.Itoa(int(t)) }

// AuditStatus is where an audit stands. Planning: scope and members are set
// up; fieldwork: the auditor pulls populations, draws samples and records
// results; review: testing is done and the report is being reviewed;
// issued: the report is out and the audit is a closed record (nothing in
// it changes any more).
type AuditStatus string

// The audit statuses, in order.
const (
	AuditPlanning  AuditStatus = "planning"
	AuditFieldwork AuditStatus = "fieldwork"
	AuditReview    AuditStatus = "review"
	AuditIssued    AuditStatus = "issued"
)

// AuditStatuses lists the statuses in order.
func AuditStatuses() []AuditStatus {
	return []AuditStatus{AuditPlanning, AuditFieldwork, AuditReview, AuditIssued}
}

// ParseAuditStatus accepts a status name.
func ParseAuditStatus(s string) (AuditStatus, error) {
	v := AuditStatus(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(AuditStatuses(), v) {
		return v, nil
	}
	return "", Invalid("status", "unknown audit status %q (use planning, fieldwork, review or issued)", s)
}

// EnumValues lists the statuses for the API schema.
func (AuditStatus) EnumValues() []string { return enumStrings(AuditStatuses()) }

// Closed reports whether the audit is a closed record.
func (s AuditStatus) Closed() bool { return s == AuditIssued }

// Audit is one engagement: a framework, a type with its date or period, and
// what was frozen when it was created — the scope and the control set — so
// that later edits show as changes instead of rewriting what was audited.
type Audit struct {
	ID        int64     `json:"id"`
	OrgID     int64     `json:"org_id"`
	Name      string    `json:"name"`
	Framework Framework `json:"framework"`
	Type      AuditType `json:"type"`
	// AsOf (Type 1) is the day the design is examined at; the state shown is
	// the one at the end of that day (UTC).
	AsOf string `json:"as_of,omitempty"`
	// PeriodFrom and PeriodTo (Type 2) are the first and the last day of the
	// period, both included (UTC days).
	PeriodFrom string      `json:"period_from,omitempty"`
	PeriodTo   string      `json:"period_to,omitempty"`
	Status     AuditStatus `json:"status"`
	// Firm is the audit firm's name (free text).
	Firm string `json:"firm"`
	// Scope is the framework's scope as it was when the audit was created.
	Scope Scope `json:"scope"`
	// Controls is the control set frozen at creation: the active controls
	// mapped into the scope, with their design and mappings.
	Controls []AuditControl `json:"controls"`
	// Sampling is the audit firm's sample size table for this audit.
	Sampling SampleTable `json:"sampling"`
	// CatalogVersion is the criteria catalog's version at creation.
	CatalogVersion string        `json:"catalog_version"`
	Members        []AuditMember `json:"members"`
	CreatedAt      time.Time     `json:"created_at"`
	CreatedBy      string        `json:"created_by"`
	UpdatedAt      time.Time     `json:"updated_at"`
	UpdatedBy      string        `json:"updated_by"`
}

// Window is the span of time the audit covers, in UTC: for a Type 2 the
// period [first day 00:00, day after the last day 00:00); for a Type 1 both
// ends are the end of the as-of day (the moment its state is read at).
func (a Audit) Window() (from, to time.Time) {
	if a.Type == AuditType1 {
		d, _ := time.Parse(DateLayout, a.AsOf)
		end := d.AddDate(0, 0, 1)
		return end, end
	}
	f, _ := time.Parse(DateLayout, a.PeriodFrom)
	t, _ := time.Parse(DateLayout, a.PeriodTo)
	return f, t.AddDate(0, 0, 1)
}

// AsOfInstant is the moment a Type 1 audit reads the state at: the last
// microsecond of the as-of day (UTC).
func (a Audit) AsOfInstant() time.Time {
	_, to := a.Window()
	return to.Add(-time.Microsecond)
}

// PeriodLabel says when the audit is about ("as of 2026-06-30", or
// "2026-01-01 – 2026-06-30").
func (a Audit) PeriodLabel() string {
	if a.Type == AuditType1 {
		return "as of " + a.AsOf
	}
	return a.PeriodFrom + " – " + a.PeriodTo
}

// Control returns the frozen control with key.
func (a Audit) Control(key string) (AuditControl, bool) {
	for _, c := range a.Controls {
		if c.Key == key {
			return c, true
		}
	}
	return AuditControl{}, false
}

// IsMember reports whether a user is an invited member of the audit.
func (a Audit) IsMember(userID int64) bool {
	for _, m := range a.Members {
		if m.UserID == userID {
			return true
		}
	}
	return false
}

// AuditPeriodWarning says why a Type 2 period is unusual (outside 3–12
// months), or "" when it is within the usual range.
func AuditPeriodWarning(from, to time.Time) string {
	to = to.AddDate(0, 0, 1) // the last day is included
	switch {
	case to.Before(from.AddDate(0, 3, 0)):
		return "the period is shorter than 3 months: a Type 2 period usually runs 3 to 12 months, and users of the report may find a short one of little use"
	case to.After(from.AddDate(1, 0, 0)):
		return "the period is longer than 12 months: a Type 2 period usually runs 3 to 12 months (successive reports cover successive periods)"
	}
	return ""
}

// AuditControl is a control as it was frozen into an audit: its design
// (description, owner, frequency, nature) and its mappings.
type AuditControl struct {
	Key         string             `json:"key"`
	Title       string             `json:"title"`
	Description string             `json:"description"`
	Owner       string             `json:"owner"`
	Frequency   Frequency          `json:"frequency"`
	Nature      Nature             `json:"nature"`
	Status      ControlStatus      `json:"status"`
	Evidence    []string           `json:"evidence"`
	LibraryKey  string             `json:"library_key,omitempty"`
	Criteria    []CriterionMapping `json:"criterion_mappings"`
	Objectives  []ObjectiveMapping `json:"objective_mappings"`
	// UpdatedAt and UpdatedBy are the control's last change before the freeze.
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// FreezeControl copies a control's design and mappings for an audit.
func FreezeControl(c Control) AuditControl {
	return AuditControl{Key: c.Key, Title: c.Title, Description: c.Description, Owner: c.Owner, Frequency: c.Frequency,
		Nature: c.Nature, Status: c.Status, Evidence: slices.Clone(nonNilStrings(c.Evidence)), LibraryKey: c.LibraryKey,
		Criteria: append([]CriterionMapping{}, c.Criteria...), Objectives: append([]ObjectiveMapping{}, c.Objectives...),
		UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
}

// AsControl turns the frozen control back into a Control value (no id), for
// code that works on controls (which tests support it, its state).
func (c AuditControl) AsControl() Control {
	return Control{Key: c.Key, Title: c.Title, Description: c.Description, Owner: c.Owner, Frequency: c.Frequency, Nature: c.Nature,
		Status: c.Status, Evidence: c.Evidence, LibraryKey: c.LibraryKey, Criteria: c.Criteria, Objectives: c.Objectives,
		UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
}

// MappedTo lists the criteria (SOC 2) or objectives (SOC 1) the control maps to.
func (c AuditControl) MappedTo(fw Framework) []string {
	out := []string{}
	if fw == SOC1 {
		for _, m := range c.Objectives {
			out = append(out, m.ObjectiveKey)
		}
		return out
	}
	for _, m := range c.Criteria {
		out = append(out, m.CriterionID)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AuditMember is a user invited to one audit (an auditor sees only the
// audits it is a member of).
type AuditMember struct {
	UserID  int64     `json:"user_id"`
	Email   string    `json:"email"`
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// ---- Sampling ---------------------------------------------------------------

// EventSampleRule sizes the sample of an event-driven control from its
// population: Percent of the population rounded up, at least Min and at
// most Max — and every item when the population has Min items or fewer.
type EventSampleRule struct {
	Percent int `json:"percent"`
	Min     int `json:"min"`
	Max     int `json:"max"`
}

// SampleTable is an audit firm's sample sizes: a size per control
// frequency (continuous stands for controls that operate many times a day)
// and a rule for event-driven controls. A sample never exceeds its
// population: a smaller population is tested in full.
type SampleTable struct {
	Sizes       map[Frequency]int `json:"sizes"`
	EventDriven EventSampleRule   `json:"event_driven"`
}

// DefaultSampleTable is the table an audit starts with (commonly used
// non-statistical sizes; see docs/audits.md for the sources).
func DefaultSampleTable() SampleTable {
	return SampleTable{
		Sizes: map[Frequency]int{
			FrequencyAnnual: 1, FrequencySemiAnnual: 2, FrequencyQuarterly: 2, FrequencyMonthly: 2,
			FrequencyWeekly: 5, FrequencyDaily: 25, FrequencyContinuous: 25,
		},
		EventDriven: EventSampleRule{Percent: 10, Min: 5, Max: 25},
	}
}

// SampledFrequencies are the frequencies with a fixed size in the table.
func SampledFrequencies() []Frequency {
	return []Frequency{FrequencyAnnual, FrequencySemiAnnual, FrequencyQuarterly, FrequencyMonthly, FrequencyWeekly,
		FrequencyDaily, FrequencyContinuous}
}

// Validate checks the table: a positive size for every fixed frequency, and
// an event rule with 1 ≤ min ≤ max and 1 ≤ percent ≤ 100.
func (t SampleTable) Validate() error {
	for _, f := range SampledFrequencies() {
		if n, ok := t.Sizes[f]; !ok || n < 1 || n > 10000 {
			return Invalid("sampling", "the size for %s controls must be between 1 and 10000", f.Label())
		}
	}
	for f := range t.Sizes {
		if !slices.Contains(SampledFrequencies(), f) {
			return Invalid("sampling", "%q has no fixed size (event-driven controls use the event_driven rule)", f)
		}
	}
	e := t.EventDriven
	if e.Percent < 1 || e.Percent > 100 {
		return Invalid("sampling", "the event-driven percent must be between 1 and 100")
	}
	if e.Min < 1 || e.Max < e.Min || e.Max > 10000 {
		return Invalid("sampling", "the event-driven rule needs 1 ≤ min ≤ max ≤ 10000 (got min %d, max %d)", e.Min, e.Max)
	}
	return nil
}

// SizeFor is the sample size for a control of frequency f whose population
// has n items, and the rule that gave it in words.
func (t SampleTable) SizeFor(f Frequency, n int) (int, string) {
	if n <= 0 {
		return 0, "the population is empty: nothing to sample"
	}
	if f == FrequencyEventDriven {
		e := t.EventDriven
		if n <= e.Min {
			return n, fmt.Sprintf("event-driven: the population (%d) is no larger than the minimum (%d), so every item is tested", n, e.Min)
		}
		size := int(math.Ceil(float64(n) * float64(e.Percent) / 100))
		size = min(max(size, e.Min), e.Max, n)
		return size, fmt.Sprintf("event-driven: %d%% of %d rounded up, at least %d and at most %d", e.Percent, n, e.Min, e.Max)
	}
	size, ok := t.Sizes[f]
	if !ok {
		size = 1
	}
	if n <= size {
		return n, fmt.Sprintf("%s: the table says %d, and the population has %d, so every item is tested", f.Label(), size, n)
	}
	return size, fmt.Sprintf("%s: %d from the table", f.Label(), size)
}

// SampleBasis says what a sample was drawn from.
type SampleBasis string

// The bases.
const (
	// SampleOccurrences: the occurrence windows of a periodic control.
	SampleOccurrences SampleBasis = "occurrences"
	// SampleDays: the days of the period, for a continuous control.
	SampleDays SampleBasis = "days"
	// SamplePopulation: the items of a stored population (event-driven).
	SamplePopulation SampleBasis = "population"
)

// EnumValues lists the bases for the API schema.
func (SampleBasis) EnumValues() []string {
	return []string{string(SampleOccurrences), string(SampleDays), string(SamplePopulation)}
}

// SampleResult is the auditor's result for one sampled item.
type SampleResult string

// The results.
const (
	ResultPending   SampleResult = "pending"
	ResultPass      SampleResult = "pass"
	ResultException SampleResult = "exception"
)

// ParseSampleResult accepts pending, pass (or "no exception") or exception.
func ParseSampleResult(s string) (SampleResult, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", " ")) {
	case "pending", "":
		return ResultPending, nil
	case "pass", "no exception", "ok":
		return ResultPass, nil
	case "exception", "fail", "deviation":
		return ResultException, nil
	}
	return "", Invalid("result", "unknown result %q (use pass, exception or pending)", s)
}

// EnumValues lists the results for the API schema.
func (SampleResult) EnumValues() []string {
	return []string{string(ResultPending), string(ResultPass), string(ResultException)}
}

// Sample is a reproducible selection of items for one control: the seed,
// the population it was drawn from and the size rule are stored, so the
// same seed over the same population gives the same items.
type Sample struct {
	ID         int64       `json:"id"`
	AuditID    int64       `json:"audit_id"`
	ControlKey string      `json:"control"`
	Frequency  Frequency   `json:"frequency"`
	Basis      SampleBasis `json:"basis"`
	// PopulationID is set when Basis is population.
	PopulationID int64 `json:"population_id,omitempty"`
	// PopulationSHA256 is the hash of the population drawn from (the
	// population file, or the canonical list of occurrence windows or days).
	PopulationSHA256 string       `json:"population_sha256"`
	PopulationSize   int          `json:"population_size"`
	Seed             int64        `json:"seed"`
	Size             int          `json:"size"`
	Rule             string       `json:"rule"`
	Items            []SampleItem `json:"items"`
	CreatedAt        time.Time    `json:"created_at"`
	CreatedBy        string       `json:"created_by"`
}

// Counts tallies the sample's results.
func (s Sample) Counts() (tested, exceptions int) {
	for _, it := range s.Items {
		switch it.Result {
		case ResultPass:
			tested++
		case ResultException:
			tested++
			exceptions++
		}
	}
	return tested, exceptions
}

// SampleItem is one selected item with the auditor's result.
type SampleItem struct {
	// Position is the item's place in the sample (1…size).
	Position int `json:"position"`
	// PopulationIndex is the item's 0-based index in the ordered population.
	PopulationIndex int `json:"population_index"`
	// Stratum is the 0-based slice of the population it was drawn from.
	Stratum int    `json:"stratum"`
	Key     string `json:"key"`
	Label   string `json:"label"`
	// At is when the event happened, or the start of the window; To ends a
	// window (occurrences, days).
	At         time.Time    `json:"at"`
	To         *time.Time   `json:"to,omitempty"`
	Result     SampleResult `json:"result"`
	Note       string       `json:"note"`
	TestedBy   string       `json:"tested_by,omitempty"`
	TestedAt   *time.Time   `json:"tested_at,omitempty"`
	ResourceID int64        `json:"resource_id,omitempty"`
}

// ---- Populations ------------------------------------------------------------

// PopulationKind is a kind of event list an audit can pull.
type PopulationKind string

// The population kinds.
const (
	PopulationProductionChanges PopulationKind = "production_changes"
	PopulationNewHires          PopulationKind = "new_hires"
	PopulationTerminations      PopulationKind = "terminations"
	PopulationNewAccounts       PopulationKind = "new_accounts"
	PopulationRemovedAccounts   PopulationKind = "removed_accounts"
	PopulationTestFailures      PopulationKind = "test_failures"
)

// PopulationKinds lists the kinds.
func PopulationKinds() []PopulationKind {
	return []PopulationKind{PopulationProductionChanges, PopulationNewHires, PopulationTerminations, PopulationNewAccounts,
		PopulationRemovedAccounts, PopulationTestFailures}
}

// ParsePopulationKind accepts a kind ("new-hires" too).
func ParsePopulationKind(s string) (PopulationKind, error) {
	k := PopulationKind(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if slices.Contains(PopulationKinds(), k) {
		return k, nil
	}
	return "", Invalid("kind", "unknown population %q (use production_changes, new_hires, terminations, new_accounts, removed_accounts or test_failures)", s)
}

// EnumValues lists the kinds for the API schema.
func (PopulationKind) EnumValues() []string { return enumStrings(PopulationKinds()) }

// Population is the complete list of one kind of event in an audit's
// period, produced from collected data, with how it was produced (source
// and query), when, how many items and the SHA-256 of its file. The file is
// stored as automated evidence, so it is in the ledger.
type Population struct {
	ID         int64            `json:"id"`
	AuditID    int64            `json:"audit_id"`
	Kind       PopulationKind   `json:"kind"`
	Title      string           `json:"title"`
	Source     PopulationSource `json:"source"`
	Query      PopulationQuery  `json:"query"`
	PeriodFrom string           `json:"period_from"`
	PeriodTo   string           `json:"period_to"`
	ProducedAt time.Time        `json:"produced_at"`
	ProducedBy string           `json:"produced_by"`
	Count      int              `json:"count"`
	// SHA256 and Size are the population file's (its canonical JSON).
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// EvidenceID is the automated evidence item holding the file.
	EvidenceID int64    `json:"evidence_id"`
	Controls   []string `json:"controls"`
}

// PopulationSource names where a population's items come from.
type PopulationSource struct {
	Integrations  []PopulationIntegration `json:"integrations"`
	ResourceTypes []string                `json:"resource_types"`
	// DataThrough is the earliest of the integrations' DataThrough: the
	// list is complete up to then at least (nil: unknown).
	DataThrough *time.Time `json:"data_through,omitempty"`
}

// PopulationIntegration is one integration a population read.
type PopulationIntegration struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Connector string `json:"connector"`
	// DataThrough is when its last complete listing of the source types
	// finished before the population was produced (nil: none recorded).
	DataThrough *time.Time `json:"data_through,omitempty"`
	Removed     bool       `json:"removed,omitempty"`
}

// PopulationQuery is how the items were selected: in words, and the exact
// parameters.
type PopulationQuery struct {
	Description string            `json:"description"`
	Parameters  map[string]string `json:"parameters"`
}

// PopulationItem is one event of a population.
type PopulationItem struct {
	// Key identifies the event ("github.pull_request:acme/api#42").
	Key        string    `json:"key"`
	OccurredAt time.Time `json:"occurred_at"`
	Label      string    `json:"label"`
	// The resource (and its version) the event was read from, for tracing
	// it back to the raw API response.
	ResourceID        int64          `json:"resource_id,omitempty"`
	ResourceVersionID int64          `json:"resource_version_id,omitempty"`
	ResourceType      string         `json:"resource_type"`
	Integration       string         `json:"integration,omitempty"`
	Attributes        map[string]any `json:"attributes"`
}

// ---- Requests and comments --------------------------------------------------

// RequestStatus is where a request for evidence stands: open (asked),
// submitted (the organization answered or attached evidence), accepted (the
// auditor is satisfied). The auditor reopens a submitted request that is
// not enough.
type RequestStatus string

// The request statuses.
const (
	RequestOpen      RequestStatus = "open"
	RequestSubmitted RequestStatus = "submitted"
	RequestAccepted  RequestStatus = "accepted"
)

// RequestStatuses lists the statuses.
func RequestStatuses() []RequestStatus {
	return []RequestStatus{RequestOpen, RequestSubmitted, RequestAccepted}
}

// ParseRequestStatus accepts a status.
func ParseRequestStatus(s string) (RequestStatus, error) {
	v := RequestStatus(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(RequestStatuses(), v) {
		return v, nil
	}
	return "", Invalid("status", "unknown request status %q (use open, submitted or accepted)", s)
}

// EnumValues lists the statuses for the API schema.
func (RequestStatus) EnumValues() []string { return enumStrings(RequestStatuses()) }

// Request is an item on the audit's request list (PBC list).
type Request struct {
	ID          int64  `json:"id"`
	AuditID     int64  `json:"audit_id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// ControlKey and SampleID (optional) say what the request is for.
	ControlKey string `json:"control,omitempty"`
	SampleID   int64  `json:"sample_id,omitempty"`
	// Owner is who in the organization provides it (a name or e-mail).
	Owner string `json:"owner"`
	// Due is a day (YYYY-MM-DD), or "".
	Due         string              `json:"due,omitempty"`
	Status      RequestStatus       `json:"status"`
	Attachments []RequestAttachment `json:"attachments"`
	CreatedAt   time.Time           `json:"created_at"`
	CreatedBy   string              `json:"created_by"`
	UpdatedAt   time.Time           `json:"updated_at"`
	UpdatedBy   string              `json:"updated_by"`
}

// Overdue reports whether the request is still open after its due day.
func (r Request) Overdue(today string) bool {
	return r.Due != "" && r.Status != RequestAccepted && r.Due < today
}

// RequestAttachment is an evidence item attached to a request.
type RequestAttachment struct {
	EvidenceID int64     `json:"evidence_id"`
	Title      string    `json:"title"`
	Kind       string    `json:"kind"`
	SHA256     string    `json:"sha256"`
	AttachedAt time.Time `json:"attached_at"`
	AttachedBy string    `json:"attached_by"`
}

// Comment is a remark in an audit's workspace, about the audit, a control,
// a request or a sample ("control:IAM-01", "request:4", "sample:2").
// Comments are never edited or deleted.
type Comment struct {
	ID         int64     `json:"id"`
	AuditID    int64     `json:"audit_id"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	Author     string    `json:"author"`
	AuthorRole Role      `json:"author_role"`
	CreatedAt  time.Time `json:"created_at"`
}
