package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

func newLedgerCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Verify the tamper-evident ledger, sign checkpoints, export the public key"}
	cmd.AddCommand(newLedgerVerifyCmd(e), newLedgerCheckpointCmd(e), newLedgerKeyCmd(e), newLedgerEntriesCmd(e))
	return cmd
}

// orgsFor is the organization named by --org, or every organization.
func (e *env) orgsFor(a *app.App, cmd *cobra.Command) ([]model.Organization, error) {
	if e.cfg.Org == "" {
		return a.Accounts.Organizations(cmd.Context())
	}
	org, err := a.Accounts.ResolveOrg(cmd.Context(), e.cfg.Org)
	if err != nil {
		return nil, fmt.Errorf("%w (list organizations with `assure org list`)", err)
	}
	return []model.Organization{org}, nil
}

func newLedgerVerifyCmd(e *env) *cobra.Command {
	var asJSON bool
	var checkpoints []string
	var pubFile string
	cmd := &cobra.Command{
		Use:   "verify [--json] [--checkpoint FILE…] [--public-key FILE]",
		Short: "Check the ledger chain, every checkpoint's root and signature, and every stored file's hash",
		Long: "Walks every organization's ledger (or --org's), recomputing each entry's hash and the chain;\n" +
			"recomputes the Merkle root of every checkpoint and checks its signature; checks every evidence version\n" +
			"against the entry that recorded it and every referenced file (local or S3) against its SHA-256.\n" +
			"--checkpoint adds checkpoints kept from earlier (the output of `assure ledger checkpoint`): the log must\n" +
			"still contain them. --public-key trusts that key instead of the installation's own.\n" +
			"Prints what is wrong, naming the entry, the file and the evidence item; exits 1 on any fault.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts evidence.VerifyOptions
			for _, f := range checkpoints {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("cannot read checkpoint %s: %w", f, err)
				}
				cs, err := parseCheckpoints(b)
				if err != nil {
					return fmt.Errorf("checkpoint %s: %w", f, err)
				}
				opts.Checkpoints = append(opts.Checkpoints, cs...)
			}
			if pubFile != "" {
				b, err := os.ReadFile(pubFile)
				if err != nil {
					return fmt.Errorf("cannot read the public key %s: %w", pubFile, err)
				}
				if opts.PublicKey, err = ledger.ParsePublicKey(b); err != nil {
					return fmt.Errorf("the public key %s: %w", pubFile, err)
				}
			}
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			orgs, err := e.orgsFor(a, cmd)
			if err != nil {
				return err
			}
			rep, err := a.Evidence.Verify(ctx, orgs, opts)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(e.stdout, rep); err != nil {
					return err
				}
			} else {
				for _, o := range rep.Orgs {
					mark := "✓"
					if len(o.Faults) > 0 {
						mark = "✕"
					}
					cp := "no checkpoint yet"
					if o.Latest != nil {
						cp = fmt.Sprintf("latest checkpoint at %d, signed %s", o.Latest.TreeSize, o.Latest.Time.Format("2006-01-02 15:04 UTC"))
					}
					fmt.Fprintf(e.stdout, "%s %s: %d entries, %d checkpoints (%s), %d evidence versions, %d files checked\n",
						mark, o.Slug, o.Entries, o.Checkpoints, cp, o.Evidence, o.Blobs)
					if first := o.FirstBadEntry(); first > 0 {
						fmt.Fprintf(e.stdout, "  first bad entry: %d\n", first)
					}
					for _, f := range o.Faults {
						fmt.Fprintf(e.stdout, "  - %s\n", f.Problem)
					}
				}
			}
			if !rep.OK {
				return fmt.Errorf("the ledger does not verify: %d problem(s) found (listed above)", len(rep.Faults()))
			}
			if !asJSON {
				fmt.Fprintln(e.stdout, "The ledger verifies.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringArrayVar(&checkpoints, "checkpoint", nil, "a checkpoint kept from earlier (text or JSON)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "the public key to trust (PEM or base64)")
	return cmd
}

// parseCheckpoints reads checkpoints as JSON (one or a list) or the text form.
func parseCheckpoints(b []byte) ([]model.LedgerCheckpoint, error) {
	t := strings.TrimSpace(string(b))
	switch {
	case strings.HasPrefix(t, "["):
		var cs []model.LedgerCheckpoint
		return cs, json.Unmarshal(b, &cs)
	case strings.HasPrefix(t, "{"):
		var c model.LedgerCheckpoint
		return []model.LedgerCheckpoint{c}, json.Unmarshal(b, &c)
	}
	c, err := ledger.ParseSignedCheckpoint(b)
	return []model.LedgerCheckpoint{c}, err
}

func newLedgerCheckpointCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "checkpoint [--json]",
		Short: "Sign a checkpoint now (every organization, or --org) and print it; keep a copy outside Assure",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := e.open(ctx, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			orgs, err := e.orgsFor(a, cmd)
			if err != nil {
				return err
			}
			out := []model.LedgerCheckpoint{}
			for _, o := range orgs {
				c, _, err := a.Ledger.Checkpoint(ctx, o.ID)
				if errors.Is(err, model.ErrNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("organization %s: %w", o.Slug, err)
				}
				out = append(out, c)
			}
			if asJSON {
				return printJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stdout, "Nothing to sign: the ledger is empty.")
			}
			for _, c := range out {
				fmt.Fprint(e.stdout, ledger.FormatSignedCheckpoint(c))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newLedgerKeyCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "key [--json]",
		Short: "Print the installation's public signing key (PEM) for auditors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			k := api.NewPublicKey(a.Ledger.PublicKey(), a.InstallationID)
			if asJSON {
				return printJSON(e.stdout, k)
			}
			fmt.Fprint(e.stdout, k.PublicKeyPEM)
			fmt.Fprintf(e.stderr, "Ed25519 key %s of installation %s\n", k.KeyID, k.InstallationID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newLedgerEntriesCmd(e *env) *cobra.Command {
	var after int64
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "entries [--after SEQ] [--limit N] [--json]",
		Short: "List the organization's ledger entries (--json: the exact stored fields, for offline verification)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				es, err := a.Store.Org(p.Org.ID).LedgerEntries(ctx, after, limit)
				if err != nil {
					return err
				}
				if asJSON {
					if es == nil {
						es = []model.LedgerEntry{}
					}
					return printJSON(e.stdout, es)
				}
				t := newTable(e.stdout)
				fmt.Fprintln(t, "SEQ\tTIME\tKIND\tSUBJECT\tBY\tHASH")
				for _, en := range es {
					fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\n", en.Seq, en.Time.Format("2006-01-02 15:04:05"), en.Kind, en.Subject, who(en.Actor), en.Hash[:16])
				}
				return t.Flush()
			})
		},
	}
	cmd.Flags().Int64Var(&after, "after", 0, "start after this entry")
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many entries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
