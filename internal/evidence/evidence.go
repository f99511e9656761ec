// Package evidence keeps the organization's evidence: what collection runs
// observed (automated) and what people add (files, links, attestations).
// Every item links to controls, says when it was true (an effective day or
// period, distinct from when it was added) and when it expires, and holds
// versions: a new version supersedes the previous one and both remain.
//
// Content is stored in the blob store under its SHA-256 before anything
// refers to it; the item, its version and the ledger entry that records
// them are then written in one transaction. A crash at any point therefore
// leaves at most an unreferenced blob, never a record without its content.
package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ControlChecker says whether a control key names one of the
// organization's controls. The catalog provides the real one; until it is
// wired, WellFormedControls accepts any well-formed key.
type ControlChecker interface {
	// CheckControl returns nil for a known control, or an error (a
	// model.Invalid for an unknown key) that says what to fix.
	CheckControl(ctx context.Context, orgID int64, key string) error
}

// WellFormedControls accepts every key that has the shape of a control key.
type WellFormedControls struct{}

// CheckControl checks the key's shape only.
func (WellFormedControls) CheckControl(_ context.Context, _ int64, key string) error {
	return model.ValidateControlKey(key)
}

// Deps are what the service needs.
type Deps struct {
	Store    *store.Store
	Blobs    blob.Store
	Ledger   *ledger.Log
	Controls ControlChecker
	Now      func() time.Time
	// MaxUpload bounds one uploaded file, in bytes.
	MaxUpload int64
}

// Service is the evidence service.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Controls == nil {
		d.Controls = WellFormedControls{}
	}
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	blob.RemoveStaleTemp("assure-upload-", 24*time.Hour) // left by killed processes
	return &Service{Deps: d}
}

// Content is what a new item or version holds: a file for kind file, a URL
// for a link, the statement for an attestation.
type Content struct {
	File     io.Reader `json:"-"`
	FileName string    `json:"file_name,omitempty"`
	URL      string    `json:"url,omitempty"`
	Text     string    `json:"text,omitempty"`
	// EffectiveFrom (default: today) and EffectiveTo (empty: a single day)
	// are YYYY-MM-DD; ExpiresOn (optional) is the day it stops counting.
	EffectiveFrom string `json:"effective_from,omitempty"`
	EffectiveTo   string `json:"effective_to,omitempty"`
	ExpiresOn     string `json:"expires_on,omitempty"`
}

// NewItem is a new piece of manual evidence.
type NewItem struct {
	Kind        model.EvidenceKind `json:"kind"`
	Title       string             `json:"title"`
	Description string             `json:"description"`
	Controls    []string           `json:"controls"`
	Content
}

// prepared is content stored in the blob store and ready to record.
type prepared struct {
	ref                     blob.Ref
	mediaType, name, u, txt string
	from, to, expires       string
}

func (s *Service) checkControls(ctx context.Context, orgID int64, keys []string, required bool) ([]string, error) {
	var out []string
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if err := s.Controls.CheckControl(ctx, orgID, k); err != nil {
			return nil, err
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if required && len(out) == 0 {
		return nil, model.Invalid("controls", "link the evidence to at least one control (e.g. IAM-01)")
	}
	slices.Sort(out)
	return out, nil
}

func (s *Service) dates(c Content) (from, to, expires string, err error) {
	today := s.Now().UTC().Format(model.DateLayout)
	from = strings.TrimSpace(c.EffectiveFrom)
	if from == "" {
		from = today
	}
	f, err := model.ParseDate("effective_from", from)
	if err != nil {
		return
	}
	if f.Format(model.DateLayout) > today {
		return "", "", "", model.Invalid("effective_from", "%s is in the future: evidence says what was true, so it starts today at the latest", from)
	}
	if to = strings.TrimSpace(c.EffectiveTo); to != "" {
		t, err := model.ParseDate("effective_to", to)
		if err != nil {
			return "", "", "", err
		}
		if t.Before(f) {
			return "", "", "", model.Invalid("effective_to", "%s is before the start of the period (%s)", to, from)
		}
	}
	if expires = strings.TrimSpace(c.ExpiresOn); expires != "" {
		e, err := model.ParseDate("expires_on", expires)
		if err != nil {
			return "", "", "", err
		}
		if !e.After(f) {
			return "", "", "", model.Invalid("expires_on", "%s must be after the day the evidence takes effect (%s)", expires, from)
		}
	}
	return from, to, expires, nil
}

// prepare validates content for kind and writes it to the blob store.
func (s *Service) prepare(ctx context.Context, kind model.EvidenceKind, c Content) (prepared, error) {
	var p prepared
	var err error
	if p.from, p.to, p.expires, err = s.dates(c); err != nil {
		return p, err
	}
	var body io.Reader
	switch kind {
	case model.EvidenceFile:
		if c.File == nil {
			return p, model.Invalid("file", "choose a file to upload")
		}
		if p.name, err = CleanFileName(c.FileName); err != nil {
			return p, err
		}
		sp, err := spool(c.File, s.MaxUpload)
		if err != nil {
			return p, err
		}
		defer sp.Close()
		if p.mediaType, err = sniff(sp, p.name); err != nil {
			return p, err
		}
		if body, err = sp.reader(); err != nil {
			return p, err
		}
	case model.EvidenceLink:
		if p.u, err = checkURL(c.URL); err != nil {
			return p, err
		}
		p.mediaType, body = typeURI, strings.NewReader(p.u+"\n")
	case model.EvidenceAttestation:
		p.txt = strings.TrimSpace(strings.ReplaceAll(c.Text, "\r\n", "\n"))
		switch {
		case p.txt == "":
			return p, model.Invalid("text", "write what was done, when, and where the record is (e.g. \"Restore test performed on 2026-10-02, ticket OPS-412\")")
		case len(p.txt) > 20000 || !utf8.ValidString(p.txt):
			return p, model.Invalid("text", "must be valid text of at most 20,000 bytes: attach a file for longer records")
		}
		p.mediaType, body = typeText, strings.NewReader(p.txt)
	default:
		return p, model.Invalid("kind", "people add file, link or attestation evidence; automated evidence comes from collection runs")
	}
	// The content is stored completely before anything refers to it.
	if p.ref, err = s.Blobs.Put(ctx, body); err != nil {
		return p, fmt.Errorf("cannot store the evidence: %w", err)
	}
	return p, nil
}

func checkURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", model.Invalid("url", "%q is not a web address: give the full http(s):// link", raw)
	}
	if u.User != nil {
		return "", model.Invalid("url", "the link contains a user name or password: remove it")
	}
	if len(raw) > 2000 {
		return "", model.Invalid("url", "is longer than 2,000 characters")
	}
	return u.String(), nil
}

func defaultTitle(kind model.EvidenceKind, p prepared) string {
	switch kind {
	case model.EvidenceFile:
		if p.name != "" {
			return p.name
		}
		return "Uploaded file"
	case model.EvidenceLink:
		u, _ := url.Parse(p.u)
		return u.Host + u.Path
	}
	t := strings.SplitN(p.txt, "\n", 2)[0]
	if r := []rune(t); len(r) > 80 {
		t = string(r[:77]) + "…"
	}
	return t
}

func subject(itemID int64) string { return "evidence:" + strconv.FormatInt(itemID, 10) }

// versionPayload is what the ledger records for a version: everything an
// auditor needs to match the file they hold to the record.
func versionPayload(it model.EvidenceItem, v model.EvidenceVersion) map[string]any {
	m := map[string]any{
		"item_id": it.ID, "version": v.Version, "kind": it.Kind, "title": it.Title, "controls": it.Controls,
		"sha256": v.SHA256, "size": v.Size, "media_type": v.MediaType, "file_name": v.FileName, "url": v.URL,
		"effective_from": v.EffectiveFrom, "effective_to": v.EffectiveTo, "expires_on": v.ExpiresOn,
		"captured_at": v.CapturedAt.UTC().Format(ledger.TimeLayout),
	}
	if v.Source != nil {
		m["source"] = v.Source
	}
	if v.Version == 1 {
		m["description"] = it.Description
	}
	return m
}

// record writes a version and its ledger entry in tx. it.ID must be set.
func (s *Service) record(ctx context.Context, tx *store.Store, orgID int64, actor model.Actor, it model.EvidenceItem, v model.EvidenceVersion) (model.EvidenceVersion, error) {
	kind := ledger.KindEvidenceAdded
	if v.Version > 1 {
		kind = ledger.KindEvidenceVersion
	}
	e, err := ledger.Append(ctx, tx, orgID, ledger.Record{Kind: kind, Actor: actor, Subject: subject(it.ID), Payload: versionPayload(it, v), Time: v.CreatedAt})
	if err != nil {
		return v, err
	}
	v.LedgerSeq = e.Seq
	o := tx.Org(orgID)
	if v.ID, err = o.AddEvidenceVersion(ctx, v); err != nil {
		return v, err
	}
	if v.Version > 1 {
		if err := o.SupersedeEvidenceVersions(ctx, it.ID, v.Version, v.CreatedAt); err != nil {
			return v, err
		}
	}
	return v, nil
}

func newVersion(itemID int64, n int, p prepared, actor model.Actor, now time.Time) model.EvidenceVersion {
	return model.EvidenceVersion{ItemID: itemID, Version: n, SHA256: p.ref.SHA256, Size: p.ref.Size, MediaType: p.mediaType,
		FileName: p.name, URL: p.u, Text: p.txt, EffectiveFrom: p.from, EffectiveTo: p.to, ExpiresOn: p.expires,
		CapturedAt: now, CreatedAt: now, CreatedBy: actor}
}

func canEdit(p model.Principal) error {
	if !p.Can(model.PermEdit) {
		return fmt.Errorf("adding evidence needs the editor role: %w", model.ErrForbidden)
	}
	return nil
}

// Add records a new piece of manual evidence with its first version.
func (s *Service) Add(ctx context.Context, p model.Principal, in NewItem) (model.EvidenceItem, error) {
	if err := canEdit(p); err != nil {
		return model.EvidenceItem{}, err
	}
	if in.Kind == "" {
		in.Kind = model.EvidenceFile
	}
	controls, err := s.checkControls(ctx, p.Org.ID, in.Controls, true)
	if err != nil {
		return model.EvidenceItem{}, err
	}
	title, desc := strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	if len(title) > 200 {
		return model.EvidenceItem{}, model.Invalid("title", "must be at most 200 characters")
	}
	if len(desc) > 5000 {
		return model.EvidenceItem{}, model.Invalid("description", "must be at most 5,000 characters")
	}
	prep, err := s.prepare(ctx, in.Kind, in.Content)
	if err != nil {
		return model.EvidenceItem{}, err
	}
	if title == "" {
		title = defaultTitle(in.Kind, prep)
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	it := model.EvidenceItem{Kind: in.Kind, Title: title, Description: desc, Controls: controls, CreatedAt: now, CreatedBy: p.Actor()}
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(p.Org.ID)
		var err error
		if it.ID, err = o.CreateEvidenceItem(ctx, it); err != nil {
			return err
		}
		if err := o.SetEvidenceControls(ctx, it.ID, controls); err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.Org.ID, p.Actor(), it, newVersion(it.ID, 1, prep, p.Actor(), now))
		return err
	})
	if err != nil {
		return model.EvidenceItem{}, fmt.Errorf("cannot add evidence: %w", err)
	}
	return s.Store.Org(p.Org.ID).EvidenceItem(ctx, it.ID)
}

// AddVersion records new content for an item: it supersedes the current
// version, which remains.
func (s *Service) AddVersion(ctx context.Context, p model.Principal, itemID int64, c Content) (model.EvidenceItem, error) {
	if err := canEdit(p); err != nil {
		return model.EvidenceItem{}, err
	}
	it, err := s.Store.Org(p.Org.ID).EvidenceItem(ctx, itemID)
	if err != nil {
		return it, err
	}
	if it.Kind == model.EvidenceAutomated {
		return it, model.Invalid("kind", "automated evidence gets new versions from collection runs only")
	}
	if it.DeletedAt != nil {
		return it, fmt.Errorf("evidence %d was removed by the retention policy: add it again as new evidence: %w", itemID, model.ErrConflict)
	}
	prep, err := s.prepare(ctx, it.Kind, c)
	if err != nil {
		return it, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		cur, err := tx.Org(p.Org.ID).EvidenceItem(ctx, itemID) // re-read under the write lock
		if err != nil {
			return err
		}
		_, err = s.record(ctx, tx, p.Org.ID, p.Actor(), cur, newVersion(itemID, cur.Versions+1, prep, p.Actor(), now))
		return err
	})
	if err != nil {
		return it, fmt.Errorf("cannot add a version: %w", err)
	}
	return s.Store.Org(p.Org.ID).EvidenceItem(ctx, itemID)
}

// List lists the organization's evidence (control: only items for that
// control), expiring and stale items first.
func (s *Service) List(ctx context.Context, p model.Principal, control string) ([]model.EvidenceItem, error) {
	if !p.Can(model.PermView) {
		return nil, fmt.Errorf("evidence: %w", model.ErrForbidden)
	}
	items, err := s.Store.Org(p.Org.ID).ListEvidence(ctx, store.EvidenceFilter{Control: strings.TrimSpace(control)})
	if err != nil {
		return nil, err
	}
	today := s.Now().UTC().Format(model.DateLayout)
	SortForAttention(items, today)
	return items, nil
}

// SortForAttention orders items so that what needs attention comes first:
// expired, then expiring soonest, then those without expiry (newest first).
func SortForAttention(items []model.EvidenceItem, today string) {
	key := func(it model.EvidenceItem) string {
		if it.Current == nil || it.Current.ExpiresOn == "" {
			return "9"
		}
		return "0" + it.Current.ExpiresOn
	}
	slices.SortStableFunc(items, func(a, b model.EvidenceItem) int {
		if ka, kb := key(a), key(b); ka != kb {
			return strings.Compare(ka, kb)
		}
		return int(b.ID - a.ID)
	})
}

// Item reads one item.
func (s *Service) Item(ctx context.Context, p model.Principal, id int64) (model.EvidenceItem, error) {
	if !p.Can(model.PermView) {
		return model.EvidenceItem{}, fmt.Errorf("evidence: %w", model.ErrForbidden)
	}
	return s.Store.Org(p.Org.ID).EvidenceItem(ctx, id)
}

// ProvenEntry is a ledger entry with its inclusion proof.
type ProvenEntry struct {
	Entry model.LedgerEntry      `json:"entry"`
	Proof *ledger.InclusionProof `json:"proof,omitempty"`
}

// Detail is everything known about an item: its versions, its ledger
// entries with inclusion proofs, and whether it verifies now.
type Detail struct {
	Item         model.EvidenceItem      `json:"item"`
	Versions     []model.EvidenceVersion `json:"versions"`
	Ledger       []ProvenEntry           `json:"ledger"`
	Verification ItemVerification        `json:"verification"`
}

// Detail reads an item with its history and checks it.
func (s *Service) Detail(ctx context.Context, p model.Principal, id int64) (Detail, error) {
	it, err := s.Item(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	o := s.Store.Org(p.Org.ID)
	d := Detail{Item: it}
	if d.Versions, err = o.EvidenceVersions(ctx, id); err != nil {
		return d, err
	}
	entries, err := o.LedgerEntriesFor(ctx, subject(id))
	if err != nil {
		return d, err
	}
	for _, e := range entries {
		pe := ProvenEntry{Entry: e}
		if proof, err := s.Ledger.ProveInclusion(ctx, p.Org.ID, e.Seq, 0); err == nil {
			pe.Proof = &proof
		}
		d.Ledger = append(d.Ledger, pe)
	}
	d.Verification = s.verifyItem(ctx, p.Org.ID, it, d.Versions, entries)
	return d, nil
}

// File is a version's content, opened for download.
type File struct {
	Version  model.EvidenceVersion
	Name     string // the attachment name
	Body     io.ReadCloser
	Retained bool
}

// Open opens a version's content (version 0: the current one).
func (s *Service) Open(ctx context.Context, p model.Principal, id int64, version int) (File, error) {
	it, err := s.Item(ctx, p, id)
	if err != nil {
		return File{}, err
	}
	vs, err := s.Store.Org(p.Org.ID).EvidenceVersions(ctx, id)
	if err != nil {
		return File{}, err
	}
	if version == 0 {
		version = it.Versions
	}
	if version < 1 || version > len(vs) {
		return File{}, fmt.Errorf("evidence %d has no version %d: %w", id, version, model.ErrNotFound)
	}
	v := vs[version-1]
	if v.DeletedAt != nil {
		return File{}, fmt.Errorf("version %d of evidence %d was deleted by the retention policy on %s; its SHA-256 %s remains in the ledger: %w",
			version, id, v.DeletedAt.Format(model.DateLayout), v.SHA256, model.ErrNotFound)
	}
	rc, err := s.Blobs.Open(ctx, v.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		return File{}, fmt.Errorf("the file of evidence %d version %d (blob %s) is missing from the blob store: run `assure ledger verify`", id, version, v.SHA256)
	}
	if err != nil {
		return File{}, err
	}
	name := v.FileName
	if name == "" {
		name = fmt.Sprintf("evidence-%d-v%d%s", id, version, extensionFor(v.MediaType))
	}
	return File{Version: v, Name: name, Body: rc}, nil
}

func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }

// CountForControl is how many evidence items (not deleted) are linked to a
// control: the coverage report's "has evidence".
func (s *Service) CountForControl(ctx context.Context, orgID int64, control string) (int, error) {
	items, err := s.Store.Org(orgID).ListEvidence(ctx, store.EvidenceFilter{Control: control})
	return len(items), err
}
