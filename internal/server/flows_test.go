package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/web"
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: noRedirect}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

func TestSignInShellSignOut(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	resp, _ := b.get("/settings/members")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fsettings%2Fmembers" {
		t.Fatalf("signed-out page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {"wrong password"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The e-mail or password is not right.") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	resp, _ = b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}, "next": {"/settings/members"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/members" {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie attributes: %+v", cookie)
	}
	resp, body = b.get("/")
	if resp.StatusCode != 200 {
		t.Fatalf("dashboard: %d", resp.StatusCode)
	}
	for _, nav := range []string{"Dashboard", "Frameworks", "Controls", "Integrations", "Tests", "Evidence", "Audits", "Settings"} {
		if !strings.Contains(body, ">"+nav+"</a>") {
			t.Errorf("the shell has no %q link", nav)
		}
	}
	resp, _ = b.post("/logout", url.Values{"csrf": {csrfOf(t, body)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after sign-out: %d", resp.StatusCode)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	limited := false
	for range 12 {
		resp, _ := b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {"guess"}})
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("12 wrong passwords in a row were never limited")
	}
	// The limit holds even for the right password.
	resp, _ := b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password during the limit: %d", resp.StatusCode)
	}
}

func TestSignInRedirectStaysOnSite(t *testing.T) {
	f := newFixture(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/", `/\evil.example`} {
		b := newBrowser(t, f.ts.URL)
		resp, _ := b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}, "next": {next}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
}

func TestMembersPage(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	_, page := b.get("/settings/members")
	csrf := csrfOf(t, page)
	resp, body := b.post("/settings/members", url.Values{"csrf": {csrf}, "email": {"new@example.com"}, "role": {"editor"}})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `id="new-password"`) {
		t.Fatalf("add member: %d", resp.StatusCode)
	}
	pw := regexp.MustCompile(`id="new-password">([^<]+)<`).FindStringSubmatch(body)[1]
	if _, _, err := f.app.Accounts.SignIn(context.Background(), "new@example.com", pw); err != nil {
		t.Fatalf("the shown password does not work: %v", err)
	}
	resp, body = b.post("/settings/members", url.Values{"csrf": {csrf}, "email": {"not an email"}, "role": {"editor"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a valid e-mail address") {
		t.Fatalf("bad e-mail: %d", resp.StatusCode)
	}
	resp, _ = b.post("/settings/members/"+itoa(f.ids[model.RoleEditor])+"/role", url.Values{"csrf": {csrf}, "role": {"viewer"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("role change: %d", resp.StatusCode)
	}
	if _, page = b.get("/settings/members"); !strings.Contains(page, "editor@example.com is now viewer.") {
		t.Fatal("no confirmation message after the role change")
	}
	if _, page = b.get("/settings/members"); strings.Contains(page, "is now viewer") {
		t.Fatal("the message is shown twice")
	}
}

func TestTokensPageShowsTheSecretOnce(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	_, page := b.get("/settings/tokens")
	resp, body := b.post("/settings/tokens", url.Values{"csrf": {csrfOf(t, page)}, "name": {"laptop"}, "days": {"30"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create token: %d", resp.StatusCode)
	}
	secret := regexp.MustCompile(`id="new-token">([^<]+)<`).FindStringSubmatch(body)[1]
	if _, page := b.get("/settings/tokens"); strings.Contains(page, secret) {
		t.Fatal("the token secret is shown again")
	}
	r := f.do(t, http.MethodGet, "/api/v1/me", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) })
	var me struct {
		User struct{ Email string } `json:"user"`
		Role model.Role             `json:"role"`
	}
	_ = json.NewDecoder(r.Body).Decode(&me)
	if r.StatusCode != 200 || me.User.Email != f.app.Bootstrap.Email || me.Role != model.RoleOwner {
		t.Fatalf("the new token does not work: %d %+v", r.StatusCode, me)
	}
}

func itoa(i int64) string {
	b, _ := json.Marshal(i)
	return string(b)
}
