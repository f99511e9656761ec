package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob/blobtest"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// Regenerate the golden files after an intended change with
//
//	go test ./internal/connector/aws -run TestGolden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// awsEnv gives the SDK a clean environment: no variable of the machine
// running the tests, no shared config files, no instance metadata; static
// test keys; the home Region; and AWS_ENDPOINT_URL pointing at endpoint
// (when not empty). Nothing else tells the connector where AWS is.
func awsEnv(t *testing.T, endpoint string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			old := os.Getenv(k)
			os.Unsetenv(k)
			t.Cleanup(func() { os.Setenv(k, old) })
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_REGION", "us-east-1")
	if endpoint != "" {
		t.Setenv("AWS_ENDPOINT_URL", endpoint)
	}
}

// fast is the connector with no real waiting.
func fast() connector.Registration {
	return New(Options{Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
}

// setup starts the replay, points the environment at it and returns a
// runtime whose network reaches it.
func setup(t *testing.T, overlays ...string) (*replay, *connectortest.Runtime) {
	t.Helper()
	r := newReplay(t, overlays...)
	awsEnv(t, r.URL())
	rt := connectortest.NewRuntime(now)
	rt.HTTP = &http.Client{Transport: r.transport()}
	return r, rt
}

// pathStyle is the only configuration the replay needs: S3 buckets as
// <endpoint>/<bucket>.
func pathStyle() connector.Config { return connector.Config{"s3_use_path_style": "true"} }

type listed struct {
	em  *connectortest.Emitter
	err error
}

func listAll(t *testing.T, reg connector.Registration, cfg connector.Config, rt *connectortest.Runtime) map[string]listed {
	t.Helper()
	out := map[string]listed{}
	for _, typ := range reg.Resources {
		em, err := connectortest.List(t, reg, cfg, rt, typ.Name)
		out[typ.Name] = listed{em, err}
	}
	return out
}

func attrsOf(t *testing.T, all map[string]listed, typ, id string) map[string]any {
	t.Helper()
	return all[typ].em.ByID(t, id).Attributes
}

func reasons(a map[string]any) map[string]any {
	u, _ := a[awstypes.Unknown].(map[string]any)
	return u
}

func sources(a map[string]any) map[string]any {
	s, _ := a[awstypes.Sources].(map[string]any)
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

// TestGolden compares every resource type's output over the replay with
// testdata/golden/<type>.json, and checks each resource against its
// declaration and the attribute convention.
func TestGolden(t *testing.T) {
	_, rt := setup(t)
	reg := fast()
	all := listAll(t, reg, pathStyle(), rt)
	decl := map[string]awstypes.Type{}
	for _, typ := range awstypes.AllTypes() {
		decl[typ.Name] = typ
	}
	for _, typ := range reg.Resources {
		l := all[typ.Name]
		if l.err != nil {
			t.Errorf("list %s: %v", typ.Name, l.err)
			continue
		}
		if len(l.em.Resources) == 0 {
			t.Errorf("no %s emitted from the replay", typ.Name)
		}
		type golden struct {
			ExternalID   string            `json:"external_id"`
			Name         string            `json:"name"`
			Scope        string            `json:"scope"`
			Attributes   map[string]any    `json:"attributes"`
			FailedScopes map[string]string `json:"failed_scopes,omitempty"`
		}
		var got []golden
		for _, r := range l.em.Resources {
			if err := decl[typ.Name].Check(r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
			if err := connector.CheckConvention(typ, r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
			if len(r.Calls) == 0 {
				t.Errorf("%s %s links to no call", typ.Name, r.ExternalID)
			}
			if r.Attributes["terraform_address"] != "" {
				t.Errorf("%s: terraform_address = %v", r.ExternalID, r.Attributes["terraform_address"])
			}
			got = append(got, golden{ExternalID: r.ExternalID, Name: r.Name, Scope: r.Scope, Attributes: r.Attributes})
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ExternalID < got[j].ExternalID })
		failed := map[string]string{}
		for s, err := range l.em.Failed {
			failed[s] = err.Error()
		}
		doc := map[string]any{"resources": got}
		if len(failed) > 0 {
			doc["failed_scopes"] = failed
		}
		buf, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, '\n')
		connectortest.Golden(t, typ.Name, buf, *update)
	}
}

// A Region that denies a service fails that Region's scope for that
// service's resource types only; the other Regions and services are
// collected, and the listing as a whole does not fail.
func TestDeniedRegionFailsOnlyItsScope(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	denied := map[string]string{
		"aws.ec2.security_group":            "ec2:DescribeSecurityGroups",
		"aws.ec2.ebs_encryption_by_default": "ec2:GetEbsEncryptionByDefault",
		"aws.ec2.volume":                    "ec2:DescribeVolumes",
		"aws.ec2.vpc":                       "ec2:DescribeFlowLogs",
		"aws.kms.key":                       "kms:ListKeys",
	}
	for typ, l := range all {
		if l.err != nil {
			t.Errorf("%s failed as a whole: %v", typ, l.err)
			continue
		}
		action, want := denied[typ]
		err := l.em.Failed["ap-southeast-2"]
		switch {
		case want && err == nil:
			t.Errorf("%s: ap-southeast-2 did not fail", typ)
		case want && (!strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), action) || !strings.Contains(err.Error(), "ap-southeast-2")):
			t.Errorf("%s: ap-southeast-2 failed with %q, want access denied naming %s", typ, err, action)
		case !want && len(l.em.Failed) > 0:
			t.Errorf("%s: scopes failed: %v", typ, l.em.Failed)
		}
		if want && len(l.em.Failed) != 1 {
			t.Errorf("%s: failed scopes %v, want only ap-southeast-2", typ, l.em.Failed)
		}
		for _, res := range l.em.Resources {
			if res.Scope == "ap-southeast-2" && want {
				t.Errorf("%s: %s emitted from the denied Region", typ, res.ExternalID)
			}
		}
	}
	// The denied Region's other services answered.
	if all["aws.guardduty.detector"].em.ByID(t, "arn:aws:guardduty:ap-southeast-2:111122223333:detector/3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f").Scope != "ap-southeast-2" {
		t.Error("GuardDuty in ap-southeast-2 was not collected")
	}
}

// One run (one connection) reads the caller identity, the Regions and the
// IAM authorization details once, whatever the number of listings.
func TestSharedReadsHappenOncePerConnection(t *testing.T) {
	r, rt := setup(t)
	reg := fast()
	ctx := context.Background()
	conn, err := reg.Open(ctx, pathStyle(), rt)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	for _, typ := range reg.Resources {
		if err := typ.List(ctx, conn, &connectortest.Emitter{}); err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
	}
	for op, want := range map[string]int{"sts:GetCallerIdentity": 1, "ec2:DescribeRegions": 1, "iam:GetAccountAuthorizationDetails": 2} {
		svc, name, _ := strings.Cut(op, ":")
		if n := r.count(svc, name); n != want {
			t.Errorf("%s called %d times, want %d", op, n, want)
		}
	}
}

func TestPagination(t *testing.T) {
	r, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	for typ, want := range map[string]int{"aws.iam.user": 4, "aws.ec2.security_group": 3, "aws.ec2.volume": 3, "aws.rds.instance": 4,
		"aws.kms.key": 3, "aws.s3.bucket": 4, "aws.iam.credential_report": 5} {
		if n := len(all[typ].em.Resources); n != want {
			t.Errorf("%s: %d resources, want %d", typ, n, want)
		}
	}
	// Second pages were asked for with the token the first page gave.
	var seen []string
	for _, c := range r.Calls() {
		if c.Selector == "page2" {
			seen = append(seen, c.Service+":"+c.Operation)
		}
	}
	sort.Strings(seen)
	want := []string{"ec2:DescribeSecurityGroups", "ec2:DescribeVolumes", "iam:GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails",
		"iam:ListUsers", "kms:ListKeys", "rds:DescribeDBInstances", "s3:ListBuckets"}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("second pages read: %v, want %v", seen, want)
	}
}

func TestIAMUsers(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	user := func(name string) map[string]any {
		path := "/"
		if name == "carol-ci" {
			path = "/service/"
		}
		return attrsOf(t, all, "aws.iam.user", "arn:aws:iam::111122223333:user"+path+name)
	}
	alice := user("alice")
	if alice["admin_policy_attached"] != true || !strings.Contains(sources(alice)["admin_policy_attached"].(string), "AdministratorAccess attached via group admins") {
		t.Errorf("alice admin = %v (%v)", alice["admin_policy_attached"], sources(alice)["admin_policy_attached"])
	}
	if alice["email"] != "alice.smith@example.com" || alice["console_access"] != true || alice["mfa_enabled"] != true {
		t.Errorf("alice = %v", alice)
	}
	keys := alice["access_keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["last_used_at"] != "2026-11-25T07:45:00Z" {
		t.Errorf("alice keys = %v", keys)
	}
	bob := user("bob")
	if bob["admin_policy_attached"] != true || !strings.Contains(sources(bob)["admin_policy_attached"].(string), "inline policy break-glass") {
		t.Errorf("bob admin = %v (%v)", bob["admin_policy_attached"], sources(bob)["admin_policy_attached"])
	}
	if bob["email"] != "bob.jones@example.com" || bob["mfa_enabled"] != false || bob["password_last_used"] != nil {
		t.Errorf("bob = %v", bob)
	}
	bk := bob["access_keys"].([]any)
	if len(bk) != 2 || bk[0].(map[string]any)["access_key_id"] != "AKIAIOSFODNN7BOB0001" || bk[1].(map[string]any)["last_used_at"] != nil ||
		bk[1].(map[string]any)["status"] != "Inactive" {
		t.Errorf("bob keys = %v", bk)
	}
	if why, _ := reasons(bob)["access_keys.last_used_at"].(string); !strings.Contains(why, "AKIAIOSFODNN7BOB0002") {
		t.Errorf("bob's unused key has no reason: %v", reasons(bob))
	}
	carol := user("carol-ci")
	if carol["admin_policy_attached"] != true || !strings.Contains(sources(carol)["admin_policy_attached"].(string), "policy/ci-deploy (allows * on *)") {
		t.Errorf("carol admin (customer managed default version) = %v (%v)", carol["admin_policy_attached"], sources(carol)["admin_policy_attached"])
	}
	if carol["console_access"] != false || carol["email"] != nil || reasons(carol)["email"] == nil ||
		carol["permissions_boundary_arn"] != "arn:aws:iam::111122223333:policy/ci-boundary" {
		t.Errorf("carol = %v", carol)
	}
	dave := user("dave")
	if dave["admin_policy_attached"] != false || dave["email"] != "dave@example.com" || len(dave["access_keys"].([]any)) != 0 {
		t.Errorf("dave = %v", dave)
	}
	if g := dave["groups"].([]string); len(g) != 1 || g[0] != "developers" {
		t.Errorf("dave groups = %v", g)
	}
}

func TestAllowsEverything(t *testing.T) {
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, true},
		{`{"Statement":{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":["arn:aws:s3:::x","*"]}}`, true},
		{`%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D`, true},
		{`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/*"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, false},
	}
	for _, tt := range tests {
		got, err := allowsEverything(tt.doc)
		if err != nil || got != tt.want {
			t.Errorf("allowsEverything(%s) = %v, %v; want %v", tt.doc, got, err, tt.want)
		}
	}
	if _, err := allowsEverything("not json"); err == nil {
		t.Error("a document that is not JSON was accepted")
	}
}

// The credential report arrives base64-encoded; its rows become resources,
// the root user's included, with the report's N/A, no_information and
// not_supported turned into values or reasons.
func TestCredentialReport(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	root := attrsOf(t, all, "aws.iam.credential_report", "arn:aws:iam::111122223333:root")
	if root["is_root"] != true || root["mfa_active"] != true || root["access_key_1_active"] != false || root["user"] != "<root_account>" {
		t.Errorf("root row = %v", root)
	}
	if root["password_enabled"] != nil || !strings.Contains(reasons(root)["password_enabled"].(string), "not_supported") {
		t.Errorf("root password_enabled = %v (%v)", root["password_enabled"], reasons(root))
	}
	if root["password_last_used"] != "2026-11-02T10:04:11Z" || root["email"] != nil {
		t.Errorf("root = %v", root)
	}
	bob := attrsOf(t, all, "aws.iam.credential_report", "arn:aws:iam::111122223333:user/bob")
	if bob["password_last_used"] != nil || !strings.Contains(reasons(bob)["password_last_used"].(string), "no_information") {
		t.Errorf("bob password_last_used = %v (%v)", bob["password_last_used"], reasons(bob))
	}
	if bob["access_key_1_last_used_service"] != "ec2" || bob["access_key_2_last_rotated"] != "2023-01-10T11:00:00Z" ||
		bob["access_key_2_last_used_region"] != "" || bob["email"] != "bob.jones@example.com" {
		t.Errorf("bob = %v", bob)
	}
	carol := attrsOf(t, all, "aws.iam.credential_report", "arn:aws:iam::111122223333:user/service/carol-ci")
	if carol["password_enabled"] != false || carol["password_last_changed"] != nil ||
		!strings.Contains(reasons(carol)["password_last_changed"].(string), "no password") {
		t.Errorf("carol = %v", carol)
	}
}

// GenerateCredentialReport is asked again (after a wait) until the report
// is complete; a report that never completes fails the global scope with
// the reason.
func TestCredentialReportPolling(t *testing.T) {
	r, rt := setup(t)
	var waits atomic.Int32
	reg := New(Options{Sleep: func(ctx context.Context, d time.Duration) error {
		if d != 2*time.Second {
			t.Errorf("waited %s between polls", d)
		}
		waits.Add(1)
		return nil
	}})
	var generate atomic.Int32
	r.setHook(func(w http.ResponseWriter, c call) bool {
		if c.Operation == "GenerateCredentialReport" && generate.Add(1) <= 2 {
			body, _ := os.ReadFile("testdata/replay/iam/GenerateCredentialReport@started.xml")
			writeAWS(w, "iam", 200, body)
			return true
		}
		return false
	})
	em, err := connectortest.List(t, reg, pathStyle(), rt, "aws.iam.credential_report")
	if err != nil || len(em.Resources) != 5 || waits.Load() != 2 || generate.Load() != 3 {
		t.Fatalf("err %v, %d rows, %d waits, %d requests", err, len(em.Resources), waits.Load(), generate.Load())
	}

	generate.Store(-100) // never complete
	em, err = connectortest.List(t, reg, pathStyle(), rt, "aws.iam.credential_report")
	if err != nil || len(em.Resources) != 0 || em.Failed[Global] == nil || !strings.Contains(em.Failed[Global].Error(), "still generating") {
		t.Fatalf("err %v, %d rows, failed %v", err, len(em.Resources), em.Failed)
	}
}

func TestNoCustomPasswordPolicyNorAccountBlock(t *testing.T) {
	_, rt := setup(t, "replay-defaults")
	reg := fast()
	em, err := connectortest.List(t, reg, pathStyle(), rt, "aws.iam.password_policy")
	if err != nil || len(em.Resources) != 1 {
		t.Fatalf("%v, %d, %v", err, len(em.Resources), em.Failed)
	}
	a := em.Resources[0].Attributes
	if a["custom_policy"] != false || a["minimum_password_length"] != int64(8) || a["max_password_age"] != int64(0) ||
		!strings.HasPrefix(sources(a)["minimum_password_length"].(string), "default:") {
		t.Errorf("no custom policy = %v", a)
	}
	em, err = connectortest.List(t, reg, pathStyle(), rt, "aws.s3.account_public_access_block")
	if err != nil || len(em.Resources) != 1 {
		t.Fatalf("%v, %d", err, len(em.Resources))
	}
	if a := em.Resources[0].Attributes; a["block_public_policy"] != false || !strings.HasPrefix(sources(a)["block_public_policy"].(string), "default:") {
		t.Errorf("no account block = %v", a)
	}
	if em.Resources[0].ExternalID != awstypes.AccountPublicAccessBlockID(testAccount) {
		t.Errorf("external id %s", em.Resources[0].ExternalID)
	}
}

func TestS3Buckets(t *testing.T) {
	r, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	trail := attrsOf(t, all, "aws.s3.bucket", "arn:aws:s3:::acme-prod-cloudtrail")
	if e := trail["encryption"].(map[string]any); e["sse_algorithm"] != "aws:kms" || e["bucket_key_enabled"] != true || e["enabled"] != true {
		t.Errorf("encryption = %v", e)
	}
	if v := trail["versioning"].(map[string]any); v["status"] != "Enabled" || v["enabled"] != true || v["mfa_delete"] != false {
		t.Errorf("versioning = %v", v)
	}
	if l := trail["logging"].(map[string]any); l["target_bucket"] != "acme-prod-access-logs" || l["enabled"] != true {
		t.Errorf("logging = %v", l)
	}
	if trail["object_lock_enabled"] != true || trail["policy_is_public"] != false || trail["region"] != "eu-west-1" || trail["account_id"] != testAccount {
		t.Errorf("trail bucket = %v", trail)
	}
	uploads := attrsOf(t, all, "aws.s3.bucket", "arn:aws:s3:::acme-prod-app-uploads")
	if v := uploads["versioning"].(map[string]any); v["status"] != "Suspended" || v["enabled"] != false {
		t.Errorf("uploads versioning = %v", v)
	}
	if uploads["policy_is_public"] != false || uploads["object_lock_enabled"] != false || len(uploads["tags"].(map[string]any)) != 0 {
		t.Errorf("uploads = %v", uploads)
	}
	legacy := attrsOf(t, all, "aws.s3.bucket", "arn:aws:s3:::acme-legacy-backups")
	if legacy["region"] != "us-east-1" || legacy["encryption"] != nil || !strings.Contains(reasons(legacy)["encryption"].(string), "s3:GetEncryptionConfiguration") {
		t.Errorf("legacy = %v (%v)", legacy, reasons(legacy))
	}
	if p := legacy["public_access_block"].(map[string]any); p["block_public_acls"] != false {
		t.Errorf("legacy block = %v", p)
	}
	if v := legacy["versioning"].(map[string]any); v["status"] != "Disabled" {
		t.Errorf("legacy versioning = %v", v)
	}
	site := attrsOf(t, all, "aws.s3.bucket", "arn:aws:s3:::acme-public-site")
	if site["policy_is_public"] != true || site["region"] != "ap-southeast-2" {
		t.Errorf("site = %v", site)
	}
	// Per-bucket calls go to the bucket's Region.
	for _, c := range r.Calls() {
		if c.Service == "s3" && c.Selector == "acme-public-site" && c.Region != "ap-southeast-2" {
			t.Errorf("%s for acme-public-site signed for %s", c.Operation, c.Region)
		}
	}
	// A Region list leaves out buckets elsewhere.
	cfg := pathStyle()
	cfg["regions"] = "eu-west-1"
	em, err := connectortest.List(t, fast(), cfg, rt, "aws.s3.bucket")
	if err != nil || len(em.Resources) != 2 {
		t.Fatalf("with regions=eu-west-1: %v, %d buckets", err, len(em.Resources))
	}
}

func TestSecurityGroupsMatchTheTerraformDerivation(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	open := func(id string) string {
		var out []string
		for _, p := range attrsOf(t, all, "aws.ec2.security_group", id)["world_open_ports"].([]any) {
			m := p.(map[string]any)
			out = append(out, fmt.Sprintf("%s/%d-%d", m["ip_protocol"], m["from_port"], m["to_port"]))
		}
		return strings.Join(out, " ")
	}
	// The same groups as the terraform connector's test states.
	if got := open("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0web000000000000a"); got != "tcp/80-80 tcp/443-443" {
		t.Errorf("web world open = %s", got)
	}
	if got := open("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0db0000000000000b"); got != "tcp/22-22" {
		t.Errorf("db world open = %s", got)
	}
	if got := open("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0def000000000000c"); got != "" {
		t.Errorf("default world open = %s", got)
	}
	web := attrsOf(t, all, "aws.ec2.security_group", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0web000000000000a")
	if n := len(web["ingress_rules"].([]any)); n != 4 {
		t.Errorf("web has %d ingress rules, want 4 (443 v4 and v6, 80, 22)", n)
	}
	def := attrsOf(t, all, "aws.ec2.security_group", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0def000000000000c")
	rule := def["ingress_rules"].([]any)[0].(map[string]any)
	if rule["ip_protocol"] != "-1" || rule["from_port"] != int64(0) || rule["to_port"] != int64(65535) || rule["referenced_group_id"] != "sg-0def000000000000c" {
		t.Errorf("all-traffic self rule = %v", rule)
	}
}

func TestListenersAndTLSPolicies(t *testing.T) {
	r, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	l := func(suffix string) map[string]any {
		return attrsOf(t, all, "aws.elbv2.listener", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/"+suffix)
	}
	https := l("app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2")
	if https["encrypted"] != true || https["tls_policy_outdated"] != false || strings.Join(https["ssl_protocols"].([]string), ",") != "TLSv1.2,TLSv1.3" {
		t.Errorf("https = %v", https)
	}
	http80 := l("app/web-prod/50dc6c495c0c9188/0467ef3c8400ae65")
	if http80["encrypted"] != false || http80["redirects_to_https"] != true || http80["tls_policy_outdated"] != false {
		t.Errorf("http = %v", http80)
	}
	tls := l("net/internal-nlb/73e2d6bc24d8a067/1a2b3c4d5e6f7a8b")
	if tls["tls_policy_outdated"] != true || !strings.Contains(sources(tls)["tls_policy_outdated"].(string), "TLSv1, TLSv1.1") {
		t.Errorf("tls = %v", tls)
	}
	if n := r.count("elasticloadbalancing", "DescribeSSLPolicies"); n != 2 {
		t.Errorf("DescribeSSLPolicies called %d times, want once per policy", n)
	}
}

func TestPerRegionStandIns(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	gd := attrsOf(t, all, "aws.guardduty.detector", awstypes.GuardDutyAbsentID(testAccount, "us-east-1"))
	if gd["detector_exists"] != false || gd["enabled"] != false || gd["region"] != "us-east-1" {
		t.Errorf("no detector = %v", gd)
	}
	on := attrsOf(t, all, "aws.guardduty.detector", "arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0")
	if on["enabled"] != true || on["features"].(map[string]any)["EKS_AUDIT_LOGS"] != "DISABLED" || on["created_at"] != "2021-03-01T10:30:00Z" {
		t.Errorf("detector = %v", on)
	}
	rec := attrsOf(t, all, "aws.config.recorder", awstypes.ConfigAbsentID(testAccount, "us-east-1"))
	if rec["recorder_exists"] != false || rec["recording"] != false {
		t.Errorf("no recorder = %v", rec)
	}
	stopped := attrsOf(t, all, "aws.config.recorder", "aws:111122223333:ap-southeast-2:config-recorder/default")
	if stopped["recording"] != false || stopped["all_supported"] != false || stopped["last_status"] != "FAILURE" ||
		strings.Join(stopped["resource_types"].([]string), ",") != "AWS::EC2::SecurityGroup,AWS::S3::Bucket" {
		t.Errorf("stopped recorder = %v", stopped)
	}
	ebs := attrsOf(t, all, "aws.ec2.ebs_encryption_by_default", awstypes.EBSEncryptionByDefaultID(testAccount, "us-east-1"))
	if ebs["enabled"] != false || ebs["kms_key_id"] != "alias/aws/ebs" {
		t.Errorf("ebs default = %v", ebs)
	}
	vpc := attrsOf(t, all, "aws.ec2.vpc", "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0dflt00000000000b")
	if vpc["flow_logs_enabled"] != false || len(vpc["flow_logs"].([]any)) != 0 {
		t.Errorf("vpc without flow logs = %v", vpc)
	}
	prod := attrsOf(t, all, "aws.ec2.vpc", "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0prod00000000000a")
	if prod["flow_logs_enabled"] != true || len(prod["flow_logs"].([]any)) != 1 {
		t.Errorf("vpc with a flow log = %v", prod)
	}
}

func TestTrailsAndKeys(t *testing.T) {
	_, rt := setup(t)
	all := listAll(t, fast(), pathStyle(), rt)
	trails := all["aws.cloudtrail.trail"].em
	if len(trails.Resources) != 3 {
		t.Fatalf("%d trails, want 3: a multi-Region trail seen in every Region is emitted once", len(trails.Resources))
	}
	audit := trails.ByID(t, "arn:aws:cloudtrail:eu-west-1:111122223333:trail/acme-audit")
	if audit.Scope != "eu-west-1" || audit.Attributes["is_logging"] != true || audit.Attributes["is_multi_region_trail"] != true ||
		audit.Attributes["log_file_validation_enabled"] != true {
		t.Errorf("acme-audit = %s %v", audit.Scope, audit.Attributes)
	}
	legacy := trails.ByID(t, "arn:aws:cloudtrail:eu-west-1:111122223333:trail/legacy-trail").Attributes
	if legacy["is_logging"] != false || legacy["kms_key_id"] != "" {
		t.Errorf("legacy = %v", legacy)
	}
	org := trails.ByID(t, "arn:aws:cloudtrail:us-west-2:999988887777:trail/org-trail")
	// Its home Region is not collected: it is emitted from the first collected Region that shows it.
	if org.Scope != "ap-southeast-2" || org.Attributes["account_id"] != "999988887777" || org.Attributes["is_logging"] != nil ||
		!strings.Contains(reasons(org.Attributes)["is_logging"].(string), "TrailNotFoundException") {
		t.Errorf("org trail = %s %v", org.Scope, org.Attributes)
	}

	keys := all["aws.kms.key"].em
	for _, k := range keys.Resources {
		if k.Attributes["key_manager"] != "CUSTOMER" {
			t.Errorf("%s is not a customer managed key", k.ExternalID)
		}
	}
	sign := attrsOf(t, all, "aws.kms.key", "arn:aws:kms:eu-west-1:111122223333:key/mrk-4c8d2e1f0a9b8c7d6e5f4a3b2c1d0e9f")
	if sign["key_rotation_enabled"] != false || sign["multi_region"] != true {
		t.Errorf("signing key = %v", sign)
	}
	pending := attrsOf(t, all, "aws.kms.key", "arn:aws:kms:eu-west-1:111122223333:key/7f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
	if pending["key_rotation_enabled"] != nil || !strings.Contains(reasons(pending)["key_rotation_enabled"].(string), "pending deletion") {
		t.Errorf("pending key = %v", pending)
	}
	data := attrsOf(t, all, "aws.kms.key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	if data["key_rotation_enabled"] != true || data["rotation_period_in_days"] != int64(365) || data["tags"].(map[string]any)["owner"] != "platform-team" {
		t.Errorf("data key = %v", data)
	}
}

// Pointing AWS_ENDPOINT_URL_<SERVICE> at the replay sends that service
// there even when AWS_ENDPOINT_URL names another endpoint.
func TestPerServiceEndpointVariables(t *testing.T) {
	r := newReplay(t)
	var wrong atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		wrong.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer other.Close()
	awsEnv(t, other.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", r.URL())
	t.Setenv("AWS_ENDPOINT_URL_STS", r.URL())
	// The real network stack (no dialing trick) and no configuration at all:
	// for an endpoint that is an IP address the SDK addresses buckets by path.
	rt := connectortest.NewRuntime(now)
	em, err := connectortest.List(t, fast(), connector.Config{}, rt, "aws.s3.bucket")
	if err != nil || len(em.Resources) != 4 || len(em.Failed) > 0 {
		t.Fatalf("err %v, %d buckets, failed %v", err, len(em.Resources), em.Failed)
	}
	if wrong.Load() != 0 {
		t.Errorf("%d requests went to AWS_ENDPOINT_URL instead of the service's own endpoint", wrong.Load())
	}
}

// The endpoint_url field overrides where requests go when the environment
// says nothing.
func TestEndpointURLField(t *testing.T) {
	r := newReplay(t)
	awsEnv(t, "")
	rt := connectortest.NewRuntime(now)
	rt.HTTP = &http.Client{Transport: r.transport()}
	cfg := pathStyle()
	cfg["endpoint_url"] = r.URL()
	em, err := connectortest.List(t, fast(), cfg, rt, "aws.iam.password_policy")
	if err != nil || len(em.Resources) != 1 {
		t.Fatalf("%v, %d", err, len(em.Resources))
	}
}

func TestProbe(t *testing.T) {
	r, rt := setup(t)
	ctx := context.Background()
	probe := func(cfg connector.Config) error {
		conn, err := fast().Open(ctx, cfg, rt)
		if err != nil {
			t.Fatal(err)
		}
		return conn.Probe(ctx)
	}
	if err := probe(pathStyle()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	errorAnswer := func(op, code, msg string, status int) {
		r.setHook(func(w http.ResponseWriter, c call) bool {
			if c.Operation != op {
				return false
			}
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1c5f8b3e-0d9a-4f7e-8b2c-6a1d3e5f7a9b</RequestId></ErrorResponse>`, code, msg)
			return true
		})
	}
	tests := []struct {
		op, code, msg string
		status        int
		want          []string
	}{
		{"GetAccountSummary", "AccessDenied", "User: arn:aws:iam::111122223333:user/assure-audit is not authorized to perform: iam:GetAccountSummary on resource: *", 403,
			[]string{"iam:GetAccountSummary", "account 111122223333", "arn:aws:iam::111122223333:user/assure-audit"}},
		{"GetCallerIdentity", "InvalidClientTokenId", "The security token included in the request is invalid.", 403, []string{"access key id"}},
		{"GetCallerIdentity", "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", 403,
			[]string{"secret access key does not match"}},
		{"GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired", 400, []string{"session token has expired"}},
	}
	for _, tt := range tests {
		errorAnswer(tt.op, tt.code, tt.msg, tt.status)
		err := probe(pathStyle())
		if err == nil {
			t.Errorf("%s %s: probe passed", tt.op, tt.code)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %s: %q does not say %q", tt.op, tt.code, err, w)
			}
		}
	}
	r.setHook(nil)

	// No credentials anywhere.
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	err := probe(pathStyle())
	if err == nil || !strings.Contains(err.Error(), "no usable AWS credentials") {
		t.Errorf("without credentials: %v", err)
	}
	// Keys in the configuration serve instead.
	cfg := pathStyle()
	cfg["access_key_id"], cfg["secret_access_key"] = testAccessKey, testSecretKey
	if err := probe(cfg); err != nil {
		t.Errorf("with keys in the configuration: %v", err)
	}
}

func TestOpenValidatesConfig(t *testing.T) {
	awsEnv(t, "")
	bad := []struct {
		cfg  connector.Config
		want string
	}{
		{connector.Config{"regions": "eu-west-1,Ireland"}, "not a Region name"},
		{connector.Config{"access_key_id": testAccessKey}, "both the access key id and the secret"},
		{connector.Config{"access_key_id": testAccessKey, "secret_access_key": "x", "profile": "audit"}, "either access keys or a profile"},
		{connector.Config{"role_arn": "arn:aws:iam::111122223333:user/bob"}, "not an IAM role ARN"},
		{connector.Config{"external_id": "x"}, "only used to assume a role"},
		{connector.Config{"home_region": "europe"}, "home_region"},
		{connector.Config{"endpoint_url": "ftp://example.com"}, "endpoint_url"},
		{connector.Config{"s3_use_path_style": "maybe"}, "s3_use_path_style"},
		{connector.Config{"profile": "no-such-profile"}, "no-such-profile"},
	}
	for _, tt := range bad {
		_, err := Registration().Open(context.Background(), tt.cfg, connectortest.NewRuntime(now))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.cfg, err, tt.want)
		}
	}
	c, err := Registration().Open(context.Background(), connector.Config{"regions": "all"}, connectortest.NewRuntime(now))
	if err != nil || c.(*conn).want != nil {
		t.Errorf("regions=all: %v", err)
	}
	c, err = Registration().Open(context.Background(), connector.Config{"regions": "eu-west-1, us-east-1\neu-west-1"}, connectortest.NewRuntime(now))
	if err != nil || strings.Join(c.(*conn).want, " ") != "eu-west-1 us-east-1" {
		t.Errorf("regions list: %v %v", err, c)
	}
}

// A profile of the shared config selects the credentials and Region.
func TestSharedConfigProfile(t *testing.T) {
	r, rt := setup(t)
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_REGION")
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile audit]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := fmt.Sprintf("[audit]\naws_access_key_id = %s\naws_secret_access_key = %s\n", testAccessKey, testSecretKey)
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := pathStyle()
	cfg["profile"] = "audit"
	cfg["regions"] = "eu-west-1"
	em, err := connectortest.List(t, fast(), cfg, rt, "aws.rds.cluster")
	if err != nil || len(em.Resources) != 1 {
		t.Fatalf("%v, %d", err, len(em.Resources))
	}
	for _, c := range r.Calls() {
		if c.Service == "sts" && c.Region != "eu-west-1" {
			t.Errorf("STS signed for %s, not the profile's Region", c.Region)
		}
	}
}

func TestThrottled(t *testing.T) {
	resp := func(status int, header http.Header, body string) *http.Response {
		if header == nil {
			header = http.Header{}
		}
		return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
	}
	tests := []struct {
		name string
		resp *http.Response
		want bool
	}{
		{"query throttling", resp(400, nil, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`), true},
		{"ec2 limit", resp(503, nil, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>`), true},
		{"json type", resp(400, nil, `{"__type":"com.amazonaws.kms#ThrottlingException","message":"Rate exceeded"}`), true},
		{"rest-json header", resp(429, http.Header{"X-Amzn-Errortype": {"TooManyRequestsException:http://internal.amazon.com/"}}, `{}`), true},
		{"s3 slow down", resp(503, nil, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`), true},
		{"access denied", resp(403, nil, `<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>`), false},
		{"success", resp(200, nil, `<Code>Throttling</Code>`), false},
	}
	for _, tt := range tests {
		_, got := Throttled(tt.resp, now)
		if got != tt.want {
			t.Errorf("%s: throttled = %v", tt.name, got)
		}
		if tt.resp.StatusCode != 200 {
			rest := new(bytes.Buffer)
			rest.ReadFrom(tt.resp.Body)
			if rest.Len() == 0 && tt.name != "rest-json header" {
				t.Errorf("%s: the body was not put back", tt.name)
			}
		}
	}
}

// TestPermissions keeps the policy of docs/connectors/aws.md exactly the
// actions the connector uses, and checks that every operation the replay
// saw is one of them.
func TestPermissions(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/connectors/aws.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(doc, []byte("```json\n"))
	end := bytes.Index(doc[start+8:], []byte("```"))
	if start < 0 || end < 0 {
		t.Fatal("docs/connectors/aws.md has no ```json policy block")
	}
	var policy struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal(doc[start+8:start+8+end], &policy); err != nil {
		t.Fatalf("the policy is not JSON: %v", err)
	}
	var actions []string
	for _, s := range policy.Statement {
		if s.Effect != "Allow" || s.Resource != "*" {
			t.Errorf("statement %v: want Allow on *", s)
		}
		actions = append(actions, s.Action...)
	}
	sort.Strings(actions)
	if strings.Join(actions, "\n") != strings.Join(Permissions, "\n") {
		t.Errorf("the documented policy lists\n%s\nthe connector uses\n%s", strings.Join(actions, " "), strings.Join(Permissions, " "))
	}
	r, rt := setup(t)
	listAll(t, fast(), pathStyle(), rt)
	used := map[string]bool{}
	for _, a := range Permissions {
		used[a] = false
	}
	ids := map[string]string{"iam": "IAM", "s3": "S3", "s3control": "S3 Control", "cloudtrail": "CloudTrail", "rds": "RDS", "ec2": "EC2",
		"kms": "KMS", "guardduty": "GuardDuty", "config": "Config Service", "elasticloadbalancing": "Elastic Load Balancing v2"}
	for _, op := range r.operationsCalled() {
		svc, name, _ := strings.Cut(op, ":")
		if svc == "sts" {
			continue
		}
		a := Action(ids[svc], name)
		if _, ok := used[a]; !ok {
			t.Errorf("the replay saw %s, allowed by %s, which the policy lacks", op, a)
		}
		used[a] = true
	}
	for a, u := range used {
		if !u {
			t.Errorf("the policy grants %s, which no listing used", a)
		}
	}
}

// TestDocsListEveryField keeps docs/connectors/aws.md in step with the
// declarations.
func TestDocsListEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/connectors/aws.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range Registration().Resources {
		if !bytes.Contains(doc, []byte("`"+rt.Name+"`")) {
			t.Errorf("docs/connectors/aws.md has no section for %s", rt.Name)
		}
		for _, f := range rt.Fields {
			if !bytes.Contains(doc, []byte("| `"+f.Name+"` | "+f.Type+" |")) {
				t.Errorf("docs/connectors/aws.md does not list %s.%s (%s)", rt.Name, f.Name, f.Type)
			}
		}
	}
	for _, f := range Registration().Fields {
		if !bytes.Contains(doc, []byte("| `"+f.Name+"` |")) {
			t.Errorf("docs/connectors/aws.md does not list the config field %s", f.Name)
		}
	}
}

// TestS3CompatibleEndpoint lists buckets from a real S3-compatible server
// (versitygw in CI) through AWS_ENDPOINT_URL_S3: no code or configuration
// change but path-style addressing. What the server does not implement is
// reported unknown with the reason; the rest are values.
func TestS3CompatibleEndpoint(t *testing.T) {
	r := newReplay(t) // STS only: who the credentials are
	r.anyKey = true
	awsEnv(t, "")
	loc := blobtest.NewBucket(t, true) // object lock, hence versioning; puts the server's keys in the environment
	t.Setenv("AWS_ENDPOINT_URL_S3", loc.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL_STS", r.URL())
	em, err := connectortest.List(t, fast(), pathStyle(), connectortest.NewRuntime(now), "aws.s3.bucket")
	if err != nil || len(em.Failed) > 0 {
		t.Fatalf("err %v, failed %v", err, em.Failed)
	}
	a := em.ByID(t, "arn:aws:s3:::"+loc.Bucket).Attributes
	if err := awstypes.S3Bucket().Check(a); err != nil {
		t.Error(err)
	}
	if a["object_lock_enabled"] != true || a["versioning"].(map[string]any)["enabled"] != true || a["name"] != loc.Bucket {
		t.Errorf("bucket = %v", a)
	}
	t.Logf("unknown on this server: %v", a[awstypes.Unknown])
}
