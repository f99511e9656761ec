package okta

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func adminRoleType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.admin_role",
		Description: "An admin role held by a user of the Okta org, assigned to the user directly or through a group: " +
			"standard roles (SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, …) and custom roles with their resource set.",
		Fields: []connector.Field{
			{Name: "user_id", Type: "string", Description: "Okta id of the user holding the role."},
			{Name: "login", Type: "string", Description: "The holder's login."},
			{Name: "email", Type: "string", Description: "The holder's e-mail address in lower case, to match the person across systems."},
			{Name: "user_status", Type: "string", Description: "The holder's status (a deactivated admin is DEPROVISIONED)."},
			{Name: "role_type", Type: "string", Description: "type: SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, USER_ADMIN, HELP_DESK_ADMIN, READ_ONLY_ADMIN, MOBILE_ADMIN, API_ACCESS_MANAGEMENT_ADMIN, REPORT_ADMIN, GROUP_MEMBERSHIP_ADMIN, CUSTOM, …"},
			{Name: "label", Type: "string", Description: "The role's name as the Admin Console shows it."},
			{Name: "role_id", Type: "string", Description: "For a custom role (or an IAM-based standard role), the role's id or type (role); empty otherwise."},
			{Name: "resource_set", Type: "string", Description: "For a custom role, the id of the resource set it applies to; empty otherwise."},
			{Name: "assignment_type", Type: "string", Description: "USER (assigned to the user) or GROUP (held through a group)."},
			{Name: "group_id", Type: "string", Description: "For a GROUP assignment, the id of the group holding the role; empty otherwise."},
			{Name: "status", Type: "string", Description: "Status of the assignment (ACTIVE)."},
			{Name: "created", Type: "string", Description: "When the role was assigned, RFC 3339 UTC."},
			{Name: "last_updated", Type: "string", Description: "When the assignment last changed, RFC 3339 UTC."},
			{Name: "super_admin", Type: "bool", Description: "Derived: role_type is SUPER_ADMIN."},
			{Name: "custom", Type: "bool", Description: "Derived: role_type is CUSTOM."},
		},
		List: connector.As(listAdminRoles),
	}
}

// oktaRole is a role assignment (GET /api/v1/users/{id}/roles).
type oktaRole struct {
	ID             string  `json:"id"`
	Role           string  `json:"role"`
	Label          string  `json:"label"`
	Type           string  `json:"type"`
	Status         string  `json:"status"`
	Created        *string `json:"created"`
	LastUpdated    *string `json:"lastUpdated"`
	AssignmentType string  `json:"assignmentType"`
	ResourceSet    string  `json:"resource-set"`
	Links          struct {
		Assignee *struct {
			Href string `json:"href"`
		} `json:"assignee"`
	} `json:"_links"`
}

// adminSet is whose roles were read, and what they are, once per run.
type adminSet struct {
	mode       string
	holders    map[string]bool // assignees mode: the users Okta lists as holding a role
	holderRefs []connector.CallRef
	order      []string // the users whose roles were to be read, in order
	roles      map[string]*result[[]oktaRole]
	stop       error // why reading roles stopped
	read       int   // users whose roles were to be read within the bound
	capped     int   // users left unread by the bound
}

func (c *client) adminSet(ctx context.Context) (*adminSet, error) {
	c.adminsMu.Lock()
	defer c.adminsMu.Unlock()
	if c.admins == nil {
		s, err := c.readAdmins(ctx)
		c.admins = &cached[*adminSet]{v: s, err: err}
	}
	return c.admins.v, c.admins.err
}

// readAdmins finds whose roles to read (the users Okta lists as holding a
// role, or every user who is not deactivated) and reads them.
func (c *client) readAdmins(ctx context.Context) (*adminSet, error) {
	s := &adminSet{mode: c.adminFrom, holders: map[string]bool{}}
	switch c.adminFrom {
	case adminFromAssignees:
		tctx, calls := connector.Track(ctx)
		err := c.pages(tctx, c.base+"/api/v1/iam/assignees/users?limit=100", "list the users holding admin roles",
			func(pg connector.Page) (string, error) {
				var page struct {
					Value []struct {
						ID string `json:"id"`
					} `json:"value"`
					Links struct {
						Next *struct {
							Href string `json:"href"`
						} `json:"next"`
					} `json:"_links"`
				}
				if err := connector.DecodeJSON(pg.Response, pg.Body, &page); err != nil {
					return "", err
				}
				for _, u := range page.Value {
					if u.ID != "" && !s.holders[u.ID] {
						s.holders[u.ID] = true
						s.order = append(s.order, u.ID)
					}
				}
				if page.Links.Next != nil {
					return page.Links.Next.Href, nil
				}
				return "", nil
			})
		if err != nil {
			return nil, err
		}
		s.holderRefs = calls.Refs()
	case adminFromEveryUser:
		users, err := c.userSet(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range users.list {
			if e.u.Status != statusDeprovisioned {
				s.order = append(s.order, e.u.ID)
			}
		}
	}
	want := s.order
	if len(want) > c.maxLookups {
		s.capped = len(want) - c.maxLookups
		want = want[:c.maxLookups]
	}
	s.read = len(want)
	s.roles, s.stop = lookupAll(ctx, c, want, c.userRoles)
	return s, nil
}

// userRoles reads the roles one user holds, directly or through groups.
func (c *client) userRoles(ctx context.Context, userID string) ([]oktaRole, error) {
	var roles []oktaRole
	err := c.getJSON(ctx, c.base+"/api/v1/users/"+url.PathEscape(userID)+"/roles", "read a user's admin roles", &roles)
	return roles, err
}

// adminFacts sets a user's admin and admin_roles and returns the calls they
// came from.
func adminFacts(f *connector.Facts, u oktaUser, a *adminSet, adminErr error) []connector.CallRef {
	unknown := func(why string) {
		f.Unknown("admin", why)
		f.Unknown("admin_roles", why)
	}
	if adminErr != nil {
		unknown(fmt.Sprintf("cannot read admin roles: %v", adminErr))
		return nil
	}
	if a.mode == adminFromEveryUser && u.Status == statusDeprovisioned {
		unknown("not read for deactivated users with admin_roles_from=every_user (one API call per user saved)")
		return nil
	}
	if a.mode == adminFromAssignees && !a.holders[u.ID] {
		const src = "not among the users holding a role (GET /api/v1/iam/assignees/users)"
		f.Set("admin", false, src)
		f.Set("admin_roles", []string{}, src)
		return a.holderRefs
	}
	r := a.roles[u.ID]
	switch {
	case r == nil && a.stop != nil:
		unknown(fmt.Sprintf("not read: reading users' roles stopped: %v", a.stop))
		return a.holderRefs
	case r == nil && a.capped > 0:
		unknown("not read: more users were to be read than max_user_lookups")
		return a.holderRefs
	case r == nil:
		unknown("not read: the run ended before this user's roles were read")
		return a.holderRefs
	case r.err != nil:
		unknown(fmt.Sprintf("Okta did not find the user when reading its roles (deleted during the run?): %v", r.err))
		return refs(a.holderRefs, r.refs)
	}
	var types []string
	for _, role := range r.v {
		types = append(types, role.Type)
	}
	const src = "GET /api/v1/users/{id}/roles"
	f.Set("admin", len(r.v) > 0, src)
	f.Set("admin_roles", sortedSet(types), src)
	return refs(a.holderRefs, r.refs)
}

func listAdminRoles(ctx context.Context, c *client, out connector.Emitter) error {
	admins, err := c.adminSet(ctx)
	if err != nil {
		return err
	}
	// An incomplete reading would mark the unread assignments removed:
	// fail the listing instead, leaving what was collected before.
	if admins.stop != nil {
		return fmt.Errorf("cannot read every admin's roles: %w", admins.stop)
	}
	if admins.capped > 0 {
		return fmt.Errorf("read the roles of %d users and left %d unread: raise max_user_lookups above the number of users, "+
			"or use admin_roles_from=assignees", admins.read, admins.capped)
	}
	users, usersErr := c.userSet(ctx)
	for _, id := range admins.order {
		r := admins.roles[id]
		if r == nil || r.err != nil {
			continue // the user went away during the run: it holds nothing now
		}
		var holder *userEntry
		if usersErr == nil {
			holder = users.byID[id]
		}
		for _, role := range r.v {
			f := roleFacts(id, role, holder, usersErr)
			name := role.Label
			if holder != nil {
				name = holder.u.Profile.Login + ": " + role.Label
			}
			var userRefs []connector.CallRef
			if holder != nil {
				userRefs = holder.refs
			}
			if err := out.Emit(ctx, connector.Resource{ExternalID: id + "/" + role.ID, Name: name,
				Attributes: f.Attributes(), Calls: refs(r.refs, userRefs)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func roleFacts(userID string, role oktaRole, holder *userEntry, usersErr error) *connector.Facts {
	f := connector.NewFacts()
	f.Set("user_id", userID, "")
	switch {
	case holder != nil:
		f.Set("login", holder.u.Profile.Login, "GET /api/v1/users")
		f.Set("email", strings.ToLower(strings.TrimSpace(holder.u.Profile.Email)), "GET /api/v1/users")
		f.Set("user_status", holder.u.Status, "GET /api/v1/users")
	default:
		why := "the user was not in the user listing (created during the run?)"
		if usersErr != nil {
			why = fmt.Sprintf("cannot list users: %v", usersErr)
		}
		for _, field := range []string{"login", "email", "user_status"} {
			f.Unknown(field, why)
		}
	}
	f.Set("role_type", role.Type, "")
	f.Set("label", role.Label, "")
	f.Set("role_id", role.Role, "")
	f.Set("resource_set", role.ResourceSet, "")
	f.Set("assignment_type", role.AssignmentType, "")
	group := ""
	if role.AssignmentType == "GROUP" && role.Links.Assignee != nil {
		if u, err := url.Parse(role.Links.Assignee.Href); err == nil && strings.Contains(u.Path, "/groups/") {
			group = path.Base(u.Path)
		}
	}
	if group != "" {
		f.Set("group_id", group, "_links.assignee")
	} else {
		f.Set("group_id", "", "")
	}
	f.Set("status", role.Status, "")
	setTime(f, "created", role.Created)
	setTime(f, "last_updated", role.LastUpdated)
	f.Set("super_admin", role.Type == "SUPER_ADMIN", "role_type")
	f.Set("custom", role.Type == "CUSTOM", "role_type")
	return f
}
