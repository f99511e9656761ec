package model

import (
	"slices"
	"strings"
	"time"
)

// EvidenceKind says where a piece of evidence came from.
type EvidenceKind string

// The kinds of evidence.
const (
	// EvidenceAutomated is what a collection run observed: the run's raw API
	// responses, listed by their SHA-256 in a manifest.
	EvidenceAutomated EvidenceKind = "automated"
	// EvidenceFile is an uploaded document (a policy, a report, minutes).
	EvidenceFile EvidenceKind = "file"
	// EvidenceLink points at a document kept elsewhere.
	EvidenceLink EvidenceKind = "link"
	// EvidenceAttestation is a person's written statement of what was done.
	EvidenceAttestation EvidenceKind = "attestation"
)

// EvidenceKinds lists the kinds.
func EvidenceKinds() []EvidenceKind {
	return []EvidenceKind{EvidenceAutomated, EvidenceFile, EvidenceLink, EvidenceAttestation}
}

// ParseEvidenceKind accepts a kind name.
func ParseEvidenceKind(s string) (EvidenceKind, error) {
	k := EvidenceKind(s)
	if slices.Contains(EvidenceKinds(), k) {
		return k, nil
	}
	return "", Invalid("kind", "unknown evidence kind %q (use file, link or attestation)", s)
}

// EnumValues lists the kinds for the API schema.
func (EvidenceKind) EnumValues() []string {
	var out []string
	for _, k := range EvidenceKinds() {
		out = append(out, string(k))
	}
	return out
}

// DateLayout is how evidence dates are written: a calendar day.
const DateLayout = "2006-01-02"

// ParseDate reads a calendar day (YYYY-MM-DD) as midnight UTC.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, Invalid(field, "%q is not a date: write it as YYYY-MM-DD", s)
	}
	return t, nil
}

// EvidenceItem is one piece of evidence for one or more controls. Its
// content lives in versions: a new version supersedes the previous one and
// both remain.
type EvidenceItem struct {
	ID          int64        `json:"id"`
	OrgID       int64        `json:"org_id"`
	Kind        EvidenceKind `json:"kind"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Controls    []string     `json:"controls"`
	// SourceKey identifies the source of automated evidence
	// ("integration:7"); one item per source.
	SourceKey string    `json:"source_key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy Actor     `json:"created_by"`
	// LegalHold keeps every version from the retention policy.
	LegalHold bool `json:"legal_hold"`
	// LastObservedAt is when a collection run last confirmed automated
	// evidence unchanged.
	LastObservedAt *time.Time `json:"last_observed_at,omitempty"`
	// DeletedAt is set once the retention policy removed every version.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// Current is the latest version; Versions counts them all.
	Current  *EvidenceVersion `json:"current,omitempty"`
	Versions int              `json:"versions"`
}

// EvidenceVersion is the content of an item at one version, immutable once
// written except for the marks that record its supersession and deletion.
type EvidenceVersion struct {
	ID      int64 `json:"id"`
	ItemID  int64 `json:"item_id"`
	Version int   `json:"version"`
	// SHA256 and Size are the stored content's: the uploaded file, the link
	// (its URL and a newline), the attestation text, or the manifest of an
	// automated run.
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
	// FileName is the uploaded file's name, sanitized (metadata only: the
	// file is stored under its hash).
	FileName string `json:"file_name,omitempty"`
	URL      string `json:"url,omitempty"`
	Text     string `json:"text,omitempty"`
	// EffectiveFrom and EffectiveTo (YYYY-MM-DD) are when the evidence was
	// true: a day, or a period. They are not the upload time.
	EffectiveFrom string `json:"effective_from"`
	EffectiveTo   string `json:"effective_to,omitempty"`
	// ExpiresOn is the day from which the evidence no longer counts.
	ExpiresOn  string    `json:"expires_on,omitempty"`
	CapturedAt time.Time `json:"captured_at"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  Actor     `json:"created_by"`
	// Source is the provenance (automated: integration, run, manifest).
	Source map[string]any `json:"source,omitempty"`
	// LedgerSeq is the ledger entry that recorded this version.
	LedgerSeq      int64      `json:"ledger_seq"`
	SupersededAt   *time.Time `json:"superseded_at,omitempty"`
	DeletedAt      *time.Time `json:"deleted_at,omitempty"`
	DeletionReason string     `json:"deletion_reason,omitempty"`
	BlobDeletedAt  *time.Time `json:"blob_deleted_at,omitempty"`
}

// EffectiveEnd is the last day the version speaks for: the end of its
// period, or its single day.
func (v EvidenceVersion) EffectiveEnd() string {
	if v.EffectiveTo != "" {
		return v.EffectiveTo
	}
	return v.EffectiveFrom
}

// RetentionPolicy is an organization's rule for deleting evidence.
type RetentionPolicy struct {
	// Days after a version stops being relevant (the end of its period, or
	// its supersession or expiry) before it is deleted; 0 keeps evidence
	// forever.
	Days int `json:"retention_days"`
	// LegalHold suspends every deletion in the organization.
	LegalHold bool      `json:"legal_hold"`
	UpdatedAt time.Time `json:"updated_at"`
}
