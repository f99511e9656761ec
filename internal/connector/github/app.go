package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// GitHub App authentication: the app signs a short-lived JWT (RS256) with
// its private key, and exchanges it for an installation access token
// (POST /app/installations/{id}/access_tokens), valid for an hour. The
// connector refreshes the token a few minutes before it expires.

// appCredentials is a GitHub App's identity.
type appCredentials struct {
	issuer         string // the App ID, or its client ID
	installationID int64
	key            *rsa.PrivateKey
}

func parseApp(appID, installation, keyPEM string) (*appCredentials, error) {
	if appID == "" || installation == "" || keyPEM == "" {
		return nil, errors.New("app_id: a GitHub App needs app_id, installation_id and private_key together")
	}
	if strings.ContainsAny(appID, " /\"") {
		return nil, errors.New("app_id: give the app's numeric App ID or its client ID, from the app's settings page")
	}
	id, err := strconv.ParseInt(installation, 10, 64)
	if err != nil || id <= 0 {
		return nil, errors.New("installation_id: give the installation's number, from the end of its settings URL")
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return &appCredentials{issuer: appID, installationID: id, key: key}, nil
}

// parsePrivateKey reads the PEM GitHub generates (PKCS#1, "RSA PRIVATE
// KEY") or the same key converted to PKCS#8.
func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("private_key: paste the whole .pem file the app's settings page generated, BEGIN and END lines included")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private_key: not a valid RSA private key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private_key: not a valid private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private_key: GitHub App keys are RSA keys; this one is not")
		}
		return rk, nil
	}
	return nil, fmt.Errorf("private_key: a %q block is not a private key: paste the app's .pem file", block.Type)
}

// signJWT builds the app's JWT: issued a minute in the past (clock drift),
// expiring nine minutes ahead (GitHub refuses more than ten).
func (a *appCredentials) signJWT(now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims := map[string]any{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": a.issuer}
	if n, err := strconv.ParseInt(a.issuer, 10, 64); err == nil {
		claims["iss"] = n
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := header + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("cannot sign the app's JWT: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// refreshBefore is how long before its expiry an installation token is
// replaced.
const refreshBefore = 5 * time.Minute

// appTokens hands out the installation token, exchanging a new JWT for a
// new one when the current one is missing or about to expire.
type appTokens struct {
	s  *settings
	rt connector.Runtime

	mu      sync.Mutex
	current string
	expires time.Time
}

func newAppTokens(s *settings, rt connector.Runtime) *appTokens {
	return &appTokens{s: s, rt: rt}
}

// token returns a valid installation token.
func (t *appTokens) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.rt.Now()
	if t.current != "" && now.Add(refreshBefore).Before(t.expires) {
		return t.current, nil
	}
	tok, exp, err := t.create(ctx)
	if err != nil {
		return "", err
	}
	t.current, t.expires = tok, exp
	return tok, nil
}

// jwtHeader is the header of a request authenticated as the app itself.
func (t *appTokens) jwtHeader() (http.Header, error) {
	jwt, err := t.s.app.signJWT(t.rt.Now())
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"Bearer " + jwt}, "Accept": {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"}}, nil
}

// create exchanges a fresh JWT for an installation token through the
// Runtime's client, which retries server errors and throttling within its
// bounds and records the exchange; the registration's Redact keeps the token
// out of the stored answer.
func (t *appTokens) create(ctx context.Context) (string, time.Time, error) {
	u := t.s.apiURL.JoinPath("app", "installations", strconv.FormatInt(t.s.app.installationID, 10), "access_tokens")
	hdr, err := t.jwtHeader()
	if err != nil {
		return "", time.Time{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header = hdr
	resp, body, err := connector.Do(t.rt.HTTPClient(), req)
	if resp == nil {
		return "", time.Time{}, fmt.Errorf("cannot get an installation token: %w", err)
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
		Message   string    `json:"message"`
	}
	_ = json.Unmarshal(body, &out)
	switch {
	case resp.StatusCode == http.StatusCreated && out.Token != "":
		if out.ExpiresAt.IsZero() {
			out.ExpiresAt = t.rt.Now().Add(time.Hour)
		}
		return out.Token, out.ExpiresAt, nil
	case resp.StatusCode == http.StatusUnauthorized:
		return "", time.Time{}, fmt.Errorf("GitHub refused the app's JWT (401 %s): check app_id and that private_key is this app's key "+
			"(and that this machine's clock is right)", out.Message)
	case resp.StatusCode == http.StatusNotFound:
		return "", time.Time{}, fmt.Errorf("installation %d of app %s was not found (404): check installation_id "+
			"(the number at the end of the installation's settings URL) and that the app is installed", t.s.app.installationID, t.s.app.issuer)
	case resp.StatusCode == http.StatusForbidden && !throttledBody(body) && resp.Header.Get("Retry-After") == "":
		return "", time.Time{}, fmt.Errorf("GitHub refused an installation token (403 %s): is the installation suspended?", out.Message)
	}
	return "", time.Time{}, fmt.Errorf("cannot get an installation token: POST %s%s answered %d %s", u.Host, u.Path, resp.StatusCode, out.Message)
}

// redactAnswer keeps the installation token out of the stored answer of
// the token exchange; the connector still reads it.
func redactAnswer(req *http.Request, body []byte) []byte {
	if strings.HasSuffix(req.URL.Path, "/access_tokens") {
		return installationToken(req, body)
	}
	return body
}

var installationToken = connector.RedactJSONFields("token")

// installation is what GET /app/installations/{id} says about the app's
// installation.
type installation struct {
	ID      int64 `json:"id"`
	Account struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"account"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
	SuspendedAt         *string           `json:"suspended_at"`
}

// appPermissions are the installation permissions the connector needs,
// read-only: name in the API → what GitHub's settings page calls it.
var appPermissions = []struct{ key, label string }{
	{"members", "Organization permissions → Members: Read-only"},
	{"organization_administration", "Organization permissions → Administration: Read-only"},
	{"metadata", "Repository permissions → Metadata: Read-only"},
	{"administration", "Repository permissions → Administration: Read-only"},
	{"pull_requests", "Repository permissions → Pull requests: Read-only"},
}

// probeApp proves the app's key (GET /app) and its installation on the
// organization with the permissions the connector needs
// (GET /app/installations/{id}); both authenticated with the JWT.
func (c *conn) probeApp(ctx context.Context) error {
	hdr, err := c.tokens.jwtHeader()
	if err != nil {
		return err
	}
	client := c.rt.HTTPClient() // the JWT is in a header, never recorded
	var app struct {
		Slug string `json:"slug"`
	}
	if _, err := connector.GetJSON(ctx, client, c.s.apiURL.JoinPath("app").String(), hdr, &app); err != nil {
		if he := (*connector.HTTPError)(nil); errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			return fmt.Errorf("GitHub refused the app's JWT (GET /app answered 401): check app_id (%s) and that private_key is this app's key "+
				"(and that this machine's clock is right)", c.s.app.issuer)
		}
		return fmt.Errorf("cannot authenticate as the GitHub App: %w", err)
	}
	var inst installation
	id := strconv.FormatInt(c.s.app.installationID, 10)
	if _, err := connector.GetJSON(ctx, client, c.s.apiURL.JoinPath("app", "installations", id).String(), hdr, &inst); err != nil {
		if he := (*connector.HTTPError)(nil); errors.As(err, &he) && he.Status == http.StatusNotFound {
			return fmt.Errorf("app %s has no installation %s (GET /app/installations/%s answered 404): check installation_id", app.Slug, id, id)
		}
		return fmt.Errorf("cannot read the app's installation %s: %w", id, err)
	}
	if !strings.EqualFold(inst.Account.Login, c.s.org) {
		return fmt.Errorf("installation %s of app %s is on the account %q, not on the organization %q: give the installation id of the app on %s",
			id, app.Slug, inst.Account.Login, c.s.org, c.s.org)
	}
	if inst.SuspendedAt != nil && *inst.SuspendedAt != "" {
		return fmt.Errorf("installation %s of app %s on %s is suspended: unsuspend it in the organization's settings", id, app.Slug, c.s.org)
	}
	var missing []string
	for _, p := range appPermissions {
		if lvl := inst.Permissions[p.key]; lvl != "read" && lvl != "write" && lvl != "admin" {
			missing = append(missing, p.label)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("app %s lacks permissions on %s: grant %s, then accept the new permissions on the installation",
			app.Slug, c.s.org, strings.Join(missing, "; "))
	}
	return nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
