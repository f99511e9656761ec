package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
)

func newOrgCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Manage organizations (tenants)"}
	cmd.AddCommand(newOrgCreateCmd(e), newOrgListCmd(e))
	return cmd
}

func newOrgCreateCmd(e *env) *cobra.Command {
	var name, owner string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create SLUG --owner EMAIL",
		Short: "Create an organization and its owner",
		Long:  "Create an organization. The owner is added (created with a generated password, shown once, if they have no account yet).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if owner == "" {
				return usageError{fmt.Errorf("--owner EMAIL is required")}
			}
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			org, nm, err := a.Accounts.CreateOrganization(ctx, args[0], name, owner)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, map[string]any{"organization": org, "owner": nm})
			}
			fmt.Fprintf(e.stdout, "Created organization %s (%s) with owner %s.\n", org.Slug, org.Name, nm.Member.Email)
			if nm.InitialPassword != "" {
				fmt.Fprintf(e.stdout, "Their first password (shown once): %s\n", nm.InitialPassword)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name (default: the slug)")
	cmd.Flags().StringVar(&owner, "owner", "", "e-mail of the owner")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newOrgListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List organizations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			orgs, err := a.Accounts.Organizations(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				if orgs == nil {
					orgs = []model.Organization{}
				}
				return printJSON(e.stdout, orgs)
			}
			t := newTable(e.stdout)
			fmt.Fprintln(t, "SLUG\tNAME\tTIME ZONE\tCREATED")
			for _, o := range orgs {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", o.Slug, o.Name, o.TimeZone, o.CreatedAt.Format("2006-01-02"))
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
