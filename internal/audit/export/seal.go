package export

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// LedgerSealer seals packages in an organization's ledger: it appends the
// audit.exported entry, signs a checkpoint that covers it, and proves the
// package's entries in that checkpoint's tree.
type LedgerSealer struct {
	Store *store.Store
	Log   *ledger.Log
	OrgID int64
	Actor model.Actor
	Audit AuditInfo
	Now   func() time.Time
}

// Seal implements Sealer.
func (s LedgerSealer) Seal(ctx context.Context, req SealRequest) (Seal, error) {
	var out Seal
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	exp, err := ledger.Append(ctx, s.Store, s.OrgID, ledger.Record{Kind: KindExported, Actor: s.Actor,
		Subject: "audit:" + strconv.FormatInt(req.Audit, 10), Time: now(),
		Payload: map[string]any{"audit": req.Audit, "format": "package", "manifest_sha256": req.ManifestSHA256,
			"files": req.Files, "bytes": req.Bytes, "entries": len(req.Seqs) + 1}})
	if err != nil {
		return out, fmt.Errorf("cannot record the export: %w", err)
	}
	cp, _, err := s.Log.Checkpoint(ctx, s.OrgID)
	if err != nil {
		return out, fmt.Errorf("cannot sign the package's checkpoint: %w", err)
	}
	tree, err := s.Log.Tree(ctx, s.OrgID, cp.TreeSize)
	if err != nil {
		return out, err
	}
	out = Seal{Export: exp, Checkpoint: cp, Tree: tree, PublicKey: s.Log.PublicKey()}
	cps, err := s.Log.Checkpoints(ctx, s.OrgID)
	if err != nil {
		return out, err
	}
	for _, before := range s.earlierWanted() {
		var pick *model.LedgerCheckpoint
		for i := range cps {
			if cps[i].Time.Before(before) && cps[i].TreeSize < cp.TreeSize {
				pick = &cps[i]
			}
		}
		if pick == nil || slices.ContainsFunc(out.Earlier, func(e model.LedgerCheckpoint) bool { return e.TreeSize == pick.TreeSize }) {
			continue
		}
		r, err := tree.RootAt(uint64(pick.TreeSize))
		if err != nil || fmt.Sprintf("%x", r) != pick.RootHash {
			return out, fmt.Errorf("the ledger no longer matches its checkpoint at size %d: run `assure ledger verify`: %w", pick.TreeSize, model.ErrConflict)
		}
		out.Earlier = append(out.Earlier, *pick)
	}
	seqs := append(slices.Clone(req.Seqs), exp.Seq)
	slices.Sort(seqs)
	seqs = slices.Compact(seqs)
	o := s.Store.Org(s.OrgID)
	// Each reads the wanted entries a page at a time, starting each page at
	// the next wanted entry: few queries when they cluster, none wasted on
	// long stretches of the log the package does not need.
	out.Each = func(ctx context.Context, fn func(model.LedgerEntry) error) error {
		for i := 0; i < len(seqs); {
			if seqs[i] < 1 || seqs[i] > cp.TreeSize {
				return fmt.Errorf("ledger entry %d is not covered by the checkpoint at size %d", seqs[i], cp.TreeSize)
			}
			page, err := o.LedgerEntries(ctx, seqs[i]-1, 500)
			if err != nil {
				return err
			}
			if len(page) == 0 || page[0].Seq != seqs[i] {
				return fmt.Errorf("ledger entry %d is missing: run `assure ledger verify`", seqs[i])
			}
			for _, e := range page {
				if i == len(seqs) || e.Seq > seqs[i] {
					break
				}
				if e.Seq == seqs[i] {
					if err := fn(e); err != nil {
						return err
					}
					i++
				}
			}
		}
		return nil
	}
	return out, nil
}

// earlierWanted are the moments before which the last checkpoint signed is
// worth a consistency proof: the period's start and the day after its end
// (Type 1: after the as-of date). The proofs show that what the ledger held
// then is unchanged in the package's ledger.
func (s LedgerSealer) earlierWanted() []time.Time {
	day := func(d string) time.Time {
		t, err := time.Parse(model.DateLayout, d)
		if err != nil {
			return time.Time{}
		}
		return t
	}
	if s.Audit.Type == 1 {
		return []time.Time{day(s.Audit.AsOf).AddDate(0, 0, 1)}
	}
	return []time.Time{day(s.Audit.PeriodFrom), day(s.Audit.PeriodTo).AddDate(0, 0, 1)}
}
