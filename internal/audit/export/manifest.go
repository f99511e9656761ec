package export

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The evidence package (a ZIP) holds content files listed with their
// SHA-256 in manifest.json, and the ledger files that make the manifest
// trustworthy: the entries it relies on with their RFC 9162 inclusion
// proofs, the signed checkpoint those proofs lead to, and the installation's
// public key. The manifest's own SHA-256 is recorded in the ledger by the
// audit.exported entry, which is one of the proven entries: editing the
// manifest breaks that link, editing a file breaks the manifest. The
// layout is documented in docs/exports.md.
const (
	PackageFormat  = "assure-evidence-package"
	PackageVersion = 1

	ManifestName    = "manifest.json"
	EntriesName     = "ledger/entries.jsonl"
	CheckpointName  = "ledger/checkpoint.txt"
	PublicKeyName   = "ledger/public-key.pem"
	ConsistencyName = "ledger/consistency.jsonl"

	// KindExported is the ledger entry that records a package: who
	// exported which audit, and the SHA-256 of the package's manifest.
	KindExported = "audit.exported"
)

// ledgerFiles are the package files the manifest does not list: each is
// checked by its own cryptography (hashes, proofs, signatures) and must be
// byte for byte in the form Assure writes.
var ledgerFiles = []string{EntriesName, CheckpointName, PublicKeyName, ConsistencyName}

// File kinds in the manifest.
const (
	FileReadme        = "readme"
	FileControlMatrix = "control_matrix"
	FileReportDraft   = "report_draft"
	FileEvidence      = "evidence"
	FileObservation   = "observation"
	FilePopulation    = "population"
	FileSample        = "sample"
)

// Manifest is manifest.json.
type Manifest struct {
	Format       string         `json:"format"`
	Version      int            `json:"version"`
	GeneratedAt  string         `json:"generated_at"`
	Generator    string         `json:"generator"`
	Installation string         `json:"installation"`
	Organization ManifestOrg    `json:"organization"`
	Audit        AuditInfo      `json:"audit"`
	Ledger       ManifestLedger `json:"ledger"`
	// Files are the content files, each with its SHA-256 and size.
	Files []ManifestFile `json:"files"`
	// NotIncluded lists evidence the audit names but whose content the
	// package cannot carry (deleted by the retention policy), with the
	// hash the ledger still holds.
	NotIncluded []NotIncluded `json:"not_included"`
}

// ManifestOrg names the organization.
type ManifestOrg struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// ManifestLedger names the ledger files and what they prove.
type ManifestLedger struct {
	Entries     string `json:"entries"`
	Checkpoint  string `json:"checkpoint"`
	PublicKey   string `json:"public_key"`
	Consistency string `json:"consistency"`
}

// ManifestFile is one content file.
type ManifestFile struct {
	Path      string `json:"path"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Kind      string `json:"kind"`
	MediaType string `json:"media_type"`
	// Control is the control the file is filed under (evidence, samples).
	Control string `json:"control,omitempty"`
	// LedgerSeq is the ledger entry that recorded this content; its
	// payload's sha256 is the file's (evidence versions, populations).
	LedgerSeq  int64           `json:"ledger_seq,omitempty"`
	Evidence   *EvidenceMeta   `json:"evidence,omitempty"`
	Population *PopulationMeta `json:"population,omitempty"`
	Sample     *SampleMeta     `json:"sample,omitempty"`
}

// EvidenceMeta describes an evidence version. OriginalName is the uploaded
// file's name as metadata only: the package never uses it as a path.
type EvidenceMeta struct {
	Item          int64    `json:"item"`
	Version       int      `json:"version"`
	Kind          string   `json:"kind"`
	Title         string   `json:"title"`
	Controls      []string `json:"controls"`
	OriginalName  string   `json:"original_name,omitempty"`
	URL           string   `json:"url,omitempty"`
	EffectiveFrom string   `json:"effective_from"`
	EffectiveTo   string   `json:"effective_to,omitempty"`
	ExpiresOn     string   `json:"expires_on,omitempty"`
}

// PopulationMeta describes a population: where it came from and how, for
// the auditor's completeness and accuracy work.
type PopulationMeta struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Source     string `json:"source"`
	Query      string `json:"query"`
	ProducedAt string `json:"produced_at"`
	Count      int    `json:"count"`
}

// SampleMeta describes a sample.
type SampleMeta struct {
	ID         int64  `json:"id"`
	Population int64  `json:"population,omitempty"`
	Seed       string `json:"seed"`
	Size       int    `json:"size"`
	Exceptions int    `json:"exceptions"`
}

// NotIncluded is evidence named by the audit whose content is gone.
type NotIncluded struct {
	Item      int64  `json:"item"`
	Version   int    `json:"version"`
	Title     string `json:"title"`
	SHA256    string `json:"sha256"`
	LedgerSeq int64  `json:"ledger_seq"`
	Reason    string `json:"reason"`
}

// safePath is the shape of every name the package writer generates: a
// lower-case top folder, then segments of letters, digits, '.', '_' and '-'
// that start with a letter or digit (so never "..").
var safePath = regexp.MustCompile(`^([a-z][a-z-]*/)?([A-Za-z0-9][A-Za-z0-9._-]*/)*[A-Za-z0-9][A-Za-z0-9._-]*$`)

// checkPath refuses a name that could escape the package's folder when
// extracted, or that Assure would not have written.
func checkPath(name string) error {
	if len(name) > 200 || !safePath.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("%q is not a name Assure writes in a package", name)
	}
	return nil
}

func encodeManifest(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cannot encode the manifest: %w", err)
	}
	return append(b, '\n'), nil
}
