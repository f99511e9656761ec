package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
)

// AuditExport is the JSON output of `assure audit export`.
type AuditExport struct {
	Path      string `json:"path"`
	Format    string `json:"format"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	// Package is set for the evidence package: the manifest's SHA-256,
	// the files, the ledger entry that records it and the checkpoint.
	Package *export.PackageResult `json:"package,omitempty"`
}

// newAuditExportCmd is `assure audit export`.
func newAuditExportCmd(e *env) *cobra.Command {
	var format, out string
	var asJSON, withoutResponses bool
	cmd := &cobra.Command{
		Use:   "export AUDIT --format xlsx|csv|pdf|html|package [-o PATH] [--without-responses] [--json]",
		Short: "Export an audit: the control matrix (xlsx, csv), the report draft (pdf, html) or the evidence package (package)",
		Long: "Writes the control matrix, the report draft (a draft for the service auditor, not a report) or the evidence\n" +
			"package: a ZIP of the evidence by control, populations, samples and the control matrix, with a manifest of\n" +
			"SHA-256 hashes whose own hash is recorded in the ledger (audit.exported), inclusion proofs and the signed\n" +
			"checkpoint, so that `assure verify` can check it offline. -o defaults to a generated name in the current\n" +
			"folder; the file is written under a temporary name and renamed when complete. See docs/exports.md.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := argID("audit", args[0])
			if err != nil {
				return err
			}
			f, err := export.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			return e.withOrg(cmd, func(ctx context.Context, a *app.App, p model.Principal) error {
				if a.Exports == nil {
					return fmt.Errorf("the database schema is older than this binary: run `assure migrate` first")
				}
				path := out
				if path == "" {
					path = export.FileName(p.Org, id, f)
				}
				sp, err := a.Exports.WriteFile(ctx, p, id, f, export.Options{WithoutResponses: withoutResponses}, path)
				if err != nil {
					return err
				}
				res := AuditExport{Path: path, Format: string(f), MediaType: sp.MediaType, Size: sp.Size, SHA256: sp.SHA256, Package: sp.Package}
				if asJSON {
					return printJSON(e.stdout, res)
				}
				fmt.Fprintf(e.stdout, "Wrote %s: %s of audit %d, %s, SHA-256 %s\n", path, f.Describe(), id, evidence.HumanSize(sp.Size), sp.SHA256)
				if pk := sp.Package; pk != nil {
					fmt.Fprintf(e.stdout, "  %d files (%s before compression), %d ledger entries with inclusion proofs", pk.Files, evidence.HumanSize(pk.Bytes), pk.Entries)
					if pk.NotIncluded > 0 {
						fmt.Fprintf(e.stdout, "; %d evidence version(s) deleted by the retention policy are listed without their content", pk.NotIncluded)
					}
					fmt.Fprintf(e.stdout, "\n  manifest SHA-256 %s, recorded in ledger entry %d; checkpoint at size %d signed by key %s\n",
						pk.ManifestSHA256, pk.ExportEntry, pk.Checkpoint.TreeSize, a.Exports.KeyID()[:16])
					fmt.Fprintf(e.stdout, "Check it with: assure verify %s --key KEY.pem   (the public key: `assure ledger key`)\n", filepath.Base(path))
				} else if f == export.FormatPDF || f == export.FormatHTML {
					fmt.Fprintln(e.stdout, "  A draft for the service auditor, not a SOC report.")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "xlsx, csv, pdf, html or package (required)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write it (default: a generated name in the current folder)")
	cmd.Flags().BoolVar(&withoutResponses, "without-responses", false, "package: leave out the raw API responses behind automated evidence")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("format")
	return cmd
}
