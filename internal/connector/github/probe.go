package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

// Credential kinds, as the organization resource reports them.
const (
	credClassic     = "classic_token"
	credFineGrained = "fine_grained_token"
	credApp         = "github_app"
)

// viewerInfo is who the credentials are.
type viewerInfo struct {
	kind   string   // credClassic, credFineGrained, credApp
	login  string   // the token's user; "" for an app
	scopes []string // a classic token's scopes
	// owner: the token's user is an owner of the organization (only owners
	// see members' two-factor status); an app sees it with Members: read.
	owner bool
	// ownerReason says why owner could not be determined, or "".
	ownerReason string
}

// viewer finds out, once per run, what the credentials are:
// GET /user (its X-OAuth-Scopes header exists only for classic tokens) and
// the user's membership of the organization.
func (c *conn) viewer(ctx context.Context) *cached[viewerInfo] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.viewerC != nil {
		return c.viewerC
	}
	tctx, calls := connector.Track(ctx)
	v := &cached[viewerInfo]{}
	c.viewerC = v
	if c.s.app != nil {
		v.val = viewerInfo{kind: credApp, owner: true}
		return v
	}
	user, resp, err := c.gh.Users.Get(tctx, "")
	if err != nil {
		v.err = c.explain(err, "read the token's user (GET /user)")
		v.calls = calls.Refs()
		return v
	}
	v.val.login = user.GetLogin()
	v.val.kind = credFineGrained
	if vals, ok := resp.Header[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
		v.val.kind = credClassic
		for _, part := range strings.Split(strings.Join(vals, ","), ",") {
			if p := strings.TrimSpace(part); p != "" {
				v.val.scopes = append(v.val.scopes, p)
			}
		}
		v.val.scopes = sorted(v.val.scopes)
	}
	m, _, err := c.gh.Organizations.GetOrgMembership(tctx, v.val.login, c.s.org)
	switch {
	case err == nil:
		v.val.owner = m.GetRole() == "admin" && m.GetState() == "active"
		if !v.val.owner {
			v.val.ownerReason = fmt.Sprintf("the token's user %s is not an owner of %s: GitHub shows two-factor status only to owners", v.val.login, c.s.org)
		}
	case scopeError(err):
		v.val.ownerReason = fmt.Sprintf("cannot tell whether %s is an owner of %s: %v", v.val.login, c.s.org, c.explain(err, "read the membership"))
	default:
		v.err = c.explain(err, "read the token user's membership of "+c.s.org)
	}
	v.calls = calls.Refs()
	return v
}

// hasScope reports whether a classic token's scopes include want or a
// scope that implies it.
func hasScope(scopes []string, want ...string) bool {
	for _, s := range scopes {
		for _, w := range want {
			if s == w {
				return true
			}
		}
	}
	return false
}

// Probe proves the credentials and the permissions the listings need, and
// says which scope or permission is missing.
func (c *conn) Probe(ctx context.Context) error {
	if c.s.app != nil {
		if err := c.probeApp(ctx); err != nil {
			return err
		}
	} else {
		v := c.viewer(ctx)
		if v.err != nil {
			return v.err
		}
		if v.val.kind == credClassic {
			var missing []string
			if !hasScope(v.val.scopes, "read:org", "write:org", "admin:org") {
				missing = append(missing, "read:org (to list members and outside collaborators)")
			}
			if !hasScope(v.val.scopes, "repo", "public_repo") {
				missing = append(missing, "repo (to read repositories, branch protection and pull requests; public_repo if the organization has only public repositories)")
			}
			if len(missing) > 0 {
				have := strings.Join(v.val.scopes, ", ")
				if have == "" {
					have = "none"
				}
				return fmt.Errorf("the classic token of %s lacks the scopes %s (it has: %s): edit the token at GitHub → Settings → Developer settings",
					v.val.login, strings.Join(missing, " and "), have)
			}
		}
	}
	if o := c.organization(ctx); o.err != nil {
		return o.err
	}
	_, _, err := c.gh.Organizations.ListMembers(ctx, c.s.org, &gh.ListMembersOptions{ListOptions: gh.ListOptions{PerPage: 1}})
	if err != nil {
		return c.explain(err, "list the members of "+c.s.org)
	}
	return nil
}
