package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/assurehq/assure/internal/app"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
)

func newEvidenceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "evidence", Short: "Add, list and show evidence; retention and legal holds"}
	cmd.AddCommand(newEvidenceAddCmd(e), newEvidenceVersionCmd(e), newEvidenceListCmd(e), newEvidenceShowCmd(e),
		newEvidenceDownloadCmd(e), newEvidenceExpiringCmd(e), newEvidenceRetentionCmd(e), newEvidenceHoldCmd(e, true), newEvidenceHoldCmd(e, false))
	return cmd
}

// contentFlags are the flags that describe what a version holds and when it was true.
type contentFlags struct {
	effective, period, expires, text string
}

func (f *contentFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.effective, "effective", "", "the day the evidence was true (YYYY-MM-DD; default today)")
	cmd.Flags().StringVar(&f.period, "period", "", "the period it covers, FROM..TO (YYYY-MM-DD..YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.expires, "expires", "", "the day it stops counting (YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.text, "text", "", "the statement of an attestation (--kind attestation)")
}

// content builds evidence.Content from the argument and flags; the caller
// closes the returned file, if any.
func (f *contentFlags) content(kind model.EvidenceKind, arg string) (evidence.Content, io.Closer, error) {
	var c evidence.Content
	if f.effective != "" && f.period != "" {
		return c, nil, usageError{errors.New("give --effective DATE or --period FROM..TO, not both")}
	}
	c.EffectiveFrom, c.ExpiresOn = f.effective, f.expires
	if f.period != "" {
		from, to, ok := strings.Cut(f.period, "..")
		if !ok || from == "" || to == "" {
			return c, nil, usageError{fmt.Errorf("--period %q: write it as FROM..TO, e.g. 2026-07-01..2026-09-30", f.period)}
		}
		c.EffectiveFrom, c.EffectiveTo = from, to
	}
	switch kind {
	case model.EvidenceAttestation:
		if arg != "" {
			return c, nil, usageError{errors.New("an attestation takes --text, not a file or URL")}
		}
		c.Text = f.text
	case model.EvidenceLink:
		c.URL = arg
	case model.EvidenceFile:
		if arg == "" {
			return c, nil, usageError{errors.New("name the file (or a URL) to add")}
		}
		file, err := os.Open(arg)
		if err != nil {
			return c, nil, fmt.Errorf("cannot open %s: %w", arg, err)
		}
		if st, err := file.Stat(); err == nil && st.IsDir() {
			file.Close()
			return c, nil, fmt.Errorf("%s is a directory: add files one by one (or zip them)", arg)
		}
		// Only the base name is kept, as metadata; the file is stored by hash.
		c.File, c.FileName = file, filepath.Base(arg)
		return c, file, nil
	}
	return c, nil, nil
}

func kindOf(kind, arg string) (model.EvidenceKind, error) {
	if kind != "" {
		k, err := model.ParseEvidenceKind(kind)
		if err != nil {
			return "", usageError{err}
		}
		return k, nil
	}
	if strings.HasPrefix(arg, "https://") || strings.HasPrefix(arg, "http://") {
		return model.EvidenceLink, nil
	}
	return model.EvidenceFile, nil
}

func newEvidenceAddCmd(e *env) *cobra.Command {
	var controls []string
	var title, description, kind string
	var cf contentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add FILE|URL --control KEY [--control KEY…] [--effective DATE | --period FROM..TO] [--expires DATE]",
		Short: "Add evidence: a file, a link, or an attestation (--kind attestation --text \"…\")",
		Long: "Add evidence for one or more controls. A file is checked (type and size) and stored under its SHA-256;\n" +
			"a URL is recorded as a link; --kind attestation records a written statement given with --text.\n" +
			"--effective or --period says when the evidence was true; --expires when it stops counting.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			k, err := kindOf(kind, arg)
			if err != nil {
				return err
			}
			if len(controls) == 0 {
				return usageError{errors.New("name at least one control with --control KEY")}
			}
			c, closer, err := cf.content(k, arg)
			if err != nil {
				return err
			}
			if closer != nil {
				defer closer.Close()
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				it, err := a.Evidence.Add(ctx, p, evidence.NewItem{Kind: k, Title: title, Description: description, Controls: controls, Content: c})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, it)
				}
				fmt.Fprintf(e.stdout, "Added evidence %d (%s) for %s: %s\nSHA-256 %s, recorded in ledger entry %d.\n",
					it.ID, it.Kind, strings.Join(it.Controls, ", "), it.Title, it.Current.SHA256, it.Current.LedgerSeq)
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&controls, "control", nil, "a control the evidence supports (repeat for several)")
	cmd.Flags().StringVar(&title, "title", "", "a short title (default: the file name, the link, or the statement's first line)")
	cmd.Flags().StringVar(&description, "description", "", "what the evidence shows")
	cmd.Flags().StringVar(&kind, "kind", "", "file, link or attestation (default: link for a URL, file otherwise)")
	cf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newEvidenceVersionCmd(e *env) *cobra.Command {
	var cf contentFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version ID [FILE|URL] [--effective DATE | --period FROM..TO] [--expires DATE] [--text …]",
		Short: "Add a new version of an item: it supersedes the current one, which remains",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				it, err := a.Evidence.Item(ctx, p, id)
				if err != nil {
					return err
				}
				arg := ""
				if len(args) == 2 {
					arg = args[1]
				}
				c, closer, err := cf.content(it.Kind, arg)
				if err != nil {
					return err
				}
				if closer != nil {
					defer closer.Close()
				}
				it, err = a.Evidence.AddVersion(ctx, p, id, c)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, it)
				}
				fmt.Fprintf(e.stdout, "Evidence %d is now at version %d (SHA-256 %s, ledger entry %d); earlier versions remain.\n",
					it.ID, it.Current.Version, it.Current.SHA256, it.Current.LedgerSeq)
				return nil
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%q is not an evidence id (a number; see `assure evidence list`)", s)}
	}
	return id, nil
}

func period(v *model.EvidenceVersion) string {
	if v == nil {
		return ""
	}
	if v.EffectiveTo != "" && v.EffectiveTo != v.EffectiveFrom {
		return v.EffectiveFrom + ".." + v.EffectiveTo
	}
	return v.EffectiveFrom
}

func newEvidenceListCmd(e *env) *cobra.Command {
	var control string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--control KEY]",
		Short: "List evidence, expiring first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				items, err := a.Evidence.List(ctx, p, control)
				if err != nil {
					return err
				}
				if asJSON {
					if items == nil {
						items = []model.EvidenceItem{}
					}
					return printJSON(e.stdout, items)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tKIND\tCONTROLS\tEFFECTIVE\tEXPIRES\tVERSION\tSHA-256\tTITLE")
				for _, it := range items {
					c := it.Current
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Kind, strings.Join(it.Controls, ","), period(c), c.ExpiresOn, c.Version, c.SHA256[:12], it.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&control, "control", "", "only evidence for this control")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newEvidenceShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an item: versions, provenance, ledger entries with inclusion proofs, verification",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				d, err := a.Evidence.Detail(ctx, p, id)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, d)
				}
				it := d.Item
				w := e.stdout
				fmt.Fprintf(w, "Evidence %d: %s\n  kind      %s\n  controls  %s\n  added     %s by %s\n", it.ID, it.Title, it.Kind,
					strings.Join(it.Controls, ", "), it.CreatedAt.Format(time.RFC3339), who(it.CreatedBy))
				if it.Description != "" {
					fmt.Fprintf(w, "  about     %s\n", it.Description)
				}
				if it.LegalHold {
					fmt.Fprintln(w, "  legal hold: the retention policy does not apply")
				}
				fmt.Fprintln(w, "\nVersions:")
				t := newTable(w)
				fmt.Fprintln(t, "  V\tEFFECTIVE\tEXPIRES\tSIZE\tTYPE\tSHA-256\tLEDGER\tSTATE")
				for _, v := range d.Versions {
					state := "current"
					switch {
					case v.DeletedAt != nil:
						state = "deleted (" + v.DeletionReason + ")"
					case v.SupersededAt != nil:
						state = "superseded"
					}
					fmt.Fprintf(t, "  %d\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", v.Version, period(&v), v.ExpiresOn, v.Size, v.MediaType, v.SHA256, v.LedgerSeq, state)
				}
				t.Flush()
				fmt.Fprintln(w, "\nLedger:")
				for _, pe := range d.Ledger {
					proof := "not yet in a signed checkpoint"
					if pe.Proof != nil && pe.Proof.Checkpoint != nil {
						proof = fmt.Sprintf("proved in the checkpoint at size %d (root %s)", pe.Proof.TreeSize, pe.Proof.RootHash[:16])
					}
					fmt.Fprintf(w, "  #%d %s %s by %s, hash %s, %s\n", pe.Entry.Seq, pe.Entry.Time.Format(time.RFC3339), pe.Entry.Kind, who(pe.Entry.Actor), pe.Entry.Hash[:16], proof)
				}
				if d.Verification.OK {
					fmt.Fprintln(w, "\nVerification: ✓ every file matches its hash and every version its ledger entry")
				} else {
					fmt.Fprintln(w, "\nVerification: ✕ FAILED")
					for _, pr := range d.Verification.Problems {
						fmt.Fprintf(w, "  - %s\n", pr)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func who(a model.Actor) string {
	if a.Email != "" {
		return a.Email + " (" + a.Via + ")"
	}
	if a.Via == "cli" {
		return "the operator (command line)"
	}
	return a.Via
}

func newEvidenceDownloadCmd(e *env) *cobra.Command {
	var version int
	var output string
	cmd := &cobra.Command{
		Use:   "download ID --output FILE [--version N]",
		Short: "Write an item's stored file (current version unless --version) to FILE (- for standard output)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			if output == "" {
				return usageError{errors.New("say where to write it with --output FILE (or - for standard output)")}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				f, err := a.Evidence.Open(ctx, p, id, version)
				if err != nil {
					return err
				}
				defer f.Body.Close()
				var w io.Writer = e.stdout
				if output != "-" {
					out, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
					if err != nil {
						return fmt.Errorf("cannot create %s (it must not exist yet): %w", output, err)
					}
					defer out.Close()
					w = out
				}
				if _, err := io.Copy(w, f.Body); err != nil {
					return fmt.Errorf("cannot write the file: %w", err)
				}
				if output != "-" {
					fmt.Fprintf(e.stderr, "Wrote version %d of evidence %d (%d bytes, SHA-256 %s) to %s.\n", f.Version.Version, id, f.Version.Size, f.Version.SHA256, output)
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version to write (default: the current one)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "where to write the file")
	return cmd
}

func newEvidenceExpiringCmd(e *env) *cobra.Command {
	var within string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "expiring [--within 30d]",
		Short: "List evidence that has expired or expires soon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseTTL(within)
			if err != nil || d == 0 {
				return usageError{fmt.Errorf("--within %q: use a number of days like 30d", within)}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				ex, err := a.Evidence.ExpiringSoon(ctx, p.Org.ID, d)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(e.stdout, ex)
				}
				if len(ex) == 0 {
					fmt.Fprintf(e.stdout, "No evidence expires within %s.\n", within)
					return nil
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "ID\tEXPIRES\tSTATE\tCONTROLS\tTITLE")
				for _, x := range ex {
					state := "expiring"
					if x.Expired {
						state = "EXPIRED"
					}
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\n", x.Item.ID, x.ExpiresOn, state, strings.Join(x.Item.Controls, ","), x.Item.Title)
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&within, "within", "30d", "how far ahead to look")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newEvidenceRetentionCmd(e *env) *cobra.Command {
	var days int
	var hold string
	var apply, asJSON bool
	cmd := &cobra.Command{
		Use:   "retention [--days N] [--legal-hold on|off] [--apply]",
		Short: "Show or set the evidence retention policy; --apply deletes what it allows now",
		Long: "Evidence is deleted only by this policy: a version is deleted N days after it stops being relevant\n" +
			"(the end of its period, or when it was superseded or expired), unless the organization or the item\n" +
			"is on legal hold. Each deletion is a ledger entry; the hash stays. --days 0 keeps evidence forever.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				pol, err := a.Evidence.Policy(ctx, p)
				if err != nil {
					return err
				}
				var dels []evidence.Deletion
				if cmd.Flags().Changed("days") || hold != "" {
					h := pol.LegalHold
					switch hold {
					case "":
					case "on":
						h = true
					case "off":
						h = false
					default:
						return usageError{fmt.Errorf("--legal-hold must be on or off, got %q", hold)}
					}
					if !cmd.Flags().Changed("days") {
						days = pol.Days
					}
					if pol, dels, err = a.Evidence.SetPolicy(ctx, p, days, h); err != nil {
						return err
					}
				}
				if apply {
					more, err := a.Evidence.ApplyRetention(ctx, p.Org.ID, evidence.ReasonRetention)
					dels = append(dels, more...)
					if err != nil {
						return err
					}
				}
				if asJSON {
					if dels == nil {
						dels = []evidence.Deletion{}
					}
					return printJSON(e.stdout, map[string]any{"policy": pol, "deleted": dels})
				}
				if pol.Days == 0 {
					fmt.Fprintln(e.stdout, "Retention: evidence is kept forever.")
				} else {
					fmt.Fprintf(e.stdout, "Retention: a version is deleted %d days after it stops being relevant.\n", pol.Days)
				}
				if pol.LegalHold {
					fmt.Fprintln(e.stdout, "Legal hold: ON — nothing is deleted.")
				}
				for _, d := range dels {
					fmt.Fprintf(e.stdout, "Deleted evidence %d version %d (SHA-256 %s, %s)", d.ItemID, d.Version, d.SHA256, d.Reason)
					if d.BlobKept != "" {
						fmt.Fprintf(e.stdout, "; the file stays: %s", d.BlobKept)
					}
					fmt.Fprintln(e.stdout, ".")
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&days, "days", 0, "days to keep a version after it stops being relevant (0: forever)")
	cmd.Flags().StringVar(&hold, "legal-hold", "", "on or off: an organization-wide legal hold")
	cmd.Flags().BoolVar(&apply, "apply", false, "apply the policy now (serve does this daily)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newEvidenceHoldCmd(e *env, hold bool) *cobra.Command {
	use, short := "hold ID", "Put an item on legal hold: the retention policy does not delete it"
	if !hold {
		use, short = "release ID", "Release an item's legal hold (the retention policy then applies at once)"
	}
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				it, dels, err := a.Evidence.SetHold(ctx, p, id, hold)
				if err != nil {
					return err
				}
				if hold {
					fmt.Fprintf(e.stdout, "Evidence %d is on legal hold.\n", it.ID)
				} else {
					fmt.Fprintf(e.stdout, "Evidence %d is released from legal hold; %d version(s) were past retention and deleted.\n", it.ID, len(dels))
				}
				return nil
			})
		},
	}
}
