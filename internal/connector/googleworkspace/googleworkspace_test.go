package googleworkspace

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// Regenerate the golden files after an intended change with
//
//	go test ./internal/connector/googleworkspace -run TestGolden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const (
	usersPath       = "/admin/directory/v1/users"
	rolesPath       = "/admin/directory/v1/customer/my_customer/roles"
	assignmentsPath = "/admin/directory/v1/customer/my_customer/roleassignments"
)

func TestRegistrationIsValid(t *testing.T) {
	if err := Registration().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := connector.NewRegistry(Registration()); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, r *replay, typ string) (*connectortest.Emitter, *connectortest.Runtime, error) {
	t.Helper()
	rt := connectortest.NewRuntime(now)
	em, err := connectortest.List(t, Registration(), r.config(), rt, typ)
	return em, rt, err
}

// TestGolden compares every resource type's output over the replay with
// testdata/golden/<type>.json, and checks the attribute convention.
func TestGolden(t *testing.T) {
	r := newReplay(t)
	for _, typ := range Registration().Resources {
		em, _, err := list(t, r, typ.Name)
		if err != nil {
			t.Fatalf("list %s: %v", typ.Name, err)
		}
		if len(em.Resources) == 0 {
			t.Fatalf("%s: nothing emitted", typ.Name)
		}
		type golden struct {
			ExternalID string         `json:"external_id"`
			Name       string         `json:"name"`
			Attributes map[string]any `json:"attributes"`
		}
		var got []golden
		for _, res := range em.Resources {
			if err := connector.CheckConvention(typ, res.Attributes); err != nil {
				t.Errorf("%s %s: %v", typ.Name, res.ExternalID, err)
			}
			if len(res.Calls) == 0 {
				t.Errorf("%s %s is linked to no observation", typ.Name, res.ExternalID)
			}
			got = append(got, golden{res.ExternalID, res.Name, res.Attributes})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ExternalID < got[j].ExternalID })
		buf, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, '\n')
		connectortest.Golden(t, typ.Name, buf, *update)
	}
}

// Users come from two pages; each resource stands on exactly the page it
// came from; the requests ask for 500 a page and only the fields used.
func TestUsersPaginate(t *testing.T) {
	r := newReplay(t)
	em, rt, err := list(t, r, "google_workspace.user")
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Resources) != 5 {
		t.Fatalf("%d users, want 5 over two pages", len(em.Resources))
	}
	reqs := r.apiRequests(usersPath)
	if len(reqs) != 2 {
		t.Fatalf("%d users.list requests, want 2", len(reqs))
	}
	for i, q := range reqs {
		if q.Get("maxResults") != "500" || q.Get("customer") != "my_customer" || q.Get("fields") != userFields {
			t.Errorf("request %d: %v", i, q)
		}
	}
	if reqs[0].Get("pageToken") != "" || reqs[1].Get("pageToken") != "Q0FFU0FCMTE4NzY1NDMyMTAxMjM0NTY3ODkwGAEggJ_HvgU" {
		t.Errorf("page tokens: %q, %q", reqs[0].Get("pageToken"), reqs[1].Get("pageToken"))
	}
	calls := map[int64]connectortest.Call{}
	for _, c := range rt.Calls() {
		calls[c.Ref.ID] = c
	}
	for _, res := range em.Resources {
		if len(res.Calls) != 1 {
			t.Errorf("%s: %d calls, want exactly its page", res.ExternalID, len(res.Calls))
			continue
		}
		c := calls[res.Calls[0].ID]
		if c.Observation.Path != usersPath || !bytes.Contains(c.Body, []byte(`"id": "`+res.ExternalID+`"`)) {
			t.Errorf("%s links to %s %s, which does not hold it", res.ExternalID, c.Observation.Method, c.Observation.Path)
		}
	}
	// Normalized email, never-signed-in as explicit values.
	ada := em.ByID(t, "104392837465019283746").Attributes
	if ada["email"] != "ada.okafor@example.com" || ada["last_login_at"] != "2026-11-24T08:41:17Z" || ada["has_signed_in"] != true {
		t.Errorf("ada: %v", ada)
	}
	wei := em.ByID(t, "113245678901234567890").Attributes
	unknown, _ := wei[connector.AttrUnknown].(map[string]any)
	if wei["last_login_at"] != nil || wei["has_signed_in"] != false || !strings.Contains(unknown["last_login_at"].(string), "never signed in") {
		t.Errorf("a user who never signed in: %v", wei)
	}
	if wei["active"] != false || wei["suspension_reason"] != "ADMIN" {
		t.Errorf("a suspended user: %v", wei)
	}
}

// Role assignments join roles.list for the name and super-admin flag and
// users.get for the assignee's email; a group and an unknown ID are said so.
func TestRoleAssignments(t *testing.T) {
	r := newReplay(t)
	em, rt, err := list(t, r, "google_workspace.role_assignment")
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Resources) != 5 {
		t.Fatalf("%d assignments, want 5", len(em.Resources))
	}
	super := em.ByID(t, "9170516996784150").Attributes
	if super["role_name"] != "_SEED_ADMIN_ROLE" || super["is_super_admin_role"] != true || super["email"] != "ada.okafor@example.com" {
		t.Errorf("super admin assignment: %v", super)
	}
	scoped := em.ByID(t, "9170516996784151").Attributes
	if scoped["scope_type"] != "ORG_UNIT" || scoped["org_unit_id"] != "03ph8a2z1enx4lx" || scoped["expires_at"] != "2026-12-31T23:59:59Z" ||
		scoped["email"] != "bruno.silva@example.com" || scoped["is_super_admin_role"] != false {
		t.Errorf("scoped assignment: %v", scoped)
	}
	group := em.ByID(t, "9170516996784152").Attributes
	if group["email"] != nil || group["assignee_type"] != "group" || !strings.Contains(unknownOf(group, "email"), "group") {
		t.Errorf("group assignment: %v", group)
	}
	ghost := em.ByID(t, "9170516996784154").Attributes
	if ghost["email"] != nil || !strings.Contains(unknownOf(ghost, "email"), "404") {
		t.Errorf("assignment to no user: %v", ghost)
	}
	// Ada holds two roles: her user is read once.
	if n := r.count(usersPath + "/104392837465019283746"); n != 1 {
		t.Errorf("users.get for one assignee %d times, want once", n)
	}
	for _, q := range r.apiRequests(assignmentsPath) {
		if q.Get("maxResults") != "200" || q.Get("fields") != assignmentFields {
			t.Errorf("roleAssignments.list request: %v", q)
		}
	}
	for _, q := range r.apiRequests(rolesPath) {
		if q.Get("maxResults") != "100" || q.Get("fields") != roleFields {
			t.Errorf("roles.list request: %v", q)
		}
	}
	// Each assignment stands on its page, the roles and its assignee's user.
	paths := map[int64]string{}
	for _, c := range rt.Calls() {
		paths[c.Ref.ID] = c.Observation.Path
	}
	var got []string
	for _, ref := range em.ByID(t, "9170516996784151").Calls {
		got = append(got, paths[ref.ID])
	}
	sort.Strings(got)
	want := []string{rolesPath, assignmentsPath, usersPath + "/108876543210987654321"}
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("calls of an assignment: %v, want %v", got, want)
	}
}

func unknownOf(attrs map[string]any, field string) string {
	u, _ := attrs[connector.AttrUnknown].(map[string]any)
	s, _ := u[field].(string)
	return s
}

// An account without role assignments is an empty, successful listing.
func TestEmptyRoleAssignments(t *testing.T) {
	r := newReplay(t)
	r.files[assignmentsPath] = "roleassignments_empty.json"
	em, _, err := list(t, r, "google_workspace.role_assignment")
	if err != nil || len(em.Resources) != 0 {
		t.Fatalf("%d resources, %v: want an empty listing", len(em.Resources), err)
	}
	if n := r.count(usersPath + "/104392837465019283746"); n != 0 {
		t.Errorf("users.get called %d times without assignments", n)
	}
}

// The token request is a JWT signed by the key, for the subject, with the
// two read-only scopes, addressed to the token URL.
func TestTokenRequest(t *testing.T) {
	r := newReplay(t)
	if _, _, err := list(t, r, "google_workspace.user"); err != nil {
		t.Fatal(err)
	}
	if len(r.claims) != 1 {
		t.Fatalf("%d token requests, want one for the whole listing", len(r.claims))
	}
	c := r.claims[0]
	if c["iss"] != testClientEmail || c["sub"] != testSubject || c["aud"] != r.srv.URL+"/token" ||
		c["scope"] != "https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly" {
		t.Fatalf("claims: %v", c)
	}
}

// The token endpoint's answer is recorded (provenance of the exchange) but
// without the access token; no recorded body or path holds the assertion.
func TestTokenIsNotRecorded(t *testing.T) {
	r := newReplay(t)
	_, rt, err := list(t, r, "google_workspace.user")
	if err != nil {
		t.Fatal(err)
	}
	sawToken := false
	for _, c := range rt.Calls() {
		text := c.Observation.Path + string(c.Body)
		if strings.Contains(text, r.token) || strings.Contains(text, "ya29.") {
			t.Errorf("%s %s records the access token", c.Observation.Method, c.Observation.Path)
		}
		for _, a := range r.assertions {
			if strings.Contains(text, a) {
				t.Errorf("%s %s records the assertion", c.Observation.Method, c.Observation.Path)
			}
		}
		if c.Observation.Method == http.MethodPost && c.Observation.Path == "/token" {
			sawToken = true
			if !strings.Contains(string(c.Body), `"access_token": "[redacted]"`) || !strings.Contains(string(c.Body), `"expires_in": 3599`) {
				t.Errorf("the token answer is not recorded redacted: %s", c.Body)
			}
		}
	}
	if !sawToken {
		t.Fatal("the token exchange was not recorded")
	}
}

func probe(t *testing.T, r *replay, cfg connector.Config) error {
	t.Helper()
	rt := connectortest.NewRuntime(now)
	conn, err := Registration().Open(context.Background(), cfg, rt)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer conn.Close()
	return conn.Probe(context.Background())
}

// The probe obtains a token and lists one user; each documented refusal
// says which credential, delegation or permission to fix.
func TestProbe(t *testing.T) {
	cases := []struct {
		name      string
		tokenFile string
		tokenCode int
		users     http.HandlerFunc
		want      []string // in the message
	}{
		{name: "ok"},
		{name: "delegation not granted", tokenFile: "token_unauthorized_client.json", tokenCode: 401,
			want: []string{"domain-wide delegation is not granted", testClientID, scopes[0], scopes[1], "Manage domain-wide delegation"}},
		{name: "subject is no user", tokenFile: "token_invalid_grant_subject.json", tokenCode: 400,
			want: []string{"subject " + testSubject + " is not a user", "Invalid email or User ID"}},
		{name: "key revoked", tokenFile: "token_invalid_grant_signature.json", tokenCode: 400,
			want: []string{"service account key is not valid", testClientEmail, "new JSON key"}},
		{name: "subject is not an administrator", users: serveFile(t, 403, "error_not_authorized.json"),
			want: []string{"Not Authorized to access this resource/api", "administrator " + testSubject, "read users and administrator roles", "Admin SDK API is enabled"}},
		{name: "Admin SDK API disabled", users: serveFile(t, 403, "error_api_disabled.json"),
			want: []string{"Admin SDK API is not enabled", testProject, "admin.googleapis.com"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t)
			if tc.tokenFile != "" {
				r.tokenFile, r.tokenCode = tc.tokenFile, tc.tokenCode
			}
			if tc.users != nil {
				r.set(usersPath, tc.users)
			}
			err := probe(t, r, r.config())
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if q := r.apiRequests(usersPath); len(q) != 1 || q[0].Get("maxResults") != "1" {
					t.Fatalf("probe requests: %v", q)
				}
				return
			}
			if err == nil {
				t.Fatal("the probe passed")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
			key, _ := testKey(t)
			if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), key) {
				t.Error("the message carries the key")
			}
		})
	}
}

// Listing errors say the same, and fail the listing.
func TestListingErrors(t *testing.T) {
	r := newReplay(t)
	r.set(rolesPath, serveFile(t, 403, "error_not_authorized.json"))
	_, _, err := list(t, r, "google_workspace.role_assignment")
	if err == nil || !strings.Contains(err.Error(), "list administrator roles") || !strings.Contains(err.Error(), "Not Authorized") {
		t.Fatalf("roles refused: %v", err)
	}
	r.set(rolesPath, nil)
	r.set(usersPath+"/104392837465019283746", serveFile(t, 403, "error_not_authorized.json"))
	if _, _, err := list(t, r, "google_workspace.role_assignment"); err == nil || !strings.Contains(err.Error(), "read the user holding a role") {
		t.Fatalf("assignee refused: %v", err)
	}
	r.set(usersPath, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(readTestdata(t, "users_page1.json")[:200])
	})
	if _, _, err := list(t, r, "google_workspace.user"); err == nil {
		t.Fatal("a truncated answer was accepted")
	}
	r.set(usersPath, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bytes.Replace(readTestdata(t, "users_page2.json"), []byte(`"users"`), []byte(`"nextPageToken": "again", "users"`), 1))
	})
	if _, _, err := list(t, r, "google_workspace.user"); err == nil || !strings.Contains(err.Error(), "loops") {
		t.Fatalf("a pagination loop: %v", err)
	}
}

// Throttle recognizes Google's 403 throttling reasons, leaves other 403s
// alone, and puts the body back for the caller.
func TestThrottle(t *testing.T) {
	for _, tc := range []struct {
		file   string
		status int
		want   bool
	}{
		{"error_user_rate_limit.json", 403, true},
		{"error_not_authorized.json", 403, false},
		{"error_api_disabled.json", 403, false},
		{"error_rate_limit.json", 429, false}, // the client retries 429 by itself
	} {
		body := readTestdata(t, tc.file)
		resp := &http.Response{StatusCode: tc.status, Body: io.NopCloser(bytes.NewReader(body)), Header: http.Header{}}
		until, got := Throttle(resp, now)
		if got != tc.want || !until.IsZero() {
			t.Errorf("%s: throttled %v until %v, want %v with no reset time", tc.file, got, until, tc.want)
		}
		if rest, _ := io.ReadAll(resp.Body); !bytes.Equal(rest, body) {
			t.Errorf("%s: the body was not put back", tc.file)
		}
	}
}

// A bad configuration is refused when it is entered, saying which field.
func TestOpenRefusesBadConfig(t *testing.T) {
	r := newReplay(t)
	key, _ := testKey(t)
	var kf map[string]any
	json.Unmarshal([]byte(key), &kf)
	with := func(k string, v any) string {
		m := map[string]any{}
		for a, b := range kf {
			m[a] = b
		}
		m[k] = v
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		field, value, want string
	}{
		{"service_account_key", "", "paste the service account's JSON key"},
		{"service_account_key", "not json", "not JSON"},
		{"service_account_key", with("type", "authorized_user"), "not service_account"},
		{"service_account_key", with("private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "RSA private key"},
		{"service_account_key", with("private_key", "garbage"), "not a PEM block"},
		{"subject", "", "subject:"},
		{"subject", "admin", "subject:"},
		{"customer_id", "C01 abc", "customer_id:"},
		{"api_base_url", "ftp://example.com", "api_base_url:"},
		{"token_url", "https://user:pw@oauth2.googleapis.com/token", "token_url:"},
	}
	for _, tc := range cases {
		cfg := r.config()
		cfg[tc.field] = tc.value
		_, err := Registration().Open(context.Background(), cfg, connectortest.NewRuntime(now))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%.20q: %v, want %q", tc.field, tc.value, err, tc.want)
		}
	}
	// Defaults: Google's endpoints and the administrator's own account.
	cfg := connector.Config{"service_account_key": key, "subject": testSubject}
	c, err := Registration().Open(context.Background(), cfg, connectortest.NewRuntime(now))
	if err != nil {
		t.Fatal(err)
	}
	gc := c.(*conn)
	if gc.customer != "my_customer" || gc.apiHost != "admin.googleapis.com" || gc.tokenURL != "oauth2.googleapis.com/token" {
		t.Fatalf("defaults: %+v", gc)
	}
}
