package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The replay: an httptest server answering every operation the connector
// calls with the recorded response in testdata/replay (shaped as Okta's API
// reference documents it), headers included: Link pagination, the
// X-Rate-Limit-* headers, Okta's error bodies. Links in the bodies name
// https://example.okta.com; the server answers them with its own address.

// Credentials the replay accepts.
const (
	testAPIToken = "00QCjAl4MlV-WPXM-Tq3vM5cYjvYLB4c2TcX8Ar2qZ"
	testClientID = "0oa5k74xq1CpvNl2Y5d7"
)

// testAccessToken is the access token in testdata/replay/token.json.
func testAccessToken(t testing.TB) string {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(readReplay(t, "token.json"), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token.json: %v", err)
	}
	return tok.AccessToken
}

func readReplay(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "replay", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reply is one recorded answer; handler, when set, answers instead.
type reply struct {
	status  int
	file    string
	header  map[string]string
	handler http.HandlerFunc
}

type replay struct {
	t      testing.TB
	srv    *httptest.Server
	now    time.Time // the X-Rate-Limit-Reset of ordinary answers is a minute after it
	appKey crypto.PublicKey

	mu     sync.Mutex
	routes map[string]reply
	hits   map[string]int // "METHOD path" → requests
	tokens int            // token requests
	// tokenFile, when set, is the token endpoint's answer (an error).
	tokenFile   string
	tokenStatus int
}

// User ids in the replay.
const (
	ann = "00u5k2aldmGoFOAd05d7" // active, several factors, SUPER_ADMIN and a custom role
	bob = "00u5k2bq3nTxWEmb25d7" // active, never signed in, no factors
	cy  = "00u5k3f1jvH6Ip0Vx5d7" // locked out, only a security question, READ_ONLY_ADMIN through a group
	dee = "00u5k4pk9cYmUr2nJ5d7" // staged, no factors
	eve = "00u4z8qZ1sLrK0DGh5d7" // deactivated
)

var replayUsers = []string{ann, bob, cy, dee}

func newReplay(t testing.TB, now time.Time) *replay {
	r := &replay{t: t, now: now, routes: map[string]reply{}, hits: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	link := func(rels ...string) map[string]string {
		return map[string]string{"Link": strings.Join(rels, ", ")}
	}
	self := `<` + r.srv.URL + `/api/v1/users?limit=200>; rel="self"`
	r.set("GET /api/v1/users?limit=1", reply{file: "users-probe.json"})
	r.set("GET /api/v1/users?limit=200", reply{file: "users-page-1.json",
		header: link(self, `<`+r.srv.URL+`/api/v1/users?after=`+bob+`&limit=200>; rel="next"`)})
	r.set("GET /api/v1/users?after="+bob+"&limit=200", reply{file: "users-page-2.json",
		header: link(`<` + r.srv.URL + `/api/v1/users?after=` + bob + `&limit=200>; rel="self"`)})
	r.set(`GET /api/v1/users?filter=status eq "DEPROVISIONED"&limit=200`, reply{file: "users-deprovisioned.json"})
	for _, u := range replayUsers {
		r.set("GET /api/v1/users/"+u+"/factors", reply{file: "factors-" + u + ".json"})
		r.set("GET /api/v1/users/"+u+"/roles", reply{file: "roles-" + u + ".json"})
	}
	r.set("GET /api/v1/iam/assignees/users?limit=100", reply{file: "iam-assignees-users-1.json"})
	r.set("GET /api/v1/iam/assignees/users?after="+ann+"&limit=100", reply{file: "iam-assignees-users-2.json"})
	for _, typ := range []string{"PASSWORD", "OKTA_SIGN_ON", "MFA_ENROLL", "ACCESS_POLICY"} {
		file := "policies-" + typ + ".json"
		r.set("GET /api/v1/policies?type="+typ, reply{file: file})
		var ps []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(readReplay(t, file), &ps); err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			r.set("GET /api/v1/policies/"+p.ID+"/rules", reply{file: "rules-" + p.ID + ".json"})
		}
	}
	return r
}

// set answers a request ("METHOD /path?query", the query in any order)
// with a reply.
func (r *replay) set(key string, rep reply) {
	method, target, _ := strings.Cut(key, " ")
	u, err := url.Parse(target)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.routes[method+" "+u.Path+"?"+u.Query().Encode()] = rep
	r.mu.Unlock()
}

func (r *replay) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[key]
}

func (r *replay) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.hits {
		n += c
	}
	return n
}

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.hits[req.Method+" "+req.URL.Path]++
	rep, ok := r.routes[req.Method+" "+req.URL.Path+"?"+req.URL.Query().Encode()]
	r.mu.Unlock()
	if req.Method == http.MethodPost && req.URL.Path == "/oauth2/v1/token" {
		r.token(w, req)
		return
	}
	if auth := req.Header.Get("Authorization"); auth != "SSWS "+testAPIToken && auth != "Bearer "+testAccessToken(r.t) {
		r.write(w, reply{status: http.StatusUnauthorized, file: "error-401-E0000011.json"})
		return
	}
	if !ok {
		r.t.Errorf("the replay has no answer for %s %s", req.Method, req.URL)
		http.NotFound(w, req)
		return
	}
	if rep.handler != nil {
		rep.handler(w, req)
		return
	}
	r.write(w, rep)
}

// write sends a recorded answer with the headers Okta sends.
func (r *replay) write(w http.ResponseWriter, rep reply) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Rate-Limit-Limit", "600")
	h.Set("X-Rate-Limit-Remaining", "598")
	h.Set("X-Rate-Limit-Reset", fmt.Sprint(r.now.Add(time.Minute).Unix()))
	for k, v := range rep.header {
		h.Set(k, v)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write([]byte(strings.ReplaceAll(string(readReplay(r.t, rep.file)), "https://example.okta.com", r.srv.URL)))
}

// token is the org authorization server's token endpoint: it checks the
// client credentials grant and the private_key_jwt assertion (signature
// with the app's registered key, iss, sub, aud, lifetime, jti) the way Okta
// documents them, and answers token.json or invalid_client.
func (r *replay) token(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.tokens++
	file, status := r.tokenFile, r.tokenStatus
	r.mu.Unlock()
	if file != "" {
		r.write(w, reply{status: status, file: file})
		return
	}
	if err := req.ParseForm(); err != nil {
		r.t.Error(err)
	}
	f := req.PostForm
	want := "okta.users.read okta.factors.read okta.roles.read okta.policies.read"
	if f.Get("grant_type") != "client_credentials" || f.Get("scope") != want ||
		f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		r.t.Errorf("token request: %v", f)
		r.write(w, reply{status: http.StatusBadRequest, file: "token-invalid_client.json"})
		return
	}
	if err := r.checkAssertion(f.Get("client_assertion")); err != nil {
		r.t.Logf("client assertion refused: %v", err)
		r.write(w, reply{status: http.StatusUnauthorized, file: "token-invalid_client.json"})
		return
	}
	r.write(w, reply{file: "token.json"})
}

func (r *replay) checkAssertion(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	b64 := base64.RawURLEncoding
	var hdr struct{ Alg, Typ, Kid string }
	var claims struct {
		Iss, Sub, Aud, Jti string
		Iat, Exp           int64
	}
	hb, _ := b64.DecodeString(parts[0])
	cb, _ := b64.DecodeString(parts[1])
	sig, _ := b64.DecodeString(parts[2])
	if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(cb, &claims) != nil {
		return fmt.Errorf("header or claims are not JSON")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch k := r.appKey.(type) {
	case *rsa.PublicKey:
		if hdr.Alg != "RS256" || rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig) != nil {
			return fmt.Errorf("RS256 signature refused (alg %s)", hdr.Alg)
		}
	case *ecdsa.PublicKey:
		if hdr.Alg != "ES256" || len(sig) != 64 ||
			!ecdsa.Verify(k, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return fmt.Errorf("ES256 signature refused (alg %s)", hdr.Alg)
		}
	default:
		return fmt.Errorf("no key registered on the app")
	}
	switch {
	case claims.Iss != testClientID || claims.Sub != testClientID:
		return fmt.Errorf("iss %q sub %q", claims.Iss, claims.Sub)
	case claims.Aud != r.srv.URL+"/oauth2/v1/token":
		return fmt.Errorf("aud %q", claims.Aud)
	case claims.Exp-claims.Iat <= 0 || claims.Exp-claims.Iat > 3600 || claims.Jti == "":
		return fmt.Errorf("lifetime %d s, jti %q", claims.Exp-claims.Iat, claims.Jti)
	}
	return nil
}
