package googleworkspace

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/assurehq/assure/internal/connector"
)

// Partial responses of the calls this listing makes.
const (
	roleFields       = "nextPageToken,items(roleId,roleName,isSystemRole,isSuperAdminRole)"
	assignmentFields = "nextPageToken,items(roleAssignmentId,roleId,assignedTo,assigneeType,scopeType,orgUnitId,condition,expirationDetails)"
	assigneeFields   = "id,primaryEmail"
)

func roleAssignmentType() connector.ResourceType {
	return connector.ResourceType{
		Name: "google_workspace.role_assignment",
		Description: "An administrator role held by a user or group (roleAssignments.list), with the role's name and " +
			"whether it is the super administrator role (roles.list), and the assignee's email when it is a user (users.get).",
		Fields: []connector.Field{
			{Name: "id", Type: "string", Description: "roleAssignmentId; also the external id."},
			{Name: "role_id", Type: "string", Description: "roleId of the assigned role."},
			{Name: "role_name", Type: "string", Description: "roleName, e.g. _SEED_ADMIN_ROLE (super admin), _GROUPS_ADMIN_ROLE, or a custom role's name."},
			{Name: "is_super_admin_role", Type: "bool", Description: "isSuperAdminRole: the role is the super administrator role."},
			{Name: "is_system_role", Type: "bool", Description: "isSystemRole: a role Google predefines rather than a custom one."},
			{Name: "assignee_id", Type: "string", Description: "assignedTo: the user ID, group ID or service account unique ID holding the role."},
			{Name: "assignee_type", Type: "string", Description: "assigneeType: user or group."},
			{Name: "email", Type: "string", Description: "The assignee user's primaryEmail, lower-cased; null for a group or an ID that is no user (the reason says which)."},
			{Name: "scope_type", Type: "string", Description: "scopeType: CUSTOMER (the whole account) or ORG_UNIT."},
			{Name: "org_unit_id", Type: "string", Description: "orgUnitId the role is limited to; empty when scope_type is CUSTOMER."},
			{Name: "condition", Type: "string", Description: "condition limiting where the role applies (e.g. to security groups only); empty when unconditional."},
			{Name: "expires_at", Type: "time", Description: "expirationDetails.expireTime: when the assignment is revoked automatically; empty when it does not expire."},
		},
		List: connector.As(listRoleAssignments),
	}
}

// assignee is a resolved role assignee.
type assignee struct {
	email string
	why   string // why email is unknown
	calls []connector.CallRef
}

func listRoleAssignments(ctx context.Context, c *conn, out connector.Emitter) error {
	roles, roleCalls, err := c.listRoles(ctx)
	if err != nil {
		return err
	}
	users := map[string]assignee{}
	call := c.svc.RoleAssignments.List(c.customer).MaxResults(200).Fields(googleapi.Field(assignmentFields))
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("cannot list role assignments: stopped after %d pages", maxPages)
		}
		pctx, calls := connector.Track(ctx)
		res, err := call.Context(pctx).Do()
		if err != nil {
			return c.explain(err, "list administrator role assignments")
		}
		for _, ra := range res.Items {
			if ra == nil {
				continue
			}
			refs := append(calls.Refs(), roleCalls...)
			f := connector.NewFacts()
			id := strconv.FormatInt(ra.RoleAssignmentId, 10)
			f.Set("id", id, "")
			roleID := strconv.FormatInt(ra.RoleId, 10)
			f.Set("role_id", roleID, "")
			name := "role " + roleID
			if r, ok := roles[ra.RoleId]; ok {
				name = r.RoleName
				f.Set("role_name", r.RoleName, "roles.list")
				f.Set("is_super_admin_role", r.IsSuperAdminRole, "roles.list")
				f.Set("is_system_role", r.IsSystemRole, "roles.list")
			} else {
				why := fmt.Sprintf("role %s is not among the account's roles (roles.list): it may have been deleted while Assure read", roleID)
				f.Unknown("role_name", why).Unknown("is_super_admin_role", why).Unknown("is_system_role", why)
			}
			f.Set("assignee_id", ra.AssignedTo, "")
			f.Set("assignee_type", ra.AssigneeType, "")
			holder := ra.AssignedTo
			switch strings.ToLower(ra.AssigneeType) {
			case "group":
				f.Unknown("email", "the assignee is a group; Assure reads no groups (that would need the admin.directory.group.readonly scope)")
			default:
				a, err := c.assignee(ctx, users, ra.AssignedTo)
				if err != nil {
					return err
				}
				refs = append(refs, a.calls...)
				if a.why != "" {
					f.Unknown("email", a.why)
				} else {
					f.Set("email", a.email, "users.get primaryEmail, lower-cased")
					holder = a.email
				}
			}
			f.Set("scope_type", ra.ScopeType, "")
			f.Set("org_unit_id", ra.OrgUnitId, "")
			f.Set("condition", ra.Condition, "")
			switch {
			case ra.ExpirationDetails == nil || ra.ExpirationDetails.ExpireTime == "":
				f.Set("expires_at", "", "")
			default:
				if _, s, ok := rfc3339(ra.ExpirationDetails.ExpireTime); ok {
					f.Set("expires_at", s, "")
				} else {
					f.Unknown("expires_at", fmt.Sprintf("the API returned expireTime %q, which is not an RFC 3339 time", ra.ExpirationDetails.ExpireTime))
				}
			}
			if err := out.Emit(ctx, connector.Resource{ExternalID: id, Name: name + ": " + holder,
				Attributes: f.Attributes(), Calls: refs}); err != nil {
				return err
			}
		}
		if res.NextPageToken == "" {
			return nil
		}
		if seen[res.NextPageToken] {
			return fmt.Errorf("cannot list role assignments: page %d names a page token already followed: the API's pagination loops", page)
		}
		seen[res.NextPageToken] = true
		call.PageToken(res.NextPageToken)
	}
}

// listRoles reads every role of the account, by ID, and the calls it took.
func (c *conn) listRoles(ctx context.Context) (map[int64]*admin.Role, []connector.CallRef, error) {
	tctx, calls := connector.Track(ctx)
	roles := map[int64]*admin.Role{}
	call := c.svc.Roles.List(c.customer).MaxResults(100).Fields(googleapi.Field(roleFields))
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, nil, fmt.Errorf("cannot list administrator roles: stopped after %d pages", maxPages)
		}
		res, err := call.Context(tctx).Do()
		if err != nil {
			return nil, nil, c.explain(err, "list administrator roles")
		}
		for _, r := range res.Items {
			if r != nil {
				roles[r.RoleId] = r
			}
		}
		if res.NextPageToken == "" {
			return roles, calls.Refs(), nil
		}
		if seen[res.NextPageToken] {
			return nil, nil, fmt.Errorf("cannot list administrator roles: page %d names a page token already followed: the API's pagination loops", page)
		}
		seen[res.NextPageToken] = true
		call.PageToken(res.NextPageToken)
	}
}

// assignee resolves a user ID to its email once per listing. A user that
// does not exist (404: a service account, or a user deleted since) leaves
// the email unknown; any other failure fails the listing.
func (c *conn) assignee(ctx context.Context, cache map[string]assignee, id string) (assignee, error) {
	if a, ok := cache[id]; ok {
		return a, nil
	}
	tctx, calls := connector.Track(ctx)
	u, err := c.svc.Users.Get(id).Fields(assigneeFields).Context(tctx).Do()
	var a assignee
	switch {
	case err != nil && isNotFound(err):
		a = assignee{why: fmt.Sprintf("no Workspace user has ID %s (users.get answered 404): the assignee may be a service account or a user deleted since", id)}
	case err != nil:
		return assignee{}, c.explain(err, "read the user holding a role")
	case u.PrimaryEmail == "":
		a = assignee{why: "users.get returned no primaryEmail"}
	default:
		a = assignee{email: strings.ToLower(strings.TrimSpace(u.PrimaryEmail))}
	}
	a.calls = calls.Refs()
	cache[id] = a
	return a, nil
}
