package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
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

	// Upload routes accept a body up to the upload limit (multipart with a
	// file); File routes answer with stored content (httpx.File), not JSON.
	Upload, File bool
}

// table lists every route of the server, pages first, then the API.
func (s *Server) table() []Route {
	w, a := s.Web, s.API
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	view, self, manage, edit := model.PermView, model.PermSelf, model.PermManage, model.PermEdit
	public := model.PermPublic
	return append([]Route{
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
		{Method: get, Path: "/frameworks", Perm: view, Page: w.Frameworks},
		{Method: get, Path: "/frameworks/soc2", Perm: view, Page: w.SOC2},
		{Method: get, Path: "/frameworks/soc1", Perm: view, Page: w.SOC1},
		{Method: post, Path: "/frameworks/soc2/categories", Perm: edit, Page: w.SetCategories},
		{Method: post, Path: "/frameworks/{fw}/not-relevant", Perm: edit, Page: w.MarkNotRelevant},
		{Method: post, Path: "/frameworks/{fw}/relevant", Perm: edit, Page: w.MarkRelevant},
		{Method: post, Path: "/frameworks/soc1/objectives", Perm: edit, Page: w.AddObjective},
		{Method: get, Path: "/frameworks/soc1/objectives/{id}", Perm: view, Page: w.ObjectiveForm},
		{Method: post, Path: "/frameworks/soc1/objectives/{id}", Perm: edit, Page: w.EditObjective},
		{Method: post, Path: "/frameworks/soc1/objectives/{id}/retire", Perm: edit, Page: w.RetireObjective},
		{Method: get, Path: "/frameworks/soc2/scope", Perm: view, Page: w.ScopeEditor(model.SOC2)},
		{Method: get, Path: "/frameworks/soc1/scope", Perm: view, Page: w.ScopeEditor(model.SOC1)},
		{Method: post, Path: "/frameworks/{fw}/scope/{part}", Perm: edit, Page: w.ScopeChange},
		{Method: post, Path: "/frameworks/{fw}/scope/{part}/{id}/remove", Perm: edit, Page: w.ScopeRemove},
		{Method: get, Path: "/frameworks/soc2/coverage", Perm: view, Page: w.Coverage(model.SOC2)},
		{Method: get, Path: "/frameworks/soc1/coverage", Perm: view, Page: w.Coverage(model.SOC1)},
		{Method: get, Path: "/frameworks/scoping", Perm: view, Page: w.ScopingForm},
		{Method: post, Path: "/frameworks/scoping", Perm: view, Page: w.ScopingResult},
		{Method: get, Path: "/controls", Perm: view, Page: w.Controls},
		{Method: post, Path: "/controls", Perm: edit, Page: w.AddControl},
		{Method: get, Path: "/controls/new", Perm: edit, Page: w.NewControl},
		{Method: post, Path: "/controls/adopt", Perm: edit, Page: w.AdoptControls},
		{Method: post, Path: "/controls/upgrade", Perm: edit, Page: w.UpgradeControls},
		{Method: get, Path: "/controls/{id}", Perm: view, Page: w.ControlDetail},
		{Method: post, Path: "/controls/{id}", Perm: edit, Page: w.EditControl},
		{Method: get, Path: "/evidence", Perm: view, Page: w.EvidenceList},
		{Method: get, Path: "/evidence/new", Perm: edit, Page: w.EvidenceNew},
		{Method: post, Path: "/evidence", Perm: edit, Page: w.EvidenceCreate, Upload: true},
		{Method: get, Path: "/evidence/{id}", Perm: view, Page: w.EvidenceDetail},
		{Method: post, Path: "/evidence/{id}/versions", Perm: edit, Page: w.EvidenceAddVersion, Upload: true},
		{Method: get, Path: "/evidence/{id}/file", Perm: view, Page: w.EvidenceDownload},
		{Method: post, Path: "/evidence/{id}/hold", Perm: manage, Page: w.EvidenceHold},
		{Method: post, Path: "/evidence/{id}/release", Perm: manage, Page: w.EvidenceRelease},
		{Method: get, Path: "/integrations", Perm: view, Page: w.Integrations},
		{Method: get, Path: "/resources", Perm: view, Page: w.Resources},

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
		{Method: get, Path: "/settings/signing-key", Perm: view, Page: w.SigningKey},
		{Method: get, Path: "/settings/signing-key.pem", Perm: view, Page: w.SigningKeyPEM},
		{Method: post, Path: "/settings/checkpoints", Perm: manage, Page: w.CreateCheckpoint},
		{Method: get, Path: "/settings/retention", Perm: view, Page: w.Retention},
		{Method: post, Path: "/settings/retention", Perm: manage, Page: w.UpdateRetention},

		// JSON API.
		{Method: get, Path: "/api/v1/openapi.json", Perm: public, Public: s.openAPIDoc},
		{Method: get, Path: "/api/v1/me", Perm: self, API: a.GetMe, Summary: "Who the token belongs to", Returns: api.Me{}},
		{Method: get, Path: "/api/v1/organization", Perm: view, API: a.GetOrganization, Summary: "The token's organization", Returns: model.Organization{}},
		{Method: patch, Path: "/api/v1/organization", Perm: manage, API: a.UpdateOrganization, Summary: "Rename the organization or change its time zone", Body: api.OrganizationUpdate{}, Returns: model.Organization{}},
		{Method: get, Path: "/api/v1/members", Perm: manage, API: a.ListMembers, Summary: "List members and roles", Returns: []model.Member{}},
		{Method: post, Path: "/api/v1/members", Perm: manage, API: a.AddMember, Summary: "Add a member (creates the user if needed; the first password is returned once)", Body: api.MemberCreate{}, Returns: account.NewMember{}, Status: 201},
		{Method: patch, Path: "/api/v1/members/{id}", Perm: manage, API: a.UpdateMember, Summary: "Change a member's role", Body: api.MemberUpdate{}, Returns: model.Member{}},
		{Method: del, Path: "/api/v1/members/{id}", Perm: manage, API: a.RemoveMember, Summary: "Remove a member", Status: 204},
		{Method: get, Path: "/api/v1/frameworks", Perm: view, API: a.ListFrameworks, Summary: "List the frameworks with the organization's scope", Returns: []catalog.FrameworkSummary{}},
		{Method: get, Path: "/api/v1/frameworks/{id}", Perm: view, API: a.GetFramework, Summary: "A framework: soc2 returns all 61 criteria with points of focus for the scope and covering controls (SOC2View); soc1 the organization's objectives and the templates (SOC1View)", Returns: catalog.SOC2View{}},
		{Method: get, Path: "/api/v1/scope", Perm: view, API: a.GetScope, Summary: "The scope of ?framework=soc2|soc1 (default soc2): categories, system description, subservice organizations, CUECs, criteria not relevant", Returns: model.Scope{}},
		{Method: put, Path: "/api/v1/scope", Perm: edit, API: a.PutScope, Summary: "Replace the scope of the body's framework (validated: Security stays, reasons required, known criteria only)", Body: model.Scope{}, Returns: model.Scope{}},
		{Method: put, Path: "/api/v1/scope/categories", Perm: edit, API: a.PutCategories, Summary: "Set the SOC 2 categories in scope (Security cannot be removed)", Body: api.CategoriesUpdate{}, Returns: model.Scope{}},
		{Method: put, Path: "/api/v1/scope/not-relevant/{id}", Perm: edit, API: a.PutNotRelevant, Summary: "Mark a criterion (or SOC 1 objective) not relevant, with the reason", Body: api.NotRelevantMark{}, Returns: model.Scope{}},
		{Method: del, Path: "/api/v1/scope/not-relevant/{id}", Perm: edit, API: a.DeleteNotRelevant, Summary: "Remove a not-relevant mark (?framework=, default soc2)", Returns: model.Scope{}},
		{Method: post, Path: "/api/v1/scope/recommend", Perm: view, API: a.Recommend, Summary: "Scoping assistant: which reports, types and categories, with reasons (answers as in docs/scoping.md)", Body: catalog.Answers{}, Returns: catalog.Recommendation{}},
		{Method: get, Path: "/api/v1/coverage", Perm: view, API: a.GetCoverage, Summary: "Gap analysis of ?framework=soc2|soc1: uncovered criteria or objectives, controls without tests or evidence, criteria not relevant", Returns: catalog.Coverage{}},
		{Method: get, Path: "/api/v1/controls", Perm: view, API: a.ListControls, Summary: "List the organization's controls", Returns: []catalog.ControlView{}},
		{Method: post, Path: "/api/v1/controls", Perm: edit, API: a.CreateControl, Summary: "Add one of the organization's own controls", Body: catalog.ControlInput{}, Returns: catalog.ControlView{}, Status: 201},
		{Method: get, Path: "/api/v1/controls/{id}", Perm: view, API: a.GetControl, Summary: "A control by key, with its mappings and rationales", Returns: catalog.ControlView{}},
		{Method: patch, Path: "/api/v1/controls/{id}", Perm: edit, API: a.UpdateControl, Summary: "Edit a control (changed fields of adopted controls survive library upgrades; reset takes the library's text)", Body: catalog.ControlPatch{}, Returns: catalog.ControlView{}},
		{Method: post, Path: "/api/v1/controls/adopt", Perm: edit, API: a.AdoptControls, Summary: "Adopt library controls (keys, or all); keys already used are skipped", Body: api.AdoptRequest{}, Returns: catalog.AdoptResult{}},
		{Method: post, Path: "/api/v1/controls/upgrade", Perm: edit, API: a.UpgradeControls, Summary: "Bring adopted controls to the library version of this server; edited fields are kept and listed for review", Returns: catalog.UpgradeReport{}},
		{Method: get, Path: "/api/v1/library/controls", Perm: view, API: a.GetLibrary, Summary: "The built-in control library", Returns: catalog.Library{}},
		{Method: get, Path: "/api/v1/library/objectives", Perm: view, API: a.GetObjectiveTemplates, Summary: "The SOC 1 objective templates", Returns: catalog.ObjectiveLibrary{}},
		{Method: get, Path: "/api/v1/objectives", Perm: view, API: a.ListObjectives, Summary: "The organization's SOC 1 objectives (?all=true includes retired ones)", Returns: []model.Objective{}},
		{Method: post, Path: "/api/v1/objectives", Perm: edit, API: a.CreateObjective, Summary: "Add a SOC 1 objective, from a template or written from scratch", Body: catalog.ObjectiveInput{}, Returns: model.Objective{}, Status: 201},
		{Method: patch, Path: "/api/v1/objectives/{id}", Perm: edit, API: a.UpdateObjective, Summary: "Edit an active SOC 1 objective", Body: catalog.ObjectivePatch{}, Returns: model.Objective{}},
		{Method: post, Path: "/api/v1/objectives/{id}/retire", Perm: edit, API: a.RetireObjective, Summary: "Retire a SOC 1 objective (it stays for the record)", Returns: model.Objective{}},
		{Method: get, Path: "/api/v1/tokens", Perm: self, API: a.ListTokens, Summary: "List your API tokens (?all=true lists everyone's, for admins)", Returns: []model.APIToken{}},
		{Method: post, Path: "/api/v1/tokens", Perm: self, API: a.CreateToken, Summary: "Create an API token (the secret is returned once)", Body: api.TokenCreate{}, Returns: account.NewToken{}, Status: 201},
		{Method: del, Path: "/api/v1/tokens/{id}", Perm: self, API: a.RevokeToken, Summary: "Revoke an API token", Status: 204},

		{Method: get, Path: "/api/v1/evidence", Perm: view, API: a.ListEvidence, Summary: "List evidence, expiring first (?control=KEY)", Returns: []model.EvidenceItem{}},
		{Method: post, Path: "/api/v1/evidence", Perm: edit, API: a.AddEvidence, Summary: "Add evidence: a file (multipart/form-data), a link or an attestation", Body: api.EvidenceCreate{}, Returns: model.EvidenceItem{}, Status: 201, Upload: true},
		{Method: get, Path: "/api/v1/evidence/expiring", Perm: view, API: a.ExpiringEvidence, Summary: "Evidence that has expired or expires within ?within_days=N (default 30)", Returns: []evidence.Expiring{}},
		{Method: get, Path: "/api/v1/evidence/retention", Perm: view, API: a.GetRetention, Summary: "The evidence retention policy", Returns: model.RetentionPolicy{}},
		{Method: put, Path: "/api/v1/evidence/retention", Perm: manage, API: a.SetRetention, Summary: "Change the retention policy (releasing the legal hold applies it at once)", Body: api.RetentionUpdate{}, Returns: api.RetentionResult{}},
		{Method: get, Path: "/api/v1/evidence/{id}", Perm: view, API: a.GetEvidence, Summary: "An item with its versions, ledger entries with inclusion proofs, and verification state", Returns: evidence.Detail{}},
		{Method: post, Path: "/api/v1/evidence/{id}/versions", Perm: edit, API: a.AddEvidenceVersion, Summary: "Add a version that supersedes the current one (both remain)", Body: api.EvidenceCreate{}, Returns: model.EvidenceItem{}, Status: 201, Upload: true},
		{Method: get, Path: "/api/v1/evidence/{id}/file", Perm: view, API: a.DownloadEvidence, Summary: "Download a version's stored file (?version=N; default the current)", File: true},
		{Method: put, Path: "/api/v1/evidence/{id}/hold", Perm: manage, API: a.HoldEvidence, Summary: "Put an item on legal hold", Returns: api.HoldResult{}},
		{Method: del, Path: "/api/v1/evidence/{id}/hold", Perm: manage, API: a.ReleaseEvidence, Summary: "Release an item's legal hold (the retention policy then applies)", Returns: api.HoldResult{}},
		{Method: get, Path: "/api/v1/ledger/verify", Perm: view, API: a.VerifyLedger, Summary: "Verify the organization's ledger, checkpoints, evidence rows and stored files", Returns: evidence.Report{}},
		{Method: get, Path: "/api/v1/ledger/entries", Perm: view, API: a.ListLedgerEntries, Summary: "Ledger entries (?after=SEQ&limit=N), exactly as hashed", Returns: []model.LedgerEntry{}},
		{Method: get, Path: "/api/v1/ledger/entries/{id}/proof", Perm: view, API: a.ProveEntry, Summary: "Inclusion proof of an entry (RFC 9162) in the latest covering checkpoint (?size=N for another)", Returns: ledger.InclusionProof{}},
		{Method: get, Path: "/api/v1/ledger/consistency", Perm: view, API: a.ProveConsistency, Summary: "Consistency proof (RFC 9162) from ?first=N (default: the latest checkpoint) to ?second=M (default: now)", Returns: ledger.ConsistencyProof{}},
		{Method: get, Path: "/api/v1/ledger/checkpoints", Perm: view, API: a.ListCheckpoints, Summary: "Signed checkpoints", Returns: []model.LedgerCheckpoint{}},
		{Method: post, Path: "/api/v1/ledger/checkpoints", Perm: manage, API: a.CreateCheckpoint, Summary: "Sign a checkpoint now", Returns: model.LedgerCheckpoint{}, Status: 201},
		{Method: get, Path: "/api/v1/ledger/key", Perm: view, API: a.GetLedgerKey, Summary: "The installation's public signing key (Ed25519)", Returns: api.PublicKey{}},
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
		{Method: get, Path: "/api/v1/observations/{id}/body", Perm: view, API: a.GetObservationBody, Summary: "Download an observation's raw body as stored (secret values replaced)", File: true},
	}, append(append(append(s.testRoutes(), s.notificationRoutes()...), s.auditRoutes()...), s.exportRoutes()...)...)
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
			Body: rt.Body, Returns: rt.Returns, Status: rt.Status, Upload: rt.Upload, File: rt.File})
	}
	return ops
}
