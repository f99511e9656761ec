package okta

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// Regenerate the golden files after an intended change with
//
//	go test ./internal/connector/okta -run TestGolden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func tokenConfig(r *replay) connector.Config {
	return connector.Config{"org_url": r.srv.URL, "api_token": testAPIToken}
}

// run is one collection over the connectortest runtime: one connection,
// every resource type listed in turn, as a real run does.
type run struct {
	rt       *connectortest.Runtime
	emitted  map[string]*connectortest.Emitter
	errs     map[string]error
	probeErr error
}

func collectAll(t *testing.T, cfg connector.Config, tweak func(c *client)) *run {
	t.Helper()
	reg := Registration()
	res := &run{rt: connectortest.NewRuntime(now), emitted: map[string]*connectortest.Emitter{}, errs: map[string]error{}}
	res.rt.Redact = reg.HTTP.Redact // as the real runtime applies it
	conn, err := reg.Open(context.Background(), cfg, res.rt)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer conn.Close()
	if tweak != nil {
		tweak(conn.(*client))
	}
	if res.probeErr = conn.Probe(context.Background()); res.probeErr != nil {
		return res
	}
	for _, typ := range reg.Resources {
		em := &connectortest.Emitter{}
		res.errs[typ.Name] = typ.List(context.Background(), conn, em)
		res.emitted[typ.Name] = em
		checkConvention(t, typ, em)
	}
	return res
}

// checkConvention holds every emitted resource to its declaration: every
// documented field present and typed as documented, nothing undocumented,
// null only with a reason.
func checkConvention(t *testing.T, rt connector.ResourceType, em *connectortest.Emitter) {
	t.Helper()
	decl := awstypes.Type{Name: rt.Name, Description: rt.Description, Fields: rt.Fields}
	for _, r := range em.Resources {
		if err := decl.Check(r.Attributes); err != nil {
			t.Errorf("%s: %v", r.ExternalID, err)
		}
		if err := connector.CheckConvention(rt, r.Attributes); err != nil {
			t.Errorf("%s: %v", r.ExternalID, err)
		}
		if len(r.Calls) == 0 {
			t.Errorf("%s %s: no calls: every resource must name the responses it came from", rt.Name, r.ExternalID)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func unknownOf(attrs map[string]any, field string) string {
	u, _ := attrs["unknown"].(map[string]any)
	s, _ := u[field].(string)
	return s
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
	rsaPEM, _ := testKeys(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(weak)}))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384DER, _ := x509.MarshalECPrivateKey(p384)
	p384PEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p384DER}))
	base := func(extra map[string]string) connector.Config {
		c := connector.Config{"org_url": "https://example.okta.com", "api_token": "tok"}
		for k, v := range extra {
			if v == "-" {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	tests := []struct {
		name string
		cfg  connector.Config
		want string // "" = accepted
	}{
		{"api token", base(nil), ""},
		{"loopback http for tests", base(map[string]string{"org_url": "http://127.0.0.1:8080"}), ""},
		{"service app", base(map[string]string{"api_token": "-", "client_id": testClientID, "private_key": rsaPEM}), ""},
		{"plain http", base(map[string]string{"org_url": "http://example.okta.com"}), "must be https"},
		{"admin console URL", base(map[string]string{"org_url": "https://example-admin.okta.com"}), "without -admin"},
		{"a path", base(map[string]string{"org_url": "https://example.okta.com/app/UserHome"}), "only the scheme and host"},
		{"not a URL", base(map[string]string{"org_url": "example"}), "org_url"},
		{"no credentials", base(map[string]string{"api_token": "-"}), "give an api_token, or a service app"},
		{"both", base(map[string]string{"client_id": testClientID, "private_key": rsaPEM}), "not both"},
		{"key without client", base(map[string]string{"api_token": "-", "private_key": rsaPEM}), "client_id"},
		{"client without key", base(map[string]string{"api_token": "-", "client_id": testClientID}), "private_key"},
		{"not PEM", base(map[string]string{"api_token": "-", "client_id": testClientID, "private_key": "MIIEvQ"}), "not a PEM block"},
		{"short RSA key", base(map[string]string{"api_token": "-", "client_id": testClientID, "private_key": weakPEM}), "1024 bits"},
		{"P-384 key", base(map[string]string{"api_token": "-", "client_id": testClientID, "private_key": p384PEM}), "P-256"},
		{"bad bound", base(map[string]string{"max_user_lookups": "-1"}), "max_user_lookups"},
		{"bad concurrency", base(map[string]string{"lookup_concurrency": "40"}), "lookup_concurrency"},
		{"bad admin source", base(map[string]string{"admin_roles_from": "groups"}), "admin_roles_from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Registration().Open(context.Background(), tt.cfg, connectortest.NewRuntime(now))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestGolden compares every resource type's output over the replay with
// testdata/golden/<type>.json.
func TestGolden(t *testing.T) {
	r := newReplay(t, now)
	res := collectAll(t, tokenConfig(r), nil)
	if res.probeErr != nil {
		t.Fatal(res.probeErr)
	}
	for _, typ := range Registration().Resources {
		name := typ.Name
		if err := res.errs[name]; err != nil {
			t.Errorf("list %s: %v", name, err)
		}
		em := res.emitted[name]
		if len(em.Failed) > 0 {
			t.Errorf("list %s: failed scopes %v", name, em.Failed)
		}
		if len(em.Resources) == 0 {
			t.Errorf("no %s emitted from the replay", name)
		}
		type golden struct {
			ExternalID string         `json:"external_id"`
			Name       string         `json:"name"`
			Attributes map[string]any `json:"attributes"`
		}
		var got []golden
		for _, r := range em.Resources {
			got = append(got, golden{r.ExternalID, r.Name, r.Attributes})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ExternalID < got[j].ExternalID })
		buf, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, '\n')
		connectortest.Golden(t, name, buf, *update)
	}
}

// TestUsers checks the facts a test will ask of users: both pages and the
// deactivated users are listed, e-mail addresses are lower-case, factors
// and admin roles are read with one call per user who needs it, and each
// resource names exactly the answers it came from.
func TestUsers(t *testing.T) {
	r := newReplay(t, now)
	res := collectAll(t, tokenConfig(r), nil)
	em := res.emitted["okta.user"]
	if len(em.Resources) != 5 {
		t.Fatalf("%d users, want 5 (two pages and the deactivated one)", len(em.Resources))
	}
	a := em.ByID(t, ann).Attributes
	if a["email"] != "ann.example@example.com" || a["login"] != "ann.example@example.com" || a["name"] != "Ann Example" ||
		a["last_login"] != "2026-11-24T08:14:03Z" || a["enabled"] != true || a["type"] != "oty2di92xFgQTiKEJ1d6" {
		t.Errorf("ann: %v", a)
	}
	if a["mfa_enrolled"] != true || a["phishing_resistant_enrolled"] != true ||
		jsonOf(a["factor_types"]) != `["push","sms","webauthn"]` || len(a["factors"].([]any)) != 4 {
		t.Errorf("ann's factors (the pending TOTP counts for nothing): %v %v %v", a["mfa_enrolled"], a["factor_types"], a["factors"])
	}
	if a["admin"] != true || jsonOf(a["admin_roles"]) != `["CUSTOM","SUPER_ADMIN"]` {
		t.Errorf("ann's roles: %v %v", a["admin"], a["admin_roles"])
	}
	b := em.ByID(t, bob).Attributes
	if b["last_login"] != "" || b["name"] != "Bob the Builder" || b["mfa_enrolled"] != false ||
		jsonOf(b["factors"]) != `[]` || b["admin"] != false || jsonOf(b["admin_roles"]) != `[]` {
		t.Errorf("bob (never signed in, no factors, no role): %v", b)
	}
	c := em.ByID(t, cy).Attributes
	if c["status"] != "LOCKED_OUT" || c["enabled"] != true || c["credential_provider"] != "ACTIVE_DIRECTORY" ||
		jsonOf(c["factor_types"]) != `["question"]` || c["mfa_enrolled"] != false || jsonOf(c["admin_roles"]) != `["READ_ONLY_ADMIN"]` {
		t.Errorf("cy (a security question is not MFA; an admin through a group): %v", c)
	}
	d := em.ByID(t, dee).Attributes
	if d["status"] != "STAGED" || d["enabled"] != false || d["email"] != "dee.newhire@example.com" || d["activated"] != "" {
		t.Errorf("dee: %v", d)
	}
	e := em.ByID(t, eve).Attributes
	if e["deprovisioned"] != true || e["enabled"] != false || e["factors"] != nil || e["mfa_enrolled"] != nil ||
		!strings.Contains(unknownOf(e, "mfa_enrolled"), "deactivated") || e["admin"] != false {
		t.Errorf("eve (deactivated: factors not read): %v", e)
	}

	// One factor call per user who is not deactivated; roles only for the
	// users Okta lists as holding one; the assignees in two pages.
	for key, want := range map[string]int{
		"GET /api/v1/users/" + eve + "/factors": 0, "GET /api/v1/users/" + ann + "/factors": 1,
		"GET /api/v1/users/" + ann + "/roles": 1, "GET /api/v1/users/" + cy + "/roles": 1, "GET /api/v1/users/" + bob + "/roles": 0,
		"GET /api/v1/iam/assignees/users": 2, "GET /api/v1/users": 4, // probe, two pages, the deactivated
	} {
		if got := r.count(key); got != want {
			t.Errorf("%s: %d calls, want %d", key, got, want)
		}
	}

	// Provenance: ann stands on her page, her factors and her roles (and the
	// assignee pages); cy on the second page.
	paths := func(refs []connector.CallRef) []string {
		var out []string
		for _, ref := range refs {
			for _, call := range res.rt.Calls() {
				if call.Ref == ref {
					out = append(out, call.Observation.Path)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	if got := strings.Join(paths(em.ByID(t, ann).Calls), " "); got != "/api/v1/iam/assignees/users /api/v1/iam/assignees/users /api/v1/users /api/v1/users/"+ann+"/factors /api/v1/users/"+ann+"/roles" {
		t.Errorf("ann's calls: %s", got)
	}
	// The stored factor answer keeps no activation secret.
	for _, call := range res.rt.Calls() {
		if strings.HasSuffix(call.Observation.Path, "/factors") && bytes.Contains(call.Body, []byte("sharedSecret")) {
			t.Errorf("%s stored with the TOTP activation secret", call.Observation.Path)
		}
	}
}

func TestEveryUserMode(t *testing.T) {
	r := newReplay(t, now)
	cfg := tokenConfig(r)
	cfg["admin_roles_from"] = adminFromEveryUser
	res := collectAll(t, cfg, nil)
	if r.count("GET /api/v1/iam/assignees/users") != 0 {
		t.Error("every_user mode read the assignees")
	}
	for _, u := range replayUsers {
		if r.count("GET /api/v1/users/"+u+"/roles") != 1 {
			t.Errorf("the roles of %s were not read once", u)
		}
	}
	users := res.emitted["okta.user"]
	if a := users.ByID(t, ann).Attributes; jsonOf(a["admin_roles"]) != `["CUSTOM","SUPER_ADMIN"]` {
		t.Errorf("ann: %v", a["admin_roles"])
	}
	if e := users.ByID(t, eve).Attributes; e["admin"] != nil || !strings.Contains(unknownOf(e, "admin"), "deactivated") {
		t.Errorf("eve: %v", e)
	}
	if n := len(res.emitted["okta.admin_role"].Resources); n != 3 || res.errs["okta.admin_role"] != nil {
		t.Errorf("%d admin roles (%v), want 3", n, res.errs["okta.admin_role"])
	}
}

func TestAdminRoles(t *testing.T) {
	r := newReplay(t, now)
	res := collectAll(t, tokenConfig(r), nil)
	em := res.emitted["okta.admin_role"]
	if len(em.Resources) != 3 {
		t.Fatalf("%d role assignments, want 3", len(em.Resources))
	}
	super := em.ByID(t, ann+"/ra1b8anIk7rx7em7L0g4").Attributes
	if super["super_admin"] != true || super["assignment_type"] != "USER" || super["email"] != "ann.example@example.com" ||
		super["user_status"] != "ACTIVE" {
		t.Errorf("super admin: %v", super)
	}
	custom := em.ByID(t, ann+"/irb1q92TFAHzySt3x0g4").Attributes
	if custom["custom"] != true || custom["role_id"] != "cr0Yq6IJxGIr0ouum0g3" || custom["resource_set"] != "iamoJDFKaJxGIr0oamd9g" {
		t.Errorf("custom role: %v", custom)
	}
	group := em.ByID(t, cy+"/gra25fapn1prGTBKV0g4").Attributes
	if group["assignment_type"] != "GROUP" || group["group_id"] != "00g1ousb3XCr9Dkr20g4" || group["role_type"] != "READ_ONLY_ADMIN" {
		t.Errorf("group role: %v", group)
	}
}

// TestLookupBound: beyond max_user_lookups users keep unknown factors and
// the listing says so (partial), and an incomplete role reading fails the
// admin role listing rather than marking unread assignments removed.
func TestLookupBound(t *testing.T) {
	r := newReplay(t, now)
	cfg := tokenConfig(r)
	cfg["max_user_lookups"] = "2"
	cfg["admin_roles_from"] = adminFromEveryUser
	res := collectAll(t, cfg, nil)
	users := res.emitted["okta.user"]
	if err := users.Failed["factors"]; err == nil || !strings.Contains(err.Error(), "raise max_user_lookups") {
		t.Errorf("factors scope: %v", users.Failed)
	}
	if n := r.count("GET /api/v1/users/" + cy + "/factors"); n != 0 {
		t.Errorf("cy's factors were read beyond the bound")
	}
	if c := users.ByID(t, cy).Attributes; c["mfa_enrolled"] != nil || !strings.Contains(unknownOf(c, "mfa_enrolled"), "max_user_lookups") {
		t.Errorf("cy: %v", c)
	}
	if a := users.ByID(t, ann).Attributes; a["mfa_enrolled"] != true {
		t.Errorf("ann, within the bound: %v", a)
	}
	if err := res.errs["okta.admin_role"]; err == nil || !strings.Contains(err.Error(), "left 2 unread") {
		t.Errorf("admin roles: %v", err)
	}
}

// TestFactorsForbidden: the first 403 stops the per-user factor calls (the
// permission is missing for all of them), the users are still listed with
// the reason, and the listing is partial with Okta's error and the fix.
func TestFactorsForbidden(t *testing.T) {
	r := newReplay(t, now)
	for _, u := range replayUsers {
		r.set("GET /api/v1/users/"+u+"/factors", reply{status: http.StatusForbidden, file: "error-403-E0000006.json"})
	}
	cfg := tokenConfig(r)
	cfg["lookup_concurrency"] = "1"
	res := collectAll(t, cfg, nil)
	users := res.emitted["okta.user"]
	if res.errs["okta.user"] != nil || len(users.Resources) != 5 {
		t.Fatalf("users: %v, %d", res.errs["okta.user"], len(users.Resources))
	}
	why := fmt.Sprint(users.Failed["factors"])
	for _, want := range []string{"403", "E0000006", "You do not have permission", "Read-Only Administrator"} {
		if !strings.Contains(why, want) {
			t.Errorf("factors scope %q lacks %q", why, want)
		}
	}
	calls := 0
	for _, u := range replayUsers {
		calls += r.count("GET /api/v1/users/" + u + "/factors")
	}
	if calls != 1 {
		t.Errorf("%d factor calls after the first refusal, want 1", calls)
	}
	if b := users.ByID(t, bob).Attributes; b["mfa_enrolled"] != nil || !strings.Contains(unknownOf(b, "mfa_enrolled"), "E0000006") {
		t.Errorf("bob: %v", b)
	}
}

var (
	keysOnce      sync.Once
	keyRSA        *rsa.PrivateKey
	keyEC         *ecdsa.PrivateKey
	pemRSA, pemEC string
)

// testKeys returns an RSA and an EC P-256 private key as PEM (PKCS #8 and
// SEC 1), made once per test binary.
func testKeys(t testing.TB) (rsaPEM, ecPEM string) {
	t.Helper()
	keysOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		keyRSA = k
		pemRSA = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		der, _ = x509.MarshalECPrivateKey(e)
		keyEC = e
		pemEC = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	})
	return pemRSA, pemEC
}

func appConfig(r *replay, keyPEM string) connector.Config {
	return connector.Config{"org_url": r.srv.URL, "client_id": testClientID, "private_key": keyPEM, "key_id": "sp5k74wTLrCsdL8vC5d7"}
}

// TestServiceApp: the client credentials exchange with a private_key_jwt
// assertion signed RS256 or ES256 (the replay checks signature and
// claims), one token for the whole run, used as a bearer token, and
// recorded without the token.
func TestServiceApp(t *testing.T) {
	rsaPEM, ecPEM := testKeys(t)
	for _, tc := range []struct {
		name, pem string
		key       any
	}{{"RS256", rsaPEM, &keyRSA.PublicKey}, {"ES256", ecPEM, &keyEC.PublicKey}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t, now)
			r.appKey = tc.key
			res := collectAll(t, appConfig(r, tc.pem), nil)
			if res.probeErr != nil {
				t.Fatal(res.probeErr)
			}
			if n := len(res.emitted["okta.user"].Resources); n != 5 || r.tokens != 1 {
				t.Fatalf("%d users, %d token requests; want 5 users with one token", n, r.tokens)
			}
			access := testAccessToken(t)
			recorded := 0
			for _, c := range res.rt.Calls() {
				if bytes.Contains(c.Body, []byte(access)) {
					t.Errorf("the access token is in the recorded answer of %s", c.Observation.Path)
				}
				if c.Observation.Path == "/oauth2/v1/token" {
					recorded++
					if !bytes.Contains(c.Body, []byte(`"access_token":"[redacted]"`)) || !bytes.Contains(c.Body, []byte("okta.roles.read")) {
						t.Errorf("token answer stored as %s", c.Body)
					}
				}
			}
			if recorded != 1 {
				t.Errorf("the token request was recorded %d times", recorded)
			}
		})
	}
}

// TestProbeExplainsRefusals: each refusal names the credential or the
// permission to fix.
func TestProbeExplainsRefusals(t *testing.T) {
	rsaPEM, _ := testKeys(t)
	forbidden := reply{status: http.StatusForbidden, file: "error-403-E0000006.json"}
	scope := reply{status: http.StatusForbidden, file: "error-403-E0000006.json", header: map[string]string{
		"WWW-Authenticate": `Bearer authorization_uri="http://example.okta.com/oauth2/v1/authorize", realm="http://example.okta.com", ` +
			`scope="okta.users.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users"`}}
	tests := []struct {
		name       string
		app        bool
		wrongToken bool
		setup      func(r *replay)
		want       []string
	}{
		{name: "wrong API token", wrongToken: true, setup: func(r *replay) {},
			want: []string{"401", "E0000011", "Invalid token provided", "Security → API → Tokens"}},
		{name: "token of an admin without the role", setup: func(r *replay) { r.set("GET /api/v1/users?limit=1", forbidden) },
			want: []string{"403", "E0000006", "Read-Only Administrator", "admin who created it"}},
		{name: "service app without admin role", app: true, setup: func(r *replay) { r.set("GET /api/v1/users?limit=1", forbidden) },
			want: []string{"E0000006", "assign it the Read-Only Administrator role"}},
		{name: "service app missing a scope", app: true, setup: func(r *replay) { r.set("GET /api/v1/users?limit=1", scope) },
			want: []string{"lacks the scope okta.users.read", "Okta API Scopes"}},
		{name: "service app key not registered", app: true, setup: func(r *replay) { r.appKey = nil },
			want: []string{"invalid_client", "client_assertion signature is invalid", "Public key / Private key"}},
		{name: "DPoP-bound service app", app: true, setup: func(r *replay) {
			r.tokenFile, r.tokenStatus = "token-invalid_dpop_proof.json", http.StatusBadRequest
		}, want: []string{"DPoP", "does not support yet", "Require Demonstrating Proof of Possession"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t, now)
			cfg := tokenConfig(r)
			if tc.wrongToken {
				cfg["api_token"] = "00wrongTokenwrongTokenwrongTokenwrongTok"
			}
			if tc.app {
				r.appKey = &keyRSA.PublicKey
				cfg = appConfig(r, rsaPEM)
			}
			tc.setup(r)
			res := collectAll(t, cfg, nil)
			if res.probeErr == nil {
				t.Fatal("the probe succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(res.probeErr.Error(), w) {
					t.Errorf("probe error %q lacks %q", res.probeErr, w)
				}
			}
			var he *connector.HTTPError
			if !tc.app && !errors.As(res.probeErr, &he) {
				t.Errorf("the explanation lost the HTTP error: %v", res.probeErr)
			}
		})
	}
}

func TestPolicies(t *testing.T) {
	r := newReplay(t, now)
	res := collectAll(t, tokenConfig(r), nil)
	pw := res.emitted["okta.password_policy"]
	admins := pw.ByID(t, "00p5k6yk8bBvX6k0x5d7").Attributes
	if admins["min_length"] != 14 || admins["password_expires"] != true || admins["max_age_days"] != 90 ||
		admins["lockout_max_attempts"] != 5 || admins["common_password_check"] != true || admins["history_count"] != 24 ||
		jsonOf(admins["groups_included"]) != `["00g1ousb3XCr9Dkr20g4"]` || admins["auth_provider"] != "OKTA" {
		t.Errorf("admins' password policy: %v", admins)
	}
	def := pw.ByID(t, "00p1a2s3KxX9YUYD20g4").Attributes
	if def["password_expires"] != false || def["system"] != true || def["lockout_enabled"] != true || def["common_password_check"] != false {
		t.Errorf("default password policy: %v", def)
	}
	rules := def["rules"].([]any)
	if len(rules) != 1 || rules[0].(map[string]any)["self_service_unlock"] != "DENY" {
		t.Errorf("default password rules: %v", rules)
	}

	so := res.emitted["okta.sign_on_policy"]
	if a := so.ByID(t, "00p5k6zf3rB7Oa8Mx5d7").Attributes; a["mfa_required"] != true {
		t.Errorf("admins' sign-on policy: %v", a)
	}
	if d := so.ByID(t, "00p1a2s3L0qDkV1OK0g4").Attributes; d["mfa_required"] != false || jsonOf(d["rules_without_mfa"]) != `["Office network"]` {
		t.Errorf("default sign-on policy: %v %v", d["mfa_required"], d["rules_without_mfa"])
	}

	mfa := res.emitted["okta.mfa_enrollment_policy"]
	d := mfa.ByID(t, "00p1a2s3L3Yz0aq7E0g4").Attributes
	if d["settings_type"] != "FACTORS" || jsonOf(d["required_enrollment"]) != `["okta_push"]` || d["phishing_resistant_required"] != false {
		t.Errorf("default enrollment: %v", d)
	}
	if src := d["sources"].(map[string]any)["settings_type"]; !strings.HasPrefix(fmt.Sprint(src), "default:") {
		t.Errorf("settings_type source %v: the type is absent, so it is Okta's default", src)
	}
	eng := mfa.ByID(t, "00p5k71b6qE8sNvTt5d7").Attributes
	if eng["settings_type"] != "AUTHENTICATORS" || jsonOf(eng["required_enrollment"]) != `["okta_verify","webauthn"]` ||
		eng["phishing_resistant_required"] != true || eng["rules"].([]any)[0].(map[string]any)["enroll"] != "LOGIN" {
		t.Errorf("engineering enrollment: %v", eng)
	}

	ap := res.emitted["okta.authentication_policy"]
	console := ap.ByID(t, "rst5k72c0xP1gQ8Tz5d7").Attributes
	if console["mfa_required"] != true || console["phishing_resistant_required"] != true {
		t.Errorf("admin console policy (its DENY catch-all does not count): %v", console)
	}
	dp := ap.ByID(t, "rst1a2s3L5Jt8qAbc0g4").Attributes
	if dp["mfa_required"] != false || jsonOf(dp["rules_without_mfa"]) != `["Office: password only"]` || dp["phishing_resistant_required"] != false {
		t.Errorf("default authentication policy: %v", dp)
	}
}

// TestClassicEngine: an org without authentication policies refuses the
// type with 400; that is an empty listing, not a failure.
func TestClassicEngine(t *testing.T) {
	r := newReplay(t, now)
	r.set("GET /api/v1/policies?type=ACCESS_POLICY", reply{status: http.StatusBadRequest, file: "error-400-E0000001.json"})
	res := collectAll(t, tokenConfig(r), nil)
	if err := res.errs["okta.authentication_policy"]; err != nil || len(res.emitted["okta.authentication_policy"].Resources) != 0 {
		t.Fatalf("authentication policies on a Classic org: %v", err)
	}
	// Another type refused with 400 is an error.
	r.set("GET /api/v1/policies?type=PASSWORD", reply{status: http.StatusBadRequest, file: "error-400-E0000001.json"})
	res = collectAll(t, tokenConfig(r), nil)
	if err := res.errs["okta.password_policy"]; err == nil || !strings.Contains(err.Error(), "E0000001") {
		t.Fatalf("password policies refused: %v", err)
	}
}

// TestRulesUnreadable: a policy whose rules cannot be read is still
// listed, its rules and what derives from them unknown, and the listing is
// partial.
func TestRulesUnreadable(t *testing.T) {
	r := newReplay(t, now)
	r.set("GET /api/v1/policies/00p1a2s3L0qDkV1OK0g4/rules", reply{status: http.StatusForbidden, file: "error-403-E0000006.json"})
	res := collectAll(t, tokenConfig(r), nil)
	so := res.emitted["okta.sign_on_policy"]
	if res.errs["okta.sign_on_policy"] != nil || so.Failed["rules"] == nil {
		t.Fatalf("listing: %v, failed %v", res.errs["okta.sign_on_policy"], so.Failed)
	}
	d := so.ByID(t, "00p1a2s3L0qDkV1OK0g4").Attributes
	if d["rules"] != nil || d["mfa_required"] != nil || !strings.Contains(unknownOf(d, "mfa_required"), "E0000006") {
		t.Errorf("default sign-on policy: %v", d)
	}
	if a := so.ByID(t, "00p5k6zf3rB7Oa8Mx5d7").Attributes; a["mfa_required"] != true {
		t.Errorf("the other policy: %v", a)
	}
}

// TestPacer: after an answer with X-Rate-Limit-Remaining: 0, the next
// request waits until X-Rate-Limit-Reset (within the bound), not sooner.
func TestPacer(t *testing.T) {
	reset := now.Add(20 * time.Second)
	answers := []string{"0", "5"}
	var sent []time.Duration
	var slept []time.Duration
	clock := now
	p := &pacer{max: maxPace, now: func() time.Time { return clock },
		sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			clock = clock.Add(d)
			return nil
		},
		next: roundTrip(func(req *http.Request) (*http.Response, error) {
			sent = append(sent, clock.Sub(now))
			rem := answers[0]
			answers = answers[1:]
			h := http.Header{"X-Rate-Limit-Remaining": {rem}, "X-Rate-Limit-Reset": {fmt.Sprint(reset.Unix())}}
			return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader("[]"))}, nil
		})}
	client := &http.Client{Transport: p}
	for range 2 {
		resp, err := client.Get("http://127.0.0.1/api/v1/users")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(slept) != 1 || slept[0] != 21*time.Second || sent[1] != 21*time.Second {
		t.Fatalf("slept %v, sent at %v: want the second request a second after the reset", slept, sent)
	}
	// A reset further than the bound is not waited for here: the HTTP
	// discipline reports it.
	p.until = clock.Add(time.Hour)
	answers = []string{"5"}
	slept = nil
	resp, err := client.Get("http://127.0.0.1/api/v1/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(slept) != 0 {
		t.Fatalf("waited %v beyond the bound", slept)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWWWAuthenticate(t *testing.T) {
	got := wwwAuthenticate(`Bearer authorization_uri="http://o/oauth2/v1/authorize", realm="http://o", scope="okta.policies.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/policies"`)
	if got["scope"] != "okta.policies.read" || got["error"] != "insufficient_scope" || got["resource"] != "/api/v1/policies" {
		t.Fatalf("%v", got)
	}
	if len(wwwAuthenticate("")) != 0 || len(wwwAuthenticate("SSWS")) != 0 {
		t.Fatal("an empty challenge has parameters")
	}
}

func TestBodyFilters(t *testing.T) {
	f := withoutActivation(readReplay(t, "factors-"+ann+".json"))
	if bytes.Contains(f, []byte("HE64TMLL2IUZW2ZLB")) || bytes.Contains(f, []byte("_links")) || !bytes.Contains(f, []byte("PENDING_ACTIVATION")) {
		t.Errorf("factors stored as %s", f)
	}
	if string(withoutActivation([]byte("[]"))) != "[]" {
		t.Error("an empty listing changed")
	}
	tok := withoutTokens(readReplay(t, "token.json"))
	if bytes.Contains(tok, []byte(testAccessToken(t))) || !bytes.Contains(tok, []byte(`"expires_in":3600`)) {
		t.Errorf("token answer stored as %s", tok)
	}
	if e := readReplay(t, "token-invalid_client.json"); !bytes.Equal(withoutTokens(e), e) {
		t.Error("an error answer changed")
	}
}

// TestDocsListEveryField keeps docs/connectors/okta.md in step with the
// declarations.
func TestDocsListEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/connectors/okta.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range Registration().Resources {
		if !bytes.Contains(doc, []byte("### `"+rt.Name+"`")) {
			t.Errorf("docs/connectors/okta.md has no section for %s", rt.Name)
		}
		for _, f := range rt.Fields {
			if !bytes.Contains(doc, []byte("| `"+f.Name+"` | "+f.Type+" |")) {
				t.Errorf("docs/connectors/okta.md does not list %s.%s (%s)", rt.Name, f.Name, f.Type)
			}
		}
	}
	for _, f := range Registration().Fields {
		if !bytes.Contains(doc, []byte("| `"+f.Name+"` |")) {
			t.Errorf("docs/connectors/okta.md does not list the config field %s", f.Name)
		}
	}
	for _, s := range scopes {
		if !bytes.Contains(doc, []byte(s)) {
			t.Errorf("docs/connectors/okta.md does not name the scope %s", s)
		}
	}
}
