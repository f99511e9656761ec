package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
)

// TestAPIScenarios runs requests against a fresh fixture each and checks the
// status and a fragment of the body.
func TestAPIScenarios(t *testing.T) {
	type scenario struct {
		name         string
		as           model.Role // "" sends no token
		method, path string
		body         string
		status       int
		contains     []string
	}
	scenarios := []scenario{
		{name: "no token", method: "GET", path: "/api/v1/me", status: 401, contains: []string{`"status": 401`, "Bearer"}},
		{name: "bad token", method: "GET", path: "/api/v1/me", status: 401},
		{name: "me", as: model.RoleViewer, method: "GET", path: "/api/v1/me", status: 200, contains: []string{`"email": "viewer@example.com"`, `"role": "viewer"`}},
		{name: "viewer cannot add members", as: model.RoleViewer, method: "POST", path: "/api/v1/members", body: `{"email":"x@example.com","role":"viewer"}`, status: 403, contains: []string{"does not have the manage permission"}},
		{name: "editor cannot list members", as: model.RoleEditor, method: "GET", path: "/api/v1/members", status: 403},
		{name: "admin adds a member", as: model.RoleAdmin, method: "POST", path: "/api/v1/members", body: `{"email":"New@Example.com","role":"editor"}`, status: 201, contains: []string{`"email": "new@example.com"`, `"initial_password"`}},
		{name: "admin cannot add an owner", as: model.RoleAdmin, method: "POST", path: "/api/v1/members", body: `{"email":"o@example.com","role":"owner"}`, status: 403, contains: []string{"only an owner"}},
		{name: "unknown role", as: model.RoleOwner, method: "POST", path: "/api/v1/members", body: `{"email":"o@example.com","role":"god"}`, status: 400, contains: []string{`"field": "role"`}},
		{name: "unknown field", as: model.RoleOwner, method: "POST", path: "/api/v1/members", body: `{"email":"o@example.com","role":"viewer","admin":true}`, status: 400, contains: []string{"unknown field"}},
		{name: "not json", as: model.RoleOwner, method: "POST", path: "/api/v1/members", body: `email=x`, status: 400},
		{name: "existing member", as: model.RoleOwner, method: "POST", path: "/api/v1/members", body: `{"email":"viewer@example.com","role":"viewer"}`, status: 409},
		{name: "too large", as: model.RoleOwner, method: "POST", path: "/api/v1/members", body: `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, status: 413},
		{name: "no such member", as: model.RoleOwner, method: "PATCH", path: "/api/v1/members/424242", body: `{"role":"viewer"}`, status: 404},
		{name: "bad member id", as: model.RoleOwner, method: "DELETE", path: "/api/v1/members/abc", status: 404},
		{name: "rename organization", as: model.RoleAdmin, method: "PATCH", path: "/api/v1/organization", body: `{"name":"Acme","time_zone":"Europe/Paris"}`, status: 200, contains: []string{`"name": "Acme"`, `"time_zone": "Europe/Paris"`}},
		{name: "bad time zone", as: model.RoleAdmin, method: "PATCH", path: "/api/v1/organization", body: `{"time_zone":"Mars/Olympus"}`, status: 400, contains: []string{"not a known IANA time zone"}},
		{name: "viewer creates own token", as: model.RoleViewer, method: "POST", path: "/api/v1/tokens", body: `{"name":"mine","expires_in_days":7}`, status: 201, contains: []string{`"secret": "assure_`, `"expires_at"`}},
		{name: "token needs a name", as: model.RoleViewer, method: "POST", path: "/api/v1/tokens", body: `{"name":" "}`, status: 400, contains: []string{`"field": "name"`}},
		{name: "list own tokens", as: model.RoleViewer, method: "GET", path: "/api/v1/tokens", status: 200, contains: []string{`"name": "test"`}},
		{name: "viewer cannot list all tokens", as: model.RoleViewer, method: "GET", path: "/api/v1/tokens?all=true", status: 403},
		{name: "auditor cannot read the organization", as: model.RoleAuditor, method: "GET", path: "/api/v1/organization", status: 403},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			var body io.Reader
			if sc.body != "" {
				body = strings.NewReader(sc.body)
			}
			resp := f.do(t, sc.method, sc.path, body, func(r *http.Request) {
				if sc.as != "" {
					f.asToken(sc.as)(r)
				} else if sc.name == "bad token" {
					r.Header.Set("Authorization", "Bearer assure_forged")
				}
				if sc.body != "" && sc.name != "not json" {
					r.Header.Set("Content-Type", "application/json")
				} else if sc.name == "not json" {
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			})
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != sc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, sc.status, got)
			}
			if resp.StatusCode >= 400 && resp.StatusCode != 413 {
				var e struct {
					Error struct {
						Status  int    `json:"status"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.Unmarshal(got, &e); err != nil || e.Error.Status != sc.status || e.Error.Message == "" {
					t.Fatalf("error body is not the documented shape: %s", got)
				}
			}
			for _, c := range sc.contains {
				if !strings.Contains(string(got), c) {
					t.Errorf("body lacks %q: %s", c, got)
				}
			}
		})
	}
}

// A removed member's token stops working at once.
func TestRemovedMemberTokenStops(t *testing.T) {
	f := newFixture(t)
	if r := f.do(t, "GET", "/api/v1/me", nil, f.asToken(model.RoleEditor)); r.StatusCode != 200 {
		t.Fatalf("before: %d", r.StatusCode)
	}
	r := f.do(t, "DELETE", "/api/v1/members/"+itoa(f.ids[model.RoleEditor]), nil, f.asToken(model.RoleAdmin))
	if r.StatusCode != 204 {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if r := f.do(t, "GET", "/api/v1/me", nil, f.asToken(model.RoleEditor)); r.StatusCode != 401 {
		t.Fatalf("after removal: %d", r.StatusCode)
	}
}
