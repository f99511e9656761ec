package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/buildinfo"
)

func newVersionCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Read()
			if asJSON {
				return printJSON(e.stdout, info)
			}
			fmt.Fprintf(e.stdout, "assure %s", info.Version)
			if info.Commit != "" {
				fmt.Fprintf(e.stdout, " (%s)", info.Commit)
			}
			fmt.Fprintf(e.stdout, " %s\n", info.GoVersion)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
