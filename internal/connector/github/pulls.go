package github

import (
	"context"
	"fmt"
	"strconv"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/assurehq/assure/internal/connector"
)

// Merged pull requests are the change-management population of a Type 2
// period: each change, who wrote it, who approved it before it was merged,
// whether an approval covered the final code, and who merged it.
//
// API cost, per repository: ceil(N/100) pages of GET /repos/{owner}/{repo}
// /pulls?state=closed&sort=updated&direction=desc, stopping at the first
// page whose pull requests were all last updated before the window (a pull
// request merged in the window was updated in it too); then for each of the
// N merged pull requests in the window, GET …/pulls/{number} (the list
// omits merged_by) and GET …/pulls/{number}/reviews. max_pull_requests
// bounds N per repository: beyond it the repository is reported partial.

func pullRequestType() connector.ResourceType {
	return connector.ResourceType{
		Name: "github.pull_request",
		Description: "A pull request merged within the window (lookback): author, base branch, who merged it and when, and its " +
			"reviews: who approved before the merge and whether an approval was given on the final commit.",
		Fields: []connector.Field{
			{Name: "repository", Type: "string", Description: "owner/name of the repository."},
			{Name: "number", Type: "int", Description: "Pull request number."},
			{Name: "title", Type: "string", Description: "Title."},
			{Name: "html_url", Type: "string", Description: "The pull request's page."},
			{Name: "author", Type: "string", Description: "Login of the author."},
			{Name: "base_branch", Type: "string", Description: "Branch it was merged into."},
			{Name: "into_default_branch", Type: "bool", Description: "base_branch is the repository's default branch."},
			{Name: "head_sha", Type: "string", Description: "The last commit of the pull request."},
			{Name: "merge_commit_sha", Type: "string", Description: "The commit the merge created on the base branch."},
			{Name: "created_at", Type: "time", Description: "When it was opened."},
			{Name: "merged_at", Type: "time", Description: "When it was merged."},
			{Name: "merged_by", Type: "string", Description: "Login of who merged it."},
			{Name: "self_merged", Type: "bool", Description: "The author merged it."},
			{Name: "approvers", Type: "list", Description: "Logins whose latest decisive review before the merge was an approval (the author excluded)."},
			{Name: "approval_count", Type: "int", Description: "How many approvers."},
			{Name: "approved", Type: "bool", Description: "At least one approval before the merge by someone other than the author."},
			{Name: "approved_after_last_commit", Type: "bool", Description: "An approver approved the final commit (head_sha): the approval came after the last commit."},
			{Name: "reviews", Type: "list", Description: "Submitted reviews in order."},
			{Name: "reviews.reviewer", Type: "string", Description: "Login of the reviewer."},
			{Name: "reviews.state", Type: "string", Description: "APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED."},
			{Name: "reviews.submitted_at", Type: "time", Description: "When the review was submitted."},
			{Name: "reviews.commit_id", Type: "string", Description: "The commit the review was made on."},
			{Name: "reviews.before_merge", Type: "bool", Description: "Submitted before merged_at."},
			{Name: "reviews.on_final_commit", Type: "bool", Description: "commit_id is head_sha."},
		},
		List: connector.As(listPullRequests),
	}
}

func listPullRequests(ctx context.Context, c *conn, out connector.Emitter) error {
	repos := c.repositories(ctx)
	if repos.err != nil {
		return repos.err
	}
	since := c.rt.Now().Add(-c.s.lookback)
	for _, r := range repos.val {
		err := c.pullRequestsOf(ctx, r, since, out)
		if err != nil && scopeError(err) {
			out.FailScope(r.GetFullName(), c.explain(err, "read the pull requests of "+r.GetFullName()))
			continue
		}
		if err != nil {
			return c.explain(err, "read the pull requests of "+r.GetFullName())
		}
	}
	return nil
}

// pullRequestsOf emits one repository's merged pull requests in the window.
func (c *conn) pullRequestsOf(ctx context.Context, r *gh.Repository, since time.Time, out connector.Emitter) error {
	full := r.GetFullName()
	lctx, listCalls := connector.Track(ctx)
	var merged []*gh.PullRequest
	truncated := false
	err := paginate(func(page int) (*gh.Response, error) {
		prs, resp, err := c.gh.PullRequests.List(lctx, c.owner(), r.GetName(), &gh.PullRequestListOptions{State: "closed", Sort: "updated",
			Direction: "desc", ListOptions: gh.ListOptions{PerPage: perPage, Page: page}})
		if err != nil {
			return resp, err
		}
		older := len(prs) > 0
		for _, pr := range prs {
			if pr.UpdatedAt == nil || !pr.UpdatedAt.Before(since) {
				older = false
			}
			if pr.MergedAt == nil || pr.MergedAt.Before(since) {
				continue
			}
			if len(merged) == c.s.maxPulls {
				truncated = true
				return nil, nil // stop: the bound is reached
			}
			merged = append(merged, pr)
		}
		if older {
			return nil, nil // every pull request of this page was last updated before the window
		}
		return resp, nil
	})
	if err != nil {
		return err
	}
	for _, pr := range merged {
		if err := c.emitPullRequest(ctx, r, pr, listCalls.Refs(), out); err != nil {
			return err
		}
	}
	if truncated {
		out.FailScope(full, fmt.Errorf("%s has more than %d pull requests merged since %s: the %d most recently updated were read; "+
			"raise max_pull_requests or shorten lookback", full, c.s.maxPulls, since.UTC().Format(time.RFC3339), c.s.maxPulls))
	}
	return nil
}

func (c *conn) emitPullRequest(ctx context.Context, r *gh.Repository, listed *gh.PullRequest, listCalls []connector.CallRef, out connector.Emitter) error {
	tctx, calls := connector.Track(ctx)
	n := listed.GetNumber()
	pr, _, err := c.gh.PullRequests.Get(tctx, c.owner(), r.GetName(), n)
	if err != nil {
		return err
	}
	var reviews []*gh.PullRequestReview
	err = paginate(func(page int) (*gh.Response, error) {
		rs, resp, err := c.gh.PullRequests.ListReviews(tctx, c.owner(), r.GetName(), n, &gh.ListOptions{PerPage: perPage, Page: page})
		reviews = append(reviews, rs...)
		return resp, err
	})
	if err != nil {
		return err
	}
	author := pr.GetUser().GetLogin()
	head := pr.GetHead().GetSHA()
	mergedAt := pr.GetMergedAt()
	f := connector.NewFacts()
	f.Set("repository", r.GetFullName(), "")
	f.Set("number", n, "")
	f.Set("title", pr.GetTitle(), "")
	f.Set("html_url", pr.GetHTMLURL(), "")
	f.Set("author", author, "")
	f.Set("base_branch", pr.GetBase().GetRef(), "")
	f.Set("into_default_branch", pr.GetBase().GetRef() == r.GetDefaultBranch(), "")
	f.Set("head_sha", head, "")
	f.Set("merge_commit_sha", pr.GetMergeCommitSHA(), "")
	f.Set("created_at", rfc3339(pr.CreatedAt), "")
	f.Set("merged_at", rfc3339(pr.MergedAt), "")
	if pr.MergedBy != nil && pr.MergedBy.GetLogin() != "" {
		f.Set("merged_by", pr.MergedBy.GetLogin(), "GET /repos/{owner}/{repo}/pulls/{number}")
		f.Set("self_merged", pr.MergedBy.GetLogin() == author, "")
	} else {
		why := "GitHub does not say who merged it (the account may have been deleted)"
		f.Unknown("merged_by", why)
		f.Unknown("self_merged", why)
	}
	// The latest decisive review of each reviewer before the merge counts:
	// a later change request or a dismissal undoes an approval.
	latest := map[string]*gh.PullRequestReview{}
	var order []string
	items := []any{}
	for _, rv := range reviews {
		state := rv.GetState()
		if state == "PENDING" || rv.SubmittedAt == nil {
			continue
		}
		who := rv.GetUser().GetLogin()
		before := !rv.SubmittedAt.After(mergedAt.Time)
		items = append(items, map[string]any{"reviewer": who, "state": state, "submitted_at": rfc3339(rv.SubmittedAt),
			"commit_id": rv.GetCommitID(), "before_merge": before, "on_final_commit": rv.GetCommitID() == head})
		if !before || state == "COMMENTED" || who == "" {
			continue
		}
		if _, ok := latest[who]; !ok {
			order = append(order, who)
		}
		latest[who] = rv
	}
	approvers := []string{}
	final := false
	for _, who := range order {
		rv := latest[who]
		if rv.GetState() != "APPROVED" || who == author {
			continue
		}
		approvers = append(approvers, who)
		final = final || rv.GetCommitID() == head
	}
	const src = "GET /repos/{owner}/{repo}/pulls/{number}/reviews"
	f.Set("reviews", items, src)
	f.Set("approvers", approvers, src)
	f.Set("approval_count", len(approvers), src)
	f.Set("approved", len(approvers) > 0, src)
	f.Set("approved_after_last_commit", final, "an approving review's commit_id is head_sha")
	return emit(ctx, out, strconv.FormatInt(pr.GetID(), 10), fmt.Sprintf("%s#%d", r.GetFullName(), n), r.GetFullName(), f, listCalls, calls.Refs())
}
