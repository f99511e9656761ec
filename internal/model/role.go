package model

import (
	"fmt"
	"slices"
)

// Role is a member's role in one organization.
type Role string

// The roles, from most to least powerful. Auditor is not "below" viewer: it
// sees only the audits it is invited to, but may comment, request and record
// sample results there.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleEditor  Role = "editor"
	RoleAuditor Role = "auditor"
	RoleViewer  Role = "viewer"
)

// Roles lists every role in display order.
func Roles() []Role { return []Role{RoleOwner, RoleAdmin, RoleEditor, RoleAuditor, RoleViewer} }

// ParseRole accepts a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", Invalid("role", "unknown role %q (use owner, admin, editor, auditor or viewer)", s)
}

// Permission is what a route or a service action requires.
type Permission string

// Permissions. Every route declares exactly one.
const (
	// PermPublic: no sign-in needed (sign-in page, health, metrics, assets).
	PermPublic Permission = "public"
	// PermSelf: any signed-in member, acting on their own account and tokens.
	PermSelf Permission = "self"
	// PermView: read the organization's compliance data.
	PermView Permission = "view"
	// PermEdit: change controls, evidence, tests, integrations.
	PermEdit Permission = "edit"
	// PermManage: members, roles, organization settings, notification channels.
	PermManage Permission = "manage"
	// PermOwn: grant or revoke the owner role.
	PermOwn Permission = "own"
	// PermAudit: work inside an audit the member is invited to (auditors, and
	// the people who run the audit).
	PermAudit Permission = "audit"
)

var rolePermissions = map[Role][]Permission{
	RoleOwner:   {PermSelf, PermView, PermEdit, PermManage, PermOwn, PermAudit},
	RoleAdmin:   {PermSelf, PermView, PermEdit, PermManage, PermAudit},
	RoleEditor:  {PermSelf, PermView, PermEdit},
	RoleAuditor: {PermSelf, PermAudit},
	RoleViewer:  {PermSelf, PermView},
}

// Can reports whether the role grants p.
func (r Role) Can(p Permission) bool {
	if p == PermPublic {
		return true
	}
	return slices.Contains(rolePermissions[r], p)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := rolePermissions[r]; return ok }

func (r Role) String() string { return string(r) }

// AllPermissions lists the permissions a route may declare.
func AllPermissions() []Permission {
	return []Permission{PermPublic, PermSelf, PermView, PermEdit, PermManage, PermOwn, PermAudit}
}

// CheckGrant says whether a member with role actor may give role target to
// someone (or take it away): only owners touch the owner role.
func CheckGrant(actor, target Role) error {
	if !actor.Can(PermManage) {
		return fmt.Errorf("role %s cannot manage members: %w", actor, ErrForbidden)
	}
	if target == RoleOwner && !actor.Can(PermOwn) {
		return fmt.Errorf("only an owner can grant or remove the owner role: %w", ErrForbidden)
	}
	return nil
}

// EnumValues lists the roles for the API schema.
func (Role) EnumValues() []string {
	var out []string
	for _, r := range Roles() {
		out = append(out, string(r))
	}
	return out
}
