package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assurehq/assure/internal/connector"
)

// authDetails is what GetAccountAuthorizationDetails says about users,
// groups and customer managed policies: memberships, attachments, inline
// policies with their documents, tags. Read once per run.
type authDetails struct {
	users    map[string]*userDetail
	groups   map[string]*groupDetail
	policies map[string]string // customer managed policy ARN → its default version's document
}

type userDetail struct {
	groups   []string
	attached []iamtypes.AttachedPolicy
	inline   []iamtypes.PolicyDetail
	boundary string
	tags     map[string]any
}

type groupDetail struct {
	attached []iamtypes.AttachedPolicy
	inline   []iamtypes.PolicyDetail
}

// authDetails reads the account's authorization details once per run. Its
// error is already explained.
func (c *conn) authDetails(ctx context.Context) *onceResult[*authDetails] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.details != nil {
		return c.details
	}
	r := &onceResult[*authDetails]{}
	tctx, calls := connector.Track(ctx)
	d := &authDetails{users: map[string]*userDetail{}, groups: map[string]*groupDetail{}, policies: map[string]string{}}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c.iamClient(), &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup, iamtypes.EntityTypeLocalManagedPolicy},
	}, func(o *iam.GetAccountAuthorizationDetailsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for n := 0; p.HasMorePages(); n++ {
		if n >= maxPages {
			r.err = errTooManyPages("iam:GetAccountAuthorizationDetails")
			break
		}
		page, err := p.NextPage(tctx)
		if err != nil {
			r.err = errors.New(explain(err, Global))
			break
		}
		for _, u := range page.UserDetailList {
			ud := &userDetail{groups: u.GroupList, attached: u.AttachedManagedPolicies, inline: u.UserPolicyList,
				tags: tagMap(u.Tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })}
			if u.PermissionsBoundary != nil {
				ud.boundary = str(u.PermissionsBoundary.PermissionsBoundaryArn)
			}
			d.users[str(u.UserName)] = ud
		}
		for _, g := range page.GroupDetailList {
			d.groups[str(g.GroupName)] = &groupDetail{attached: g.AttachedManagedPolicies, inline: g.GroupPolicyList}
		}
		for _, pol := range page.Policies {
			for _, v := range pol.PolicyVersionList {
				if v.IsDefaultVersion {
					d.policies[str(pol.Arn)] = str(v.Document)
				}
			}
		}
	}
	r.refs = calls.Refs()
	if r.err == nil {
		r.val = d
	}
	c.details = r
	return r
}

// isAdministratorAccess recognizes the AWS managed AdministratorAccess
// policy in any partition.
func isAdministratorAccess(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws") && strings.HasSuffix(arn, ":iam::aws:policy/AdministratorAccess")
}

// allowsEverything reports whether a policy document (URL-encoded JSON, as
// IAM returns it) has a statement that allows every action on every
// resource: Effect Allow, Action "*" (alone or in a list), Resource "*".
func allowsEverything(doc string) (bool, error) {
	if dec, err := url.PathUnescape(doc); err == nil {
		doc = dec
	}
	var policy struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return false, fmt.Errorf("the policy document is not JSON: %w", err)
	}
	var statements []map[string]json.RawMessage
	if err := json.Unmarshal(policy.Statement, &statements); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(policy.Statement, &one); err != nil {
			return false, errors.New("the policy document's Statement is neither an object nor a list")
		}
		statements = []map[string]json.RawMessage{one}
	}
	for _, s := range statements {
		var effect string
		_ = json.Unmarshal(s["Effect"], &effect)
		if effect == "Allow" && hasStar(s["Action"]) && hasStar(s["Resource"]) {
			return true, nil
		}
	}
	return false, nil
}

func hasStar(raw json.RawMessage) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == "*"
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		for _, v := range list {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// adminGrants lists why a user is an administrator: every attached or
// inline policy, of the user or one of its groups, that is
// AdministratorAccess or allows *:*.
func (d *authDetails) adminGrants(u *userDetail) []string {
	var why []string
	check := func(attached []iamtypes.AttachedPolicy, inline []iamtypes.PolicyDetail, via string) {
		for _, p := range attached {
			arn := str(p.PolicyArn)
			if isAdministratorAccess(arn) {
				why = append(why, arn+" attached "+via)
			} else if doc, ok := d.policies[arn]; ok {
				if yes, _ := allowsEverything(doc); yes {
					why = append(why, arn+" (allows * on *) attached "+via)
				}
			}
		}
		for _, p := range inline {
			if yes, _ := allowsEverything(str(p.PolicyDocument)); yes {
				why = append(why, "inline policy "+str(p.PolicyName)+" (allows * on *) "+via)
			}
		}
	}
	check(u.attached, u.inline, "to the user")
	for _, g := range u.groups {
		if gd := d.groups[g]; gd != nil {
			check(gd.attached, gd.inline, "via group "+g)
		}
	}
	sort.Strings(why)
	return why
}

func listUsers(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		details := c.authDetails(ctx)
		client := c.iamClient()
		p := iam.NewListUsersPaginator(client, &iam.ListUsersInput{}, func(o *iam.ListUsersPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("iam:ListUsers")
			}
			pctx, pageCalls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, u := range page.Users {
				uctx, calls := connector.Track(ctx)
				a := c.userAttrs(uctx, client, id, u, details)
				refs := joinRefs(pageCalls.Refs(), calls.Refs())
				if details.err == nil {
					refs = joinRefs(refs, details.refs)
				}
				if err := emit(ctx, out, connector.Resource{ExternalID: str(u.Arn), Name: str(u.UserName), Scope: Global,
					Attributes: a.done(), Calls: refs}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// userAttrs reads one user's console access, MFA devices and access keys,
// and joins what the authorization details say.
func (c *conn) userAttrs(ctx context.Context, client *iam.Client, id *identity, u iamtypes.User, details *onceResult[*authDetails]) *attrs {
	name := str(u.UserName)
	a := newAttrs(id.Account)
	a.set("user_name", name).set("user_id", str(u.UserId)).set("arn", str(u.Arn)).set("path", str(u.Path))
	a.set("created_at", stamp(u.CreateDate))
	if u.PasswordLastUsed == nil {
		a.unknownf("password_last_used", "no PasswordLastUsed: the user has no password, or never signed in with it (since October 2014)")
	} else {
		a.set("password_last_used", stamp(u.PasswordLastUsed))
	}

	switch _, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u.UserName}); {
	case err == nil:
		a.set("console_access", true)
	case errorCode(err) == "NoSuchEntity":
		a.set("console_access", false)
		a.source("console_access", "GetLoginProfile answered NoSuchEntity: the user has no console password")
	default:
		a.unknownf("console_access", explain(err, Global))
	}

	var devices []string
	mfa := iam.NewListMFADevicesPaginator(client, &iam.ListMFADevicesInput{UserName: u.UserName},
		func(o *iam.ListMFADevicesPaginatorOptions) { o.StopOnDuplicateToken = true })
	var mfaErr error
	for n := 0; mfa.HasMorePages(); n++ {
		if n >= maxPages {
			mfaErr = errTooManyPages("iam:ListMFADevices")
			break
		}
		page, err := mfa.NextPage(ctx)
		if err != nil {
			mfaErr = err
			break
		}
		for _, d := range page.MFADevices {
			devices = append(devices, str(d.SerialNumber))
		}
	}
	if mfaErr != nil {
		a.unknownf("mfa_enabled", explain(mfaErr, Global))
	} else {
		a.set("mfa_enabled", len(devices) > 0)
		if len(devices) > 0 {
			a.source("mfa_enabled", "ListMFADevices: "+strings.Join(sorted(devices), ", "))
		}
	}

	c.accessKeys(ctx, client, a, u.UserName)

	if details.err != nil {
		for _, f := range []string{"email", "groups", "attached_policy_arns", "inline_policy_names", "admin_policy_attached",
			"permissions_boundary_arn", "tags"} {
			a.unknownf(f, "GetAccountAuthorizationDetails failed: "+details.err.Error())
		}
		return a
	}
	ud := details.val.users[name]
	if ud == nil {
		for _, f := range []string{"email", "groups", "attached_policy_arns", "inline_policy_names", "admin_policy_attached",
			"permissions_boundary_arn", "tags"} {
			a.unknownf(f, "the user is not in GetAccountAuthorizationDetails (created during the collection?)")
		}
		return a
	}
	if e := emailTag(ud.tags); e != nil {
		a.set("email", e)
	} else {
		a.unknownf("email", "the user has no email tag with an e-mail address")
	}
	a.set("tags", ud.tags)
	a.set("groups", sorted(ud.groups))
	var arns, inline []string
	for _, p := range ud.attached {
		arns = append(arns, str(p.PolicyArn))
	}
	for _, p := range ud.inline {
		inline = append(inline, str(p.PolicyName))
	}
	a.set("attached_policy_arns", sorted(arns))
	a.set("inline_policy_names", sorted(inline))
	a.set("permissions_boundary_arn", ud.boundary)
	grants := details.val.adminGrants(ud)
	a.set("admin_policy_attached", len(grants) > 0)
	if len(grants) > 0 {
		a.source("admin_policy_attached", strings.Join(grants, "; "))
	} else {
		a.source("admin_policy_attached", "GetAccountAuthorizationDetails: neither AdministratorAccess nor a customer managed or inline "+
			"policy allowing * on * is attached to the user or its groups (other AWS managed policies are judged by name only)")
	}
	return a
}

// accessKeys sets access_keys: each key with its status, creation and last
// use (GetAccessKeyLastUsed).
func (c *conn) accessKeys(ctx context.Context, client *iam.Client, a *attrs, user *string) {
	keys := []any{}
	p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: user},
		func(o *iam.ListAccessKeysPaginatorOptions) { o.StopOnDuplicateToken = true })
	var metas []iamtypes.AccessKeyMetadata
	for n := 0; p.HasMorePages(); n++ {
		if n >= maxPages {
			a.unknownf("access_keys", errTooManyPages("iam:ListAccessKeys").Error())
			return
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			a.unknownf("access_keys", explain(err, Global))
			return
		}
		metas = append(metas, page.AccessKeyMetadata...)
	}
	sort.Slice(metas, func(i, j int) bool { return str(metas[i].AccessKeyId) < str(metas[j].AccessKeyId) })
	var never, failed []string
	for _, k := range metas {
		key := map[string]any{"access_key_id": str(k.AccessKeyId), "status": string(k.Status), "created_at": stamp(k.CreateDate),
			"last_used_at": nil}
		used, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
		switch {
		case err != nil:
			failed = append(failed, str(k.AccessKeyId)+": "+explain(err, Global))
		case used.AccessKeyLastUsed == nil || used.AccessKeyLastUsed.LastUsedDate == nil:
			never = append(never, str(k.AccessKeyId))
		default:
			key["last_used_at"] = stamp(used.AccessKeyLastUsed.LastUsedDate)
		}
		keys = append(keys, key)
	}
	a.set("access_keys", keys)
	var why []string
	if len(never) > 0 {
		why = append(why, "never used (GetAccessKeyLastUsed has no LastUsedDate): "+strings.Join(never, ", "))
	}
	if len(failed) > 0 {
		why = append(why, "last use not readable: "+strings.Join(failed, "; "))
	}
	if len(why) > 0 {
		a.reason("access_keys.last_used_at", strings.Join(why, "; "))
	}
}
