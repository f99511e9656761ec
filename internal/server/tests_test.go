package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/host"
	"github.com/assurehq/assure/internal/model"
)

const pwTest = "host.sshd.password_authentication_disabled"

// A fixture machine whose sshd accepts passwords shows failing in the API
// and the pages (test list, test detail with its timeline, control detail,
// dashboard); an exception accepts it; a custom test with a syntax error is
// refused naming the line.
func TestTestsAPIAndPages(t *testing.T) {
	root := filepath.Join(t.TempDir(), "machine")
	if out, err := exec.Command("cp", "-r", "../connector/host/testdata/bare", root).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	uid := 0
	noCommands := func(context.Context, string, ...string) ([]byte, int, error) { return nil, 0, exec.ErrNotFound }
	f := newFixtureWith(t, app.Options{Connectors: []connector.Registration{host.New(host.Options{FS: os.DirFS(root), Run: noCommands, UID: &uid})}})
	f.adoptLibrary(t)
	call := func(role model.Role, method, path, body string, want int) string {
		t.Helper()
		status, got, _ := apiCall(t, f, role, method, path, body)
		if status != want {
			t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, role, status, want, got)
		}
		return got
	}
	body := call(model.RoleEditor, "POST", "/api/v1/integrations", `{"connector":"host","name":"box","config":{"run_commands":"false"}}`, 201)
	var in struct{ ID int64 }
	json.Unmarshal([]byte(body), &in)
	call(model.RoleEditor, "POST", "/api/v1/integrations/"+itoa(in.ID)+"/runs?wait=true", "", 201)
	call(model.RoleViewer, "POST", "/api/v1/tests/evaluate", "", 403)
	if body = call(model.RoleEditor, "POST", "/api/v1/tests/evaluate", "", 200); !strings.Contains(body, `"fail":`) {
		t.Fatalf("evaluate: %s", body)
	}
	body = call(model.RoleViewer, "GET", "/api/v1/tests?state=failing&severity=high", "", 200)
	if !strings.Contains(body, `"id": "`+pwTest+`"`) {
		t.Fatalf("failing high tests: %s", body)
	}
	call(model.RoleViewer, "GET", "/api/v1/tests?severity=urgent", "", 400)
	body = call(model.RoleViewer, "GET", "/api/v1/tests/"+pwTest, "", 200)
	var d struct {
		State   string
		Results []struct {
			ResourceID int64 `json:"resource_id"`
			Status     string
		}
	}
	json.Unmarshal([]byte(body), &d)
	if d.State != "failing" || len(d.Results) != 1 || d.Results[0].Status != "fail" {
		t.Fatalf("detail: %s", body)
	}
	call(model.RoleViewer, "GET", "/api/v1/tests/nope.nothing", "", 404)
	if body = call(model.RoleViewer, "GET", "/api/v1/tests/"+pwTest+"/intervals?from=2020-01-01", "", 200); !strings.Contains(body, `"status": "fail"`) {
		t.Fatalf("intervals: %s", body)
	}
	if body = call(model.RoleViewer, "GET", "/api/v1/status-changes?after=0", "", 200); !strings.Contains(body, `"to": "fail"`) {
		t.Fatalf("status changes: %s", body)
	}
	if body = call(model.RoleViewer, "GET", "/api/v1/controls/IAM-04/status", "", 200); !strings.Contains(body, `"status": "failing"`) || !strings.Contains(body, pwTest) {
		t.Fatalf("control status: %s", body)
	}
	if body = call(model.RoleViewer, "GET", "/api/v1/readiness", "", 200); !strings.Contains(body, `"framework": "soc2"`) || !strings.Contains(body, `"id": "security"`) {
		t.Fatalf("readiness: %s", body)
	}
	call(model.RoleViewer, "GET", "/api/v1/control-status", "", 200)

	// Pages show the failure with a word and a colour, and the timeline.
	page := func(path string, wants ...string) {
		t.Helper()
		resp := f.do(t, http.MethodGet, path, nil, f.asSession(model.RoleViewer))
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Fatalf("%s lacks %q", path, w)
			}
		}
	}
	page("/tests", "SSH does not accept passwords", "✕ failing")
	page("/tests/"+pwTest, "✕ fail", "<svg", "!resource.password_authentication", "Last 90 days")
	page("/controls/IAM-04", "Status:", "✕ failing", pwTest)
	page("/", "Readiness", "readiness-table", "<svg", "Failing now", "SSH does not accept passwords")

	// An exception accepts the failure; a viewer cannot add one.
	x := `{"test":"` + pwTest + `","resource_id":` + itoa(d.Results[0].ResourceID) + `,"reason":"bastion","approver":"ciso@example.com","expires":"2099-01-01"}`
	call(model.RoleViewer, "POST", "/api/v1/exceptions", x, 403)
	if body = call(model.RoleEditor, "POST", "/api/v1/exceptions", x, 400); !strings.Contains(body, "more than a year ahead") {
		t.Fatalf("far expiry: %s", body)
	}
	x = strings.Replace(x, "2099-01-01", f.app.Now().AddDate(0, 1, 0).Format("2006-01-02"), 1)
	body = call(model.RoleEditor, "POST", "/api/v1/exceptions", x, 201)
	var ex struct {
		ID    int64
		State string
	}
	json.Unmarshal([]byte(body), &ex)
	if ex.State != "active" {
		t.Fatalf("exception: %s", body)
	}
	if body = call(model.RoleViewer, "GET", "/api/v1/tests/"+pwTest, "", 200); !strings.Contains(body, `"exception_id": `+itoa(ex.ID)) {
		t.Fatalf("excepted result: %s", body)
	}
	page("/exceptions", "bastion", "⚑ active")
	call(model.RoleEditor, "POST", "/api/v1/exceptions/"+itoa(ex.ID)+"/revoke", "", 200)
	call(model.RoleEditor, "POST", "/api/v1/exceptions/"+itoa(ex.ID)+"/revoke", "", 409)

	// Custom tests through the API: a syntax error names its line.
	bad := `{"source":"tests:\n  - id: acme.sshd.tries\n    title: Few tries\n    resource_type: host.sshd\n    severity: low\n    controls: [IAM-04]\n    assert: resource.max_auth_tries <\n"}`
	if body = call(model.RoleEditor, "POST", "/api/v1/tests", bad, 400); !strings.Contains(body, "line 7") || !strings.Contains(body, "Syntax error") {
		t.Fatalf("bad custom test: %s", body)
	}
	good := strings.Replace(bad, "resource.max_auth_tries <", "resource.max_auth_tries <= 3", 1)
	call(model.RoleViewer, "POST", "/api/v1/tests", good, 403)
	call(model.RoleEditor, "POST", "/api/v1/tests", good, 201)
	call(model.RoleEditor, "POST", "/api/v1/tests/evaluate", "", 200)
	if body = call(model.RoleViewer, "GET", "/api/v1/tests/acme.sshd.tries", "", 200); !strings.Contains(body, `"status": "fail"`) || !strings.Contains(body, `"origin": "custom"`) {
		t.Fatalf("custom test results: %s", body)
	}
	call(model.RoleEditor, "DELETE", "/api/v1/tests/acme.sshd.tries", "", 204)
	call(model.RoleViewer, "GET", "/api/v1/tests/acme.sshd.tries", "", 404)
	call(model.RoleEditor, "DELETE", "/api/v1/tests/"+pwTest, "", 400)
}
