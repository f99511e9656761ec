package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

func newObjectivesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "objectives", Short: "The organization's SOC 1 control objectives: list, add (from a template or your own), edit, retire"}
	cmd.AddCommand(newObjectivesListCmd(e), newObjectivesTemplatesCmd(e), newObjectivesAddCmd(e), newObjectivesEditCmd(e), newObjectivesRetireCmd(e))
	return cmd
}

func newObjectivesListCmd(e *env) *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's objectives (--all includes retired ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				obs, err := a.Catalog.Objectives(ctx, p, all)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, obs)
				}
				if len(obs) == 0 {
					fmt.Fprintln(e.stdout, "No objectives yet: start from a template with `assure objectives add --template KEY` (see `assure objectives templates`).")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "KEY\tKIND\tFAMILY\tSTATE\tTITLE")
				for _, o := range obs {
					state := "active"
					if o.RetiredAt != nil {
						state = "retired " + o.RetiredAt.Format("2006-01-02")
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", o.Key, o.Kind, o.Family, state, o.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include retired objectives")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newObjectivesTemplatesCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "List the SOC 1 objective templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, _, err := e.openOrg(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			lib := a.Catalog.Catalog().Objectives
			if asJSON {
				return printJSON(e.stdout, lib)
			}
			t := newTable(e.stdout)
			fmt.Fprintln(t, "KEY\tKIND\tFAMILY\tTITLE")
			for _, o := range lib.Objectives {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", o.Key, o.Kind, o.Family, o.Title)
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type objectiveFlags struct{ kind, family, title, objective, description string }

func (f *objectiveFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kind, "kind", "", "itgc or business_process")
	cmd.Flags().StringVar(&f.family, "family", "", "e.g. logical_access, change_management, payroll, billing_receivables")
	cmd.Flags().StringVar(&f.title, "title", "", "short title")
	cmd.Flags().StringVar(&f.objective, "objective", "", `the objective, usually "Controls provide reasonable assurance that …"`)
	cmd.Flags().StringVar(&f.description, "description", "", "what is in scope")
}

func newObjectivesAddCmd(e *env) *cobra.Command {
	var f objectiveFlags
	var key, template string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add [--template KEY] [--key KEY] [--title …] [--objective …]",
		Short: "Add an objective, from a template or written from scratch",
		Long: "Add a SOC 1 control objective. With --template the template's text is the starting point (and the key, unless\n" +
			"--key gives another); other flags override it. Adopted library controls that support the template are mapped to it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				ob, err := a.Catalog.AddObjective(ctx, p, catalog.ObjectiveInput{Key: key, Template: template, Kind: model.ObjectiveKind(f.kind),
					Family: f.family, Title: f.title, Objective: f.objective, Description: f.description})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, ob)
				}
				fmt.Fprintf(e.stdout, "Added objective %s: %s\n", ob.Key, ob.Title)
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&key, "key", "", "the objective's key (default: the template's)")
	cmd.Flags().StringVar(&template, "template", "", "start from this template (see `assure objectives templates`)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newObjectivesEditCmd(e *env) *cobra.Command {
	var f objectiveFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit KEY [--title …] [--objective …]",
		Short: "Edit an active objective",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			str := func(name, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			patch := catalog.ObjectivePatch{Family: str("family", f.family), Title: str("title", f.title),
				Objective: str("objective", f.objective), Description: str("description", f.description)}
			if fl.Changed("kind") {
				k := model.ObjectiveKind(f.kind)
				patch.Kind = &k
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				ob, err := a.Catalog.EditObjective(ctx, p, args[0], patch)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, ob)
				}
				fmt.Fprintf(e.stdout, "Saved objective %s.\n", ob.Key)
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newObjectivesRetireCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retire KEY",
		Short: "Retire an objective (it stays for the record)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if _, err := a.Catalog.RetireObjective(ctx, p, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Objective %s retired; it stays in the record and leaves the scope.\n", args[0])
				return nil
			})
		},
	}
	return cmd
}
