package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Report is the result of verifying one or more organizations: the ledger
// chain and checkpoints, every evidence row against the entry that recorded
// it, and every referenced blob against its hash.
type Report struct {
	OK   bool        `json:"ok"`
	Orgs []OrgReport `json:"organizations"`
}

// OrgReport is one organization's part of a Report.
type OrgReport struct {
	ledger.OrgReport
	Slug     string `json:"slug"`
	Evidence int    `json:"evidence_versions"`
	Blobs    int    `json:"blobs_checked"`
}

// Faults lists every fault of every organization.
func (r Report) Faults() []ledger.Fault {
	var out []ledger.Fault
	for _, o := range r.Orgs {
		out = append(out, o.Faults...)
	}
	return out
}

// VerifyOptions add outside knowledge to a verification.
type VerifyOptions struct {
	// Checkpoints an auditor kept from earlier: each must still match the log.
	Checkpoints []model.LedgerCheckpoint
	// PublicKey to trust instead of the installation's own (an auditor's
	// copy, obtained when the audit started).
	PublicKey ed25519.PublicKey
}

// Verify checks the given organizations (all of them when orgs is empty).
func (s *Service) Verify(ctx context.Context, orgs []model.Organization, opts VerifyOptions) (Report, error) {
	pub := opts.PublicKey
	if pub == nil {
		pub = s.Ledger.PublicKey()
	}
	if len(orgs) == 0 {
		var err error
		if orgs, err = s.Store.Organizations(ctx); err != nil {
			return Report{}, err
		}
	}
	rep := Report{OK: true}
	blobs := map[string]error{} // each blob is read once
	for _, org := range orgs {
		lr, err := ledger.VerifyOrg(ctx, s.Store, org.ID, pub, s.Ledger.InstallationID(), opts.Checkpoints)
		if err != nil {
			return rep, err
		}
		or := OrgReport{OrgReport: lr, Slug: org.Slug}
		if err := s.verifyEvidence(ctx, org.ID, &or, blobs); err != nil {
			return rep, err
		}
		if len(or.Faults) > 0 {
			rep.OK = false
		}
		rep.Orgs = append(rep.Orgs, or)
	}
	return rep, nil
}

func (s *Service) verifyEvidence(ctx context.Context, orgID int64, or *OrgReport, blobs map[string]error) error {
	o := s.Store.Org(orgID)
	versions, err := o.AllEvidenceVersions(ctx)
	if err != nil {
		return err
	}
	items, err := o.ListEvidence(ctx, store.EvidenceFilter{IncludeDeleted: true})
	if err != nil {
		return err
	}
	titles := map[int64]string{}
	for _, it := range items {
		titles[it.ID] = it.Title
	}
	add := func(f ledger.Fault) {
		f.OrgID = orgID
		or.Faults = append(or.Faults, f)
	}
	// Which versions the ledger says exist, and which it says were deleted.
	recorded, deleted, err := evidenceEntries(ctx, o)
	if err != nil {
		return err
	}
	seen := map[[2]int64]bool{}
	for _, v := range versions {
		or.Evidence++
		key := [2]int64{v.ItemID, int64(v.Version)}
		seen[key] = true
		name := fmt.Sprintf("evidence item %d (%q) version %d", v.ItemID, titles[v.ItemID], v.Version)
		e, ok := recorded[key]
		if !ok {
			add(ledger.Fault{Seq: v.LedgerSeq, EvidenceID: v.ItemID, Version: v.Version, Problem: fmt.Sprintf("%s has no ledger entry: it refers to entry %d, which does not record it", name, v.LedgerSeq)})
		} else if problem := compareVersion(v, e); problem != "" {
			add(ledger.Fault{Seq: e.Seq, EvidenceID: v.ItemID, Version: v.Version, Blob: v.SHA256, Problem: fmt.Sprintf("%s no longer matches ledger entry %d: %s", name, e.Seq, problem)})
		}
		if v.DeletedAt != nil {
			if _, ok := deleted[key]; !ok {
				add(ledger.Fault{EvidenceID: v.ItemID, Version: v.Version, Blob: v.SHA256, Problem: fmt.Sprintf("%s is marked deleted but no ledger entry records its deletion", name)})
			}
			continue // the retention policy removed it; its hash stays in the ledger
		}
		if err := s.checkBlob(ctx, v.SHA256, blobs); err != nil {
			add(ledger.Fault{EvidenceID: v.ItemID, Version: v.Version, Blob: v.SHA256, Problem: fmt.Sprintf("blob %s of %s %s", v.SHA256, name, err)})
			continue
		}
		or.Blobs++
		if v.MediaType == typeJSON && v.Source != nil && v.Source["manifest"] == true {
			for _, f := range s.checkManifest(ctx, v, name, blobs, &or.Blobs) {
				add(f)
			}
		}
	}
	for key, e := range recorded {
		if !seen[key] {
			add(ledger.Fault{Seq: e.Seq, EvidenceID: key[0], Version: int(key[1]), Problem: fmt.Sprintf("ledger entry %d records evidence item %d version %d, which is missing from the evidence table", e.Seq, key[0], key[1])})
		}
	}
	return nil
}

// checkBlob reads a blob and checks its hash ("is missing", "has been altered…").
func (s *Service) checkBlob(ctx context.Context, sha string, cache map[string]error) error {
	if err, ok := cache[sha]; ok {
		return err
	}
	err := blob.Verify(ctx, s.Blobs, sha)
	switch {
	case err == nil:
	case errors.Is(err, blob.ErrNotFound):
		err = errors.New("is missing from the blob store")
	case strings.Contains(err.Error(), "has been altered"):
		_, rest, _ := strings.Cut(err.Error(), "has been altered")
		err = errors.New("has been altered" + rest)
	default:
		err = fmt.Errorf("cannot be read: %v", err)
	}
	cache[sha] = err
	return err
}

// checkManifest checks every raw response an automated version's manifest lists.
func (s *Service) checkManifest(ctx context.Context, v model.EvidenceVersion, name string, cache map[string]error, n *int) []ledger.Fault {
	rc, err := s.Blobs.Open(ctx, v.SHA256)
	if err != nil {
		return nil // reported by checkBlob
	}
	defer rc.Close()
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&m); err != nil {
		return []ledger.Fault{{EvidenceID: v.ItemID, Version: v.Version, Blob: v.SHA256, Problem: fmt.Sprintf("the manifest %s of %s cannot be read: %v", v.SHA256, name, err)}}
	}
	var out []ledger.Fault
	for _, ob := range m.Observations {
		if err := s.checkBlob(ctx, ob.SHA256, cache); err != nil {
			out = append(out, ledger.Fault{EvidenceID: v.ItemID, Version: v.Version, Blob: ob.SHA256,
				Problem: fmt.Sprintf("raw response %s (%s %s%s) listed by %s %s", ob.SHA256, ob.Method, ob.Host, ob.Path, name, err)})
			continue
		}
		*n++
	}
	return out
}

// evidenceEntries reads the ledger entries that record evidence versions
// and deletions, keyed by (item, version).
func evidenceEntries(ctx context.Context, o *store.OrgStore) (recorded, deleted map[[2]int64]model.LedgerEntry, err error) {
	recorded, deleted = map[[2]int64]model.LedgerEntry{}, map[[2]int64]model.LedgerEntry{}
	var after int64
	for {
		es, err := o.LedgerEntries(ctx, after, 1000)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			after = e.Seq
			if e.Kind != ledger.KindEvidenceAdded && e.Kind != ledger.KindEvidenceVersion && e.Kind != ledger.KindEvidenceDeleted {
				continue
			}
			var p struct {
				ItemID  int64 `json:"item_id"`
				Version int64 `json:"version"`
			}
			if json.Unmarshal(e.Payload, &p) != nil || p.ItemID == 0 {
				continue // the chain check reports altered entries
			}
			if e.Kind == ledger.KindEvidenceDeleted {
				deleted[[2]int64{p.ItemID, p.Version}] = e
			} else {
				recorded[[2]int64{p.ItemID, p.Version}] = e
			}
		}
		if len(es) < 1000 {
			return recorded, deleted, nil
		}
	}
}

// compareVersion says how a version row differs from the payload of the
// entry that recorded it ("" when it does not).
func compareVersion(v model.EvidenceVersion, e model.LedgerEntry) string {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(e.Payload))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return "the entry's payload is not JSON"
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	num := func(k string) string { return fmt.Sprint(p[k]) }
	for _, c := range []struct{ field, recorded, stored string }{
		{"sha256", str("sha256"), v.SHA256},
		{"size", num("size"), strconv.FormatInt(v.Size, 10)},
		{"media type", str("media_type"), v.MediaType},
		{"file name", str("file_name"), v.FileName},
		{"link", str("url"), v.URL},
		{"effective from", str("effective_from"), v.EffectiveFrom},
		{"effective to", str("effective_to"), v.EffectiveTo},
		{"expiry", str("expires_on"), v.ExpiresOn},
	} {
		if c.recorded != c.stored {
			return fmt.Sprintf("its %s was recorded as %q and is now %q", c.field, c.recorded, c.stored)
		}
	}
	if e.Subject != subject(v.ItemID) {
		return "the entry is about " + e.Subject
	}
	return ""
}

// ItemVerification is the state of one item: every version's content
// against its hash, every row against its ledger entry, every entry
// against its own hash, and the latest checkpoint's signature.
type ItemVerification struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
	// Checkpoint is the size of the signed checkpoint the entries were
	// proved against (0: none covers them yet).
	Checkpoint int64 `json:"checkpoint"`
}

func (s *Service) verifyItem(ctx context.Context, orgID int64, it model.EvidenceItem, versions []model.EvidenceVersion, entries []model.LedgerEntry) ItemVerification {
	iv := ItemVerification{Problems: []string{}}
	bySeq := map[int64]model.LedgerEntry{}
	for _, e := range entries {
		bySeq[e.Seq] = e
		h, err := ledger.EntryHash(e)
		if err != nil || fmt.Sprintf("%x", h) != e.Hash {
			iv.Problems = append(iv.Problems, fmt.Sprintf("ledger entry %d has been altered", e.Seq))
		}
	}
	cache := map[string]error{}
	for _, v := range versions {
		e, ok := bySeq[v.LedgerSeq]
		if !ok {
			iv.Problems = append(iv.Problems, fmt.Sprintf("version %d has no ledger entry", v.Version))
		} else if p := compareVersion(v, e); p != "" {
			iv.Problems = append(iv.Problems, fmt.Sprintf("version %d no longer matches its ledger entry: %s", v.Version, p))
		}
		if v.DeletedAt == nil {
			if err := s.checkBlob(ctx, v.SHA256, cache); err != nil {
				iv.Problems = append(iv.Problems, fmt.Sprintf("the file of version %d (blob %s) %s", v.Version, v.SHA256, err))
			}
		}
	}
	if cp, ok, err := s.Store.Org(orgID).LatestCheckpoint(ctx); err == nil && ok {
		if err := ledger.CheckSignature(cp, s.Ledger.PublicKey()); err != nil {
			iv.Problems = append(iv.Problems, "the latest checkpoint "+err.Error())
		}
		for _, e := range entries {
			if e.Seq > cp.TreeSize {
				continue
			}
			p, err := s.Ledger.ProveInclusion(ctx, orgID, e.Seq, cp.TreeSize)
			if err == nil {
				cpc := cp
				p.Checkpoint = &cpc
				err = p.Verify(s.Ledger.PublicKey())
			}
			if err != nil {
				iv.Problems = append(iv.Problems, fmt.Sprintf("ledger entry %d cannot be proved in the checkpoint at size %d: %v", e.Seq, cp.TreeSize, err))
			}
		}
		iv.Checkpoint = cp.TreeSize
	}
	iv.OK = len(iv.Problems) == 0
	return iv
}
