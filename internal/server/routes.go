package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/web"
)

// Route is one entry of the route table. Exactly one of Page, API and Public
// is set; Perm is required on every route and enforced before the handler
// runs (TestEveryRouteChecksItsPermission walks this table).
type Route struct {
	Method string
	Path   string
	Perm   model.Permission

	Page   web.PageFunc     // an HTML page: session cookie, CSRF token on writes (or a raw download)
	API    api.Func         // JSON under /api/v1: bearer token
	Public http.HandlerFunc // no sign-in (Perm must be PermPublic)

	// For the OpenAPI document (API routes).
	Summary       string
	Body, Returns any
	Status        int
	// Raw marks an API route that streams a stored body instead of JSON.
	Raw bool
}

// table lists every route of the server, pages first, then the API.
func (s *Server) table() []Route {
	w, a := s.Web, s.API
	const (
		get, post, patch, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	)
	view, self, edit, manage := model.PermView, model.PermSelf, model.PermEdit, model.PermManage
	public := model.PermPublic
	return []Route{
		// Operations.
		{Method: get, Path: "/healthz", Perm: public, Public: s.healthz},
		{Method: get, Path: "/readyz", Perm: public, Public: s.readyz},
		{Method: get, Path: "/metrics", Perm: public, Public: s.metrics().ServeHTTP},
		{Method: get, Path: "/static/", Perm: public, Public: w.Static().ServeHTTP},

		// Sign-in.
		{Method: get, Path: "/login", Perm: public, Public: w.LoginForm},
		{Method: post, Path: "/login", Perm: public, Public: w.Login},
		{Method: post, Path: "/logout", Perm: self, Page: w.Logout},
		{Method: post, Path: "/switch-org", Perm: self, Page: w.SwitchOrg},

		// The product areas.
		{Method: get, Path: "/{$}", Perm: self, Page: w.Home},
		{Method: get, Path: "/frameworks", Perm: view, Page: w.Area("frameworks")},
		{Method: get, Path: "/controls", Perm: view, Page: w.Area("controls")},
		{Method: get, Path: "/tests", Perm: view, Page: w.Area("tests")},
		{Method: get, Path: "/integrations", Perm: view, Page: w.Integrations},
		{Method: get, Path: "/resources", Perm: view, Page: w.Resources},
		{Method: get, Path: "/evidence", Perm: view, Page: w.Area("evidence")},
		{Method: get, Path: "/audits", Perm: model.PermAudit, Page: w.Area("audits")},

		// Integrations, runs and resources.
		{Method: get, Path: "/integrations/new", Perm: edit, Page: w.NewIntegration},
		{Method: post, Path: "/integrations", Perm: edit, Page: w.CreateIntegration},
		{Method: get, Path: "/integrations/{id}", Perm: view, Page: w.Integration},
		{Method: post, Path: "/integrations/{id}", Perm: edit, Page: w.UpdateIntegration},
		{Method: post, Path: "/integrations/{id}/test", Perm: edit, Page: w.TestIntegration},
		{Method: post, Path: "/integrations/{id}/run", Perm: edit, Page: w.RunIntegration},
		{Method: post, Path: "/integrations/{id}/enable", Perm: edit, Page: w.EnableIntegration},
		{Method: post, Path: "/integrations/{id}/disable", Perm: edit, Page: w.DisableIntegration},
		{Method: post, Path: "/integrations/{id}/remove", Perm: edit, Page: w.RemoveIntegration},
		{Method: get, Path: "/runs/{id}", Perm: view, Page: w.Run},
		{Method: get, Path: "/resources/{id}", Perm: view, Page: w.Resource},
		{Method: get, Path: "/observations/{id}/body", Perm: view, Page: w.ObservationBody},

		// Settings.
		{Method: get, Path: "/settings", Perm: self, Page: w.Settings},
		{Method: get, Path: "/settings/account", Perm: self, Page: w.Account},
		{Method: post, Path: "/settings/password", Perm: self, Page: w.ChangePassword},
		{Method: get, Path: "/settings/tokens", Perm: self, Page: w.Tokens},
		{Method: post, Path: "/settings/tokens", Perm: self, Page: w.CreateToken},
		{Method: post, Path: "/settings/tokens/{id}/revoke", Perm: self, Page: w.RevokeToken},
		{Method: get, Path: "/settings/organization", Perm: view, Page: w.Organization},
		{Method: post, Path: "/settings/organization", Perm: manage, Page: w.UpdateOrganization},
		{Method: get, Path: "/settings/members", Perm: manage, Page: w.Members},
		{Method: post, Path: "/settings/members", Perm: manage, Page: w.AddMember},
		{Method: post, Path: "/settings/members/{id}/role", Perm: manage, Page: w.SetMemberRole},
		{Method: post, Path: "/settings/members/{id}/remove", Perm: manage, Page: w.RemoveMember},

		// JSON API.
		{Method: get, Path: "/api/v1/openapi.json", Perm: public, Public: s.openAPIDoc},
		{Method: get, Path: "/api/v1/me", Perm: self, API: a.GetMe, Summary: "Who the token belongs to", Returns: api.Me{}},
		{Method: get, Path: "/api/v1/organization", Perm: view, API: a.GetOrganization, Summary: "The token's organization", Returns: model.Organization{}},
		{Method: patch, Path: "/api/v1/organization", Perm: manage, API: a.UpdateOrganization, Summary: "Rename the organization or change its time zone", Body: api.OrganizationUpdate{}, Returns: model.Organization{}},
		{Method: get, Path: "/api/v1/members", Perm: manage, API: a.ListMembers, Summary: "List members and roles", Returns: []model.Member{}},
		{Method: post, Path: "/api/v1/members", Perm: manage, API: a.AddMember, Summary: "Add a member (creates the user if needed; the first password is returned once)", Body: api.MemberCreate{}, Returns: account.NewMember{}, Status: 201},
		{Method: patch, Path: "/api/v1/members/{id}", Perm: manage, API: a.UpdateMember, Summary: "Change a member's role", Body: api.MemberUpdate{}, Returns: model.Member{}},
		{Method: del, Path: "/api/v1/members/{id}", Perm: manage, API: a.RemoveMember, Summary: "Remove a member", Status: 204},
		{Method: get, Path: "/api/v1/tokens", Perm: self, API: a.ListTokens, Summary: "List your API tokens (?all=true lists everyone's, for admins)", Returns: []model.APIToken{}},
		{Method: post, Path: "/api/v1/tokens", Perm: self, API: a.CreateToken, Summary: "Create an API token (the secret is returned once)", Body: api.TokenCreate{}, Returns: account.NewToken{}, Status: 201},
		{Method: del, Path: "/api/v1/tokens/{id}", Perm: self, API: a.RevokeToken, Summary: "Revoke an API token", Status: 204},

		{Method: get, Path: "/api/v1/connectors", Perm: view, API: a.ListConnectors, Summary: "List the connectors: configuration fields and resource types", Returns: []collect.ConnectorInfo{}},
		{Method: get, Path: "/api/v1/integrations", Perm: view, API: a.ListIntegrations, Summary: "List integrations with their health, last run and next run", Returns: []collect.IntegrationView{}},
		{Method: post, Path: "/api/v1/integrations", Perm: edit, API: a.CreateIntegration, Summary: "Add an integration (secret fields go in config; they are sealed and never returned)", Body: collect.IntegrationInput{}, Returns: collect.IntegrationView{}, Status: 201},
		{Method: get, Path: "/api/v1/integrations/{id}", Perm: view, API: a.GetIntegration, Summary: "Read an integration (secret fields only by name)", Returns: collect.IntegrationView{}},
		{Method: patch, Path: "/api/v1/integrations/{id}", Perm: edit, API: a.UpdateIntegration, Summary: "Change an integration: name, config (null clears a field; absent keeps it), interval, rate_limit, enabled", Body: collect.IntegrationUpdate{}, Returns: collect.IntegrationView{}},
		{Method: del, Path: "/api/v1/integrations/{id}", Perm: edit, API: a.RemoveIntegration, Summary: "Remove an integration (its runs and resource history stay)", Status: 204},
		{Method: post, Path: "/api/v1/integrations/{id}/test", Perm: edit, API: a.TestIntegration, Summary: "Test the connection (runs the connector's probe)", Returns: collect.TestResult{}},
		{Method: post, Path: "/api/v1/integrations/{id}/runs", Perm: edit, API: a.StartRun, Summary: "Collect now: returns the run running, or finished with ?wait=true", Returns: collect.RunView{}, Status: 201},
		{Method: get, Path: "/api/v1/integrations/{id}/runs", Perm: view, API: a.ListIntegrationRuns, Summary: "List an integration's runs, newest first (?limit=)", Returns: []collect.RunView{}},
		{Method: get, Path: "/api/v1/runs", Perm: view, API: a.ListRuns, Summary: "List runs of every integration, newest first (?limit=)", Returns: []collect.RunView{}},
		{Method: get, Path: "/api/v1/runs/{id}", Perm: view, API: a.GetRun, Summary: "Read a run: status, counts and errors per resource type, observations", Returns: collect.RunDetail{}},
		{Method: get, Path: "/api/v1/resources", Perm: view, API: a.ListResources, Summary: "List resources (?type=, ?integration=NAME, ?status=present|removed|all, ?q=, ?limit= up to 1000, ?offset=)", Returns: collect.ResourcePage{}},
		{Method: get, Path: "/api/v1/resources/{id}", Perm: view, API: a.GetResource, Summary: "Read a resource with its versions and the observations behind each", Returns: collect.ResourceDetail{}},
		{Method: get, Path: "/api/v1/observations/{id}", Perm: view, API: a.GetObservation, Summary: "Read an observation (one recorded call)", Returns: collect.ObservationView{}},
		{Method: get, Path: "/api/v1/observations/{id}/body", Perm: view, API: a.GetObservationBody, Summary: "Download an observation's raw body as stored (secret values replaced)", Raw: true},
	}
}

// validateRoutes refuses a table with a route that has no permission, more
// or less than one handler, a public permission on a protected handler, or
// an API route outside /api/v1.
func validateRoutes(routes []Route) error {
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if seen[key] {
			return fmt.Errorf("route %s is listed twice", key)
		}
		seen[key] = true
		n := 0
		for _, set := range []bool{rt.Page != nil, rt.API != nil, rt.Public != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("route %s must have exactly one of Page, API, Public", key)
		}
		known := false
		for _, p := range model.AllPermissions() {
			known = known || p == rt.Perm
		}
		if !known {
			return fmt.Errorf("route %s has no valid permission (%q)", key, rt.Perm)
		}
		if (rt.Public != nil) != (rt.Perm == model.PermPublic) {
			return fmt.Errorf("route %s: public handlers, and only they, use PermPublic", key)
		}
		if rt.API != nil && !strings.HasPrefix(rt.Path, "/api/v1/") {
			return fmt.Errorf("API route %s must live under /api/v1/", key)
		}
		if rt.Page != nil && strings.HasPrefix(rt.Path, "/api/") {
			return fmt.Errorf("page route %s must not live under /api/", key)
		}
	}
	return nil
}

func apiOperations(routes []Route) []api.Operation {
	var ops []api.Operation
	for _, rt := range routes {
		if rt.API == nil {
			continue
		}
		ops = append(ops, api.Operation{Method: rt.Method, Path: rt.Path, Summary: rt.Summary, Permission: rt.Perm,
			Body: rt.Body, Returns: rt.Returns, Status: rt.Status, Raw: rt.Raw})
	}
	return ops
}
