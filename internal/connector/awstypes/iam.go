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
			connector.Field{Name: "admin_policy_attached", Type: "bool", Description: "An administrator policy is attached to the user or to one of its groups: " +
				"AdministratorAccess, or (aws connector) a managed or inline policy with a statement allowing every action (\"*\") on every resource (\"*\")."},
			connector.Field{Name: "permissions_boundary_arn", Type: "string", Description: "PermissionsBoundary policy ARN, or empty."},
			fieldTags,
			fieldTFAddress,
		),
	}
}

// IAMPasswordPolicy is aws.iam.password_policy: the account's password
// policy for IAM users (GetAccountPasswordPolicy).
func IAMPasswordPolicy() Type {
	return Type{
		Name: "aws.iam.password_policy",
		Description: "The password policy IAM users' console passwords must meet. Without a custom policy AWS's default " +
			"applies (at least 8 characters, 3 of 4 character types, no expiry, no reuse prevention).",
		Fields: fields(
			fieldAccountID,
			connector.Field{Name: "custom_policy", Type: "bool", Description: "A custom password policy is set; false means AWS's default policy applies " +
				"(GetAccountPasswordPolicy answers NoSuchEntity) and the fields below describe that default."},
			connector.Field{Name: "minimum_password_length", Type: "int", Description: "MinimumPasswordLength (the default policy: 8)."},
			connector.Field{Name: "require_symbols", Type: "bool", Description: "RequireSymbols: at least one non-alphanumeric character."},
			connector.Field{Name: "require_numbers", Type: "bool", Description: "RequireNumbers: at least one digit."},
			connector.Field{Name: "require_uppercase_characters", Type: "bool", Description: "RequireUppercaseCharacters: at least one letter A–Z."},
			connector.Field{Name: "require_lowercase_characters", Type: "bool", Description: "RequireLowercaseCharacters: at least one letter a–z."},
			connector.Field{Name: "allow_users_to_change_password", Type: "bool", Description: "AllowUsersToChangePassword: users may change their own password."},
			connector.Field{Name: "expire_passwords", Type: "bool", Description: "ExpirePasswords: passwords expire (MaxPasswordAge is set)."},
			connector.Field{Name: "max_password_age", Type: "int", Description: "MaxPasswordAge in days; 0 means passwords never expire."},
			connector.Field{Name: "password_reuse_prevention", Type: "int", Description: "PasswordReusePrevention: how many previous passwords cannot be reused; 0 means none."},
			connector.Field{Name: "hard_expiry", Type: "bool", Description: "HardExpiry: a user whose password expired cannot set a new one; an administrator must."},
			fieldTFAddress,
		),
	}
}

// PasswordPolicyID is the external id of an account's password policy (it
// has no ARN).
func PasswordPolicyID(accountID string) string { return "aws:" + accountID + ":iam-password-policy" }

// IAMAccountSummary is aws.iam.account_summary: the account-wide IAM
// counters (GetAccountSummary), including the root user's MFA and keys.
func IAMAccountSummary() Type {
	return Type{
		Name: "aws.iam.account_summary",
		Description: "Account-wide IAM facts from GetAccountSummary: whether the root user has MFA, access keys or signing " +
			"certificates, and how many users, groups, roles, policies and MFA devices the account has.",
		Fields: fields(
			fieldAccountID,
			connector.Field{Name: "root_mfa_enabled", Type: "bool", Description: "AccountMFAEnabled: the root user has an MFA device."},
			connector.Field{Name: "root_access_keys_present", Type: "bool", Description: "AccountAccessKeysPresent: the root user has access keys (it should have none)."},
			connector.Field{Name: "root_signing_certificates_present", Type: "bool", Description: "AccountSigningCertificatesPresent: the root user has X.509 signing certificates."},
			connector.Field{Name: "users", Type: "int", Description: "Users: number of IAM users."},
			connector.Field{Name: "groups", Type: "int", Description: "Groups: number of IAM groups."},
			connector.Field{Name: "roles", Type: "int", Description: "Roles: number of IAM roles."},
			connector.Field{Name: "policies", Type: "int", Description: "Policies: number of customer managed policies."},
			connector.Field{Name: "mfa_devices", Type: "int", Description: "MFADevices: MFA devices in the account, assigned or not."},
			connector.Field{Name: "mfa_devices_in_use", Type: "int", Description: "MFADevicesInUse: MFA devices assigned to a user."},
			fieldTFAddress,
		),
	}
}

// AccountSummaryID is the external id of an account's IAM summary.
func AccountSummaryID(accountID string) string { return "aws:" + accountID + ":iam-account-summary" }

// IAMCredentialReport is aws.iam.credential_report: one row of the IAM
// credential report (GenerateCredentialReport, GetCredentialReport), for an
// IAM user or for the root user. The fields are the report's columns.
func IAMCredentialReport() Type {
	key := func(n string) []connector.Field {
		p := "access_key_" + n + "_"
		return fields(
			connector.Field{Name: p + "active", Type: "bool", Description: "Access key " + n + " exists and is Active."},
			connector.Field{Name: p + "last_rotated", Type: "time", Description: "When access key " + n + " was created or last rotated; null (with the reason) when the user has no such key."},
			connector.Field{Name: p + "last_used_date", Type: "time", Description: "When access key " + n + " last signed a request; null (with the reason) when never used or there is no such key."},
			connector.Field{Name: p + "last_used_region", Type: "string", Description: "Region of that last use, or empty."},
			connector.Field{Name: p + "last_used_service", Type: "string", Description: "Service namespace (s3, ec2, …) of that last use, or empty."},
		)
	}
	fs := fields(
		connector.Field{Name: "user", Type: "string", Description: "The user's name; <root_account> for the root user."},
		fieldARN,
		fieldAccountID,
		connector.Field{Name: "is_root", Type: "bool", Description: "The row is the account's root user."},
		connector.Field{Name: "email", Type: "string", Description: "Lower-case e-mail address from the IAM user's email tag (as aws.iam.user); " +
			"null, with the reason, for the root user and for users without such a tag."},
		connector.Field{Name: "user_creation_time", Type: "time", Description: "user_creation_time."},
		connector.Field{Name: "password_enabled", Type: "bool", Description: "password_enabled: the user has a console password. " +
			"The report says not_supported for the root user: null with the reason."},
		connector.Field{Name: "password_last_used", Type: "time", Description: "password_last_used: last console sign-in; null (with the reason) when never used or no password."},
		connector.Field{Name: "password_last_changed", Type: "time", Description: "password_last_changed; null (with the reason) when the user has no password."},
		connector.Field{Name: "password_next_rotation", Type: "time", Description: "password_next_rotation, when the password policy expires passwords; null (with the reason) otherwise."},
		connector.Field{Name: "mfa_active", Type: "bool", Description: "mfa_active: an MFA device is enabled for the user."},
	)
	fs = append(fs, key("1")...)
	fs = append(fs, key("2")...)
	fs = append(fs,
		connector.Field{Name: "cert_1_active", Type: "bool", Description: "Signing certificate 1 exists and is Active."},
		connector.Field{Name: "cert_1_last_rotated", Type: "time", Description: "When signing certificate 1 was created or last changed; null (with the reason) when there is none."},
		connector.Field{Name: "cert_2_active", Type: "bool", Description: "Signing certificate 2 exists and is Active."},
		connector.Field{Name: "cert_2_last_rotated", Type: "time", Description: "When signing certificate 2 was created or last changed; null (with the reason) when there is none."},
		fieldTFAddress,
	)
	return Type{
		Name: "aws.iam.credential_report",
		Description: "One row of the IAM credential report: an IAM user or the root user, with password, MFA, access key " +
			"and signing certificate status as the report states them (the report is at most 4 hours old).",
		Fields: fs,
	}
}
