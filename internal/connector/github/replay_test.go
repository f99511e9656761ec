package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The replay: an httptest server answering every operation the connector
// calls with a body recorded in testdata/api (one file per operation,
// shaped as GitHub's REST API documents it), the headers GitHub sends
// (rate limit, X-OAuth-Scopes, Link pagination), and a check of the
// credentials on every request. It serves under /api/v3 and /api/graphql,
// as GitHub Enterprise Server does.

const (
	testOrg   = "acme-corp"
	testToken = "ghp_TEST-personal-token-not-real"
	instToken = "ghs_TEST-installation-token-not-real" // in testdata/api/access_token.json
)

type route struct {
	method, path string
	query        map[string]string // must all match; the most specific route wins
	status       int
	file         string            // body from testdata/api; "" for none
	header       map[string]string // "{base}" is replaced by the server's API root
	fn           http.HandlerFunc  // answers instead of the file
}

type replay struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes []route
	hits   map[string]int // "METHOD /path?query" → count
	// scopes is the X-OAuth-Scopes header of a classic token; nil leaves
	// it out (a fine-grained token).
	scopes *string
	// auth checks the Authorization header of API requests.
	auth func(h string) bool
	// key verifies the app's JWT (nil: no app).
	key *rsa.PublicKey
	now func() time.Time
}

func newReplay(t *testing.T) *replay {
	t.Helper()
	scopes := "read:org, repo"
	r := &replay{t: t, hits: map[string]int{}, scopes: &scopes, now: func() time.Time { return now },
		auth: func(h string) bool { return h == "Bearer "+testToken }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.routes = defaultRoutes()
	return r
}

// base is the API root the connector is configured with.
func (r *replay) base() string { return r.srv.URL + "/api/v3/" }

// set adds a route, replacing one with the same method, path and query.
func (r *replay) set(rt route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, old := range r.routes {
		if old.method == rt.method && old.path == rt.path && fmt.Sprint(old.query) == fmt.Sprint(rt.query) {
			r.routes[i] = rt
			return
		}
	}
	r.routes = append(r.routes, rt)
}

func (r *replay) count(method, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, v := range r.hits {
		if p, _, _ := strings.Cut(k, "?"); p == method+" "+path {
			n += v
		}
	}
	return n
}

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	switch {
	case path == "/api/graphql":
	case strings.HasPrefix(path, "/api/v3/"):
		path = strings.TrimPrefix(path, "/api/v3")
	default:
		r.t.Errorf("request outside the API root: %s %s", req.Method, req.URL)
		http.NotFound(w, req)
		return
	}
	r.mu.Lock()
	r.hits[req.Method+" "+path+"?"+req.URL.RawQuery]++
	var best *route
	bestN := -1
	for i := range r.routes {
		rt := &r.routes[i]
		if rt.method != req.Method || rt.path != path {
			continue
		}
		ok := true
		for k, v := range rt.query {
			ok = ok && req.URL.Query().Get(k) == v
		}
		if ok && len(rt.query) > bestN {
			best, bestN = rt, len(rt.query)
		}
	}
	r.mu.Unlock()
	h := w.Header()
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4987")
	h.Set("X-RateLimit-Used", "13")
	h.Set("X-RateLimit-Reset", fmt.Sprint(now.Add(40*time.Minute).Unix()))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Request-Id", "C0DE:1F2E:3D4C:5B6A:7988A7B6")
	if strings.HasPrefix(path, "/app") {
		if !r.checkJWT(req) {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write(fixture(r.t, "bad_credentials.json"))
			return
		}
	} else {
		if r.scopes != nil {
			h.Set("X-OAuth-Scopes", *r.scopes)
			h.Set("X-Accepted-OAuth-Scopes", "")
		}
		if !r.auth(req.Header.Get("Authorization")) {
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write(fixture(r.t, "bad_credentials.json"))
			return
		}
	}
	if best == nil {
		r.t.Errorf("the replay has no answer for %s %s", req.Method, req.URL.RequestURI())
		w.WriteHeader(http.StatusNotFound)
		w.Write(fixture(r.t, "not_found.json"))
		return
	}
	if best.fn != nil {
		best.fn(w, req)
		return
	}
	for k, v := range best.header {
		h.Set(k, strings.ReplaceAll(v, "{base}", r.srv.URL+"/api/v3"))
	}
	var body []byte
	if best.file != "" {
		body = fixture(r.t, best.file)
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	st := best.status
	if st == 0 {
		st = http.StatusOK
	}
	w.WriteHeader(st)
	w.Write(body)
}

// checkJWT verifies the app's RS256 JWT with the app's public key and its
// claims: issuer, issued in the past, expiring within ten minutes.
func (r *replay) checkJWT(req *http.Request) bool {
	if r.key == nil {
		return false
	}
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(r.key, crypto.SHA256, sum[:], sig) != nil {
		r.t.Logf("JWT signature does not verify")
		return false
	}
	head, _ := base64.RawURLEncoding.DecodeString(parts[0])
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var hd struct{ Alg, Typ string }
	var cl struct {
		Iat, Exp int64
		Iss      any
	}
	if json.Unmarshal(head, &hd) != nil || json.Unmarshal(payload, &cl) != nil {
		return false
	}
	n := r.now().Unix()
	return hd.Alg == "RS256" && fmt.Sprint(cl.Iss) == "424242" && cl.Iat <= n && cl.Exp > n && cl.Exp-n <= 600
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "api", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// link is a Link header as GitHub writes it.
func link(path string, q string, next, last int) string {
	var parts []string
	if next > 0 {
		parts = append(parts, fmt.Sprintf(`<{base}%s?%s&page=%d>; rel="next"`, path, q, next))
	}
	if last > 0 {
		parts = append(parts, fmt.Sprintf(`<{base}%s?%s&page=%d>; rel="last"`, path, q, last))
	}
	return strings.Join(parts, ", ")
}

func defaultRoutes() []route {
	org := "/orgs/" + testOrg
	repo := func(name string) string { return "/repos/" + testOrg + "/" + name }
	rs := []route{
		{method: "GET", path: "/user", file: "user.json"},
		{method: "GET", path: org, file: "org.json"},
		{method: "GET", path: org + "/memberships/auditbot", file: "membership.json"},
		{method: "GET", path: org + "/members", query: map[string]string{"per_page": "1"}, file: "members_admin.json",
			header: map[string]string{"Link": link("/organizations/6123450/members", "per_page=1", 2, 4)}},
		{method: "GET", path: org + "/members", query: map[string]string{"role": "admin"}, file: "members_admin.json"},
		{method: "GET", path: org + "/members", query: map[string]string{"role": "member", "page": "1"}, file: "members_member_1.json",
			header: map[string]string{"Link": link("/organizations/6123450/members", "role=member&per_page=100", 2, 2)}},
		{method: "GET", path: org + "/members", query: map[string]string{"role": "member", "page": "2"}, file: "members_member_2.json"},
		{method: "GET", path: org + "/members", query: map[string]string{"filter": "2fa_disabled"}, file: "members_2fa_disabled.json"},
		{method: "GET", path: org + "/outside_collaborators", file: "outside_collaborators.json"},
		{method: "GET", path: org + "/outside_collaborators", query: map[string]string{"filter": "2fa_disabled"}, file: "empty_list.json"},
		{method: "POST", path: "/api/graphql", file: "graphql_saml.json"},
		{method: "GET", path: org + "/repos", query: map[string]string{"page": "1"}, file: "repos_1.json",
			header: map[string]string{"Link": link("/organizations/6123450/repos", "type=all&sort=full_name&per_page=100", 2, 2)}},
		{method: "GET", path: org + "/repos", query: map[string]string{"page": "2"}, file: "repos_2.json"},
		{method: "GET", path: repo("api") + "/vulnerability-alerts", status: http.StatusNoContent},
		{method: "GET", path: repo("web") + "/vulnerability-alerts", status: http.StatusNotFound, file: "not_found.json"},
		{method: "GET", path: repo("legacy") + "/vulnerability-alerts", status: http.StatusNotFound, file: "not_found.json"},
		{method: "GET", path: repo("infra") + "/vulnerability-alerts", status: http.StatusForbidden, file: "integration_forbidden.json",
			header: map[string]string{"X-Accepted-GitHub-Permissions": "administration=read"}},
		{method: "GET", path: repo("api") + "/branches/main/protection", file: "protection_api.json"},
		{method: "GET", path: repo("web") + "/branches/main/protection", status: http.StatusNotFound, file: "branch_not_protected.json"},
		{method: "GET", path: repo("legacy") + "/branches/master/protection", status: http.StatusNotFound, file: "branch_not_protected.json"},
		{method: "GET", path: repo("infra") + "/branches/main/protection", status: http.StatusForbidden, file: "protection_forbidden.json",
			header: map[string]string{"X-Accepted-GitHub-Permissions": "administration=read"}},
		{method: "GET", path: repo("api") + "/rules/branches/main", file: "rules_api.json"},
		{method: "GET", path: repo("web") + "/rules/branches/main", file: "rules_web.json"},
		{method: "GET", path: repo("legacy") + "/rules/branches/master", file: "rules_legacy.json"},
		{method: "GET", path: repo("api") + "/rulesets/101", query: map[string]string{"includes_parents": "true"}, file: "ruleset_101.json"},
		{method: "GET", path: repo("api") + "/rulesets/202", query: map[string]string{"includes_parents": "true"}, file: "ruleset_202.json"},
		{method: "GET", path: repo("legacy") + "/rulesets/303", query: map[string]string{"includes_parents": "true"}, file: "ruleset_303.json"},
		{method: "GET", path: repo("api") + "/pulls", query: map[string]string{"state": "closed", "sort": "updated", "direction": "desc", "page": "1"},
			file: "pulls_api_1.json", header: map[string]string{"Link": link("/repositories/3001/pulls", "state=closed&sort=updated&direction=desc&per_page=100", 2, 3)}},
		{method: "GET", path: repo("api") + "/pulls", query: map[string]string{"state": "closed", "sort": "updated", "direction": "desc", "page": "2"},
			file: "pulls_api_2.json", header: map[string]string{"Link": link("/repositories/3001/pulls", "state=closed&sort=updated&direction=desc&per_page=100", 3, 3)}},
	}
	for _, name := range []string{"alice", "bob", "carol", "dave", "eve", "frank"} {
		rs = append(rs, route{method: "GET", path: "/users/" + name, file: "user_" + name + ".json"})
	}
	for _, name := range []string{"web", "legacy", "infra"} {
		rs = append(rs, route{method: "GET", path: repo(name) + "/pulls", query: map[string]string{"state": "closed"}, file: "empty_list.json"})
	}
	for _, n := range []string{"42", "40", "39"} {
		rs = append(rs, route{method: "GET", path: repo("api") + "/pulls/" + n, file: "pull_api_" + n + ".json"},
			route{method: "GET", path: repo("api") + "/pulls/" + n + "/reviews", file: "reviews_api_" + n + ".json"})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].path < rs[j].path })
	return rs
}

// throttledOnce answers once with a throttle response, then with the file.
func throttledOnce(t *testing.T, status int, hdr map[string]string, bodyFile, thenFile string, thenHeader map[string]string, base func() string) http.HandlerFunc {
	var mu sync.Mutex
	calls := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if n == 1 {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			w.Write(fixture(t, bodyFile))
			return
		}
		for k, v := range thenHeader {
			w.Header().Set(k, strings.ReplaceAll(v, "{base}", base()))
		}
		io.Copy(w, bytes.NewReader(fixture(t, thenFile)))
	}
}

var _ = context.Background
