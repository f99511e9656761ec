package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

func newControlsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "controls", Short: "The organization's controls: adopt from the library, add, edit, list"}
	cmd.AddCommand(newControlsListCmd(e), newControlsShowCmd(e), newControlsAdoptCmd(e), newControlsAddCmd(e),
		newControlsEditCmd(e), newControlsLibraryCmd(e), newControlsUpgradeCmd(e))
	return cmd
}

func newControlsListCmd(e *env) *cobra.Command {
	var asJSON bool
	var status, owner string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's controls",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				cs, err := a.Catalog.Controls(ctx, p)
				if err != nil {
					return err
				}
				var out []model.Control
				for _, c := range cs {
					if (status == "" || string(c.Status) == status) && (owner == "" || strings.Contains(strings.ToLower(c.Owner), strings.ToLower(owner))) {
						out = append(out, c)
					}
				}
				if asJSON {
					return printJSON(e.stdout, catalog.Views(out))
				}
				if len(out) == 0 {
					fmt.Fprintln(e.stdout, "No controls yet: adopt the library with `assure controls adopt --all` or add your own with `assure controls add`.")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "KEY\tSTATUS\tFREQUENCY\tNATURE\tOWNER\tCRITERIA\tTITLE")
				for _, c := range out {
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Key, c.Status, c.Frequency.Label(), c.Nature.Label(), c.Owner, strings.Join(c.CriterionIDs(), " "), c.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&status, "status", "", "only controls with this status: planned, implemented or retired")
	cmd.Flags().StringVar(&owner, "owner", "", "only controls whose owner contains this text")
	return cmd
}

func newControlsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show KEY",
		Short: "Show a control with its mappings and rationales",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				c, err := a.Catalog.Control(ctx, p, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, catalog.View(c))
				}
				printControl(e, c)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printControl(e *env, c model.Control) {
	w := e.stdout
	fmt.Fprintf(w, "%s  %s\n\n%s\n\n", c.Key, c.Title, c.Description)
	t := newTable(w)
	fmt.Fprintf(t, "Status\t%s\n", c.Status)
	fmt.Fprintf(t, "Owner\t%s\n", c.Owner)
	fmt.Fprintf(t, "Frequency\t%s\n", c.Frequency.Label())
	fmt.Fprintf(t, "Nature\t%s\n", c.Nature.Label())
	if c.LibraryKey != "" {
		edited := "none"
		if len(c.Edited) > 0 {
			var s []string
			for _, f := range c.Edited {
				s = append(s, string(f))
			}
			edited = strings.Join(s, ", ")
		}
		fmt.Fprintf(t, "Library\t%s (version %s); edited: %s\n", c.LibraryKey, c.LibraryVersion, edited)
	} else {
		fmt.Fprintf(t, "Library\tnone (the organization's own control)\n")
	}
	t.Flush()
	fmt.Fprintln(w, "\nCriteria:")
	for _, m := range c.Criteria {
		fmt.Fprintf(w, "  %-6s %s\n", m.CriterionID, m.Rationale)
	}
	if len(c.Objectives) > 0 {
		fmt.Fprintln(w, "\nSOC 1 objectives:")
		for _, m := range c.Objectives {
			fmt.Fprintf(w, "  %-10s %s\n", m.ObjectiveKey, m.Rationale)
		}
	}
	if len(c.Evidence) > 0 {
		fmt.Fprintln(w, "\nEvidence an auditor asks for:")
		for _, ev := range c.Evidence {
			fmt.Fprintf(w, "  - %s\n", ev)
		}
	}
}

func newControlsAdoptCmd(e *env) *cobra.Command {
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "adopt [--all | KEY…]",
		Short: "Adopt controls from the library (keys the organization already has are skipped)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageError{fmt.Errorf("give library keys (assure controls adopt IAM-01 CHG-02) or --all, not both or neither")}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				res, err := a.Catalog.Adopt(ctx, p, args, all)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, res)
				}
				fmt.Fprintf(e.stdout, "Adopted %d controls from library version %s.\n", len(res.Adopted), a.Catalog.Catalog().Library.Version)
				if len(res.Skipped) > 0 {
					fmt.Fprintf(e.stdout, "Skipped %d the organization already has: %s\n", len(res.Skipped), strings.Join(res.Skipped, " "))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "adopt the whole library")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// controlFlags are the flags add and edit share.
type controlFlags struct {
	title, description, owner, frequency, nature, status string
	evidence, criteria, objectives                       []string
}

func (f *controlFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.title, "title", "", "short title")
	cmd.Flags().StringVar(&f.description, "description", "", "what the organization does")
	cmd.Flags().StringVar(&f.owner, "owner", "", "who owns the control (a person or a role)")
	cmd.Flags().StringVar(&f.frequency, "frequency", "", "continuous, daily, weekly, monthly, quarterly, semi_annual, annual or event_driven")
	cmd.Flags().StringVar(&f.nature, "nature", "", "automated, manual or it_dependent_manual")
	cmd.Flags().StringVar(&f.status, "status", "", "planned, implemented or retired")
	cmd.Flags().StringArrayVar(&f.evidence, "evidence", nil, "what an auditor asks for (repeat the flag)")
	cmd.Flags().StringArrayVar(&f.criteria, "criterion", nil, `a SOC 2 mapping as ID="rationale" (repeat the flag), e.g. --criterion CC6.1="MFA restricts access"`)
	cmd.Flags().StringArrayVar(&f.objectives, "objective", nil, `a SOC 1 mapping as KEY="rationale" (repeat the flag)`)
}

func parsePairs(flag string, in []string) ([][2]string, error) {
	var out [][2]string
	for _, s := range in {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageError{fmt.Errorf("--%s %q: write it as ID=\"one-line rationale\"", flag, s)}
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out, nil
}

func (f *controlFlags) mappings() ([]model.CriterionMapping, []model.ObjectiveMapping, error) {
	cs, err := parsePairs("criterion", f.criteria)
	if err != nil {
		return nil, nil, err
	}
	os, err := parsePairs("objective", f.objectives)
	if err != nil {
		return nil, nil, err
	}
	crit := []model.CriterionMapping{}
	for _, p := range cs {
		crit = append(crit, model.CriterionMapping{CriterionID: p[0], Rationale: p[1]})
	}
	obj := []model.ObjectiveMapping{}
	for _, p := range os {
		obj = append(obj, model.ObjectiveMapping{ObjectiveKey: p[0], Rationale: p[1]})
	}
	return crit, obj, nil
}

func newControlsAddCmd(e *env) *cobra.Command {
	var f controlFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add KEY --title TITLE --frequency F --nature N --criterion ID=\"rationale\"…",
		Short: "Add one of the organization's own controls",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			crit, obj, err := f.mappings()
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				c, err := a.Catalog.AddControl(ctx, p, catalog.ControlInput{Key: args[0], Title: f.title, Description: f.description,
					Owner: f.owner, Frequency: model.Frequency(f.frequency), Nature: model.Nature(f.nature), Status: model.ControlStatus(f.status),
					Evidence: f.evidence, Criteria: crit, Objectives: obj})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, catalog.View(c))
				}
				fmt.Fprintf(e.stdout, "Added control %s.\n", c.Key)
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newControlsEditCmd(e *env) *cobra.Command {
	var f controlFlags
	var reset []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "edit KEY [--title …] [--criterion ID=\"rationale\"…] [--reset FIELD…]",
		Short: "Edit a control (edits to adopted controls survive library upgrades)",
		Long: "Edit a control. Only the flags given change; --criterion, --objective and --evidence replace the whole list.\n" +
			"On a control adopted from the library, every changed field is marked edited and a newer library version never\n" +
			"overwrites it. --reset FIELD (title, description, owner, frequency, nature, evidence, mappings) takes the\n" +
			"library's current text back and clears the mark.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var patch catalog.ControlPatch
			fl := cmd.Flags()
			str := func(name string, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			patch.Title, patch.Description, patch.Owner = str("title", f.title), str("description", f.description), str("owner", f.owner)
			if fl.Changed("frequency") {
				v := model.Frequency(f.frequency)
				patch.Frequency = &v
			}
			if fl.Changed("nature") {
				v := model.Nature(f.nature)
				patch.Nature = &v
			}
			if fl.Changed("status") {
				v := model.ControlStatus(f.status)
				patch.Status = &v
			}
			if fl.Changed("evidence") {
				patch.Evidence = &f.evidence
			}
			crit, obj, err := f.mappings()
			if err != nil {
				return err
			}
			if fl.Changed("criterion") {
				patch.Criteria = &crit
			}
			if fl.Changed("objective") {
				patch.Objectives = &obj
			}
			for _, r := range reset {
				patch.Reset = append(patch.Reset, model.ControlField(r))
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				c, err := a.Catalog.EditControl(ctx, p, args[0], patch)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, catalog.View(c))
				}
				fmt.Fprintf(e.stdout, "Saved control %s.\n", c.Key)
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringSliceVar(&reset, "reset", nil, "take the library's text for these fields")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newControlsLibraryCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "library",
		Short: "List the built-in control library",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, _, err := e.openOrg(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			lib := a.Catalog.Catalog().Library
			if asJSON {
				return printJSON(e.stdout, lib)
			}
			fmt.Fprintf(e.stdout, "Control library version %s: %d controls (see docs/controls.md)\n\n", lib.Version, len(lib.Controls))
			t := newTable(e.stdout)
			fmt.Fprintln(t, "KEY\tFREQUENCY\tNATURE\tCRITERIA\tTITLE")
			for _, c := range lib.Controls {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", c.Key, c.Frequency.Label(), c.Nature.Label(), strings.Join(c.CriterionIDs(), " "), c.Title)
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newControlsUpgradeCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Bring adopted controls to this binary's library version (edited fields are kept and listed for review)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				rep, err := a.Catalog.UpgradeLibrary(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, rep)
				}
				fmt.Fprintf(e.stdout, "Library version %s: %d controls updated.\n", rep.LibraryVersion, len(rep.Updated))
				for _, u := range rep.Updated {
					var fs []string
					for _, f := range u.Fields {
						fs = append(fs, string(f))
					}
					fmt.Fprintf(e.stdout, "  %s (from %s): %s\n", u.Key, u.FromVersion, strings.Join(fs, ", "))
				}
				if len(rep.Review) > 0 {
					fmt.Fprintf(e.stdout, "\nYour edits were kept where the library also changed (take the library's text with `assure controls edit KEY --reset FIELD`):\n")
					for _, r := range rep.Review {
						fmt.Fprintf(e.stdout, "  %s %s\n    yours:   %s\n    library: %s\n", r.Key, r.Field, oneLineText(r.Yours), oneLineText(r.Library))
					}
				}
				if len(rep.Removed) > 0 {
					fmt.Fprintf(e.stdout, "\nNo longer in the library (left as they are): %s\n", strings.Join(rep.Removed, " "))
				}
				if len(rep.Available) > 0 {
					fmt.Fprintf(e.stdout, "\n%d library controls not adopted yet (assure controls adopt KEY…).\n", len(rep.Available))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func oneLineText(s string) string { return strings.ReplaceAll(s, "\n", " · ") }
