package cli

import (
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/ledger"
)

// newVerifyCmd is `assure verify PACKAGE`: the offline check of an evidence
// package. It opens no database and no blob store, so an auditor can run it
// on their own machine with nothing but the package (and the key they were
// given).
func newVerifyCmd(e *env) *cobra.Command {
	var asJSON bool
	var keyFile string
	cmd := &cobra.Command{
		Use:   "verify PACKAGE [--json] [--key FILE]",
		Short: "Check an exported evidence package offline: every file, the ledger proofs, the signed checkpoint",
		Long: "Checks an evidence package (the ZIP from `assure audit export --format package`, or the folder it was\n" +
			"extracted into) without a database: every file's SHA-256 against manifest.json, no file missing or added,\n" +
			"the manifest's hash against the audit.exported ledger entry, every ledger entry's hash and its RFC 9162\n" +
			"inclusion proof against the checkpoint, the checkpoint's Ed25519 signature, and the consistency of the\n" +
			"period's earlier checkpoints. --key FILE (PEM or base64) trusts that key: a package signed by another key\n" +
			"fails. Without --key only the key inside the package is used, which shows integrity but not origin.\n" +
			"Names every file and ledger entry that is wrong; exits 1 when anything is.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opt export.VerifyOptions
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return fmt.Errorf("cannot read the trusted key %s: %w", keyFile, err)
				}
				if opt.TrustedKey, err = ledger.ParsePublicKey(b); err != nil {
					return fmt.Errorf("the trusted key %s: %w", keyFile, err)
				}
			}
			src, err := export.OpenSource(args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			r := export.Verify(src, opt)
			if asJSON {
				if err := printJSON(e.stdout, r); err != nil {
					return err
				}
			} else {
				printVerifyReport(e, r, opt.TrustedKey)
			}
			if !r.OK {
				return fmt.Errorf("the package does not verify: %d problem(s) found", len(r.Faults))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&keyFile, "key", "", "the organization's public key to trust (PEM or base64), obtained apart from the package")
	return cmd
}

func printVerifyReport(e *env, r export.Report, trusted ed25519.PublicKey) {
	w := e.stdout
	what := "the package"
	if r.Organization != nil && r.Audit != nil {
		what = fmt.Sprintf("%s, %s (audit %d)", r.Organization.Name, r.Audit.Title(), r.Audit.ID)
	}
	if r.OK {
		fmt.Fprintf(w, "✓ The package verifies: %s\n", what)
	} else {
		fmt.Fprintf(w, "✕ The package does not verify: %s\n", what)
	}
	fmt.Fprintf(w, "  %d files checked against the manifest; %d ledger entries checked", r.Files, r.Entries)
	if r.Checkpoint != nil {
		fmt.Fprintf(w, " against the checkpoint at size %d (signed %s)", r.Checkpoint.Size, r.Checkpoint.Time)
	}
	fmt.Fprintf(w, "; %d earlier checkpoint(s) checked for consistency\n", r.Consistency)
	if r.ExportEntry > 0 {
		fmt.Fprintf(w, "  the manifest is the one recorded by ledger entry %d\n", r.ExportEntry)
	}
	switch {
	case trusted != nil && r.TrustedKey:
		fmt.Fprintf(w, "  signed with the trusted key %s\n", ledger.KeyID(trusted)[:16])
	case trusted != nil:
		fmt.Fprintf(w, "  NOT signed with the trusted key %s\n", ledger.KeyID(trusted)[:16])
	case r.KeyID != "":
		fmt.Fprintf(w, "  signed with key %s, the one inside the package: compare it with the organization's key, or pass --key FILE\n", r.KeyID[:16])
	}
	for _, f := range r.Faults {
		fmt.Fprintf(w, "  - %s\n", f)
	}
}
