package github

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// Regenerate the golden files after an intended change with
//
//	go test ./internal/connector/github -run TestGolden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func tokenConfig(r *replay) connector.Config {
	return connector.Config{"org": testOrg, "api_url": r.base(), "token": testToken}
}

// list runs one listing and holds everything it emitted to the
// declaration: every field present and of its documented type, nulls with
// a reason.
func list(t *testing.T, cfg connector.Config, rt *connectortest.Runtime, typ string) (*connectortest.Emitter, error) {
	t.Helper()
	em, err := connectortest.List(t, Registration(), cfg, rt, typ)
	for _, decl := range Registration().Resources {
		if decl.Name != typ {
			continue
		}
		check := awstypes.Type{Name: decl.Name, Description: decl.Description, Fields: decl.Fields}
		for _, r := range em.Resources {
			if err := check.Check(r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
			if err := connector.CheckConvention(decl, r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
			if len(r.Calls) == 0 {
				t.Errorf("%s %s names no observation it came from", typ, r.ExternalID)
			}
		}
	}
	return em, err
}

func mustList(t *testing.T, cfg connector.Config, rt *connectortest.Runtime, typ string) *connectortest.Emitter {
	t.Helper()
	em, err := list(t, cfg, rt, typ)
	if err != nil {
		t.Fatalf("list %s: %v", typ, err)
	}
	return em
}

func attrs(t *testing.T, em *connectortest.Emitter, id string) map[string]any {
	t.Helper()
	return em.ByID(t, id).Attributes
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func unknown(a map[string]any, field string) string {
	u, _ := a[connector.AttrUnknown].(map[string]any)
	s, _ := u[field].(string)
	return s
}

func source(a map[string]any, field string) string {
	s, _ := a[connector.AttrSources].(map[string]any)
	v, _ := s[field].(string)
	return v
}

func TestRegistrationIsValid(t *testing.T) {
	if err := Registration().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := connector.NewRegistry(Registration()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenValidatesConfig(t *testing.T) {
	key := testKeyPEM(t)
	tests := []struct {
		name string
		cfg  connector.Config
		want string
	}{
		{"no org", connector.Config{"token": testToken}, "org:"},
		{"org with a slash", connector.Config{"org": "acme/api", "token": testToken}, "org:"},
		{"no credentials", connector.Config{"org": testOrg}, "give a personal access token"},
		{"both", connector.Config{"org": testOrg, "token": testToken, "app_id": "1"}, "not both"},
		{"token with a line break", connector.Config{"org": testOrg, "token": "ghp_x\nghp_y"}, "line breaks"},
		{"http to another host", connector.Config{"org": testOrg, "token": testToken, "api_url": "http://ghe.example.com/api/v3/"}, "use https"},
		{"not a URL", connector.Config{"org": testOrg, "token": testToken, "api_url": "ghe.example.com"}, "api_url"},
		{"app without key", connector.Config{"org": testOrg, "app_id": "424242", "installation_id": "5151515"}, "together"},
		{"app with a bad installation", connector.Config{"org": testOrg, "app_id": "424242", "installation_id": "x", "private_key": key}, "installation_id"},
		{"app with a bad key", connector.Config{"org": testOrg, "app_id": "424242", "installation_id": "1", "private_key": "not a key"}, "private_key"},
		{"bad lookback", connector.Config{"org": testOrg, "token": testToken, "lookback": "soon"}, "lookback"},
		{"zero bound", connector.Config{"org": testOrg, "token": testToken, "max_pull_requests": "0"}, "max_pull_requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Registration().Open(t.Context(), tt.cfg, connectortest.NewRuntime(now))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("open = %v, want %q", err, tt.want)
			}
		})
	}
	for _, ok := range []connector.Config{
		{"org": testOrg, "token": testToken},
		{"org": testOrg, "token": testToken, "api_url": "https://ghe.example.com/api/v3/"},
		{"org": testOrg, "app_id": "424242", "installation_id": "5151515", "private_key": key},
	} {
		if _, err := Registration().Open(t.Context(), ok, connectortest.NewRuntime(now)); err != nil {
			t.Errorf("open %v: %v", ok["api_url"], err)
		}
	}
}

// TestEndpoints: github.com's GraphQL endpoint sits beside the REST root;
// GitHub Enterprise Server's at /api/graphql, and /api/v3/ is added to a
// bare host.
func TestEndpoints(t *testing.T) {
	for in, want := range map[string][2]string{
		"":                                  {"https://api.github.com/", "https://api.github.com/graphql"},
		"https://api.github.com":            {"https://api.github.com/", "https://api.github.com/graphql"},
		"https://ghe.example.com/api/v3/":   {"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		"https://ghe.example.com/":          {"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		"https://ghe.example.com/api/v3":    {"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		"http://127.0.0.1:8080/ghe/api/v3/": {"http://127.0.0.1:8080/ghe/api/v3/", "http://127.0.0.1:8080/ghe/api/graphql"},
	} {
		cfg := connector.Config{"org": testOrg, "token": testToken, "api_url": in}
		cn, err := Registration().Open(t.Context(), cfg, connectortest.NewRuntime(now))
		if err != nil {
			t.Fatal(err)
		}
		c := cn.(*conn)
		if got := [2]string{c.gh.BaseURL(), c.graphURL}; got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func listAll(t *testing.T, cfg connector.Config, rt *connectortest.Runtime) map[string]*connectortest.Emitter {
	t.Helper()
	out := map[string]*connectortest.Emitter{}
	for _, typ := range Registration().Resources {
		em, err := list(t, cfg, rt, typ.Name)
		if err != nil {
			t.Fatalf("list %s: %v", typ.Name, err)
		}
		out[typ.Name] = em
	}
	return out
}

// TestGolden compares every resource type's output over the replay with
// testdata/golden/<type>.json.
func TestGolden(t *testing.T) {
	r := newReplay(t)
	all := listAll(t, tokenConfig(r), connectortest.NewRuntime(now))
	for name, em := range all {
		type golden struct {
			ExternalID string         `json:"external_id"`
			Name       string         `json:"name"`
			Scope      string         `json:"scope"`
			Attributes map[string]any `json:"attributes"`
		}
		got := []golden{}
		for _, res := range em.Resources {
			got = append(got, golden{res.ExternalID, res.Name, res.Scope, res.Attributes})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ExternalID < got[j].ExternalID })
		out := map[string]any{"resources": got}
		if len(em.Failed) > 0 {
			failed := map[string]string{}
			for sc, err := range em.Failed {
				failed[sc] = err.Error()
			}
			out["failed_scopes"] = failed
		}
		buf, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		buf = bytes.ReplaceAll(buf, []byte(r.srv.URL), []byte("http://replay"))
		buf = append(buf, '\n')
		connectortest.Golden(t, name, buf, *update)
	}
}

func TestOrganization(t *testing.T) {
	r := newReplay(t)
	a := attrs(t, mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.organization"), "6123450")
	if a["two_factor_requirement_enabled"] != true || a["default_repository_permission"] != "read" ||
		a["members_can_create_public_repositories"] != false || a["members_can_create_private_repositories"] != true ||
		a["credential"] != credClassic || js(a["token_scopes"]) != `["read:org","repo"]` || a["plan"] != "team" {
		t.Fatalf("organization: %v", a)
	}
}

// A member who is not an owner sees the organization without its security
// settings: they are unknown, saying why, and two-factor status is not
// asked for (the filter would not mean what it says).
func TestNotAnOwner(t *testing.T) {
	r := newReplay(t)
	r.set(route{method: "GET", path: "/orgs/" + testOrg, file: "org_public.json"})
	r.set(route{method: "GET", path: "/orgs/" + testOrg + "/memberships/auditbot", fn: func(w http.ResponseWriter, req *http.Request) {
		b := bytes.Replace(fixture(t, "membership.json"), []byte(`"role": "admin"`), []byte(`"role": "member"`), 1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(b)
	}})
	rt := connectortest.NewRuntime(now)
	a := attrs(t, mustList(t, tokenConfig(r), rt, "github.organization"), "6123450")
	if a["two_factor_requirement_enabled"] != nil || !strings.Contains(unknown(a, "two_factor_requirement_enabled"), "auditbot is not an owner of acme-corp") {
		t.Fatalf("two_factor_requirement_enabled = %v (%q)", a["two_factor_requirement_enabled"], unknown(a, "two_factor_requirement_enabled"))
	}
	if a["login"] != testOrg || a["is_verified"] != true {
		t.Fatalf("public fields: %v", a)
	}
	m := attrs(t, mustList(t, tokenConfig(r), rt, "github.member"), "1003")
	if m["two_factor_enabled"] != nil || !strings.Contains(unknown(m, "two_factor_enabled"), "only to owners") {
		t.Fatalf("two_factor_enabled: %v %q", m["two_factor_enabled"], unknown(m, "two_factor_enabled"))
	}
	if n := r.count("GET", "/orgs/"+testOrg+"/members?filter=2fa_disabled"); n != 0 {
		t.Fatal("the 2fa_disabled filter was asked for by a non-owner")
	}
	for k := range r.hits {
		if strings.Contains(k, "2fa_disabled") {
			t.Fatalf("asked %s as a non-owner", k)
		}
	}
}

func TestMembers(t *testing.T) {
	r := newReplay(t)
	em := mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.member")
	if len(em.Resources) != 4 {
		t.Fatalf("%d members, want 4 (two pages of members and one admin)", len(em.Resources))
	}
	want := map[string]struct {
		login, role, email, emailSource string
		twoFA                           bool
	}{
		"1001": {"alice", "admin", "alice.admin@acme.example", "SAML identity NameID", true},
		"1002": {"bob", "member", "bob.builder@acme.example", "SAML identity NameID", true},
		"1003": {"carol", "member", "carol.c@acme.example", "SAML identity email", false},
		"1004": {"dave", "member", "dave@personal.example", "public email of GET /users/{login}", true},
	}
	for id, w := range want {
		a := attrs(t, em, id)
		if a["login"] != w.login || a["role"] != w.role || a["email"] != w.email || source(a, "email") != w.emailSource || a["two_factor_enabled"] != w.twoFA {
			t.Errorf("%s: %v", id, a)
		}
	}
	if a := attrs(t, em, "1001"); a["public_email"] != "Alice.Admin@Acme.example" || a["name"] != "Alice Admin" || a["saml_name_id"] != "alice.admin@acme.example" {
		t.Errorf("alice: %v", a)
	}
	if a := attrs(t, em, "1004"); a["saml_name_id"] != "" || source(a, "saml_name_id") != "no SAML identity is linked to this member" {
		t.Errorf("dave: %v", a)
	}
	if n := r.count("GET", "/orgs/"+testOrg+"/members"); n != 4 {
		t.Errorf("%d member listing calls, want 4: admins, two pages of members, the 2fa_disabled filter", n)
	}

	// Without SAML identities (no permission), emails come from profiles,
	// and the others are unknown with the reason.
	r.set(route{method: "POST", path: "/api/graphql", file: "graphql_forbidden.json"})
	em = mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.member")
	bob := attrs(t, em, "1002")
	if bob["email"] != nil || !strings.Contains(unknown(bob, "email"), "FORBIDDEN acme-corp can only be accessed by an organization owner") ||
		!strings.Contains(unknown(bob, "email"), "no public email on the profile") || bob["saml_name_id"] != nil {
		t.Errorf("bob without SAML: %v", bob)
	}
	if alice := attrs(t, em, "1001"); alice["email"] != "alice.admin@acme.example" || source(alice, "email") != "public email of GET /users/{login}" {
		t.Errorf("alice without SAML: %v", alice)
	}

	// Both switched off: no profile and no GraphQL call.
	r2 := newReplay(t)
	cfg := tokenConfig(r2)
	cfg["member_details"], cfg["saml_identities"] = "false", "false"
	em = mustList(t, cfg, connectortest.NewRuntime(now), "github.member")
	if a := attrs(t, em, "1001"); a["name"] != nil || a["email"] != nil || !strings.Contains(unknown(a, "email"), "saml_identities is off") {
		t.Errorf("alice with details off: %v", a)
	}
	if r2.count("POST", "/api/graphql")+r2.count("GET", "/users/alice") != 0 {
		t.Error("profiles or SAML identities were read although switched off")
	}
}

func TestOutsideCollaborators(t *testing.T) {
	r := newReplay(t)
	em := mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.outside_collaborator")
	eve, frank := attrs(t, em, "2001"), attrs(t, em, "2002")
	if eve["email"] != "eve@contractor.example" || eve["two_factor_enabled"] != true {
		t.Errorf("eve: %v", eve)
	}
	if frank["email"] != nil || !strings.Contains(unknown(frank, "email"), "outside collaborators have no SAML identity") {
		t.Errorf("frank: %v", frank)
	}
}

func TestRepositories(t *testing.T) {
	r := newReplay(t)
	em := mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.repository")
	if len(em.Resources) != 4 {
		t.Fatalf("%d repositories over two pages, want 4", len(em.Resources))
	}
	api, web, legacy, infra := attrs(t, em, "3001"), attrs(t, em, "3002"), attrs(t, em, "3003"), attrs(t, em, "3004")
	if api["visibility"] != "private" || api["public"] != false || api["dependabot_alerts_enabled"] != true ||
		api["secret_scanning_enabled"] != true || api["secret_scanning_push_protection_enabled"] != true || api["dependabot_security_updates_enabled"] != false {
		t.Errorf("api: %v", api)
	}
	if web["public"] != true || web["dependabot_alerts_enabled"] != false || web["advanced_security_enabled"] != nil ||
		!strings.Contains(unknown(web, "advanced_security_enabled"), "did not report") {
		t.Errorf("web: %v", web)
	}
	if legacy["archived"] != true || legacy["fork"] != true || legacy["visibility"] != "internal" || legacy["default_branch"] != "master" {
		t.Errorf("legacy: %v", legacy)
	}
	if infra["dependabot_alerts_enabled"] != nil || !strings.Contains(unknown(infra, "dependabot_alerts_enabled"), "not an administrator") ||
		infra["secret_scanning_enabled"] != nil || !strings.Contains(unknown(infra, "secret_scanning_enabled"), "only to repository administrators") {
		t.Errorf("infra: %v", infra)
	}
	if r.count("GET", "/repos/acme-corp/infra/vulnerability-alerts") != 0 {
		t.Error("asked a non-administrator whether Dependabot alerts are on: its 404 would read as off")
	}

	// Only the repositories named.
	cfg := tokenConfig(r)
	cfg["repositories"] = "acme-corp/api, WEB"
	em = mustList(t, cfg, connectortest.NewRuntime(now), "github.repository")
	if len(em.Resources) != 2 {
		t.Fatalf("%d repositories, want api and web", len(em.Resources))
	}
	cfg["repositories"] = "api, nosuch"
	if _, err := list(t, cfg, connectortest.NewRuntime(now), "github.repository"); err == nil || !strings.Contains(err.Error(), "nosuch not found") {
		t.Fatalf("a missing repository: %v", err)
	}
}

func TestBranchProtection(t *testing.T) {
	r := newReplay(t)
	em := mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.branch_protection")
	api := attrs(t, em, "3001:main")
	checks := map[string]any{
		"protected": true, "pull_request_required": true, "required_approving_review_count": float64(2),
		"dismiss_stale_reviews": true, "require_code_owner_reviews": true, "require_last_push_approval": true,
		"required_status_checks": []any{"ci/build", "security/codeql"}, "strict_status_checks": true,
		"enforce_admins": true, "allow_force_pushes": false, "allow_deletions": false, "required_signatures": true,
		"required_conversation_resolution": true, "required_linear_history": false,
	}
	got := map[string]any{}
	json.Unmarshal([]byte(js(api)), &got)
	for k, v := range checks {
		if js(got[k]) != js(v) {
			t.Errorf("api %s = %v, want %v", k, got[k], v)
		}
	}
	for field, want := range map[string]string{
		"required_approving_review_count": "ruleset 101 (Organization acme-corp)",
		"require_code_owner_reviews":      srcClassic,
		"required_status_checks":          "classic branch protection and ruleset 202 (Repository acme-corp/api)",
		"allow_force_pushes":              "blocked by classic branch protection and ruleset 101 (Organization acme-corp)",
		"enforce_admins":                  "ruleset 202 (no administrator bypass)",
	} {
		if s := source(api, field); s != want {
			t.Errorf("api sources.%s = %q, want %q", field, s, want)
		}
	}
	classic := api["classic"].(map[string]any)
	if classic["protected"] != true || js(classic["required_approving_review_count"]) != "1" || js(classic["bypass_pull_request_allowances"]) != `["user:alice"]` {
		t.Errorf("api classic: %v", classic)
	}

	// 404 on the protection endpoint: no classic protection, not an error;
	// the organization's ruleset still protects the branch.
	web := attrs(t, em, "3002:main")
	wc := web["classic"].(map[string]any)
	if wc["protected"] != false || wc["allow_force_pushes"] != true || source(web, "classic") != pathProt+": 404 Branch not protected" {
		t.Errorf("web classic: %v (%s)", wc, source(web, "classic"))
	}
	if web["protected"] != true || web["required_approving_review_count"] != 2 || web["enforce_admins"] != false || web["allow_force_pushes"] != false {
		t.Errorf("web effective: %v", web)
	}

	// A ruleset whose bypass actors GitHub hides: enforce_admins is unknown.
	legacy := attrs(t, em, "3003:master")
	if legacy["enforce_admins"] != nil || !strings.Contains(unknown(legacy, "enforce_admins"), "ruleset 303") ||
		!strings.Contains(unknown(legacy, "rulesets.bypass_actors"), "ruleset 303") || legacy["allow_deletions"] != false || legacy["allow_force_pushes"] != true {
		t.Errorf("legacy: %v", legacy)
	}

	// 403 on one repository fails that repository only.
	if err := em.Failed["acme-corp/infra"]; err == nil || !strings.Contains(err.Error(), "needs the permission repository Administration (read)") {
		t.Errorf("infra: %v", err)
	}
	if len(em.Resources) != 3 || len(em.Failed) != 1 {
		t.Errorf("%d resources, %d failed scopes", len(em.Resources), len(em.Failed))
	}
	if n := r.count("GET", "/repos/acme-corp/api/rulesets/101"); n != 1 {
		t.Errorf("the organization ruleset was read %d times, want once", n)
	}

	// A server without rulesets (Enterprise Server before 3.11) answers 404
	// to the rules of a branch: classic protection alone decides.
	r.set(route{method: "GET", path: "/repos/acme-corp/legacy/rules/branches/master", status: http.StatusNotFound, file: "not_found.json"})
	em = mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.branch_protection")
	legacy = attrs(t, em, "3003:master")
	if legacy["protected"] != false || legacy["allow_deletions"] != true || legacy["enforce_admins"] != false ||
		!strings.Contains(source(legacy, "rules"), "the server has no rulesets") || em.Failed["acme-corp/legacy"] != nil {
		t.Errorf("legacy without rulesets: %v", legacy)
	}
}

func TestPullRequests(t *testing.T) {
	r := newReplay(t)
	em := mustList(t, tokenConfig(r), connectortest.NewRuntime(now), "github.pull_request")
	var ids []string
	for _, res := range em.Resources {
		ids = append(ids, res.Name)
	}
	sort.Strings(ids)
	if js(ids) != `["acme-corp/api#39","acme-corp/api#40","acme-corp/api#42"]` {
		t.Fatalf("population %v: want the three pull requests merged in the 90 days (not #41, closed unmerged, nor #12, merged before)", ids)
	}
	if r.count("GET", "/repos/acme-corp/api/pulls") != 2 {
		t.Errorf("%d list pages read: the second page is all older than the window, so the third must not be read", r.count("GET", "/repos/acme-corp/api/pulls"))
	}
	p42 := attrs(t, em, "910042")
	if p42["author"] != "dave" || p42["merged_by"] != "alice" || p42["self_merged"] != false || js(p42["approvers"]) != `["bob","carol"]` ||
		p42["approved"] != true || p42["approved_after_last_commit"] != true || p42["merged_at"] != "2026-11-20T15:04:05Z" || p42["into_default_branch"] != true {
		t.Errorf("#42: %v", p42)
	}
	p40 := attrs(t, em, "910040")
	if p40["self_merged"] != true || p40["approved"] != false || p40["approval_count"] != 0 {
		t.Errorf("#40 (self-merged, approved only after the merge): %v", p40)
	}
	p39 := attrs(t, em, "910039")
	if p39["approved"] != false || js(p39["approvers"]) != `[]` {
		t.Errorf("#39 (approval dismissed): %v", p39)
	}

	// The bound: beyond max_pull_requests the repository is partial.
	cfg := tokenConfig(r)
	cfg["max_pull_requests"] = "1"
	em = mustList(t, cfg, connectortest.NewRuntime(now), "github.pull_request")
	if len(em.Resources) != 1 || em.Resources[0].Name != "acme-corp/api#42" {
		t.Fatalf("with a bound of 1: %v", em.Resources)
	}
	if err := em.Failed["acme-corp/api"]; err == nil || !strings.Contains(err.Error(), "more than 1 pull requests merged since 2026-08-27T12:00:00Z") {
		t.Fatalf("bound: %v", err)
	}

	// A shorter window.
	cfg = tokenConfig(r)
	cfg["lookback"] = "30d"
	em = mustList(t, cfg, connectortest.NewRuntime(now), "github.pull_request")
	if len(em.Resources) != 1 {
		t.Fatalf("30 days: %d pull requests, want #42 only", len(em.Resources))
	}
}

// Throttling through the in-memory runtime (which does not wait): the
// listing fails with GitHub's reset time or its secondary-limit message.
func TestRateLimitErrors(t *testing.T) {
	reset := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	r := newReplay(t)
	r.set(route{method: "GET", path: "/orgs/" + testOrg + "/repos", query: map[string]string{"page": "1"}, status: http.StatusForbidden, file: "rate_limited.json",
		header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}})
	_, err := list(t, tokenConfig(r), connectortest.NewRuntime(now), "github.repository")
	if err == nil || !strings.Contains(err.Error(), "rate limit for these credentials is used up until 2026-11-25T13:00:00Z") {
		t.Fatalf("primary rate limit: %v", err)
	}
	r.set(route{method: "GET", path: "/orgs/" + testOrg + "/repos", query: map[string]string{"page": "1"}, status: http.StatusForbidden, file: "secondary_rate_limited.json",
		header: map[string]string{"Retry-After": "60"}})
	_, err = list(t, tokenConfig(r), connectortest.NewRuntime(now), "github.repository")
	if err == nil || !strings.Contains(err.Error(), "secondary rate limit") {
		t.Fatalf("secondary rate limit: %v", err)
	}
}

func TestThrottle(t *testing.T) {
	resp := func(status int, hdr map[string]string, body string) *http.Response {
		h := http.Header{}
		for k, v := range hdr {
			h.Set(k, v)
		}
		return &http.Response{StatusCode: status, Header: h, Body: ioNop(body)}
	}
	reset := now.Add(10 * time.Minute)
	tests := []struct {
		name  string
		resp  *http.Response
		until time.Time
		ok    bool
	}{
		{"primary 403", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}, ""), reset, true},
		{"primary 429", resp(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}, ""), reset, true},
		{"secondary with Retry-After", resp(403, map[string]string{"Retry-After": "60", "X-RateLimit-Remaining": "4000"}, ""), now.Add(time.Minute), true},
		{"secondary without headers", resp(403, nil, string(fixture(t, "secondary_rate_limited.json"))), now.Add(time.Minute), true},
		{"a permission error", resp(403, map[string]string{"X-RateLimit-Remaining": "4000"}, string(fixture(t, "protection_forbidden.json"))), time.Time{}, false},
		{"not found", resp(404, map[string]string{"X-RateLimit-Remaining": "0"}, ""), time.Time{}, false},
	}
	for _, tt := range tests {
		until, ok := Throttle(tt.resp, now)
		if ok != tt.ok || !until.Equal(tt.until) {
			t.Errorf("%s: %v %v, want %v %v", tt.name, until, ok, tt.until, tt.ok)
		}
	}
	// The body stays readable after the peek.
	r := resp(403, nil, `{"message":"Must have admin rights to Repository."}`)
	Throttle(r, now)
	if b, _ := readAll(r); !strings.Contains(string(b), "admin rights") {
		t.Fatalf("body after the peek: %q", b)
	}
}

func TestProbe(t *testing.T) {
	probe := func(r *replay, cfg connector.Config) error {
		conn, err := Registration().Open(t.Context(), cfg, connectortest.NewRuntime(now))
		if err != nil {
			t.Fatal(err)
		}
		return conn.Probe(t.Context())
	}
	r := newReplay(t)
	if err := probe(r, tokenConfig(r)); err != nil {
		t.Fatalf("probe: %v", err)
	}

	cfg := tokenConfig(r)
	cfg["token"] = "ghp_TEST-revoked-token"
	if err := probe(r, cfg); err == nil || !strings.Contains(err.Error(), "GitHub refused the credentials (401 Bad credentials)") ||
		!strings.Contains(err.Error(), "expired, revoked or mistyped") {
		t.Errorf("bad token: %v", err)
	}

	scopes := "public_repo"
	r.scopes = &scopes
	if err := probe(r, tokenConfig(r)); err == nil || !strings.Contains(err.Error(), "lacks the scopes read:org") || strings.Contains(err.Error(), "repo (to read") {
		t.Errorf("missing read:org: %v", err)
	}
	scopes = ""
	if err := probe(r, tokenConfig(r)); err == nil || !strings.Contains(err.Error(), "read:org") || !strings.Contains(err.Error(), "repo (to read") ||
		!strings.Contains(err.Error(), "it has: none") {
		t.Errorf("no scopes: %v", err)
	}

	// A fine-grained token (no X-OAuth-Scopes) without Members: read.
	r.scopes = nil
	r.set(route{method: "GET", path: "/orgs/" + testOrg + "/members", query: map[string]string{"per_page": "1"}, status: http.StatusForbidden,
		file: "members_forbidden.json", header: map[string]string{"X-Accepted-GitHub-Permissions": "members=read"}})
	if err := probe(r, tokenConfig(r)); err == nil || !strings.Contains(err.Error(), "the fine-grained token needs the permission organization Members (read)") {
		t.Errorf("fine-grained without members: %v", err)
	}

	// SAML single sign-on not authorized for the token.
	r = newReplay(t)
	r.set(route{method: "GET", path: "/orgs/" + testOrg, status: http.StatusForbidden, file: "saml_forbidden.json"})
	if err := probe(r, tokenConfig(r)); err == nil || !strings.Contains(err.Error(), "Configure SSO") {
		t.Errorf("SAML: %v", err)
	}
	// An organization that does not exist or is not visible.
	r.set(route{method: "GET", path: "/orgs/" + testOrg, status: http.StatusNotFound, file: "not_found.json"})
	if err := probe(r, tokenConfig(r)); err == nil || !strings.Contains(err.Error(), "404 Not Found: it does not exist, or the credentials cannot see it") {
		t.Errorf("no org: %v", err)
	}
}

// TestGHESBaseURL: a GitHub Enterprise Server host given without /api/v3/
// is reached under /api/v3/, and its GraphQL under /api/graphql.
func TestGHESBaseURL(t *testing.T) {
	r := newReplay(t)
	cfg := tokenConfig(r)
	cfg["api_url"] = r.srv.URL
	em := mustList(t, cfg, connectortest.NewRuntime(now), "github.member")
	if len(em.Resources) != 4 || r.count("POST", "/api/graphql") != 1 || r.count("GET", "/orgs/acme-corp/members") == 0 {
		t.Fatalf("%d members; hits %v", len(em.Resources), r.hits)
	}
	rt := connectortest.NewRuntime(now)
	mustList(t, cfg, rt, "github.organization")
	for _, c := range rt.Calls() {
		if !strings.HasPrefix(c.Observation.Path, "/api/v3/") {
			t.Errorf("recorded call outside /api/v3/: %s %s", c.Observation.Method, c.Observation.Path)
		}
	}
}

// Every resource links to the responses it came from: a member to the
// member list pages, the 2FA filter, the SAML identities and its profile.
func TestProvenance(t *testing.T) {
	r := newReplay(t)
	rt := connectortest.NewRuntime(now)
	em := mustList(t, tokenConfig(r), rt, "github.member")
	paths := map[int64]string{}
	for _, c := range rt.Calls() {
		paths[c.Ref.ID] = c.Observation.Method + " " + c.Observation.Path
	}
	var got []string
	for _, ref := range em.ByID(t, "1003").Calls {
		got = append(got, paths[ref.ID])
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"GET /api/v3/orgs/acme-corp/members", "POST /api/graphql", "GET /api/v3/users/carol"} {
		if !strings.Contains(joined, want) {
			t.Errorf("carol's calls lack %s:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "/users/bob") {
		t.Errorf("carol's calls include bob's profile:\n%s", joined)
	}
}
