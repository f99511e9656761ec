package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/assurehq/assure/internal/connector"
)

// oktaFactor is an enrolled factor (GET /api/v1/users/{id}/factors). Its
// profile (phone number, e-mail address, credential id) is not read.
type oktaFactor struct {
	ID         string  `json:"id"`
	FactorType string  `json:"factorType"`
	Provider   string  `json:"provider"`
	VendorName string  `json:"vendorName"`
	Status     string  `json:"status"`
	Created    *string `json:"created"`
}

const factorActive = "ACTIVE"

// phishingResistant are the factor types bound to the site they sign in
// to (FIDO2 WebAuthn and FIDO U2F security keys and platform
// authenticators).
var phishingResistant = map[string]bool{"webauthn": true, "u2f": true}

// factors reads one user's enrolled factors.
func (c *client) factors(ctx context.Context, userID string) ([]oktaFactor, error) {
	var fs []oktaFactor
	err := c.getJSON(ctx, c.base+"/api/v1/users/"+url.PathEscape(userID)+"/factors", "read a user's factors", &fs)
	return fs, err
}

var factorFields = []string{"factors", "factor_types", "mfa_enrolled", "phishing_resistant_enrolled"}

// factorFacts sets the factor fields of a user from its lookup (nil when
// it was not made) and returns that lookup.
func factorFacts(f *connector.Facts, u oktaUser, r *result[[]oktaFactor], stop error, capped int) *result[[]oktaFactor] {
	unknown := func(why string) {
		for _, field := range factorFields {
			f.Unknown(field, why)
		}
	}
	switch {
	case u.Status == statusDeprovisioned:
		unknown("not read for deactivated users, who cannot sign in (one API call per user saved)")
		return nil
	case r == nil && stop != nil:
		unknown(fmt.Sprintf("not read: reading users' factors stopped: %v", stop))
		return nil
	case r == nil && capped > 0:
		unknown("not read: the org has more users than max_user_lookups")
		return nil
	case r == nil:
		unknown("not read: the run ended before this user's factors were read")
		return nil
	case r.err != nil:
		unknown(fmt.Sprintf("Okta did not find the user when reading its factors (deleted during the run?): %v", r.err))
		return r
	}
	const src = "GET /api/v1/users/{id}/factors"
	list := []any{}
	var active []string
	mfa, strong := false, false
	for _, fa := range r.v {
		created, err := oktaTime(fa.Created)
		if err != nil {
			created = ""
		}
		list = append(list, map[string]any{"id": fa.ID, "factor_type": fa.FactorType, "provider": fa.Provider,
			"vendor_name": fa.VendorName, "status": fa.Status, "created": created})
		if fa.Status != factorActive {
			continue
		}
		active = append(active, fa.FactorType)
		mfa = mfa || fa.FactorType != "question"
		strong = strong || phishingResistant[fa.FactorType]
	}
	f.Set("factors", list, src)
	f.Set("factor_types", sortedSet(active), src)
	f.Set("mfa_enrolled", mfa, src)
	f.Set("phishing_resistant_enrolled", strong, src)
	return r
}

// withoutActivation is the body filter of factor listings: Okta embeds in
// a factor pending activation its activation secret (a TOTP shared secret
// under _embedded.activation) and activation links (a QR code URL holding
// an activation token under _links). The stored body leaves out _embedded
// and _links of every factor.
func withoutActivation(body []byte) []byte {
	var list []map[string]json.RawMessage
	if json.Unmarshal(body, &list) != nil {
		return body
	}
	changed := false
	for _, f := range list {
		for _, k := range []string{"_embedded", "_links"} {
			if _, ok := f[k]; ok {
				delete(f, k)
				changed = true
			}
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(list)
	if err != nil {
		return []byte(`{"note":"factor listing withheld"}`)
	}
	return out
}
