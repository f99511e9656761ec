package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/model"
)

// newAuditCmd is `assure audit`: audits and everything in them. Further
// subcommands (exports) are added to the list here.
func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Type 1 and Type 2 audits: populations, samples, requests, point-in-time views"}
	cmd.AddCommand(newAuditCreateCmd(e), newAuditListCmd(e), newAuditShowCmd(e), newAuditControlCmd(e), newAuditUpdateCmd(e),
		newAuditInviteCmd(e), newAuditUninviteCmd(e), newAuditSamplingCmd(e), newAuditPopulationCmd(e), newAuditSampleCmd(e),
		newAuditSamplesCmd(e), newAuditResultCmd(e), newAuditRequestCmd(e), newAuditCommentCmd(e), newAuditAsOfCmd(e),
		newAuditExportCmd(e))
	return cmd
}

func argID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%s %q is not a number (see `assure audit list`)", what, s)}
	}
	return id, nil
}

func fwLabel(f model.Framework) string {
	if f == model.SOC1 {
		return "SOC 1"
	}
	return "SOC 2"
}

func newAuditCreateCmd(e *env) *cobra.Command {
	var in audit.CreateInput
	var framework, typ string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --framework soc2|soc1 (--type 1 --as-of DATE | --type 2 --from DATE --to DATE) [--name N] [--firm F] [--json]",
		Short: "Open an audit: freezes the scope and the control set",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := model.ParseAuditType(typ)
			if err != nil {
				return usageError{err}
			}
			in.Framework, in.Type = model.Framework(framework), t
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				c, err := a.Audits.Create(ctx, p, in)
				if err != nil {
					return err
				}
				for _, w := range c.Warnings {
					fmt.Fprintf(e.stderr, "warning: %s\n", w)
				}
				if asJSON {
					return printJSON(e.stdout, c)
				}
				fmt.Fprintf(e.stdout, "Audit %d opened: %s %s %s, %d controls frozen with the scope.\n", c.ID, fwLabel(c.Framework), c.Type, c.PeriodLabel(), len(c.Controls))
				fmt.Fprintf(e.stdout, "Invite the auditor with: assure audit invite %d EMAIL\n", c.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&framework, "framework", "soc2", "soc2 or soc1")
	cmd.Flags().StringVar(&typ, "type", "", "1 (design as of a date) or 2 (operation over a period)")
	cmd.Flags().StringVar(&in.AsOf, "as-of", "", "Type 1: the day, YYYY-MM-DD")
	cmd.Flags().StringVar(&in.From, "from", "", "Type 2: the first day of the period, YYYY-MM-DD")
	cmd.Flags().StringVar(&in.To, "to", "", "Type 2: the last day of the period (included), YYYY-MM-DD")
	cmd.Flags().StringVar(&in.Name, "name", "", "a name (default: framework, type and period)")
	cmd.Flags().StringVar(&in.Firm, "firm", "", "the audit firm")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with the audit's id)")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

func newAuditListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the audits, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Audits.List(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No audits yet: open one with `assure audit create`.")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tNAME\tFRAMEWORK\tTYPE\tDATE OR PERIOD\tSTATUS\tCONTROLS\tMEMBERS")
				for _, x := range list {
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", x.ID, x.Name, fwLabel(x.Framework), x.Type, x.PeriodLabel(), x.Status, len(x.Controls), len(x.Members))
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// AuditShow is `audit show --json`: the audit with its control results and
// the criteria roll-up.
type AuditShow struct {
	model.Audit
	Results  []audit.ControlResult   `json:"results"`
	Criteria []audit.CriterionResult `json:"criteria"`
	Changes  []audit.ControlChange   `json:"changes"`
}

func newAuditShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show an audit: each control's Type 1 state or Type 2 operation, criteria, changes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				au, err := a.Audits.Audit(ctx, p, id)
				if err != nil {
					return err
				}
				out := AuditShow{Audit: au}
				if out.Results, err = a.Audits.Controls(ctx, p, id); err != nil {
					return err
				}
				if out.Criteria, err = a.Audits.Criteria(ctx, p, id); err != nil {
					return err
				}
				if out.Changes, err = a.Audits.Changes(ctx, p, id); err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, out)
				}
				fmt.Fprintf(e.stdout, "Audit %d: %s\n%s %s %s · %s · firm %s · %d controls · created %s by %s\n\n", au.ID, au.Name, fwLabel(au.Framework),
					au.Type, au.PeriodLabel(), au.Status, or(au.Firm, "—"), len(au.Controls), au.CreatedAt.Format("2006-01-02"), au.CreatedBy)
				t := newTable(e.stdout)
				if au.Type == model.AuditType1 {
					fmt.Fprintln(t, "CONTROL\tSTATE\tWHY")
					for _, r := range out.Results {
						fmt.Fprintf(t, "%s\t%s\t%s\n", r.Control.Key, r.Result, r.Reason)
					}
				} else {
					fmt.Fprintln(t, "CONTROL\tOPERATION\tTIME FAILING\tCANDIDATES\tOCCURRENCES\tSAMPLED\tEXCEPTIONS")
					for _, r := range out.Results {
						occ := "—"
						if oc := r.Operation.Occurrences; oc.Periodic {
							occ = fmt.Sprintf("%d of %d", oc.Present, oc.Expected)
						}
						fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%s\t%d/%d\t%d\n", r.Control.Key, r.Result, audit.HumanDuration(r.Operation.TimeFailing),
							len(r.Operation.CandidateExceptions), occ, r.Samples.Tested, r.Samples.Items, r.Samples.Exceptions)
					}
				}
				if err := t.Flush(); err != nil {
					return err
				}
				if len(out.Changes) > 0 {
					fmt.Fprintf(e.stdout, "\n%d control(s) changed since the audit froze them (see --json for the fields).\n", len(out.Changes))
				}
				if len(au.Members) > 0 {
					var ms []string
					for _, m := range au.Members {
						ms = append(ms, m.Email)
					}
					fmt.Fprintf(e.stdout, "\nMembers: %s\n", strings.Join(ms, ", "))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newAuditControlCmd(e *env) *cobra.Command {
	var asOf string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "control AUDIT KEY [--as-of DATE|TIME] [--json]",
		Short: "One control of an audit: its design as frozen, its state or operation; --as-of judges it at another moment",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if asOf != "" {
					at, err := audit.ParseMoment("as-of", asOf)
					if err != nil {
						return err
					}
					pit, err := a.Audits.ControlAsOf(ctx, p, id, args[1], at)
					if err != nil {
						return err
					}
					if asJSON {
						return printJSON(e.stdout, pit)
					}
					printPointInTime(e, args[1], pit)
					return nil
				}
				r, err := a.Audits.Control(ctx, p, id, args[1])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, r)
				}
				c := r.Control
				fmt.Fprintf(e.stdout, "%s %s — %s\n%s\nOwner %s · %s · %s · maps to %s\n\n", c.Key, c.Title, r.Result, r.Reason, or(c.Owner, "—"),
					c.Frequency.Label(), c.Nature.Label(), strings.Join(r.MappedTo, ", "))
				if r.AsOf != nil {
					printPointInTime(e, c.Key, *r.AsOf)
				}
				if op := r.Operation; op != nil {
					fmt.Fprintf(e.stdout, "Failing %s in total (%s with at least one failure) from %s to %s.\n", audit.HumanDuration(op.TimeFailing),
						audit.HumanDuration(op.TimeFailingAny), op.From.Format("2006-01-02"), op.To.AddDate(0, 0, -1).Format("2006-01-02"))
					t := newTable(e.stdout)
					fmt.Fprintln(t, "CANDIDATE\tTEST\tRESOURCE\tFROM\tTO\tDURATION")
					for _, ce := range op.CandidateExceptions {
						fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", ce.State, ce.TestID, ce.ResourceName, ce.From.Format("2006-01-02 15:04"),
							ce.To.Format("2006-01-02 15:04"), audit.HumanDuration(ce.Duration))
					}
					if err := t.Flush(); err != nil {
						return err
					}
					if oc := op.Occurrences; oc.Periodic {
						fmt.Fprintf(e.stdout, "\nOccurrences (%s): %d expected, %d with evidence, %d gap(s).\n", oc.Frequency.Label(), oc.Expected, oc.Present, oc.Gaps)
						for _, w := range oc.Windows {
							state := "evidence"
							switch {
							case !w.Present && w.Due:
								state = "GAP"
							case !w.Present:
								state = "not due yet"
							}
							fmt.Fprintf(e.stdout, "  %d. %s – %s  %s (%d item(s))\n", w.Index, w.From.Format("2006-01-02"), w.To.AddDate(0, 0, -1).Format("2006-01-02"), state, len(w.Evidence))
						}
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", "judge the control at this day (end of day, UTC) or RFC 3339 time")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printPointInTime(e *env, key string, pit audit.PointInTime) {
	fmt.Fprintf(e.stdout, "%s at %s: %s — %s\n", key, pit.At.Format("2006-01-02 15:04:05 MST"), pit.State, pit.Reason)
	for _, t := range pit.Tests {
		fmt.Fprintf(e.stdout, "  test %s: %s (%d pass, %d fail, %d error, %d excepted)\n", t.ID, t.State, t.Counts.Pass, t.Counts.Fail, t.Counts.Error, t.Counts.Excepted)
		for _, f := range t.Failing {
			fmt.Fprintf(e.stdout, "    %s %s since %s: %s\n", f.ResourceName, f.Status, f.Since.Format("2006-01-02 15:04"), f.Message)
		}
	}
	fmt.Fprintf(e.stdout, "  evidence: %s\n", pit.Evidence.Reason)
}

func newAuditUpdateCmd(e *env) *cobra.Command {
	var name, firm, status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update ID [--status planning|fieldwork|review|issued] [--name N] [--firm F] [--json]",
		Short: "Change an audit's status, name or firm (issued is final)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			var u audit.Update
			if cmd.Flags().Changed("name") {
				u.Name = &name
			}
			if cmd.Flags().Changed("firm") {
				u.Firm = &firm
			}
			if status != "" {
				st := model.AuditStatus(status)
				u.Status = &st
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				au, err := a.Audits.UpdateAudit(ctx, p, id, u)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, au)
				}
				fmt.Fprintf(e.stdout, "Audit %d: %s, %s.\n", au.ID, au.Name, au.Status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "planning, fieldwork, review or issued")
	cmd.Flags().StringVar(&name, "name", "", "a new name")
	cmd.Flags().StringVar(&firm, "firm", "", "the audit firm")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditInviteCmd(e *env) *cobra.Command {
	var name string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "invite AUDIT EMAIL [--name N] [--json]",
		Short: "Invite a person to an audit (added to the organization as an auditor if new)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				inv, err := a.Audits.Invite(ctx, p, id, args[1], name)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, inv)
				}
				fmt.Fprintf(e.stdout, "%s (%s) is invited to audit %d: they see this audit and nothing else.\n", inv.Member.Email, inv.Member.Role, id)
				if inv.InitialPassword != "" {
					fmt.Fprintf(e.stdout, "Their account was created. Password (shown once): %s\n", inv.InitialPassword)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "their name, for a new account")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditUninviteCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "uninvite AUDIT EMAIL",
		Short: "Withdraw a member's invitation to an audit",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				m, err := a.Accounts.MemberByEmail(ctx, p, args[1])
				if err != nil {
					return err
				}
				if err := a.Audits.Uninvite(ctx, p, id, m.ID); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s is no longer a member of audit %d.\n", m.Email, id)
				return nil
			})
		},
	}
}

func newAuditSamplingCmd(e *env) *cobra.Command {
	var sizes []string
	var pct, mn, mx int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sampling AUDIT [--size FREQUENCY=N]... [--event-percent P] [--event-min N] [--event-max N] [--json]",
		Short: "Show or change the audit's sample size table",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				au, err := a.Audits.Audit(ctx, p, id)
				if err != nil {
					return err
				}
				t := au.Sampling
				changed := false
				for _, s := range sizes {
					k, v, ok := strings.Cut(s, "=")
					f, ferr := model.ParseFrequency(k)
					n, nerr := strconv.Atoi(v)
					if !ok || ferr != nil || nerr != nil {
						return usageError{fmt.Errorf("--size %q: write FREQUENCY=N, e.g. quarterly=3", s)}
					}
					t.Sizes[f], changed = n, true
				}
				for flag, dst := range map[string]*int{"event-percent": &t.EventDriven.Percent, "event-min": &t.EventDriven.Min, "event-max": &t.EventDriven.Max} {
					if cmd.Flags().Changed(flag) {
						v := map[string]int{"event-percent": pct, "event-min": mn, "event-max": mx}[flag]
						*dst, changed = v, true
					}
				}
				if changed {
					if au, err = a.Audits.SetSampling(ctx, p, id, t); err != nil {
						return err
					}
				}
				if asJSON {
					return printJSON(e.stdout, au.Sampling)
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "FREQUENCY\tSAMPLE SIZE")
				for _, f := range model.SampledFrequencies() {
					fmt.Fprintf(tw, "%s\t%d\n", f.Label(), au.Sampling.Sizes[f])
				}
				ev := au.Sampling.EventDriven
				fmt.Fprintf(tw, "event-driven\t%d%% of the population, at least %d, at most %d\n", ev.Percent, ev.Min, ev.Max)
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringArrayVar(&sizes, "size", nil, "a size per frequency, FREQUENCY=N (repeat)")
	cmd.Flags().IntVar(&pct, "event-percent", 0, "event-driven: percent of the population")
	cmd.Flags().IntVar(&mn, "event-min", 0, "event-driven: at least this many (a smaller population is taken whole)")
	cmd.Flags().IntVar(&mx, "event-max", 0, "event-driven: at most this many")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditPopulationCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "population", Short: "Pull, list, show and download populations (complete lists of events in the period)"}
	var kind string
	var controls []string
	var asJSON, listJSON, showJSON bool
	create := &cobra.Command{
		Use:   "pull AUDIT --kind KIND [--control KEY]... [--json]",
		Short: "Pull a population now: production_changes, new_hires, terminations, new_accounts, removed_accounts or test_failures",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				pop, err := a.Audits.ProducePopulation(ctx, p, id, audit.PopulationInput{Kind: model.PopulationKind(kind), Controls: controls})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, pop)
				}
				fmt.Fprintf(e.stdout, "Population %d: %s, %d item(s).\nSHA-256 %s (%d bytes), stored as evidence %d.\nSupports %s.\n", pop.ID, pop.Title, pop.Count,
					pop.SHA256, pop.Size, pop.EvidenceID, or(strings.Join(pop.Controls, ", "), "no control yet"))
				return nil
			})
		},
	}
	create.Flags().StringVar(&kind, "kind", "", "what to list")
	create.Flags().StringArrayVar(&controls, "control", nil, "also link it to this control (repeat)")
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = create.MarkFlagRequired("kind")
	list := &cobra.Command{
		Use:   "list AUDIT [--json]",
		Short: "List an audit's populations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				pops, err := a.Audits.Populations(ctx, p, id)
				if err != nil {
					return err
				}
				if listJSON {
					return printJSON(e.stdout, pops)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tKIND\tITEMS\tPRODUCED\tSHA-256")
				for _, x := range pops {
					fmt.Fprintf(t, "%d\t%s\t%d\t%s\t%s\n", x.ID, x.Kind, x.Count, x.ProducedAt.Format("2006-01-02 15:04"), x.SHA256)
				}
				return t.Flush()
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	show := &cobra.Command{
		Use:   "show AUDIT POPULATION [--json]",
		Short: "Show a population's provenance and items",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			pid, err := argID("population", args[1])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				pop, f, err := a.Audits.Population(ctx, p, id, pid)
				if err != nil {
					return err
				}
				if showJSON {
					return printJSON(e.stdout, f)
				}
				fmt.Fprintf(e.stdout, "%s (%s – %s): %d item(s)\n%s\nSHA-256 %s\n\n", pop.Title, pop.PeriodFrom, pop.PeriodTo, pop.Count, pop.Query.Description, pop.SHA256)
				t := newTable(e.stdout)
				fmt.Fprintln(t, "#\tWHEN\tITEM")
				for i, it := range f.Items {
					fmt.Fprintf(t, "%d\t%s\t%s\n", i, it.OccurredAt.Format("2006-01-02 15:04"), it.Label)
				}
				return t.Flush()
			})
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print the population file's content as JSON")
	var out string
	file := &cobra.Command{
		Use:   "file AUDIT POPULATION [-o PATH]",
		Short: "Write a population's file (exactly the bytes hashed) to PATH or standard output",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			pid, err := argID("population", args[1])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				_, body, err := a.Audits.PopulationBytes(ctx, p, id, pid)
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					_, err = e.stdout.Write(body)
					return err
				}
				return os.WriteFile(out, body, 0o644)
			})
		},
	}
	file.Flags().StringVarP(&out, "output", "o", "", "the file to write (default: standard output)")
	cmd.AddCommand(create, list, show, file)
	return cmd
}

func newAuditSampleCmd(e *env) *cobra.Command {
	var in audit.SampleInput
	var seed int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sample AUDIT --control KEY [--seed N] [--population ID] [--json]",
		Short: "Draw a sample for a control: size from the audit's table, spread across the period, reproducible from the seed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("seed") {
				in.Seed = &seed
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				sm, err := a.Audits.DrawSample(ctx, p, id, in)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, sm)
				}
				fmt.Fprintf(e.stdout, "Sample %d for %s: %d of %d (%s), seed %d.\n", sm.ID, sm.ControlKey, sm.Size, sm.PopulationSize, sm.Rule, sm.Seed)
				t := newTable(e.stdout)
				fmt.Fprintln(t, "#\tINDEX\tWHEN\tITEM")
				for _, it := range sm.Items {
					fmt.Fprintf(t, "%d\t%d\t%s\t%s\n", it.Position, it.PopulationIndex, it.At.Format("2006-01-02 15:04"), it.Label)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&in.Control, "control", "", "the control to sample")
	cmd.Flags().Int64Var(&seed, "seed", 0, "the seed (default: a random one, stored with the sample)")
	cmd.Flags().Int64Var(&in.PopulationID, "population", 0, "draw from this population (default: see docs/audits.md)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("control")
	return cmd
}

func newAuditSamplesCmd(e *env) *cobra.Command {
	var control string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "samples AUDIT [--control KEY] [--json]",
		Short: "List an audit's samples with their results",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Audits.SamplesOf(ctx, p, id, control)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tCONTROL\tBASIS\tSIZE\tSEED\tTESTED\tEXCEPTIONS")
				for _, s := range list {
					tested, exc := s.Counts()
					fmt.Fprintf(t, "%d\t%s\t%s\t%d of %d\t%d\t%d\t%d\n", s.ID, s.ControlKey, s.Basis, s.Size, s.PopulationSize, s.Seed, tested, exc)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&control, "control", "", "only this control's samples")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditResultCmd(e *env) *cobra.Command {
	var in audit.ResultInput
	var result string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "result AUDIT SAMPLE ITEM --result pass|exception|pending [--note TEXT] [--json]",
		Short: "Record the result of one sampled item (an exception needs a note)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			sid, err := argID("sample", args[1])
			if err != nil {
				return err
			}
			pos, err := strconv.Atoi(args[2])
			if err != nil {
				return usageError{fmt.Errorf("item %q is not a number (1 to the sample's size)", args[2])}
			}
			in.Result = model.SampleResult(result)
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				sm, err := a.Audits.RecordResult(ctx, p, id, sid, pos, in)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, sm)
				}
				tested, exc := sm.Counts()
				fmt.Fprintf(e.stdout, "Item %d of sample %d: %s. %d of %d tested, %d exception(s).\n", pos, sid, sm.Items[pos-1].Result, tested, len(sm.Items), exc)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&result, "result", "", "pass, exception or pending")
	cmd.Flags().StringVar(&in.Note, "note", "", "what was seen (required for an exception)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("result")
	return cmd
}

func newAuditRequestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "request", Short: "The request list: add, list, update, attach evidence"}
	var in audit.RequestInput
	var addJSON, listJSON, updJSON, attJSON bool
	add := &cobra.Command{
		Use:   "add AUDIT --title TEXT [--description TEXT] [--control KEY] [--owner WHO] [--due DATE] [--json]",
		Short: "Request an item",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				r, err := a.Audits.CreateRequest(ctx, p, id, in)
				if err != nil {
					return err
				}
				if addJSON {
					return printJSON(e.stdout, r)
				}
				fmt.Fprintf(e.stdout, "Request %d added: %s.\n", r.ID, r.Title)
				return nil
			})
		},
	}
	add.Flags().StringVar(&in.Title, "title", "", "what is requested")
	add.Flags().StringVar(&in.Description, "description", "", "details")
	add.Flags().StringVar(&in.Control, "control", "", "the control it is for")
	add.Flags().StringVar(&in.Owner, "owner", "", "who provides it")
	add.Flags().StringVar(&in.Due, "due", "", "due day, YYYY-MM-DD")
	add.Flags().Int64Var(&in.SampleID, "sample", 0, "the sample it is for")
	add.Flags().BoolVar(&addJSON, "json", false, "print JSON")
	list := &cobra.Command{
		Use:   "list AUDIT [--json]",
		Short: "List the requests",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				rs, err := a.Audits.Requests(ctx, p, id)
				if err != nil {
					return err
				}
				if listJSON {
					return printJSON(e.stdout, rs)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tSTATUS\tDUE\tCONTROL\tOWNER\tATTACHED\tTITLE")
				for _, r := range rs {
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Status, or(r.Due, "—"), or(r.ControlKey, "—"), or(r.Owner, "—"), len(r.Attachments), r.Title)
				}
				return t.Flush()
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	var status, owner, due string
	update := &cobra.Command{
		Use:   "update AUDIT REQUEST [--status open|submitted|accepted] [--owner WHO] [--due DATE] [--json]",
		Short: "Change a request's status, owner or due day",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			rid, err := argID("request", args[1])
			if err != nil {
				return err
			}
			var patch audit.RequestPatch
			if status != "" {
				st := model.RequestStatus(status)
				patch.Status = &st
			}
			if cmd.Flags().Changed("owner") {
				patch.Owner = &owner
			}
			if cmd.Flags().Changed("due") {
				patch.Due = &due
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				r, err := a.Audits.UpdateRequest(ctx, p, id, rid, patch)
				if err != nil {
					return err
				}
				if updJSON {
					return printJSON(e.stdout, r)
				}
				fmt.Fprintf(e.stdout, "Request %d: %s.\n", r.ID, r.Status)
				return nil
			})
		},
	}
	update.Flags().StringVar(&status, "status", "", "open, submitted or accepted")
	update.Flags().StringVar(&owner, "owner", "", "who provides it")
	update.Flags().StringVar(&due, "due", "", "due day, YYYY-MM-DD")
	update.Flags().BoolVar(&updJSON, "json", false, "print JSON")
	var evidenceID int64
	attach := &cobra.Command{
		Use:   "attach AUDIT REQUEST --evidence ID [--json]",
		Short: "Answer a request with an evidence item (add it first with `assure evidence add`)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			rid, err := argID("request", args[1])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				r, err := a.Audits.AttachEvidence(ctx, p, id, rid, evidenceID)
				if err != nil {
					return err
				}
				if attJSON {
					return printJSON(e.stdout, r)
				}
				fmt.Fprintf(e.stdout, "Evidence %d attached to request %d (%s).\n", evidenceID, r.ID, r.Status)
				return nil
			})
		},
	}
	attach.Flags().Int64Var(&evidenceID, "evidence", 0, "the evidence item's id")
	attach.Flags().BoolVar(&attJSON, "json", false, "print JSON")
	_ = attach.MarkFlagRequired("evidence")
	cmd.AddCommand(add, list, update, attach)
	return cmd
}

func newAuditCommentCmd(e *env) *cobra.Command {
	var subject string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "comment AUDIT TEXT [--subject audit|control:KEY|request:ID|sample:ID|population:ID] [--json]",
		Short: "Comment on an audit or something in it",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				c, err := a.Audits.Comment(ctx, p, id, subject, args[1])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, c)
				}
				fmt.Fprintf(e.stdout, "Comment %d on %s.\n", c.ID, c.Subject)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "audit", "what it is about")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAuditAsOfCmd(e *env) *cobra.Command {
	var control string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "as-of DATE|TIME [--control KEY] [--json]",
		Short: "The organization as of a moment: control status, test results and effective evidence, rebuilt from history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := audit.ParseMoment("as-of", args[0])
			if err != nil {
				return usageError{err}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				snap, err := a.Audits.AsOf(ctx, p, at, control)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, snap)
				}
				fmt.Fprintf(e.stdout, "As of %s:\n", snap.At.Format("2006-01-02 15:04:05 MST"))
				t := newTable(e.stdout)
				fmt.Fprintln(t, "CONTROL\tSTATE\tWHY")
				for _, c := range snap.Controls {
					fmt.Fprintf(t, "%s\t%s\t%s\n", c.Key, c.State, c.Reason)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&control, "control", "", "only this control")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
