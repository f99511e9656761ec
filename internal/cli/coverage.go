package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
	"strings"

	"github.com/spf13/cobra"
)

func newCoverageCmd(e *env) *cobra.Command {
	var fwName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "coverage [--framework soc2|soc1]",
		Short: "Gap analysis: criteria or objectives without controls, controls without tests or evidence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				cov, err := a.Catalog.Coverage(ctx, p, fw)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, cov)
				}
				w, s := e.stdout, cov.Summary
				what := "criteria"
				if fw == "soc1" {
					what = "objectives"
				}
				fmt.Fprintf(w, "%s coverage: %d %s in scope, %d covered, %d not covered, %d not relevant; %d controls, %d without tests or evidence.\n",
					"SOC "+strings.TrimPrefix(string(fw), "soc"), s.InScope, what, s.Covered, s.Uncovered, s.NotRelevant, s.Controls, s.Unproven)
				if len(cov.Uncovered) > 0 {
					fmt.Fprintf(w, "\nNot covered by any active control:\n")
					t := newTable(w)
					for _, it := range cov.Uncovered {
						fmt.Fprintf(t, "  %s\t%s\n", it.ID, it.Title)
					}
					t.Flush()
				}
				if len(cov.NotRelevant) > 0 {
					fmt.Fprintf(w, "\nNot relevant:\n")
					for _, n := range cov.NotRelevant {
						fmt.Fprintf(w, "  %s: %s\n", n.Criterion, n.Reason)
					}
				}
				if len(cov.Unproven) > 0 {
					fmt.Fprintf(w, "\nControls with neither a test nor evidence yet:\n")
					var keys []string
					for _, c := range cov.Unproven {
						keys = append(keys, c.Key)
					}
					fmt.Fprintf(w, "  %s\n", strings.Join(keys, " "))
				}
				if len(cov.Unmapped) > 0 {
					fmt.Fprintf(w, "\nActive controls mapped to nothing in this scope: %s\n", strings.Join(cov.Unmapped, " "))
				}
				return nil
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
