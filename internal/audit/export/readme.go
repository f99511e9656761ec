package export

import (
	"fmt"
	"io"
)

// writeReadme writes README.txt: what the package is and how to check it,
// for someone who opens it without Assure.
func writeReadme(w io.Writer, d Data) error {
	_, err := fmt.Fprintf(w, `Assure evidence package
=======================

Organization: %s
Audit:        %s (audit %d)
Generated:    %s by %s

What is inside
  manifest.json             every content file with its SHA-256 and size, and what it is
  README.txt                this file
  control-matrix.csv/.xlsx  the control matrix (controls, criteria, tests, status, evidence, exceptions)
  report-draft.html         the report draft (a draft for the service auditor, not a SOC report)
  evidence/<CONTROL>/       evidence files by control, named E<item>-v<version> (original names are in manifest.json only)
  observations/<sha256>     raw API responses behind automated evidence, named by their SHA-256
  populations/              populations of events in the period
  samples/                  samples drawn from them, with the seed and the result per item
  ledger/entries.jsonl      the ledger entries this package relies on, each with its RFC 9162 inclusion proof
  ledger/checkpoint.txt     the signed checkpoint (Ed25519) the proofs lead to
  ledger/public-key.pem     the installation's public key
  ledger/consistency.jsonl  earlier checkpoints (the period's start and end) with consistency proofs

How to check it
  With Assure:    assure verify PACKAGE.zip --key TRUSTED-KEY.pem
  Without Assure: follow "Verifying a package by hand" in Assure's docs/exports.md:
    1. the SHA-256 of manifest.json is the manifest_sha256 of the audit.exported entry in ledger/entries.jsonl;
    2. every entry's hash is SHA-256(0x00 || its canonical JSON) and its inclusion proof leads to the
       checkpoint's root;
    3. the checkpoint's signature verifies with the public key (compare the key with the one the
       organization gave you separately);
    4. every file listed in manifest.json has the SHA-256 listed there, and nothing else is in the package.
`, d.Org.Name, d.Audit.Title(), d.Audit.ID, d.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"), d.Generator)
	if err != nil {
		return fmt.Errorf("cannot write the README: %w", err)
	}
	return nil
}
