package terraform

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
//	go test ./internal/connector/terraform -run TestGolden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// secrets are every secret value in testdata/states: none may appear in
// what is emitted or recorded.
var secrets = []string{
	"S3cr3t-DB-Passw0rd!", "Rep0rting-Pa55", "Clust3r-Pa55", // aws_db_instance.password, aws_rds_cluster.master_password
	"r4nd0m-Pa55-w0rd", "EXAMPLEbcryptHASH", // random_password result and bcrypt_hash; a sensitive output
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "BAsmtpSECRETexample", // access key secret (unmarked), SMTP password
	"wcBMA0CryptedLoginPassword", // aws_iam_user_login_profile.encrypted_password
}

func statesConfig() connector.Config { return connector.Config{"paths": "testdata/states"} }

// listAll runs every resource type's listing over cfg.
func listAll(t *testing.T, cfg connector.Config, rt *connectortest.Runtime) map[string]*connectortest.Emitter {
	t.Helper()
	out := map[string]*connectortest.Emitter{}
	for _, typ := range Registration().Resources {
		em, err := connectortest.List(t, Registration(), cfg, rt, typ.Name)
		if err != nil {
			t.Fatalf("list %s: %v", typ.Name, err)
		}
		out[typ.Name] = em
	}
	return out
}

func TestRegistrationIsValid(t *testing.T) {
	if err := Registration().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestGolden compares every resource type's output over the test states
// with testdata/golden/<type>.json.
func TestGolden(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	for name, em := range all {
		type golden struct {
			ExternalID string         `json:"external_id"`
			Name       string         `json:"name"`
			Scope      string         `json:"scope"`
			Attributes map[string]any `json:"attributes"`
		}
		var got []golden
		for _, r := range em.Resources {
			got = append(got, golden{r.ExternalID, r.Name, r.Scope, r.Attributes})
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

// TestSharedTypesFollowDeclarations checks every aws.* resource against
// its awstypes declaration, so the aws connector's output can be held to
// the same test.
func TestSharedTypesFollowDeclarations(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	for _, typ := range awstypes.Types() {
		em := all[typ.Name]
		if em == nil || len(em.Resources) == 0 {
			t.Errorf("no %s emitted from the test states", typ.Name)
			continue
		}
		for _, r := range em.Resources {
			if err := typ.Check(r.Attributes); err != nil {
				t.Errorf("%s %s: %v", typ.Name, r.ExternalID, err)
			}
		}
	}
	for _, rt := range Registration().Resources {
		for _, r := range all[rt.Name].Resources {
			if err := connector.CheckConvention(rt, r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
		}
	}
}

func TestS3JoinsSplitConfiguration(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	buckets := all["aws.s3.bucket"]
	if n := len(buckets.Resources); n != 5 {
		t.Fatalf("%d buckets, want 5", n)
	}

	trail := buckets.ByID(t, "arn:aws:s3:::acme-prod-cloudtrail")
	a := trail.Attributes
	if a["terraform_address"] != "module.audit.aws_s3_bucket.trail" || trail.Scope != filepath.Join("testdata", "states", "prod", "terraform.tfstate") {
		t.Errorf("address %v, scope %s", a["terraform_address"], trail.Scope)
	}
	// The separate encryption resource (aws:kms) wins over the refreshed inline block (AES256).
	enc := a["encryption"].(map[string]any)
	if enc["sse_algorithm"] != "aws:kms" || enc["bucket_key_enabled"] != true ||
		enc["kms_master_key_id"] != "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" {
		t.Errorf("encryption = %v", enc)
	}
	if v := a["versioning"].(map[string]any); v["status"] != "Enabled" || v["enabled"] != true || v["mfa_delete"] != false {
		t.Errorf("versioning = %v", v)
	}
	pab := a["public_access_block"].(map[string]any)
	for _, k := range []string{"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"} {
		if pab[k] != true {
			t.Errorf("public_access_block.%s = %v", k, pab[k])
		}
	}
	if l := a["logging"].(map[string]any); l["enabled"] != true || l["target_bucket"] != "acme-prod-access-logs" || l["target_prefix"] != "cloudtrail/" {
		t.Errorf("logging = %v", l)
	}
	if src := a["sources"].(map[string]any); src["encryption"] != "module.audit.aws_s3_bucket_server_side_encryption_configuration.trail" {
		t.Errorf("sources = %v", src)
	}

	// for_each bucket in a module instance: separate versioning and public access block, inline encryption.
	uploads := buckets.ByID(t, "arn:aws:s3:::acme-prod-app-uploads").Attributes
	if uploads["terraform_address"] != `module.buckets["app"].aws_s3_bucket.this["uploads"]` {
		t.Errorf("address = %v", uploads["terraform_address"])
	}
	if v := uploads["versioning"].(map[string]any); v["status"] != "Suspended" || v["enabled"] != false {
		t.Errorf("uploads versioning = %v", v)
	}
	if p := uploads["public_access_block"].(map[string]any); p["block_public_policy"] != false || p["block_public_acls"] != true {
		t.Errorf("uploads public access block = %v", p)
	}
	if e := uploads["encryption"].(map[string]any); e["sse_algorithm"] != "AES256" || e["enabled"] != true {
		t.Errorf("uploads encryption = %v", e)
	}

	// No public access block anywhere: unknown with a reason, not false.
	assets := buckets.ByID(t, "arn:aws:s3:::acme-prod-app-assets").Attributes
	if assets["public_access_block"] != nil || assets["unknown"].(map[string]any)["public_access_block"] == nil {
		t.Errorf("assets public access block = %v, unknown = %v", assets["public_access_block"], assets["unknown"])
	}
	if assets["unknown"].(map[string]any)["versioning.status"] == nil {
		t.Errorf("inline enabled=false cannot tell Suspended from never enabled: %v", assets["unknown"])
	}

	// Provider 3 inline blocks.
	backups := buckets.ByID(t, "arn:aws:s3:::acme-legacy-backups").Attributes
	if e := backups["encryption"].(map[string]any); e["sse_algorithm"] != "aws:kms" {
		t.Errorf("legacy encryption = %v", e)
	}
	if v := backups["versioning"].(map[string]any); v["status"] != "Enabled" {
		t.Errorf("legacy versioning = %v", v)
	}
	if l := backups["logging"].(map[string]any); l["target_bucket"] != "acme-legacy-logs" {
		t.Errorf("legacy logging = %v", l)
	}
	oldLogs := buckets.ByID(t, "arn:aws:s3:::acme-legacy-logs").Attributes
	if e := oldLogs["encryption"].(map[string]any); e["enabled"] != false {
		t.Errorf("a bucket whose refreshed encryption block is empty has no default encryption: %v", e)
	}
	if l := oldLogs["logging"].(map[string]any); l["enabled"] != false {
		t.Errorf("logging = %v", l)
	}
}

func TestSecurityGroupRules(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	groups := all["aws.ec2.security_group"]
	open := func(id string) []string {
		var out []string
		for _, p := range groups.ByID(t, id).Attributes["world_open_ports"].([]any) {
			m := p.(map[string]any)
			out = append(out, m["ip_protocol"].(string)+"/"+itoa64(m["from_port"])+"-"+itoa64(m["to_port"]))
		}
		return out
	}
	// web: inline 80 and 443 (v4 and v6) plus a separate ingress rule for 80 that the refreshed inline block repeats.
	web := groups.ByID(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0web000000000000a")
	if got := open(web.ExternalID); strings.Join(got, " ") != "tcp/80-80 tcp/443-443" {
		t.Errorf("web world open = %v", got)
	}
	if n := len(web.Attributes["ingress_rules"].([]any)); n != 4 { // 80 v4, 443 v4, 443 v6, 22 from 10/8
		t.Errorf("web has %d ingress rules, want 4 (the repeated port 80 rule once)", n)
	}
	// db: rules only in separate resources, one of them SSH from anywhere; protocol "6" is tcp.
	db := "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0db0000000000000b"
	if got := open(db); strings.Join(got, " ") != "tcp/22-22" {
		t.Errorf("db world open = %v", got)
	}
	rules := groups.ByID(t, db).Attributes["ingress_rules"].([]any)
	var fromWeb bool
	for _, r := range rules {
		m := r.(map[string]any)
		if m["ip_protocol"] != "tcp" {
			t.Errorf("protocol not normalized: %v", m)
		}
		fromWeb = fromWeb || m["referenced_group_id"] == "sg-0web000000000000a"
	}
	if !fromWeb || len(rules) != 3 {
		t.Errorf("db ingress = %v", rules)
	}
	if eg := groups.ByID(t, db).Attributes["egress_rules"].([]any); len(eg) != 1 || eg[0].(map[string]any)["to_port"] != int64(65535) {
		t.Errorf("db egress = %v", eg)
	}
	// legacy_all: protocol -1 from 0.0.0.0/0 opens every port; the self rule references the group itself.
	if got := open("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0legacy0000000000"); strings.Join(got, " ") != "-1/0-65535" {
		t.Errorf("legacy world open = %v", got)
	}
}

func itoa64(v any) string {
	n, _ := toInt(v)
	return strconv.FormatInt(n, 10)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestIAMUsers(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	users := all["aws.iam.user"]
	alice := users.ByID(t, "arn:aws:iam::111122223333:user/alice").Attributes
	if alice["email"] != "alice.martin@example.com" || alice["console_access"] != true || alice["admin_policy_attached"] != false {
		t.Errorf("alice = %v", alice)
	}
	bob := users.ByID(t, "arn:aws:iam::111122223333:user/bob").Attributes
	if bob["admin_policy_attached"] != true || jsonString(bob["groups"]) != `["ops"]` || bob["console_access"] != false {
		t.Errorf("bob, admin through group ops: %v", bob)
	}
	deploy := users.ByID(t, "arn:aws:iam::111122223333:user/ci/deploy").Attributes
	keys := deploy["access_keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["access_key_id"] != "AKIAIOSFODNN7EXAMPLE" ||
		keys[0].(map[string]any)["created_at"] != "2021-03-04T10:20:30Z" {
		t.Errorf("deploy keys = %v", keys)
	}
	if deploy["email"] != nil || deploy["unknown"].(map[string]any)["mfa_enabled"] == nil {
		t.Errorf("deploy = %v", deploy)
	}
	if jsonString(deploy["inline_policy_names"]) != `["deploy-artifacts"]` {
		t.Errorf("inline policies = %v", deploy["inline_policy_names"])
	}
}

func TestOtherTypes(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	main := all["aws.rds.instance"].ByID(t, "arn:aws:rds:eu-west-1:111122223333:db:main").Attributes
	if main["storage_encrypted"] != true || main["backup_retention_period"] != int64(7) || main["multi_az"] != true ||
		main["publicly_accessible"] != false || main["deletion_protection"] != true || main["region"] != "eu-west-1" ||
		main["account_id"] != "111122223333" {
		t.Errorf("main = %v", main)
	}
	rep := all["aws.rds.instance"].ByID(t, "arn:aws:rds:eu-west-1:111122223333:db:reporting-0").Attributes
	if rep["terraform_address"] != "aws_db_instance.reporting[0]" || rep["storage_encrypted"] != false || rep["kms_key_id"] != "" {
		t.Errorf("reporting = %v", rep)
	}
	aurora := all["aws.rds.instance"].ByID(t, "arn:aws:rds:eu-west-1:111122223333:db:analytics-1").Attributes
	if aurora["backup_retention_period"] != int64(14) || aurora["db_cluster_identifier"] != "analytics" {
		t.Errorf("an Aurora instance takes backup retention from its cluster: %v", aurora)
	}
	cluster := all["aws.rds.cluster"].ByID(t, "arn:aws:rds:eu-west-1:111122223333:cluster:analytics").Attributes
	if jsonString(cluster["members"]) != `["analytics-0","analytics-1"]` || cluster["storage_encrypted"] != true {
		t.Errorf("cluster = %v", cluster)
	}
	trail := all["aws.cloudtrail.trail"].ByID(t, "arn:aws:cloudtrail:eu-west-1:111122223333:trail/acme-prod").Attributes
	if trail["is_multi_region_trail"] != true || trail["log_file_validation_enabled"] != true || trail["is_logging"] != nil ||
		!strings.Contains(trail["unknown"].(map[string]any)["is_logging"].(string), "enable_logging = true") {
		t.Errorf("trail = %v", trail)
	}
	logs := all["aws.kms.key"].ByID(t, "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab").Attributes
	if logs["key_rotation_enabled"] != true || logs["rotation_period_in_days"] != int64(365) {
		t.Errorf("kms = %v", logs)
	}
	old := all["aws.kms.key"].ByID(t, "arn:aws:kms:us-east-1:111122223333:key/9abc0def-9abc-0def-9abc-0def9abc0def").Attributes
	if old["key_rotation_enabled"] != false || old["unknown"].(map[string]any)["rotation_period_in_days"] == nil {
		t.Errorf("legacy kms = %v", old)
	}
	vol := all["aws.ec2.volume"].ByID(t, "arn:aws:ec2:eu-west-1:111122223333:volume/vol-0data00000000000a").Attributes
	if vol["encrypted"] != true || jsonString(vol["attached_instance_ids"]) != `["i-0web0000000000001"]` || vol["size_gib"] != int64(200) {
		t.Errorf("volume = %v", vol)
	}
	if v := all["aws.ec2.volume"].ByID(t, "arn:aws:ec2:eu-west-1:111122223333:volume/vol-0scratch000000000").Attributes; v["encrypted"] != false {
		t.Errorf("scratch = %v", v)
	}
}

func TestGenericAndStateResources(t *testing.T) {
	all := listAll(t, statesConfig(), connectortest.NewRuntime(now))
	generic := all["terraform.resource"]
	var types []string
	for _, r := range generic.Resources {
		types = append(types, r.Attributes["type"].(string))
	}
	sort.Strings(types)
	// Unknown types are kept; data sources and the types folded into aws.* are not.
	want := "aws_iam_group aws_iam_group_membership aws_iam_group_policy_attachment aws_instance random_password"
	if strings.Join(types, " ") != want {
		t.Errorf("generic types = %v, want %s", types, want)
	}
	inst := generic.ByID(t, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0web0000000000001")
	if inst.Attributes["provider"] != `provider["registry.terraform.io/hashicorp/aws"]` ||
		inst.Attributes["attributes"].(map[string]any)["instance_type"] != "t3.small" {
		t.Errorf("aws_instance = %v", inst.Attributes)
	}
	pw := generic.ByID(t, "terraform:7f3c2a9e-4b1d-4e6a-9c8f-2d5e1a0b3c4d:random_password.db")
	if jsonString(pw.Attributes["sensitive_paths"]) != `["bcrypt_hash","result"]` ||
		pw.Attributes["attributes"].(map[string]any)["result"] != nil {
		t.Errorf("random_password = %v", pw.Attributes)
	}

	states := all["terraform.state"]
	if len(states.Resources) != 3 {
		t.Fatalf("%d states, want 3 (.terraform is skipped)", len(states.Resources))
	}
	prod := states.ByID(t, filepath.Join("testdata", "states", "prod", "terraform.tfstate")).Attributes
	if prod["data_sources"] != int64(1) || prod["serial"] != int64(42) || prod["terraform_version"] != "1.9.8" ||
		jsonString(prod["sensitive_outputs"]) != `["db_master_password"]` || prod["outputs"].(map[string]any)["db_master_password"] != nil {
		t.Errorf("prod state = %v", prod)
	}
}

func TestNoSecretIsEmittedOrRecorded(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	all := listAll(t, statesConfig(), rt)
	var emitted []byte
	for _, em := range all {
		b, err := json.Marshal(em.Resources)
		if err != nil {
			t.Fatal(err)
		}
		emitted = append(emitted, b...)
	}
	calls := rt.Calls()
	if len(calls) == 0 {
		t.Fatal("nothing recorded")
	}
	for _, s := range secrets {
		if bytes.Contains(emitted, []byte(s)) {
			t.Errorf("secret %q emitted", s)
		}
		for _, c := range calls {
			if bytes.Contains(c.Body, []byte(s)) {
				t.Errorf("secret %q recorded in the body of %s %s", s, c.Observation.Method, c.Observation.Path)
			}
		}
	}
	// The recorded copy is still the state, with the secret replaced.
	for _, c := range calls {
		if strings.HasSuffix(c.Observation.Path, "network.tfstate") {
			if !bytes.Contains(c.Body, []byte(`"password": "`+redactedMarker+`"`)) || !bytes.Contains(c.Body, []byte(`"lineage": "0b7e6a1c`)) {
				t.Errorf("recorded body is not the redacted state:\n%.400s", c.Body)
			}
		}
	}
}

func TestProvenance(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	em, err := connectortest.List(t, Registration(), statesConfig(), rt, "aws.s3.bucket")
	if err != nil {
		t.Fatal(err)
	}
	calls := rt.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d observations, want one READ per state file", len(calls))
	}
	byPath := map[string]connector.CallRef{}
	for _, c := range calls {
		if c.Observation.Method != "READ" || c.Observation.Host != "localhost" {
			t.Errorf("observation %+v", c.Observation)
		}
		byPath[c.Observation.Path] = c.Ref
	}
	for _, r := range em.Resources {
		if len(r.Calls) != 1 || r.Calls[0] != byPath[r.Scope] {
			t.Errorf("%s: calls %v, want the read of %s (%v)", r.ExternalID, r.Calls, r.Scope, byPath[r.Scope])
		}
	}
}

func TestAddress(t *testing.T) {
	n := json.Number("3")
	tests := []struct {
		module, mode, typ, name string
		key                     any
		want                    string
	}{
		{"", "managed", "aws_s3_bucket", "b", nil, "aws_s3_bucket.b"},
		{"", "managed", "aws_s3_bucket", "b", n, "aws_s3_bucket.b[3]"},
		{"module.a", "managed", "aws_s3_bucket", "b", "x", `module.a.aws_s3_bucket.b["x"]`},
		{`module.a["k"].module.b[0]`, "data", "aws_iam_policy_document", "d", nil, `module.a["k"].module.b[0].data.aws_iam_policy_document.d`},
	}
	for _, tt := range tests {
		if got := address(tt.module, tt.mode, tt.typ, tt.name, tt.key); got != tt.want {
			t.Errorf("address = %s, want %s", got, tt.want)
		}
	}
}

func TestBadSources(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	cfg := connector.Config{"paths": "testdata/v3.tfstate, testdata/truncated.tfstate, testdata/missing.tfstate, testdata/states/network.tfstate"}
	em, err := connectortest.List(t, Registration(), cfg, rt, "aws.ec2.volume")
	if err != nil {
		t.Fatalf("one good state should keep the listing alive: %v", err)
	}
	if len(em.Resources) != 2 {
		t.Errorf("%d volumes from the good state, want 2", len(em.Resources))
	}
	wants := map[string]string{
		"testdata/v3.tfstate":        "state format version 3 is not supported",
		"testdata/truncated.tfstate": "cannot parse state",
		"testdata/missing.tfstate":   "no such file or directory",
	}
	for scope, want := range wants {
		if err := em.Failed[scope]; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("scope %s failed with %v, want %q", scope, err, want)
		}
	}
	for _, c := range rt.Calls() {
		if strings.HasSuffix(c.Observation.Path, "truncated.tfstate") && !bytes.HasPrefix(c.Body, []byte("(not kept")) {
			t.Errorf("an unparsable state is kept as read: %s", c.Body)
		}
	}

	// Nothing readable: the listing fails, and so does the probe.
	cfg = connector.Config{"paths": "testdata/v3.tfstate"}
	if _, err := connectortest.List(t, Registration(), cfg, connectortest.NewRuntime(now), "aws.ec2.volume"); err == nil {
		t.Error("listing with no readable state succeeded")
	}
	conn, err := Registration().Open(t.Context(), cfg, connectortest.NewRuntime(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Probe(t.Context()); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("probe = %v", err)
	}
	empty := t.TempDir()
	conn, _ = Registration().Open(t.Context(), connector.Config{"paths": empty}, connectortest.NewRuntime(now))
	if err := conn.Probe(t.Context()); err == nil || !strings.Contains(err.Error(), "no *.tfstate files") {
		t.Errorf("probe of an empty directory = %v", err)
	}
}

func TestOpenValidatesConfig(t *testing.T) {
	tests := []struct {
		cfg  connector.Config
		want string
	}{
		{connector.Config{}, "at least one"},
		{connector.Config{"urls": "ftp://x/y"}, "not an http"},
		{connector.Config{"urls": "https://u:p@x/y"}, "not in the URL"},
		{connector.Config{"urls": "https://x/y", "token": "t", "username": "u", "password": "p"}, "not both"},
		{connector.Config{"urls": "https://x/y", "username": "u"}, "both username and password"},
		{connector.Config{"paths": "/tmp", "token": "t"}, "only used for state URLs"},
	}
	for _, tt := range tests {
		_, err := Registration().Open(t.Context(), tt.cfg, connectortest.NewRuntime(now))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("open %v = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestHTTPState(t *testing.T) {
	state, err := os.ReadFile("testdata/states/network.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/state/network":
			if r.Header.Get("Authorization") != "Bearer s3cret-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write(state)
		case "/state/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	rt := connectortest.NewRuntime(now)
	cfg := connector.Config{"urls": srv.URL + "/state/network?sig=abc," + srv.URL + "/state/empty", "token": "s3cret-token"}
	em, err := connectortest.List(t, Registration(), cfg, rt, "aws.rds.instance")
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Resources) != 4 {
		t.Fatalf("%d DB instances, want 4", len(em.Resources))
	}
	scope := srv.URL + "/state/network"
	if r := em.ByID(t, "arn:aws:rds:eu-west-1:111122223333:db:main"); r.Scope != scope || len(r.Calls) != 1 {
		t.Errorf("scope %s (want %s, no query), calls %v", r.Scope, scope, r.Calls)
	}
	if err := em.Failed[srv.URL+"/state/empty"]; err == nil || !strings.Contains(err.Error(), "no state there yet") {
		t.Errorf("empty state: %v", err)
	}
	if auth[0] != "Bearer s3cret-token" {
		t.Errorf("Authorization = %q", auth[0])
	}
	var paths []string
	for _, c := range rt.Calls() {
		paths = append(paths, c.Observation.Method+" "+c.Observation.Path)
	}
	if strings.Join(paths, ",") != "GET /state/network,GET /state/empty" {
		t.Errorf("recorded %v", paths)
	}

	// Wrong credentials: the probe says so.
	conn, err := Registration().Open(t.Context(), connector.Config{"urls": srv.URL + "/state/network", "token": "wrong"}, connectortest.NewRuntime(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Probe(t.Context()); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the token") {
		t.Errorf("probe = %v", err)
	}
	conn, _ = Registration().Open(t.Context(), connector.Config{"urls": srv.URL + "/nothing", "username": "u", "password": "p"}, connectortest.NewRuntime(now))
	if err := conn.Probe(t.Context()); err == nil || !strings.Contains(err.Error(), "no state at this URL") {
		t.Errorf("probe = %v", err)
	}
	if auth[len(auth)-1] != "Basic dTpw" {
		t.Errorf("basic auth = %q", auth[len(auth)-1])
	}
}

func TestStatesAreReadOncePerRun(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	reg := Registration()
	conn, err := reg.Open(t.Context(), statesConfig(), rt)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range reg.Resources {
		if err := typ.List(t.Context(), conn, &connectortest.Emitter{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rt.Calls()); n != 3 {
		t.Errorf("%d reads for %d listings, want 3 (one per state file)", n, len(reg.Resources))
	}
}

func TestRedactFollowsSensitivePaths(t *testing.T) {
	attrs := map[string]any{
		"name":   "db",
		"tags":   map[string]any{"owner": "ops", "note": "keep"},
		"rule":   []any{map[string]any{"value": "plain"}, map[string]any{"value": "hidden"}},
		"nested": []any{map[string]any{"password": "p4ss", "user": "u"}},
	}
	raw := json.RawMessage(`[
		[{"type":"get_attr","value":"tags"},{"type":"index","value":{"value":"owner","type":"string"}}],
		[{"type":"get_attr","value":"rule"},{"type":"index","value":{"value":1,"type":"number"}},{"type":"get_attr","value":"value"}],
		[{"type":"get_attr","value":"missing"}]
	]`)
	out, removed := redact("example_thing", attrs, sensitivePaths(raw), nil)
	if jsonString(removed) != `["nested[0].password","rule[1].value","tags[\"owner\"]"]` {
		t.Errorf("removed = %v", removed)
	}
	if jsonString(out) != `{"name":"db","nested":[{"password":null,"user":"u"}],"rule":[{"value":"plain"},{"value":null}],"tags":{"note":"keep","owner":null}}` {
		t.Errorf("redacted = %s", jsonString(out))
	}
	if attrs["tags"].(map[string]any)["owner"] != "ops" {
		t.Error("redact changed its input")
	}
}

// TestDocsListEveryField keeps docs/connectors/terraform.md in step with
// the declarations.
func TestDocsListEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/connectors/terraform.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range Registration().Resources {
		if !bytes.Contains(doc, []byte("### `"+rt.Name+"`")) {
			t.Errorf("docs/connectors/terraform.md has no section for %s", rt.Name)
		}
		for _, f := range rt.Fields {
			if !bytes.Contains(doc, []byte("| `"+f.Name+"` | "+f.Type+" |")) {
				t.Errorf("docs/connectors/terraform.md does not list %s.%s (%s)", rt.Name, f.Name, f.Type)
			}
		}
	}
	for _, f := range Registration().Fields {
		if !bytes.Contains(doc, []byte("| `"+f.Name+"` |")) {
			t.Errorf("docs/connectors/terraform.md does not list the config field %s", f.Name)
		}
	}
}

// TestSameResourceInTwoStates keeps the first and emits each id once.
func TestSameResourceInTwoStates(t *testing.T) {
	cfg := connector.Config{"paths": "testdata/states/network.tfstate\ntestdata/states"}
	em, err := connectortest.List(t, Registration(), cfg, connectortest.NewRuntime(now), "aws.ec2.volume")
	if err != nil {
		t.Fatal(err)
	}
	if len(em.Resources) != 2 {
		t.Fatalf("%d volumes, want 2: each once", len(em.Resources))
	}
	if r := em.Resources[0]; r.Scope != "testdata/states/network.tfstate" {
		t.Errorf("scope %s, want the first state given", r.Scope)
	}
}
