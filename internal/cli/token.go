package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	cmd.AddCommand(newTokenCreateCmd(e))
	return cmd
}

func newTokenCreateCmd(e *env) *cobra.Command {
	var user, name, expires string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --user EMAIL --name NAME [--expires 90d]",
		Short: "Create an API token for a member (shown once, stored hashed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || name == "" {
				return usageError{fmt.Errorf("--user EMAIL and --name NAME are required")}
			}
			ttl, err := parseTTL(expires)
			if err != nil {
				return usageError{err}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				m, err := a.Accounts.MemberByEmail(ctx, p, user)
				if err != nil {
					return err
				}
				nt, err := a.Accounts.CreateToken(ctx, p, m.ID, name, ttl)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, nt)
				}
				fmt.Fprintf(e.stdout, "Token %q for %s (role %s in %s), shown once:\n%s\n", nt.Token.Name, m.Email, m.Role, p.Org.Slug, nt.Secret)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "e-mail of the member the token acts as")
	cmd.Flags().StringVar(&name, "name", "", "what the token is for")
	cmd.Flags().StringVar(&expires, "expires", "90d", "lifetime: e.g. 30d, 12h, or never")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseTTL accepts Go durations, a number of days ("90d"), or "never".
func parseTTL(s string) (time.Duration, error) {
	if s == "never" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--expires %q: use a number of days like 90d, a duration like 12h, or never", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: use a number of days like 90d, a duration like 12h, or never", s)
	}
	return d, nil
}
