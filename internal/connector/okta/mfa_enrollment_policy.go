package okta

import (
	"encoding/json"
	"sort"

	"github.com/assurehq/assure/internal/connector"
)

func mfaEnrollmentPolicyType() connector.ResourceType {
	return connector.ResourceType{
		Name: "okta.mfa_enrollment_policy",
		Description: "An MFA enrollment policy (authenticator enrollment policy on Identity Engine, type MFA_ENROLL): " +
			"which factors or authenticators the users it applies to must, may or may not enroll, and when.",
		Fields: policyFields(
			connector.Field{Name: "settings_type", Type: "string", Description: "settings.type: FACTORS (Classic Engine factor keys) or AUTHENTICATORS (Identity Engine authenticator keys)."},
			connector.Field{Name: "enrollment", Type: "list", Description: "Each enabled factor or authenticator and its enrollment requirement, sorted by key."},
			connector.Field{Name: "enrollment.key", Type: "string", Description: "Factor key (okta_otp, okta_push, okta_sms, fido_webauthn, google_otp, …) or authenticator key (okta_verify, phone_number, webauthn, security_question, …)."},
			connector.Field{Name: "enrollment.enroll", Type: "string", Description: "enroll.self: REQUIRED, OPTIONAL or NOT_ALLOWED."},
			connector.Field{Name: "required_enrollment", Type: "list", Description: "Derived: the keys whose enrollment is REQUIRED, sorted."},
			connector.Field{Name: "phishing_resistant_required", Type: "bool", Description: "Derived: enrolling a FIDO factor (fido_webauthn, fido_u2f) or the webauthn authenticator is REQUIRED."},
			connector.Field{Name: "rules.enroll", Type: "string", Description: "actions.enroll.self: when users enroll, LOGIN (at their next sign-in), CHALLENGE (when first challenged) or NEVER."},
		),
		List: connector.As(policyListing{policyType: "MFA_ENROLL", fill: fillMFAEnrollmentPolicy}.list),
	}
}

type enrollRequirement struct {
	Enroll *struct {
		Self string `json:"self"`
	} `json:"enroll"`
}

var phishingResistantKeys = map[string]bool{"fido_webauthn": true, "fido_u2f": true, "webauthn": true}

func fillMFAEnrollmentPolicy(f *connector.Facts, p oktaPolicy, rules []oktaRule, rulesErr error) {
	var s struct {
		Type           string                       `json:"type"`
		Factors        map[string]enrollRequirement `json:"factors"`
		Authenticators []struct {
			Key string `json:"key"`
			enrollRequirement
		} `json:"authenticators"`
	}
	settingsKnown := len(p.Settings) > 0 && json.Unmarshal(p.Settings, &s) == nil
	if !settingsKnown {
		why := "the policy carries no settings Assure can read"
		for _, field := range []string{"settings_type", "enrollment", "required_enrollment", "phishing_resistant_required"} {
			f.Unknown(field, why)
		}
	} else {
		type entry struct{ key, enroll string }
		var entries []entry
		self := func(r enrollRequirement) string {
			if r.Enroll == nil || r.Enroll.Self == "" {
				return "NOT_ALLOWED" // Okta's documented default
			}
			return r.Enroll.Self
		}
		for key, r := range s.Factors {
			entries = append(entries, entry{key, self(r)})
		}
		for _, a := range s.Authenticators {
			entries = append(entries, entry{a.Key, self(a.enrollRequirement)})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		list, required, strong := []any{}, []string{}, false
		for _, e := range entries {
			list = append(list, map[string]any{"key": e.key, "enroll": e.enroll})
			if e.enroll == "REQUIRED" {
				required = append(required, e.key)
				strong = strong || phishingResistantKeys[e.key]
			}
		}
		switch {
		case s.Type != "":
			f.Set("settings_type", s.Type, "")
		case len(s.Authenticators) > 0:
			f.Set("settings_type", "AUTHENTICATORS", "settings.authenticators")
		default:
			f.Set("settings_type", "FACTORS", "default: settings.type absent, Okta's default is FACTORS")
		}
		f.Set("enrollment", list, "settings")
		f.Set("required_enrollment", required, "settings")
		f.Set("phishing_resistant_required", strong, "settings")
	}
	if rulesErr != nil {
		rulesUnknown(f, rulesErr)
		return
	}
	list := []any{}
	for _, r := range rules {
		var act struct {
			Enroll struct {
				Self string `json:"self"`
			} `json:"enroll"`
		}
		if err := decodeActions(r, &act); err != nil {
			rulesUnknown(f, err)
			return
		}
		m := ruleBase(r)
		m["enroll"] = act.Enroll.Self
		list = append(list, m)
	}
	f.Set("rules", list, "GET /api/v1/policies/{id}/rules")
}
