package googleworkspace

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/assurehq/assure/internal/connector"
)

// The replay: an httptest server answering the token endpoint and the
// Directory API calls the connector makes, from testdata/ files shaped as
// Google documents them (each answer carries only the fields the request's
// fields= parameter names, as a partial response does). It checks what a
// real endpoint would: the signed JWT assertion (signature, issuer, subject,
// scopes, audience) and the bearer token it issued.

const (
	testSubject     = "assure-reader@example.com"
	testClientEmail = "assure-directory@assure-audit-4821.iam.gserviceaccount.com"
	testClientID    = "109876543210987654321"
	testProject     = "assure-audit-4821"
)

var (
	keyOnce sync.Once
	keyRSA  *rsa.PrivateKey
	keyJSON string
)

// testKey returns a service account JSON key with a private key generated
// for this test run (no key is committed), and the key itself.
func testKey(t testing.TB) (string, *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		b, _ := json.MarshalIndent(map[string]string{
			"type":                        "service_account",
			"project_id":                  testProject,
			"private_key_id":              "3f9c1a7e5d2b4c6a8e0f1d3b5a7c9e1f2d4b6a8c",
			"private_key":                 pemKey,
			"client_email":                testClientEmail,
			"client_id":                   testClientID,
			"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
			"token_uri":                   "https://oauth2.googleapis.com/token",
			"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
			"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/assure-directory%40assure-audit-4821.iam.gserviceaccount.com",
			"universe_domain":             "googleapis.com",
		}, "", "  ")
		keyRSA, keyJSON = k, string(b)
	})
	return keyJSON, keyRSA
}

// replay is the fake Google.
type replay struct {
	t   testing.TB
	srv *httptest.Server
	key *rsa.PrivateKey

	mu         sync.Mutex
	token      string // the access token issued (from testdata/token.json)
	tokenFile  string // the token endpoint's answer: a testdata file
	tokenCode  int    // its status
	override   map[string]http.HandlerFunc
	requests   []*http.Request   // API requests, in order
	assertions []string          // JWT assertions received
	claims     []map[string]any  // their verified claims
	hits       map[string]int    // path → requests
	files      map[string]string // path → testdata file served
}

func newReplay(t testing.TB) *replay {
	t.Helper()
	_, key := testKey(t)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(readTestdata(t, "token.json"), &tok); err != nil {
		t.Fatal(err)
	}
	r := &replay{t: t, key: key, token: tok.AccessToken, tokenFile: "token.json", tokenCode: 200,
		override: map[string]http.HandlerFunc{}, hits: map[string]int{}, files: map[string]string{
			"/admin/directory/v1/customer/my_customer/roles":           "roles.json",
			"/admin/directory/v1/customer/my_customer/roleassignments": "roleassignments.json",
		}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// config is the integration's configuration against the replay.
func (r *replay) config() connector.Config {
	key, _ := testKey(r.t)
	return connector.Config{
		"service_account_key": key,
		"subject":             testSubject,
		"customer_id":         "my_customer",
		"api_base_url":        r.srv.URL + "/",
		"token_url":           r.srv.URL + "/token",
	}
}

// set replaces the answer for one path.
func (r *replay) set(path string, h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.override[path] = h
}

// serveFile answers with a testdata file and a status.
func serveFile(t testing.TB, status int, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		w.Write(readTestdata(t, name))
	}
}

func (r *replay) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.hits[req.URL.Path]++
	h := r.override[req.URL.Path]
	r.mu.Unlock()
	if req.URL.Path == "/token" {
		r.serveToken(w, req)
		return
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+r.token {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`))
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, req.Clone(req.Context()))
	r.mu.Unlock()
	if h != nil {
		h(w, req)
		return
	}
	q := req.URL.Query()
	if q.Get("alt") != "json" || q.Get("prettyPrint") != "false" {
		r.t.Errorf("%s: not the Go client's request (alt=%q prettyPrint=%q)", req.URL.Path, q.Get("alt"), q.Get("prettyPrint"))
	}
	switch p := req.URL.Path; {
	case p == "/admin/directory/v1/users":
		switch {
		case q.Get("customer") != "my_customer":
			serveFile(r.t, 400, "error_not_authorized.json")(w, req)
		case q.Get("maxResults") == "1":
			serveFile(r.t, 200, "users_probe.json")(w, req)
		case q.Get("pageToken") == "":
			serveFile(r.t, 200, "users_page1.json")(w, req)
		case q.Get("pageToken") == "Q0FFU0FCMTE4NzY1NDMyMTAxMjM0NTY3ODkwGAEggJ_HvgU":
			serveFile(r.t, 200, "users_page2.json")(w, req)
		default:
			r.t.Errorf("users.list with an unknown page token %q", q.Get("pageToken"))
			serveFile(r.t, 400, "error_not_authorized.json")(w, req)
		}
	case strings.HasPrefix(p, "/admin/directory/v1/users/"):
		id := strings.TrimPrefix(p, "/admin/directory/v1/users/")
		if _, err := os.Stat(filepath.Join("testdata", "user_"+id+".json")); err != nil {
			serveFile(r.t, 404, "error_user_not_found.json")(w, req)
			return
		}
		serveFile(r.t, 200, "user_"+id+".json")(w, req)
	default:
		r.mu.Lock()
		name := r.files[p]
		r.mu.Unlock()
		if name == "" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":404,"message":"Not Found"}}`))
			return
		}
		serveFile(r.t, 200, name)(w, req)
	}
}

// serveToken checks the JWT bearer grant as Google's endpoint would and
// answers with the configured file.
func (r *replay) serveToken(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil || req.Method != http.MethodPost {
		r.t.Errorf("token request: %s, %v", req.Method, err)
	}
	if gt := req.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		r.t.Errorf("grant_type %q", gt)
	}
	assertion := req.PostForm.Get("assertion")
	claims, err := verifyJWT(assertion, &r.key.PublicKey)
	if err != nil {
		r.t.Errorf("the assertion does not verify: %v", err)
	}
	r.mu.Lock()
	r.assertions = append(r.assertions, assertion)
	r.claims = append(r.claims, claims)
	file, code := r.tokenFile, r.tokenCode
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	w.WriteHeader(code)
	w.Write(readTestdata(r.t, file))
}

// verifyJWT checks an RS256 JWT's signature and returns its claims.
func verifyJWT(token string, pub *rsa.PublicKey) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errFormat
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(raw, &claims)
}

type formatError struct{}

func (formatError) Error() string { return "not a JWT" }

var errFormat error = formatError{}

// apiRequests returns the API requests made to a path, in order.
func (r *replay) apiRequests(path string) []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, req := range r.requests {
		if req.URL.Path == path {
			out = append(out, req.URL.Query())
		}
	}
	return out
}
