package github

import (
	"context"
	"strconv"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

const srcSecurity = "security_and_analysis of GET /orgs/{org}/repos"

func repositoryType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.repository",
		Description: "A repository of the organization: visibility, archived, fork, default branch, and whether Dependabot " +
			"alerts, secret scanning and push protection are on.",
		Fields: []connector.Field{
			{Name: "full_name", Type: "string", Description: "owner/name."},
			{Name: "name", Type: "string", Description: "Repository name."},
			{Name: "id", Type: "int", Description: "GitHub's repository id; also the external id (it survives renames)."},
			{Name: "html_url", Type: "string", Description: "The repository's page."},
			{Name: "visibility", Type: "string", Description: "public, private or internal."},
			{Name: "public", Type: "bool", Description: "visibility is public: anyone can read it."},
			{Name: "archived", Type: "bool", Description: "Archived: read-only."},
			{Name: "disabled", Type: "bool", Description: "Disabled by GitHub."},
			{Name: "fork", Type: "bool", Description: "A fork of another repository."},
			{Name: "is_template", Type: "bool", Description: "A template repository."},
			{Name: "default_branch", Type: "string", Description: "The default branch, whose protection github.branch_protection reports."},
			{Name: "created_at", Type: "time", Description: "When the repository was created."},
			{Name: "dependabot_alerts_enabled", Type: "bool", Description: "Dependabot alerts are on (GET /repos/{owner}/{repo}/vulnerability-alerts: 204 on, 404 off; repository admins only)."},
			{Name: "dependabot_security_updates_enabled", Type: "bool", Description: "Dependabot security updates are on (security_and_analysis; admins only)."},
			{Name: "secret_scanning_enabled", Type: "bool", Description: "Secret scanning is on (security_and_analysis; admins only)."},
			{Name: "secret_scanning_push_protection_enabled", Type: "bool", Description: "Pushes containing secrets are blocked (security_and_analysis; admins only)."},
			{Name: "advanced_security_enabled", Type: "bool", Description: "GitHub Advanced Security is on (security_and_analysis; admins only)."},
		},
		List: connector.As(listRepositories),
	}
}

func listRepositories(ctx context.Context, c *conn, out connector.Emitter) error {
	repos := c.repositories(ctx)
	if repos.err != nil {
		return repos.err
	}
	for _, r := range repos.val {
		tctx, calls := connector.Track(ctx)
		f := connector.NewFacts()
		f.Set("full_name", r.GetFullName(), "")
		f.Set("name", r.GetName(), "")
		f.Set("id", r.GetID(), "")
		f.Set("html_url", r.GetHTMLURL(), "")
		vis := r.GetVisibility()
		if vis == "" { // older Enterprise Server versions
			vis = "public"
			if r.GetPrivate() {
				vis = "private"
			}
		}
		f.Set("visibility", vis, "")
		f.Set("public", vis == "public", "")
		f.Set("archived", r.GetArchived(), "")
		f.Set("disabled", r.GetDisabled(), "")
		f.Set("fork", r.GetFork(), "")
		f.Set("is_template", r.GetIsTemplate(), "")
		f.Set("default_branch", r.GetDefaultBranch(), "")
		f.Set("created_at", rfc3339(r.CreatedAt), "")
		securityFacts(f, r)
		if err := c.vulnerabilityAlerts(tctx, f, r); err != nil {
			return err
		}
		if err := emit(ctx, out, strconv.FormatInt(r.GetID(), 10), r.GetFullName(), r.GetFullName(), f, repos.calls, calls.Refs()); err != nil {
			return err
		}
	}
	return nil
}

// securityFacts reads security_and_analysis, which GitHub includes only for
// repository administrators (and organization owners and security managers).
func securityFacts(f *connector.Facts, r *gh.Repository) {
	const hidden = "GitHub shows security_and_analysis only to repository administrators, organization owners and security managers " +
		"(fine-grained token or app: repository Administration, read)"
	const missing = "GitHub did not report this feature for the repository (not available on its plan or server version)"
	sa := r.SecurityAndAnalysis
	statuses := map[string]*string{}
	if sa != nil {
		if x := sa.AdvancedSecurity; x != nil {
			statuses["advanced_security_enabled"] = x.Status
		}
		if x := sa.SecretScanning; x != nil {
			statuses["secret_scanning_enabled"] = x.Status
		}
		if x := sa.SecretScanningPushProtection; x != nil {
			statuses["secret_scanning_push_protection_enabled"] = x.Status
		}
		if x := sa.DependabotSecurityUpdates; x != nil {
			statuses["dependabot_security_updates_enabled"] = x.Status
		}
	}
	for _, field := range []string{"advanced_security_enabled", "secret_scanning_enabled",
		"secret_scanning_push_protection_enabled", "dependabot_security_updates_enabled"} {
		st := statuses[field]
		switch {
		case sa == nil:
			f.Unknown(field, hidden)
		case st == nil:
			f.Unknown(field, missing)
		default:
			f.Set(field, *st == "enabled", srcSecurity)
		}
	}
}

// vulnerabilityAlerts asks whether Dependabot alerts are on. GitHub answers
// 204 (on) or 404 (off) to repository administrators; the repository list
// says whether a token's user is one, so a non-admin is not asked (its 404
// would read as "off"). An app is asked: its Administration permission is
// what counts.
func (c *conn) vulnerabilityAlerts(ctx context.Context, f *connector.Facts, r *gh.Repository) error {
	const src = "GET /repos/{owner}/{repo}/vulnerability-alerts"
	if p := r.Permissions; c.s.app == nil && p != nil && p.Admin != nil && !*p.Admin {
		f.Unknown("dependabot_alerts_enabled", "only repository administrators may ask whether Dependabot alerts are on, "+
			"and the credentials' user is not an administrator of "+r.GetFullName())
		return nil
	}
	on, _, err := c.gh.Repositories.GetVulnerabilityAlerts(ctx, c.owner(), r.GetName())
	switch {
	case err != nil && scopeError(err):
		f.Unknown("dependabot_alerts_enabled", c.explain(err, "tell whether Dependabot alerts are on").Error())
	case err != nil:
		return c.explain(err, "tell whether Dependabot alerts are on for "+r.GetFullName())
	case on:
		f.Set("dependabot_alerts_enabled", true, src+": 204")
	default:
		f.Set("dependabot_alerts_enabled", false, src+": 404")
	}
	return nil
}
