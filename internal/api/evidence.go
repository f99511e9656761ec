package api

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

// EvidenceCreate is the body of POST /evidence and POST
// /evidence/{id}/versions: JSON for a link or an attestation, or
// multipart/form-data with the same field names (controls repeated as
// "control") plus a "file" part for a file.
type EvidenceCreate struct {
	Kind          string   `json:"kind,omitempty"` // file, link or attestation (new items only)
	Title         string   `json:"title,omitempty"`
	Description   string   `json:"description,omitempty"`
	Controls      []string `json:"controls,omitempty"`
	EffectiveFrom string   `json:"effective_from,omitempty"`
	EffectiveTo   string   `json:"effective_to,omitempty"`
	ExpiresOn     string   `json:"expires_on,omitempty"`
	URL           string   `json:"url,omitempty"`
	Text          string   `json:"text,omitempty"`
}

// readEvidence reads an EvidenceCreate and the uploaded file, if any. The
// caller closes the file.
func readEvidence(r *http.Request) (EvidenceCreate, multipart.File, string, error) {
	var in EvidenceCreate
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return in, nil, "", decode(r, &in)
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return in, nil, "", fmt.Errorf("the upload is larger than the limit: %w", httpx.ErrTooLarge)
		}
		return in, nil, "", model.Invalid("", "the multipart body cannot be read: %v", err)
	}
	f := r.MultipartForm
	get := func(k string) string {
		if v := f.Value[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	in = EvidenceCreate{Kind: get("kind"), Title: get("title"), Description: get("description"), Controls: append(f.Value["control"], f.Value["controls"]...),
		EffectiveFrom: get("effective_from"), EffectiveTo: get("effective_to"), ExpiresOn: get("expires_on"), URL: get("url"), Text: get("text")}
	if fhs := f.File["file"]; len(fhs) > 0 {
		file, err := fhs[0].Open()
		if err != nil {
			return in, nil, "", fmt.Errorf("cannot read the uploaded file: %w", err)
		}
		return in, file, httpx.UploadedFileName(fhs[0]), nil
	}
	return in, nil, "", nil
}

func (in EvidenceCreate) content(file io.Reader, name string) evidence.Content {
	c := evidence.Content{FileName: name, URL: in.URL, Text: in.Text, EffectiveFrom: in.EffectiveFrom, EffectiveTo: in.EffectiveTo, ExpiresOn: in.ExpiresOn}
	if file != nil {
		c.File = file
	}
	return c
}

// ListEvidence lists evidence (?control=KEY), expiring first.
func (h *Handlers) ListEvidence(r *http.Request, p model.Principal) (any, error) {
	items, err := h.Evidence.List(r.Context(), p, r.URL.Query().Get("control"))
	if items == nil {
		items = []model.EvidenceItem{}
	}
	return items, err
}

// AddEvidence adds a file, a link or an attestation.
func (h *Handlers) AddEvidence(r *http.Request, p model.Principal) (any, error) {
	in, file, name, err := readEvidence(r)
	if err != nil {
		return nil, err
	}
	if file != nil {
		defer file.Close()
	}
	kind := model.EvidenceKind(in.Kind)
	if in.Kind == "" {
		kind = model.EvidenceFile
		if file == nil && in.URL != "" {
			kind = model.EvidenceLink
		} else if file == nil && in.Text != "" {
			kind = model.EvidenceAttestation
		}
	} else if kind, err = model.ParseEvidenceKind(in.Kind); err != nil {
		return nil, err
	}
	it, err := h.Evidence.Add(r.Context(), p, evidence.NewItem{Kind: kind, Title: in.Title, Description: in.Description, Controls: in.Controls, Content: in.content(file, name)})
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: it}, nil
}

// GetEvidence returns an item with its versions, ledger entries and proofs,
// and its verification state.
func (h *Handlers) GetEvidence(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Evidence.Detail(r.Context(), p, id)
}

// AddEvidenceVersion adds a version that supersedes the current one.
func (h *Handlers) AddEvidenceVersion(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	in, file, name, err := readEvidence(r)
	if err != nil {
		return nil, err
	}
	if file != nil {
		defer file.Close()
	}
	it, err := h.Evidence.AddVersion(r.Context(), p, id, in.content(file, name))
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: it}, nil
}

// DownloadEvidence sends a version's stored file (?version=N; default the current).
func (h *Handlers) DownloadEvidence(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return nil, model.Invalid("version", "%q is not a version number", v)
		}
	}
	f, err := h.Evidence.Open(r.Context(), p, id, version)
	if err != nil {
		return nil, err
	}
	return httpx.File{Name: f.Name, MediaType: f.Version.MediaType, Size: f.Version.Size, SHA256: f.Version.SHA256, Body: f.Body}, nil
}

// HoldEvidence puts an item on legal hold.
func (h *Handlers) HoldEvidence(r *http.Request, p model.Principal) (any, error) {
	return h.setHold(r, p, true)
}

// ReleaseEvidence releases an item's legal hold.
func (h *Handlers) ReleaseEvidence(r *http.Request, p model.Principal) (any, error) {
	return h.setHold(r, p, false)
}

// HoldResult is an item after a hold change, with what the policy deleted.
type HoldResult struct {
	Item    model.EvidenceItem  `json:"item"`
	Deleted []evidence.Deletion `json:"deleted"`
}

func (h *Handlers) setHold(r *http.Request, p model.Principal, hold bool) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	it, dels, err := h.Evidence.SetHold(r.Context(), p, id, hold)
	if dels == nil {
		dels = []evidence.Deletion{}
	}
	return HoldResult{Item: it, Deleted: dels}, err
}

// ExpiringEvidence lists items that expire within ?within_days=N (default 30).
func (h *Handlers) ExpiringEvidence(r *http.Request, p model.Principal) (any, error) {
	days := 30
	if v := r.URL.Query().Get("within_days"); v != "" {
		var err error
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > 3650 {
			return nil, model.Invalid("within_days", "must be a number of days between 1 and 3650")
		}
	}
	return h.Evidence.ExpiringSoon(r.Context(), p.Org.ID, time.Duration(days)*24*time.Hour)
}

// GetRetention returns the retention policy.
func (h *Handlers) GetRetention(r *http.Request, p model.Principal) (any, error) {
	return h.Evidence.Policy(r.Context(), p)
}

// RetentionUpdate is the body of PUT /evidence/retention.
type RetentionUpdate struct {
	RetentionDays int  `json:"retention_days"`
	LegalHold     bool `json:"legal_hold"`
}

// RetentionResult is the policy after a change, with what it deleted.
type RetentionResult struct {
	Policy  model.RetentionPolicy `json:"policy"`
	Deleted []evidence.Deletion   `json:"deleted"`
}

// SetRetention changes the retention policy.
func (h *Handlers) SetRetention(r *http.Request, p model.Principal) (any, error) {
	var in RetentionUpdate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	pol, dels, err := h.Evidence.SetPolicy(r.Context(), p, in.RetentionDays, in.LegalHold)
	if dels == nil {
		dels = []evidence.Deletion{}
	}
	return RetentionResult{Policy: pol, Deleted: dels}, err
}

// VerifyLedger verifies the caller's organization: chain, checkpoints,
// evidence rows and files.
func (h *Handlers) VerifyLedger(r *http.Request, p model.Principal) (any, error) {
	return h.Evidence.Verify(r.Context(), []model.Organization{p.Org}, evidence.VerifyOptions{})
}

// ListLedgerEntries lists entries (?after=SEQ&limit=N, at most 1000).
func (h *Handlers) ListLedgerEntries(r *http.Request, p model.Principal) (any, error) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 1000 {
		limit = 1000
	}
	es, err := h.Ledger.Entries(r.Context(), p.Org.ID, after, limit)
	if es == nil {
		es = []model.LedgerEntry{}
	}
	return es, err
}

// ProveEntry returns an entry's inclusion proof (?size=N; default the latest
// checkpoint that covers it).
func (h *Handlers) ProveEntry(r *http.Request, p model.Principal) (any, error) {
	seq, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	size, _ := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	return h.Ledger.ProveInclusion(r.Context(), p.Org.ID, seq, size)
}

// ProveConsistency returns a consistency proof (?first=N&second=M; first
// defaults to the latest checkpoint's size, second to the current size).
func (h *Handlers) ProveConsistency(r *http.Request, p model.Principal) (any, error) {
	q := r.URL.Query()
	var first int64
	if v := q.Get("first"); v != "" {
		var err error
		if first, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, model.Invalid("first", "give the smaller tree size as ?first=N")
		}
	} else if cps, err := h.Ledger.Checkpoints(r.Context(), p.Org.ID); err != nil {
		return nil, err
	} else if len(cps) > 0 {
		first = cps[len(cps)-1].TreeSize
	}
	second, _ := strconv.ParseInt(q.Get("second"), 10, 64)
	return h.Ledger.ProveConsistency(r.Context(), p.Org.ID, first, second)
}

// ListCheckpoints lists the organization's signed checkpoints.
func (h *Handlers) ListCheckpoints(r *http.Request, p model.Principal) (any, error) {
	cs, err := h.Ledger.Checkpoints(r.Context(), p.Org.ID)
	if cs == nil {
		cs = []model.LedgerCheckpoint{}
	}
	return cs, err
}

// CreateCheckpoint signs a checkpoint now.
func (h *Handlers) CreateCheckpoint(r *http.Request, p model.Principal) (any, error) {
	c, _, err := h.Ledger.Checkpoint(r.Context(), p.Org.ID)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: c}, nil
}

// PublicKey is the installation's signing key, for auditors.
type PublicKey struct {
	Algorithm      string `json:"algorithm"`
	KeyID          string `json:"key_id"`
	PublicKeyPEM   string `json:"public_key_pem"`
	PublicKeyRaw   string `json:"public_key_base64"`
	InstallationID string `json:"installation_id"`
}

// NewPublicKey describes pub.
func NewPublicKey(pub ed25519.PublicKey, installationID string) PublicKey {
	return PublicKey{Algorithm: "Ed25519", KeyID: ledger.KeyID(pub), PublicKeyPEM: ledger.PublicKeyPEM(pub),
		PublicKeyRaw: base64.StdEncoding.EncodeToString(pub), InstallationID: installationID}
}

// GetLedgerKey returns the installation's public signing key.
func (h *Handlers) GetLedgerKey(r *http.Request, p model.Principal) (any, error) {
	return NewPublicKey(h.Ledger.PublicKey(), h.Ledger.InstallationID()), nil
}
