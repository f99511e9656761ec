package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
)

// ScanOutput is what `assure scan --json` prints: one entry per integration
// collected, in the order they ran, then the results of the tests evaluated
// right after each run (failing first) and their summary.
type ScanOutput struct {
	Runs    []ScanRun      `json:"runs"`
	Results []check.Result `json:"results"`
	Summary check.Summary  `json:"summary"`
	// Notifications says what was sent through the notification channels
	// after the scan (absent when the organization has none).
	Notifications *monitor.DispatchResult `json:"notifications,omitempty"`
}

// ScanRun is one integration's run with the integration's resources as they
// stand after it (present ones; on a failed run, those collected before).
// A run that could not start has no id and says why in error.
type ScanRun struct {
	collect.RunView
	Resources []model.Resource `json:"resources"`
}

func newScanCmd(e *env) *cobra.Command {
	var names []string
	var asJSON bool
	var failOn string
	cmd := &cobra.Command{
		Use:   "scan [--integration NAME]... [--json] [--fail-on SEVERITY]",
		Short: "Collect integrations now (all enabled ones, or those named), evaluate the tests, and print runs and results",
		Long: "Collect now: every enabled integration, or only those named with --integration, one after the other,\n" +
			"and evaluate the tests on what each run collected right after it.\n" +
			"Prints each run with its status and counts per resource type, then what failed; --json also prints every\n" +
			"resource and every test result. Exit code 1 when a run failed or could not start, or (with --fail-on)\n" +
			"when a result fails at that severity or above and no exception accepts it; partial runs exit 0.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			min, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				var targets []collect.IntegrationView
				if len(names) == 0 {
					all, err := a.Collect.Integrations(ctx, p)
					if err != nil {
						return err
					}
					for _, in := range all {
						if in.Enabled {
							targets = append(targets, in)
						}
					}
					if len(targets) == 0 {
						return errors.New("no enabled integration to scan: add one, e.g. `assure integrations add --connector host --name this-host`")
					}
				} else {
					for _, n := range names {
						in, err := a.Collect.IntegrationByName(ctx, p, n)
						if err != nil {
							return err
						}
						targets = append(targets, in)
					}
				}
				out := ScanOutput{Runs: []ScanRun{}, Results: []check.Result{}}
				var failed []string
				merged := map[string]int{} // test + resource id → index in out.Results
				changes := 0
				for _, in := range targets {
					rv, err := a.Collect.Run(ctx, p, in.ID, model.TriggerCLI)
					if err != nil {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						failed = append(failed, in.Name)
						out.Runs = append(out.Runs, ScanRun{RunView: collect.RunView{
							Run:         model.Run{IntegrationID: in.ID, Status: model.RunFailed, Error: err.Error()},
							Integration: collect.RunIntegration{ID: in.ID, Name: in.Name, Connector: in.Connector},
							Listings:    []model.Listing{},
						}, Resources: []model.Resource{}})
						if !asJSON {
							fmt.Fprintf(e.stdout, "%s (%s): could not start: %v\n", in.Name, in.Connector, err)
						}
						continue
					}
					if rv.Status == model.RunFailed {
						failed = append(failed, in.Name)
					}
					ev, err := a.Checks.EvaluateRunFull(ctx, p.Org.ID, rv.ID)
					if err != nil {
						return fmt.Errorf("cannot evaluate the tests after run %d: %w", rv.ID, err)
					}
					changes += ev.Summary.Changes
					for _, r := range ev.Results {
						k := fmt.Sprintf("%s\x00%d", r.Test, r.ResourceID)
						if i, ok := merged[k]; ok {
							out.Results[i] = r // judged again after a later run: the later result stands
							continue
						}
						merged[k] = len(out.Results)
						out.Results = append(out.Results, r)
					}
					sr := ScanRun{RunView: rv, Resources: []model.Resource{}}
					if asJSON {
						page, err := a.Collect.Resources(ctx, p, collect.ResourceQuery{IntegrationID: in.ID, Limit: -1})
						if err != nil {
							return err
						}
						sr.Resources = page.Resources
					} else {
						printScanRun(e, rv)
					}
					out.Runs = append(out.Runs, sr)
				}
				check.SortResults(out.Results)
				tests := 0
				if eng, err := a.Checks.Engine(ctx, p.Org.ID); err == nil {
					tests = len(eng.Tests())
				}
				out.Summary = check.Summarize(out.Results, tests)
				out.Summary.Changes = changes
				out.Notifications = notifyAfterScan(ctx, e, a, p, asJSON)
				if asJSON {
					if err := printJSON(e.stdout, out); err != nil {
						return err
					}
				} else {
					printResults(e.stdout, out.Results, out.Summary)
				}
				if len(failed) > 0 {
					return fmt.Errorf("collection failed for %s (see the runs above, or `assure runs show ID`)", strings.Join(failed, ", "))
				}
				return failOnError(out.Results, min)
			})
		},
	}
	cmd.Flags().StringArrayVar(&names, "integration", nil, "collect only this integration (repeatable)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a test result fails at this severity or above (low, medium, high, critical)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: the runs, the resources of each integration, the test results and their summary")
	return cmd
}

func printScanRun(e *env, rv collect.RunView) {
	w := e.stdout
	fmt.Fprintf(w, "%s (%s): %s — run %d, %d resources (%d added, %d changed, %d removed), %d calls\n",
		rv.Integration.Name, rv.Integration.Connector, rv.Status, rv.ID, rv.Resources, rv.Added, rv.Changed, rv.Removed, rv.Calls)
	if len(rv.Listings) == 0 && rv.Error != "" {
		fmt.Fprintf(w, "  %s\n", rv.Error)
	}
	for _, l := range rv.Listings {
		line := fmt.Sprintf("  %-28s %-9s %4d", l.ResourceType, l.Status, l.Resources)
		if l.Error != "" {
			line += "  " + l.Error
		}
		fmt.Fprintln(w, line)
	}
}
