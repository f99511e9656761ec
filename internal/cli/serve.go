package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
)

func newServeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the web UI, the JSON API and continuous monitoring",
		Long: "Run the web UI, the JSON API and continuous monitoring until interrupted.\n" +
			"On a fresh data directory it creates the database and the first organization and prints\n" +
			"the owner's sign-in details once. It refuses a database whose schema is older or newer\n" +
			"than this binary and says which command fixes it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := app.Open(ctx, e.cfg, app.NewLogger(e.cfg, e.stderr), e.appOpts)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Serve(ctx, func(addr string) {
				if a.Bootstrap != nil {
					// serve talks to a person at a terminal: credentials on stdout.
					printBootstrap(e.stdout, e.cfg.BaseURL, a.Bootstrap)
				}
				fmt.Fprintf(e.stdout, "Assure is running at %s (listening on %s). Press Ctrl+C to stop.\n", e.cfg.BaseURL, addr)
			})
		},
	}
}
