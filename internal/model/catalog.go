package model

import (
	"slices"
	"strings"
	"time"
)

// Framework is a kind of SOC report Assure prepares.
type Framework string

const (
	SOC1 Framework = "soc1"
	SOC2 Framework = "soc2"
)

// Frameworks lists the frameworks in display order.
func Frameworks() []Framework { return []Framework{SOC2, SOC1} }

// ParseFramework accepts a framework id.
func ParseFramework(s string) (Framework, error) {
	f := Framework(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Frameworks(), f) {
		return f, nil
	}
	return "", Invalid("framework", "unknown framework %q (use soc2 or soc1)", s)
}

// EnumValues lists the frameworks for the API schema.
func (Framework) EnumValues() []string { return enumStrings(Frameworks()) }

// Category is one of the five SOC 2 trust services categories.
type Category string

const (
	CategorySecurity            Category = "security"
	CategoryAvailability        Category = "availability"
	CategoryProcessingIntegrity Category = "processing_integrity"
	CategoryConfidentiality     Category = "confidentiality"
	CategoryPrivacy             Category = "privacy"
)

// Categories lists the five categories in the order the criteria use.
func Categories() []Category {
	return []Category{CategorySecurity, CategoryAvailability, CategoryProcessingIntegrity, CategoryConfidentiality, CategoryPrivacy}
}

// ParseCategory accepts a category id.
func ParseCategory(s string) (Category, error) {
	c := Category(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Categories(), c) {
		return c, nil
	}
	return "", Invalid("categories", "unknown category %q (use security, availability, processing_integrity, confidentiality or privacy)", s)
}

// EnumValues lists the categories for the API schema.
func (Category) EnumValues() []string { return enumStrings(Categories()) }

// NormalizeCategories validates a category list, removes duplicates and
// returns it in canonical order. It does not add Security: refusing a scope
// without it is the caller's rule (see CheckSOC2Categories).
func NormalizeCategories(in []Category) ([]Category, error) {
	seen := map[Category]bool{}
	for _, c := range in {
		if _, err := ParseCategory(string(c)); err != nil {
			return nil, err
		}
		seen[Category(strings.ToLower(strings.TrimSpace(string(c))))] = true
	}
	var out []Category
	for _, c := range Categories() {
		if seen[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// ErrSecurityRequired is the message for a SOC 2 scope without Security.
const ErrSecurityRequired = "Security cannot be removed from a SOC 2 scope: the common criteria (CC1–CC9) apply to every SOC 2 report; add or remove only availability, processing_integrity, confidentiality and privacy"

// CheckSOC2Categories refuses a SOC 2 category list without Security.
func CheckSOC2Categories(cs []Category) error {
	if !slices.Contains(cs, CategorySecurity) {
		return Invalid("categories", "%s", ErrSecurityRequired)
	}
	return nil
}

// Nature is how a control operates.
type Nature string

const (
	NatureAutomated         Nature = "automated"
	NatureManual            Nature = "manual"
	NatureITDependentManual Nature = "it_dependent_manual"
)

// Natures lists the natures.
func Natures() []Nature { return []Nature{NatureAutomated, NatureITDependentManual, NatureManual} }

// ParseNature accepts a nature ("it-dependent-manual" too).
func ParseNature(s string) (Nature, error) {
	n := Nature(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if slices.Contains(Natures(), n) {
		return n, nil
	}
	return "", Invalid("nature", "unknown nature %q (use automated, manual or it_dependent_manual)", s)
}

// EnumValues lists the natures for the API schema.
func (Nature) EnumValues() []string { return enumStrings(Natures()) }

// Label is the nature for people.
func (n Nature) Label() string {
	if n == NatureITDependentManual {
		return "IT-dependent manual"
	}
	return string(n)
}

// ControlStatus is where an organization's control stands in its life.
type ControlStatus string

const (
	// ControlPlanned: adopted or written, not yet operating.
	ControlPlanned ControlStatus = "planned"
	// ControlImplemented: designed and operating.
	ControlImplemented ControlStatus = "implemented"
	// ControlRetired: no longer operated; kept for the record (past audits
	// and evidence still name it).
	ControlRetired ControlStatus = "retired"
)

// ControlStatuses lists the statuses.
func ControlStatuses() []ControlStatus {
	return []ControlStatus{ControlPlanned, ControlImplemented, ControlRetired}
}

// ParseControlStatus accepts a status.
func ParseControlStatus(s string) (ControlStatus, error) {
	c := ControlStatus(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(ControlStatuses(), c) {
		return c, nil
	}
	return "", Invalid("status", "unknown status %q (use planned, implemented or retired)", s)
}

// EnumValues lists the statuses for the API schema.
func (ControlStatus) EnumValues() []string { return enumStrings(ControlStatuses()) }

// ControlKeyMax bounds a control key's length.
const ControlKeyMax = 32

// ValidateControlKey checks a control key: letters, digits, dashes, dots and
// underscores, starting with a letter or digit (library keys look like
// IAM-01; an organization's own may be anything of that shape).
func ValidateControlKey(key string) error {
	if key == "" {
		return Invalid("key", "is required (for example ACME-01)")
	}
	if len(key) > ControlKeyMax {
		return Invalid("key", "%q is longer than %d characters", key, ControlKeyMax)
	}
	for i, r := range key {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && (r == '-' || r == '_' || r == '.'))
		if !ok {
			return Invalid("key", "%q may contain only letters, digits, '-', '_' and '.', starting with a letter or digit", key)
		}
	}
	return nil
}

// ControlField names an editable field of a control; the store records
// which ones the organization changed from the library's text.
type ControlField string

const (
	FieldTitle       ControlField = "title"
	FieldDescription ControlField = "description"
	FieldOwner       ControlField = "owner"
	FieldFrequency   ControlField = "frequency"
	FieldNature      ControlField = "nature"
	FieldEvidence    ControlField = "evidence"
	FieldMappings    ControlField = "mappings"
)

// Control is one of the organization's controls: adopted from the library or
// written by the organization. Tests, evidence and audits name it by Key.
type Control struct {
	ID          int64         `json:"id"`
	Key         string        `json:"key"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	Owner       string        `json:"owner"`
	Frequency   Frequency     `json:"frequency"`
	Nature      Nature        `json:"nature"`
	Status      ControlStatus `json:"status"`
	// Evidence lists what an auditor asks for, one item per entry.
	Evidence []string `json:"evidence"`
	// LibraryKey and LibraryVersion name the library control and version it
	// came from ("" for the organization's own controls).
	LibraryKey     string `json:"library_key,omitempty"`
	LibraryVersion string `json:"library_version,omitempty"`
	// Edited lists the fields the organization changed after adopting; a
	// library upgrade never overwrites them.
	Edited []ControlField `json:"edited"`
	// LibraryText is the library's text of each field as of LibraryVersion
	// (internal: lets an upgrade tell whether the library changed a field).
	LibraryText map[ControlField]string `json:"-"`
	Criteria    []CriterionMapping      `json:"criterion_mappings"`
	Objectives  []ObjectiveMapping      `json:"objective_mappings"`
	CreatedAt   time.Time               `json:"created_at"`
	UpdatedAt   time.Time               `json:"updated_at"`
	// UpdatedBy names who made the last change (an e-mail, or the system).
	UpdatedBy string `json:"updated_by"`
}

// IsEdited reports whether the organization changed field f.
func (c Control) IsEdited(f ControlField) bool { return slices.Contains(c.Edited, f) }

// CriterionIDs lists the SOC 2 criteria the control is mapped to.
func (c Control) CriterionIDs() []string {
	out := []string{}
	for _, m := range c.Criteria {
		out = append(out, m.CriterionID)
	}
	return out
}

// CriterionMapping says a control addresses a SOC 2 criterion, and why.
type CriterionMapping struct {
	CriterionID string `json:"criterion"`
	Rationale   string `json:"rationale"`
}

// ObjectiveMapping says a control supports one of the organization's SOC 1
// objectives, and why.
type ObjectiveMapping struct {
	ObjectiveKey string `json:"objective"`
	Rationale    string `json:"rationale"`
}

// ObjectiveKind separates IT general control objectives from business
// process objectives.
type ObjectiveKind string

const (
	ObjectiveITGC            ObjectiveKind = "itgc"
	ObjectiveBusinessProcess ObjectiveKind = "business_process"
)

// ObjectiveKinds lists the kinds.
func ObjectiveKinds() []ObjectiveKind {
	return []ObjectiveKind{ObjectiveITGC, ObjectiveBusinessProcess}
}

// ParseObjectiveKind accepts a kind.
func ParseObjectiveKind(s string) (ObjectiveKind, error) {
	k := ObjectiveKind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(ObjectiveKinds(), k) {
		return k, nil
	}
	return "", Invalid("kind", "unknown objective kind %q (use itgc or business_process)", s)
}

// EnumValues lists the kinds for the API schema.
func (ObjectiveKind) EnumValues() []string { return enumStrings(ObjectiveKinds()) }

// Objective is one of the organization's SOC 1 control objectives. Retired
// objectives stay for the record.
type Objective struct {
	ID          int64         `json:"id"`
	Key         string        `json:"key"`
	Kind        ObjectiveKind `json:"kind"`
	Family      string        `json:"family"`
	Title       string        `json:"title"`
	Objective   string        `json:"objective"`
	Description string        `json:"description"`
	// TemplateKey names the library template it was created from ("" when written from scratch).
	TemplateKey string     `json:"template_key,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	UpdatedBy   string     `json:"updated_by"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
}

// SubserviceMethod is how a report treats a subservice organization.
type SubserviceMethod string

const (
	CarveOut  SubserviceMethod = "carve_out"
	Inclusive SubserviceMethod = "inclusive"
)

// ParseSubserviceMethod accepts carve_out ("carve-out") or inclusive.
func ParseSubserviceMethod(s string) (SubserviceMethod, error) {
	m := SubserviceMethod(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	if m == CarveOut || m == Inclusive {
		return m, nil
	}
	return "", Invalid("method", "unknown method %q (use carve_out or inclusive)", s)
}

// EnumValues lists the methods for the API schema.
func (SubserviceMethod) EnumValues() []string { return []string{string(CarveOut), string(Inclusive)} }

// Scope is what one framework's report covers for an organization: the
// categories (SOC 2), the system description elements (DC 200), subservice
// organizations, complementary user entity controls and criteria not relevant.
type Scope struct {
	Framework  Framework  `json:"framework" yaml:"framework"`
	Categories []Category `json:"categories" yaml:"categories"`
	System     System     `json:"system" yaml:"system"`
	// Subservice organizations with their complementary controls (CSOCs).
	Subservice []SubserviceOrg `json:"subservice_organizations" yaml:"subservice_organizations"`
	// CUECs: controls the design assumes each customer (user entity) operates.
	CUECs       []CUEC        `json:"cuecs" yaml:"cuecs"`
	NotRelevant []NotRelevant `json:"not_relevant" yaml:"not_relevant"`
	UpdatedAt   *time.Time    `json:"updated_at,omitempty" yaml:"-"`
	UpdatedBy   string        `json:"updated_by,omitempty" yaml:"-"`
}

// System holds the narrative elements of the system description.
type System struct {
	// Services the report covers (DC 1).
	Services string `json:"services" yaml:"services"`
	// Boundary: which products, environments and locations are in the system.
	Boundary string `json:"boundary" yaml:"boundary"`
	// Principal service commitments to customers and the system requirements
	// needed to meet them (DC 2).
	Commitments        []string `json:"commitments" yaml:"commitments"`
	SystemRequirements []string `json:"system_requirements" yaml:"system_requirements"`
	// Components of the system (DC 3).
	Components Components `json:"components" yaml:"components"`
	// Significant incidents (DC 4) and significant changes (DC 9).
	Incidents []Incident `json:"incidents" yaml:"incidents"`
	Changes   []Change   `json:"significant_changes" yaml:"significant_changes"`
}

// Components are the five kinds of system components.
type Components struct {
	Infrastructure string `json:"infrastructure" yaml:"infrastructure"`
	Software       string `json:"software" yaml:"software"`
	People         string `json:"people" yaml:"people"`
	Procedures     string `json:"procedures" yaml:"procedures"`
	Data           string `json:"data" yaml:"data"`
}

// Incident is a significant system incident for the description.
type Incident struct {
	Date        string `json:"date" yaml:"date"` // YYYY-MM-DD
	Description string `json:"description" yaml:"description"`
	Resolution  string `json:"resolution" yaml:"resolution"`
}

// Change is a significant change to the system or its controls.
type Change struct {
	Date        string `json:"date" yaml:"date"` // YYYY-MM-DD
	Description string `json:"description" yaml:"description"`
}

// SubserviceOrg is a vendor whose services are part of the system.
type SubserviceOrg struct {
	ID       int64            `json:"id,omitempty" yaml:"-"`
	Name     string           `json:"name" yaml:"name"`
	Services string           `json:"services" yaml:"services"`
	Method   SubserviceMethod `json:"method" yaml:"method"`
	CSOCs    []CSOC           `json:"csocs" yaml:"csocs"`
}

// CSOC is a control the design assumes a carved-out subservice organization
// operates, with the criteria (or objectives) it supports.
type CSOC struct {
	ID       int64    `json:"id,omitempty" yaml:"-"`
	Control  string   `json:"control" yaml:"control"`
	Criteria []string `json:"criteria" yaml:"criteria"`
}

// CUEC is a complementary user entity control: what the design assumes each
// customer does, with the criteria (or objectives) it supports.
type CUEC struct {
	ID       int64    `json:"id,omitempty" yaml:"-"`
	Control  string   `json:"control" yaml:"control"`
	Criteria []string `json:"criteria" yaml:"criteria"`
}

// NotRelevant marks an applicable criterion (or objective) as not relevant
// to the system. The reason is required: the description must state it.
type NotRelevant struct {
	Criterion string `json:"criterion" yaml:"criterion"`
	Reason    string `json:"reason" yaml:"reason"`
}

// ValidateDate checks a YYYY-MM-DD date.
func ValidateDate(field, s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return Invalid(field, "%q is not a date: use YYYY-MM-DD", s)
	}
	return nil
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
