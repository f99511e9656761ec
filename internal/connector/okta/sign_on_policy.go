package okta

import (
	"github.com/assurehq/assure/internal/connector"
)

func signOnPolicyType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.sign_on_policy",
		Description: "A global session policy (Okta sign-on policy, type OKTA_SIGN_ON): its rules decide whether signing in " +
			"to Okta is allowed, whether MFA is required and how long sessions last.",
		Fields: policyFields(
			connector.Field{Name: "mfa_required", Type: "bool", Description: "Derived: at least one active rule allows sign-in, and every active rule that allows it requires a factor (actions.signon.requireFactor)."},
			connector.Field{Name: "rules_without_mfa", Type: "list", Description: "Derived: names of the active rules that allow sign-in without requiring a factor."},
			connector.Field{Name: "rules.access", Type: "string", Description: "actions.signon.access: ALLOW or DENY."},
			connector.Field{Name: "rules.require_factor", Type: "bool", Description: "actions.signon.requireFactor: MFA is required (false when absent, Okta's default)."},
			connector.Field{Name: "rules.factor_prompt_mode", Type: "string", Description: "actions.signon.factorPromptMode: ALWAYS, DEVICE or SESSION; empty when MFA is not required."},
			connector.Field{Name: "rules.factor_lifetime_minutes", Type: "int", Description: "actions.signon.factorLifetime: minutes before MFA is asked again in SESSION mode; 0 when absent."},
			connector.Field{Name: "rules.primary_factor", Type: "string", Description: "actions.signon.primaryFactor (Identity Engine): PASSWORD_IDP or PASSWORD_IDP_ANY_FACTOR; empty when absent."},
			connector.Field{Name: "rules.remember_device_by_default", Type: "bool", Description: "actions.signon.rememberDeviceByDefault."},
			connector.Field{Name: "rules.max_session_idle_minutes", Type: "int", Description: "actions.signon.session.maxSessionIdleMinutes: idle minutes before the session ends; 0 when absent."},
			connector.Field{Name: "rules.max_session_lifetime_minutes", Type: "int", Description: "actions.signon.session.maxSessionLifetimeMinutes: session lifetime; 0 for no limit."},
			connector.Field{Name: "rules.use_persistent_cookie", Type: "bool", Description: "actions.signon.session.usePersistentCookie: the session survives closing the browser."},
		),
		List: connector.As(policyListing{policyType: "OKTA_SIGN_ON", fill: fillSignOnPolicy}.list),
	}
}

type signonAction struct {
	Access                  string `json:"access"`
	RequireFactor           bool   `json:"requireFactor"`
	FactorPromptMode        string `json:"factorPromptMode"`
	FactorLifetime          int    `json:"factorLifetime"`
	PrimaryFactor           string `json:"primaryFactor"`
	RememberDeviceByDefault bool   `json:"rememberDeviceByDefault"`
	Session                 struct {
		MaxSessionIdleMinutes     int  `json:"maxSessionIdleMinutes"`
		MaxSessionLifetimeMinutes int  `json:"maxSessionLifetimeMinutes"`
		UsePersistentCookie       bool `json:"usePersistentCookie"`
	} `json:"session"`
}

func fillSignOnPolicy(f *connector.Facts, p oktaPolicy, rules []oktaRule, rulesErr error) {
	if rulesErr != nil {
		rulesUnknown(f, rulesErr, "mfa_required", "rules_without_mfa")
		return
	}
	list := []any{}
	allowing, without := 0, []string{}
	for _, r := range rules {
		var act struct {
			Signon signonAction `json:"signon"`
		}
		if err := decodeActions(r, &act); err != nil {
			rulesUnknown(f, err, "mfa_required", "rules_without_mfa")
			return
		}
		s := act.Signon
		m := ruleBase(r)
		m["access"] = s.Access
		m["require_factor"] = s.RequireFactor
		m["factor_prompt_mode"] = s.FactorPromptMode
		m["factor_lifetime_minutes"] = s.FactorLifetime
		m["primary_factor"] = s.PrimaryFactor
		m["remember_device_by_default"] = s.RememberDeviceByDefault
		m["max_session_idle_minutes"] = s.Session.MaxSessionIdleMinutes
		m["max_session_lifetime_minutes"] = s.Session.MaxSessionLifetimeMinutes
		m["use_persistent_cookie"] = s.Session.UsePersistentCookie
		list = append(list, m)
		if r.Status == statusActive && s.Access == "ALLOW" {
			allowing++
			if !s.RequireFactor {
				without = append(without, r.Name)
			}
		}
	}
	f.Set("rules", list, "GET /api/v1/policies/{id}/rules")
	f.Set("mfa_required", allowing > 0 && len(without) == 0, "rules")
	f.Set("rules_without_mfa", without, "rules")
}
