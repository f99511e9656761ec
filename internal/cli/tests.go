package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/model"
)

func newTestsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "tests", Short: "Tests: the checks run on collected resources, and their results"}
	cmd.AddCommand(newTestsListCmd(e), newTestsShowCmd(e), newTestsEvalCmd(e), newTestsAddCmd(e), newTestsRemoveCmd(e))
	return cmd
}

func newTestsListCmd(e *env) *cobra.Command {
	var f check.TestFilter
	var severity string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--state failing|passing|not_run] [--severity S] [--control KEY] [--type T] [--json]",
		Short: "List the tests with their current results, failing first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if severity != "" {
				sev, err := model.ParseSeverity(severity)
				if err != nil {
					return usageError{err}
				}
				f.Severity = sev
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Checks.Tests(ctx, p, f)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No test matches.")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tSEVERITY\tSTATE\tFAIL\tERROR\tPASS\tCONTROLS\tTITLE")
				for _, s := range list {
					fmt.Fprintf(t, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.ID, s.Severity, s.State, s.Counts.Fail-s.Counts.Excepted, s.Counts.Error, s.Counts.Pass,
						strings.Join(s.Controls, ","), s.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&f.State, "state", "", "failing, passing or not_run")
	cmd.Flags().StringVar(&severity, "severity", "", "low, medium, high or critical")
	cmd.Flags().StringVar(&f.Control, "control", "", "only tests supporting this control key")
	cmd.Flags().StringVar(&f.ResourceType, "type", "", "only tests of this resource type")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTestsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show a test: its definition, each resource's status since when, exceptions and recent changes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				d, err := a.Checks.TestDetail(ctx, p, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, d)
				}
				w := e.stdout
				fmt.Fprintf(w, "%s — %s\n", d.ID, d.Title)
				if d.Description != "" {
					fmt.Fprintf(w, "%s\n", d.Description)
				}
				fmt.Fprintf(w, "\nSeverity:      %s\nResource type: %s\nControls:      %s\nOrigin:        %s\n", d.Severity,
					strings.Join(d.ResourceTypes, ", "), strings.Join(d.Controls, ", "), d.Origin)
				if d.Where != "" {
					fmt.Fprintf(w, "Where:         %s\n", d.Where)
				}
				fmt.Fprintf(w, "Assert:        %s\n", d.Assert)
				if d.Remediation != "" {
					fmt.Fprintf(w, "Remediation:   %s\n", d.Remediation)
				}
				fmt.Fprintf(w, "\nState: %s (%d failing, %d error, %d passing, %d skipped, %d excepted)\n\n", d.State,
					d.Counts.Fail, d.Counts.Error, d.Counts.Pass, d.Counts.Skipped, d.Counts.Excepted)
				if len(d.Results) == 0 {
					fmt.Fprintln(w, "No resource has been judged yet: collect with `assure scan`.")
					return nil
				}
				t := newTable(w)
				fmt.Fprintln(t, "STATUS\tRESOURCE\tINTEGRATION\tSINCE\tMESSAGE")
				for _, r := range d.Results {
					st := string(r.Status)
					if r.ExceptionID != 0 {
						st += fmt.Sprintf(" (exception %d)", r.ExceptionID)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", st, r.ResourceName, r.Integration, r.Since.Format(time.RFC3339), r.Message)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// EvalOutput is what `assure tests eval --json` prints: the same results
// and summary shapes as `assure scan --json`.
type EvalOutput struct {
	Results []check.Result `json:"results"`
	Summary check.Summary  `json:"summary"`
}

// jsonlResource is one line of a resources file.
type jsonlResource struct {
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Integration string          `json:"integration"`
	Attributes  json.RawMessage `json:"attributes"`
}

func newTestsEvalCmd(e *env) *cobra.Command {
	var file, failOn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --resources FILE [--json] [--fail-on SEVERITY]",
		Short: "Evaluate the tests offline over resources in a JSON Lines file",
		Long: "Evaluate every test on the resources of a JSON Lines file, one resource per line:\n" +
			"  {\"type\":\"host.sshd\",\"id\":\"sshd\",\"attributes\":{\"installed\":true,\"password_authentication\":true}}\n" +
			"(name and integration are optional). Nothing is collected or stored; lookup() searches the same file.\n" +
			"FILE - reads standard input. --fail-on exits 1 when a result fails at that severity or above.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageError{errors.New("--resources FILE is required (a JSON Lines file; - for standard input)")}
			}
			min, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			var in io.Reader = e.stdin
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return fmt.Errorf("cannot read the resources file: %w", err)
				}
				defer f.Close()
				in = f
			}
			rs, err := readResources(in, file)
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				eng, err := a.Checks.Engine(ctx, p.Org.ID)
				if err != nil {
					return err
				}
				results := check.EvaluateOffline(eng, rs, a.Now())
				out := EvalOutput{Results: results, Summary: check.Summarize(results, len(eng.Tests()))}
				if asJSON {
					if err := printJSON(e.stdout, out); err != nil {
						return err
					}
				} else {
					printResults(e.stdout, out.Results, out.Summary)
				}
				return failOnError(out.Results, min)
			})
		},
	}
	cmd.Flags().StringVar(&file, "resources", "", "JSON Lines file of resources ({\"type\",\"id\",\"attributes\"} per line; - for standard input)")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 1 when a result fails at this severity or above (low, medium, high, critical)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// readResources reads a JSON Lines file of resources, naming the line of
// any problem.
func readResources(r io.Reader, name string) ([]*check.Resource, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var out []*check.Resource
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var jr jsonlResource
		if err := json.Unmarshal([]byte(line), &jr); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object: %w", name, n, err)
		}
		if jr.Type == "" || jr.ID == "" {
			return nil, fmt.Errorf("%s:%d: each line needs \"type\" and \"id\"", name, n)
		}
		if jr.Name == "" {
			jr.Name = jr.ID
		}
		res, err := check.NewResource(0, jr.Type, jr.ID, jr.Name, jr.Attributes)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if jr.Integration != "" {
			res.SetIntegration(jr.Integration)
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return out, nil
}

func parseFailOn(s string) (model.Severity, error) {
	if s == "" {
		return "", nil
	}
	sev, err := model.ParseSeverity(s)
	if err != nil {
		return "", usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	return sev, nil
}

// failOnError is the error (exit 1) for --fail-on: results failing at min
// or above that no exception accepts.
func failOnError(rs []check.Result, min model.Severity) error {
	if min == "" {
		return nil
	}
	n := 0
	for _, r := range rs {
		if r.Status.Failing() && r.ExceptionID == 0 && r.Severity.AtLeast(min) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d result(s) fail at severity %s or above (--fail-on %s)", n, min, min)
}

// printResults shows what failed and the summary, for people.
func printResults(w io.Writer, rs []check.Result, s check.Summary) {
	fmt.Fprintf(w, "\nTests: %d evaluations over %d resources: %d pass, %d fail, %d error, %d skipped", s.Evaluations, s.Resources, s.Pass, s.Fail, s.Error, s.Skipped)
	if s.Excepted > 0 {
		fmt.Fprintf(w, " (%d accepted by exceptions)", s.Excepted)
	}
	if s.Changes > 0 {
		fmt.Fprintf(w, "; %d status change(s)", s.Changes)
	}
	fmt.Fprintln(w)
	t := newTable(w)
	shown := false
	for _, r := range rs {
		if r.Status == model.TestPass {
			continue
		}
		if !shown {
			fmt.Fprintln(t, "STATUS\tSEVERITY\tTEST\tRESOURCE\tMESSAGE")
			shown = true
		}
		st := strings.ToUpper(string(r.Status))
		if r.ExceptionID != 0 {
			st += " (excepted)"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", st, r.Severity, r.Test, r.ResourceType+" "+r.ResourceName, r.Message)
	}
	t.Flush()
}

func newTestsAddCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add FILE [--json]",
		Short: "Store a test of your own (YAML with one test, as in docs/tests.md) for this organization",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("cannot read the test file: %w", err)
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				t, err := a.Checks.SaveTest(ctx, p, string(b))
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if asJSON {
					return printJSON(e.stdout, t)
				}
				fmt.Fprintf(e.stdout, "Saved test %s; it runs from the next scan.\n", t.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTestsRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a test of your own (its past results stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if err := a.Checks.RemoveTest(ctx, p, args[0]); err != nil {
					return err
				}
				if _, err := a.Checks.EvaluateOrg(ctx, p.Org.ID); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Removed test %s.\n", args[0])
				return nil
			})
		},
	}
}
