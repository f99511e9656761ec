package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Dashboard is the home page: readiness per framework and category, what
// fails by severity, the trend, evidence expiring soon and the last runs.
func (h *Handlers) Dashboard(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	ctx := r.Context()
	ready, err := h.Checks.Readiness(ctx, p)
	if err != nil {
		return err
	}
	tests, err := h.Checks.Tests(ctx, p, check.TestFilter{})
	if err != nil {
		return err
	}
	trend, err := h.Checks.Trend(ctx, p, 30)
	if err != nil {
		return err
	}
	bySeverity := map[model.Severity]int{}
	var failing []check.TestSummary
	run := 0
	for _, t := range tests {
		if t.State == "failing" {
			bySeverity[t.Severity] += t.Counts.Failing()
			failing = append(failing, t)
		}
		if t.State != "not_run" {
			run++
		}
	}
	type sevCount struct {
		Severity model.Severity
		Count    int
	}
	var sev []sevCount
	for i := len(model.Severities()) - 1; i >= 0; i-- {
		s := model.Severities()[i]
		sev = append(sev, sevCount{s, bySeverity[s]})
	}
	if len(failing) > 10 {
		failing = failing[:10]
	}
	var expiring []evidence.Expiring
	if h.Evidence != nil {
		if expiring, err = h.Evidence.ExpiringSoon(ctx, p.Org.ID, 30*24*60*60*1e9); err != nil {
			return err
		}
	}
	runs, err := h.Collect.Runs(ctx, p, 0, 5)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "dashboard", "Dashboard", "dashboard", map[string]any{
		"Readiness": ready, "ReadinessChart": readinessChart(ready), "Severity": sev, "Failing": failing, "Tests": len(tests),
		"TestsRun": run, "Trend": trend, "TrendChart": trendChart(trend), "Expiring": expiring, "Runs": runs,
		"NoRuns": len(runs) == 0, "CanEdit": p.Can(model.PermEdit),
	})
}

// Tests lists the tests with their results, failing first, with filters.
func (h *Handlers) Tests(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	q := r.URL.Query()
	f := check.TestFilter{State: q.Get("state"), Control: q.Get("control"), ResourceType: q.Get("type"), Query: q.Get("q")}
	if s := q.Get("severity"); s != "" {
		if sev, err := model.ParseSeverity(s); err == nil {
			f.Severity = sev
		}
	}
	list, err := h.Checks.Tests(r.Context(), p, f)
	if err != nil {
		return err
	}
	failing := 0
	for _, t := range list {
		if t.State == "failing" {
			failing++
		}
	}
	return h.render(w, r, http.StatusOK, "tests", "Tests", "tests", map[string]any{
		"Tests": list, "Failing": failing, "F": f, "Severities": model.Severities(), "CanEdit": p.Can(model.PermEdit),
		"Filtered": f != (check.TestFilter{}),
	})
}

// Test shows one test: each resource's status since when, the 90-day
// timeline, exceptions, and the CEL it runs.
func (h *Handlers) Test(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.testPage(w, r, p, http.StatusOK, "")
}

func (h *Handlers) testPage(w http.ResponseWriter, r *http.Request, p model.Principal, status int, msg string) error {
	d, err := h.Checks.TestDetail(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var failing []check.ResourceResult
	for _, res := range d.Results {
		if res.Status.Failing() && res.ExceptionID == 0 {
			failing = append(failing, res)
		}
	}
	source := ""
	if d.Origin == check.OriginCustom {
		source, _ = h.Checks.TestSource(r.Context(), p, d.ID)
	}
	return h.render(w, r, status, "test", d.Title, "tests", map[string]any{
		"T": d, "Timeline": timelineChart(d.Timeline, d.From, d.To, p.Org.Location()), "Failing": failing,
		"CanEdit": p.Can(model.PermEdit), "Error": msg, "Source": source,
		"DefaultExpiry": h.Now().AddDate(0, 3, 0).Format(model.DateLayout),
	})
}

// AddException accepts a test's failure from the test page.
func (h *Handlers) AddException(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	in := check.ExceptionInput{Test: r.PathValue("id"), Reason: r.PostFormValue("reason"), Approver: r.PostFormValue("approver"),
		Expires: r.PostFormValue("expires")}
	if v := r.PostFormValue("resource"); v != "" && v != "all" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return model.Invalid("resource", "choose a resource from the list")
		}
		in.ResourceID = id
	}
	x, err := h.Checks.AddException(r.Context(), p, in)
	if model.IsValidation(err) {
		return h.testPage(w, r, p, http.StatusBadRequest, httpx.PublicMessage(r, err))
	}
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Exception %d accepts this failure until %s.", x.ID, x.ExpiresAt.Format(model.DateLayout)),
		"/tests/"+url.PathEscape(in.Test)+"#exceptions")
}

// RevokeException ends an exception; back to where the form was.
func (h *Handlers) RevokeException(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	x, err := h.Checks.RevokeException(r.Context(), p, id)
	if err != nil {
		return err
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/exceptions"
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Exception %d revoked: the failure of %s counts again.", x.ID, x.TestID), back)
}

// Exceptions lists every exception, active first.
func (h *Handlers) Exceptions(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	list, err := h.Checks.Exceptions(r.Context(), p, "")
	if err != nil {
		return err
	}
	active := 0
	for _, x := range list {
		if x.State == "active" {
			active++
		}
	}
	return h.render(w, r, http.StatusOK, "exceptions", "Exceptions", "tests", map[string]any{
		"Exceptions": list, "Active": active, "CanEdit": p.Can(model.PermEdit),
	})
}

const exampleTest = `tests:
  - id: acme.sshd.max_auth_tries
    title: SSH allows at most 3 authentication attempts
    resource_type: host.sshd
    where: resource.installed
    assert: resource.max_auth_tries <= 3
    severity: low
    controls: [IAM-04]
    remediation: Set MaxAuthTries 3 in /etc/ssh/sshd_config.
`

// NewTest shows the form for a test of the organization's own.
func (h *Handlers) NewTest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.render(w, r, http.StatusOK, "test_new", "New test", "tests", map[string]any{"Source": exampleTest})
}

// CreateTest stores a test written in the form.
func (h *Handlers) CreateTest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	src := r.PostFormValue("source")
	t, err := h.Checks.SaveTest(r.Context(), p, src)
	if model.IsValidation(err) {
		return h.render(w, r, http.StatusBadRequest, "test_new", "New test", "tests", map[string]any{"Source": src, "Error": httpx.PublicMessage(r, err)})
	}
	if err != nil {
		return err
	}
	if _, err := h.Checks.EvaluateOrg(r.Context(), p.Org.ID); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Saved test "+t.ID+" and evaluated it on the resources collected so far.", "/tests/"+url.PathEscape(t.ID))
}

// RemoveTest removes a test of the organization's own.
func (h *Handlers) RemoveTest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id := r.PathValue("id")
	if err := h.Checks.RemoveTest(r.Context(), p, id); err != nil {
		return err
	}
	if _, err := h.Checks.EvaluateOrg(r.Context(), p.Org.ID); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Removed test "+id+"; its history stays in the ledger.", "/tests")
}

// EvaluateTests evaluates every test now (after editing tests, or to judge
// staleness).
func (h *Handlers) EvaluateTests(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if !p.Can(model.PermEdit) {
		return model.ErrForbidden
	}
	ev, err := h.Checks.EvaluateOrg(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Evaluated %d results: %d failing, %d passing; %d status change(s).",
		ev.Summary.Evaluations, ev.Summary.Fail+ev.Summary.Error, ev.Summary.Pass, ev.Summary.Changes), "/tests")
}

// controlStatus is the tests and exceptions section of a control's page.
func (h *Handlers) controlStatus(r *http.Request, key string) *check.ControlStatus {
	p, _ := httpx.PrincipalFrom(r.Context())
	cs, err := h.Checks.ControlStatus(r.Context(), p, key)
	if err != nil {
		if !errors.Is(err, model.ErrNotFound) {
			httpx.Logger(r.Context()).WarnContext(r.Context(), "cannot roll up the control's status", "control", key, "err", err)
		}
		return nil
	}
	return &cs
}
