package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/server"
)

// apiJSON sends a JSON body with a role's token and decodes the answer.
func (f *fixture) apiJSON(t *testing.T, role model.Role, method, path, body string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp := f.do(t, method, path, rd, func(r *http.Request) {
		f.asToken(role)(r)
		r.Header.Set("Content-Type", "application/json")
	})
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// csrfOf is the CSRF token of a role's browser session.
func (f *fixture) csrfOf(t *testing.T, role model.Role) string {
	t.Helper()
	_, sess, err := f.app.Accounts.SessionPrincipal(context.Background(), f.cookies[role])
	if err != nil {
		t.Fatal(err)
	}
	return sess.CSRFToken
}

// auditFixture is a server with two audits: the auditor is invited to
// "mine" only. Each has a request, a sample and a population-free
// comment, so every route of the other audit has something real to find.
type auditFixture struct {
	*fixture
	mine, other model.Audit
	// ids of the other audit's request and sample.
	otherRequest, otherSample int64
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	f := newFixture(t)
	f.adoptLibrary(t)
	af := &auditFixture{fixture: f}
	var c audit.Created
	if s := f.apiJSON(t, model.RoleOwner, "POST", "/api/v1/audits", `{"framework":"soc2","type":2,"from":"2026-01-01","to":"2026-06-30","firm":"Firm LLP"}`, &c); s != 201 {
		t.Fatalf("create: %d", s)
	}
	af.mine = c.Audit
	if s := f.apiJSON(t, model.RoleAdmin, "POST", "/api/v1/audits", `{"framework":"soc2","type":2,"from":"2025-07-01","to":"2025-12-31"}`, &c); s != 201 {
		t.Fatalf("create: %d", s)
	}
	af.other = c.Audit
	var inv audit.Invitation
	if s := f.apiJSON(t, model.RoleOwner, "POST", fmt.Sprintf("/api/v1/audits/%d/members", af.mine.ID), `{"email":"auditor@example.com"}`, &inv); s != 201 {
		t.Fatalf("invite: %d", s)
	}
	if inv.AddedToOrganization || inv.InitialPassword != "" || inv.Member.Role != model.RoleAuditor {
		t.Fatalf("inviting an existing auditor: %+v", inv)
	}
	var req model.Request
	if s := f.apiJSON(t, model.RoleOwner, "POST", fmt.Sprintf("/api/v1/audits/%d/requests", af.other.ID), `{"title":"Board minutes","control":"GOV-01"}`, &req); s != 201 {
		t.Fatalf("request: %d", s)
	}
	af.otherRequest = req.ID
	var sm model.Sample
	if s := f.apiJSON(t, model.RoleOwner, "POST", fmt.Sprintf("/api/v1/audits/%d/samples", af.other.ID), `{"control":"IAM-08","seed":3}`, &sm); s != 201 {
		t.Fatalf("sample: %d", s)
	}
	af.otherSample = sm.ID
	return af
}

// concreteFor fills a route pattern with ids of audit a and its things.
func (af *auditFixture) concreteFor(pattern string, a model.Audit, request, sample, evidence int64) string {
	r := strings.NewReplacer("{id}", fmt.Sprint(a.ID), "{req}", fmt.Sprint(request), "{sample}", fmt.Sprint(sample), "{position}", "1",
		"{key}", "IAM-08", "{user}", fmt.Sprint(af.ids[model.RoleAuditor]), "{pop}", "1", "{ev}", fmt.Sprint(evidence))
	return r.Replace(pattern)
}

func isAuditRoute(rt server.Route) bool {
	return strings.HasPrefix(rt.Path, "/audits/{id}") || strings.HasPrefix(rt.Path, "/api/v1/audits/{id}")
}

// An auditor token (or session) cannot read or change another audit:
// every route of an audit, given the other audit's id (and the ids of real
// things in it), answers 404 or 403 and changes nothing.
func TestAuditorCannotReachAnotherAudit(t *testing.T) {
	af := newAuditFixture(t)
	csrf := af.csrfOf(t, model.RoleAuditor)
	n := 0
	for _, rt := range af.srv.Routes() {
		if !isAuditRoute(rt) {
			continue
		}
		n++
		path := af.concreteFor(rt.Path, af.other, af.otherRequest, af.otherSample, 1)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			var resp *http.Response
			if rt.API != nil {
				resp = af.do(t, rt.Method, path, strings.NewReader(`{"title":"x","body":"x","control":"IAM-08","result":"pass","kind":"new_hires","email":"x@example.com","status":"review"}`),
					func(r *http.Request) {
						af.asToken(model.RoleAuditor)(r)
						r.Header.Set("Content-Type", "application/json")
					})
			} else {
				form := url.Values{"csrf": {csrf}, "title": {"x"}, "body": {"x"}, "control": {"IAM-08"}, "result": {"pass"}, "kind": {"new_hires"},
					"email": {"x@example.com"}, "status": {"review"}, "evidence_id": {"1"}}
				resp = af.do(t, rt.Method, path, strings.NewReader(form.Encode()), func(r *http.Request) {
					af.asSession(model.RoleAuditor)(r)
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				})
			}
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("auditor on another audit: %d %.300s", resp.StatusCode, b)
			}
		})
	}
	if n < 30 {
		t.Fatalf("only %d audit routes walked", n)
	}
	// Nothing changed in the other audit.
	var reqs []model.Request
	af.apiJSON(t, model.RoleOwner, "GET", fmt.Sprintf("/api/v1/audits/%d/requests", af.other.ID), "", &reqs)
	var comments []model.Comment
	af.apiJSON(t, model.RoleOwner, "GET", fmt.Sprintf("/api/v1/audits/%d/comments", af.other.ID), "", &comments)
	var sm model.Sample
	af.apiJSON(t, model.RoleOwner, "GET", fmt.Sprintf("/api/v1/audits/%d/samples/%d", af.other.ID, af.otherSample), "", &sm)
	if len(reqs) != 1 || reqs[0].Title != "Board minutes" || len(comments) != 0 || sm.Items[0].Result != model.ResultPending {
		t.Fatalf("the other audit changed: %+v %+v %+v", reqs, comments, sm.Items)
	}
}

// An auditor cannot change (or read) evidence outside its audits: every
// route that is not an audit route and needs more than its own account
// refuses it, and inside its audit it cannot attach evidence or run the
// audit.
func TestAuditorCannotChangeEvidence(t *testing.T) {
	af := newAuditFixture(t)
	for _, rt := range af.srv.Routes() {
		if rt.Perm == model.PermPublic || rt.Perm == model.PermSelf || rt.Perm == model.PermAudit {
			continue
		}
		if model.RoleAuditor.Can(rt.Perm) {
			t.Fatalf("%s %s: the auditor role has its permission %s", rt.Method, rt.Path, rt.Perm)
		}
		if !strings.Contains(rt.Path, "evidence") && !strings.Contains(rt.Path, "ledger") {
			continue // the route-permission test covers every other route
		}
		path := strings.NewReplacer("{id}", "1").Replace(rt.Path)
		mod := af.asSession(model.RoleAuditor)
		if rt.API != nil {
			mod = af.asToken(model.RoleAuditor)
		}
		if resp := af.do(t, rt.Method, path, strings.NewReader(`{}`), mod); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s as auditor: %d, want 403", rt.Method, rt.Path, resp.StatusCode)
		}
	}
	// Inside its own audit: running it and answering for the organization are refused.
	id := af.mine.ID
	var req model.Request
	if s := af.apiJSON(t, model.RoleAuditor, "POST", fmt.Sprintf("/api/v1/audits/%d/requests", id), `{"title":"Access review Q1","control":"IAM-08"}`, &req); s != 201 {
		t.Fatalf("auditor request: %d", s)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", fmt.Sprintf("/api/v1/audits/%d", id), `{"status":"issued"}`},
		{"POST", fmt.Sprintf("/api/v1/audits/%d/members", id), `{"email":"friend@example.com"}`},
		{"DELETE", fmt.Sprintf("/api/v1/audits/%d/members/%d", id, af.ids[model.RoleAuditor]), ``},
		{"POST", fmt.Sprintf("/api/v1/audits/%d/requests/%d/attachments", id, req.ID), `{"kind":"attestation","text":"done"}`},
		{"POST", "/api/v1/audits", `{"framework":"soc2","type":1,"as_of":"2026-06-30"}`},
	} {
		if s := af.apiJSON(t, model.RoleAuditor, c.method, c.path, c.body, nil); s != http.StatusForbidden {
			t.Errorf("%s %s as auditor: %d, want 403", c.method, c.path, s)
		}
	}
	var items []model.EvidenceItem
	af.apiJSON(t, model.RoleOwner, "GET", "/api/v1/evidence", "", &items)
	if len(items) != 0 {
		t.Fatalf("evidence was added: %+v", items)
	}
}

// The auditor works in its audit through the API and the pages; the owner
// answers a request; every audit page renders for both.
func TestAuditWorkspace(t *testing.T) {
	af := newAuditFixture(t)
	id := af.mine.ID
	var list []model.Audit
	if s := af.apiJSON(t, model.RoleAuditor, "GET", "/api/v1/audits", "", &list); s != 200 || len(list) != 1 || list[0].ID != id {
		t.Fatalf("auditor's audits: %d %+v", s, list)
	}
	var req model.Request
	if s := af.apiJSON(t, model.RoleAuditor, "POST", fmt.Sprintf("/api/v1/audits/%d/requests", id), `{"title":"Q1 access review","control":"IAM-08","due":"2026-07-31"}`, &req); s != 201 {
		t.Fatalf("request: %d", s)
	}
	var sm model.Sample
	if s := af.apiJSON(t, model.RoleAuditor, "POST", fmt.Sprintf("/api/v1/audits/%d/samples", id), `{"control":"IAM-08","seed":11}`, &sm); s != 201 || sm.Size != 2 || sm.Seed != 11 {
		t.Fatalf("sample: %d %+v", s, sm)
	}
	if s := af.apiJSON(t, model.RoleAuditor, "PUT", fmt.Sprintf("/api/v1/audits/%d/samples/%d/items/1", id, sm.ID), `{"result":"exception","note":"no sign-off"}`, &sm); s != 200 ||
		sm.Items[0].Result != model.ResultException || sm.Items[0].TestedBy != "auditor@example.com" {
		t.Fatalf("result: %d %+v", s, sm.Items)
	}
	var cm model.Comment
	if s := af.apiJSON(t, model.RoleAuditor, "POST", fmt.Sprintf("/api/v1/audits/%d/comments", id), fmt.Sprintf(`{"subject":"request:%d","body":"Include the approvals"}`, req.ID), &cm); s != 201 {
		t.Fatalf("comment: %d", s)
	}
	// The owner answers with a new attestation; the request is submitted and the auditor can read it.
	if s := af.apiJSON(t, model.RoleOwner, "POST", fmt.Sprintf("/api/v1/audits/%d/requests/%d/attachments", id, req.ID),
		`{"kind":"attestation","text":"Q1 review done, ticket SEC-9","effective_from":"2026-02-15"}`, &req); s != 200 || req.Status != model.RequestSubmitted || len(req.Attachments) != 1 {
		t.Fatalf("attach: %d %+v", s, req)
	}
	ev := req.Attachments[0].EvidenceID
	resp := af.do(t, "GET", fmt.Sprintf("/api/v1/audits/%d/evidence/%d/file", id, ev), nil, af.asToken(model.RoleAuditor))
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "Q1 review done, ticket SEC-9" {
		t.Fatalf("auditor download: %d %s", resp.StatusCode, b)
	}
	// The control now has 1 of 2 occurrences evidenced and a sample exception.
	var cr audit.ControlResult
	if s := af.apiJSON(t, model.RoleAuditor, "GET", fmt.Sprintf("/api/v1/audits/%d/controls/IAM-08", id), "", &cr); s != 200 ||
		cr.Operation == nil || cr.Operation.Occurrences.Present != 1 || cr.Samples.Exceptions != 1 || cr.Result != audit.OperationExceptions {
		t.Fatalf("control: %d %+v", s, cr)
	}
	// The auditor accepts the request.
	if s := af.apiJSON(t, model.RoleAuditor, "PATCH", fmt.Sprintf("/api/v1/audits/%d/requests/%d", id, req.ID), `{"status":"accepted"}`, &req); s != 200 || req.Status != model.RequestAccepted {
		t.Fatalf("accept: %d %+v", s, req)
	}
	// Every page of the audit renders, for the owner and for the auditor.
	pages := []string{"", "/populations", "/samples", fmt.Sprintf("/samples/%d", sm.ID), "/requests", fmt.Sprintf("/requests/%d", req.ID), "/controls/IAM-08", "/controls/IAM-04"}
	for _, role := range []model.Role{model.RoleOwner, model.RoleAuditor} {
		for _, pg := range append([]string{"/audits"}, prefixAll(fmt.Sprintf("/audits/%d", id), pages)...) {
			resp := af.do(t, "GET", pg, nil, af.asSession(role))
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(b), "</html>") {
				t.Fatalf("%s as %s: %d %.500s\n%s", pg, role, resp.StatusCode, b, lastLines(af.logs.String(), 5))
			}
		}
	}
	// The control page shows its timeline chart with its numbers.
	resp = af.do(t, "GET", fmt.Sprintf("/audits/%d/controls/IAM-08", id), nil, af.asSession(model.RoleAuditor))
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`<svg class="chart"`, "evidence for 1 of 2 expected occurrences", "Sample " + fmt.Sprint(sm.ID)} {
		if !strings.Contains(string(b), want) {
			t.Errorf("control page lacks %q", want)
		}
	}
	// A page form: the auditor draws a sample through the page.
	form := url.Values{"csrf": {af.csrfOf(t, model.RoleAuditor)}, "control": {"IAM-09"}, "seed": {"5"}}
	resp = af.do(t, "POST", fmt.Sprintf("/audits/%d/samples", id), strings.NewReader(form.Encode()), func(r *http.Request) {
		af.asSession(model.RoleAuditor)(r)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), fmt.Sprintf("/audits/%d/samples/", id)) {
		t.Fatalf("page sample: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func prefixAll(p string, paths []string) []string {
	out := make([]string, len(paths))
	for i, s := range paths {
		out[i] = p + s
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
