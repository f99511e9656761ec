package terraform

import (
	"context"
	"sort"
	"strings"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// iamJoins gathers, by user and by group name, the resources that give an
// IAM user credentials, groups and policies.
type iamJoins struct {
	loginProfiles map[string]*instance
	accessKeys    map[string][]*instance
	userPolicies  map[string][]string    // user → policy ARNs attached directly
	inline        map[string][]string    // user → inline policy names
	userGroups    map[string][]string    // user → group names
	groupPolicies map[string][]string    // group → policy ARNs
	used          map[string][]*instance // user → every joined instance, for provenance
}

func newIAMJoins(states []*source) *iamJoins {
	j := &iamJoins{loginProfiles: map[string]*instance{}, accessKeys: map[string][]*instance{},
		userPolicies: map[string][]string{}, inline: map[string][]string{}, userGroups: map[string][]string{},
		groupPolicies: map[string][]string{}, used: map[string][]*instance{}}
	use := func(user string, in *instance) { j.used[user] = append(j.used[user], in) }
	for _, in := range instances(states, "aws_iam_user_login_profile") {
		u := text(in.attrs, "user")
		j.loginProfiles[u] = in
		use(u, in)
	}
	for _, in := range instances(states, "aws_iam_access_key") {
		u := text(in.attrs, "user")
		j.accessKeys[u] = append(j.accessKeys[u], in)
		use(u, in)
	}
	for _, in := range instances(states, "aws_iam_user_policy_attachment") {
		u := text(in.attrs, "user")
		j.userPolicies[u] = append(j.userPolicies[u], text(in.attrs, "policy_arn"))
		use(u, in)
	}
	for _, in := range instances(states, "aws_iam_user_policy") {
		u := text(in.attrs, "user")
		j.inline[u] = append(j.inline[u], text(in.attrs, "name"))
		use(u, in)
	}
	for _, in := range instances(states, "aws_iam_user_group_membership") {
		u := text(in.attrs, "user")
		j.userGroups[u] = append(j.userGroups[u], stringList(in.attrs, "groups")...)
		use(u, in)
	}
	for _, in := range instances(states, "aws_iam_group_membership") {
		g := text(in.attrs, "group")
		for _, u := range stringList(in.attrs, "users") {
			j.userGroups[u] = append(j.userGroups[u], g)
			use(u, in)
		}
	}
	for _, in := range instances(states, "aws_iam_group_policy_attachment") {
		g := text(in.attrs, "group")
		j.groupPolicies[g] = append(j.groupPolicies[g], text(in.attrs, "policy_arn"))
	}
	for _, in := range instances(states, "aws_iam_policy_attachment") {
		p := text(in.attrs, "policy_arn")
		for _, u := range stringList(in.attrs, "users") {
			j.userPolicies[u] = append(j.userPolicies[u], p)
			use(u, in)
		}
		for _, g := range stringList(in.attrs, "groups") {
			j.groupPolicies[g] = append(j.groupPolicies[g], p)
		}
	}
	return j
}

func uniqueSorted(list []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// emailTag returns the lower-case e-mail of a user's email tag, or nil.
func emailTag(t map[string]any) any {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch strings.ToLower(k) {
		case "email", "mail", "e-mail":
			if s, _ := t[k].(string); strings.Contains(s, "@") {
				return strings.ToLower(strings.TrimSpace(s))
			}
		}
	}
	return nil
}

func listIAMUsers(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	j := newIAMJoins(states)
	const outside = "; changes made outside Terraform are not visible"
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_iam_user") {
		m := in.attrs
		name := text(m, "name")
		a := base(in)
		setRegionAccount(a, m, false)
		a["user_name"] = name
		a.str("user_id", m, "unique_id")
		a.str("path", m, "path")
		a.orUnknown("email", emailTag(a["tags"].(map[string]any)), "the user has no email tag with an e-mail address")
		a.unknown("created_at", "the state does not record when the user was created")
		a.unknown("password_last_used", "only AWS knows when a password was last used")
		a.unknown("mfa_enabled", "MFA devices are enrolled by the user, outside Terraform")
		if profile, ok := j.loginProfiles[name]; ok {
			a["console_access"] = true
			a.source("console_access", profile.address)
		} else {
			a["console_access"] = false
			a.source("console_access", "default: no aws_iam_user_login_profile for the user in the state"+outside)
		}
		keys := []any{}
		for _, k := range j.accessKeys[name] {
			keys = append(keys, map[string]any{"access_key_id": text(k.attrs, "id"), "status": text(k.attrs, "status"),
				"created_at": str(k.attrs, "create_date"), "last_used_at": nil})
		}
		sort.Slice(keys, func(x, y int) bool {
			return text(keys[x].(map[string]any), "access_key_id") < text(keys[y].(map[string]any), "access_key_id")
		})
		a["access_keys"] = keys
		a.source("access_keys", "aws_iam_access_key resources in the state"+outside)
		if len(keys) > 0 {
			a.unknown("access_keys.last_used_at", "only AWS knows when a key was last used")
		}
		groups := uniqueSorted(j.userGroups[name])
		policies := uniqueSorted(j.userPolicies[name])
		a["groups"] = groups
		a["attached_policy_arns"] = policies
		a["inline_policy_names"] = uniqueSorted(j.inline[name])
		admin := false
		for _, p := range policies {
			admin = admin || p == awstypes.AdministratorAccessARN
		}
		for _, g := range groups {
			for _, p := range j.groupPolicies[g] {
				admin = admin || p == awstypes.AdministratorAccessARN
			}
		}
		a["admin_policy_attached"] = admin
		for _, f := range []string{"groups", "attached_policy_arns", "inline_policy_names", "admin_policy_attached"} {
			a.source(f, "IAM membership, attachment and policy resources in the state"+outside)
		}
		a.str("permissions_boundary_arn", m, "permissions_boundary")
		if err := e.emit(in, externalID(in), name, a, j.used[name]...); err != nil {
			return err
		}
	}
	return nil
}
