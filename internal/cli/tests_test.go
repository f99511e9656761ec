package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/cli"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/host"
)

// fixtureMachine is a copy of the host connector's "bare" machine whose
// sshd_config the test rewrites.
func fixtureMachine(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "machine")
	if out, err := exec.Command("cp", "-r", "../connector/host/testdata/bare", root).CombinedOutput(); err != nil {
		t.Fatalf("copy the fixture machine: %v %s", err, out)
	}
	return root
}

func setPasswordLogin(t *testing.T, root, value string) {
	t.Helper()
	cfg := "Port 22\nPasswordAuthentication " + value + "\n"
	if err := os.WriteFile(filepath.Join(root, "etc/ssh/sshd_config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostCLI runs the command line with the host connector reading root, and
// a clock the test moves.
type hostCLI struct {
	t    *testing.T
	dir  string
	opts app.Options
	now  time.Time
}

func newHostCLI(t *testing.T, root string) *hostCLI {
	uid := 0
	c := &hostCLI{t: t, dir: t.TempDir(), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	noCommands := func(context.Context, string, ...string) ([]byte, int, error) { return nil, 0, exec.ErrNotFound }
	c.opts = app.Options{Connectors: []connector.Registration{host.New(host.Options{FS: os.DirFS(root), Run: noCommands, UID: &uid})},
		Now: func() time.Time { return c.now }}
	return c
}

func (c *hostCLI) run(args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := cli.RunWith(context.Background(), c.opts, append([]string{"--data", c.dir}, args...), strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

type scanJSON struct {
	Runs    []json.RawMessage `json:"runs"`
	Results []struct {
		Test, Resource, Status, Message, Severity string
		ResourceType                              string `json:"resource_type"`
		ExceptionID                               int64  `json:"exception_id"`
	} `json:"results"`
	Summary struct {
		Evaluations, Pass, Fail, Error, Changes int
	} `json:"summary"`
}

func (s scanJSON) status(test string) string {
	for _, r := range s.Results {
		if r.Test == test {
			return r.Status
		}
	}
	return ""
}

const pwTest = "host.sshd.password_authentication_disabled"

// The acceptance path: a fixture machine's sshd permits password login;
// scan shows it failing (CLI, and `tests show`), --fail-on high exits 1;
// fixing the file turns it passing on the next scan; one status change per
// change.
func TestScanFailsThenPassesAfterTheFix(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "yes")
	c := newHostCLI(t, root)
	if r := c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false"); r.code != 0 {
		t.Fatalf("add: %s %s", r.stdout, r.stderr)
	}
	r := c.run("scan", "--json", "--fail-on", "high")
	if r.code != 1 || !strings.Contains(r.stderr, "fail at severity high or above") {
		t.Fatalf("scan with a failing high test: exit %d, %s", r.code, r.stderr)
	}
	var s scanJSON
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("scan --json: %v\n%s", err, r.stdout)
	}
	if len(s.Runs) != 1 || s.status(pwTest) != "fail" || s.Summary.Fail == 0 || s.Summary.Evaluations != len(s.Results) {
		t.Fatalf("first scan: %s", r.stdout)
	}
	firstChanges := s.Summary.Changes
	if r := c.run("scan"); r.code != 0 || !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, pwTest) {
		t.Fatalf("human scan: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := c.run("tests", "show", pwTest); r.code != 0 || !strings.Contains(r.stdout, "State: failing") {
		t.Fatalf("tests show: %s %s", r.stdout, r.stderr)
	}
	// Fixed on the machine: the next scan passes it, with exactly one change.
	setPasswordLogin(t, root, "no")
	c.now = c.now.Add(time.Hour)
	r = c.run("scan", "--json", "--fail-on", "critical")
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.status(pwTest) != "pass" || s.Summary.Changes != 1 {
		t.Fatalf("after the fix: status %s, %d changes; first scan had %d\n%s", s.status(pwTest), s.Summary.Changes, firstChanges, r.stdout)
	}
	// Nothing changed: no change recorded.
	c.now = c.now.Add(time.Hour)
	r = c.run("scan", "--json")
	_ = json.Unmarshal([]byte(r.stdout), &s)
	if s.Summary.Changes != 0 {
		t.Fatalf("an unchanged scan recorded %d changes", s.Summary.Changes)
	}
	var list []struct {
		ID           string   `json:"id"`
		Title        string   `json:"title"`
		ResourceType []string `json:"resource_type"`
		Severity     string   `json:"severity"`
		Controls     []string `json:"controls"`
		State        string   `json:"state"`
	}
	r = c.run("tests", "list", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) < 80 {
		t.Fatalf("tests list --json: %v %d", err, len(list))
	}
	for _, l := range list {
		if l.ID == "" || l.Title == "" || len(l.ResourceType) == 0 || l.Severity == "" || len(l.Controls) == 0 {
			t.Fatalf("incomplete entry: %+v", l)
		}
		if l.ID == pwTest && l.State != "passing" {
			t.Fatalf("%s is %s", pwTest, l.State)
		}
	}
}

// `tests eval` over the resources scan stored gives the same results as scan.
func TestEvalGivesTheSameResultsAsScan(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "yes")
	c := newHostCLI(t, root)
	c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false")
	r := c.run("scan", "--json")
	var scan struct {
		Runs []struct {
			Resources []struct {
				Type       string         `json:"type"`
				ExternalID string         `json:"external_id"`
				Name       string         `json:"name"`
				Attributes map[string]any `json:"attributes"`
			} `json:"resources"`
		} `json:"runs"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &scan); err != nil || len(scan.Results) == 0 {
		t.Fatalf("scan: %v %s", err, r.stderr)
	}
	var lines []string
	for _, res := range scan.Runs[0].Resources {
		b, _ := json.Marshal(map[string]any{"type": res.Type, "id": res.ExternalID, "name": res.Name, "attributes": res.Attributes})
		lines = append(lines, string(b))
	}
	file := filepath.Join(t.TempDir(), "resources.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.run("tests", "eval", "--resources", file, "--json")
	if r.code != 0 {
		t.Fatalf("eval: %s", r.stderr)
	}
	var eval struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &eval); err != nil {
		t.Fatal(err)
	}
	key := func(rs []map[string]any) []string {
		var out []string
		for _, m := range rs {
			out = append(out, strings.Join([]string{m["test"].(string), m["resource"].(string), m["resource_type"].(string), m["status"].(string), m["message"].(string)}, " | "))
		}
		sort.Strings(out)
		return out
	}
	a, b := key(scan.Results), key(eval.Results)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("scan and eval differ:\nscan:\n%s\neval:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	// A malformed line is refused with its line number.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(lines[0]+"\n{\"type\":\"host.sshd\"}\n"), 0o644)
	if r := c.run("tests", "eval", "--resources", bad); r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:2") {
		t.Fatalf("bad line: %d %s", r.code, r.stderr)
	}
}

// A custom test file with a syntax error is refused naming its line; a
// valid one runs on the next scan.
func TestCustomTestsDirectory(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "no")
	c := newHostCLI(t, root)
	c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false")
	tests := t.TempDir()
	broken := "tests:\n  - id: acme.sshd.port\n    title: SSH listens on 22\n    resource_type: host.sshd\n    severity: low\n    controls: [NET-01]\n    assert: |\n      resource.installed &&\n        resource.max_auth_tries <\n"
	os.WriteFile(filepath.Join(tests, "acme.yaml"), []byte(broken), 0o644)
	r := c.run("--tests-dir", tests, "scan")
	if r.code != 1 || !strings.Contains(r.stderr, "acme.yaml:9") || !strings.Contains(r.stderr, "Syntax error") {
		t.Fatalf("broken test file: %d %s", r.code, r.stderr)
	}
	valid := strings.Replace(broken, "resource.max_auth_tries <\n", "resource.max_auth_tries < 3\n", 1)
	os.WriteFile(filepath.Join(tests, "acme.yaml"), []byte(valid), 0o644)
	r = c.run("--tests-dir", tests, "scan", "--json")
	var s scanJSON
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v %s", err, r.stderr)
	}
	// sshd's default MaxAuthTries is 6: the custom test fails.
	if s.status("acme.sshd.port") != "fail" {
		t.Fatalf("custom test result: %q\n%s", s.status("acme.sshd.port"), r.stdout)
	}
}

// Exceptions from the command line: a failure accepted until a date stops
// failing --fail-on, and returns when the exception expires.
func TestExceptionsCommand(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "yes")
	c := newHostCLI(t, root)
	c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false")
	var first scanJSON
	json.Unmarshal([]byte(c.run("scan", "--json").stdout), &first)
	machine := ""
	for _, res := range first.Results {
		if res.Test == pwTest {
			machine = res.Resource
		}
	}
	r := c.run("exceptions", "add", "--test", pwTest, "--resource", machine, "--reason", "bastion until the VPN lands", "--approver", "ciso@acme.test", "--expires", "2026-03-10", "--json")
	var x struct {
		ID    int64
		State string
	}
	if err := json.Unmarshal([]byte(r.stdout), &x); err != nil || x.State != "active" {
		t.Fatalf("add: %v %s %s", err, r.stdout, r.stderr)
	}
	// Other high failures of the fixture machine may remain: look at this test only.
	r = c.run("scan", "--json")
	var s scanJSON
	json.Unmarshal([]byte(r.stdout), &s)
	for _, res := range s.Results {
		if res.Test == pwTest && (res.Status != "fail" || res.ExceptionID != x.ID) {
			t.Fatalf("under exception: %+v", res)
		}
	}
	if r := c.run("exceptions", "list"); !strings.Contains(r.stdout, "bastion until the VPN lands") || !strings.Contains(r.stdout, "active") {
		t.Fatalf("list: %s", r.stdout)
	}
	c.now = time.Date(2026, 3, 10, 0, 0, 1, 0, time.UTC)
	r = c.run("scan", "--json")
	s = scanJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("scan after expiry: %v %s", err, r.stderr)
	}
	for _, res := range s.Results {
		if res.Test == pwTest && res.ExceptionID != 0 {
			t.Fatalf("expired exception still applies: %+v", res)
		}
	}
	if r := c.run("exceptions", "list"); !strings.Contains(r.stdout, "expired") {
		t.Fatalf("list after expiry: %s", r.stdout)
	}
	if r := c.run("exceptions", "revoke", "1"); r.code != 1 || !strings.Contains(r.stderr, "expired already") {
		t.Fatalf("revoke an expired exception: %d %s", r.code, r.stderr)
	}
}
