package awstypes

import "github.com/assurehq/assure/internal/connector"

// AdministratorAccessARN is the AWS managed policy granting every action.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// IAMUser is aws.iam.user: an IAM user with its credentials and policies.
func IAMUser() Type {
	return Type{
		Name: "aws.iam.user",
		Description: "An IAM user: console access, MFA, access keys, and the policies that give it its permissions, " +
			"directly or through its groups.",
		Fields: fields(
			connector.Field{Name: "user_name", Type: "string", Description: "UserName."},
			connector.Field{Name: "user_id", Type: "string", Description: "UserId: the stable unique id (AIDA…)."},
			fieldARN,
			fieldAccountID,
			connector.Field{Name: "path", Type: "string", Description: "Path, / by default."},
			connector.Field{Name: "email", Type: "string", Description: "Lower-case e-mail address of the person, from the user's " +
				"email (or Email, mail) tag; IAM itself has no e-mail field. Null, with the reason, when no such tag is set."},
			connector.Field{Name: "created_at", Type: "time", Description: "CreateDate."},
			connector.Field{Name: "password_last_used", Type: "time", Description: "PasswordLastUsed: last console sign-in, null if never (with the reason in unknown)."},
			connector.Field{Name: "console_access", Type: "bool", Description: "The user has a console password (a login profile)."},
			connector.Field{Name: "mfa_enabled", Type: "bool", Description: "At least one MFA device is assigned (ListMFADevices)."},
			connector.Field{Name: "access_keys", Type: "list", Description: "Access keys (ListAccessKeys)."},
			connector.Field{Name: "access_keys.access_key_id", Type: "string", Description: "AccessKeyId (not secret; the secret is never collected)."},
			connector.Field{Name: "access_keys.status", Type: "string", Description: "Active or Inactive."},
			connector.Field{Name: "access_keys.created_at", Type: "time", Description: "CreateDate of the key."},
			connector.Field{Name: "access_keys.last_used_at", Type: "time", Description: "GetAccessKeyLastUsed LastUsedDate, null if never (with the reason in unknown)."},
			connector.Field{Name: "groups", Type: "list", Description: "Names of the groups the user belongs to."},
			connector.Field{Name: "attached_policy_arns", Type: "list", Description: "ARNs of the managed policies attached to the user directly."},
			connector.Field{Name: "inline_policy_names", Type: "list", Description: "Names of the user's inline policies."},
			connector.Field{Name: "admin_policy_attached", Type: "bool", Description: "AdministratorAccess is attached to the user or to one of its groups."},
			connector.Field{Name: "permissions_boundary_arn", Type: "string", Description: "PermissionsBoundary policy ARN, or empty."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
