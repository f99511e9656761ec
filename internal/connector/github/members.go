package github

import (
	"context"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

func memberType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.member",
		Description: "A member of the organization with their role (admin = owner, or member), two-factor status, and the " +
			"email that links the account to a person: the SAML single sign-on identity when there is one, else the public email.",
		Fields: append([]connector.Field{
			{Name: "role", Type: "string", Description: "admin (an organization owner) or member."},
		}, append(personFields(), []connector.Field{
			{Name: "saml_name_id", Type: "string", Description: "NameID of the member's linked SAML identity (GraphQL); empty when none is linked or the organization has no SAML single sign-on."},
		}...)...),
		List: connector.As(listMembers),
	}
}

func outsideCollaboratorType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.outside_collaborator",
		Description: "A person who is not a member of the organization but has access to at least one of its repositories, " +
			"with their two-factor status and public email.",
		Fields: personFields(),
		List:   connector.As(listOutsideCollaborators),
	}
}

func personFields() []connector.Field {
	return []connector.Field{
		{Name: "login", Type: "string", Description: "GitHub login."},
		{Name: "id", Type: "int", Description: "GitHub's user id; also the external id (a login can be renamed, the id stays)."},
		{Name: "type", Type: "string", Description: "User, or Bot for machine accounts."},
		{Name: "site_admin", Type: "bool", Description: "A GitHub (Enterprise Server) site administrator."},
		{Name: "two_factor_enabled", Type: "bool", Description: "The account has two-factor authentication (from the organization's 2fa_disabled filter; owners and apps only)."},
		{Name: "name", Type: "string", Description: "Profile name (GET /users/{login}); empty when not set."},
		{Name: "public_email", Type: "string", Description: "Email the person made public on their profile; empty when none."},
		{Name: "email", Type: "string", Description: "Lower-case email linking the account to a person: the SAML identity's NameID or email, else the public email; sources says which."},
	}
}

// listPeople pages through one user listing of the organization.
func (c *conn) listPeople(ctx context.Context, fetch func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error)) ([]*gh.User, error) {
	var all []*gh.User
	err := paginate(func(page int) (*gh.Response, error) {
		us, resp, err := fetch(ctx, gh.ListOptions{PerPage: perPage, Page: page})
		all = append(all, us...)
		return resp, err
	})
	return all, err
}

// twoFactor is the set of ids of accounts without two-factor authentication,
// or why it could not be read.
type twoFactor struct {
	disabled map[int64]bool
	reason   string // non-empty: status unknown, and why
	calls    []connector.CallRef
}

// twoFactorDisabled lists the accounts the 2fa_disabled filter returns.
// GitHub applies the filter only for organization owners (and apps with
// Members: read), so it is asked only then: for anyone else the answer
// would not mean what it says.
func (c *conn) twoFactorDisabled(ctx context.Context, what string,
	fetch func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error)) (twoFactor, error) {
	v := c.viewer(ctx)
	if v.err != nil {
		return twoFactor{}, v.err
	}
	if !v.val.owner {
		return twoFactor{reason: v.val.ownerReason, calls: v.calls}, nil
	}
	tctx, calls := connector.Track(ctx)
	us, err := c.listPeople(tctx, fetch)
	out := twoFactor{disabled: map[int64]bool{}, calls: append(calls.Refs(), v.calls...)}
	switch {
	case err != nil && scopeError(err):
		out.reason = c.explain(err, "list the "+what+" without two-factor authentication").Error()
	case err != nil:
		return out, c.explain(err, "list the "+what+" without two-factor authentication")
	}
	for _, u := range us {
		out.disabled[u.GetID()] = true
	}
	return out, nil
}

// profile is what GET /users/{login} says, or why it was not read.
type profile struct {
	name, email string
	reason      string
	calls       []connector.CallRef
}

func (c *conn) profile(ctx context.Context, login string) (profile, error) {
	if !c.s.memberDetails {
		return profile{reason: "member_details is off: profiles were not read"}, nil
	}
	tctx, calls := connector.Track(ctx)
	u, _, err := c.gh.Users.Get(tctx, login)
	if err != nil {
		if scopeError(err) {
			return profile{reason: c.explain(err, "read the profile of "+login).Error(), calls: calls.Refs()}, nil
		}
		return profile{}, c.explain(err, "read the profile of "+login)
	}
	return profile{name: u.GetName(), email: u.GetEmail(), calls: calls.Refs()}, nil
}

// personFacts fills the fields every account shares.
func personFacts(f *connector.Facts, u *gh.User, tf twoFactor, p profile) {
	f.Set("login", u.GetLogin(), "")
	f.Set("id", u.GetID(), "")
	f.Set("type", u.GetType(), "")
	f.Set("site_admin", u.GetSiteAdmin(), "")
	if tf.reason != "" {
		f.Unknown("two_factor_enabled", tf.reason)
	} else {
		f.Set("two_factor_enabled", !tf.disabled[u.GetID()], "filter=2fa_disabled")
	}
	if p.reason != "" {
		f.Unknown("name", p.reason)
		f.Unknown("public_email", p.reason)
	} else {
		f.Set("name", p.name, "GET /users/{login}")
		f.Set("public_email", p.email, "GET /users/{login}")
	}
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func listMembers(ctx context.Context, c *conn, out connector.Emitter) error {
	tctx, calls := connector.Track(ctx)
	roles := map[int64]string{}
	var people []*gh.User
	for _, role := range []string{"admin", "member"} {
		us, err := c.listPeople(tctx, func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error) {
			return c.gh.Organizations.ListMembers(ctx, c.s.org, &gh.ListMembersOptions{Role: role, ListOptions: lo})
		})
		if err != nil {
			return c.explain(err, "list the members of "+c.s.org)
		}
		for _, u := range us {
			if _, dup := roles[u.GetID()]; !dup {
				people = append(people, u)
			}
			if roles[u.GetID()] != "admin" {
				roles[u.GetID()] = role
			}
		}
	}
	listed := calls.Refs()
	tf, err := c.twoFactorDisabled(ctx, "members", func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error) {
		return c.gh.Organizations.ListMembers(ctx, c.s.org, &gh.ListMembersOptions{Filter: "2fa_disabled", ListOptions: lo})
	})
	if err != nil {
		return err
	}
	saml, err := c.saml(ctx)
	if err != nil {
		return err
	}
	for _, u := range people {
		p, err := c.profile(ctx, u.GetLogin())
		if err != nil {
			return err
		}
		f := connector.NewFacts()
		f.Set("role", roles[u.GetID()], "GET /orgs/{org}/members?role="+roles[u.GetID()])
		personFacts(f, u, tf, p)
		id, linked := saml.identities[strings.ToLower(u.GetLogin())]
		switch {
		case saml.reason != "":
			f.Unknown("saml_name_id", saml.reason)
		case !saml.configured:
			f.Set("saml_name_id", "", "the organization has no SAML single sign-on")
		case !linked:
			f.Set("saml_name_id", "", "no SAML identity is linked to this member")
		default:
			f.Set("saml_name_id", id.nameID, srcSAML)
		}
		setEmail(f, id, linked, saml, p)
		if err := emit(ctx, out, strconv.FormatInt(u.GetID(), 10), u.GetLogin(), "", f, listed, tf.calls, saml.calls, p.calls); err != nil {
			return err
		}
	}
	return nil
}

// setEmail picks the email that links the account to a person: the SAML
// identity (the corporate directory's), else the public profile email.
func setEmail(f *connector.Facts, id samlIdentity, linked bool, saml *samlResult, p profile) {
	switch {
	case linked && strings.Contains(id.nameID, "@"):
		f.Set("email", normalizeEmail(id.nameID), "SAML identity NameID")
		return
	case linked && id.email != "":
		f.Set("email", normalizeEmail(id.email), "SAML identity email")
		return
	case p.reason == "" && p.email != "":
		f.Set("email", normalizeEmail(p.email), "public email of GET /users/{login}")
		return
	}
	var why []string
	switch {
	case saml == nil:
		why = append(why, "outside collaborators have no SAML identity in the organization")
	case saml.reason != "":
		why = append(why, "SAML identities not read ("+saml.reason+")")
	case !saml.configured:
		why = append(why, "the organization has no SAML single sign-on")
	case !linked:
		why = append(why, "no SAML identity is linked")
	default:
		why = append(why, "the linked SAML identity has no email")
	}
	if p.reason != "" {
		why = append(why, "the profile was not read ("+p.reason+")")
	} else {
		why = append(why, "no public email on the profile")
	}
	f.Unknown("email", "GitHub exposes no email for this account: "+strings.Join(why, "; "))
}

func listOutsideCollaborators(ctx context.Context, c *conn, out connector.Emitter) error {
	tctx, calls := connector.Track(ctx)
	people, err := c.listPeople(tctx, func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error) {
		return c.gh.Organizations.ListOutsideCollaborators(ctx, c.s.org, &gh.ListOutsideCollaboratorsOptions{ListOptions: lo})
	})
	if err != nil {
		return c.explain(err, "list the outside collaborators of "+c.s.org)
	}
	listed := calls.Refs()
	tf, err := c.twoFactorDisabled(ctx, "outside collaborators", func(ctx context.Context, lo gh.ListOptions) ([]*gh.User, *gh.Response, error) {
		return c.gh.Organizations.ListOutsideCollaborators(ctx, c.s.org, &gh.ListOutsideCollaboratorsOptions{Filter: "2fa_disabled", ListOptions: lo})
	})
	if err != nil {
		return err
	}
	for _, u := range people {
		p, err := c.profile(ctx, u.GetLogin())
		if err != nil {
			return err
		}
		f := connector.NewFacts()
		personFacts(f, u, tf, p)
		setEmail(f, samlIdentity{}, false, nil, p)
		if err := emit(ctx, out, strconv.FormatInt(u.GetID(), 10), u.GetLogin(), "", f, listed, tf.calls, p.calls); err != nil {
			return err
		}
	}
	return nil
}
