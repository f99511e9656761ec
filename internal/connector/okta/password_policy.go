package okta

import (
	"encoding/json"

	"github.com/assurehq/assure/internal/connector"
)

func passwordPolicyType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.password_policy",
		Description: "A password policy (type PASSWORD): complexity, age and history, lockout, for the users of the groups " +
			"it applies to, with its rules (who may change, reset and unlock their password).",
		Fields: policyFields(
			connector.Field{Name: "auth_provider", Type: "string", Description: "conditions.authProvider.provider: whose passwords the policy governs, OKTA or ACTIVE_DIRECTORY; empty when not given."},
			connector.Field{Name: "min_length", Type: "int", Description: "settings.password.complexity.minLength: minimum password length."},
			connector.Field{Name: "min_lowercase", Type: "int", Description: "complexity.minLowerCase: 1 when a lower-case letter is required, 0 when not."},
			connector.Field{Name: "min_uppercase", Type: "int", Description: "complexity.minUpperCase: 1 when an upper-case letter is required."},
			connector.Field{Name: "min_number", Type: "int", Description: "complexity.minNumber: 1 when a digit is required."},
			connector.Field{Name: "min_symbol", Type: "int", Description: "complexity.minSymbol: 1 when a symbol is required."},
			connector.Field{Name: "exclude_username", Type: "bool", Description: "complexity.excludeUsername: the password may not contain the username."},
			connector.Field{Name: "exclude_attributes", Type: "list", Description: "complexity.excludeAttributes: profile attributes (firstName, lastName) the password may not contain."},
			connector.Field{Name: "common_password_check", Type: "bool", Description: "complexity.dictionary.common.exclude: passwords found in Okta's common-password dictionary are refused."},
			connector.Field{Name: "max_age_days", Type: "int", Description: "settings.password.age.maxAgeDays: days before a password expires; 0 for never."},
			connector.Field{Name: "password_expires", Type: "bool", Description: "Derived: max_age_days is more than 0."},
			connector.Field{Name: "expire_warn_days", Type: "int", Description: "age.expireWarnDays: days of warning before expiry; 0 for none."},
			connector.Field{Name: "min_age_minutes", Type: "int", Description: "age.minAgeMinutes: minimum minutes between password changes; 0 for none."},
			connector.Field{Name: "history_count", Type: "int", Description: "age.historyCount: how many previous passwords may not be reused; 0 for none."},
			connector.Field{Name: "lockout_max_attempts", Type: "int", Description: "settings.password.lockout.maxAttempts: failed sign-ins before the account locks; 0 for never."},
			connector.Field{Name: "lockout_enabled", Type: "bool", Description: "Derived: lockout_max_attempts is more than 0."},
			connector.Field{Name: "lockout_auto_unlock_minutes", Type: "int", Description: "lockout.autoUnlockMinutes: minutes before a locked account unlocks itself; 0 for never."},
			connector.Field{Name: "show_lockout_failures", Type: "bool", Description: "lockout.showLockoutFailures: the user is told the account is locked."},
			connector.Field{Name: "rules.password_change", Type: "string", Description: "actions.passwordChange.access: ALLOW or DENY a user changing the password; empty when absent."},
			connector.Field{Name: "rules.self_service_password_reset", Type: "string", Description: "actions.selfServicePasswordReset.access: ALLOW or DENY; empty when absent."},
			connector.Field{Name: "rules.self_service_unlock", Type: "string", Description: "actions.selfServiceUnlock.access: ALLOW or DENY; empty when absent."},
		),
		List: connector.As(policyListing{policyType: "PASSWORD", fill: fillPasswordPolicy}.list),
	}
}

type passwordComplexity struct {
	MinLength         *int     `json:"minLength"`
	MinLowerCase      *int     `json:"minLowerCase"`
	MinUpperCase      *int     `json:"minUpperCase"`
	MinNumber         *int     `json:"minNumber"`
	MinSymbol         *int     `json:"minSymbol"`
	ExcludeUsername   *bool    `json:"excludeUsername"`
	ExcludeAttributes []string `json:"excludeAttributes"`
	Dictionary        *struct {
		Common *struct {
			Exclude *bool `json:"exclude"`
		} `json:"common"`
	} `json:"dictionary"`
}

type passwordAge struct {
	MaxAgeDays     *int `json:"maxAgeDays"`
	ExpireWarnDays *int `json:"expireWarnDays"`
	MinAgeMinutes  *int `json:"minAgeMinutes"`
	HistoryCount   *int `json:"historyCount"`
}

type passwordLockout struct {
	MaxAttempts         *int  `json:"maxAttempts"`
	AutoUnlockMinutes   *int  `json:"autoUnlockMinutes"`
	ShowLockoutFailures *bool `json:"showLockoutFailures"`
}

type passwordSettings struct {
	Password *struct {
		Complexity *passwordComplexity `json:"complexity"`
		Age        *passwordAge        `json:"age"`
		Lockout    *passwordLockout    `json:"lockout"`
	} `json:"password"`
}

type accessAction struct {
	Access string `json:"access"`
}

func fillPasswordPolicy(f *connector.Facts, p oktaPolicy, rules []oktaRule, rulesErr error) {
	provider := ""
	if p.Conditions != nil && p.Conditions.AuthProvider != nil {
		provider = p.Conditions.AuthProvider.Provider
	}
	f.Set("auth_provider", provider, "")

	var s passwordSettings
	if len(p.Settings) > 0 {
		_ = json.Unmarshal(p.Settings, &s) // a shape not understood leaves the settings unknown
	}
	cpx, age, lock := &passwordComplexity{}, &passwordAge{}, &passwordLockout{}
	hasComplexity := false
	if pw := s.Password; pw != nil {
		if pw.Complexity != nil {
			cpx, hasComplexity = pw.Complexity, true
		}
		if pw.Age != nil {
			age = pw.Age
		}
		if pw.Lockout != nil {
			lock = pw.Lockout
		}
	}
	const c, a, l = "settings.password.complexity.", "settings.password.age.", "settings.password.lockout."
	setInt(f, "min_length", cpx.MinLength, c+"minLength")
	setInt(f, "min_lowercase", cpx.MinLowerCase, c+"minLowerCase")
	setInt(f, "min_uppercase", cpx.MinUpperCase, c+"minUpperCase")
	setInt(f, "min_number", cpx.MinNumber, c+"minNumber")
	setInt(f, "min_symbol", cpx.MinSymbol, c+"minSymbol")
	setBool(f, "exclude_username", cpx.ExcludeUsername, c+"excludeUsername")
	if hasComplexity {
		f.Set("exclude_attributes", strs(cpx.ExcludeAttributes), "")
	} else {
		f.Unknown("exclude_attributes", "the policy's settings do not carry "+c+"excludeAttributes")
	}
	switch {
	case cpx.Dictionary != nil && cpx.Dictionary.Common != nil && cpx.Dictionary.Common.Exclude != nil:
		f.Set("common_password_check", *cpx.Dictionary.Common.Exclude, "")
	case hasComplexity && cpx.Dictionary == nil:
		f.Set("common_password_check", false, "default: the complexity settings have no dictionary, and Okta's default is not to check")
	default:
		f.Unknown("common_password_check", "the policy's settings do not carry "+c+"dictionary.common.exclude")
	}
	setInt(f, "max_age_days", age.MaxAgeDays, a+"maxAgeDays")
	if age.MaxAgeDays != nil {
		f.Set("password_expires", *age.MaxAgeDays > 0, "max_age_days")
	} else {
		f.Unknown("password_expires", "the policy's settings do not carry "+a+"maxAgeDays")
	}
	setInt(f, "expire_warn_days", age.ExpireWarnDays, a+"expireWarnDays")
	setInt(f, "min_age_minutes", age.MinAgeMinutes, a+"minAgeMinutes")
	setInt(f, "history_count", age.HistoryCount, a+"historyCount")
	setInt(f, "lockout_max_attempts", lock.MaxAttempts, l+"maxAttempts")
	if lock.MaxAttempts != nil {
		f.Set("lockout_enabled", *lock.MaxAttempts > 0, "lockout_max_attempts")
	} else {
		f.Unknown("lockout_enabled", "the policy's settings do not carry "+l+"maxAttempts")
	}
	setInt(f, "lockout_auto_unlock_minutes", lock.AutoUnlockMinutes, l+"autoUnlockMinutes")
	setBool(f, "show_lockout_failures", lock.ShowLockoutFailures, l+"showLockoutFailures")

	if rulesErr != nil {
		rulesUnknown(f, rulesErr)
		return
	}
	list := []any{}
	for _, r := range rules {
		var act struct {
			PasswordChange           *accessAction `json:"passwordChange"`
			SelfServicePasswordReset *accessAction `json:"selfServicePasswordReset"`
			SelfServiceUnlock        *accessAction `json:"selfServiceUnlock"`
		}
		if err := decodeActions(r, &act); err != nil {
			rulesUnknown(f, err)
			return
		}
		m := ruleBase(r)
		m["password_change"] = access(act.PasswordChange)
		m["self_service_password_reset"] = access(act.SelfServicePasswordReset)
		m["self_service_unlock"] = access(act.SelfServiceUnlock)
		list = append(list, m)
	}
	f.Set("rules", list, "GET /api/v1/policies/{id}/rules")
}

func access(a *accessAction) string {
	if a == nil {
		return ""
	}
	return a.Access
}
