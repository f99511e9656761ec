package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

func newScopeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scope",
		Short: "What a report covers: categories, system description, subservice organizations, CUECs, criteria not relevant",
		Long: "The scope of each framework (--framework soc2 or soc1): the SOC 2 categories, the system description elements\n" +
			"(DC 200), subservice organizations with their CSOCs, CUECs and the criteria marked not relevant with a reason.\n" +
			"Edit categories and not-relevant marks with the subcommands; edit everything with export, then import.",
	}
	cmd.AddCommand(newScopeShowCmd(e), newScopeSetCmd(e), newScopeNotRelevantCmd(e), newScopeRelevantCmd(e),
		newScopeExportCmd(e), newScopeImportCmd(e), newScopeRecommendCmd(e))
	return cmd
}

func frameworkFlag(cmd *cobra.Command, fw *string) {
	cmd.Flags().StringVar(fw, "framework", "soc2", "soc2 or soc1")
}

func parseFW(s string) (model.Framework, error) {
	fw, err := model.ParseFramework(s)
	if err != nil {
		return "", usageError{err}
	}
	return fw, nil
}

func newScopeShowCmd(e *env) *cobra.Command {
	var fwName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the scope of a framework",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				sc, err := a.Catalog.Scope(ctx, p, fw)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, sc)
				}
				printScope(e.stdout, sc)
				return nil
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printScope(w io.Writer, sc model.Scope) {
	dash := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	}
	fmt.Fprintf(w, "Scope of %s\n", sc.Framework)
	if sc.Framework == model.SOC2 {
		fmt.Fprintf(w, "Categories: %s\n", joinCats(sc.Categories))
	}
	fmt.Fprintf(w, "Services: %s\nBoundary: %s\n", dash(sc.System.Services), dash(sc.System.Boundary))
	list := func(title string, items []string) {
		fmt.Fprintf(w, "%s: %d\n", title, len(items))
		for _, it := range items {
			fmt.Fprintf(w, "  - %s\n", it)
		}
	}
	list("Commitments", sc.System.Commitments)
	list("System requirements", sc.System.SystemRequirements)
	var subs, cuecs, nr []string
	for _, so := range sc.Subservice {
		subs = append(subs, fmt.Sprintf("%s (%s, %d CSOCs): %s", so.Name, so.Method, len(so.CSOCs), so.Services))
	}
	for _, c := range sc.CUECs {
		cuecs = append(cuecs, fmt.Sprintf("%s [%s]", c.Control, strings.Join(c.Criteria, " ")))
	}
	for _, n := range sc.NotRelevant {
		nr = append(nr, n.Criterion+": "+n.Reason)
	}
	list("Subservice organizations", subs)
	list("CUECs", cuecs)
	list("Not relevant", nr)
	fmt.Fprintf(w, "Incidents: %d, significant changes: %d\n", len(sc.System.Incidents), len(sc.System.Changes))
	if sc.UpdatedAt != nil {
		fmt.Fprintf(w, "Last changed %s by %s\n", sc.UpdatedAt.Format("2006-01-02 15:04 MST"), sc.UpdatedBy)
	}
}

func newScopeSetCmd(e *env) *cobra.Command {
	var cats []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "set --categories security,availability,…",
		Short: "Set the SOC 2 categories in scope (Security is always in scope)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("categories") {
				return usageError{fmt.Errorf("give --categories, e.g. --categories security,availability,confidentiality")}
			}
			var cs []model.Category
			for _, c := range cats {
				cs = append(cs, model.Category(strings.TrimSpace(c)))
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				sc, err := a.Catalog.SetCategories(ctx, p, cs)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, sc)
				}
				fmt.Fprintf(e.stdout, "SOC 2 categories in scope: %s\n", joinCats(sc.Categories))
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&cats, "categories", nil, "security, availability, processing_integrity, confidentiality, privacy")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newScopeNotRelevantCmd(e *env) *cobra.Command {
	var fwName, reason string
	cmd := &cobra.Command{
		Use:   "not-relevant ID --reason TEXT",
		Short: "Mark a criterion (soc2) or objective (soc1) not relevant to the system, with the reason",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if _, err := a.Catalog.MarkNotRelevant(ctx, p, fw, args[0], reason); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s marked not relevant: %s\n", args[0], strings.TrimSpace(reason))
				return nil
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	cmd.Flags().StringVar(&reason, "reason", "", "why it does not apply to the system (required)")
	return cmd
}

func newScopeRelevantCmd(e *env) *cobra.Command {
	var fwName string
	cmd := &cobra.Command{
		Use:   "relevant ID",
		Short: "Remove a not-relevant mark",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if _, err := a.Catalog.MarkRelevant(ctx, p, fw, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s is relevant again.\n", args[0])
				return nil
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	return cmd
}

func newScopeExportCmd(e *env) *cobra.Command {
	var fwName string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the scope as a YAML file to edit and import",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				b, err := a.Catalog.ExportScope(ctx, p, fw)
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(b)
				return err
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	return cmd
}

func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(e.stdin, 4<<20))
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return b, nil
}

func newScopeImportCmd(e *env) *cobra.Command {
	var fwName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Replace the scope with a YAML file (from export; - reads standard input)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fw, err := parseFW(fwName)
			if err != nil {
				return err
			}
			b, err := readInput(e, args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				sc, err := a.Catalog.ImportScope(ctx, p, fw, b)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, sc)
				}
				fmt.Fprintln(e.stdout, "Scope imported.")
				printScope(e.stdout, sc)
				return nil
			})
		},
	}
	frameworkFlag(cmd, &fwName)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newScopeRecommendCmd(e *env) *cobra.Command {
	var answers string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "recommend --answers FILE",
		Short: "Which report (SOC 1/2, Type 1/2, categories) and why, from an answers file",
		Long:  "Recommend reports from an answers file (YAML or JSON; - reads standard input). The keys are documented in docs/scoping.md.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if answers == "" {
				return usageError{fmt.Errorf("give --answers FILE (see docs/scoping.md for its keys)")}
			}
			b, err := readInput(e, answers)
			if err != nil {
				return err
			}
			in, err := catalog.ParseAnswers(b)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, _, err := e.openOrg(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			rec, err := a.Catalog.Catalog().Scoping.Recommend(in, a.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, rec)
			}
			for _, r := range rec.Reports {
				when := "Now"
				if r.Timing == "next" {
					when = "Then"
				}
				title := fmt.Sprintf("%s: SOC %s Type %d", when, strings.TrimPrefix(string(r.Framework), "soc"), r.Type)
				if len(r.Categories) > 0 {
					title += " — " + joinCats(r.Categories)
				}
				fmt.Fprintln(e.stdout, title)
				for _, why := range r.Reasons {
					fmt.Fprintf(e.stdout, "  • %s\n", why)
				}
				fmt.Fprintln(e.stdout)
			}
			for _, n := range rec.Notes {
				fmt.Fprintf(e.stdout, "Note: %s\n", n)
			}
			if len(rec.NextSteps) > 0 {
				fmt.Fprintln(e.stdout, "Next steps:")
				for _, s := range rec.NextSteps {
					fmt.Fprintf(e.stdout, "  %s\n", s)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&answers, "answers", "", "the answers file (YAML or JSON)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
