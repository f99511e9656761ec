package catalog_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

// fixture loads the small test catalog in testdata/fixture.
func fixture(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(os.DirFS("testdata/fixture"))
	if err != nil {
		t.Fatalf("fixture catalog: %v", err)
	}
	return c
}

// The shipped catalog: exactly the 61 criteria with the right ids and
// categories, every one covered by a library control, at least 100 controls
// and 20 objective templates, and no mapping to an unknown id.
func TestEmbeddedCatalogIsComplete(t *testing.T) {
	c, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.SOC2.Criteria); n != 61 {
		t.Fatalf("%d criteria, want 61", n)
	}
	want := map[model.Category]int{model.CategorySecurity: 33, model.CategoryAvailability: 3, model.CategoryConfidentiality: 2,
		model.CategoryProcessingIntegrity: 5, model.CategoryPrivacy: 18}
	got := map[model.Category]int{}
	for i, cr := range c.SOC2.Criteria {
		got[cr.Category]++
		canon := catalog.CanonicalCriteria()[i]
		if cr.ID != canon.ID || cr.Category != canon.Category {
			t.Errorf("criterion %d is %s/%s, want %s/%s", i, cr.ID, cr.Category, canon.ID, canon.Category)
		}
	}
	for cat, n := range want {
		if got[cat] != n {
			t.Errorf("%s has %d criteria, want %d", cat, got[cat], n)
		}
	}
	if n := len(c.Library.Controls); n < 100 {
		t.Errorf("%d library controls, want ≥100", n)
	}
	if n := len(c.Objectives.Objectives); n < 20 {
		t.Errorf("%d objective templates, want ≥20", n)
	}
	if un := c.UncoveredByLibrary(); len(un) > 0 {
		t.Errorf("criteria without a library control: %v", un)
	}
	for _, lc := range c.Library.Controls {
		for _, m := range lc.SOC2 {
			if err := c.CheckCriterion(m.Criterion); err != nil {
				t.Errorf("%s: %v", lc.Key, err)
			}
		}
	}
	families := map[string]bool{}
	for _, o := range c.Objectives.Objectives {
		families[o.Family] = true
	}
	for _, f := range []string{"logical_access", "change_management", "computer_operations", "backup_recovery", "physical_security",
		"data_transmission", "payroll", "billing_receivables", "transaction_processing", "claims", "custody_fund_administration"} {
		if !families[f] {
			t.Errorf("no objective template for family %s", f)
		}
	}
}

func TestCanonicalCriteria(t *testing.T) {
	ids := catalog.CanonicalCriteria()
	if len(ids) != 61 || ids[0].ID != "CC1.1" || ids[32].ID != "CC9.2" || ids[60].ID != "P8.1" {
		t.Fatalf("canonical list: %d %v", len(ids), ids)
	}
}

func TestFixtureLoadsAndLooksUp(t *testing.T) {
	c := fixture(t)
	if cr, ok := c.Criterion("CC6.1"); !ok || cr.Group != "CC6" || cr.Category != model.CategorySecurity {
		t.Fatalf("CC6.1: %+v", cr)
	}
	if cr, _ := c.Criterion("CC2.1"); cr.COSOPrinciple != 13 {
		t.Fatalf("CC2.1 COSO principle %d, want 13", cr.COSOPrinciple)
	}
	for _, id := range []string{"CC10.1", "cc6.1", "PP1.1", "C6.5", "P1.2", ""} {
		if err := c.CheckCriterion(id); !model.IsValidation(err) {
			t.Errorf("%q accepted", id)
		}
	}
	if err := c.CheckCriterion("cc6.1"); !strings.Contains(err.Error(), "did you mean CC6.1") {
		t.Errorf("no hint: %v", err)
	}
	if got := len(c.CriteriaIn([]model.Category{model.CategorySecurity, model.CategoryAvailability})); got != 36 {
		t.Errorf("security+availability: %d criteria, want 36", got)
	}
	if c.Versions().Library != "fixture.1" || c.Versions().Scoping == "" {
		t.Errorf("versions %+v", c.Versions())
	}
	if err := c.CheckComplete(); err == nil {
		t.Error("the small fixture passes the completeness check")
	}
}

func TestPointsOfFocusApply(t *testing.T) {
	c := fixture(t)
	cr, _ := c.Criterion("CC6.1")
	var n int
	for _, p := range cr.PointsOfFocus {
		if p.AppliesTo([]model.Category{model.CategorySecurity, model.CategoryAvailability}) {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("with availability in scope %d points apply, want 2 (all + availability)", n)
	}
}

// The loader refuses files that break the schema's rules.
func TestLoaderRefusesBadData(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/fixture/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	crit, obj, lib := read(catalog.CriteriaFile), read(catalog.ObjectivesFile), read(catalog.LibraryFile)
	cases := []struct {
		name, file, from, to, want string
	}{
		{"unknown criterion in a mapping", catalog.LibraryFile, "criterion: CC8.1", "criterion: CC8.2", `"CC8.2" is not a SOC 2 criterion`},
		{"unknown objective in a mapping", catalog.LibraryFile, "objective: ITGC-CM-1", "objective: ITGC-CM-9", "unknown objective template"},
		{"unknown key", catalog.LibraryFile, "owner_role: \"SRE lead\"", "owner_role: \"SRE lead\"\n    colour: red", "field colour not found"},
		{"bad frequency", catalog.LibraryFile, "frequency: daily", "frequency: hourly", "frequency \"hourly\""},
		{"bad nature", catalog.LibraryFile, "nature: it_dependent_manual", "nature: human", "nature \"human\""},
		{"duplicate control", catalog.LibraryFile, "key: BCP-01", "key: IAM-01", "listed twice"},
		{"prefix and domain disagree", catalog.LibraryFile, "domain: continuity", "domain: vendor", "belongs to domain"},
		{"criterion renamed", catalog.CriteriaFile, "id: PI1.5\n", "id: PP1.5\n", "criterion PI1.5 is missing"},
		{"criterion in the wrong category", catalog.CriteriaFile, "category: availability\n    group: A1", "category: security\n    group: A1", "must be in category availability"},
		{"wrong COSO principle", catalog.CriteriaFile, "coso_principle: 13", "coso_principle: 6", "coso_principle must be 13"},
		{"bad applies tag", catalog.CriteriaFile, "applies: availability", "applies: everyone", "applies to \"everyone\""},
		{"bad objective family", catalog.ObjectivesFile, "family: payroll", "family: lunch", "family \"lunch\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{catalog.CriteriaFile: crit, catalog.ObjectivesFile: obj, catalog.LibraryFile: lib}
			if !strings.Contains(files[tc.file], tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			files[tc.file] = strings.Replace(files[tc.file], tc.from, tc.to, 1)
			m := fstest.MapFS{}
			for n, s := range files {
				m[n] = &fstest.MapFile{Data: []byte(s)}
			}
			_, err := catalog.Load(m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestWithLibraryValidates(t *testing.T) {
	c := fixture(t)
	v2, err := catalog.LoadLibrary(os.DirFS("testdata"), "library-v2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.WithLibrary(v2)
	if err != nil || c2.Library.Version != "fixture.2" || c.Library.Version != "fixture.1" {
		t.Fatalf("with library: %v", err)
	}
	v2.Controls[0].SOC2[0].Criterion = "CC6.9"
	if _, err := c.WithLibrary(v2); err == nil || !strings.Contains(err.Error(), "CC6.9") {
		t.Fatalf("a library with an unknown criterion was accepted: %v", err)
	}
	if !slices.Contains(c.LibraryDomains(), "identity_access") {
		t.Fatal("domains")
	}
}
