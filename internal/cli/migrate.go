package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
)

func newMigrateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to this binary's version",
		Long:  "Apply every pending schema migration (forward only). Back up the database first.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{AllowStaleSchema: true})
			if err != nil {
				return err
			}
			defer a.Close()
			applied, err := a.Store.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(e.stdout, "The database schema is up to date (version %d).\n", a.Store.LatestVersion())
				return nil
			}
			fmt.Fprintf(e.stdout, "Applied %d migration(s); the schema is now at version %d.\n", len(applied), applied[len(applied)-1])
			b, err := a.Accounts.EnsureBootstrap(ctx)
			if b != nil {
				printBootstrap(e.stderr, e.cfg.BaseURL, b)
			}
			return err
		},
	}
}
