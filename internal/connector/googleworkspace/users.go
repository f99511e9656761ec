package googleworkspace

import (
	"context"
	"fmt"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/assurehq/assure/internal/connector"
)

// userFields is the partial response users.list asks for: only what the
// resource type uses.
const userFields = "nextPageToken,users(id,primaryEmail,name(fullName,givenName,familyName),aliases,nonEditableAliases," +
	"isAdmin,isDelegatedAdmin,isEnrolledIn2Sv,isEnforcedIn2Sv,suspended,suspensionReason,archived," +
	"changePasswordAtNextLogin,includeInGlobalAddressList,isGuestUser,orgUnitPath,creationTime,lastLoginTime)"

// neverSignedIn is what the Directory API gives as lastLoginTime for a
// user who has never signed in: the Unix epoch.
const neverSignedIn = "never signed in: the Directory API reports lastLoginTime 1970-01-01T00:00:00.000Z for a user who has not signed in"

func userType() connector.ResourceType {
	return connector.ResourceType{
		Name: "google_workspace.user",
		Description: "A user of the Workspace account (users.list): identity, 2-step verification, administrator status, " +
			"suspension and archiving, last sign-in, creation and organizational unit.",
		Fields: []connector.Field{
			{Name: "id", Type: "string", Description: "id: the user's immutable unique ID; also the external id."},
			{Name: "email", Type: "string", Description: "primaryEmail, lower-cased: matches the person's accounts in other systems."},
			{Name: "name", Type: "string", Description: "name.fullName."},
			{Name: "given_name", Type: "string", Description: "name.givenName."},
			{Name: "family_name", Type: "string", Description: "name.familyName."},
			{Name: "aliases", Type: "list", Description: "aliases: the user's alias email addresses, lower-cased; empty when none."},
			{Name: "non_editable_aliases", Type: "list", Description: "nonEditableAliases: aliases outside the primary domain (domain aliases), lower-cased."},
			{Name: "mfa_enabled", Type: "bool", Description: "isEnrolledIn2Sv: the user is enrolled in 2-step verification."},
			{Name: "mfa_enforced", Type: "bool", Description: "isEnforcedIn2Sv: 2-step verification is enforced for the user by policy."},
			{Name: "is_admin", Type: "bool", Description: "isAdmin: the user is a super administrator."},
			{Name: "is_delegated_admin", Type: "bool", Description: "isDelegatedAdmin: the user holds a delegated (non-super) administrator role."},
			{Name: "suspended", Type: "bool", Description: "suspended: the user cannot sign in."},
			{Name: "suspension_reason", Type: "string", Description: "suspensionReason: why the account was suspended, by an administrator or by Google; empty when not suspended."},
			{Name: "archived", Type: "bool", Description: "archived: the user is archived (an Archived User license; cannot sign in)."},
			{Name: "active", Type: "bool", Description: "Derived: neither suspended nor archived, so the account can be used."},
			{Name: "change_password_at_next_login", Type: "bool", Description: "changePasswordAtNextLogin: a password change is forced at the next sign-in."},
			{Name: "include_in_global_address_list", Type: "bool", Description: "includeInGlobalAddressList: the user is visible in the global address list."},
			{Name: "is_guest", Type: "bool", Description: "isGuestUser: a guest account rather than a member of the organization."},
			{Name: "org_unit_path", Type: "string", Description: "orgUnitPath: the user's organizational unit, / for the top level."},
			{Name: "created_at", Type: "time", Description: "creationTime."},
			{Name: "last_login_at", Type: "time", Description: "lastLoginTime: the last sign-in; null when the user never signed in (the reason says so)."},
			{Name: "has_signed_in", Type: "bool", Description: "Derived: the user has signed in at least once (lastLoginTime is not the 1970 epoch Google gives for never)."},
		},
		List: connector.As(listUsers),
	}
}

func listUsers(ctx context.Context, c *conn, out connector.Emitter) error {
	call := c.svc.Users.List().Customer(c.customer).MaxResults(500).OrderBy("email").Fields(googleapi.Field(userFields))
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("cannot list users: stopped after %d pages: the listing is longer than the page bound, or the API keeps answering with another page", maxPages)
		}
		pctx, calls := connector.Track(ctx)
		res, err := call.Context(pctx).Do()
		if err != nil {
			return c.explain(err, "list users")
		}
		for _, u := range res.Users {
			if u == nil || u.Id == "" {
				continue
			}
			if err := out.Emit(ctx, connector.Resource{ExternalID: u.Id, Name: strings.ToLower(u.PrimaryEmail),
				Attributes: userFacts(u).Attributes(), Calls: calls.Refs()}); err != nil {
				return err
			}
		}
		if res.NextPageToken == "" {
			return nil
		}
		if seen[res.NextPageToken] {
			return fmt.Errorf("cannot list users: page %d names a page token already followed: the API's pagination loops", page)
		}
		seen[res.NextPageToken] = true
		call.PageToken(res.NextPageToken)
	}
}

// userFacts maps one Directory API user to the documented fields.
func userFacts(u *admin.User) *connector.Facts {
	f := connector.NewFacts()
	f.Set("id", u.Id, "")
	if u.PrimaryEmail == "" {
		f.Unknown("email", "the API returned no primaryEmail")
	} else {
		f.Set("email", strings.ToLower(strings.TrimSpace(u.PrimaryEmail)), "primaryEmail, lower-cased")
	}
	if u.Name == nil {
		for _, n := range []string{"name", "given_name", "family_name"} {
			f.Unknown(n, "the API returned no name for the user")
		}
	} else {
		f.Set("name", u.Name.FullName, "")
		f.Set("given_name", u.Name.GivenName, "")
		f.Set("family_name", u.Name.FamilyName, "")
	}
	f.Set("aliases", lower(u.Aliases), "")
	f.Set("non_editable_aliases", lower(u.NonEditableAliases), "")
	f.Set("mfa_enabled", u.IsEnrolledIn2Sv, "isEnrolledIn2Sv")
	f.Set("mfa_enforced", u.IsEnforcedIn2Sv, "isEnforcedIn2Sv")
	f.Set("is_admin", u.IsAdmin, "")
	f.Set("is_delegated_admin", u.IsDelegatedAdmin, "")
	f.Set("suspended", u.Suspended, "")
	f.Set("suspension_reason", u.SuspensionReason, "")
	f.Set("archived", u.Archived, "")
	f.Set("active", !u.Suspended && !u.Archived, "suspended and archived")
	f.Set("change_password_at_next_login", u.ChangePasswordAtNextLogin, "")
	f.Set("include_in_global_address_list", u.IncludeInGlobalAddressList, "")
	f.Set("is_guest", u.IsGuestUser, "isGuestUser")
	f.Set("org_unit_path", u.OrgUnitPath, "")
	if _, s, ok := rfc3339(u.CreationTime); ok {
		f.Set("created_at", s, "")
	} else {
		f.Unknown("created_at", fmt.Sprintf("the API returned creationTime %q, which is not an RFC 3339 time", u.CreationTime))
	}
	switch t, s, ok := rfc3339(u.LastLoginTime); {
	case !ok:
		why := fmt.Sprintf("the API returned lastLoginTime %q, which is not an RFC 3339 time", u.LastLoginTime)
		f.Unknown("last_login_at", why)
		f.Unknown("has_signed_in", why)
	case t.Unix() <= 0:
		f.Unknown("last_login_at", neverSignedIn)
		f.Set("has_signed_in", false, "lastLoginTime is the 1970 epoch")
	default:
		f.Set("last_login_at", s, "")
		f.Set("has_signed_in", true, "lastLoginTime")
	}
	return f
}

func lower(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, strings.ToLower(strings.TrimSpace(s)))
	}
	return out
}
