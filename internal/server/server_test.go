package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/server"
	"github.com/assurehq/assure/internal/web"
)

// fixture is a running server with one member of every role, each with a
// browser session and an API token.
type fixture struct {
	app     *app.App
	srv     *server.Server
	ts      *httptest.Server
	cookies map[model.Role]string
	tokens  map[model.Role]string
	ids     map[model.Role]int64
	logs    *lockedBuffer // everything the server logged, at debug level
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, app.Options{}) }

func newFixtureWith(t *testing.T, opts app.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", LogLevel: "error", LogFormat: "text", MaxUploadSize: "1MB"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv, err := a.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{app: a, srv: srv, ts: httptest.NewServer(srv.Handler()), logs: logs,
		cookies: map[model.Role]string{}, tokens: map[model.Role]string{}, ids: map[model.Role]int64{}}
	t.Cleanup(f.ts.Close)
	op := a.Accounts.OperatorPrincipal(a.Bootstrap.Org)
	for _, role := range model.Roles() {
		email := string(role) + "@example.com"
		nm, err := a.Accounts.AddMember(ctx, op, email, "", role)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[role] = nm.Member.ID
		secret, _, err := a.Accounts.SignIn(ctx, email, nm.InitialPassword)
		if err != nil {
			t.Fatal(err)
		}
		f.cookies[role] = secret
		nt, err := a.Accounts.CreateToken(ctx, op, nm.Member.ID, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = nt.Secret
	}
	return f
}

// adoptLibrary adopts every library control, so evidence and tests can link
// to them.
func (f *fixture) adoptLibrary(t *testing.T) {
	t.Helper()
	op := f.app.Accounts.OperatorPrincipal(f.app.Bootstrap.Org)
	if _, err := f.app.Catalog.Adopt(context.Background(), op, nil, true); err != nil {
		t.Fatal(err)
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (f *fixture) do(t *testing.T, method, path string, body io.Reader, mod func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	c := &http.Client{CheckRedirect: noRedirect}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (f *fixture) asToken(role model.Role) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+f.tokens[role]) }
}

func (f *fixture) asSession(role model.Role) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: f.cookies[role]}) }
}

var pathParam = regexp.MustCompile(`\{[a-zA-Z_]+\}`)

// concrete turns a route pattern into a path that matches it.
func concrete(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	return pathParam.ReplaceAllString(p, "999999")
}

// TestEveryRouteChecksItsPermission walks the whole route table: without
// credentials every protected route refuses, and every role that lacks a
// route's permission gets 403 before the handler runs.
func TestEveryRouteChecksItsPermission(t *testing.T) {
	f := newFixture(t)
	routes := f.srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes: the table was not read", len(routes))
	}
	for _, rt := range routes {
		path := concrete(rt.Path)
		name := rt.Method + " " + rt.Path
		if rt.Perm == model.PermPublic {
			continue
		}
		t.Run(name, func(t *testing.T) {
			// No credentials at all.
			resp := f.do(t, rt.Method, path, strings.NewReader("{}"), nil)
			if rt.API != nil {
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("without a token: %d, want 401", resp.StatusCode)
				}
			} else if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Fatalf("without a session: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
			}
			// A token on a page, a cookie on the API: neither counts.
			if rt.API != nil {
				resp = f.do(t, rt.Method, path, strings.NewReader("{}"), f.asSession(model.RoleOwner))
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("API with a session cookie only: %d, want 401", resp.StatusCode)
				}
			}
			for _, role := range model.Roles() {
				if role.Can(rt.Perm) {
					continue
				}
				var mod func(*http.Request)
				if rt.API != nil {
					mod = f.asToken(role)
				} else {
					mod = f.asSession(role)
				}
				resp := f.do(t, rt.Method, path, strings.NewReader("{}"), func(r *http.Request) {
					mod(r)
					r.Header.Set("Content-Type", "application/json")
				})
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", role, resp.StatusCode)
				}
			}
		})
	}
}

// Every read a role may make answers without a server error.
func TestReadableRoutesRender(t *testing.T) {
	f := newFixture(t)
	for _, rt := range f.srv.Routes() {
		if rt.Method != http.MethodGet || rt.Perm == model.PermPublic || strings.Contains(rt.Path, "{id}") {
			continue
		}
		for _, role := range model.Roles() {
			if !role.Can(rt.Perm) {
				continue
			}
			mod := f.asSession(role)
			if rt.API != nil {
				mod = f.asToken(role)
			}
			resp := f.do(t, http.MethodGet, concrete(rt.Path), nil, mod)
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("%s as %s: %d %s", rt.Path, role, resp.StatusCode, b)
			}
		}
	}
}

func TestPagePostsNeedTheCSRFToken(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"name": {"Renamed"}, "time_zone": {"UTC"}}
	resp := f.do(t, http.MethodPost, "/settings/organization", strings.NewReader(form.Encode()), func(r *http.Request) {
		f.asSession(model.RoleOwner)(r)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("post without CSRF token: %d, want 403", resp.StatusCode)
	}
	org, _ := f.app.Store.Org(f.app.Bootstrap.Org.ID).Organization(context.Background())
	if org.Name == "Renamed" {
		t.Fatal("the change went through without a CSRF token")
	}
	// A cross-site browser request is refused even before the token check.
	resp = f.do(t, http.MethodPost, "/settings/organization", strings.NewReader(form.Encode()), func(r *http.Request) {
		f.asSession(model.RoleOwner)(r)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d, want 403", resp.StatusCode)
	}
}

func TestOpenAPIListsEveryAPIRoute(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, http.MethodGet, "/api/v1/openapi.json", nil, nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	n := 0
	for _, rt := range f.srv.Routes() {
		if rt.API == nil {
			continue
		}
		n++
		p := strings.TrimPrefix(rt.Path, "/api/v1")
		op, ok := doc.Paths[p][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s missing from openapi.json", rt.Method, p)
			continue
		}
		if op["summary"] == "" {
			t.Errorf("%s %s has no summary", rt.Method, p)
		}
	}
	if n == 0 {
		t.Fatal("no API routes")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	f := newFixture(t)
	// In order: /metrics counts the requests before it.
	for _, c := range []struct{ path, want string }{{"/healthz", "ok"}, {"/readyz", "ready"}, {"/metrics", `assure_http_requests_total{code="200",route="GET /healthz"} 1`}} {
		resp := f.do(t, http.MethodGet, c.path, nil, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %.300s", c.path, resp.StatusCode, b)
		}
	}
	// /readyz fails when the schema is not the binary's.
	if _, err := f.app.Store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.app.Store.Close()
	resp := f.do(t, http.MethodGet, "/readyz", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a closed database: %d", resp.StatusCode)
	}
	resp = f.do(t, http.MethodGet, "/healthz", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

func TestUnknownPaths(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, http.MethodGet, "/api/v1/nothing", nil, f.asToken(model.RoleOwner))
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("unknown API path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp = f.do(t, http.MethodGet, "/nothing", nil, f.asSession(model.RoleOwner))
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("unknown page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	_ = time.Now
}
