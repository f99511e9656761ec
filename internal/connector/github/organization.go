package github

import (
	"context"
	"fmt"
	"strconv"

	"github.com/assurehq/assure/internal/connector"
)

const srcOrg = "GET /orgs/{org}"

func organizationType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.organization",
		Description: "The organization's security settings: the two-factor requirement, the base permission of members, who may " +
			"create public repositories, security features enabled for new repositories; and which credential read them.",
		Fields: []connector.Field{
			{Name: "login", Type: "string", Description: "The organization's login."},
			{Name: "id", Type: "int", Description: "GitHub's id of the organization; also the external id."},
			{Name: "name", Type: "string", Description: "Display name; empty when not set."},
			{Name: "html_url", Type: "string", Description: "The organization's page on GitHub."},
			{Name: "created_at", Type: "time", Description: "When the organization was created."},
			{Name: "plan", Type: "string", Description: "GitHub plan (free, team, enterprise, …); owners only."},
			{Name: "is_verified", Type: "bool", Description: "The organization has verified a domain."},
			{Name: "two_factor_requirement_enabled", Type: "bool", Description: "Members, billing managers and outside collaborators must use two-factor authentication; owners only."},
			{Name: "default_repository_permission", Type: "string", Description: "Base permission every member has on every repository: none, read, write or admin; owners only."},
			{Name: "members_can_create_repositories", Type: "bool", Description: "Members may create repositories; owners only."},
			{Name: "members_can_create_public_repositories", Type: "bool", Description: "Members may create public repositories; owners only."},
			{Name: "members_can_create_private_repositories", Type: "bool", Description: "Members may create private repositories; owners only."},
			{Name: "members_can_create_internal_repositories", Type: "bool", Description: "Members may create internal repositories (Enterprise); owners only."},
			{Name: "members_can_fork_private_repositories", Type: "bool", Description: "Members may fork private repositories; owners only."},
			{Name: "members_can_create_public_pages", Type: "bool", Description: "Members may publish public GitHub Pages sites; owners only."},
			{Name: "web_commit_signoff_required", Type: "bool", Description: "Commits made in the web interface must be signed off; owners only."},
			{Name: "dependabot_alerts_enabled_for_new_repositories", Type: "bool", Description: "New repositories get Dependabot alerts; owners only."},
			{Name: "secret_scanning_enabled_for_new_repositories", Type: "bool", Description: "New repositories get secret scanning; owners only."},
			{Name: "secret_scanning_push_protection_enabled_for_new_repositories", Type: "bool", Description: "New repositories get secret scanning push protection; owners only."},
			{Name: "advanced_security_enabled_for_new_repositories", Type: "bool", Description: "New repositories get GitHub Advanced Security; owners only."},
			{Name: "credential", Type: "string", Description: "What read the organization: classic_token, fine_grained_token or github_app."},
			{Name: "token_scopes", Type: "list", Description: "A classic token's scopes (X-OAuth-Scopes); empty for fine-grained tokens and apps, which have permissions instead."},
		},
		List: connector.As(listOrganization),
	}
}

func listOrganization(ctx context.Context, c *conn, out connector.Emitter) error {
	o := c.organization(ctx)
	if o.err != nil {
		return o.err
	}
	v := c.viewer(ctx)
	org := o.val
	f := connector.NewFacts()
	f.Set("login", org.GetLogin(), "")
	f.Set("id", org.GetID(), "")
	f.Set("name", org.GetName(), "")
	f.Set("html_url", org.GetHTMLURL(), "")
	f.Set("created_at", rfc3339(org.CreatedAt), "")
	f.Set("is_verified", org.GetIsVerified(), "")
	why := c.ownerOnlyReason(v)
	if org.Plan != nil {
		f.Set("plan", org.Plan.GetName(), srcOrg)
	} else {
		f.Unknown("plan", why)
	}
	ownerBool := func(field string, b *bool) {
		if b == nil {
			f.Unknown(field, why)
			return
		}
		f.Set(field, *b, srcOrg)
	}
	ownerBool("two_factor_requirement_enabled", org.TwoFactorRequirementEnabled)
	if org.DefaultRepoPermission != nil {
		f.Set("default_repository_permission", org.GetDefaultRepoPermission(), srcOrg)
	} else {
		f.Unknown("default_repository_permission", why)
	}
	ownerBool("members_can_create_repositories", org.MembersCanCreateRepos)
	ownerBool("members_can_create_public_repositories", org.MembersCanCreatePublicRepos)
	ownerBool("members_can_create_private_repositories", org.MembersCanCreatePrivateRepos)
	ownerBool("members_can_create_internal_repositories", org.MembersCanCreateInternalRepos)
	ownerBool("members_can_fork_private_repositories", org.MembersCanForkPrivateRepos)
	ownerBool("members_can_create_public_pages", org.MembersCanCreatePublicPages)
	ownerBool("web_commit_signoff_required", org.WebCommitSignoffRequired)
	ownerBool("dependabot_alerts_enabled_for_new_repositories", org.DependabotAlertsEnabledForNewRepos)
	ownerBool("secret_scanning_enabled_for_new_repositories", org.SecretScanningEnabledForNewRepos)
	ownerBool("secret_scanning_push_protection_enabled_for_new_repositories", org.SecretScanningPushProtectionEnabledForNewRepos)
	ownerBool("advanced_security_enabled_for_new_repositories", org.AdvancedSecurityEnabledForNewRepos)
	switch {
	case v.err != nil:
		f.Unknown("credential", v.err.Error())
		f.Unknown("token_scopes", v.err.Error())
	default:
		f.Set("credential", v.val.kind, "")
		if v.val.kind == credClassic {
			f.Set("token_scopes", v.val.scopes, "X-OAuth-Scopes of GET /user")
		} else {
			f.Set("token_scopes", []string{}, "only classic tokens have scopes")
		}
	}
	return emit(ctx, out, strconv.FormatInt(org.GetID(), 10), org.GetLogin(), "", f, o.calls, v.calls)
}

// ownerOnlyReason says why GitHub left out a field it shows only to
// organization owners (with admin:org on a classic token).
func (c *conn) ownerOnlyReason(v *cached[viewerInfo]) string {
	const base = "GitHub returns this only to organization owners"
	switch {
	case v.err != nil:
		return base + "; who the credentials are could not be checked: " + v.err.Error()
	case v.val.kind == credApp:
		return base + " and to GitHub Apps with the organization permission Administration (read): grant it to the app"
	case !v.val.owner && v.val.ownerReason != "":
		return base + ": " + v.val.ownerReason
	case v.val.kind == credClassic && !hasScope(v.val.scopes, "admin:org"):
		return base + " whose classic token has the admin:org scope; this token has " + fmt.Sprint(v.val.scopes)
	case v.val.kind == credFineGrained:
		return base + " whose fine-grained token has the organization permission Administration (read)"
	}
	return "GitHub did not return this field for " + c.s.org + " (it exists only on some plans and server versions)"
}
