package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/assurehq/assure/internal/connector"
)

// Policies share one API (GET /api/v1/policies?type=…, then each policy's
// rules) and one framework: a policy applies to groups, its rules in
// priority order decide. Each type is its own resource type, with the
// fields its settings and rule actions carry.

type oktaPolicy struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Priority    int     `json:"priority"`
	System      bool    `json:"system"`
	Created     *string `json:"created"`
	LastUpdated *string `json:"lastUpdated"`
	Conditions  *struct {
		People *struct {
			Groups *includeExclude `json:"groups"`
		} `json:"people"`
		AuthProvider *struct {
			Provider string `json:"provider"`
		} `json:"authProvider"`
	} `json:"conditions"`
	Settings json.RawMessage `json:"settings"`
}

type includeExclude struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

type oktaRule struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Priority   int    `json:"priority"`
	System     bool   `json:"system"`
	Conditions *struct {
		People *struct {
			Users *includeExclude `json:"users"`
		} `json:"people"`
		Network *struct {
			Connection string `json:"connection"`
		} `json:"network"`
	} `json:"conditions"`
	Actions json.RawMessage `json:"actions"`
}

const statusActive = "ACTIVE"

// policyFields are the fields every policy type has, rule fields apart.
func policyFields(rules ...connector.Field) []connector.Field {
	out := []connector.Field{
		{Name: "id", Type: "string", Description: "Policy id; also the external id."},
		{Name: "name", Type: "string", Description: "Policy name."},
		{Name: "description", Type: "string", Description: "Policy description; empty when none."},
		{Name: "status", Type: "string", Description: "ACTIVE or INACTIVE."},
		{Name: "active", Type: "bool", Description: "Derived: status is ACTIVE (an inactive policy is never applied)."},
		{Name: "priority", Type: "int", Description: "Evaluation order among policies of the type: 1 is evaluated first; the default policy is last."},
		{Name: "system", Type: "bool", Description: "The default policy Okta created, which cannot be deleted."},
		{Name: "created", Type: "string", Description: "When the policy was created, RFC 3339 UTC."},
		{Name: "last_updated", Type: "string", Description: "When the policy last changed, RFC 3339 UTC."},
		{Name: "groups_included", Type: "list", Description: "conditions.people.groups.include: ids of the groups the policy applies to."},
		{Name: "groups_excluded", Type: "list", Description: "conditions.people.groups.exclude: ids of the groups it does not apply to."},
		{Name: "rules", Type: "list", Description: "The policy's rules (GET /api/v1/policies/{id}/rules), in the order Okta gives them."},
		{Name: "rules.id", Type: "string", Description: "Rule id."},
		{Name: "rules.name", Type: "string", Description: "Rule name."},
		{Name: "rules.status", Type: "string", Description: "ACTIVE or INACTIVE."},
		{Name: "rules.priority", Type: "int", Description: "Evaluation order within the policy: the first matching rule applies."},
		{Name: "rules.system", Type: "bool", Description: "The default rule, which cannot be deleted."},
		{Name: "rules.network_connection", Type: "string", Description: "conditions.network.connection: ANYWHERE, ZONE, ON_NETWORK or OFF_NETWORK; empty when the rule has no network condition."},
		{Name: "rules.users_excluded", Type: "list", Description: "conditions.people.users.exclude: ids of users the rule skips."},
	}
	return append(out, rules...)
}

// policyListing is one policy type's listing: fill sets the type's own
// fields from the policy and its rules (rulesErr when they could not be
// read). optional lets a type be absent from the org (authentication
// policies on a Classic Engine org): Okta refusing the type with 400 is
// then an empty listing.
type policyListing struct {
	policyType string
	optional   bool
	fill       func(f *connector.Facts, p oktaPolicy, rules []oktaRule, rulesErr error)
}

func (pl policyListing) list(ctx context.Context, c *client, out connector.Emitter) error {
	type item struct {
		p    oktaPolicy
		refs []connector.CallRef
	}
	var items []item
	tctx, calls := connector.Track(ctx)
	seen := 0
	q := url.Values{"type": {pl.policyType}}
	err := c.pages(tctx, c.base+"/api/v1/policies?"+q.Encode(), "list "+pl.policyType+" policies", func(pg connector.Page) (string, error) {
		all := calls.Refs()
		page := all[seen:]
		seen = len(all)
		var ps []oktaPolicy
		if err := connector.DecodeJSON(pg.Response, pg.Body, &ps); err != nil {
			return "", err
		}
		for _, p := range ps {
			items = append(items, item{p: p, refs: page})
		}
		return "", nil
	})
	var he *connector.HTTPError
	if pl.optional && errors.As(err, &he) && he.Status == http.StatusBadRequest {
		c.rt.Log().Info("Okta does not offer this policy type (a Classic Engine org); listing none", "policy_type", pl.policyType)
		return nil
	}
	if err != nil {
		return err
	}
	var rulesErr error
	for _, it := range items {
		rctx, rcalls := connector.Track(ctx)
		var rules []oktaRule
		rerr := c.pages(rctx, c.base+"/api/v1/policies/"+url.PathEscape(it.p.ID)+"/rules", "read the rules of policy "+it.p.Name,
			func(pg connector.Page) (string, error) {
				var rs []oktaRule
				if err := connector.DecodeJSON(pg.Response, pg.Body, &rs); err != nil {
					return "", err
				}
				rules = append(rules, rs...)
				return "", nil
			})
		if rerr != nil && rulesErr == nil {
			rulesErr = rerr
		}
		f := policyFacts(it.p)
		pl.fill(f, it.p, rules, rerr)
		if err := out.Emit(ctx, connector.Resource{ExternalID: it.p.ID, Name: it.p.Name, Attributes: f.Attributes(),
			Calls: refs(it.refs, rcalls.Refs())}); err != nil {
			return err
		}
	}
	if rulesErr != nil {
		out.FailScope("rules", rulesErr)
	}
	return nil
}

// policyFacts sets the fields every policy has.
func policyFacts(p oktaPolicy) *connector.Facts {
	f := connector.NewFacts()
	f.Set("id", p.ID, "")
	f.Set("name", p.Name, "")
	f.Set("description", p.Description, "")
	f.Set("status", p.Status, "")
	f.Set("active", p.Status == statusActive, "status")
	f.Set("priority", p.Priority, "")
	f.Set("system", p.System, "")
	setTime(f, "created", p.Created)
	setTime(f, "last_updated", p.LastUpdated)
	var groups includeExclude
	if p.Conditions != nil && p.Conditions.People != nil && p.Conditions.People.Groups != nil {
		groups = *p.Conditions.People.Groups
	}
	f.Set("groups_included", strs(groups.Include), "")
	f.Set("groups_excluded", strs(groups.Exclude), "")
	return f
}

// ruleBase is the part of a rule every policy type shares.
func ruleBase(r oktaRule) map[string]any {
	network := ""
	var excluded []string
	if r.Conditions != nil {
		if r.Conditions.Network != nil {
			network = r.Conditions.Network.Connection
		}
		if r.Conditions.People != nil && r.Conditions.People.Users != nil {
			excluded = r.Conditions.People.Users.Exclude
		}
	}
	return map[string]any{"id": r.ID, "name": r.Name, "status": r.Status, "priority": r.Priority, "system": r.System,
		"network_connection": network, "users_excluded": strs(excluded)}
}

// rulesUnknown marks the rules and the fields derived from them unknown.
func rulesUnknown(f *connector.Facts, err error, derived ...string) {
	why := fmt.Sprintf("cannot read the policy's rules: %v", err)
	f.Unknown("rules", why)
	for _, d := range derived {
		f.Unknown(d, why)
	}
}

// decodeActions reads a rule's actions into v; a rule without actions
// leaves v as it is.
func decodeActions(r oktaRule, v any) error {
	if len(r.Actions) == 0 || string(r.Actions) == "null" {
		return nil
	}
	if err := json.Unmarshal(r.Actions, v); err != nil {
		return fmt.Errorf("the actions of rule %s are not the JSON expected: %w", r.Name, err)
	}
	return nil
}

// setInt sets an integer setting, or marks it unknown when the policy
// does not carry it.
func setInt(f *connector.Facts, field string, v *int, where string) {
	if v == nil {
		f.Unknown(field, "the policy's settings do not carry "+where)
		return
	}
	f.Set(field, *v, "")
}

func setBool(f *connector.Facts, field string, v *bool, where string) {
	if v == nil {
		f.Unknown(field, "the policy's settings do not carry "+where)
		return
	}
	f.Set(field, *v, "")
}
