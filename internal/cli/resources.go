package cli

import (
	"context"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
)

func newResourcesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "resources", Short: "Browse what integrations collected"}
	cmd.AddCommand(newResourcesListCmd(e), newResourcesShowCmd(e))
	return cmd
}

func newResourcesListCmd(e *env) *cobra.Command {
	var typ, integration, status, q string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--type T] [--integration NAME] [--status present|removed|all] [--json]",
		Short: "List resources with their attributes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				page, err := a.Collect.Resources(ctx, p, collect.ResourceQuery{Type: typ, Integration: integration, Status: status, Query: q, Limit: -1})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, page.Resources)
				}
				if len(page.Resources) == 0 {
					fmt.Fprintln(e.stdout, "No resources match. Collect with `assure scan`.")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tTYPE\tNAME\tINTEGRATION\tLAST SEEN\tSTATUS\tUNKNOWN")
				for _, r := range page.Resources {
					st := "present"
					if r.RemovedAt != nil {
						st = "removed"
					}
					unknown, _ := r.Attributes[connector.AttrUnknown].(map[string]any)
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.Type, r.Name, r.Integration, r.LastSeenAt.Format(time.RFC3339), st, len(unknown))
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "only this resource type (host.user, aws.s3.bucket, …)")
	cmd.Flags().StringVar(&integration, "integration", "", "only this integration's")
	cmd.Flags().StringVar(&status, "status", "present", "present, removed or all")
	cmd.Flags().StringVar(&q, "query", "", "part of the name or external id")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newResourcesShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show a resource: attributes with their sources, versions, and the observations behind each",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("resource id %q is not a number (see `assure resources list`)", args[0])}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				d, err := a.Collect.Resource(ctx, p, id)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, d)
				}
				printResource(e.stdout, d)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printResource(w io.Writer, d collect.ResourceDetail) {
	st := "present"
	if d.RemovedAt != nil {
		st = "removed " + d.RemovedAt.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "%s  %s (%s)\n  integration %s, external id %s, %s\n  first seen %s, last seen %s\n",
		d.Type, d.Name, st, d.Integration, d.ExternalID, scopeOf(d.Scope), d.FirstSeenAt.Format(time.RFC3339), d.LastSeenAt.Format(time.RFC3339))
	unknown, _ := d.Attributes[connector.AttrUnknown].(map[string]any)
	sources, _ := d.Attributes[connector.AttrSources].(map[string]any)
	var keys []string
	for k := range d.Attributes {
		if k != connector.AttrUnknown && k != connector.AttrSources {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	t := newTable(w)
	fmt.Fprintln(t, "\nFIELD\tVALUE\tHOW")
	for _, k := range keys {
		if why, ok := unknown[k]; ok {
			fmt.Fprintf(t, "%s\tunknown\t%v\n", k, why)
			continue
		}
		fmt.Fprintf(t, "%s\t%s\t%v\n", k, showValue(d.Attributes[k]), orEmpty(sources[k]))
	}
	t.Flush()
	fmt.Fprintln(w, "\nVersions (newest first):")
	for _, v := range d.Versions {
		fmt.Fprintf(w, "  version %d, first observed %s in run %d, content %s\n", v.ID, v.ObservedAt.Format(time.RFC3339), v.RunID, v.ContentHash[:12])
		for _, o := range v.Observations {
			fmt.Fprintf(w, "    observation %d: %s %s%s → %d, sha256 %s (raw: assure observations body %d)\n", o.ID, o.Method, hostPrefix(o), o.Path, o.Status, o.SHA256[:12], o.ID)
		}
	}
}

func hostPrefix(o collect.ObservationView) string {
	if o.Host == "" || o.Host == "localhost" {
		return ""
	}
	return o.Host
}

func scopeOf(s string) string {
	if s == "" {
		return "no scope"
	}
	return "scope " + s
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func showValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	default:
		b, err := jsonCompact(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return b
	}
}

func newRunsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "Collection runs: status, counts and errors per resource type"}
	var integration string
	var limit int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--integration NAME] [--limit N] [--json]",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				var id int64
				if integration != "" {
					in, err := a.Collect.IntegrationByName(ctx, p, integration)
					if err != nil {
						return err
					}
					id = in.ID
				}
				runs, err := a.Collect.Runs(ctx, p, id, limit)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, runs)
				}
				for _, r := range runs {
					fmt.Fprintf(e.stdout, "%s:\n", r.Integration.Name)
					printRunLine(e.stdout, r)
				}
				return nil
			})
		},
	}
	list.Flags().StringVar(&integration, "integration", "", "only this integration's runs")
	list.Flags().IntVar(&limit, "limit", 20, "how many")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show a run with its listings and every observation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("run id %q is not a number", args[0])}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				d, err := a.Collect.RunDetail(ctx, p, id)
				if err != nil {
					return err
				}
				if showJSON {
					return printJSON(e.stdout, d)
				}
				printScanRun(e, d.RunView)
				fmt.Fprintln(e.stdout, "Observations:")
				for _, o := range d.Observations {
					fmt.Fprintf(e.stdout, "  %d  %-20s %s %s%s → %d  %d bytes  sha256 %s\n", o.ID, orDash(o.ResourceType), o.Method, hostPrefix(o), o.Path, o.Status, o.Size, o.SHA256[:12])
				}
				return nil
			})
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "(probe)"
	}
	return s
}

func newObservationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "observations", Short: "The recorded calls behind collected resources"}
	body := &cobra.Command{
		Use:   "body ID",
		Short: "Write an observation's raw body, as stored, to standard output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("observation id %q is not a number", args[0])}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				_, rc, err := a.Collect.ObservationBody(ctx, p, id)
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.Copy(e.stdout, rc)
				return err
			})
		},
	}
	cmd.AddCommand(body)
	return cmd
}
