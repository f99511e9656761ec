package server

import (
	"net/http"

	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/model"
)

// testRoutes are the pages and API of tests, results, exceptions, control
// status and readiness.
func (s *Server) testRoutes() []Route {
	w, a := s.Web, s.API
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	view, edit := model.PermView, model.PermEdit
	return []Route{
		{Method: get, Path: "/tests", Perm: view, Page: w.Tests},
		{Method: get, Path: "/tests/new", Perm: edit, Page: w.NewTest},
		{Method: post, Path: "/tests", Perm: edit, Page: w.CreateTest},
		{Method: post, Path: "/tests/evaluate", Perm: edit, Page: w.EvaluateTests},
		{Method: get, Path: "/tests/{id}", Perm: view, Page: w.Test},
		{Method: post, Path: "/tests/{id}/exceptions", Perm: edit, Page: w.AddException},
		{Method: post, Path: "/tests/{id}/remove", Perm: edit, Page: w.RemoveTest},
		{Method: get, Path: "/exceptions", Perm: view, Page: w.Exceptions},
		{Method: post, Path: "/exceptions/{id}/revoke", Perm: edit, Page: w.RevokeException},

		{Method: get, Path: "/api/v1/tests", Perm: view, API: a.ListTests, Summary: "List the tests with their current results, failing first (?state=failing|passing|not_run, ?severity=, ?control=KEY, ?type=, ?q=)", Returns: []check.TestSummary{}},
		{Method: post, Path: "/api/v1/tests", Perm: edit, API: a.CreateTest, Summary: "Store a test of the organization's own (YAML with one test, docs/tests.md); problems are reported with their line", Body: api.TestSource{}, Returns: check.Test{}, Status: 201},
		{Method: post, Path: "/api/v1/tests/evaluate", Perm: edit, API: a.EvaluateTests, Summary: "Evaluate every test on every resource now (after changing tests, or to judge staleness by the clock)", Returns: api.EvaluationSummary{}},
		{Method: get, Path: "/api/v1/tests/{id}", Perm: view, API: a.GetTest, Summary: "A test: definition, each resource's status since when, the 90-day timeline, exceptions and recent changes", Returns: check.TestDetail{}},
		{Method: del, Path: "/api/v1/tests/{id}", Perm: edit, API: a.DeleteTest, Summary: "Remove a test of the organization's own (its history stays)", Status: 204},
		{Method: get, Path: "/api/v1/tests/{id}/intervals", Perm: view, API: a.ListIntervals, Summary: "A test's status intervals [from, to) overlapping ?from=&to= (RFC 3339 or YYYY-MM-DD; default the last 90 days), of one ?resource=ID or all", Returns: []model.StatusInterval{}},
		{Method: get, Path: "/api/v1/status-changes", Perm: view, API: a.ListStatusChanges, Summary: "Status changes after ?after=ID, oldest first (?limit= up to 1000)", Returns: []model.StatusChange{}},
		{Method: get, Path: "/api/v1/exceptions", Perm: view, API: a.ListExceptions, Summary: "Exceptions, active first (?test=ID)", Returns: []check.ExceptionView{}},
		{Method: post, Path: "/api/v1/exceptions", Perm: edit, API: a.CreateException, Summary: "Accept a test's failure (one resource, or every resource) with a reason and approver until an expiry at most a year ahead", Body: check.ExceptionInput{}, Returns: check.ExceptionView{}, Status: 201},
		{Method: get, Path: "/api/v1/exceptions/{id}", Perm: view, API: a.GetException, Summary: "An exception with its state", Returns: check.ExceptionView{}},
		{Method: post, Path: "/api/v1/exceptions/{id}/revoke", Perm: edit, API: a.RevokeException, Summary: "End an exception now: the failure counts again", Returns: check.ExceptionView{}},
		{Method: get, Path: "/api/v1/control-status", Perm: view, API: a.ListControlStatus, Summary: "Every active control's status rolled up from its tests and evidence: passing, failing, needs_evidence or not_tested", Returns: []check.ControlStatus{}},
		{Method: get, Path: "/api/v1/controls/{id}/status", Perm: view, API: a.GetControlStatus, Summary: "One control's status with its tests, evidence freshness and exceptions", Returns: check.ControlStatus{}},
		{Method: get, Path: "/api/v1/readiness", Perm: view, API: a.GetReadiness, Summary: "Readiness per framework and category: in-scope criteria (or objectives) whose controls all pass", Returns: []check.Readiness{}},
	}
}
