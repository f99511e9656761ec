// Package okta is the okta connector: it reads an Okta org through the
// Management API over plain REST (no SDK): users with their status, sign-in
// dates, enrolled factors and admin roles; admin role assignments; password
// policies; global session (sign-on) policies; MFA / authenticator
// enrollment policies; and, on Identity Engine orgs, authentication
// policies. It authenticates with an API token (SSWS) or as an OAuth 2.0
// service app (client credentials with a private_key_jwt assertion).
//
// Every call goes through the Runtime's HTTP client, so it is rate-limited,
// retried, recorded and waits out Okta's X-Rate-Limit-* throttling within a
// bound. Two answers carry secrets the Runtime cannot know, and the
// registration's HTTPPolicy.Redact stores them without: the service app's
// token answer (the access token) and factor listings (the activation secret
// of a factor pending activation).
package okta

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// The scopes a service app's access token is requested with: read-only,
// one per kind of object read.
var scopes = []string{"okta.users.read", "okta.factors.read", "okta.roles.read", "okta.policies.read"}

// Defaults of the lookup bounds (configuration fields).
const (
	defaultMaxUserLookups = 5000
	defaultConcurrency    = 4
	maxConcurrency        = 16
	// maxPace bounds how long the connector waits, before a request, for a
	// quota Okta said was used up (the HTTP discipline's own bound).
	maxPace = 2 * time.Minute
)

// Where admin roles are read from (config admin_roles_from).
const (
	adminFromAssignees = "assignees"
	adminFromEveryUser = "every_user"
)

// Registration declares the okta connector.
func Registration() connector.Registration {
	return connector.Registration{
		ID:       "okta",
		Name:     "Okta",
		Category: connector.CategoryIdentity,
		Description: "Reads an Okta org through the Management API: users with their status, sign-in dates, " +
			"enrolled factors (MFA) and admin roles; admin role assignments; password, global session, " +
			"MFA enrollment and authentication policies with their rules.",
		Fields: []connector.ConfigField{
			{Name: "org_url", Label: "Org URL", Type: connector.FieldURL, Required: true,
				Help: "Your Okta org's address, e.g. https://example.okta.com (not the -admin address). " +
					"A custom domain works too. Must be https."},
			{Name: "api_token", Label: "API token", Type: connector.FieldString, Secret: true,
				Help: "An API token (sent as Authorization: SSWS …) created by an admin who holds the Read-Only " +
					"Administrator role (Security → API → Tokens). Give this or a service app, not both."},
			{Name: "client_id", Label: "Service app client ID", Type: connector.FieldString,
				Help: "Client ID of an API Services app using Public key / Private key client authentication, " +
					"granted the scopes " + strings.Join(scopes, ", ") + " and the Read-Only Administrator role."},
			{Name: "private_key", Label: "Service app private key", Type: connector.FieldText, Secret: true,
				Help: "PEM private key (RSA of 2048 bits or more, or EC P-256) whose public key is registered on the " +
					"service app; the assertion is signed RS256 or ES256."},
			{Name: "key_id", Label: "Service app key ID", Type: connector.FieldString,
				Help: "The kid Okta shows for the app's public key; sent in the assertion's header. Needed when " +
					"the app has several keys."},
			{Name: "max_user_lookups", Label: "Per-user lookups", Type: connector.FieldInt, Default: "5000",
				Help: "At most this many users get their factors (and, with admin_roles_from=every_user, their " +
					"roles) read per run: one API call each. Beyond it those facts are unknown and the listing is partial."},
			{Name: "lookup_concurrency", Label: "Concurrent lookups", Type: connector.FieldInt, Default: "4",
				Help: "How many per-user calls run at once (1–16), within the integration's rate limit."},
			{Name: "admin_roles_from", Label: "Admin roles from", Type: connector.FieldString, Default: adminFromAssignees,
				Help: "assignees: read the roles of the users Okta lists as holding a role (GET " +
					"/api/v1/iam/assignees/users; cheap). every_user: read every non-deactivated user's roles " +
					"(one call per user)."},
		},
		// Okta's per-minute limits are per endpoint family, typically 600
		// requests a minute or more; 5 a second stays well inside them
		// and leaves room for the org's other integrations.
		HTTP: connector.HTTPPolicy{RateLimit: 5,
			Throttle: connector.RateLimitReset("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"),
			Redact:   redactAnswer},
		Open: open,
		Resources: []connector.ResourceType{
			userType(),
			adminRoleType(),
			passwordPolicyType(),
			signOnPolicyType(),
			mfaEnrollmentPolicyType(),
			authenticationPolicyType(),
		},
	}
}

// client is one integration's connection for one run. What several
// listings need (the users, their admin roles) is read once and kept.
type client struct {
	rt   connector.Runtime
	http *http.Client // the Runtime's client under the pacer
	base string       // scheme://host of the org
	auth authenticator

	maxLookups  int
	concurrency int
	adminFrom   string

	usersMu  sync.Mutex
	users    *cached[*userSet]
	adminsMu sync.Mutex
	admins   *cached[*adminSet]
}

// cached is a value read once per run, with the error of that read.
type cached[T any] struct {
	v   T
	err error
}

func open(_ context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	base, err := orgURL(cfg.String("org_url"))
	if err != nil {
		return nil, err
	}
	c := &client{rt: rt, base: base.Scheme + "://" + base.Host}
	if c.maxLookups, err = cfg.Int("max_user_lookups", defaultMaxUserLookups); err != nil {
		return nil, err
	}
	if c.maxLookups < 0 {
		return nil, errors.New("max_user_lookups: give 0 or more")
	}
	if c.concurrency, err = cfg.Int("lookup_concurrency", defaultConcurrency); err != nil {
		return nil, err
	}
	if c.concurrency < 1 || c.concurrency > maxConcurrency {
		return nil, fmt.Errorf("lookup_concurrency: give a number from 1 to %d", maxConcurrency)
	}
	switch c.adminFrom = cfg.String("admin_roles_from"); c.adminFrom {
	case "":
		c.adminFrom = adminFromAssignees
	case adminFromAssignees, adminFromEveryUser:
	default:
		return nil, fmt.Errorf("admin_roles_from: %q is neither %s nor %s", c.adminFrom, adminFromAssignees, adminFromEveryUser)
	}
	hc := *rt.HTTPClient()
	hc.Transport = &pacer{next: hc.Transport, now: rt.Now, sleep: sleepCtx, max: maxPace}
	c.http = &hc
	if c.auth, err = newAuthenticator(cfg, c.base, rt, c.http); err != nil {
		return nil, err
	}
	return c, nil
}

// orgURL validates the org URL: https (plain http only on a loopback
// address, for tests), a host, nothing else.
func orgURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("org_url: give your org's address, e.g. https://example.okta.com")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("org_url: give only the scheme and host, e.g. https://example.okta.com")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, errors.New("org_url: must be https (the credentials travel with every request)")
	}
	if strings.Contains(u.Hostname(), "-admin.") {
		return nil, fmt.Errorf("org_url: %s is the Admin Console's address; give the org's, without -admin", u.Host)
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Probe lists one user: it proves the credentials (and, for a service app,
// the token exchange) and the main permission, reading users.
func (c *client) Probe(ctx context.Context) error {
	var users []oktaUser
	return c.getJSON(ctx, c.base+"/api/v1/users?limit=1", "read users", &users)
}

// Close implements connector.Conn.
func (c *client) Close() error { return nil }

// getJSON reads one URL of the org into v; a refusal says what to fix.
func (c *client) getJSON(ctx context.Context, rawURL, what string, v any) error {
	return c.call(ctx, what, func(ctx context.Context, h http.Header) error {
		_, err := connector.GetJSON(ctx, c.http, rawURL, h, v)
		return err
	})
}

// pages walks a paginated listing (Link rel="next", or the _links.next of
// a body, which the IAM APIs use), calling fn with each page.
func (c *client) pages(ctx context.Context, first, what string, fn func(pg connector.Page) (bodyNext string, err error)) error {
	return c.call(ctx, what, func(ctx context.Context, h http.Header) error {
		p := connector.Pager{Client: c.http, Header: h}
		return p.Each(ctx, first, func(pg connector.Page) (string, error) {
			bodyNext, err := fn(pg)
			if err != nil {
				return "", err
			}
			if next := connector.NextLink(pg.Response.Header); next != "" {
				return next, nil
			}
			return bodyNext, nil
		})
	})
}

// call runs fn with the authorization header and turns an answer Okta
// refused into an error that says which credential or permission is
// wrong (the refused answer is kept for it by the transport).
func (c *client) call(ctx context.Context, what string, fn func(ctx context.Context, h http.Header) error) error {
	h, err := c.auth.header(ctx)
	if err != nil {
		return err
	}
	ctx, last := keepRefusal(ctx)
	if err := fn(ctx, h); err != nil {
		return c.explain(err, last.get(), what)
	}
	return nil
}

// redactAnswer is the copy of an answer kept as provenance: without the
// access token of a token answer, and without the activation data (a TOTP
// shared secret, a QR code) of a factor listing. The connector still reads
// both answers whole.
func redactAnswer(req *http.Request, body []byte) []byte {
	switch p := req.URL.Path; {
	case strings.HasSuffix(p, "/v1/token"):
		return withoutTokens(body)
	case strings.HasSuffix(p, "/factors"):
		return withoutActivation(body)
	}
	return body
}
