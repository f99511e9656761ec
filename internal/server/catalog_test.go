package server_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
)

// The catalog API: the acceptance rules hold over HTTP too.
func TestCatalogAPI(t *testing.T) {
	f := newFixture(t)
	call := func(role model.Role, method, path, body string) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		resp := f.do(t, method, path, rd, func(r *http.Request) {
			f.asToken(role)(r)
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
		})
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	steps := []struct {
		as           model.Role
		method, path string
		body         string
		status       int
		contains     []string
	}{
		{model.RoleViewer, "GET", "/api/v1/frameworks/soc2", "", 200, []string{`"id": "CC6.1"`, `"points_of_focus"`, `"category": "processing_integrity"`}},
		{model.RoleViewer, "GET", "/api/v1/frameworks/iso27001", "", 404, nil},
		{model.RoleEditor, "PUT", "/api/v1/scope/categories", `{"categories":["availability"]}`, 400, []string{"Security cannot be removed", `"field": "categories"`}},
		{model.RoleEditor, "PUT", "/api/v1/scope/categories", `{"categories":["security","availability"]}`, 200, []string{`"availability"`}},
		{model.RoleViewer, "PUT", "/api/v1/scope/categories", `{"categories":["security"]}`, 403, nil},
		{model.RoleEditor, "PUT", "/api/v1/scope/not-relevant/CC6.4", `{"reason":""}`, 400, []string{"needs a reason"}},
		{model.RoleEditor, "PUT", "/api/v1/scope/not-relevant/CC6.10", `{"reason":"x"}`, 400, []string{"not a SOC 2 criterion"}},
		{model.RoleEditor, "PUT", "/api/v1/scope/not-relevant/CC6.4", `{"reason":"No offices"}`, 200, []string{`"criterion": "CC6.4"`}},
		{model.RoleViewer, "GET", "/api/v1/scope", "", 200, []string{`"reason": "No offices"`, `"availability"`}},
		{model.RoleEditor, "DELETE", "/api/v1/scope/not-relevant/CC6.4", "", 200, nil},
		{model.RoleEditor, "PUT", "/api/v1/scope", `{"framework":"soc2","categories":["security"],"cuecs":[{"control":"Customers manage users","criteria":["CC6.99"]}]}`, 400, []string{"CC6.99"}},
		{model.RoleViewer, "POST", "/api/v1/scope/recommend", `{"services":"payroll","affects_customer_financial_reporting":true,"previously_audited":true}`, 200, []string{`"framework": "soc1"`, `"type": 2`}},
		{model.RoleViewer, "POST", "/api/v1/scope/recommend", `{"commitments":["uptime"]}`, 400, []string{"unknown commitment"}},
		{model.RoleEditor, "POST", "/api/v1/controls/adopt", `{"all":true}`, 200, []string{`"adopted"`, `"IAM-01"`}},
		{model.RoleViewer, "GET", "/api/v1/controls", "", 200, []string{`"criteria": [`, `"frequency"`, `"criterion_mappings"`}},
		{model.RoleViewer, "GET", "/api/v1/controls/IAM-01", "", 200, []string{`"key": "IAM-01"`, `"rationale"`}},
		{model.RoleViewer, "GET", "/api/v1/controls/NOPE-99", "", 404, nil},
		{model.RoleEditor, "PATCH", "/api/v1/controls/IAM-01", `{"owner":"Dana"}`, 200, []string{`"owner": "Dana"`, `"edited": [`}},
		{model.RoleEditor, "PATCH", "/api/v1/controls/IAM-01", `{"criteria":[{"criterion":"CC6.77","rationale":"x"}]}`, 400, []string{"CC6.77"}},
		{model.RoleEditor, "POST", "/api/v1/controls", `{"key":"ACME-01","title":"Board review","frequency":"annual","nature":"manual","criteria":[{"criterion":"CC1.2","rationale":"Oversight"}]}`, 201, []string{`"criteria": [`, `"CC1.2"`}},
		{model.RoleEditor, "POST", "/api/v1/controls", `{"key":"ACME-01","title":"Again","frequency":"annual","nature":"manual"}`, 409, nil},
		{model.RoleEditor, "POST", "/api/v1/controls/upgrade", "", 200, []string{`"updated": []`, `"review": []`}},
		{model.RoleViewer, "GET", "/api/v1/coverage?framework=soc2", "", 200, []string{`"uncovered": []`, `"controls_without_tests_or_evidence"`}},
		{model.RoleViewer, "GET", "/api/v1/coverage?framework=soc3", "", 400, nil},
		{model.RoleEditor, "POST", "/api/v1/objectives", `{"template":"ITGC-LA-1"}`, 201, []string{`"template_key": "ITGC-LA-1"`}},
		{model.RoleEditor, "PATCH", "/api/v1/objectives/ITGC-LA-1", `{"title":"Access to payroll systems"}`, 200, []string{"Access to payroll systems"}},
		{model.RoleEditor, "POST", "/api/v1/objectives/ITGC-LA-1/retire", "", 200, []string{`"retired_at"`}},
		{model.RoleViewer, "GET", "/api/v1/objectives?all=true", "", 200, []string{"ITGC-LA-1"}},
		{model.RoleViewer, "GET", "/api/v1/library/controls", "", 200, []string{`"version"`}},
		{model.RoleAuditor, "GET", "/api/v1/controls", "", 403, nil},
	}
	for _, s := range steps {
		status, body := call(s.as, s.method, s.path, s.body)
		if status != s.status {
			t.Fatalf("%s %s as %s: %d, want %d: %.400s", s.method, s.path, s.as, status, s.status, body)
		}
		for _, c := range s.contains {
			if !strings.Contains(body, c) {
				t.Errorf("%s %s: body lacks %q: %.400s", s.method, s.path, c, body)
			}
		}
	}
	// The whole framework: exactly 61 criteria.
	_, body := call(model.RoleViewer, "GET", "/api/v1/frameworks/soc2", "")
	var v struct {
		Criteria []struct{ ID string } `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || len(v.Criteria) != 61 {
		t.Fatalf("%d criteria: %v", len(v.Criteria), err)
	}
}

// The pages: the Frameworks page with Security locked, the categories form,
// a not-relevant mark, the scoping wizard, the scope editor, the controls
// list and detail with the edit form, and coverage.
func TestCatalogPages(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	resp, page := b.get("/frameworks")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/frameworks/soc2" {
		t.Fatalf("/frameworks: %d", resp.StatusCode)
	}
	_, page = b.get("/frameworks/soc2")
	csrf := csrfOf(t, page)
	if !strings.Contains(page, `id="cat-security" checked disabled`) || !strings.Contains(page, `id="CC6.1"`) || strings.Contains(page, `<tr id="A1.1"><td`) {
		t.Fatalf("SOC 2 page: security not locked or criteria missing")
	}
	if !strings.Contains(page, "33 criteria in scope") {
		t.Fatalf("summary: %s", page[:min(len(page), 2000)])
	}
	// Ticking availability (security comes from its hidden field).
	b.post("/frameworks/soc2/categories", url.Values{"csrf": {csrf}, "category": {"security", "availability"}})
	_, page = b.get("/frameworks/soc2")
	if !strings.Contains(page, "Categories in scope: Security, Availability.") || !strings.Contains(page, "36 criteria in scope") {
		t.Fatal("categories not saved")
	}
	// Removing security by crafting the form is refused with the reason.
	b.post("/frameworks/soc2/categories", url.Values{"csrf": {csrf}, "category": {"availability"}})
	if _, page = b.get("/frameworks/soc2"); !strings.Contains(html.UnescapeString(page), "Not saved: categories: Security cannot be removed") {
		t.Fatal("no message when removing security")
	}
	b.post("/frameworks/soc2/not-relevant", url.Values{"csrf": {csrf}, "criterion": {"CC6.4"}, "reason": {""}, "back": {"/frameworks/soc2#CC6.4"}})
	if _, page = b.get("/frameworks/soc2"); !strings.Contains(page, "needs a reason") {
		t.Fatal("not relevant without a reason was not refused on the page")
	}
	resp, _ = b.post("/frameworks/soc2/not-relevant", url.Values{"csrf": {csrf}, "criterion": {"CC6.4"}, "reason": {"Fully remote company"}, "back": {"https://evil.example/"}})
	if resp.Header.Get("Location") != "/frameworks/soc2" {
		t.Fatalf("redirect went to %q", resp.Header.Get("Location"))
	}
	if _, page = b.get("/frameworks/soc2"); !strings.Contains(page, "Fully remote company") {
		t.Fatal("not relevant reason not shown")
	}
	// The scoping wizard.
	resp, page = b.post("/frameworks/scoping", url.Values{"csrf": {csrf}, "services": {"hosted secrets manager"}, "affects_customer_financial_reporting": {"no"},
		"previously_audited": {"yes"}, "controls_recently_changed": {"no"}, "commitments": {"availability", "confidentiality"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "SOC 2 Type 2 — security, availability, confidentiality") || !strings.Contains(page, "hosted secrets manager") {
		t.Fatalf("wizard: %d", resp.StatusCode)
	}
	// The scope editor.
	b.post("/frameworks/soc2/scope/system", url.Values{"csrf": {csrf}, "services": {"Acme Tasks"}, "commitments": {"99.9% uptime\r\n\r\nEncrypted data"}})
	b.post("/frameworks/soc2/scope/subservice", url.Values{"csrf": {csrf}, "name": {"AWS"}, "services": {"Hosting"}, "method": {"carve_out"}, "csocs": {"Data center access is restricted | CC6.4"}})
	b.post("/frameworks/soc2/scope/cuecs", url.Values{"csrf": {csrf}, "control": {"Customers manage their users"}, "criteria": {"CC6.2, CC6.3"}})
	b.post("/frameworks/soc2/scope/incidents", url.Values{"csrf": {csrf}, "date": {"2026-03-02"}, "description": {"Outage"}})
	_, page = b.get("/frameworks/soc2/scope")
	for _, want := range []string{"Acme Tasks", "Encrypted data", "AWS", "carve-out", "Data center access is restricted", "Customers manage their users", "Outage"} {
		if !strings.Contains(page, want) {
			t.Errorf("scope page lacks %q", want)
		}
	}
	b.post("/frameworks/soc2/scope/cuecs", url.Values{"csrf": {csrf}, "control": {"x"}, "criteria": {"CC6.99"}})
	if _, page = b.get("/frameworks/soc2/scope"); !strings.Contains(page, "Not saved") {
		t.Error("a CUEC with an unknown criterion was not refused")
	}
	b.post("/frameworks/soc2/scope/cuecs/0/remove", url.Values{"csrf": {csrf}})
	if _, page = b.get("/frameworks/soc2/scope"); strings.Contains(page, "Customers manage their users") {
		t.Error("CUEC not removed")
	}
	// Controls.
	_, page = b.get("/controls")
	if !strings.Contains(page, "No controls yet") {
		t.Fatal("empty state missing")
	}
	b.post("/controls/adopt", url.Values{"csrf": {csrf}, "all": {"true"}})
	_, page = b.get("/controls")
	if !strings.Contains(page, "Adopted ") || !strings.Contains(page, `href="/controls/IAM-01"`) {
		t.Fatal("adopt all from the page")
	}
	if _, page = b.get("/controls?criterion=CC8.1&status=planned"); strings.Contains(page, `href="/controls/IAM-01"`) || !strings.Contains(page, `href="/controls/CHG-01"`) {
		t.Fatal("filters")
	}
	_, page = b.get("/controls/IAM-01")
	if !strings.Contains(page, "Mapped criteria") || !strings.Contains(page, `id="save-control"`) {
		t.Fatal("control detail")
	}
	resp, page = b.post("/controls/IAM-01", url.Values{"csrf": {csrf}, "title": {"MFA everywhere"}, "frequency": {"continuous"}, "nature": {"automated"}, "status": {"implemented"},
		"criteria": {"CC6.1: MFA restricts access"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit control: %d %s", resp.StatusCode, page)
	}
	_, page = b.get("/controls/IAM-01")
	if !strings.Contains(page, "MFA everywhere") || !strings.Contains(page, "edited: title") {
		t.Fatal("edit not shown")
	}
	resp, page = b.post("/controls/IAM-01", url.Values{"csrf": {csrf}, "title": {"x"}, "frequency": {"hourly"}, "nature": {"automated"}, "status": {"implemented"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "unknown frequency") {
		t.Fatalf("bad edit: %d", resp.StatusCode)
	}
	resp, page = b.post("/controls", url.Values{"csrf": {csrf}, "key": {"ACME-01"}, "title": {"Board review"}, "frequency": {"annual"}, "nature": {"manual"}, "status": {"planned"},
		"criteria": {"CC1.2 without a colon"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "CC1.2 without a colon") {
		t.Fatalf("bad new control: %d", resp.StatusCode)
	}
	// Coverage and SOC 1.
	_, page = b.get("/frameworks/soc2/coverage")
	if !strings.Contains(page, `id="matrix"`) || !strings.Contains(page, "Fully remote company") {
		t.Fatal("coverage page")
	}
	b.post("/frameworks/soc1/objectives", url.Values{"csrf": {csrf}, "template": {"ITGC-LA-1"}})
	_, page = b.get("/frameworks/soc1")
	if !strings.Contains(page, `id="ITGC-LA-1"`) || !strings.Contains(page, "✓ covered") {
		t.Fatal("SOC 1 objective from a template")
	}
	if strings.Contains(page, "&lt;nil&gt;") || !strings.Contains(page, "<p>Controls provide reasonable assurance") {
		t.Fatal("the SOC 1 page does not show the objective's sentence")
	}
	resp, page = b.get("/frameworks/soc1/objectives/ITGC-LA-1")
	if resp.StatusCode != 200 || !strings.Contains(page, `required>Controls provide reasonable assurance`) {
		t.Fatalf("objective page: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/frameworks/soc1/scope"); resp.StatusCode != 200 {
		t.Fatalf("SOC 1 scope page: %d", resp.StatusCode)
	}
}

// A viewer sees the pages without the forms that change things.
func TestViewerSeesNoCatalogForms(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	resp, _ := b.post("/login", url.Values{"email": {"viewer@example.com"}, "password": {"x"}})
	_ = resp
	b.c.Jar.SetCookies(mustURL(f.ts.URL), []*http.Cookie{{Name: "assure_session", Value: f.cookies[model.RoleViewer]}})
	_, page := b.get("/frameworks/soc2")
	if strings.Contains(page, `id="save-categories"`) || strings.Contains(page, "Mark not relevant") {
		t.Fatal("a viewer is offered the scope forms")
	}
	_, page = b.get("/controls")
	if strings.Contains(page, `id="adopt-all"`) {
		t.Fatal("a viewer is offered adoption")
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}
