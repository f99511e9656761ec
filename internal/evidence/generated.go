package evidence

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Generated is a file Assure itself produces from what it recorded (an
// audit's population, for example): stored as automated evidence, one item
// per source key, so that it is in the ledger like everything else.
type Generated struct {
	// SourceKey identifies the source ("population:12"); it must be new.
	SourceKey   string
	Title       string
	Description string
	Controls    []string
	Body        []byte
	FileName    string
	MediaType   string
	// EffectiveFrom and EffectiveTo (YYYY-MM-DD) are the period the file
	// speaks for; unlike manual evidence they may be any days (a
	// population covers its audit's period).
	EffectiveFrom, EffectiveTo string
	// Source is the provenance recorded with the version and in the ledger.
	Source map[string]any
	Actor  model.Actor
	At     time.Time
}

// RecordGenerated stores g's body in the blob store and records it, in tx
// (the caller's transaction), as a new automated evidence item with its
// first version and ledger entry.
func (s *Service) RecordGenerated(ctx context.Context, tx *store.Store, orgID int64, g Generated) (model.EvidenceItem, error) {
	if !strings.Contains(g.SourceKey, ":") || g.Title == "" || g.Actor.Via == "" {
		return model.EvidenceItem{}, fmt.Errorf("cannot record generated evidence: it needs a source key, a title and an actor")
	}
	from, err := model.ParseDate("effective_from", g.EffectiveFrom)
	if err != nil {
		return model.EvidenceItem{}, err
	}
	if g.EffectiveTo != "" {
		to, err := model.ParseDate("effective_to", g.EffectiveTo)
		if err != nil {
			return model.EvidenceItem{}, err
		}
		if to.Before(from) {
			return model.EvidenceItem{}, model.Invalid("effective_to", "%s is before the start of the period (%s)", g.EffectiveTo, g.EffectiveFrom)
		}
	}
	controls, err := s.checkControls(ctx, orgID, g.Controls, false)
	if err != nil {
		return model.EvidenceItem{}, err
	}
	if controls == nil {
		controls = []string{}
	}
	ref, err := s.Blobs.Put(ctx, bytes.NewReader(g.Body))
	if err != nil {
		return model.EvidenceItem{}, fmt.Errorf("cannot store %s: %w", g.FileName, err)
	}
	at := g.At.UTC().Truncate(time.Microsecond)
	it := model.EvidenceItem{Kind: model.EvidenceAutomated, Title: g.Title, Description: g.Description, Controls: controls,
		SourceKey: g.SourceKey, CreatedAt: at, CreatedBy: g.Actor, LastObservedAt: &at}
	err = tx.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(orgID)
		var err error
		if it.ID, err = o.CreateEvidenceItem(ctx, it); err != nil {
			return err
		}
		if err := o.SetEvidenceControls(ctx, it.ID, controls); err != nil {
			return err
		}
		v := model.EvidenceVersion{ItemID: it.ID, Version: 1, SHA256: ref.SHA256, Size: ref.Size, MediaType: g.MediaType, FileName: g.FileName,
			EffectiveFrom: from.Format(model.DateLayout), EffectiveTo: g.EffectiveTo, CapturedAt: at, CreatedAt: at, CreatedBy: g.Actor, Source: g.Source}
		_, err = s.record(ctx, tx, orgID, g.Actor, it, v)
		return err
	})
	if err != nil {
		return model.EvidenceItem{}, fmt.Errorf("cannot record %s as evidence: %w", g.FileName, err)
	}
	return tx.Org(orgID).EvidenceItem(ctx, it.ID)
}
