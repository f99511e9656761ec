// Package cli is the assure command line: one file per command. Every
// command works directly on the data directory or database, so none needs a
// running server. Global settings are resolved once into a config.Config and
// handed to the command through the env value.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/model"
)

// env is what every command receives: resolved settings and the streams.
type env struct {
	cfg            config.Config
	stdin          io.Reader
	stdout, stderr io.Writer
	// appOpts are passed to app.Open (tests inject connectors and a clock).
	appOpts app.Options
}

// Main runs the command line until it finishes or the process is told to
// stop (SIGINT, SIGTERM), and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, stdin, stdout, stderr)
}

// Run runs the command line until it finishes or ctx ends: 0 on success, 1
// on failure, 2 on a wrong invocation.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunWith(ctx, app.Options{}, args, stdin, stdout, stderr)
}

// RunWith is Run with options for app.Open (tests give other connectors).
func RunWith(ctx context.Context, opts app.Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, appOpts: opts}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "assure: %s\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks a wrong invocation (exit code 2).
type usageError struct{ error }

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "assure",
		Short:         "Continuous compliance for SOC 1 and SOC 2",
		Long:          "Assure collects evidence from your systems, tests your controls continuously and prepares SOC 1 and SOC 2 audits.\nEvery setting can also be given as an ASSURE_* environment variable.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Resolve(func(name string) (string, bool) {
				f := cmd.Flags().Lookup(name)
				if f == nil || !f.Changed {
					return "", false
				}
				return f.Value.String(), true
			}, os.LookupEnv)
			if err != nil {
				return err
			}
			e.cfg = cfg
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, s := range config.Settings() {
		if s.EnvOnly {
			continue
		}
		root.PersistentFlags().String(s.Flag, s.Default, s.Help+" ["+s.Env+"]")
	}
	root.AddCommand(
		newServeCmd(e), newMigrateCmd(e), newVersionCmd(e),
		newOrgCmd(e), newUserCmd(e), newTokenCmd(e),
		newFrameworksCmd(e), newControlsCmd(e), newObjectivesCmd(e), newScopeCmd(e), newCoverageCmd(e),
		newEvidenceCmd(e), newLedgerCmd(e),
		newConnectorsCmd(e), newIntegrationsCmd(e), newScanCmd(e), newResourcesCmd(e), newRunsCmd(e), newObservationsCmd(e),
		newNotificationsCmd(e), newScheduleCmd(e),
		newTestsCmd(e), newExceptionsCmd(e),
		newVerifyCmd(e), newAuditCmd(e),
	)
	return root
}

// open opens the installation for a command. A fresh installation is set up
// here, and its first owner's credentials are shown once (on stderr, so that
// --json output on stdout stays clean).
func (e *env) open(ctx context.Context, opts app.Options) (*app.App, error) {
	a, err := app.Open(ctx, e.cfg, app.NewLogger(e.cfg, e.stderr), opts)
	if err != nil {
		return nil, err
	}
	if a.Bootstrap != nil {
		printBootstrap(e.stderr, e.cfg.BaseURL, a.Bootstrap)
	}
	return a, nil
}

// openOrg opens the installation and resolves --org into the operator's
// principal there: whoever runs the CLI holds the data, so acts as owner.
// The caller closes the app.
func (e *env) openOrg(ctx context.Context) (*app.App, model.Principal, error) {
	a, err := e.open(ctx, e.appOpts)
	if err != nil {
		return nil, model.Principal{}, err
	}
	org, err := a.Accounts.ResolveOrg(ctx, e.cfg.Org)
	if err != nil {
		a.Close()
		return nil, model.Principal{}, fmt.Errorf("%w (list organizations with `assure org list`)", err)
	}
	return a, a.Accounts.OperatorPrincipal(org), nil
}

// withOrg opens the installation, resolves --org into the operator's
// principal, runs fn, and closes the installation: the frame of every
// command that acts inside one organization.
func (e *env) withOrg(cmd *cobra.Command, fn func(ctx context.Context, a *app.App, p model.Principal) error) error {
	ctx := cmd.Context()
	a, p, err := e.openOrg(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(ctx, a, p)
}

// printBootstrap shows the first owner's credentials. They are printed once
// and never logged: the log may be collected; the terminal is the operator's.
func printBootstrap(w io.Writer, baseURL string, b *account.Bootstrap) {
	fmt.Fprintf(w, `
  Assure set up organization %q and its owner account.

    Sign in at  %s/login
    E-mail      %s
    Password    %s

  This password is shown only once. Change it under Settings → Account,
  or set a new one with: assure user password %s

`, b.Org.Slug, baseURL, b.Email, b.Password, b.Email)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonCompact encodes v on one line without HTML escaping.
func jsonCompact(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}
