package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/host"
	"github.com/assurehq/assure/internal/model"
)

const apiToken = "srv-S3CRET-token-value-77"

// vault is a fake REST system with a token, which it echoes back in its
// answers (as some APIs do with request metadata).
func vault(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+apiToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ping":
			w.Write([]byte(`{}`))
		case "/secrets":
			fmt.Fprintf(w, `[{"id":"db","rotated":true,"note":"listed for %s"}]`, r.Header.Get("Authorization"))
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type vaultConn struct {
	c    *http.Client
	base string
	hdr  http.Header
}

func (c *vaultConn) Probe(ctx context.Context) error {
	_, _, err := connector.Get(ctx, c.c, c.base+"/ping", c.hdr)
	return err
}
func (c *vaultConn) Close() error { return nil }

func vaultConnector() connector.Registration {
	return connector.Registration{
		ID: "vault", Name: "Vault", Category: connector.CategoryOther, Description: "Secrets and their rotation.",
		Fields: []connector.ConfigField{
			{Name: "url", Label: "URL", Type: connector.FieldURL, Required: true, Help: "The API."},
			{Name: "token", Label: "Token", Type: connector.FieldString, Required: true, Secret: true, Help: "A read token."},
		},
		Open: func(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
			return &vaultConn{c: rt.HTTPClient(), base: cfg.String("url"), hdr: http.Header{"Authorization": {"Bearer " + cfg.String("token")}}}, nil
		},
		Resources: []connector.ResourceType{{Name: "vault.secret", Description: "Secrets.", Fields: []connector.Field{{Name: "rotated", Type: "bool"}},
			List: connector.As(func(ctx context.Context, c *vaultConn, out connector.Emitter) error {
				var items []map[string]any
				if _, err := connector.GetJSON(ctx, c.c, c.base+"/secrets?access_token="+strings.TrimPrefix(c.hdr.Get("Authorization"), "Bearer "), c.hdr, &items); err != nil {
					return err
				}
				for _, it := range items {
					if err := out.Emit(ctx, connector.Resource{ExternalID: fmt.Sprint(it["id"]), Attributes: it}); err != nil {
						return err
					}
				}
				return nil
			})}},
	}
}

func apiCall(t *testing.T, f *fixture, role model.Role, method, path, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp := f.do(t, method, path, rd, func(r *http.Request) {
		f.asToken(role)(r)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
	})
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// The API end to end: add an integration with a secret, test it, collect
// it, and follow a resource to the raw response behind it. No answer, no
// log line and no stored body carries the secret.
func TestIntegrationsAPI(t *testing.T) {
	srv := vault(t)
	f := newFixtureWith(t, app.Options{Connectors: []connector.Registration{host.Registration(), vaultConnector()}})
	var seen strings.Builder
	call := func(role model.Role, method, path, body string, want int) string {
		t.Helper()
		status, got, _ := apiCall(t, f, role, method, path, body)
		seen.WriteString(got)
		if status != want {
			t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, role, status, want, got)
		}
		return got
	}
	body := call(model.RoleViewer, "GET", "/api/v1/connectors", "", 200)
	if !strings.Contains(body, `"id": "vault"`) || !strings.Contains(body, `"secret": true`) || !strings.Contains(body, `"name": "host.sshd"`) {
		t.Fatalf("connectors: %s", body)
	}
	call(model.RoleViewer, "POST", "/api/v1/integrations", `{"connector":"vault","name":"v"}`, 403)
	body = call(model.RoleEditor, "POST", "/api/v1/integrations", `{"connector":"vault","name":"v","config":{"url":"`+srv.URL+`"}}`, 400)
	if !strings.Contains(body, `"field": "token"`) {
		t.Fatalf("missing secret: %s", body)
	}
	body = call(model.RoleEditor, "POST", "/api/v1/integrations", `{"connector":"vault","name":"v","interval":"30m","config":{"url":"`+srv.URL+`","token":"`+apiToken+`"}}`, 201)
	var in struct {
		ID           int64
		SecretFields []string `json:"secret_fields"`
		Interval     string
		Health       string
	}
	json.Unmarshal([]byte(body), &in)
	if in.ID == 0 || len(in.SecretFields) != 1 || in.Interval != "30m0s" || in.Health != "never collected" {
		t.Fatalf("created: %s", body)
	}
	id := fmt.Sprint(in.ID)
	call(model.RoleEditor, "POST", "/api/v1/integrations", `{"connector":"vault","name":"v","config":{"url":"`+srv.URL+`","token":"x"}}`, 409)
	if body = call(model.RoleEditor, "POST", "/api/v1/integrations/"+id+"/test", "", 200); !strings.Contains(body, `"ok": true`) {
		t.Fatalf("test: %s", body)
	}
	body = call(model.RoleEditor, "POST", "/api/v1/integrations/"+id+"/runs?wait=true", "", 201)
	var run struct {
		ID     int64
		Status string
	}
	json.Unmarshal([]byte(body), &run)
	if run.Status != "succeeded" {
		t.Fatalf("run: %s", body)
	}
	body = call(model.RoleViewer, "GET", fmt.Sprintf("/api/v1/runs/%d", run.ID), "", 200)
	if !strings.Contains(body, `"resource_type": "vault.secret"`) || !strings.Contains(body, `"body_url": "/api/v1/observations/`) || !strings.Contains(body, `"path": "/secrets"`) {
		t.Fatalf("run detail: %s", body)
	}
	body = call(model.RoleViewer, "GET", "/api/v1/resources?type=vault.secret&integration=v", "", 200)
	var page struct {
		Total     int
		Resources []struct{ ID int64 }
	}
	json.Unmarshal([]byte(body), &page)
	if page.Total != 1 {
		t.Fatalf("resources: %s", body)
	}
	call(model.RoleViewer, "GET", "/api/v1/resources?status=gone", "", 400)
	call(model.RoleViewer, "GET", "/api/v1/resources?integration=nope", "", 404)
	body = call(model.RoleViewer, "GET", fmt.Sprintf("/api/v1/resources/%d", page.Resources[0].ID), "", 200)
	m := regexp.MustCompile(`"body_url": "(/api/v1/observations/\d+/body)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `"versions": [`) {
		t.Fatalf("resource detail: %s", body)
	}
	status, raw, hdr := apiCall(t, f, model.RoleViewer, "GET", m[1], "")
	seen.WriteString(raw)
	if status != 200 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(hdr.Get("Content-Security-Policy"), "sandbox") ||
		!strings.Contains(raw, `"note":"listed for Bearer [redacted]"`) || len(hdr.Get("ETag")) != 66 || !strings.HasPrefix(hdr.Get("Repr-Digest"), "sha-256=:") {
		t.Fatalf("raw body: %d %v %s", status, hdr, raw)
	}
	call(model.RoleViewer, "GET", "/api/v1/observations/999999/body", "", 404)
	call(model.RoleEditor, "PATCH", "/api/v1/integrations/"+id, `{"name":"vault-prod","config":{"url":"`+srv.URL+`"}}`, 200)
	call(model.RoleEditor, "PATCH", "/api/v1/integrations/"+id, `{"interval":"10s"}`, 400)
	body = call(model.RoleViewer, "GET", "/api/v1/integrations", "", 200)
	if !strings.Contains(body, `"name": "vault-prod"`) || !strings.Contains(body, `"health": "succeeded"`) || !strings.Contains(body, `"next_run_at"`) {
		t.Fatalf("list: %s", body)
	}
	// Still collects with the kept secret after the edit.
	if body = call(model.RoleEditor, "POST", "/api/v1/integrations/"+id+"/runs?wait=true", "", 201); !strings.Contains(body, `"status": "succeeded"`) {
		t.Fatalf("run after edit: %s", body)
	}
	call(model.RoleViewer, "GET", "/api/v1/integrations/"+id+"/runs", "", 200)
	call(model.RoleViewer, "GET", "/api/v1/runs?limit=5", "", 200)
	call(model.RoleEditor, "DELETE", "/api/v1/integrations/"+id, "", 204)
	call(model.RoleEditor, "POST", "/api/v1/integrations/"+id+"/runs", "", 404)
	if body = call(model.RoleViewer, "GET", "/api/v1/resources?status=removed", "", 200); !strings.Contains(body, `"total": 1`) {
		t.Fatalf("removed resources are kept: %s", body)
	}

	if strings.Contains(seen.String(), apiToken) || strings.Contains(f.logs.String(), apiToken) {
		t.Fatal("the secret appears in an API answer or the log")
	}
	// Nor in any stored body.
	for _, path := range []string{"/api/v1/observations/1/body", "/api/v1/observations/2/body", "/api/v1/observations/3/body"} {
		if _, raw, _ := apiCall(t, f, model.RoleViewer, "GET", path, ""); strings.Contains(raw, apiToken) {
			t.Fatalf("%s holds the secret", path)
		}
	}
}

// The pages: add the host integration from the generated form, run it, and
// open a resource with its versions and raw responses.
func TestIntegrationPages(t *testing.T) {
	srv := vault(t)
	f := newFixtureWith(t, app.Options{Connectors: []connector.Registration{host.Registration(), vaultConnector()}})
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	resp, page := b.get("/integrations")
	if resp.StatusCode != 200 || !strings.Contains(page, "No integrations yet") || !strings.Contains(page, `href="/integrations/new?connector=vault"`) {
		t.Fatalf("empty integrations page: %d", resp.StatusCode)
	}
	_, form := b.get("/integrations/new?connector=vault")
	if !strings.Contains(form, `name="cfg_token" type="password"`) || !strings.Contains(form, `name="cfg_url" type="url"`) {
		t.Fatalf("generated form:\n%s", form)
	}
	csrf := csrfOf(t, form)
	resp, body := b.post("/integrations", url.Values{"csrf": {csrf}, "connector": {"vault"}, "name": {"v"}, "cfg_url": {srv.URL}, "interval": {"1h0m0s"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "token: is required") || !strings.Contains(body, `value="`+srv.URL+`"`) {
		t.Fatalf("missing token: %d", resp.StatusCode)
	}
	resp, _ = b.post("/integrations", url.Values{"csrf": {csrf}, "connector": {"vault"}, "name": {"v"}, "cfg_url": {srv.URL}, "cfg_token": {apiToken}, "interval": {"1h0m0s"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	_, page = b.get(loc)
	if strings.Contains(page, apiToken) || !strings.Contains(page, "set — leave blank to keep") || !strings.Contains(page, "added. Test the connection") {
		t.Fatal("integration page shows the secret or not its state")
	}
	_, page = b.post(loc+"/test", url.Values{"csrf": {csrf}})
	if !strings.Contains(page, "Connection works") {
		t.Fatalf("test connection:\n%s", page)
	}
	resp, _ = b.post(loc+"/run", url.Values{"csrf": {csrf}})
	runLoc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(runLoc, "/runs/") {
		t.Fatalf("run now: %d %s", resp.StatusCode, runLoc)
	}
	var runPage string
	for i := 0; i < 200; i++ {
		_, runPage = b.get(runLoc)
		if !strings.Contains(runPage, "… running") {
			break
		}
	}
	if !strings.Contains(runPage, "✓ succeeded") || !strings.Contains(runPage, "vault.secret") || !strings.Contains(runPage, "/observations/") {
		t.Fatalf("run page:\n%s", runPage)
	}
	// Edit keeps the secret when the field is left blank; the run still works.
	resp, _ = b.post(loc, url.Values{"csrf": {csrf}, "name": {"vault-1"}, "cfg_url": {srv.URL}, "cfg_token": {""}, "interval": {"6h0m0s"}, "rate_limit": {"5"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	_, page = b.get("/integrations")
	if !strings.Contains(page, "vault-1") || !strings.Contains(page, "✓ succeeded") {
		t.Fatalf("list after run:\n%s", page)
	}
	_, page = b.get("/resources?integration=vault-1")
	id := regexp.MustCompile(`href="/resources/(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("resources page:\n%s", page)
	}
	_, page = b.get("/resources/" + id[1])
	raw := regexp.MustCompile(`href="(/observations/\d+/body)"`).FindStringSubmatch(page)
	if raw == nil || !strings.Contains(page, "rotated") || !strings.Contains(page, "first observed") {
		t.Fatalf("resource page:\n%s", page)
	}
	resp, body = b.get(raw[1])
	if resp.StatusCode != 200 || !strings.Contains(body, "[redacted]") || strings.Contains(body, apiToken) {
		t.Fatalf("raw body page: %d %s", resp.StatusCode, body)
	}
	// Disable, then remove: gone from the list, history kept.
	b.post(loc+"/disable", url.Values{"csrf": {csrf}})
	if _, page = b.get(loc); !strings.Contains(page, "⏸ disabled") {
		t.Fatal("not disabled")
	}
	resp, _ = b.post(loc+"/remove", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	if resp, _ = b.get(loc); resp.StatusCode != 404 {
		t.Fatalf("removed integration page: %d", resp.StatusCode)
	}
	if _, page = b.get("/resources?status=removed"); !strings.Contains(page, "✕ removed") {
		t.Fatal("removed resources are not listed as removed")
	}
	if strings.Contains(f.logs.String(), apiToken) {
		t.Fatal("the secret is in the log")
	}
}

// A viewer sees integrations and resources but no form or action.
func TestViewerSeesNoIntegrationActions(t *testing.T) {
	f := newFixtureWith(t, app.Options{Connectors: []connector.Registration{host.Registration()}})
	op := f.app.Accounts.OperatorPrincipal(f.app.Bootstrap.Org)
	in, err := f.app.Collect.CreateIntegration(context.Background(), op, collectInput("this-host"))
	if err != nil {
		t.Fatal(err)
	}
	resp := f.do(t, "GET", fmt.Sprintf("/integrations/%d", in.ID), nil, f.asSession(model.RoleViewer))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Contains(string(b), "Run now") || strings.Contains(string(b), "<form method=\"post\" action=\"/integrations/") {
		t.Fatalf("viewer page: %d", resp.StatusCode)
	}
}

func collectInput(name string) collect.IntegrationInput {
	return collect.IntegrationInput{Connector: "host", Name: name}
}
