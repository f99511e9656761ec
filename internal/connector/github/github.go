// Package github is the github connector: it reads one organization on
// github.com or GitHub Enterprise Server through the REST API (with
// go-github) — its security settings, members and outside collaborators,
// repositories, the default branch's classic protection and rulesets
// combined into one effective view, and the merged pull requests of a time
// window with their reviews (the change-management population of a SOC 2
// Type 2 period). It authenticates with a personal access token (classic or
// fine-grained) or as a GitHub App installation.
//
// Every call goes through the Runtime's HTTP client, so it is recorded as
// provenance, retried, rate-limited and throttled under GitHub's own
// signals (Registration.HTTP). The one call that is not is the exchange of
// the app's JWT for an installation token: its answer carries the token,
// so it is made with a client of its own and recorded with the token
// replaced (see app.go).
package github

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

// Defaults of the configuration.
const (
	defaultAPIURL    = "https://api.github.com/"
	defaultLookback  = 90 * 24 * time.Hour
	defaultMaxPulls  = 1000
	maxPages         = 1000 // per paginated listing, like connector.DefaultMaxPages
	perPage          = 100
	defaultRateLimit = 5 // requests per second: GitHub's secondary limits start near 15
)

// Registration declares the github connector.
func Registration() connector.Registration {
	return connector.Registration{
		ID:       "github",
		Name:     "GitHub",
		Category: connector.CategoryCode,
		Description: "Reads a GitHub organization (github.com or Enterprise Server): its security settings, members and " +
			"outside collaborators, repositories, the default branch's protection and rulesets, and the merged pull " +
			"requests of a time window with their reviews.",
		Fields: []connector.ConfigField{
			{Name: "org", Label: "Organization", Type: connector.FieldString, Required: true,
				Help: "The organization's login, as in github.com/ORG."},
			{Name: "api_url", Label: "API URL", Type: connector.FieldURL, Default: defaultAPIURL,
				Help: "The REST API's base URL: https://api.github.com/ for github.com, https://HOST/api/v3/ for GitHub Enterprise Server."},
			{Name: "token", Label: "Token", Type: connector.FieldString, Secret: true,
				Help: "A personal access token: classic with the read:org and repo scopes, or fine-grained with read-only " +
					"organization permissions Members and Administration and repository permissions Metadata, Administration " +
					"and Pull requests. Leave empty to authenticate as a GitHub App."},
			{Name: "app_id", Label: "GitHub App ID", Type: connector.FieldString,
				Help: "The App ID (or client ID) of a GitHub App installed on the organization; with installation_id and private_key instead of a token."},
			{Name: "installation_id", Label: "Installation ID", Type: connector.FieldInt,
				Help: "The app's installation on the organization: the number at the end of the installation's settings URL."},
			{Name: "private_key", Label: "App private key", Type: connector.FieldText, Secret: true,
				Help: "The app's private key (the .pem file GitHub generated), used to sign the JWT exchanged for installation tokens."},
			{Name: "repositories", Label: "Repositories", Type: connector.FieldList,
				Help: "Only these repositories (names, without the organization); empty reads every repository the credentials see."},
			{Name: "lookback", Label: "Pull request window", Type: connector.FieldDuration, Default: "90d",
				Help: "How far back to read merged pull requests, e.g. 90d or 365d (the audit period)."},
			{Name: "max_pull_requests", Label: "Pull requests per repository", Type: connector.FieldInt, Default: strconv.Itoa(defaultMaxPulls),
				Help: "The most merged pull requests read per repository in the window; a repository with more is reported partial. " +
					"Each costs two API calls."},
			{Name: "member_details", Label: "Read member profiles", Type: connector.FieldBool, Default: "true",
				Help: "Read each member's and outside collaborator's profile (one call per person) for their name and public email."},
			{Name: "saml_identities", Label: "Read SAML identities", Type: connector.FieldBool, Default: "true",
				Help: "Read the organization's SAML single sign-on identities (GraphQL; organization owners only) to learn members' corporate emails."},
		},
		HTTP: connector.HTTPPolicy{RateLimit: defaultRateLimit, Throttle: Throttle, Redact: redactAnswer},
		Open: open,
		Resources: []connector.ResourceType{
			organizationType(),
			memberType(),
			outsideCollaboratorType(),
			repositoryType(),
			branchProtectionType(),
			pullRequestType(),
		},
	}
}

// settings is a validated configuration.
type settings struct {
	org            string
	apiURL         *url.URL // ends with "/"
	dotcom         bool     // api.github.com
	token          string
	app            *appCredentials // nil with a token
	repositories   map[string]bool // lower-case names; nil for all
	lookback       time.Duration
	maxPulls       int
	memberDetails  bool
	samlIdentities bool
}

func parseSettings(cfg connector.Config) (*settings, error) {
	s := &settings{org: cfg.String("org")}
	if s.org == "" || strings.ContainsAny(s.org, "/ ?#") {
		return nil, errors.New("org: give the organization's login, as in github.com/ORG")
	}
	raw := cfg.String("api_url")
	if raw == "" {
		raw = defaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" {
		return nil, errors.New("api_url: give the REST API's base URL, https://api.github.com/ or https://HOST/api/v3/")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, errors.New("api_url: use https: the token would travel in clear over http")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	s.apiURL = u
	s.dotcom = strings.EqualFold(u.Hostname(), "api.github.com")

	s.token = cfg.String("token")
	appID, inst, key := cfg.String("app_id"), cfg.String("installation_id"), cfg.String("private_key")
	switch {
	case s.token != "" && (appID != "" || inst != "" || key != ""):
		return nil, errors.New("token: give either a token or a GitHub App (app_id, installation_id, private_key), not both")
	case s.token == "" && appID == "" && inst == "" && key == "":
		return nil, errors.New("token: give a personal access token, or a GitHub App's app_id, installation_id and private_key")
	case s.token != "":
		if strings.ContainsAny(s.token, " \t\r\n") {
			return nil, errors.New("token: the token contains spaces or line breaks: paste it alone")
		}
	default:
		app, err := parseApp(appID, inst, key)
		if err != nil {
			return nil, err
		}
		s.app = app
	}
	if names := cfg.List("repositories"); len(names) > 0 {
		s.repositories = map[string]bool{}
		for _, n := range names {
			n = strings.TrimPrefix(strings.ToLower(n), strings.ToLower(s.org)+"/")
			s.repositories[n] = true
		}
	}
	if s.lookback, err = cfg.Duration("lookback", defaultLookback); err != nil {
		return nil, err
	}
	if s.lookback <= 0 {
		return nil, errors.New("lookback: give a window longer than zero, e.g. 90d")
	}
	if s.maxPulls, err = cfg.Int("max_pull_requests", defaultMaxPulls); err != nil {
		return nil, err
	}
	if s.maxPulls < 1 {
		return nil, errors.New("max_pull_requests: give a whole number of at least 1")
	}
	if s.memberDetails, err = boolDefault(cfg, "member_details", true); err != nil {
		return nil, err
	}
	if s.samlIdentities, err = boolDefault(cfg, "saml_identities", true); err != nil {
		return nil, err
	}
	return s, nil
}

func boolDefault(cfg connector.Config, name string, def bool) (bool, error) {
	if cfg.String(name) == "" {
		return def, nil
	}
	return cfg.Bool(name)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// conn is one integration's connection for one run. What several listings
// need (the organization, the repository list, rulesets) is read once and
// kept with the calls it came from.
type conn struct {
	rt       connector.Runtime
	s        *settings
	gh       *gh.Client
	http     *http.Client // the Runtime's client with the credentials added
	tokens   *appTokens   // nil with a token
	graphURL string

	mu       sync.Mutex
	orgC     *cached[*gh.Organization]
	reposC   *cached[[]*gh.Repository]
	viewerC  *cached[viewerInfo]
	rulesets map[int64]*cached[*gh.RepositoryRuleset]
}

// cached is the result of a call made once per run, with the observations
// it came from.
type cached[T any] struct {
	val   T
	calls []connector.CallRef
	resp  *gh.Response
	err   error
}

func open(_ context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	s, err := parseSettings(cfg)
	if err != nil {
		return nil, err
	}
	c := &conn{rt: rt, s: s, rulesets: map[int64]*cached[*gh.RepositoryRuleset]{}}
	base := rt.HTTPClient()
	hc := *base // a copy: go-github and the credentials must not change the Runtime's own client
	at := &authTransport{next: base.Transport}
	if s.app != nil {
		c.tokens = newAppTokens(s, rt)
		at.token = c.tokens.token
	} else {
		tok := s.token
		at.token = func(context.Context) (string, error) { return tok, nil }
	}
	hc.Transport = at
	c.http = &hc
	opts := []gh.ClientOptionsFunc{gh.WithHTTPClient(&hc), gh.WithUserAgent("assure"), gh.WithDisableRateLimitCheck()}
	if s.dotcom {
		c.graphURL = "https://api.github.com/graphql"
	} else {
		opts = append(opts, gh.WithEnterpriseURLs(s.apiURL.String(), s.apiURL.String()))
	}
	client, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("api_url: %w", err)
	}
	c.gh = client
	if !s.dotcom {
		b, err := url.Parse(client.BaseURL())
		if err != nil {
			return nil, fmt.Errorf("api_url: %w", err)
		}
		b.Path = strings.TrimSuffix(b.Path, "v3/") + "graphql"
		c.graphURL = b.String()
	}
	return c, nil
}

// Close implements connector.Conn.
func (c *conn) Close() error { return nil }

// authTransport adds the credentials to every request.
type authTransport struct {
	next  http.RoundTripper
	token func(ctx context.Context) (string, error)
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.next.RoundTrip(r)
}

// owner is the organization as the repository API's owner.
func (c *conn) owner() string { return c.s.org }

// organization reads GET /orgs/{org} once per run.
func (c *conn) organization(ctx context.Context) *cached[*gh.Organization] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.orgC == nil {
		tctx, calls := connector.Track(ctx)
		o, resp, err := c.gh.Organizations.Get(tctx, c.s.org)
		c.orgC = &cached[*gh.Organization]{val: o, resp: resp, calls: calls.Refs(), err: c.explain(err, "read the organization "+c.s.org)}
	}
	return c.orgC
}

// repositories lists the organization's repositories once per run (all of
// them, or those named in the configuration).
func (c *conn) repositories(ctx context.Context) *cached[[]*gh.Repository] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reposC == nil {
		tctx, calls := connector.Track(ctx)
		var all []*gh.Repository
		err := paginate(func(page int) (*gh.Response, error) {
			rs, resp, err := c.gh.Repositories.ListByOrg(tctx, c.s.org, &gh.RepositoryListByOrgOptions{
				Type: "all", Sort: "full_name", ListOptions: gh.ListOptions{PerPage: perPage, Page: page}})
			for _, r := range rs {
				if c.s.repositories == nil || c.s.repositories[strings.ToLower(r.GetName())] {
					all = append(all, r)
				}
			}
			return resp, err
		})
		c.reposC = &cached[[]*gh.Repository]{val: all, calls: calls.Refs(), err: c.explain(err, "list the repositories of "+c.s.org)}
		if c.reposC.err == nil && c.s.repositories != nil {
			seen := map[string]bool{}
			for _, r := range all {
				seen[strings.ToLower(r.GetName())] = true
			}
			var missing []string
			for n := range c.s.repositories {
				if !seen[n] {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				c.reposC.err = fmt.Errorf("repositories: %s not found in %s, or not visible to the credentials", strings.Join(sorted(missing), ", "), c.s.org)
			}
		}
	}
	return c.reposC
}

// paginate calls fetch for page 1, 2, … following GitHub's Link headers
// (go-github's NextPage), bounded by maxPages and refusing a next page that
// does not move forward.
func paginate(fetch func(page int) (*gh.Response, error)) error {
	page := 1
	for n := 1; ; n++ {
		if n > maxPages {
			return fmt.Errorf("stopped after %d pages: the listing is longer than the page bound", maxPages)
		}
		resp, err := fetch(page)
		if err != nil {
			return err
		}
		if resp == nil || resp.NextPage == 0 {
			return nil
		}
		if resp.NextPage <= page {
			return fmt.Errorf("page %d links back to page %d: the API's pagination loops", page, resp.NextPage)
		}
		page = resp.NextPage
	}
}

// scopeError reports whether err is GitHub's answer about one object (a
// 403 on one repository, a 404, a 5xx after the retries): that scope fails,
// the listing goes on. Anything else — throttling beyond the bound, a lost
// connection, a cancelled run — stops the listing.
func scopeError(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er)
}

// status returns the HTTP status of a go-github error, or 0.
func status(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// explain turns a go-github error into one that says what failed and what
// to change: a refused credential, a missing scope or permission (from
// GitHub's X-Accepted-OAuth-Scopes and X-Accepted-GitHub-Permissions
// headers), SAML single sign-on, a missing object, throttling.
func (c *conn) explain(err error, what string) error {
	if err == nil {
		return nil
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("cannot %s: GitHub's API rate limit for these credentials is used up until %s: collect again later, "+
			"or lower max_pull_requests or the window", what, rl.Rate.Reset.UTC().Format(time.RFC3339))
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		return fmt.Errorf("cannot %s: GitHub's secondary rate limit stopped the requests (%s): lower the integration's rate limit and collect again later",
			what, ab.Message)
	}
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named below, without its query
		}
		return fmt.Errorf("cannot %s: %w", what, err)
	}
	req := er.Response.Request
	call := ""
	if req != nil {
		call = req.Method + " " + req.URL.Path + ": "
	}
	msg := strings.TrimSpace(er.Message)
	code := er.Response.StatusCode
	switch {
	case code == http.StatusUnauthorized:
		return fmt.Errorf("cannot %s: %sGitHub refused the credentials (401 %s): %s", what, call, msg, c.credentialAdvice())
	case code == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "saml"):
		return fmt.Errorf("cannot %s: %s403 %s: authorize the token for the organization's SAML single sign-on "+
			"(GitHub → Settings → Personal access tokens → Configure SSO)", what, call, msg)
	case code == http.StatusForbidden:
		return fmt.Errorf("cannot %s: %s403 %s: %s", what, call, msg, c.permissionAdvice(er.Response))
	case code == http.StatusNotFound:
		return fmt.Errorf("cannot %s: %s404 %s: it does not exist, or the credentials cannot see it (%s)", what, call, msg, c.visibilityAdvice())
	}
	return fmt.Errorf("cannot %s: %sGitHub answered %d %s", what, call, code, msg)
}

func (c *conn) credentialAdvice() string {
	if c.s.app != nil {
		return "the installation token was refused: check that the app is still installed on the organization"
	}
	return "the token is expired, revoked or mistyped: create a new one and save it in the integration"
}

func (c *conn) visibilityAdvice() string {
	if c.s.app != nil {
		return "is the app installed on this organization with access to this repository?"
	}
	return "a classic token needs the repo scope for private repositories; a fine-grained token must have the organization as its resource owner"
}

// permissionAdvice names what the credentials lack, from GitHub's headers.
func (c *conn) permissionAdvice(resp *http.Response) string {
	h := resp.Header
	if perms := h.Get("X-Accepted-GitHub-Permissions"); perms != "" {
		who := "the fine-grained token"
		if c.s.app != nil {
			who = "the GitHub App"
		}
		return fmt.Sprintf("%s needs the permission %s", who, describePermissions(perms))
	}
	if accepted := h.Get("X-Accepted-OAuth-Scopes"); accepted != "" {
		return fmt.Sprintf("the token has the scopes %q but this needs one of %q", h.Get("X-OAuth-Scopes"), accepted)
	}
	if c.s.app != nil {
		return "the GitHub App lacks a permission this needs (see the permissions in the connector's documentation)"
	}
	return "the token lacks a scope or permission this needs, or its user lacks the role (organization owner or repository admin)"
}

// describePermissions renders X-Accepted-GitHub-Permissions
// ("administration=read; members=read", alternatives separated by ";") in
// the words of GitHub's settings pages.
func describePermissions(h string) string {
	var alts []string
	for _, alt := range strings.Split(h, ";") {
		var parts []string
		for _, p := range strings.Split(alt, ",") {
			name, level, _ := strings.Cut(strings.TrimSpace(p), "=")
			if name == "" {
				continue
			}
			parts = append(parts, permissionLabel(name)+" ("+level+")")
		}
		if len(parts) > 0 {
			alts = append(alts, strings.Join(parts, " and "))
		}
	}
	return strings.Join(alts, ", or ")
}

func permissionLabel(name string) string {
	switch name {
	case "administration":
		return "repository Administration"
	case "organization_administration":
		return "organization Administration"
	case "members":
		return "organization Members"
	case "metadata":
		return "repository Metadata"
	case "pull_requests":
		return "repository Pull requests"
	case "contents":
		return "repository Contents"
	}
	return strings.ReplaceAll(name, "_", " ")
}

// rfc3339 renders a GitHub timestamp in UTC, or "" for none.
func rfc3339(t *gh.Timestamp) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// emit sends one resource, its attributes built with Facts.
func emit(ctx context.Context, out connector.Emitter, id, name, scope string, f *connector.Facts, calls ...[]connector.CallRef) error {
	var refs []connector.CallRef
	seen := map[int64]bool{}
	for _, cs := range calls {
		for _, r := range cs {
			if !seen[r.ID] {
				seen[r.ID] = true
				refs = append(refs, r)
			}
		}
	}
	return out.Emit(ctx, connector.Resource{ExternalID: id, Name: name, Scope: scope, Attributes: f.Attributes(), Calls: refs})
}
