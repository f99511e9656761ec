package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/model"
)

func newFrameworksCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "frameworks", Short: "SOC 2 criteria and SOC 1 objectives, with the organization's scope"}
	cmd.AddCommand(newFrameworksListCmd(e), newFrameworksShowCmd(e))
	return cmd
}

func newFrameworksListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the frameworks and what is in scope",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				fws, err := a.Catalog.Frameworks(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, fws)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tVERSION\tIN SCOPE\tTITLE")
				for _, f := range fws {
					scope := fmt.Sprintf("%d criteria (%s)", f.InScope, joinCats(f.Categories))
					if f.ID == model.SOC1 {
						scope = fmt.Sprintf("%d objectives (%d templates)", f.InScope, f.Templates)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", f.ID, f.Version, scope, f.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func joinCats(cs []model.Category) string {
	var s []string
	for _, c := range cs {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

func newFrameworksShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a framework: every SOC 2 criterion (soc2) or the organization's objectives (soc1)",
		Long: "Show a framework. soc2 lists all 61 criteria with category, group, description, the points of focus that\n" +
			"apply to the organization's categories, whether each is in scope and which controls cover it.\n" +
			"soc1 lists the organization's control objectives and the templates they can start from.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fw, err := model.ParseFramework(args[0])
			if err != nil {
				return usageError{err}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if fw == model.SOC1 {
					v, err := a.Catalog.SOC1(ctx, p)
					if err != nil {
						return err
					}
					if asJSON {
						return printJSON(e.stdout, v)
					}
					fmt.Fprintf(e.stdout, "%s (templates version %s)\n\n", v.Title, v.Version)
					if len(v.Objectives) == 0 {
						fmt.Fprintln(e.stdout, "No objectives yet: start from a template with `assure objectives add --template KEY` (see `assure objectives templates`).")
						return nil
					}
					t := newTable(e.stdout)
					fmt.Fprintln(t, "KEY\tKIND\tFAMILY\tTITLE\tCONTROLS\tSTATE")
					for _, o := range v.Objectives {
						state := "active"
						if o.RetiredAt != nil {
							state = "retired"
						} else if o.NotRelevant != "" {
							state = "not relevant"
						}
						fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Key, o.Kind, o.Family, o.Title, strings.Join(o.Controls, " "), state)
					}
					return t.Flush()
				}
				v, err := a.Catalog.SOC2(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, v)
				}
				fmt.Fprintf(e.stdout, "%s (version %s)\n", v.Title, v.Version)
				var in []string
				for _, c := range v.Categories {
					if c.InScope {
						in = append(in, c.Name)
					}
				}
				fmt.Fprintf(e.stdout, "In scope: %s\n\n", strings.Join(in, ", "))
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tCATEGORY\tSCOPE\tCONTROLS\tTITLE")
				for _, c := range v.Criteria {
					scope := "out"
					switch {
					case c.NotRelevant != "":
						scope = "not relevant"
					case c.InScope:
						scope = "in"
					}
					ctl := strings.Join(c.Controls, " ")
					if ctl == "" && c.InScope && c.NotRelevant == "" {
						ctl = "— none —"
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Category, scope, ctl, c.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
