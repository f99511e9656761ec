package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

func roleType() connector.ResourceType {
	return connector.ResourceType{
		Name: "postgres.role",
		Description: "A role of the PostgreSQL server (predefined pg_* roles left out): whether it can log in, its " +
			"superuser and other powerful attributes, its password's expiry and hashing, and its memberships.",
		Fields: []connector.Field{
			{Name: "name", Type: "string", Description: "Role name."},
			{Name: "superuser", Type: "bool", Description: "rolsuper: bypasses every permission check."},
			{Name: "can_login", Type: "bool", Description: "rolcanlogin: a user account rather than a group."},
			{Name: "create_role", Type: "bool", Description: "rolcreaterole: may create, alter and drop roles."},
			{Name: "create_db", Type: "bool", Description: "rolcreatedb: may create databases."},
			{Name: "replication", Type: "bool", Description: "rolreplication: may stream the whole cluster's data."},
			{Name: "bypass_rls", Type: "bool", Description: "rolbypassrls: ignores row-level security policies."},
			{Name: "inherit", Type: "bool", Description: "rolinherit: uses the privileges of the roles it belongs to."},
			{Name: "connection_limit", Type: "int", Description: "rolconnlimit; -1 for no limit."},
			{Name: "valid_until", Type: "string", Description: "rolvaliduntil as an RFC 3339 time in UTC: when the password stops working; empty when it never expires."},
			{Name: "password_expires", Type: "bool", Description: "valid_until is set."},
			{Name: "password_expired", Type: "bool", Description: "valid_until is in the past on the collection date."},
			{Name: "password_set", Type: "bool", Description: "The role has a password (pg_authid; superuser only)."},
			{Name: "password_hash", Type: "string", Description: "How the stored password is hashed: scram-sha-256, md5, plain; empty without one. Never the hash."},
			{Name: "member_of", Type: "list", Description: "Roles it is a member of, e.g. pg_read_all_data, pg_monitor."},
		},
		List: connector.As(listRoles),
	}
}

func listRoles(ctx context.Context, c *conn, out connector.Emitter) error {
	roles, err := c.query(ctx, qRoles)
	if err != nil {
		return err
	}
	if roles.err != nil {
		return fmt.Errorf("cannot list roles: %w", roles.err)
	}
	kinds, err := c.query(ctx, qPasswordKinds)
	if err != nil {
		return err
	}
	hashes := kinds.byName()
	now := c.rt.Now()
	for _, row := range roles.rows {
		name, _ := row[0].(string)
		f := facts{"name": name}
		f.set("superuser", row[1], "")
		f.set("inherit", row[2], "")
		f.set("create_role", row[3], "")
		f.set("create_db", row[4], "")
		f.set("can_login", row[5], "")
		f.set("replication", row[6], "")
		f.set("bypass_rls", row[7], "")
		n, _ := toInt(row[8])
		f.set("connection_limit", n, "")
		until, _ := row[9].(string)
		f.set("valid_until", until, "")
		f.set("password_expires", until != "", "")
		expired := false
		if t, err := time.Parse(time.RFC3339, until); err == nil {
			expired = t.Before(now)
		}
		f.set("password_expired", expired, "valid_until compared with the collection time")
		f.set("member_of", stringsOf(row[10]), "pg_auth_members")
		if kinds.err != nil {
			why := fmt.Sprintf("role %s may not read pg_authid, which only superusers may", c.cfg.User)
			f.unknown("password_set", why)
			f.unknown("password_hash", why)
		} else if h, ok := hashes[name]; ok {
			kind, _ := h[1].(string)
			f.set("password_set", kind != "", "pg_authid")
			f.set("password_hash", kind, "pg_authid")
		} else {
			f.unknown("password_set", "the role was not in pg_authid when it was read")
			f.unknown("password_hash", "the role was not in pg_authid when it was read")
		}
		err := out.Emit(ctx, connector.Resource{ExternalID: c.host + "/" + name, Name: name,
			Attributes: f, Calls: refs(roles, kinds)})
		if err != nil {
			return err
		}
	}
	return nil
}
