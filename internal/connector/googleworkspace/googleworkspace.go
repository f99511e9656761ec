// Package googleworkspace is the google_workspace connector: it reads a
// Google Workspace (or Cloud Identity) account's users and administrator
// role assignments through the Admin SDK Directory API, as a service account
// acting for one administrator by domain-wide delegation.
//
// The client is Google's own (google.golang.org/api/admin/directory/v1)
// over the Runtime's HTTP client, so both the OAuth token exchange and every
// API call are rate-limited, retried within bounds and recorded as
// provenance. The token endpoint's answer carries the access token: the
// registration's HTTPPolicy.Redact replaces it before the body is stored.
package googleworkspace

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/assurehq/assure/internal/connector"
)

// scopes are the OAuth scopes the service account asks for: read-only, and nothing
// else. Domain-wide delegation must grant exactly these (a token request
// for a scope that is not granted is refused whole).
var scopes = []string{
	admin.AdminDirectoryUserReadonlyScope,           // users.list, users.get
	admin.AdminDirectoryRolemanagementReadonlyScope, // roles.list, roleAssignments.list
}

// Defaults: Google's endpoints.
const (
	DefaultAPIBaseURL = "https://admin.googleapis.com/"
	DefaultTokenURL   = google.JWTTokenURL
	DefaultCustomer   = "my_customer"
)

// maxPages bounds one paginated listing (500 users a page: 500,000 users).
const maxPages = 1000

// Registration declares the google_workspace connector.
func Registration() connector.Registration {
	return connector.Registration{
		ID:       "google_workspace",
		Name:     "Google Workspace",
		Category: connector.CategoryIdentity,
		Description: "Reads the users of a Google Workspace account (2-step verification, administrator status, " +
			"suspension, last sign-in, organizational unit) and its administrator role assignments, with the Admin SDK " +
			"Directory API as a service account with domain-wide delegation.",
		Fields: []connector.ConfigField{
			{Name: "service_account_key", Label: "Service account key", Type: connector.FieldText, Required: true, Secret: true,
				Help: "The service account's JSON key file, pasted whole. Its client ID must be granted domain-wide delegation " +
					"for the scopes " + strings.Join(scopes, " and ") + "."},
			{Name: "subject", Label: "Administrator to act as", Type: connector.FieldString, Required: true,
				Help: "Email of the Workspace administrator the service account acts as (the JWT subject). It needs to read " +
					"users and administrator roles; a super administrator can."},
			{Name: "customer_id", Label: "Customer ID", Type: connector.FieldString, Default: DefaultCustomer,
				Help: "The Workspace customer ID (Admin console: Account settings, e.g. C01abc234), or my_customer for the " +
					"administrator's own account."},
			{Name: "api_base_url", Label: "API base URL", Type: connector.FieldURL, Default: DefaultAPIBaseURL,
				Help: "Root of the Admin SDK API. Change it only to point at a proxy or a test replay."},
			{Name: "token_url", Label: "Token URL", Type: connector.FieldURL, Default: DefaultTokenURL,
				Help: "Google's OAuth 2.0 token endpoint, where the service account exchanges its signed JWT for an access " +
					"token. Change it only to point at a proxy or a test replay."},
		},
		HTTP: connector.HTTPPolicy{
			Throttle: Throttle,
			// The token endpoint's answer carries the access token (and an ID
			// token on request): store the exchange, never the tokens.
			Redact: connector.RedactJSONFields("access_token", "id_token", "refresh_token"),
		},
		Open:      open,
		Resources: []connector.ResourceType{userType(), roleAssignmentType()},
	}
}

// conn is one integration's Directory API client.
type conn struct {
	rt          connector.Runtime
	svc         *admin.Service
	subject     string
	customer    string
	clientID    string // numeric OAuth client id of the service account (for advice)
	clientEmail string
	projectID   string
	apiHost     string
	tokenURL    string
}

// keyFile is the part of a service account JSON key the connector checks
// (the oauth2 library reads the key itself).
type keyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
}

var (
	customerPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	emailPattern    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func open(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	raw := []byte(cfg.String("service_account_key"))
	if len(raw) == 0 {
		return nil, errors.New("service_account_key: paste the service account's JSON key file")
	}
	var kf keyFile
	if err := json.Unmarshal(raw, &kf); err != nil {
		return nil, errors.New("service_account_key: the value is not JSON; paste the whole key file the Google Cloud console downloaded")
	}
	if kf.Type != "service_account" {
		return nil, fmt.Errorf("service_account_key: the key's type is %q, not service_account: create a JSON key for a service account", kf.Type)
	}
	if kf.ClientEmail == "" || kf.PrivateKey == "" {
		return nil, errors.New("service_account_key: the key has no client_email or private_key: paste the whole key file")
	}
	if err := checkPrivateKey(kf.PrivateKey); err != nil {
		return nil, fmt.Errorf("service_account_key: %w", err)
	}
	subject := cfg.String("subject")
	if !emailPattern.MatchString(subject) {
		return nil, errors.New("subject: give the email address of the Workspace administrator the service account acts as")
	}
	customer := cfg.String("customer_id")
	if customer == "" {
		customer = DefaultCustomer
	}
	if !customerPattern.MatchString(customer) {
		return nil, fmt.Errorf("customer_id: %q is not a customer ID: use my_customer or the ID from the Admin console (e.g. C01abc234)", customer)
	}
	apiBase, err := baseURL(cfg, "api_base_url", DefaultAPIBaseURL)
	if err != nil {
		return nil, err
	}
	tokenURL, err := baseURL(cfg, "token_url", DefaultTokenURL)
	if err != nil {
		return nil, err
	}
	jc, err := google.JWTConfigFromJSON(raw, scopes...)
	if err != nil {
		return nil, errors.New("service_account_key: the key file could not be read as a service account key")
	}
	jc.Subject = subject
	jc.TokenURL = tokenURL.String()

	// One disciplined, recorded client under both the token exchange and
	// the API calls.
	hc := rt.HTTPClient()
	tokens := jc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc))
	api := &http.Client{
		Transport:     &oauth2.Transport{Source: tokens, Base: hc.Transport},
		CheckRedirect: hc.CheckRedirect,
		Jar:           hc.Jar,
		Timeout:       hc.Timeout,
	}
	endpoint := apiBase.String()
	if !strings.HasSuffix(endpoint, "/") {
		endpoint += "/"
	}
	svc, err := admin.NewService(ctx, option.WithHTTPClient(api), option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("cannot prepare the Directory API client: %w", err)
	}
	return &conn{rt: rt, svc: svc, subject: subject, customer: customer, clientID: kf.ClientID,
		clientEmail: kf.ClientEmail, projectID: kf.ProjectID, apiHost: apiBase.Host, tokenURL: tokenURL.Host + tokenURL.Path}, nil
}

// checkPrivateKey refuses a key the token exchange could never sign with.
func checkPrivateKey(p string) error {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return errors.New("private_key is not a PEM block: paste the key file as downloaded")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if _, ok := k.(*rsa.PrivateKey); ok {
			return nil
		}
		return errors.New("private_key is not an RSA key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("private_key cannot be parsed as an RSA private key")
}

func baseURL(cfg connector.Config, field, def string) (*url.URL, error) {
	v := cfg.String(field)
	if v == "" {
		v = def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%s: %q is not an http(s) URL without credentials or query", field, v)
	}
	return u, nil
}

// Probe obtains a token and lists one user: it proves the key, the
// delegation of both scopes (the token is refused otherwise), the subject
// and its right to read users.
func (c *conn) Probe(ctx context.Context) error {
	_, err := c.svc.Users.List().Customer(c.customer).MaxResults(1).Fields("users(id)").Context(ctx).Do()
	if err != nil {
		return c.explain(err, "list users")
	}
	return nil
}

func (c *conn) Close() error { return nil }

// Throttle recognizes the Directory API's throttling answers that carry no
// reset time — 403 with reason userRateLimitExceeded, rateLimitExceeded or
// quotaExceeded — so the client backs off and retries them like a 429
// (which it retries anyway).
func Throttle(resp *http.Response, _ time.Time) (time.Time, bool) {
	if resp.StatusCode != http.StatusForbidden || resp.Body == nil {
		return time.Time{}, false
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return time.Time{}, false
	}
	return time.Time{}, throttleReason(parseAPIError(b)) != ""
}

var throttleReasons = map[string]bool{"userRateLimitExceeded": true, "rateLimitExceeded": true, "quotaExceeded": true}

// apiError is Google's JSON error body.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

func parseAPIError(b []byte) apiError {
	var e apiError
	_ = json.Unmarshal(b, &e)
	return e
}

func throttleReason(e apiError) string {
	for _, it := range e.Error.Errors {
		if throttleReasons[it.Reason] {
			return it.Reason
		}
	}
	if e.Error.Status == "RESOURCE_EXHAUSTED" {
		return e.Error.Status
	}
	return ""
}

func (e apiError) hasReason(reasons ...string) bool {
	for _, r := range reasons {
		for _, it := range e.Error.Errors {
			if it.Reason == r {
				return true
			}
		}
		for _, d := range e.Error.Details {
			if d.Reason == r {
				return true
			}
		}
	}
	return false
}

// explain turns an error of the token exchange or of an API call into what
// the operator should fix. what names the call ("list users").
func (c *conn) explain(err error, what string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return c.explainToken(re)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		if strings.Contains(err.Error(), "oauth2: cannot fetch token") {
			return fmt.Errorf("cannot obtain an access token from %s: %w", c.tokenURL, unwrapURL(err))
		}
		return fmt.Errorf("cannot %s: %w", what, unwrapURL(err))
	}
	e := parseAPIError([]byte(ge.Body))
	msg := ge.Message
	if msg == "" {
		msg = http.StatusText(ge.Code)
	}
	switch {
	case ge.Code == http.StatusTooManyRequests || throttleReason(e) != "":
		reason := throttleReason(e)
		if reason == "" {
			reason = "429"
		}
		return fmt.Errorf("cannot %s: Google throttled the requests (%s: %s) and the retries Assure allows ran out: "+
			"collect again later, lower the integration's rate limit, or raise the Admin SDK API quota of project %s",
			what, reason, msg, c.project())
	case ge.Code == http.StatusForbidden && e.hasReason("accessNotConfigured", "SERVICE_DISABLED"):
		return fmt.Errorf("cannot %s: the Admin SDK API is not enabled in the service account's Google Cloud project %s "+
			"(403: %s): enable admin.googleapis.com in that project (APIs & Services → Library → Admin SDK API) and "+
			"try again after a few minutes", what, c.project(), msg)
	case ge.Code == http.StatusForbidden:
		return fmt.Errorf("cannot %s: Google answered 403 %q: the administrator %s may not do this. Check that %s is an "+
			"administrator whose role can read users and administrator roles (a super administrator can), that "+
			"customer_id %q is that administrator's account, and that the Admin SDK API is enabled in project %s",
			what, msg, c.subject, c.subject, c.customer, c.project())
	case ge.Code == http.StatusUnauthorized:
		return fmt.Errorf("cannot %s: Google refused the access token (401 %q): check that the service account and its "+
			"key are still enabled, then test the connection again", what, msg)
	case ge.Code == http.StatusBadRequest || ge.Code == http.StatusNotFound:
		return fmt.Errorf("cannot %s: Google answered %d %q: check customer_id %q (my_customer, or the ID shown in the "+
			"Admin console's Account settings)", what, ge.Code, msg, c.customer)
	case ge.Code >= 500:
		return fmt.Errorf("cannot %s: Google answered %d %q after the retries Assure allows: collect again later", what, ge.Code, msg)
	}
	return fmt.Errorf("cannot %s: Google answered %d %q", what, ge.Code, msg)
}

func (c *conn) project() string {
	if c.projectID == "" {
		return "(the key names none)"
	}
	return c.projectID
}

// explainToken maps the token endpoint's documented errors (Google's
// "JWT error codes") to advice.
func (c *conn) explainToken(re *oauth2.RetrieveError) error {
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			code, desc = body.Error, body.Description
		}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	said := fmt.Sprintf("cannot obtain an access token for %s from %s (%d %s", c.subject, c.tokenURL, status, code)
	if desc != "" {
		said += ": " + desc
	}
	said += ")"
	switch {
	case code == "unauthorized_client" || code == "access_denied":
		return fmt.Errorf("%s: domain-wide delegation is not granted for the scopes Assure asks for: in the Admin "+
			"console (Security → Access and data control → API controls → Manage domain-wide delegation), add client "+
			"ID %s (service account %s) with exactly the scopes %s; a new grant can take minutes to reach every user",
			said, c.clientIDOr(), c.clientEmail, strings.Join(scopes, ","))
	case code == "admin_policy_enforced":
		return fmt.Errorf("%s: a Workspace policy blocks these scopes for this client: in the Admin console's API "+
			"controls, trust the app with client ID %s or allow the scopes %s", said, c.clientIDOr(), strings.Join(scopes, ", "))
	case code == "invalid_grant" && (strings.Contains(desc, "email") || strings.Contains(desc, "User ID")):
		return fmt.Errorf("%s: the subject %s is not a user of the Workspace account: set subject to the email of an "+
			"existing, active administrator", said, c.subject)
	case code == "invalid_grant" && strings.Contains(desc, "Signature"):
		return fmt.Errorf("%s: the service account key is not valid: it was deleted or disabled, or belongs to another "+
			"service account than %s; create a new JSON key and paste it into service_account_key", said, c.clientEmail)
	case code == "invalid_grant" && (strings.Contains(desc, "iat") || strings.Contains(desc, "timeframe")):
		return fmt.Errorf("%s: the clock of the machine Assure runs on is wrong: synchronize it (NTP)", said)
	case code == "invalid_grant":
		return fmt.Errorf("%s: check the subject (an existing administrator) and the service account key", said)
	case code == "disabled_client" || code == "deleted_client" || code == "invalid_client":
		return fmt.Errorf("%s: the service account %s or its key is disabled or deleted: enable it in the Google Cloud "+
			"console (IAM & Admin → Service accounts), or create a new key", said, c.clientEmail)
	case code == "org_internal":
		return fmt.Errorf("%s: the service account's project admits only accounts of its own Google Cloud organization: "+
			"use a service account of the Workspace's organization", said)
	case code == "invalid_scope":
		return fmt.Errorf("%s: Google does not accept the scopes %s", said, strings.Join(scopes, ", "))
	case status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("%s after the retries Assure allows: collect again later", said)
	}
	return errors.New(said)
}

func (c *conn) clientIDOr() string {
	if c.clientID == "" {
		return "(client_id of the key)"
	}
	return c.clientID
}

// unwrapURL drops the URL (which may carry a page token) from a *url.Error.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isNotFound reports a 404 answer.
func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// rfc3339 normalizes an API time to RFC 3339 in UTC (whole seconds).
func rfc3339(v string) (time.Time, string, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, "", false
	}
	return t, t.UTC().Format(time.RFC3339), true
}
