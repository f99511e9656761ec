package okta

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

// User statuses (Okta's lifecycle) used below.
const (
	statusDeprovisioned = "DEPROVISIONED"
)

// enabledStatuses are the statuses of an activated account that is
// neither suspended nor deactivated: its holder can sign in (perhaps after
// a password change or an unlock).
var enabledStatuses = map[string]bool{"ACTIVE": true, "PASSWORD_EXPIRED": true, "LOCKED_OUT": true, "RECOVERY": true}

func userType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.user",
		Description: "A user of the Okta org, deactivated ones included: status and lifecycle dates, last sign-in, " +
			"the factors enrolled for MFA (whether any is phishing-resistant) and the admin roles held.",
		Fields: []connector.Field{
			{Name: "id", Type: "string", Description: "Okta user id; also the external id."},
			{Name: "login", Type: "string", Description: "profile.login: the username the user signs in with."},
			{Name: "email", Type: "string", Description: "profile.email in lower case, to match this person's accounts in other systems."},
			{Name: "name", Type: "string", Description: "profile.displayName, else profile.firstName and profile.lastName."},
			{Name: "type", Type: "string", Description: "User type id (type.id)."},
			{Name: "status", Type: "string", Description: "STAGED, PROVISIONED, ACTIVE, RECOVERY, PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED or DEPROVISIONED (deactivated)."},
			{Name: "enabled", Type: "bool", Description: "Derived: status is ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT or RECOVERY (activated, neither suspended nor deactivated)."},
			{Name: "deprovisioned", Type: "bool", Description: "Derived: status is DEPROVISIONED (the account is deactivated)."},
			{Name: "credential_provider", Type: "string", Description: "credentials.provider.type: who holds the password (OKTA, ACTIVE_DIRECTORY, LDAP, FEDERATION, SOCIAL, IMPORT); empty when Okta gives none."},
			{Name: "created", Type: "string", Description: "When the user was created, RFC 3339 UTC."},
			{Name: "activated", Type: "string", Description: "When the user was activated, RFC 3339 UTC; empty when never."},
			{Name: "status_changed", Type: "string", Description: "When the status last changed, RFC 3339 UTC; empty when never."},
			{Name: "last_login", Type: "string", Description: "Last sign-in, RFC 3339 UTC; empty when the user never signed in."},
			{Name: "password_changed", Type: "string", Description: "When the password last changed, RFC 3339 UTC; empty when never (or not held by Okta)."},
			{Name: "factors", Type: "list", Description: "Enrolled factors (GET /api/v1/users/{id}/factors), without their profiles (phone numbers, e-mail addresses). Not read for deactivated users."},
			{Name: "factors.id", Type: "string", Description: "Factor id."},
			{Name: "factors.factor_type", Type: "string", Description: "factorType: push, sms, call, email, question, token:software:totp, token:hardware, token:hotp, token, u2f, web, webauthn, signed_nonce (Okta FastPass)."},
			{Name: "factors.provider", Type: "string", Description: "OKTA, GOOGLE, FIDO, RSA, SYMANTEC, DUO, YUBICO, CUSTOM."},
			{Name: "factors.vendor_name", Type: "string", Description: "vendorName; empty when Okta gives none."},
			{Name: "factors.status", Type: "string", Description: "ACTIVE, PENDING_ACTIVATION, ENROLLED, NOT_SETUP, INACTIVE, EXPIRED, DISABLED."},
			{Name: "factors.created", Type: "string", Description: "When the factor was enrolled, RFC 3339 UTC."},
			{Name: "factor_types", Type: "list", Description: "Derived: the distinct factor types of the ACTIVE factors, sorted."},
			{Name: "mfa_enrolled", Type: "bool", Description: "Derived: an ACTIVE factor other than a security question is enrolled (the password is never a listed factor)."},
			{Name: "phishing_resistant_enrolled", Type: "bool", Description: "Derived: an ACTIVE webauthn or u2f (FIDO) factor is enrolled. Okta FastPass (signed_nonce) is not counted: its phishing resistance depends on the device and policy."},
			{Name: "admin", Type: "bool", Description: "Derived: the user holds at least one admin role, directly or through a group."},
			{Name: "admin_roles", Type: "list", Description: "Types of the admin roles held (SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, READ_ONLY_ADMIN, CUSTOM, …), sorted; see okta.admin_role for each assignment."},
		},
		List: connector.As(listUsers),
	}
}

type oktaUser struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	Created         *string `json:"created"`
	Activated       *string `json:"activated"`
	StatusChanged   *string `json:"statusChanged"`
	LastLogin       *string `json:"lastLogin"`
	PasswordChanged *string `json:"passwordChanged"`
	Type            *struct {
		ID string `json:"id"`
	} `json:"type"`
	Profile struct {
		Login       string `json:"login"`
		Email       string `json:"email"`
		FirstName   string `json:"firstName"`
		LastName    string `json:"lastName"`
		DisplayName string `json:"displayName"`
	} `json:"profile"`
	Credentials *struct {
		Provider *struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"provider"`
	} `json:"credentials"`
}

// userSet is every user of the org, read once per run.
type userSet struct {
	list []*userEntry
	byID map[string]*userEntry
}

type userEntry struct {
	u    oktaUser
	refs []connector.CallRef // the page it came from
}

func (s *userSet) add(u oktaUser, refs []connector.CallRef) {
	if e, ok := s.byID[u.ID]; ok {
		// Seen in both listings (deactivated during the run): the later wins.
		e.u, e.refs = u, refs
		return
	}
	e := &userEntry{u: u, refs: refs}
	s.byID[u.ID] = e
	s.list = append(s.list, e)
}

// userSet reads the users once per run. Okta's plain listing leaves out
// deactivated (DEPROVISIONED) users, so a second listing asks for them
// with filter=status eq "DEPROVISIONED".
func (c *client) userSet(ctx context.Context) (*userSet, error) {
	c.usersMu.Lock()
	defer c.usersMu.Unlock()
	if c.users == nil {
		s, err := c.readUsers(ctx)
		c.users = &cached[*userSet]{v: s, err: err}
	}
	return c.users.v, c.users.err
}

func (c *client) readUsers(ctx context.Context) (*userSet, error) {
	set := &userSet{byID: map[string]*userEntry{}}
	deprovisioned := url.Values{"filter": {`status eq "` + statusDeprovisioned + `"`}, "limit": {"200"}}
	for _, q := range []struct{ url, what string }{
		{c.base + "/api/v1/users?limit=200", "list users"},
		{c.base + "/api/v1/users?" + deprovisioned.Encode(), "list deactivated users"},
	} {
		tctx, calls := connector.Track(ctx)
		seen := 0
		err := c.pages(tctx, q.url, q.what, func(pg connector.Page) (string, error) {
			all := calls.Refs()
			page := all[seen:]
			seen = len(all)
			var users []oktaUser
			if err := connector.DecodeJSON(pg.Response, pg.Body, &users); err != nil {
				return "", err
			}
			for _, u := range users {
				if u.ID != "" {
					set.add(u, page)
				}
			}
			return "", nil
		})
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

func listUsers(ctx context.Context, c *client, out connector.Emitter) error {
	users, err := c.userSet(ctx)
	if err != nil {
		return err
	}
	// Factors: one call per user who is not deactivated, within the bound.
	var want []string
	for _, e := range users.list {
		if e.u.Status != statusDeprovisioned {
			want = append(want, e.u.ID)
		}
	}
	capped := 0
	if len(want) > c.maxLookups {
		capped = len(want) - c.maxLookups
		want = want[:c.maxLookups]
	}
	factors, stop := lookupAll(ctx, c, want, c.factors)
	if stop != nil {
		out.FailScope("factors", fmt.Errorf("stopped reading users' factors: %w", stop))
	} else if capped > 0 {
		out.FailScope("factors", fmt.Errorf("read the factors of %d users and left %d unread: raise max_user_lookups to read them all", len(want), capped))
	}
	admins, adminErr := c.adminSet(ctx)
	switch {
	case adminErr != nil:
		out.FailScope("admin roles", adminErr)
	case admins.stop != nil:
		out.FailScope("admin roles", fmt.Errorf("stopped reading users' roles: %w", admins.stop))
	case admins.capped > 0:
		out.FailScope("admin roles", fmt.Errorf("read the roles of %d users and left %d unread: raise max_user_lookups to read them all", admins.read, admins.capped))
	}
	for _, e := range users.list {
		f := userFacts(e.u)
		var fcalls []connector.CallRef
		if fr := factorFacts(f, e.u, factors[e.u.ID], stop, capped); fr != nil {
			fcalls = fr.refs
		}
		acalls := adminFacts(f, e.u, admins, adminErr)
		if err := out.Emit(ctx, connector.Resource{ExternalID: e.u.ID, Name: e.u.Profile.Login,
			Attributes: f.Attributes(), Calls: refs(e.refs, fcalls, acalls)}); err != nil {
			return err
		}
	}
	return nil
}

// userFacts sets the fields read from the user object itself.
func userFacts(u oktaUser) *connector.Facts {
	f := connector.NewFacts()
	f.Set("id", u.ID, "")
	f.Set("login", u.Profile.Login, "")
	f.Set("email", strings.ToLower(strings.TrimSpace(u.Profile.Email)), "")
	name := strings.TrimSpace(u.Profile.DisplayName)
	if name == "" {
		name = strings.TrimSpace(u.Profile.FirstName + " " + u.Profile.LastName)
	}
	f.Set("name", name, "")
	typ := ""
	if u.Type != nil {
		typ = u.Type.ID
	}
	f.Set("type", typ, "")
	f.Set("status", u.Status, "")
	f.Set("enabled", enabledStatuses[u.Status], "status")
	f.Set("deprovisioned", u.Status == statusDeprovisioned, "status")
	provider := ""
	if u.Credentials != nil && u.Credentials.Provider != nil {
		provider = u.Credentials.Provider.Type
	}
	f.Set("credential_provider", provider, "")
	setTime(f, "created", u.Created)
	setTime(f, "activated", u.Activated)
	setTime(f, "status_changed", u.StatusChanged)
	setTime(f, "last_login", u.LastLogin)
	setTime(f, "password_changed", u.PasswordChanged)
	return f
}
