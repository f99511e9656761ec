package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("assure %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// `assure frameworks show soc2 --json` lists exactly the 61 criteria with
// the right ids and categories (the contract of issue 3).
func TestFrameworksShowSOC2JSON(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "--data", dir, "frameworks", "show", "soc2", "--json")
	var v struct {
		Criteria []struct {
			ID            string `json:"id"`
			Category      string `json:"category"`
			Group         string `json:"group"`
			Description   string `json:"description"`
			PointsOfFocus []struct {
				Text    string `json:"text"`
				Applies string `json:"applies"`
			} `json:"points_of_focus"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, out)
	}
	if len(v.Criteria) != 61 {
		t.Fatalf("%d criteria, want 61", len(v.Criteria))
	}
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, c := range v.Criteria {
		counts[c.Category]++
		ids[c.ID] = true
		if c.Group == "" || c.Description == "" || c.PointsOfFocus == nil {
			t.Errorf("%s lacks group, description or points_of_focus", c.ID)
		}
		prefix := map[string]string{"security": "CC", "availability": "A1.", "confidentiality": "C1.", "processing_integrity": "PI1.", "privacy": "P"}[c.Category]
		if prefix == "" || !strings.HasPrefix(c.ID, prefix) || (c.Category == "privacy" && strings.HasPrefix(c.ID, "PI")) {
			t.Errorf("%s has category %q", c.ID, c.Category)
		}
	}
	want := map[string]int{"security": 33, "availability": 3, "processing_integrity": 5, "confidentiality": 2, "privacy": 18}
	for cat, n := range want {
		if counts[cat] != n {
			t.Errorf("%s: %d criteria, want %d", cat, counts[cat], n)
		}
	}
	for _, id := range []string{"CC1.1", "CC5.3", "CC6.8", "CC7.5", "CC9.2", "A1.3", "C1.2", "PI1.5", "P3.2", "P6.7", "P8.1"} {
		if !ids[id] {
			t.Errorf("%s missing", id)
		}
	}
	// Points of focus tagged for a category appear only once it is in scope.
	countTagged := func(out string) int {
		var v struct {
			Criteria []struct {
				PointsOfFocus []struct{ Applies string } `json:"points_of_focus"`
			} `json:"criteria"`
		}
		json.Unmarshal([]byte(out), &v)
		n := 0
		for _, c := range v.Criteria {
			for _, p := range c.PointsOfFocus {
				if p.Applies == "confidentiality" {
					n++
				}
			}
		}
		return n
	}
	if n := countTagged(out); n != 0 {
		t.Errorf("%d confidentiality-only points of focus shown without confidentiality in scope", n)
	}
	mustRun(t, "--data", dir, "scope", "set", "--categories", "security,confidentiality")
	if n := countTagged(mustRun(t, "--data", dir, "frameworks", "show", "soc2", "--json")); n == 0 {
		t.Error("no confidentiality-only points of focus once confidentiality is in scope")
	}
	if out := mustRun(t, "--data", dir, "frameworks", "list"); !strings.Contains(out, "soc2") || !strings.Contains(out, "soc1") {
		t.Errorf("frameworks list: %s", out)
	}
	if r := run(t, "--data", dir, "frameworks", "show", "iso27001"); r.code != 2 || !strings.Contains(r.stderr, "unknown framework") {
		t.Errorf("unknown framework: %d %s", r.code, r.stderr)
	}
}

func TestControlsFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	if out := mustRun(t, "--data", dir, "controls", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("fresh list: %s", out)
	}
	mustRun(t, "--data", dir, "controls", "adopt", "--all")
	out := mustRun(t, "--data", dir, "controls", "list", "--json")
	var list []struct {
		Key       string   `json:"key"`
		Title     string   `json:"title"`
		Frequency string   `json:"frequency"`
		Nature    string   `json:"nature"`
		Criteria  []string `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 100 {
		t.Fatalf("%d controls after adopting the library", len(list))
	}
	for _, c := range list {
		if c.Key == "" || c.Title == "" || c.Frequency == "" || c.Nature == "" || len(c.Criteria) == 0 {
			t.Fatalf("list entry lacks a field: %+v", c)
		}
	}
	key := list[0].Key
	mustRun(t, "--data", dir, "controls", "edit", key, "--owner", "Dana", "--status", "implemented")
	var shown struct {
		Key      string   `json:"key"`
		Owner    string   `json:"owner"`
		Status   string   `json:"status"`
		Edited   []string `json:"edited"`
		Criteria []string `json:"criteria"`
		Mappings []struct {
			Criterion string `json:"criterion"`
			Rationale string `json:"rationale"`
		} `json:"criterion_mappings"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--data", dir, "controls", "show", key, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Owner != "Dana" || shown.Status != "implemented" || !slices.Equal(shown.Edited, []string{"owner"}) || len(shown.Mappings) == 0 || shown.Mappings[0].Rationale == "" {
		t.Fatalf("show: %+v", shown)
	}
	if out := mustRun(t, "--data", dir, "controls", "show", key); !strings.Contains(out, "Dana") || !strings.Contains(out, "edited: owner") {
		t.Fatalf("human show: %s", out)
	}
	// Own controls: an unknown criterion is refused.
	r := run(t, "--data", dir, "controls", "add", "ACME-01", "--title", "Board review", "--frequency", "quarterly", "--nature", "manual", "--criterion", "CC1.9=oversight")
	if r.code != 1 || !strings.Contains(r.stderr, `"CC1.9" is not a SOC 2 criterion`) {
		t.Fatalf("unknown criterion: %d %s", r.code, r.stderr)
	}
	mustRun(t, "--data", dir, "controls", "add", "ACME-01", "--title", "Board review", "--frequency", "semi-annual", "--nature", "manual",
		"--criterion", "CC1.2=The board oversees the security program")
	if out := mustRun(t, "--data", dir, "controls", "list", "--owner", "dana"); !strings.Contains(out, key) || strings.Contains(out, "ACME-01") {
		t.Fatalf("filter by owner: %s", out)
	}
	if out := mustRun(t, "--data", dir, "controls", "upgrade"); !strings.Contains(out, "0 controls updated") {
		t.Fatalf("upgrade at the same version: %s", out)
	}
	if r := run(t, "--data", dir, "controls", "adopt"); r.code != 2 {
		t.Fatalf("adopt with nothing: %d", r.code)
	}
}

func TestScopeAndCoverageFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	// Removing Security is refused with a clear message.
	r := run(t, "--data", dir, "scope", "set", "--categories", "availability,confidentiality")
	if r.code != 1 || !strings.Contains(r.stderr, "Security cannot be removed") {
		t.Fatalf("removing security: %d %s", r.code, r.stderr)
	}
	// Not relevant without a reason is refused.
	r = run(t, "--data", dir, "scope", "not-relevant", "CC6.4")
	if r.code != 1 || !strings.Contains(r.stderr, "needs a reason") {
		t.Fatalf("no reason: %d %s", r.code, r.stderr)
	}
	mustRun(t, "--data", dir, "scope", "not-relevant", "CC6.4", "--reason", "Fully remote; data centers carved out to AWS")
	var cov struct {
		Summary struct {
			InScope     int `json:"in_scope"`
			Uncovered   int `json:"uncovered"`
			NotRelevant int `json:"not_relevant"`
		} `json:"summary"`
		Uncovered   []struct{ ID string }                `json:"uncovered"`
		NotRelevant []struct{ Criterion, Reason string } `json:"not_relevant"`
		Unproven    []struct{ Key string }               `json:"controls_without_tests_or_evidence"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--data", dir, "coverage", "--framework", "soc2", "--json")), &cov); err != nil {
		t.Fatal(err)
	}
	if cov.Summary.InScope != 33 || cov.Summary.Uncovered != 32 || len(cov.NotRelevant) != 1 || cov.NotRelevant[0].Reason == "" {
		t.Fatalf("coverage before adopting: %+v", cov)
	}
	mustRun(t, "--data", dir, "controls", "adopt", "--all")
	cov.Uncovered, cov.Unproven = nil, nil
	json.Unmarshal([]byte(mustRun(t, "--data", dir, "coverage", "--json")), &cov)
	if cov.Summary.Uncovered != 0 || len(cov.Uncovered) != 0 || len(cov.Unproven) == 0 {
		t.Fatalf("coverage after adopting the library: %+v", cov.Summary)
	}
	if out := mustRun(t, "--data", dir, "coverage"); !strings.Contains(out, "0 not covered") || !strings.Contains(out, "CC6.4: Fully remote") {
		t.Fatalf("human coverage: %s", out)
	}
	// Export, edit, import.
	exp := mustRun(t, "--data", dir, "scope", "export")
	file := filepath.Join(t.TempDir(), "scope.yaml")
	edited := strings.Replace(exp, "services: \"\"", "services: \"Acme Tasks, hosted project management\"", 1)
	if edited == exp {
		t.Fatalf("export has no services line:\n%s", exp)
	}
	os.WriteFile(file, []byte(edited), 0o600)
	mustRun(t, "--data", dir, "scope", "import", file)
	if out := mustRun(t, "--data", dir, "scope", "show"); !strings.Contains(out, "Acme Tasks") || !strings.Contains(out, "CC6.4") {
		t.Fatalf("scope show: %s", out)
	}
	os.WriteFile(file, []byte(strings.Replace(edited, "reason: ", "reason: \"\" #", 1)), 0o600)
	if r := run(t, "--data", dir, "scope", "import", file); r.code != 1 || !strings.Contains(r.stderr, "needs a reason") {
		t.Fatalf("import without a reason: %d %s", r.code, r.stderr)
	}
	// SOC 1: objectives and their coverage.
	var tmpl struct {
		Objectives []struct{ Key string } `json:"objectives"`
	}
	json.Unmarshal([]byte(mustRun(t, "--data", dir, "objectives", "templates", "--json")), &tmpl)
	if len(tmpl.Objectives) < 20 {
		t.Fatalf("%d templates", len(tmpl.Objectives))
	}
	first := tmpl.Objectives[0].Key
	mustRun(t, "--data", dir, "objectives", "add", "--template", first)
	mustRun(t, "--data", dir, "objectives", "add", "--key", "OWN-1", "--kind", "business_process", "--title", "Invoices", "--objective", "Controls provide reasonable assurance that invoices are complete.")
	mustRun(t, "--data", dir, "objectives", "edit", "OWN-1", "--title", "Invoices are complete")
	mustRun(t, "--data", dir, "objectives", "retire", "OWN-1")
	if out := mustRun(t, "--data", dir, "objectives", "list", "--all"); !strings.Contains(out, "retired") || !strings.Contains(out, first) {
		t.Fatalf("objectives list: %s", out)
	}
	var cov1 struct {
		Summary struct {
			InScope int `json:"in_scope"`
			Covered int `json:"covered"`
		} `json:"summary"`
	}
	json.Unmarshal([]byte(mustRun(t, "--data", dir, "coverage", "--framework", "soc1", "--json")), &cov1)
	if cov1.Summary.InScope != 1 || cov1.Summary.Covered != 1 {
		t.Fatalf("soc1 coverage (the library supports every template): %+v", cov1.Summary)
	}
}

func TestScopeRecommendFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	answers := filepath.Join(t.TempDir(), "answers.yaml")
	os.WriteFile(answers, []byte(`services: "a hosted secrets manager"
affects_customer_financial_reporting: false
previously_audited: true
controls_recently_changed: false
commitments: [availability, confidentiality]
`), 0o600)
	var rec struct {
		Reports []struct {
			Framework  string   `json:"framework"`
			Type       int      `json:"type"`
			Categories []string `json:"categories"`
			Reasons    []string `json:"reasons"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--data", dir, "scope", "recommend", "--answers", answers, "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Reports) != 1 || rec.Reports[0].Framework != "soc2" || rec.Reports[0].Type != 2 ||
		!slices.Equal(rec.Reports[0].Categories, []string{"security", "availability", "confidentiality"}) || len(rec.Reports[0].Reasons) < 3 {
		t.Fatalf("recommendation: %+v", rec)
	}
	if out := mustRun(t, "--data", dir, "scope", "recommend", "--answers", answers); !strings.Contains(out, "SOC 2 Type 2") || !strings.Contains(out, "Availability:") {
		t.Fatalf("human recommendation: %s", out)
	}
	os.WriteFile(answers, []byte("commitments: [uptime]\n"), 0o600)
	if r := run(t, "--data", dir, "scope", "recommend", "--answers", answers); r.code != 1 || !strings.Contains(r.stderr, "unknown commitment") {
		t.Fatalf("bad answers: %d %s", r.code, r.stderr)
	}
}
