package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/cli"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/host"
)

// The acceptance path on this machine: add the host integration, scan with
// --json, and get real host resources in which every fact that could not
// be determined says why.
func TestScanThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host connector reads Linux machines")
	}
	dir := t.TempDir()
	if r := run(t, "--data", dir, "integrations", "add", "--connector", "host", "--name", "this-host"); r.code != 0 || !strings.Contains(r.stdout, `Added integration "this-host"`) {
		t.Fatalf("add: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r := run(t, "--data", dir, "scan", "--json")
	if r.code != 0 {
		t.Fatalf("scan: %d %s", r.code, r.stderr)
	}
	var out struct {
		Runs []struct {
			ID            int64
			Status        string
			ResourceCount int `json:"resource_count"`
			Listings      []struct {
				ResourceType string `json:"resource_type"`
				Status       string
			}
			Resources []struct {
				Type       string
				ExternalID string `json:"external_id"`
				Attributes map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("scan --json is not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Runs) != 1 || out.Runs[0].Status != "succeeded" || len(out.Runs[0].Listings) != 10 {
		t.Fatalf("runs: %+v", out.Runs)
	}
	run0 := out.Runs[0]
	if len(run0.Resources) != run0.ResourceCount || run0.ResourceCount < 10 {
		t.Fatalf("%d resources printed, %d counted", len(run0.Resources), run0.ResourceCount)
	}
	reg := host.Registration()
	types := map[string]connector.ResourceType{}
	for _, rt := range reg.Resources {
		types[rt.Name] = rt
	}
	root := false
	for _, res := range run0.Resources {
		if err := connector.CheckConvention(types[res.Type], res.Attributes); err != nil {
			t.Errorf("%s %s: %v", res.Type, res.ExternalID, err)
		}
		if res.Type == "host.user" && res.ExternalID == "root" && res.Attributes["uid"] == float64(0) {
			root = true
		}
	}
	if !root {
		t.Fatal("the root account is not among the resources")
	}
	// Human output. (Whether a second scan finds nothing new depends on
	// what else runs on this machine: the collect tests check it.)
	r = run(t, "--data", dir, "scan")
	if r.code != 0 || !strings.Contains(r.stdout, "this-host (host): succeeded") || !strings.Contains(r.stdout, "host.user") {
		t.Fatalf("second scan: %s %s", r.stdout, r.stderr)
	}
	r = run(t, "--data", dir, "resources", "list", "--type", "host.machine", "--json")
	var machines []struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.stdout), &machines); err != nil || len(machines) != 1 {
		t.Fatalf("resources list: %s", r.stdout)
	}
	r = run(t, "--data", dir, "resources", "show", fmt.Sprint(machines[0].ID))
	if r.code != 0 || !strings.Contains(r.stdout, "uid0_accounts") || !strings.Contains(r.stdout, "raw: assure observations body") {
		t.Fatalf("resources show: %s %s", r.stdout, r.stderr)
	}
	var detail struct {
		Versions []struct {
			Observations []struct {
				ID      int64
				Path    string
				BodyURL string `json:"body_url"`
			}
		}
	}
	r = run(t, "--data", dir, "resources", "show", fmt.Sprint(machines[0].ID), "--json")
	if err := json.Unmarshal([]byte(r.stdout), &detail); err != nil || len(detail.Versions) != 1 || len(detail.Versions[0].Observations) == 0 {
		t.Fatalf("resources show --json: %s", r.stdout)
	}
	var osRelease int64
	for _, o := range detail.Versions[0].Observations {
		if o.Path == "/etc/os-release" {
			osRelease = o.ID
		}
	}
	r = run(t, "--data", dir, "observations", "body", fmt.Sprint(osRelease))
	want, _ := os.ReadFile("/etc/os-release")
	if r.code != 0 || r.stdout != string(want) {
		t.Fatalf("raw body of /etc/os-release: %q", r.stdout)
	}
	if r := run(t, "--data", dir, "runs", "list"); r.code != 0 || strings.Count(r.stdout, "this-host:") != 2 {
		t.Fatalf("runs list: %s", r.stdout)
	}
	if r := run(t, "--data", dir, "integrations", "test", "this-host"); r.code != 0 || !strings.Contains(r.stdout, "the connection works") {
		t.Fatalf("test: %s %s", r.stdout, r.stderr)
	}
}

func TestIntegrationsLifecycle(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "--data", dir, "scan"); r.code != 1 || !strings.Contains(r.stderr, "no enabled integration to scan") {
		t.Fatalf("scan without integrations: %d %s", r.code, r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "add", "--name", "x"); r.code != 2 {
		t.Fatalf("add without connector: %d", r.code)
	}
	if r := run(t, "--data", dir, "integrations", "add", "--connector", "nope", "--name", "x"); r.code != 1 || !strings.Contains(r.stderr, `unknown connector "nope" (available: host`) {
		t.Fatalf("unknown connector: %s", r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "add", "--connector", "host", "--name", "h", "--config", "colour=red"); r.code != 1 || !strings.Contains(r.stderr, `no configuration field "colour"`) {
		t.Fatalf("unknown field: %s", r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "add", "--connector", "host", "--name", "h", "--config", "run_commands=false", "--interval", "6h"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "add", "--connector", "host", "--name", "h"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate: %s", r.stderr)
	}
	r := run(t, "--data", dir, "integrations", "show", "h", "--json")
	var in struct {
		Name     string
		Enabled  bool
		Interval string
		Config   map[string]string
		Health   string
	}
	if err := json.Unmarshal([]byte(r.stdout), &in); err != nil || in.Interval != "6h0m0s" || in.Config["run_commands"] != "false" || in.Health != "never collected" {
		t.Fatalf("show: %s %v", r.stdout, err)
	}
	if r := run(t, "--data", dir, "integrations", "edit", "h", "--name", "box", "--unset", "run_commands"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "disable", "box"); r.code != 0 || !strings.Contains(r.stdout, "disabled") {
		t.Fatal(r.stderr)
	}
	if r := run(t, "--data", dir, "scan", "--integration", "box"); r.code != 1 || !strings.Contains(r.stdout+r.stderr, "disabled") {
		t.Fatalf("scan of a disabled integration: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "enable", "box"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = run(t, "--data", dir, "integrations", "list")
	if !strings.Contains(r.stdout, "box") || !strings.Contains(r.stdout, "NEXT RUN DUE") {
		t.Fatalf("list: %s", r.stdout)
	}
	if r := run(t, "--data", dir, "integrations", "remove", "box"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run(t, "--data", dir, "integrations", "show", "box"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("removed: %s", r.stderr)
	}
	r = run(t, "--data", dir, "connectors", "list", "--json")
	var cs []struct {
		ID            string
		ResourceTypes []struct{ Name string } `json:"resource_types"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		t.Fatalf("connectors: %s", r.stdout)
	}
	hostTypes := -1
	for _, c := range cs {
		if c.ID == "host" {
			hostTypes = len(c.ResourceTypes)
		}
	}
	if hostTypes != 10 {
		t.Fatalf("connectors list: the host connector with its 10 types is missing: %s", r.stdout)
	}
}

// A connector with a secret, over a fake API that echoes its token back.
const cliToken = "cli-S3CRET-token-value-42"

func secretConnector(base string) connector.Registration {
	type conn struct {
		c   *http.Client
		hdr http.Header
	}
	return connector.Registration{
		ID: "echo", Name: "Echo", Category: connector.CategoryOther, Description: "Echoes its token.",
		Fields: []connector.ConfigField{
			{Name: "url", Label: "URL", Type: connector.FieldURL, Required: true, Help: "Where."},
			{Name: "token", Label: "Token", Type: connector.FieldString, Required: true, Secret: true, Help: "The token."},
		},
		Open: func(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
			return &echoConn{c: rt.HTTPClient(), url: cfg.String("url"), token: cfg.String("token")}, nil
		},
		Resources: []connector.ResourceType{{Name: "echo.item", Description: "Items.", Fields: []connector.Field{{Name: "note", Type: "string"}},
			List: connector.As(func(ctx context.Context, c *echoConn, out connector.Emitter) error {
				var items []map[string]any
				if _, err := connector.GetJSON(ctx, c.c, c.url+"/items?token="+c.token, http.Header{"Authorization": {"Bearer " + c.token}}, &items); err != nil {
					return err
				}
				for _, it := range items {
					if err := out.Emit(ctx, connector.Resource{ExternalID: fmt.Sprint(it["id"]), Attributes: it}); err != nil {
						return err
					}
				}
				out.FailScope("page-2", fmt.Errorf("second page refused for token %s", c.token))
				return nil
			})}},
	}
}

type echoConn struct {
	c          *http.Client
	url, token string
}

func (c *echoConn) Probe(ctx context.Context) error { return nil }
func (c *echoConn) Close() error                    { return nil }

// No secret value appears in CLI output (stdout or stderr, where the logs
// go), whichever command prints the integration, its runs or resources.
func TestCLINeverPrintsSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `[{"id":"1","note":"seen %s"}]`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	opts := app.Options{Connectors: []connector.Registration{secretConnector(srv.URL)}}
	dir := t.TempDir()
	var all bytes.Buffer
	runS := func(stdin string, args ...string) result {
		var out, errb bytes.Buffer
		code := cli.RunWith(context.Background(), opts, append([]string{"--data", dir, "--log-level", "debug"}, args...), strings.NewReader(stdin), &out, &errb)
		all.Write(out.Bytes())
		all.Write(errb.Bytes())
		return result{code, out.String(), errb.String()}
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(cliToken+"\n"), 0o600)
	if r := runS("", "integrations", "add", "--connector", "echo", "--name", "e1", "--config", "url="+srv.URL, "--config", "token=@"+tokenFile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runS(cliToken+"\n", "integrations", "add", "--connector", "echo", "--name", "e2", "--config", "url="+srv.URL, "--config", "token=@-", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"secret_fields": [`) {
		t.Fatalf("add from stdin: %s %s", r.stdout, r.stderr)
	}
	r := runS("", "scan", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"status": "partial"`) {
		t.Fatalf("scan: %d %s %s", r.code, r.stdout, r.stderr)
	}
	runS("", "scan")
	runS("", "integrations", "list", "--json")
	runS("", "integrations", "show", "e1")
	runS("", "integrations", "show", "e2", "--json")
	runS("", "integrations", "test", "e1", "--json")
	runS("", "resources", "list", "--json")
	runS("", "resources", "show", "1", "--json")
	runS("", "runs", "list", "--json")
	runS("", "runs", "show", "1", "--json")
	runS("", "runs", "show", "1")
	runS("", "connectors", "list")
	for i := 1; i <= 4; i++ {
		runS("", "observations", "body", fmt.Sprint(i))
	}
	if strings.Contains(all.String(), cliToken) || strings.Contains(all.String(), "S3CRET") {
		t.Fatalf("a secret value was printed:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "seen Bearer [redacted]") || !strings.Contains(all.String(), "second page refused for token [redacted]") {
		t.Fatalf("the test did not reach the places a secret would show:\n%s", all.String())
	}
	// The key was generated on first need, private to its owner.
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", st, err)
	}
	// A lost key file is not silently replaced, and another key is refused,
	// each with the way out rather than a cryptic failure.
	os.Rename(filepath.Join(dir, "secret.key"), filepath.Join(dir, "old.key"))
	r = runS("", "scan", "--integration", "e1")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "secret.key is missing, but this installation has integration secrets sealed with it") {
		t.Fatalf("a lost key: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err == nil {
		t.Fatal("a new key was generated over the lost one")
	}
	t.Setenv("ASSURE_SECRET_KEY", "q0mYy0sQ3C7Gx5s0mJ0xg4y1jv6r8o0fUu7cR2mZ6Xk=")
	r = runS("", "scan", "--integration", "e1")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "the secret key from ASSURE_SECRET_KEY is not the key this installation's integration secrets were sealed with") {
		t.Fatalf("a different key: %d %s %s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("ASSURE_SECRET_KEY", "")
	t.Setenv("ASSURE_SECRET_KEY_FILE", filepath.Join(dir, "old.key"))
	if r := runS("", "scan", "--integration", "e1"); r.code != 0 {
		t.Fatalf("the original key from a file: %s %s", r.stdout, r.stderr)
	}
}
