package evidence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Reasons a version is deleted.
const (
	ReasonRetention       = "retention"           // the policy's period passed
	ReasonLegalHoldRelief = "legal_hold_released" // the period had passed during a hold that has now ended
)

func canManage(p model.Principal) error {
	if !p.Can(model.PermManage) {
		return fmt.Errorf("retention and legal holds need the admin role: %w", model.ErrForbidden)
	}
	return nil
}

// Policy reads the organization's retention policy.
func (s *Service) Policy(ctx context.Context, p model.Principal) (model.RetentionPolicy, error) {
	if !p.Can(model.PermView) {
		return model.RetentionPolicy{}, fmt.Errorf("retention policy: %w", model.ErrForbidden)
	}
	return s.Store.Org(p.Org.ID).RetentionPolicy(ctx)
}

// SetPolicy changes the retention policy. Releasing the organization-wide
// legal hold applies the policy at once to what the hold kept.
func (s *Service) SetPolicy(ctx context.Context, p model.Principal, days int, legalHold bool) (model.RetentionPolicy, []Deletion, error) {
	if err := canManage(p); err != nil {
		return model.RetentionPolicy{}, nil, err
	}
	if days < 0 || days > 36500 {
		return model.RetentionPolicy{}, nil, model.Invalid("retention_days", "must be between 0 (keep forever) and 36500")
	}
	var before model.RetentionPolicy
	pol := model.RetentionPolicy{Days: days, LegalHold: legalHold, UpdatedAt: s.Now().UTC().Truncate(time.Microsecond)}
	err := s.Store.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(p.Org.ID)
		var err error
		if before, err = o.RetentionPolicy(ctx); err != nil {
			return err
		}
		if err := o.SetRetentionPolicy(ctx, pol); err != nil {
			return err
		}
		_, err = ledger.Append(ctx, tx, p.Org.ID, ledger.Record{Kind: ledger.KindRetentionUpdated, Actor: p.Actor(), Subject: "org:" + strconv.FormatInt(p.Org.ID, 10),
			Payload: map[string]any{"retention_days": days, "legal_hold": legalHold, "previous_retention_days": before.Days, "previous_legal_hold": before.LegalHold}, Time: pol.UpdatedAt})
		return err
	})
	if err != nil {
		return pol, nil, fmt.Errorf("cannot change the retention policy: %w", err)
	}
	var dels []Deletion
	if before.LegalHold && !legalHold {
		dels, err = s.ApplyRetention(ctx, p.Org.ID, ReasonLegalHoldRelief)
	}
	return pol, dels, err
}

// SetHold puts an item on legal hold or releases it; a release applies the
// retention policy to the item at once.
func (s *Service) SetHold(ctx context.Context, p model.Principal, itemID int64, hold bool) (model.EvidenceItem, []Deletion, error) {
	if err := canManage(p); err != nil {
		return model.EvidenceItem{}, nil, err
	}
	var was bool
	err := s.Store.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(p.Org.ID)
		it, err := o.EvidenceItem(ctx, itemID)
		if err != nil {
			return err
		}
		was = it.LegalHold
		if was == hold {
			return nil
		}
		if err := o.SetEvidenceHold(ctx, itemID, hold); err != nil {
			return err
		}
		kind := ledger.KindEvidenceHold
		if !hold {
			kind = ledger.KindEvidenceRelease
		}
		_, err = ledger.Append(ctx, tx, p.Org.ID, ledger.Record{Kind: kind, Actor: p.Actor(), Subject: subject(itemID),
			Payload: map[string]any{"item_id": itemID, "legal_hold": hold}, Time: s.Now()})
		return err
	})
	if err != nil {
		return model.EvidenceItem{}, nil, err
	}
	var dels []Deletion
	if was && !hold {
		if dels, err = s.ApplyRetention(ctx, p.Org.ID, ReasonLegalHoldRelief); err != nil {
			return model.EvidenceItem{}, dels, err
		}
	}
	it, err := s.Store.Org(p.Org.ID).EvidenceItem(ctx, itemID)
	return it, dels, err
}

// Deletion is one version the retention policy removed.
type Deletion struct {
	ItemID      int64  `json:"item_id"`
	Version     int    `json:"version"`
	SHA256      string `json:"sha256"`
	Reason      string `json:"reason"`
	BlobDeleted bool   `json:"blob_deleted"`
	// BlobKept says why the file stayed (still used elsewhere, or under the
	// store's object lock).
	BlobKept string `json:"blob_kept,omitempty"`
}

// RelevantUntil is the day after which a version no longer speaks for
// anything current: the end of its effective period, or else when it was
// superseded or expired. ok is false for a version that is still current
// and has no end (it is never due for deletion).
func RelevantUntil(v model.EvidenceVersion) (time.Time, bool) {
	if v.EffectiveTo != "" {
		t, err := time.Parse(model.DateLayout, v.EffectiveTo)
		return t.AddDate(0, 0, 1), err == nil
	}
	var end *time.Time
	if v.SupersededAt != nil {
		end = v.SupersededAt
	}
	if v.ExpiresOn != "" {
		if e, err := time.Parse(model.DateLayout, v.ExpiresOn); err == nil && (end == nil || e.Before(*end)) {
			end = &e
		}
	}
	if end == nil {
		return time.Time{}, false
	}
	return *end, true
}

// ApplyRetention deletes the organization's versions whose retention period
// has passed, unless the organization or the item is on legal hold. Each
// deletion is one transaction with its ledger entry (the hash stays in the
// ledger and the row); the blob is removed afterwards unless another
// version, in any organization, still uses it.
func (s *Service) ApplyRetention(ctx context.Context, orgID int64, reason string) ([]Deletion, error) {
	o := s.Store.Org(orgID)
	pol, err := o.RetentionPolicy(ctx)
	if err != nil || pol.Days == 0 || pol.LegalHold {
		return nil, err
	}
	items, err := o.ListEvidence(ctx, store.EvidenceFilter{})
	if err != nil {
		return nil, err
	}
	held := map[int64]bool{}
	for _, it := range items {
		held[it.ID] = it.LegalHold
	}
	versions, err := o.AllEvidenceVersions(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	actor := model.SystemActor("retention")
	var out []Deletion
	for _, v := range versions {
		if v.DeletedAt != nil || held[v.ItemID] {
			continue
		}
		if _, listed := held[v.ItemID]; !listed {
			continue // the item itself is gone
		}
		end, ok := RelevantUntil(v)
		if !ok || !now.After(end.AddDate(0, 0, pol.Days)) {
			continue
		}
		d := Deletion{ItemID: v.ItemID, Version: v.Version, SHA256: v.SHA256, Reason: reason}
		err := s.Store.InTx(ctx, func(tx *store.Store) error {
			o := tx.Org(orgID)
			if err := o.MarkEvidenceVersionDeleted(ctx, v.ID, now, reason); err != nil {
				return err
			}
			if _, err := ledger.Append(ctx, tx, orgID, ledger.Record{Kind: ledger.KindEvidenceDeleted, Actor: actor, Subject: subject(v.ItemID),
				Payload: map[string]any{"item_id": v.ItemID, "version": v.Version, "sha256": v.SHA256, "reason": reason,
					"retention_days": pol.Days, "relevant_until": end.Format(model.DateLayout)}, Time: now}); err != nil {
				return err
			}
			vs, err := o.EvidenceVersions(ctx, v.ItemID)
			if err != nil {
				return err
			}
			for _, other := range vs {
				if other.DeletedAt == nil {
					return nil
				}
			}
			return o.MarkEvidenceItemDeleted(ctx, v.ItemID, now)
		})
		if err != nil {
			return out, fmt.Errorf("cannot delete evidence %d version %d: %w", v.ItemID, v.Version, err)
		}
		d.BlobDeleted, d.BlobKept, err = s.deleteBlob(ctx, orgID, v, now)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) deleteBlob(ctx context.Context, orgID int64, v model.EvidenceVersion, now time.Time) (bool, string, error) {
	used, err := s.Store.BlobStillReferenced(ctx, v.SHA256)
	if err != nil {
		return false, "", err
	}
	if used {
		return false, "another evidence version still uses the same content", nil
	}
	if err := s.Blobs.Delete(ctx, v.SHA256); err != nil {
		if errors.Is(err, blob.ErrRetained) {
			return false, "the blob store's object lock retains it", nil
		}
		return false, "", err
	}
	return true, "", s.Store.Org(orgID).MarkEvidenceBlobDeleted(ctx, v.ID, now)
}

// ApplyRetentionAll applies every organization's policy (serve runs it
// daily).
func (s *Service) ApplyRetentionAll(ctx context.Context) (int, error) {
	orgs, err := s.Store.Organizations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, org := range orgs {
		d, err := s.ApplyRetention(ctx, org.ID, ReasonRetention)
		n += len(d)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
