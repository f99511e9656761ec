package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
)

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users and their roles in an organization (--org)"}
	cmd.AddCommand(newUserCreateCmd(e), newUserListCmd(e), newUserPasswordCmd(e))
	return cmd
}

func newUserCreateCmd(e *env) *cobra.Command {
	var name, role string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create EMAIL [--role ROLE]",
		Short: "Add a person to the organization with a role",
		Long: "Add a person to the organization (--org) with a role: owner, admin, editor, auditor or viewer.\n" +
			"A person without an account gets one, with a generated password shown once.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := model.ParseRole(role)
			if err != nil {
				return usageError{err}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				nm, err := a.Accounts.AddMember(ctx, p, args[0], name, r)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, nm)
				}
				fmt.Fprintf(e.stdout, "Added %s to %s as %s.\n", nm.Member.Email, p.Org.Slug, nm.Member.Role)
				if nm.InitialPassword != "" {
					fmt.Fprintf(e.stdout, "Their first password (shown once): %s\n", nm.InitialPassword)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the person's name")
	cmd.Flags().StringVar(&role, "role", "viewer", "owner, admin, editor, auditor or viewer")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newUserListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's members and roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				ms, err := a.Accounts.Members(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					if ms == nil {
						ms = []model.Member{}
					}
					return printJSON(e.stdout, ms)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "EMAIL\tNAME\tROLE\tJOINED")
				for _, m := range ms {
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", m.Email, m.Name, m.Role, m.JoinedAt.Format("2006-01-02"))
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newUserPasswordCmd(e *env) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "password EMAIL",
		Short: "Set a user's password (generated unless --password-stdin) and sign them out",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pw string
			if fromStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("cannot read the password from standard input: %w", err)
				}
				pw = strings.TrimRight(line, "\r\n")
				if err := account.ValidateNewPassword(pw); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			got, err := a.Accounts.SetPassword(ctx, args[0], pw)
			if err != nil {
				return err
			}
			if fromStdin {
				fmt.Fprintln(e.stdout, "Password changed; the user has been signed out everywhere.")
			} else {
				fmt.Fprintf(e.stdout, "New password (shown once): %s\n", got)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the new password from standard input")
	return cmd
}
