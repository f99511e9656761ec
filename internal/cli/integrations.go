package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/model"
)

func newConnectorsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "connectors", Short: "The connectors this Assure knows: their configuration and resource types"}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List connectors with their configuration fields and resource types",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), e.appOpts)
			if err != nil {
				return err
			}
			defer a.Close()
			cs := a.Collect.Connectors()
			if asJSON {
				return printJSON(e.stdout, cs)
			}
			for i, c := range cs {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stdout, "%s (%s, %s)\n  %s\n", c.ID, c.Name, c.Category, c.Description)
				if len(c.Fields) > 0 {
					fmt.Fprintln(e.stdout, "  configuration:")
					for _, f := range c.Fields {
						var tags []string
						if f.Required {
							tags = append(tags, "required")
						}
						if f.Secret {
							tags = append(tags, "secret")
						}
						if f.Default != "" {
							tags = append(tags, "default "+f.Default)
						}
						tag := ""
						if len(tags) > 0 {
							tag = " [" + strings.Join(tags, ", ") + "]"
						}
						fmt.Fprintf(e.stdout, "    %s (%s)%s: %s\n", f.Name, f.Type, tag, f.Help)
					}
				}
				fmt.Fprintln(e.stdout, "  resource types:")
				for _, t := range c.ResourceTypes {
					fmt.Fprintf(e.stdout, "    %s\n", t.Name)
				}
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list)
	return cmd
}

func newIntegrationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "integrations",
		Short: "Configure integrations: connectors with their settings and credentials",
		Long: "Configure integrations of the organization (--org). Secret configuration values are encrypted at rest\n" +
			"and never printed; pass them as --config KEY=@FILE or --config KEY=@- (standard input) to keep them\n" +
			"out of your shell history.",
	}
	cmd.AddCommand(newIntegrationsListCmd(e), newIntegrationsAddCmd(e), newIntegrationsShowCmd(e), newIntegrationsEditCmd(e),
		newIntegrationsTestCmd(e), newIntegrationsEnableCmd(e, true), newIntegrationsEnableCmd(e, false), newIntegrationsRemoveCmd(e))
	return cmd
}

func newIntegrationsListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List integrations with their health, last run and next run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Collect.Integrations(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No integrations yet. Add one, e.g.: assure integrations add --connector host --name this-host")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "NAME\tCONNECTOR\tHEALTH\tLAST RUN\tNEXT RUN DUE")
				for _, in := range list {
					last, next := "never", "—"
					if in.LastRun != nil {
						last = in.LastRun.StartedAt.Format(time.RFC3339)
					}
					if in.NextRunAt != nil {
						next = in.NextRunAt.Format(time.RFC3339)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", in.Name, in.Connector, in.Health, last, next)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// configFlags are the ways to give configuration values.
type configFlags struct {
	pairs []string
	file  string
}

func (c *configFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&c.pairs, "config", nil, "a configuration value KEY=VALUE; KEY=@FILE reads the value from a file, KEY=@- from standard input (repeatable)")
	cmd.Flags().StringVar(&c.file, "config-file", "", "a file of configuration values: a JSON object, or KEY=VALUE lines")
}

// values reads the configuration given on the command line: the file
// first, then each --config (which wins).
func (c *configFlags) values(stdin io.Reader) (map[string]string, error) {
	out := map[string]string{}
	if c.file != "" {
		b, err := os.ReadFile(c.file)
		if err != nil {
			return nil, usageError{fmt.Errorf("--config-file: %w", err)}
		}
		m, err := parseConfigFile(b)
		if err != nil {
			return nil, usageError{fmt.Errorf("--config-file %s: %w", c.file, err)}
		}
		for k, v := range m {
			out[k] = v
		}
	}
	stdinUsed := false
	for _, pair := range c.pairs {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--config %q: write KEY=VALUE, KEY=@FILE or KEY=@-", redactPair(pair))}
		}
		switch {
		case strings.HasPrefix(v, "@@"):
			v = v[1:] // a literal value starting with @
		case v == "@-":
			if stdinUsed {
				return nil, usageError{fmt.Errorf("--config %s=@-: only one value can come from standard input", k)}
			}
			stdinUsed = true
			b, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("cannot read %s from standard input: %w", k, err)
			}
			v = strings.TrimRight(string(b), "\r\n")
		case strings.HasPrefix(v, "@"):
			b, err := os.ReadFile(v[1:])
			if err != nil {
				return nil, usageError{fmt.Errorf("--config %s=@FILE: %w", k, err)}
			}
			v = strings.TrimRight(string(b), "\r\n")
		}
		out[k] = v
	}
	return out, nil
}

// redactPair shows a malformed --config without what may be a secret.
func redactPair(s string) string {
	if len(s) > 12 {
		return s[:4] + "…"
	}
	return s
}

func parseConfigFile(b []byte) (map[string]string, error) {
	out := map[string]string{}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var raw map[string]any
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				out[k] = v
			case nil:
			default:
				j, _ := json.Marshal(v)
				out[k] = string(j)
			}
		}
		return out, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d is not KEY=VALUE", n)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

func newIntegrationsAddCmd(e *env) *cobra.Command {
	var connector, name, interval string
	var rateLimit float64
	var disabled, asJSON bool
	var cfg configFlags
	cmd := &cobra.Command{
		Use:   "add --connector ID --name NAME [--config KEY=VALUE]... [--config-file FILE]",
		Short: "Add an integration (see `assure connectors list` for each connector's fields)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if connector == "" || name == "" {
				return usageError{fmt.Errorf("--connector ID and --name NAME are required (see `assure connectors list`)")}
			}
			values, err := cfg.values(e.stdin)
			if err != nil {
				return err
			}
			in := collect.IntegrationInput{Connector: connector, Name: name, Config: values}
			if interval != "" {
				d, err := time.ParseDuration(interval)
				if err != nil {
					return usageError{fmt.Errorf("--interval %q: use a duration such as 1h or 30m", interval)}
				}
				md := model.Duration(d)
				in.Interval = &md
			}
			if cmd.Flags().Changed("rate-limit") {
				in.RateLimit = &rateLimit
			}
			if disabled {
				f := false
				in.Enabled = &f
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				v, err := a.Collect.CreateIntegration(ctx, p, in)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, v)
				}
				fmt.Fprintf(e.stdout, "Added integration %q (%s, id %d). Test it with: assure integrations test %s\nCollect it with: assure scan --integration %s\n",
					v.Name, v.Connector, v.ID, v.Name, v.Name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&connector, "connector", "", "connector id (host, …)")
	cmd.Flags().StringVar(&name, "name", "", "a name for the integration")
	cmd.Flags().StringVar(&interval, "interval", "", "how often the scheduler collects it (default 1h)")
	cmd.Flags().Float64Var(&rateLimit, "rate-limit", 0, "API requests per second (0: the connector's default)")
	cmd.Flags().BoolVar(&disabled, "disabled", false, "add it disabled (not collected until enabled)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cfg.add(cmd)
	return cmd
}

// integrationDetail is what `integrations show --json` prints.
type integrationDetail struct {
	collect.IntegrationView
	Runs []collect.RunView `json:"runs"`
}

func newIntegrationsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an integration: settings (secrets only as set or not), health and recent runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				in, err := a.Collect.IntegrationByName(ctx, p, args[0])
				if err != nil {
					return err
				}
				runs, err := a.Collect.Runs(ctx, p, in.ID, 10)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, integrationDetail{IntegrationView: in, Runs: runs})
				}
				w := e.stdout
				fmt.Fprintf(w, "%s (%s, id %d): %s\n", in.Name, in.ConnectorName, in.ID, in.Health)
				fmt.Fprintf(w, "  enabled: %v, every %s", in.Enabled, in.Interval)
				if in.NextRunAt != nil {
					fmt.Fprintf(w, ", next run due %s", in.NextRunAt.Format(time.RFC3339))
				}
				fmt.Fprintln(w)
				keys := make([]string, 0, len(in.Config))
				for k := range in.Config {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(w, "  %s = %s\n", k, in.Config[k])
				}
				for _, k := range in.SecretFields {
					fmt.Fprintf(w, "  %s = (secret, set)\n", k)
				}
				if len(runs) > 0 {
					fmt.Fprintln(w, "Recent runs:")
					for _, r := range runs {
						printRunLine(w, r)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newIntegrationsEditCmd(e *env) *cobra.Command {
	var rename, interval string
	var rateLimit float64
	var unset []string
	var asJSON bool
	var cfg configFlags
	cmd := &cobra.Command{
		Use:   "edit NAME [--name NEW] [--config KEY=VALUE]... [--unset KEY]... [--interval D] [--rate-limit N]",
		Short: "Change an integration's name, configuration, interval or rate limit",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			values, err := cfg.values(e.stdin)
			if err != nil {
				return err
			}
			up := collect.IntegrationUpdate{}
			if rename != "" {
				up.Name = &rename
			}
			if len(values) > 0 || len(unset) > 0 {
				up.Config = map[string]*string{}
				for k, v := range values {
					up.Config[k] = &v
				}
				for _, k := range unset {
					up.Config[k] = nil
				}
			}
			if interval != "" {
				d, err := time.ParseDuration(interval)
				if err != nil {
					return usageError{fmt.Errorf("--interval %q: use a duration such as 1h or 30m", interval)}
				}
				md := model.Duration(d)
				up.Interval = &md
			}
			if cmd.Flags().Changed("rate-limit") {
				up.RateLimit = &rateLimit
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				in, err := a.Collect.IntegrationByName(ctx, p, args[0])
				if err != nil {
					return err
				}
				v, err := a.Collect.UpdateIntegration(ctx, p, in.ID, up)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, v)
				}
				fmt.Fprintf(e.stdout, "Saved integration %q.\n", v.Name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&rename, "name", "", "a new name")
	cmd.Flags().StringArrayVar(&unset, "unset", nil, "clear a configuration field (repeatable)")
	cmd.Flags().StringVar(&interval, "interval", "", "how often the scheduler collects it")
	cmd.Flags().Float64Var(&rateLimit, "rate-limit", 0, "API requests per second (0: the connector's default)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cfg.add(cmd)
	return cmd
}

func newIntegrationsTestCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Test an integration's connection and credentials (exit code 1 when it fails)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				in, err := a.Collect.IntegrationByName(ctx, p, args[0])
				if err != nil {
					return err
				}
				res, err := a.Collect.TestIntegration(ctx, p, in.ID)
				if err != nil {
					return err
				}
				if asJSON {
					if err := printJSON(e.stdout, res); err != nil {
						return err
					}
				} else if res.OK {
					fmt.Fprintf(e.stdout, "%s: the connection works (%.0f ms).\n", in.Name, res.DurationMS)
				}
				if !res.OK {
					return fmt.Errorf("%s: the connection test failed: %s", in.Name, res.Error)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newIntegrationsEnableCmd(e *env, on bool) *cobra.Command {
	use, short := "enable NAME", "Enable an integration: it is collected again"
	if !on {
		use, short = "disable NAME", "Disable an integration: it is not collected, by the scheduler or by scan"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				in, err := a.Collect.IntegrationByName(ctx, p, args[0])
				if err != nil {
					return err
				}
				v, err := a.Collect.SetEnabled(ctx, p, in.ID, on)
				if err != nil {
					return err
				}
				state := "enabled"
				if !v.Enabled {
					state = "disabled"
				}
				fmt.Fprintf(e.stdout, "Integration %q is %s.\n", v.Name, state)
				return nil
			})
		},
	}
}

func newIntegrationsRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an integration (its runs, observations and resource history are kept)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				in, err := a.Collect.IntegrationByName(ctx, p, args[0])
				if err != nil {
					return err
				}
				if err := a.Collect.RemoveIntegration(ctx, p, in.ID); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Removed integration %q; its resources are marked removed and its history is kept.\n", in.Name)
				return nil
			})
		},
	}
}

func printRunLine(w io.Writer, r collect.RunView) {
	fmt.Fprintf(w, "  run %d  %s  %-9s %d resources (%d added, %d changed, %d removed), %d calls\n",
		r.ID, r.StartedAt.Format(time.RFC3339), r.Status, r.Resources, r.Added, r.Changed, r.Removed, r.Calls)
	if r.Error != "" {
		fmt.Fprintf(w, "      %s\n", r.Error)
	}
}
