package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// defaultPolicy explains the values of an account without a custom
// password policy.
const defaultPolicy = "default: the account has no custom password policy (GetAccountPasswordPolicy answered NoSuchEntity), " +
	"so AWS's default applies: at least 8 characters from 3 of 4 character types, no expiry, no reuse prevention"

func listPasswordPolicy(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		tctx, calls := connector.Track(ctx)
		res, err := c.iamClient().GetAccountPasswordPolicy(tctx, &iam.GetAccountPasswordPolicyInput{})
		a := newAttrs(id.Account)
		switch {
		case err != nil && errorCode(err) == "NoSuchEntity":
			a.set("custom_policy", false)
			for k, v := range map[string]any{"minimum_password_length": int64(8), "require_symbols": false, "require_numbers": false,
				"require_uppercase_characters": false, "require_lowercase_characters": false, "allow_users_to_change_password": false,
				"expire_passwords": false, "max_password_age": int64(0), "password_reuse_prevention": int64(0), "hard_expiry": false} {
				a.set(k, v)
				a.source(k, defaultPolicy)
			}
		case err != nil:
			return err
		default:
			p := res.PasswordPolicy
			a.set("custom_policy", true)
			a.set("minimum_password_length", num(p.MinimumPasswordLength))
			a.set("require_symbols", p.RequireSymbols)
			a.set("require_numbers", p.RequireNumbers)
			a.set("require_uppercase_characters", p.RequireUppercaseCharacters)
			a.set("require_lowercase_characters", p.RequireLowercaseCharacters)
			a.set("allow_users_to_change_password", p.AllowUsersToChangePassword)
			a.set("expire_passwords", p.ExpirePasswords)
			a.set("max_password_age", num(p.MaxPasswordAge))
			a.set("password_reuse_prevention", num(p.PasswordReusePrevention))
			a.set("hard_expiry", boolOf(p.HardExpiry))
		}
		return emit(ctx, out, connector.Resource{ExternalID: awstypes.PasswordPolicyID(id.Account), Name: "IAM password policy",
			Scope: Global, Attributes: a.done(), Calls: calls.Refs()})
	})
}

func listAccountSummary(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		tctx, calls := connector.Track(ctx)
		res, err := c.iamClient().GetAccountSummary(tctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			return err
		}
		a := newAttrs(id.Account)
		for field, key := range map[string]string{"root_mfa_enabled": "AccountMFAEnabled", "root_access_keys_present": "AccountAccessKeysPresent",
			"root_signing_certificates_present": "AccountSigningCertificatesPresent"} {
			if v, ok := res.SummaryMap[key]; ok {
				a.set(field, v == 1)
			} else {
				a.unknownf(field, "GetAccountSummary's SummaryMap has no "+key)
			}
		}
		for field, key := range map[string]string{"users": "Users", "groups": "Groups", "roles": "Roles", "policies": "Policies",
			"mfa_devices": "MFADevices", "mfa_devices_in_use": "MFADevicesInUse"} {
			if v, ok := res.SummaryMap[key]; ok {
				a.set(field, int64(v))
			} else {
				a.unknownf(field, "GetAccountSummary's SummaryMap has no "+key)
			}
		}
		return emit(ctx, out, connector.Resource{ExternalID: awstypes.AccountSummaryID(id.Account), Name: "IAM account summary",
			Scope: Global, Attributes: a.done(), Calls: calls.Refs()})
	})
}
