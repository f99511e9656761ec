package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

func ioNop(s string) io.ReadCloser             { return io.NopCloser(strings.NewReader(s)) }
func readAll(r *http.Response) ([]byte, error) { return io.ReadAll(r.Body) }

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
)

// testKey is the test app's private key, made once per test binary (no key
// is kept in testdata).
func testKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		appKey = k
	})
	return appKey
}

// testKeyPEM is the key as GitHub hands it out: PKCS#1 PEM.
func testKeyPEM(t testing.TB) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey(t))}))
}

// clock is a test clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock(t time.Time) *clock    { return &clock{t: t} }
func appRoutes() []route {
	return []route{
		{method: "GET", path: "/app", file: "app.json"},
		{method: "GET", path: "/app/installations/5151515", file: "installation.json"},
		{method: "POST", path: "/app/installations/5151515/access_tokens", status: http.StatusCreated, file: "access_token.json"},
	}
}

// newAppReplay serves the API to the app: its JWT checked with the app's
// public key, API calls only with the installation token.
func newAppReplay(t *testing.T, clk *clock) *replay {
	r := newReplay(t)
	r.key = &testKey(t).PublicKey
	r.now = clk.now
	r.scopes = nil
	r.auth = func(h string) bool { return h == "Bearer "+instToken }
	for _, rt := range appRoutes() {
		r.set(rt)
	}
	return r
}

func appConfig(r *replay) connector.Config {
	return connector.Config{"org": testOrg, "api_url": r.base(), "app_id": "424242", "installation_id": "5151515", "private_key": testKeyPEM(r.t)}
}

func TestGitHubApp(t *testing.T) {
	clk := newClock(now)
	r := newAppReplay(t, clk)
	rt := connectortest.NewRuntime(now)
	rt.Clock = clk.now
	rt.Redact = Registration().HTTP.Redact // as the real runtime applies it
	cn, err := Registration().Open(t.Context(), appConfig(r), rt)
	if err != nil {
		t.Fatal(err)
	}
	if err := cn.Probe(t.Context()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	em := &connectortest.Emitter{}
	for _, typ := range Registration().Resources {
		if typ.Name == "github.organization" {
			if err := typ.List(t.Context(), cn, em); err != nil {
				t.Fatal(err)
			}
		}
	}
	if a := em.Resources[0].Attributes; a["credential"] != credApp || a["two_factor_requirement_enabled"] != true {
		t.Fatalf("organization read by the app: %v", a)
	}
	if n := r.count("POST", "/app/installations/5151515/access_tokens"); n != 1 {
		t.Fatalf("%d token exchanges, want 1", n)
	}
	// The exchange is recorded, the token replaced; nothing recorded holds it.
	exchanged := false
	for _, c := range rt.Calls() {
		if strings.Contains(string(c.Body), instToken) || strings.Contains(c.Observation.Path, instToken) {
			t.Fatalf("the installation token was recorded in %s %s", c.Observation.Method, c.Observation.Path)
		}
		if c.Observation.Method == "POST" && strings.HasSuffix(c.Observation.Path, "/access_tokens") {
			exchanged = strings.Contains(string(c.Body), `"token": "[redacted]"`) && c.Observation.Status == http.StatusCreated
		}
	}
	if !exchanged {
		t.Fatal("the token exchange was not recorded (redacted)")
	}

	// The token (valid until 13:00) is reused, and replaced five minutes
	// before it expires.
	clk.add(50 * time.Minute)
	em = &connectortest.Emitter{}
	if err := Registration().Resources[0].List(t.Context(), cn, em); err != nil {
		t.Fatal(err)
	}
	cn.(*conn).organization(t.Context()) // cached: no call
	if _, err := cn.(*conn).tokens.token(t.Context()); err != nil || r.count("POST", "/app/installations/5151515/access_tokens") != 1 {
		t.Fatalf("at 12:50 the token is still good: %v, %d exchanges", err, r.count("POST", "/app/installations/5151515/access_tokens"))
	}
	clk.add(6 * time.Minute)
	if _, err := cn.(*conn).tokens.token(t.Context()); err != nil || r.count("POST", "/app/installations/5151515/access_tokens") != 2 {
		t.Fatalf("at 12:56 the token must be replaced: %v, %d exchanges", err, r.count("POST", "/app/installations/5151515/access_tokens"))
	}
}

func TestGitHubAppProbe(t *testing.T) {
	probe := func(r *replay, cfg connector.Config) error {
		conn, err := Registration().Open(t.Context(), cfg, connectortest.NewRuntime(now))
		if err != nil {
			t.Fatal(err)
		}
		return conn.Probe(t.Context())
	}
	clk := newClock(now)
	r := newAppReplay(t, clk)
	r.set(route{method: "GET", path: "/app/installations/5151515", file: "installation_missing_permissions.json"})
	err := probe(r, appConfig(r))
	if err == nil || !strings.Contains(err.Error(), "Organization permissions → Members: Read-only") ||
		!strings.Contains(err.Error(), "Repository permissions → Administration: Read-only") || strings.Contains(err.Error(), "Pull requests") {
		t.Errorf("missing permissions: %v", err)
	}
	r.set(route{method: "GET", path: "/app/installations/5151515", file: "installation_other_account.json"})
	if err := probe(r, appConfig(r)); err == nil || !strings.Contains(err.Error(), `on the account "someone-else", not on the organization "acme-corp"`) {
		t.Errorf("other account: %v", err)
	}
	r.set(route{method: "GET", path: "/app/installations/5151515", status: http.StatusNotFound, file: "not_found.json"})
	if err := probe(r, appConfig(r)); err == nil || !strings.Contains(err.Error(), "has no installation 5151515") {
		t.Errorf("no installation: %v", err)
	}
	// Another key: GitHub refuses the JWT.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cfg := appConfig(r)
	cfg["private_key"] = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))
	if err := probe(r, cfg); err == nil || !strings.Contains(err.Error(), "GitHub refused the app's JWT") {
		t.Errorf("wrong key: %v", err)
	}
	// The exchange itself refused (a key of another app reaching the API).
	cn, err := Registration().Open(t.Context(), cfg, connectortest.NewRuntime(now))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cn.(*conn).tokens.token(t.Context())
	if err == nil || !strings.Contains(err.Error(), "check app_id and that private_key is this app's key") {
		t.Errorf("exchange with a wrong key: %v", err)
	}
}

func TestPrivateKeyForms(t *testing.T) {
	k := testKey(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{
		"pkcs1": testKeyPEM(t),
		"pkcs8": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	} {
		got, err := parsePrivateKey(p)
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := parsePrivateKey(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}))); err == nil {
		t.Error("a public key was accepted")
	}
}
