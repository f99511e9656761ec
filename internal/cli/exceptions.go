package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/check"
)

func newExceptionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "exceptions", Short: "Accepted test failures: reason, approver, expiry"}
	cmd.AddCommand(newExceptionsListCmd(e), newExceptionsAddCmd(e), newExceptionsRevokeCmd(e))
	return cmd
}

func newExceptionsListCmd(e *env) *cobra.Command {
	var test string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--test ID] [--json]",
		Short: "List exceptions, active first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Checks.Exceptions(ctx, p, test)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No exceptions.")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tSTATE\tTEST\tRESOURCE\tEXPIRES\tAPPROVER\tREASON")
				for _, x := range list {
					res := "(every resource)"
					if x.ResourceID != 0 {
						res = x.ResourceType + " " + x.ResourceName
					}
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.State, x.TestID, res, x.ExpiresAt.Format("2006-01-02 15:04 MST"), x.Approver, x.Reason)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&test, "test", "", "only this test's exceptions")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newExceptionsAddCmd(e *env) *cobra.Command {
	var in check.ExceptionInput
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --test ID [--resource NAME|ID] --reason TEXT --approver WHO --expires DATE [--json]",
		Short: "Accept a test's failure (for one resource, or every resource) until a date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id, err := strconv.ParseInt(in.Resource, 10, 64); err == nil {
				in.ResourceID, in.Resource = id, ""
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				x, err := a.Checks.AddException(ctx, p, in)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, x)
				}
				fmt.Fprintf(e.stdout, "Exception %d accepts %s until %s.\n", x.ID, x.TestID, x.ExpiresAt.Format("2006-01-02 15:04 MST"))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&in.Test, "test", "", "the test whose failure is accepted")
	cmd.Flags().StringVar(&in.Resource, "resource", "", "one resource (its id, external id or name); omit for every resource")
	cmd.Flags().StringVar(&in.Reason, "reason", "", "why it is accepted (a compensating control, a planned fix)")
	cmd.Flags().StringVar(&in.Approver, "approver", "", "who approved it")
	cmd.Flags().StringVar(&in.Expires, "expires", "", "when it ends: YYYY-MM-DD (at most a year ahead)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newExceptionsRevokeCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke ID [--json]",
		Short: "End an exception now: the failure counts again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("exception id %q is not a number (see `assure exceptions list`)", args[0])}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				x, err := a.Checks.RevokeException(ctx, p, id)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, x)
				}
				fmt.Fprintf(e.stdout, "Exception %d revoked.\n", x.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
