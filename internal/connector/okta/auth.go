package okta

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// authenticator gives the Authorization header of every request, and the
// advice to give when Okta refuses it.
type authenticator interface {
	header(ctx context.Context) (http.Header, error)
	// refused advises on a 401; forbidden on a 403 (E0000006).
	refused() string
	forbidden() string
}

// newAuthenticator reads the credential fields: an API token, or a service
// app whose token requests go through hc (the Runtime's client).
func newAuthenticator(cfg connector.Config, base string, rt connector.Runtime, hc *http.Client) (authenticator, error) {
	token, clientID, key := cfg.String("api_token"), cfg.String("client_id"), strings.TrimSpace(cfg["private_key"])
	switch {
	case token != "" && (clientID != "" || key != ""):
		return nil, errors.New("give either api_token or a service app (client_id and private_key), not both")
	case token != "":
		if strings.HasPrefix(strings.ToUpper(token), "SSWS ") {
			token = strings.TrimSpace(token[5:])
		}
		return apiToken(token), nil
	case clientID == "" && key == "":
		return nil, errors.New("give an api_token, or a service app's client_id and private_key")
	case clientID == "":
		return nil, errors.New("client_id: give the service app's client ID (the private key alone does not name the app)")
	case key == "":
		return nil, errors.New("private_key: give the PEM private key whose public key is registered on the service app")
	}
	signer, alg, err := parsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	return &serviceApp{rt: rt, clientID: clientID, kid: cfg.String("key_id"), key: signer, alg: alg,
		tokenURL: base + "/oauth2/v1/token", http: hc}, nil
}

// apiToken is an SSWS API token.
type apiToken string

func (t apiToken) header(context.Context) (http.Header, error) {
	return http.Header{"Authorization": {"SSWS " + string(t)}, "Accept": {"application/json"}}, nil
}

func (apiToken) refused() string {
	return "Okta refused the API token: it is wrong, was revoked, or expired (a token unused for 30 days expires); " +
		"create a new one under Security → API → Tokens while signed in as a Read-Only Administrator, and put it in api_token"
}

func (apiToken) forbidden() string {
	return "an API token acts with the admin role of the admin who created it, and that role may not read this: give that " +
		"admin the Read-Only Administrator role (Security → Administrators), or create the token as an admin who holds it"
}

// serviceApp is an OAuth 2.0 API Services app: client credentials with a
// private_key_jwt client assertion against the org authorization server.
type serviceApp struct {
	rt       connector.Runtime
	clientID string
	kid      string
	key      crypto.Signer
	alg      string // RS256 or ES256
	tokenURL string
	http     *http.Client // the Runtime's client (under the pacer)

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (s *serviceApp) refused() string {
	return "Okta refused the service app's access token: check that the app is still active and has not been changed " +
		"to require DPoP"
}

func (s *serviceApp) forbidden() string {
	return "the service app holds no admin role that may read this: assign it the Read-Only Administrator role " +
		"(Applications → the app → Admin roles)"
}

// header returns a bearer header, asking for a token when there is none or
// it expires within five minutes.
func (s *serviceApp) header(ctx context.Context) (http.Header, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" || !s.rt.Now().Before(s.expires.Add(-5*time.Minute)) {
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
	}
	return http.Header{"Authorization": {"Bearer " + s.token}, "Accept": {"application/json"}}, nil
}

// tokenAnswer is the token endpoint's answer, success or error.
type tokenAnswer struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fetch exchanges a fresh client assertion for an access token. The
// exchange goes through the Runtime's client like every call, and is
// recorded with every token in the answer replaced by [redacted]: the
// access token is a secret the integration's configuration does not hold,
// so the Runtime could not redact it by itself.
func (s *serviceApp) fetch(ctx context.Context) error {
	now := s.rt.Now()
	assertion, err := s.assertion(now)
	if err != nil {
		return fmt.Errorf("cannot sign the client assertion: %w", err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {strings.Join(scopes, " ")},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("cannot build the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	_, body, err := connector.Do(s.http, req)
	var he *connector.HTTPError
	if err != nil && !errors.As(err, &he) {
		return fmt.Errorf("cannot get an access token: %w", err)
	}
	var ans tokenAnswer
	jsonErr := json.Unmarshal(body, &ans)
	where := req.URL.Host + req.URL.Path
	switch {
	case err == nil && jsonErr == nil && ans.AccessToken != "":
		if !strings.EqualFold(ans.TokenType, "Bearer") {
			return dpopUnsupported(where, "it issued a "+ans.TokenType+" token")
		}
		s.token = ans.AccessToken
		life := time.Duration(ans.ExpiresIn) * time.Second
		if life <= 0 {
			life = time.Hour
		}
		s.expires = now.Add(life)
		return nil
	case err == nil:
		return fmt.Errorf("cannot get an access token: the answer of %s has no access token", where)
	case jsonErr != nil || ans.Error == "":
		return fmt.Errorf("cannot get an access token: %w", err)
	}
	desc := strings.TrimSpace(ans.Description)
	switch ans.Error {
	case "invalid_client":
		return fmt.Errorf("cannot get an access token: Okta refused the service app's client assertion (invalid_client: %s): "+
			"check client_id, that the app's client authentication is Public key / Private key, and that the public key "+
			"of private_key%s is registered on it and active", desc, s.kidNote())
	case "invalid_scope":
		return fmt.Errorf("cannot get an access token: Okta refused the scopes (invalid_scope: %s): grant %s on the "+
			"app's Okta API Scopes tab", desc, strings.Join(scopes, ", "))
	case "unauthorized_client":
		return fmt.Errorf("cannot get an access token: the app may not use the client credentials grant (unauthorized_client: %s): "+
			"use an API Services app", desc)
	case "invalid_dpop_proof", "use_dpop_nonce":
		return dpopUnsupported(where, ans.Error+": "+desc)
	}
	return fmt.Errorf("cannot get an access token: %s answered %d (%s: %s)", where, he.Status, ans.Error, desc)
}

func (s *serviceApp) kidNote() string {
	if s.kid == "" {
		return " (no key_id given: Okta may need it when the app has several keys)"
	}
	return " (key_id " + s.kid + ")"
}

func dpopUnsupported(where, why string) error {
	return fmt.Errorf("cannot get an access token from %s: the service app requires DPoP-bound tokens (%s), which Assure "+
		"does not support yet: clear \"Require Demonstrating Proof of Possession (DPoP) header in token requests\" on the app", where, why)
}

// withoutTokens is the body filter of the token request: every token in
// the answer replaced by [redacted].
func withoutTokens(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	changed := false
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if _, ok := m[k]; ok {
			m[k] = "[redacted]"
			changed = true
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return []byte(`{"note":"token answer withheld"}`)
	}
	return out
}

// assertion builds the private_key_jwt client assertion: iss and sub the
// client id, aud the token endpoint, valid five minutes, a unique jti.
func (s *serviceApp) assertion(now time.Time) (string, error) {
	hdr := map[string]string{"alg": s.alg, "typ": "JWT"}
	if s.kid != "" {
		hdr["kid"] = s.kid
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := map[string]any{"iss": s.clientID, "sub": s.clientID, "aud": s.tokenURL,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": hex.EncodeToString(jti)}
	h, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			return "", err
		}
	case *ecdsa.PrivateKey:
		r, ss, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			return "", err
		}
		// JWS ES256: r and s as two 32-byte big-endian integers.
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
	default:
		return "", fmt.Errorf("unsupported key type %T", s.key)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// parsePrivateKey reads a PEM private key: PKCS #8, PKCS #1 (RSA) or SEC 1
// (EC). RSA keys sign RS256 and need 2048 bits; EC keys must be P-256
// (ES256).
func parsePrivateKey(text string) (crypto.Signer, string, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, "", errors.New("not a PEM block (-----BEGIN PRIVATE KEY----- …); paste the whole key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, "", errors.New("the key is encrypted; give it unencrypted (it is sealed at rest)")
	default:
		return nil, "", fmt.Errorf("a %q PEM block is not a private key", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("the RSA key has %d bits; Okta needs 2048 or more", k.N.BitLen())
		}
		return k, "RS256", nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, "", fmt.Errorf("the EC key is on %s; use P-256 (ES256)", k.Curve.Params().Name)
		}
		return k, "ES256", nil
	}
	return nil, "", fmt.Errorf("a %T key is not supported; use RSA or EC P-256", key)
}
