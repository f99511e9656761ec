package okta

import (
	"github.com/assurehq/assure/internal/connector"
)

func authenticationPolicyType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.authentication_policy",
		Description: "An authentication policy (app sign-in policy, type ACCESS_POLICY; Identity Engine orgs only): its " +
			"rules decide, per app, whether access is allowed and with how many and which kinds of factors. " +
			"A Classic Engine org has none.",
		Fields: policyFields(
			connector.Field{Name: "mfa_required", Type: "bool", Description: "Derived: at least one active rule allows access, and every active rule that allows it requires two factors (factorMode 2FA)."},
			connector.Field{Name: "rules_without_mfa", Type: "list", Description: "Derived: names of the active rules that allow access with one factor."},
			connector.Field{Name: "phishing_resistant_required", Type: "bool", Description: "Derived: at least one active rule allows access, and every active rule that allows it requires a phishing-resistant possession factor."},
			connector.Field{Name: "rules.access", Type: "string", Description: "actions.appSignOn.access: ALLOW or DENY."},
			connector.Field{Name: "rules.factor_mode", Type: "string", Description: "actions.appSignOn.verificationMethod.factorMode: 1FA or 2FA; empty when absent."},
			connector.Field{Name: "rules.verification_type", Type: "string", Description: "verificationMethod.type: ASSURANCE; empty when absent."},
			connector.Field{Name: "rules.reauthenticate_in", Type: "string", Description: "verificationMethod.reauthenticateIn: ISO 8601 duration after which the user signs in again (PT2H); empty when absent."},
			connector.Field{Name: "rules.inactivity_period", Type: "string", Description: "verificationMethod.inactivityPeriod: ISO 8601 idle duration; empty when absent."},
			connector.Field{Name: "rules.phishing_resistant", Type: "bool", Description: "Derived: the rule has constraints, and every one requires a phishing-resistant possession factor (possession.phishingResistant REQUIRED)."},
		),
		List: connector.As(policyListing{policyType: "ACCESS_POLICY", optional: true, fill: fillAuthenticationPolicy}.list),
	}
}

func fillAuthenticationPolicy(f *connector.Facts, p oktaPolicy, rules []oktaRule, rulesErr error) {
	derived := []string{"mfa_required", "rules_without_mfa", "phishing_resistant_required"}
	if rulesErr != nil {
		rulesUnknown(f, rulesErr, derived...)
		return
	}
	list := []any{}
	allowing, without, strongAll := 0, []string{}, true
	for _, r := range rules {
		var act struct {
			AppSignOn struct {
				Access             string `json:"access"`
				VerificationMethod struct {
					FactorMode       string `json:"factorMode"`
					Type             string `json:"type"`
					ReauthenticateIn string `json:"reauthenticateIn"`
					InactivityPeriod string `json:"inactivityPeriod"`
					Constraints      []struct {
						Possession *struct {
							PhishingResistant string `json:"phishingResistant"`
						} `json:"possession"`
					} `json:"constraints"`
				} `json:"verificationMethod"`
			} `json:"appSignOn"`
		}
		if err := decodeActions(r, &act); err != nil {
			rulesUnknown(f, err, derived...)
			return
		}
		a, vm := act.AppSignOn, act.AppSignOn.VerificationMethod
		strong := len(vm.Constraints) > 0
		for _, c := range vm.Constraints {
			strong = strong && c.Possession != nil && c.Possession.PhishingResistant == "REQUIRED"
		}
		m := ruleBase(r)
		m["access"] = a.Access
		m["factor_mode"] = vm.FactorMode
		m["verification_type"] = vm.Type
		m["reauthenticate_in"] = vm.ReauthenticateIn
		m["inactivity_period"] = vm.InactivityPeriod
		m["phishing_resistant"] = strong
		list = append(list, m)
		if r.Status == statusActive && a.Access == "ALLOW" {
			allowing++
			if vm.FactorMode != "2FA" {
				without = append(without, r.Name)
			}
			strongAll = strongAll && strong
		}
	}
	f.Set("rules", list, "GET /api/v1/policies/{id}/rules")
	f.Set("mfa_required", allowing > 0 && len(without) == 0, "rules")
	f.Set("rules_without_mfa", without, "rules")
	f.Set("phishing_resistant_required", allowing > 0 && strongAll, "rules")
}
