package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
)

func newNotificationsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "Notification channels (webhook, Slack, e-mail) and the delivery log",
		Long: "Channels of the organization (--org) that hear about test status changes (once per change) and evidence\n" +
			"about to expire. Secret settings (URLs, signing secrets, passwords) are encrypted at rest and never printed;\n" +
			"pass them as --config KEY=@FILE or --config KEY=@- to keep them out of your shell history.\n" +
			"See docs/notifications.md.",
	}
	cmd.AddCommand(newNotificationsListCmd(e), newNotificationsAddCmd(e), newNotificationsTestCmd(e),
		newNotificationsEnableCmd(e, true), newNotificationsEnableCmd(e, false), newNotificationsRemoveCmd(e),
		newNotificationsDeliveriesCmd(e), newNotificationsRetryCmd(e))
	return cmd
}

func filterSummary(c monitor.ChannelView) string {
	parts := []string{string(c.MinSeverity) + "+"}
	if len(c.Controls) > 0 {
		parts = append(parts, "controls "+strings.Join(c.Controls, ","))
	}
	if len(c.IntegrationNames) > 0 {
		parts = append(parts, "integrations "+strings.Join(c.IntegrationNames, ","))
	}
	if c.OnlyFailures {
		parts = append(parts, "failures only")
	}
	if len(c.ReminderDays) > 0 {
		var ds []string
		for _, d := range c.ReminderDays {
			ds = append(ds, strconv.Itoa(d))
		}
		parts = append(parts, "reminders "+strings.Join(ds, ",")+"d")
	}
	return strings.Join(parts, "; ")
}

func channelTarget(c monitor.ChannelView) string {
	if c.Kind == model.ChannelEmail {
		return c.Config["to"] + " via " + c.Config["host"] + ":" + c.Config["port"]
	}
	return c.Config["url_host"]
}

func newNotificationsListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List notification channels with their filters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Monitor.Channels(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No notification channels yet. Add one, e.g.: assure notifications add --kind slack --name alerts --config url=@slack-webhook-url.txt")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "NAME\tKIND\tSTATE\tTO\tFILTERS")
				for _, c := range list {
					state := "enabled"
					if !c.Enabled {
						state = "disabled"
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, state, channelTarget(c), filterSummary(c))
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newNotificationsAddCmd(e *env) *cobra.Command {
	var kind, name, minSeverity, reminderDays string
	var controls, integrations []string
	var onlyFailures, disabled, asJSON bool
	var cfg configFlags
	cmd := &cobra.Command{
		Use:   "add --kind webhook|slack|email --name NAME [--config KEY=VALUE]...",
		Short: "Add a notification channel",
		Long: "Add a notification channel. Settings by kind:\n" +
			"  webhook  url (required), secret (the signing secret, 16+ characters; generated and printed once when absent)\n" +
			"  slack    url (required: the incoming webhook URL)\n" +
			"  email    host, from, to (required; to is comma-separated), port (587), tls (starttls, tls or none),\n" +
			"           username, password\n" +
			"Filters: --min-severity, --control (repeatable), --integration (repeatable), --only-failures.\n" +
			"Evidence expiry reminders: --reminder-days 14,1 (the default); --reminder-days none turns them off.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kind == "" || name == "" {
				return usageError{fmt.Errorf("--kind webhook|slack|email and --name NAME are required")}
			}
			values, err := cfg.values(e.stdin)
			if err != nil {
				return err
			}
			in := monitor.ChannelInput{Name: name, Kind: model.ChannelKind(kind), Config: values, MinSeverity: model.Severity(minSeverity),
				Controls: controls, Integrations: integrations, OnlyFailures: onlyFailures}
			if cmd.Flags().Changed("reminder-days") {
				days, err := parseDays(reminderDays)
				if err != nil {
					return err
				}
				in.ReminderDays = &days
			}
			if disabled {
				f := false
				in.Enabled = &f
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				v, err := a.Monitor.CreateChannel(ctx, p, in)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, v)
				}
				fmt.Fprintf(e.stdout, "Added notification channel %q (%s, id %d): %s.\n", v.Name, v.Kind, v.ID, filterSummary(v))
				if v.SigningSecret != "" {
					fmt.Fprintf(e.stdout, "\n  Signing secret (shown once; give it to the receiver to verify X-Assure-Signature):\n\n    %s\n\n", v.SigningSecret)
				}
				fmt.Fprintf(e.stdout, "Send a test message with: assure notifications test %s\n", v.Name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "webhook, slack or email")
	cmd.Flags().StringVar(&name, "name", "", "a name for the channel")
	cmd.Flags().StringVar(&minSeverity, "min-severity", "low", "only changes of tests at least this severe: low, medium, high, critical")
	cmd.Flags().StringArrayVar(&controls, "control", nil, "only changes of tests supporting this control (repeatable)")
	cmd.Flags().StringArrayVar(&integrations, "integration", nil, "only changes of resources from this integration (repeatable)")
	cmd.Flags().BoolVar(&onlyFailures, "only-failures", false, "leave out changes to passing (fixes)")
	cmd.Flags().StringVar(&reminderDays, "reminder-days", "14,1", "evidence expiry reminders, days before expiry (comma-separated; none: no reminders)")
	cmd.Flags().BoolVar(&disabled, "disabled", false, "add it disabled")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cfg.add(cmd)
	return cmd
}

func parseDays(s string) ([]int, error) {
	days := []int{}
	if strings.TrimSpace(s) == "none" || strings.TrimSpace(s) == "" {
		return days, nil
	}
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "d")))
		if err != nil {
			return nil, usageError{fmt.Errorf("--reminder-days %q: write whole days separated by commas, e.g. 14,1, or none", s)}
		}
		days = append(days, n)
	}
	return days, nil
}

// channelByName opens the installation and finds a channel.
func (e *env) channelByName(cmd *cobra.Command, name string) (*app.App, model.Principal, monitor.ChannelView, error) {
	ctx := cmd.Context()
	a, p, err := e.openOrg(ctx)
	if err != nil {
		return nil, p, monitor.ChannelView{}, err
	}
	c, err := a.Monitor.ChannelByName(ctx, p, name)
	if err != nil {
		a.Close()
		return nil, p, c, err
	}
	return a, p, c, nil
}

func newNotificationsTestCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Send a test message through a channel now; exit code 1 when it fails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, p, c, err := e.channelByName(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			d, err := a.Monitor.TestChannel(cmd.Context(), p, c.ID)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(e.stdout, d); err != nil {
					return err
				}
			} else if d.Status == model.DeliverySent {
				fmt.Fprintf(e.stdout, "Sent a test message through %q (%s).\n", c.Name, d.Response)
			}
			if d.Status != model.DeliverySent {
				return fmt.Errorf("the test message through %q failed: %s", c.Name, d.LastError)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newNotificationsEnableCmd(e *env, on bool) *cobra.Command {
	use, short := "enable NAME", "Enable a channel (it hears about changes from now on)"
	if !on {
		use, short = "disable NAME", "Disable a channel (nothing is sent through it; changes meanwhile are not sent later)"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, p, c, err := e.channelByName(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.Monitor.UpdateChannel(cmd.Context(), p, c.ID, monitor.ChannelUpdate{Enabled: &on}); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Channel %q %s.\n", c.Name, map[bool]string{true: "enabled", false: "disabled"}[on])
			return nil
		},
	}
}

func newNotificationsRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a channel (its delivery log stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, p, c, err := e.channelByName(cmd, args[0])
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Monitor.RemoveChannel(cmd.Context(), p, c.ID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Removed channel %q.\n", c.Name)
			return nil
		},
	}
}

func newNotificationsDeliveriesCmd(e *env) *cobra.Command {
	var channel, status string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "deliveries [--channel NAME] [--status pending|sending|sent|failed] [--limit N]",
		Short: "The delivery log: what was sent where, attempts and errors, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				f := store.DeliveryFilter{Status: model.DeliveryStatus(status), Limit: limit}
				if channel != "" {
					c, err := a.Monitor.ChannelByName(ctx, p, channel)
					if err != nil {
						return err
					}
					f.ChannelID = c.ID
				}
				list, err := a.Monitor.Deliveries(ctx, p, f)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "Nothing sent yet.")
					return nil
				}
				printDeliveries(e.stdout, list)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel")
	cmd.Flags().StringVar(&status, "status", "", "only deliveries in this state")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printDeliveries(w io.Writer, list []model.NotificationDelivery) {
	t := newTable(w)
	fmt.Fprintln(t, "ID\tCREATED\tCHANNEL\tKIND\tITEMS\tSTATUS\tATTEMPTS\tSUBJECT / LAST ERROR")
	for _, d := range list {
		detail := d.Subject
		switch d.Status {
		case model.DeliveryFailed:
			detail = "error: " + d.LastError
		case model.DeliveryPending:
			if d.LastError != "" {
				detail = fmt.Sprintf("retry at %s: %s", d.NextAttemptAt.Format(time.RFC3339), d.LastError)
			}
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", d.ID, d.CreatedAt.Format(time.RFC3339), d.ChannelName, d.Kind, d.Items,
			d.Status, d.Attempts, detail)
	}
	t.Flush()
}

func newNotificationsRetryCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "retry DELIVERY-ID",
		Short: "Send a failed delivery again (after fixing the channel); the server's dispatcher or the next scan sends it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("%q is not a delivery id (see `assure notifications deliveries --status failed`)", args[0])}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if _, err := a.Monitor.RetryDelivery(ctx, p, id); err != nil {
					return err
				}
				res, err := a.Monitor.DispatchOrg(ctx, p.Org.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Delivery %d: %s.\n", id, dispatchWords(res))
				return nil
			})
		},
	}
}

// dispatchWords says what a dispatch pass did.
func dispatchWords(r monitor.DispatchResult) string {
	if r.Sent+r.Failed+r.Retrying == 0 {
		return "nothing to send"
	}
	var parts []string
	if r.Sent > 0 {
		parts = append(parts, fmt.Sprintf("%d sent", r.Sent))
	}
	if r.Retrying > 0 {
		parts = append(parts, fmt.Sprintf("%d to retry", r.Retrying))
	}
	if r.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed (see `assure notifications deliveries --status failed`)", r.Failed))
	}
	return strings.Join(parts, ", ")
}

func newScheduleCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "When the scheduler in `assure serve` collects each integration next",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				list, err := a.Monitor.Schedule(ctx, p)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, list)
				}
				if len(list) == 0 {
					fmt.Fprintln(e.stdout, "No integrations to schedule. Add one, e.g.: assure integrations add --connector host --name this-host")
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "INTEGRATION\tCONNECTOR\tINTERVAL\tNEXT RUN\tLAST RUN\tFAILURES")
				for _, s := range list {
					next := "at the next tick"
					switch {
					case !s.Enabled:
						next = "disabled"
					case s.NextRunAt != nil:
						next = s.NextRunAt.Format(time.RFC3339)
					}
					last := "never"
					if s.LastRun != nil {
						last = fmt.Sprintf("%s (%s)", s.LastRun.StartedAt.Format(time.RFC3339), s.LastStatus)
					}
					fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%d\n", s.Integration, s.Connector, s.Interval, next, last, s.Failures)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// notifyAfterScan sends what the scan changed (and any reminder or
// delivery that is due) through the organization's channels, so an
// installation without a server notifies too. A server's dispatcher never
// sends it again: planning and sending are claimed in the database. A
// failure to notify is reported, and does not fail the scan.
func notifyAfterScan(ctx context.Context, e *env, a *app.App, p model.Principal, asJSON bool) *monitor.DispatchResult {
	channels, err := a.Monitor.Channels(ctx, p)
	if err != nil || len(channels) == 0 {
		return nil
	}
	reminders, rerr := a.Monitor.Remind(ctx, p.Org.ID)
	res, err := a.Monitor.DispatchOrg(ctx, p.Org.ID)
	res.Reminders = reminders
	if err = errors.Join(rerr, err); err != nil {
		fmt.Fprintf(e.stderr, "assure: warning: cannot send every notification: %v\n", err)
	}
	if !asJSON && res.Sent+res.Failed+res.Retrying > 0 {
		fmt.Fprintf(e.stdout, "Notifications: %s.\n", dispatchWords(res))
	}
	return &res
}
