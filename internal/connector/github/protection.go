package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

// A branch is protected in two ways that GitHub keeps side by side:
// classic branch protection (one rule per branch pattern, GET
// /repos/{owner}/{repo}/branches/{branch}/protection) and rulesets,
// defined on the repository or the organization (GET
// /repos/{owner}/{repo}/rules/branches/{branch} returns every active rule
// that applies to the branch, each naming its ruleset). Both apply at once:
// the strictest requirement wins. github.branch_protection keeps both as
// read (classic, rules, rulesets) and combines them into the effective
// fields at the top, each with its sources.

const (
	srcClassic = "classic branch protection"
	pathProt   = "GET /repos/{owner}/{repo}/branches/{branch}/protection"
)

func branchProtectionType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.branch_protection",
		Description: "The protection of a repository's default branch: the effective requirements (the strictest of classic branch " +
			"protection and every active ruleset rule, each field's sources naming which), with the classic protection, " +
			"the ruleset rules and the rulesets as read.",
		Fields: []connector.Field{
			{Name: "repository", Type: "string", Description: "owner/name of the repository."},
			{Name: "repository_id", Type: "int", Description: "GitHub's repository id."},
			{Name: "branch", Type: "string", Description: "The default branch."},
			{Name: "archived", Type: "bool", Description: "The repository is archived (read-only)."},
			{Name: "protected", Type: "bool", Description: "Classic protection or at least one ruleset rule applies to the branch."},
			{Name: "pull_request_required", Type: "bool", Description: "Changes must come through a pull request."},
			{Name: "required_approving_review_count", Type: "int", Description: "Approving reviews needed to merge (the highest of all sources); 0 when none."},
			{Name: "dismiss_stale_reviews", Type: "bool", Description: "New commits dismiss earlier approvals."},
			{Name: "require_code_owner_reviews", Type: "bool", Description: "Code owners must approve changes to the files they own."},
			{Name: "require_last_push_approval", Type: "bool", Description: "The last push must be approved by someone other than its pusher."},
			{Name: "required_status_checks", Type: "list", Description: "Status checks that must pass, from all sources."},
			{Name: "strict_status_checks", Type: "bool", Description: "The branch must be up to date with the base before merging."},
			{Name: "enforce_admins", Type: "bool", Description: "The requirements bind administrators too: classic enforce_admins, or a ruleset supplying rules that administrators may not bypass."},
			{Name: "allow_force_pushes", Type: "bool", Description: "Force pushes are allowed: neither classic protection nor a ruleset (non_fast_forward) blocks them."},
			{Name: "allow_deletions", Type: "bool", Description: "The branch may be deleted: neither classic protection nor a ruleset (deletion) blocks it."},
			{Name: "required_linear_history", Type: "bool", Description: "Merge commits are refused."},
			{Name: "required_signatures", Type: "bool", Description: "Commits must have verified signatures."},
			{Name: "required_conversation_resolution", Type: "bool", Description: "Review conversations must be resolved before merging."},
			{Name: "classic", Type: "object", Description: "Classic branch protection as read; with protected false when GitHub answered 404 (no protection)."},
			{Name: "classic.protected", Type: "bool", Description: "A classic protection rule matches the branch."},
			{Name: "classic.pull_request_required", Type: "bool", Description: "required_pull_request_reviews is set."},
			{Name: "classic.required_approving_review_count", Type: "int", Description: "required_approving_review_count."},
			{Name: "classic.dismiss_stale_reviews", Type: "bool", Description: "dismiss_stale_reviews."},
			{Name: "classic.require_code_owner_reviews", Type: "bool", Description: "require_code_owner_reviews."},
			{Name: "classic.require_last_push_approval", Type: "bool", Description: "require_last_push_approval."},
			{Name: "classic.bypass_pull_request_allowances", Type: "list", Description: "Who may skip the pull request requirement, as user:LOGIN, team:SLUG or app:SLUG."},
			{Name: "classic.required_status_checks", Type: "list", Description: "Required status check contexts."},
			{Name: "classic.strict_status_checks", Type: "bool", Description: "required_status_checks.strict."},
			{Name: "classic.enforce_admins", Type: "bool", Description: "enforce_admins.enabled: the rule binds administrators."},
			{Name: "classic.allow_force_pushes", Type: "bool", Description: "allow_force_pushes.enabled (true without protection)."},
			{Name: "classic.allow_deletions", Type: "bool", Description: "allow_deletions.enabled (true without protection)."},
			{Name: "classic.required_linear_history", Type: "bool", Description: "required_linear_history.enabled."},
			{Name: "classic.required_signatures", Type: "bool", Description: "required_signatures.enabled."},
			{Name: "classic.required_conversation_resolution", Type: "bool", Description: "required_conversation_resolution.enabled."},
			{Name: "classic.lock_branch", Type: "bool", Description: "lock_branch.enabled: the branch is read-only."},
			{Name: "rules", Type: "list", Description: "Active ruleset rules for the branch (GET /repos/{owner}/{repo}/rules/branches/{branch})."},
			{Name: "rules.type", Type: "string", Description: "Rule type: pull_request, required_status_checks, non_fast_forward, deletion, …"},
			{Name: "rules.ruleset_id", Type: "int", Description: "The ruleset the rule comes from."},
			{Name: "rules.ruleset_source_type", Type: "string", Description: "Repository or Organization."},
			{Name: "rules.ruleset_source", Type: "string", Description: "The repository or organization defining the ruleset."},
			{Name: "rules.parameters", Type: "object", Description: "The rule's parameters as GitHub returned them; empty for rules without."},
			{Name: "rulesets", Type: "list", Description: "The rulesets the rules come from (GET /repos/{owner}/{repo}/rulesets/{id}?includes_parents=true)."},
			{Name: "rulesets.id", Type: "int", Description: "Ruleset id."},
			{Name: "rulesets.name", Type: "string", Description: "Ruleset name."},
			{Name: "rulesets.source_type", Type: "string", Description: "Repository or Organization."},
			{Name: "rulesets.source", Type: "string", Description: "Where the ruleset is defined."},
			{Name: "rulesets.enforcement", Type: "string", Description: "active, evaluate or disabled."},
			{Name: "rulesets.bypass_actors", Type: "list", Description: "Who may bypass the ruleset; null when GitHub hides it (only those who may edit the ruleset see it)."},
			{Name: "rulesets.bypass_actors.actor_type", Type: "string", Description: "OrganizationAdmin, RepositoryRole, Team, Integration, DeployKey, …"},
			{Name: "rulesets.bypass_actors.actor_id", Type: "int", Description: "The actor's id (a team, app or repository role: 5 is admin); 0 for types without one."},
			{Name: "rulesets.bypass_actors.bypass_mode", Type: "string", Description: "always, pull_request or exempt."},
			{Name: "rulesets.current_user_can_bypass", Type: "string", Description: "Whether the credentials themselves may bypass it: always, pull_requests_only, never, exempt."},
		},
		List: connector.As(listBranchProtection),
	}
}

// classicView is classic protection as the connector reports it.
type classicView struct {
	Protected                      bool     `json:"protected"`
	PullRequestRequired            bool     `json:"pull_request_required"`
	RequiredApprovingReviewCount   int      `json:"required_approving_review_count"`
	DismissStaleReviews            bool     `json:"dismiss_stale_reviews"`
	RequireCodeOwnerReviews        bool     `json:"require_code_owner_reviews"`
	RequireLastPushApproval        bool     `json:"require_last_push_approval"`
	BypassPullRequestAllowances    []string `json:"bypass_pull_request_allowances"`
	RequiredStatusChecks           []string `json:"required_status_checks"`
	StrictStatusChecks             bool     `json:"strict_status_checks"`
	EnforceAdmins                  bool     `json:"enforce_admins"`
	AllowForcePushes               bool     `json:"allow_force_pushes"`
	AllowDeletions                 bool     `json:"allow_deletions"`
	RequiredLinearHistory          bool     `json:"required_linear_history"`
	RequiredSignatures             bool     `json:"required_signatures"`
	RequiredConversationResolution bool     `json:"required_conversation_resolution"`
	LockBranch                     bool     `json:"lock_branch"`
}

func (v classicView) attrs() map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// unprotected is a branch without classic protection: nothing required,
// force pushes and deletions allowed.
func unprotected() classicView {
	return classicView{AllowForcePushes: true, AllowDeletions: true, BypassPullRequestAllowances: []string{}, RequiredStatusChecks: []string{}}
}

// classic reads the classic protection of a branch. A 404 is GitHub's way
// of saying the branch has none ("Branch not protected"), and is recorded
// as such, with GitHub's message as the source.
func (c *conn) classic(ctx context.Context, repo, branch string) (classicView, string, error) {
	p, _, err := c.gh.Repositories.GetBranchProtection(ctx, c.owner(), repo, branch)
	switch {
	case errors.Is(err, gh.ErrBranchNotProtected):
		return unprotected(), pathProt + ": 404 Branch not protected", nil
	case status(err) == http.StatusNotFound:
		var er *gh.ErrorResponse
		errors.As(err, &er)
		return unprotected(), pathProt + ": 404 " + er.Message, nil
	case err != nil:
		return classicView{}, "", err
	}
	v := unprotected()
	v.Protected = true
	v.AllowForcePushes, v.AllowDeletions = false, false
	if r := p.RequiredPullRequestReviews; r != nil {
		v.PullRequestRequired = true
		v.RequiredApprovingReviewCount = r.RequiredApprovingReviewCount
		v.DismissStaleReviews = r.DismissStaleReviews
		v.RequireCodeOwnerReviews = r.RequireCodeOwnerReviews
		v.RequireLastPushApproval = r.RequireLastPushApproval
		if a := r.BypassPullRequestAllowances; a != nil {
			for _, u := range a.Users {
				v.BypassPullRequestAllowances = append(v.BypassPullRequestAllowances, "user:"+u.GetLogin())
			}
			for _, t := range a.Teams {
				v.BypassPullRequestAllowances = append(v.BypassPullRequestAllowances, "team:"+t.GetSlug())
			}
			for _, a := range a.Apps {
				v.BypassPullRequestAllowances = append(v.BypassPullRequestAllowances, "app:"+a.GetSlug())
			}
		}
	}
	if s := p.RequiredStatusChecks; s != nil {
		v.StrictStatusChecks = s.Strict
		if s.Checks != nil {
			for _, ch := range *s.Checks {
				v.RequiredStatusChecks = append(v.RequiredStatusChecks, ch.Context)
			}
		} else if s.Contexts != nil {
			v.RequiredStatusChecks = append(v.RequiredStatusChecks, *s.Contexts...)
		}
		v.RequiredStatusChecks = uniqueSorted(v.RequiredStatusChecks)
	}
	v.EnforceAdmins = p.EnforceAdmins != nil && p.EnforceAdmins.Enabled
	v.AllowForcePushes = p.AllowForcePushes != nil && p.AllowForcePushes.Enabled
	v.AllowDeletions = p.AllowDeletions != nil && p.AllowDeletions.Enabled
	v.RequiredLinearHistory = p.RequireLinearHistory != nil && p.RequireLinearHistory.Enabled
	v.RequiredSignatures = p.RequiredSignatures != nil && p.RequiredSignatures.Enabled != nil && *p.RequiredSignatures.Enabled
	v.RequiredConversationResolution = p.RequiredConversationResolution != nil && p.RequiredConversationResolution.Enabled
	v.LockBranch = p.LockBranch != nil && p.LockBranch.Enabled != nil && *p.LockBranch.Enabled
	return v, pathProt, nil
}

// rule is one entry of GET /repos/{owner}/{repo}/rules/branches/{branch},
// kept whole (parameters as GitHub sent them) whatever its type.
type rule struct {
	Type              string          `json:"type"`
	RulesetSourceType string          `json:"ruleset_source_type"`
	RulesetSource     string          `json:"ruleset_source"`
	RulesetID         int64           `json:"ruleset_id"`
	Parameters        json.RawMessage `json:"parameters,omitempty"`
}

func (r rule) source() string {
	return fmt.Sprintf("ruleset %d (%s %s)", r.RulesetID, r.RulesetSourceType, r.RulesetSource)
}

func (r rule) params(v any) { _ = json.Unmarshal(r.Parameters, v) }

// branchRules reads every active rule for the branch, through go-github's
// client (its typed BranchRules would drop rule types it does not know).
func (c *conn) branchRules(ctx context.Context, repo, branch string) ([]rule, error) {
	var all []rule
	err := paginate(func(page int) (*gh.Response, error) {
		u := fmt.Sprintf("repos/%s/%s/rules/branches/%s?per_page=%d&page=%d", url.PathEscape(c.owner()), url.PathEscape(repo),
			url.PathEscape(branch), perPage, page)
		req, err := c.gh.NewRequest(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		var rs []rule
		resp, err := c.gh.Do(req, &rs)
		all = append(all, rs...)
		return resp, err
	})
	return all, err
}

// ruleset reads one ruleset's details once per run (rulesets of the
// organization apply to many repositories). Its error, when GitHub answers
// about the ruleset (403, 404), is kept: the ruleset's bypass actors stay
// unknown and the listing goes on.
func (c *conn) ruleset(ctx context.Context, repo string, id int64) (*cached[*gh.RepositoryRuleset], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs, ok := c.rulesets[id]; ok {
		return rs, nil
	}
	tctx, calls := connector.Track(ctx)
	v, resp, err := c.gh.Repositories.GetRuleset(tctx, c.owner(), repo, id, true)
	if err != nil && !scopeError(err) {
		return nil, c.explain(err, fmt.Sprintf("read ruleset %d", id))
	}
	rs := &cached[*gh.RepositoryRuleset]{val: v, resp: resp, calls: calls.Refs(), err: c.explain(err, fmt.Sprintf("read ruleset %d", id))}
	c.rulesets[id] = rs
	return rs, nil
}

func listBranchProtection(ctx context.Context, c *conn, out connector.Emitter) error {
	repos := c.repositories(ctx)
	if repos.err != nil {
		return repos.err
	}
	for _, r := range repos.val {
		full, branch := r.GetFullName(), r.GetDefaultBranch()
		if branch == "" {
			continue // an empty repository on an old server: no branch to protect
		}
		tctx, calls := connector.Track(ctx)
		cv, classicSrc, err := c.classic(tctx, r.GetName(), branch)
		if err != nil {
			if scopeError(err) {
				out.FailScope(full, c.explain(err, "read the classic branch protection of "+full+" "+branch))
				continue
			}
			return c.explain(err, "read the classic branch protection of "+full+" "+branch)
		}
		rules, err := c.branchRules(tctx, r.GetName(), branch)
		rulesSrc := "GET /repos/{owner}/{repo}/rules/branches/{branch}"
		if status(err) == http.StatusNotFound {
			// The branch need not exist for this endpoint: a 404 is a server
			// without rulesets (GitHub Enterprise Server before 3.11).
			rules, err, rulesSrc = nil, nil, rulesSrc+": 404, the server has no rulesets"
		}
		if err != nil {
			if scopeError(err) {
				out.FailScope(full, c.explain(err, "read the ruleset rules of "+full+" "+branch))
				continue
			}
			return c.explain(err, "read the ruleset rules of "+full+" "+branch)
		}
		sets := map[int64]*cached[*gh.RepositoryRuleset]{}
		var ids []int64
		refs := [][]connector.CallRef{repos.calls, calls.Refs()}
		for _, ru := range rules {
			if _, ok := sets[ru.RulesetID]; ok {
				continue
			}
			rs, err := c.ruleset(ctx, r.GetName(), ru.RulesetID)
			if err != nil {
				return err
			}
			sets[ru.RulesetID] = rs
			ids = append(ids, ru.RulesetID)
			refs = append(refs, rs.calls)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		f := connector.NewFacts()
		f.Set("repository", full, "")
		f.Set("repository_id", r.GetID(), "")
		f.Set("branch", branch, "default_branch of GET /orgs/{org}/repos")
		f.Set("archived", r.GetArchived(), "")
		f.Set("classic", cv.attrs(), classicSrc)
		f.Set("rules", ruleAttrs(rules), rulesSrc)
		setAttrs, hidden := rulesetAttrs(ids, sets)
		f.Set("rulesets", setAttrs, "GET /repos/{owner}/{repo}/rulesets/{id}")
		effective(f, cv, rules, ids, sets)
		attrs := f.Attributes()
		if len(hidden) > 0 {
			u, _ := attrs[connector.AttrUnknown].(map[string]any)
			if u == nil {
				u = map[string]any{}
				attrs[connector.AttrUnknown] = u
			}
			u["rulesets.bypass_actors"] = strings.Join(hidden, "; ")
		}
		id := strconv.FormatInt(r.GetID(), 10) + ":" + branch
		var all []connector.CallRef
		for _, cs := range refs {
			all = append(all, cs...)
		}
		if err := out.Emit(ctx, connector.Resource{ExternalID: id, Name: full + " " + branch, Scope: full,
			Attributes: attrs, Calls: dedupe(all)}); err != nil {
			return err
		}
	}
	return nil
}

func dedupe(refs []connector.CallRef) []connector.CallRef {
	seen := map[int64]bool{}
	var out []connector.CallRef
	for _, r := range refs {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

func ruleAttrs(rules []rule) []any {
	out := []any{}
	for _, r := range rules {
		params := map[string]any{}
		r.params(&params)
		out = append(out, map[string]any{"type": r.Type, "ruleset_id": r.RulesetID, "ruleset_source_type": r.RulesetSourceType,
			"ruleset_source": r.RulesetSource, "parameters": params})
	}
	return out
}

// rulesetAttrs describes the rulesets, and says which hide their bypass
// actors (or could not be read at all).
func rulesetAttrs(ids []int64, sets map[int64]*cached[*gh.RepositoryRuleset]) ([]any, []string) {
	out := []any{}
	var hidden []string
	for _, id := range ids {
		rs := sets[id]
		m := map[string]any{"id": id, "name": "", "source_type": "", "source": "", "enforcement": "", "bypass_actors": nil,
			"current_user_can_bypass": ""}
		switch {
		case rs.err != nil:
			hidden = append(hidden, fmt.Sprintf("ruleset %d could not be read: %v", id, rs.err))
		default:
			v := rs.val
			m["name"] = v.Name
			if v.SourceType != nil {
				m["source_type"] = string(*v.SourceType)
			}
			m["source"] = v.Source
			m["enforcement"] = string(v.Enforcement)
			if v.CurrentUserCanBypass != nil {
				m["current_user_can_bypass"] = string(*v.CurrentUserCanBypass)
			}
			if v.BypassActors == nil {
				hidden = append(hidden, fmt.Sprintf("ruleset %d: GitHub shows bypass actors only to credentials that may edit the ruleset", id))
			} else {
				actors := []any{}
				for _, a := range v.BypassActors {
					actors = append(actors, map[string]any{"actor_type": strOf(a.ActorType), "actor_id": a.GetActorID(),
						"bypass_mode": strOf(a.BypassMode)})
				}
				m["bypass_actors"] = actors
			}
		}
		out = append(out, m)
	}
	return out, hidden
}

// adminBypass reports whether a ruleset lets administrators bypass it: an
// OrganizationAdmin or EnterpriseOwner actor, or the repository admin role
// (RepositoryRole 5).
func adminBypass(actors []*gh.BypassActor) bool {
	for _, a := range actors {
		switch strOf(a.ActorType) {
		case "OrganizationAdmin", "EnterpriseOwner":
			return true
		case "RepositoryRole":
			if a.GetActorID() == 5 {
				return true
			}
		}
	}
	return false
}

// effective combines classic protection and the ruleset rules: a
// requirement holds when any source requires it, the review count is the
// highest, status checks are the union, and force pushes and deletions are
// allowed only when no source blocks them.
func effective(f *connector.Facts, cv classicView, rules []rule, ids []int64, sets map[int64]*cached[*gh.RepositoryRuleset]) {
	type prParams struct {
		Count            int  `json:"required_approving_review_count"`
		DismissStale     bool `json:"dismiss_stale_reviews_on_push"`
		CodeOwner        bool `json:"require_code_owner_review"`
		LastPush         bool `json:"require_last_push_approval"`
		ThreadResolution bool `json:"required_review_thread_resolution"`
	}
	type checkParams struct {
		Checks []struct {
			Context string `json:"context"`
		} `json:"required_status_checks"`
		Strict bool `json:"strict_required_status_checks_policy"`
	}
	src := map[string][]string{} // field → sources that require it
	add := func(field string, on bool, source string) {
		if on && !contains(src[field], source) {
			src[field] = append(src[field], source)
		}
	}
	cs := ""
	if cv.Protected {
		cs = srcClassic
	}
	count, countSrc := 0, []string{}
	if cv.Protected && cv.PullRequestRequired {
		count, countSrc = cv.RequiredApprovingReviewCount, []string{srcClassic}
	}
	checks := append([]string(nil), cv.RequiredStatusChecks...)
	add("pull_request_required", cv.Protected && cv.PullRequestRequired, cs)
	add("dismiss_stale_reviews", cv.Protected && cv.DismissStaleReviews, cs)
	add("require_code_owner_reviews", cv.Protected && cv.RequireCodeOwnerReviews, cs)
	add("require_last_push_approval", cv.Protected && cv.RequireLastPushApproval, cs)
	add("required_status_checks", len(cv.RequiredStatusChecks) > 0, cs)
	add("strict_status_checks", cv.Protected && cv.StrictStatusChecks, cs)
	add("required_linear_history", cv.Protected && cv.RequiredLinearHistory, cs)
	add("required_signatures", cv.Protected && cv.RequiredSignatures, cs)
	add("required_conversation_resolution", cv.Protected && cv.RequiredConversationResolution, cs)
	add("block_force_pushes", cv.Protected && !cv.AllowForcePushes, cs)
	add("block_deletions", cv.Protected && !cv.AllowDeletions, cs)
	for _, r := range rules {
		s := r.source()
		switch r.Type {
		case "pull_request":
			var p prParams
			r.params(&p)
			add("pull_request_required", true, s)
			add("dismiss_stale_reviews", p.DismissStale, s)
			add("require_code_owner_reviews", p.CodeOwner, s)
			add("require_last_push_approval", p.LastPush, s)
			add("required_conversation_resolution", p.ThreadResolution, s)
			switch {
			case p.Count > count:
				count, countSrc = p.Count, []string{s}
			case p.Count == count && p.Count > 0 && !contains(countSrc, s):
				countSrc = append(countSrc, s)
			}
		case "required_status_checks":
			var p checkParams
			r.params(&p)
			for _, ch := range p.Checks {
				checks = append(checks, ch.Context)
			}
			add("required_status_checks", len(p.Checks) > 0, s)
			add("strict_status_checks", p.Strict, s)
		case "non_fast_forward":
			add("block_force_pushes", true, s)
		case "deletion":
			add("block_deletions", true, s)
		case "required_linear_history":
			add("required_linear_history", true, s)
		case "required_signatures":
			add("required_signatures", true, s)
		}
	}
	none := "neither classic branch protection nor any ruleset requires it"
	set := func(field string, v bool) {
		if v {
			f.Set(field, true, strings.Join(src[field], " and "))
		} else {
			f.Set(field, false, none)
		}
	}
	f.Set("protected", cv.Protected || len(rules) > 0, protectedSource(cv, rules))
	for _, field := range []string{"pull_request_required", "dismiss_stale_reviews", "require_code_owner_reviews", "require_last_push_approval",
		"strict_status_checks", "required_linear_history", "required_signatures", "required_conversation_resolution"} {
		set(field, len(src[field]) > 0)
	}
	if count > 0 {
		f.Set("required_approving_review_count", count, strings.Join(countSrc, " and "))
	} else {
		f.Set("required_approving_review_count", 0, "no source requires an approving review")
	}
	checks = uniqueSorted(checks)
	if len(checks) > 0 {
		f.Set("required_status_checks", checks, strings.Join(src["required_status_checks"], " and "))
	} else {
		f.Set("required_status_checks", []string{}, none)
	}
	if b := src["block_force_pushes"]; len(b) > 0 {
		f.Set("allow_force_pushes", false, "blocked by "+strings.Join(b, " and "))
	} else {
		f.Set("allow_force_pushes", true, "neither classic branch protection nor a non_fast_forward rule blocks them")
	}
	if b := src["block_deletions"]; len(b) > 0 {
		f.Set("allow_deletions", false, "blocked by "+strings.Join(b, " and "))
	} else {
		f.Set("allow_deletions", true, "neither classic branch protection nor a deletion rule blocks it")
	}
	// Administrators.
	var binding, hidden []string
	for _, id := range ids {
		rs := sets[id]
		name := fmt.Sprintf("ruleset %d", id)
		switch {
		case rs.err != nil || rs.val.BypassActors == nil:
			hidden = append(hidden, name)
		case !adminBypass(rs.val.BypassActors):
			binding = append(binding, name+" (no administrator bypass)")
		}
	}
	switch {
	case cv.Protected && cv.EnforceAdmins:
		f.Set("enforce_admins", true, strings.Join(append([]string{srcClassic + " enforce_admins"}, binding...), " and "))
	case len(binding) > 0:
		f.Set("enforce_admins", true, strings.Join(binding, " and "))
	case len(hidden) > 0:
		f.Unknown("enforce_admins", "classic protection does not bind administrators, and whether administrators may bypass "+
			strings.Join(hidden, ", ")+" is hidden: GitHub shows bypass actors only to credentials that may edit the ruleset")
	case !cv.Protected && len(rules) == 0:
		f.Set("enforce_admins", false, "the branch has no protection")
	default:
		f.Set("enforce_admins", false, "classic protection does not bind administrators and every ruleset lets them bypass it")
	}
}

func protectedSource(cv classicView, rules []rule) string {
	var s []string
	if cv.Protected {
		s = append(s, srcClassic)
	}
	seen := map[int64]bool{}
	for _, r := range rules {
		if !seen[r.RulesetID] {
			seen[r.RulesetID] = true
			s = append(s, r.source())
		}
	}
	if len(s) == 0 {
		return "no classic protection (404) and no ruleset rule for the branch"
	}
	return strings.Join(s, " and ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func uniqueSorted(xs []string) []string {
	set := map[string]bool{}
	out := []string{}
	for _, x := range xs {
		if x != "" && !set[x] {
			set[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// strOf renders one of go-github's string enums, "" when absent.
func strOf[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
