// Package catalog is the knowledge Assure ships with: the SOC 2 Trust
// Services Criteria (with points of focus), the SOC 1 objective templates,
// the control library and the scoping rules, as embedded YAML files loaded
// and validated once at start into an immutable Catalog value. On top of it
// the Service keeps each organization's scope, objectives and controls, and
// computes coverage.
//
// Every criterion id that enters the product (a mapping, an import, a
// not-relevant mark, a CUEC) is checked against the Catalog; an unknown id is
// refused with a message that names it.
package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/assurehq/assure/internal/model"
)

//go:embed data
var dataFS embed.FS

// The files of the catalog, relative to the data directory.
const (
	CriteriaFile   = "soc2/criteria.yaml"
	ObjectivesFile = "soc1/objectives.yaml"
	LibraryFile    = "controls/library.yaml"
	ScopingFile    = "scoping/rules.yaml"
)

// Catalog is the loaded, validated catalog. It is never changed after Load;
// share it freely.
type Catalog struct {
	SOC2       SOC2
	Objectives ObjectiveLibrary
	Library    Library
	Scoping    ScopingRules

	criteria   map[string]int // id → index in SOC2.Criteria
	groups     map[string]int
	objectives map[string]int
	controls   map[string]int
}

// SOC2 is the Trust Services Criteria file.
type SOC2 struct {
	Framework  string        `yaml:"framework" json:"framework"`
	Version    string        `yaml:"version" json:"version"`
	Title      string        `yaml:"title" json:"title"`
	Categories []CategoryDef `yaml:"categories" json:"categories"`
	Groups     []Group       `yaml:"groups" json:"groups"`
	Criteria   []Criterion   `yaml:"criteria" json:"criteria"`
}

// CategoryDef describes a trust services category.
type CategoryDef struct {
	ID          model.Category `yaml:"id" json:"id"`
	Name        string         `yaml:"name" json:"name"`
	Required    bool           `yaml:"required" json:"required"`
	Description string         `yaml:"description" json:"description"`
}

// Group is a criterion group (CC6, A1, P4…).
type Group struct {
	ID       string         `yaml:"id" json:"id"`
	Category model.Category `yaml:"category" json:"category"`
	Name     string         `yaml:"name" json:"name"`
}

// Criterion is one of the 61 criteria.
type Criterion struct {
	ID            string         `yaml:"id" json:"id"`
	Category      model.Category `yaml:"category" json:"category"`
	Group         string         `yaml:"group" json:"group"`
	COSOPrinciple int            `yaml:"coso_principle" json:"coso_principle"`
	Title         string         `yaml:"title" json:"title"`
	Description   string         `yaml:"description" json:"description"`
	PointsOfFocus []PointOfFocus `yaml:"points_of_focus" json:"points_of_focus"`
}

// PointOfFocus is one illustrative characteristic of a criterion, tagged
// with where it applies: "all", or only when a category is in scope.
type PointOfFocus struct {
	Text    string `yaml:"text" json:"text"`
	Applies string `yaml:"applies" json:"applies"`
}

// AppliesTo reports whether the point of focus applies with these
// categories in scope.
func (p PointOfFocus) AppliesTo(cats []model.Category) bool {
	return p.Applies == "all" || slices.Contains(cats, model.Category(p.Applies))
}

// ObjectiveLibrary is the SOC 1 objective template file.
type ObjectiveLibrary struct {
	Version    string              `yaml:"version" json:"version"`
	Objectives []ObjectiveTemplate `yaml:"objectives" json:"objectives"`
}

// ObjectiveTemplate is a SOC 1 control objective an organization may start from.
type ObjectiveTemplate struct {
	Key         string              `yaml:"key" json:"key"`
	Kind        model.ObjectiveKind `yaml:"kind" json:"kind"`
	Family      string              `yaml:"family" json:"family"`
	Title       string              `yaml:"title" json:"title"`
	Objective   string              `yaml:"objective" json:"objective"`
	Description string              `yaml:"description" json:"description"`
}

// Library is the control library file.
type Library struct {
	Version  string           `yaml:"version" json:"version"`
	Controls []LibraryControl `yaml:"controls" json:"controls"`
}

// LibraryControl is a control as the library ships it.
type LibraryControl struct {
	Key         string          `yaml:"key" json:"key"`
	Domain      string          `yaml:"domain" json:"domain"`
	Title       string          `yaml:"title" json:"title"`
	Description string          `yaml:"description" json:"description"`
	Frequency   model.Frequency `yaml:"frequency" json:"frequency"`
	Nature      model.Nature    `yaml:"nature" json:"nature"`
	OwnerRole   string          `yaml:"owner_role" json:"owner_role"`
	Evidence    []string        `yaml:"evidence" json:"evidence"`
	SOC2        []SOC2Mapping   `yaml:"soc2" json:"soc2"`
	SOC1        []SOC1Mapping   `yaml:"soc1" json:"soc1"`
}

// CriterionIDs lists the criteria the library control maps to.
func (c LibraryControl) CriterionIDs() []string {
	out := []string{}
	for _, m := range c.SOC2 {
		out = append(out, m.Criterion)
	}
	return out
}

// SOC2Mapping maps a library control to a criterion.
type SOC2Mapping struct {
	Criterion string `yaml:"criterion" json:"criterion"`
	Rationale string `yaml:"rationale" json:"rationale"`
}

// SOC1Mapping maps a library control to an objective template.
type SOC1Mapping struct {
	Objective string `yaml:"objective" json:"objective"`
	Rationale string `yaml:"rationale" json:"rationale"`
}

// Embedded loads the catalog shipped in the binary and checks that it is
// complete (all 61 criteria covered, at least 100 controls and 20 objective
// templates).
func Embedded() (*Catalog, error) {
	sub, err := fs.Sub(dataFS, "data")
	if err != nil {
		return nil, err
	}
	c, err := Load(sub)
	if err != nil {
		return nil, err
	}
	if err := c.CheckComplete(); err != nil {
		return nil, fmt.Errorf("the embedded catalog is incomplete: %w", err)
	}
	return c, nil
}

// EmbeddedFS is the embedded data directory (for tools that render it).
func EmbeddedFS() fs.FS {
	sub, _ := fs.Sub(dataFS, "data")
	return sub
}

// Load reads and validates a catalog from a directory laid out like data/.
// The scoping rules come from fsys when it has them, else from the embedded
// data. Load checks structure and every reference; CheckComplete adds the
// completeness rules the shipped catalog must meet.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{}
	if err := decodeFile(fsys, CriteriaFile, &c.SOC2); err != nil {
		return nil, err
	}
	if err := decodeFile(fsys, ObjectivesFile, &c.Objectives); err != nil {
		return nil, err
	}
	if err := decodeFile(fsys, LibraryFile, &c.Library); err != nil {
		return nil, err
	}
	rulesFS := fsys
	if _, err := fs.Stat(fsys, ScopingFile); err != nil {
		rulesFS = EmbeddedFS()
	}
	if err := decodeFile(rulesFS, ScopingFile, &c.Scoping); err != nil {
		return nil, err
	}
	if err := c.index(); err != nil {
		return nil, err
	}
	return c, nil
}

// WithLibrary returns a copy of the catalog with another control library
// (a newer version, say), validated against the same criteria and objectives.
func (c *Catalog) WithLibrary(lib Library) (*Catalog, error) {
	n := *c
	n.Library = lib
	if err := n.index(); err != nil {
		return nil, err
	}
	return &n, nil
}

// LoadLibrary reads a control library file.
func LoadLibrary(fsys fs.FS, name string) (Library, error) {
	var lib Library
	err := decodeFile(fsys, name, &lib)
	return lib, err
}

func decodeFile(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("cannot read catalog file %s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("catalog file %s: %w", name, err)
	}
	return nil
}

// The canonical criteria: group → number of criteria. The ids and their
// categories never change (the 2022 revision changed only points of focus).
var canonicalGroups = []struct {
	id       string
	category model.Category
	n        int
}{
	{"CC1", model.CategorySecurity, 5}, {"CC2", model.CategorySecurity, 3}, {"CC3", model.CategorySecurity, 4},
	{"CC4", model.CategorySecurity, 2}, {"CC5", model.CategorySecurity, 3}, {"CC6", model.CategorySecurity, 8},
	{"CC7", model.CategorySecurity, 5}, {"CC8", model.CategorySecurity, 1}, {"CC9", model.CategorySecurity, 2},
	{"A1", model.CategoryAvailability, 3}, {"C1", model.CategoryConfidentiality, 2},
	{"PI1", model.CategoryProcessingIntegrity, 5},
	{"P1", model.CategoryPrivacy, 1}, {"P2", model.CategoryPrivacy, 1}, {"P3", model.CategoryPrivacy, 2},
	{"P4", model.CategoryPrivacy, 3}, {"P5", model.CategoryPrivacy, 2}, {"P6", model.CategoryPrivacy, 7},
	{"P7", model.CategoryPrivacy, 1}, {"P8", model.CategoryPrivacy, 1},
}

// CanonicalCriteria lists the 61 criterion ids in document order with their
// categories: the set every catalog file must match exactly.
func CanonicalCriteria() []struct {
	ID       string
	Category model.Category
} {
	var out []struct {
		ID       string
		Category model.Category
	}
	for _, g := range canonicalGroups {
		for i := 1; i <= g.n; i++ {
			out = append(out, struct {
				ID       string
				Category model.Category
			}{fmt.Sprintf("%s.%d", g.id, i), g.category})
		}
	}
	return out
}

// cosoPrinciple gives the COSO 2013 principle behind CC1.1–CC5.3 (the TSC
// order differs from COSO's component order: CC2 is COSO 13–15, CC3 is 6–9,
// CC4 is 16–17, CC5 is 10–12).
var cosoPrinciple = map[string]int{
	"CC1.1": 1, "CC1.2": 2, "CC1.3": 3, "CC1.4": 4, "CC1.5": 5,
	"CC2.1": 13, "CC2.2": 14, "CC2.3": 15,
	"CC3.1": 6, "CC3.2": 7, "CC3.3": 8, "CC3.4": 9,
	"CC4.1": 16, "CC4.2": 17,
	"CC5.1": 10, "CC5.2": 11, "CC5.3": 12,
}

var (
	objectiveKeyPattern = regexp.MustCompile(`^(ITGC|BP)-[A-Z]{2,4}-[0-9]{1,2}$`)
	controlKeyPattern   = regexp.MustCompile(`^([A-Z]{2,5})-[0-9]{2}$`)
	itgcFamilies        = []string{"logical_access", "change_management", "computer_operations", "backup_recovery", "physical_security", "data_transmission"}
	bpFamilies          = []string{"payroll", "billing_receivables", "transaction_processing", "claims", "custody_fund_administration"}
	pofApplies          = []string{"all", "availability", "confidentiality", "privacy", "processing_integrity"}
)

// Domains maps each library key prefix to its domain.
var Domains = map[string]string{
	"GOV": "governance", "HR": "people", "RISK": "risk", "POL": "policy", "MON": "monitoring",
	"IAM": "identity_access", "PHY": "physical", "NET": "network", "END": "endpoint", "CRY": "cryptography",
	"DATA": "data_protection", "OPS": "operations", "VUL": "vulnerability", "IR": "incident_response",
	"CHG": "change_management", "SDLC": "secure_development", "BCP": "continuity", "VND": "vendor",
	"PI": "processing_integrity", "CONF": "confidentiality", "PRIV": "privacy",
}

// index validates the loaded files and builds the lookup maps.
func (c *Catalog) index() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// SOC 2.
	if c.SOC2.Framework != "soc2" {
		bad("%s: framework must be soc2, not %q", CriteriaFile, c.SOC2.Framework)
	}
	if c.SOC2.Version == "" {
		bad("%s: version is required", CriteriaFile)
	}
	var catIDs []model.Category
	for _, cd := range c.SOC2.Categories {
		catIDs = append(catIDs, cd.ID)
		if cd.Required != (cd.ID == model.CategorySecurity) {
			bad("%s: category %s: only security is required", CriteriaFile, cd.ID)
		}
		if strings.TrimSpace(cd.Name) == "" || strings.TrimSpace(cd.Description) == "" {
			bad("%s: category %s needs a name and a description", CriteriaFile, cd.ID)
		}
	}
	if !slices.Equal(catIDs, model.Categories()) {
		bad("%s: categories must be exactly %v in that order, got %v", CriteriaFile, model.Categories(), catIDs)
	}
	c.groups = map[string]int{}
	for i, g := range c.SOC2.Groups {
		if _, dup := c.groups[g.ID]; dup {
			bad("%s: group %s is listed twice", CriteriaFile, g.ID)
		}
		c.groups[g.ID] = i
		if strings.TrimSpace(g.Name) == "" {
			bad("%s: group %s has no name", CriteriaFile, g.ID)
		}
	}
	for _, g := range canonicalGroups {
		i, ok := c.groups[g.id]
		if !ok {
			bad("%s: group %s is missing", CriteriaFile, g.id)
		} else if c.SOC2.Groups[i].Category != g.category {
			bad("%s: group %s must be in category %s, not %s", CriteriaFile, g.id, g.category, c.SOC2.Groups[i].Category)
		}
	}
	if len(c.SOC2.Groups) != len(canonicalGroups) {
		bad("%s: expected %d groups, found %d", CriteriaFile, len(canonicalGroups), len(c.SOC2.Groups))
	}
	c.criteria = map[string]int{}
	canon := CanonicalCriteria()
	for i, cr := range c.SOC2.Criteria {
		if _, dup := c.criteria[cr.ID]; dup {
			bad("%s: criterion %s is listed twice", CriteriaFile, cr.ID)
		}
		c.criteria[cr.ID] = i
		if i < len(canon) && canon[i].ID != cr.ID {
			bad("%s: criterion %d is %s; the criteria must be %s in document order", CriteriaFile, i+1, cr.ID, canon[i].ID)
		}
		if g, _, _ := strings.Cut(cr.ID, "."); g != cr.Group {
			bad("%s: criterion %s: group must be %s, not %q", CriteriaFile, cr.ID, g, cr.Group)
		}
		if cr.COSOPrinciple != cosoPrinciple[cr.ID] {
			bad("%s: criterion %s: coso_principle must be %d, not %d", CriteriaFile, cr.ID, cosoPrinciple[cr.ID], cr.COSOPrinciple)
		}
		if strings.TrimSpace(cr.Title) == "" || strings.TrimSpace(cr.Description) == "" {
			bad("%s: criterion %s needs a title and a description", CriteriaFile, cr.ID)
		}
		if len(cr.Title) > 80 {
			bad("%s: criterion %s: title is longer than 80 characters", CriteriaFile, cr.ID)
		}
		if len(cr.PointsOfFocus) == 0 {
			bad("%s: criterion %s has no points of focus", CriteriaFile, cr.ID)
		}
		for _, p := range cr.PointsOfFocus {
			if !slices.Contains(pofApplies, p.Applies) {
				bad("%s: criterion %s: point of focus applies to %q (use %s)", CriteriaFile, cr.ID, p.Applies, strings.Join(pofApplies, ", "))
			}
			if strings.TrimSpace(p.Text) == "" {
				bad("%s: criterion %s: a point of focus has no text", CriteriaFile, cr.ID)
			}
		}
	}
	for _, want := range canon {
		i, ok := c.criteria[want.ID]
		if !ok {
			bad("%s: criterion %s is missing", CriteriaFile, want.ID)
		} else if got := c.SOC2.Criteria[i].Category; got != want.Category {
			bad("%s: criterion %s must be in category %s, not %s", CriteriaFile, want.ID, want.Category, got)
		}
	}
	if len(c.SOC2.Criteria) != len(canon) {
		bad("%s: expected exactly %d criteria, found %d", CriteriaFile, len(canon), len(c.SOC2.Criteria))
	}

	// SOC 1 objective templates.
	if c.Objectives.Version == "" {
		bad("%s: version is required", ObjectivesFile)
	}
	c.objectives = map[string]int{}
	for i, o := range c.Objectives.Objectives {
		if _, dup := c.objectives[o.Key]; dup {
			bad("%s: objective %s is listed twice", ObjectivesFile, o.Key)
		}
		c.objectives[o.Key] = i
		if !objectiveKeyPattern.MatchString(o.Key) {
			bad("%s: objective key %q does not match %s", ObjectivesFile, o.Key, objectiveKeyPattern)
		}
		switch o.Kind {
		case model.ObjectiveITGC:
			if !slices.Contains(itgcFamilies, o.Family) {
				bad("%s: objective %s: itgc family %q (use %s)", ObjectivesFile, o.Key, o.Family, strings.Join(itgcFamilies, ", "))
			}
		case model.ObjectiveBusinessProcess:
			if !slices.Contains(bpFamilies, o.Family) {
				bad("%s: objective %s: business_process family %q (use %s)", ObjectivesFile, o.Key, o.Family, strings.Join(bpFamilies, ", "))
			}
		default:
			bad("%s: objective %s: kind %q (use itgc or business_process)", ObjectivesFile, o.Key, o.Kind)
		}
		if strings.TrimSpace(o.Title) == "" || strings.TrimSpace(o.Objective) == "" {
			bad("%s: objective %s needs a title and an objective", ObjectivesFile, o.Key)
		}
	}

	if err := c.Scoping.validate(); err != nil {
		errs = append(errs, err)
	}

	// The control library.
	if err := c.validateLibrary(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid catalog: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Catalog) validateLibrary() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Library.Version == "" {
		bad("%s: version is required", LibraryFile)
	}
	c.controls = map[string]int{}
	for i, lc := range c.Library.Controls {
		if _, dup := c.controls[lc.Key]; dup {
			bad("%s: control %s is listed twice", LibraryFile, lc.Key)
		}
		c.controls[lc.Key] = i
		m := controlKeyPattern.FindStringSubmatch(lc.Key)
		if m == nil {
			bad("%s: control key %q does not match %s", LibraryFile, lc.Key, controlKeyPattern)
		} else if Domains[m[1]] != lc.Domain {
			bad("%s: control %s: prefix %s belongs to domain %q, not %q", LibraryFile, lc.Key, m[1], Domains[m[1]], lc.Domain)
		}
		if strings.TrimSpace(lc.Title) == "" || strings.TrimSpace(lc.Description) == "" || strings.TrimSpace(lc.OwnerRole) == "" {
			bad("%s: control %s needs a title, a description and an owner_role", LibraryFile, lc.Key)
		}
		if _, err := model.ParseFrequency(string(lc.Frequency)); err != nil || string(lc.Frequency) != strings.ToLower(string(lc.Frequency)) || strings.Contains(string(lc.Frequency), "-") {
			bad("%s: control %s: frequency %q is not one of %v", LibraryFile, lc.Key, lc.Frequency, model.Frequencies())
		}
		if _, err := model.ParseNature(string(lc.Nature)); err != nil || strings.Contains(string(lc.Nature), "-") {
			bad("%s: control %s: nature %q is not one of %v", LibraryFile, lc.Key, lc.Nature, model.Natures())
		}
		if len(lc.Evidence) == 0 {
			bad("%s: control %s lists no evidence", LibraryFile, lc.Key)
		}
		if len(lc.SOC2) == 0 {
			bad("%s: control %s maps to no SOC 2 criterion", LibraryFile, lc.Key)
		}
		seen := map[string]bool{}
		for _, mp := range lc.SOC2 {
			if err := c.CheckCriterion(mp.Criterion); err != nil {
				bad("%s: control %s: %v", LibraryFile, lc.Key, err)
			}
			if seen[mp.Criterion] {
				bad("%s: control %s maps to %s twice", LibraryFile, lc.Key, mp.Criterion)
			}
			seen[mp.Criterion] = true
			if strings.TrimSpace(mp.Rationale) == "" {
				bad("%s: control %s → %s has no rationale", LibraryFile, lc.Key, mp.Criterion)
			}
		}
		for _, mp := range lc.SOC1 {
			if _, ok := c.objectives[mp.Objective]; !ok {
				bad("%s: control %s maps to unknown objective template %q", LibraryFile, lc.Key, mp.Objective)
			}
			if strings.TrimSpace(mp.Rationale) == "" {
				bad("%s: control %s → %s has no rationale", LibraryFile, lc.Key, mp.Objective)
			}
		}
	}
	return errors.Join(errs...)
}

// CheckComplete checks the rules the shipped catalog must meet beyond
// structure: every criterion covered by a library control, at least 100
// controls and 20 objective templates.
func (c *Catalog) CheckComplete() error {
	var errs []error
	if n := len(c.Library.Controls); n < 100 {
		errs = append(errs, fmt.Errorf("%s has %d controls; at least 100 are required", LibraryFile, n))
	}
	if n := len(c.Objectives.Objectives); n < 20 {
		errs = append(errs, fmt.Errorf("%s has %d objective templates; at least 20 are required", ObjectivesFile, n))
	}
	if un := c.UncoveredByLibrary(); len(un) > 0 {
		errs = append(errs, fmt.Errorf("no library control covers %s", strings.Join(un, ", ")))
	}
	return errors.Join(errs...)
}

// UncoveredByLibrary lists the criteria no library control maps to.
func (c *Catalog) UncoveredByLibrary() []string {
	covered := map[string]bool{}
	for _, lc := range c.Library.Controls {
		for _, m := range lc.SOC2 {
			covered[m.Criterion] = true
		}
	}
	var out []string
	for _, cr := range c.SOC2.Criteria {
		if !covered[cr.ID] {
			out = append(out, cr.ID)
		}
	}
	return out
}

// CheckCriterion refuses an id that is not one of the 61 criteria.
func (c *Catalog) CheckCriterion(id string) error {
	if _, ok := c.criteria[id]; ok {
		return nil
	}
	hint := ""
	if up := strings.ToUpper(strings.TrimSpace(id)); up != id {
		if _, ok := c.criteria[up]; ok {
			hint = fmt.Sprintf(" (did you mean %s?)", up)
		}
	}
	return model.Invalid("criterion", "%q is not a SOC 2 criterion%s: use an id such as CC6.1, A1.2, C1.1, PI1.3 or P4.2 (see `assure frameworks show soc2`)", id, hint)
}

// Criterion returns a criterion by id.
func (c *Catalog) Criterion(id string) (Criterion, bool) {
	i, ok := c.criteria[id]
	if !ok {
		return Criterion{}, false
	}
	return c.SOC2.Criteria[i], true
}

// Group returns a group by id.
func (c *Catalog) Group(id string) (Group, bool) {
	i, ok := c.groups[id]
	if !ok {
		return Group{}, false
	}
	return c.SOC2.Groups[i], true
}

// CategoryDef returns a category's description.
func (c *Catalog) CategoryDef(id model.Category) (CategoryDef, bool) {
	for _, cd := range c.SOC2.Categories {
		if cd.ID == id {
			return cd, true
		}
	}
	return CategoryDef{}, false
}

// CriteriaIn lists the criteria of the given categories, in document order.
func (c *Catalog) CriteriaIn(cats []model.Category) []Criterion {
	var out []Criterion
	for _, cr := range c.SOC2.Criteria {
		if slices.Contains(cats, cr.Category) {
			out = append(out, cr)
		}
	}
	return out
}

// ObjectiveTemplate returns a SOC 1 objective template by key.
func (c *Catalog) ObjectiveTemplate(key string) (ObjectiveTemplate, bool) {
	i, ok := c.objectives[key]
	if !ok {
		return ObjectiveTemplate{}, false
	}
	return c.Objectives.Objectives[i], true
}

// LibraryControl returns a library control by key.
func (c *Catalog) LibraryControl(key string) (LibraryControl, bool) {
	i, ok := c.controls[key]
	if !ok {
		return LibraryControl{}, false
	}
	return c.Library.Controls[i], true
}

// Versions are the versions of the catalog's files.
type Versions struct {
	Criteria   string `json:"criteria"`
	Objectives string `json:"objectives"`
	Library    string `json:"library"`
	Scoping    string `json:"scoping"`
}

// Versions reports the version of each file.
func (c *Catalog) Versions() Versions {
	return Versions{Criteria: c.SOC2.Version, Objectives: c.Objectives.Version, Library: c.Library.Version, Scoping: c.Scoping.Version}
}

// LibraryDomains lists the domains used by the library, sorted.
func (c *Catalog) LibraryDomains() []string {
	seen := map[string]bool{}
	for _, lc := range c.Library.Controls {
		seen[lc.Domain] = true
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
