package evidence

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Observation is one raw response (or command output, file read, query) a
// collection run recorded, by the hash of its body in the blob store.
type Observation struct {
	Method string `json:"method"`
	Host   string `json:"host"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Run is a finished collection run, as the collection service reports it.
type Run struct {
	RunID         int64
	IntegrationID int64
	Integration   string // the integration's name
	Connector     string // the connector id ("aws")
	StartedAt     time.Time
	FinishedAt    time.Time
	// Status is succeeded, partial or failed. A failed run is recorded in
	// the ledger but is not evidence.
	Status string
	// Controls are the controls the run's resources support (through the
	// tests over them); the automated item is linked to them.
	Controls     []string
	Resources    int
	Observations []Observation
}

// Manifest is the stored list of a run's raw responses. It holds no times,
// so a run that saw exactly what the previous one saw has the same manifest
// (and costs nothing to store again).
type Manifest struct {
	V             int           `json:"v"`
	IntegrationID int64         `json:"integration_id"`
	Connector     string        `json:"connector"`
	Observations  []Observation `json:"observations"`
}

// RunRecord is what RecordRun wrote.
type RunRecord struct {
	Entry    model.LedgerEntry  `json:"entry"`    // the run.finished entry
	Manifest blob.Ref           `json:"manifest"` // the manifest blob
	Item     model.EvidenceItem `json:"item"`     // the integration's automated evidence (zero for a failed run)
	// NewVersion is true when the run's observations differ from the
	// current version's, so a version was added.
	NewVersion bool `json:"new_version"`
}

// RecordRun records a finished collection run, in tx (the collection
// service's transaction that stores the run), as:
//
//   - a manifest blob listing every observation's SHA-256 (the raw
//     response bodies must already be in the blob store);
//   - a run.finished ledger entry naming the run, its status and the
//     manifest's SHA-256 (which commits to every response hash);
//   - for a run that did not fail, the integration's automated evidence
//     item ("integration:<id>"): created on the first run, given a new
//     version when the manifest differs from the current version's, and
//     otherwise marked as observed again.
//
// The manifest is written to the blob store before the rows that refer to
// it, so a crash leaves no record without its content.
func (s *Service) RecordRun(ctx context.Context, tx *store.Store, orgID int64, run Run) (RunRecord, error) {
	var rec RunRecord
	if run.RunID <= 0 || run.IntegrationID <= 0 {
		return rec, fmt.Errorf("cannot record run: it needs its run and integration ids")
	}
	status := run.Status
	if status == "" {
		status = "succeeded"
	}
	if status != "succeeded" && status != "partial" && status != "failed" {
		return rec, fmt.Errorf("cannot record run %d: status %q is not succeeded, partial or failed", run.RunID, status)
	}
	controls, err := s.checkControls(ctx, orgID, run.Controls, false)
	if err != nil {
		return rec, err
	}
	obs := append([]Observation(nil), run.Observations...)
	for _, o := range obs {
		if !blob.ValidDigest(o.SHA256) {
			return rec, fmt.Errorf("cannot record run %d: observation %s %s has no SHA-256", run.RunID, o.Method, o.Path)
		}
	}
	slices.SortFunc(obs, func(a, b Observation) int {
		return strings.Compare(a.Method+" "+a.Host+a.Path+" "+a.SHA256, b.Method+" "+b.Host+b.Path+" "+b.SHA256)
	})
	body, err := ledger.Canonical(Manifest{V: 1, IntegrationID: run.IntegrationID, Connector: run.Connector, Observations: obs})
	if err != nil {
		return rec, err
	}
	if rec.Manifest, err = s.Blobs.Put(ctx, bytes.NewReader(body)); err != nil {
		return rec, fmt.Errorf("cannot store the manifest of run %d: %w", run.RunID, err)
	}
	finished := run.FinishedAt.UTC().Truncate(time.Microsecond)
	source := map[string]any{
		"manifest": true, "run_id": run.RunID, "integration_id": run.IntegrationID, "integration": run.Integration, "connector": run.Connector,
		"started_at": run.StartedAt.UTC().Format(ledger.TimeLayout), "finished_at": finished.Format(ledger.TimeLayout),
		"status": status, "resources": run.Resources, "observations": len(obs), "manifest_sha256": rec.Manifest.SHA256,
	}
	actor := model.SystemActor("collection")
	err = tx.InTx(ctx, func(tx *store.Store) error {
		rec.Entry, err = ledger.Append(ctx, tx, orgID, ledger.Record{Kind: ledger.KindRunFinished, Actor: actor,
			Subject: "run:" + strconv.FormatInt(run.RunID, 10), Payload: source, Time: finished})
		if err != nil || status == "failed" {
			return err
		}
		o := tx.Org(orgID)
		key := "integration:" + strconv.FormatInt(run.IntegrationID, 10)
		it, err := o.EvidenceItemBySource(ctx, key)
		switch {
		case err == nil:
		case isNotFound(err):
			it = model.EvidenceItem{Kind: model.EvidenceAutomated, Title: "Automated: " + run.Integration, SourceKey: key, Controls: []string{},
				Description: fmt.Sprintf("What the %s integration %q observed, as the SHA-256 of every raw response of its collection runs.", run.Connector, run.Integration),
				CreatedAt:   finished, CreatedBy: actor}
			if it.ID, err = o.CreateEvidenceItem(ctx, it); err != nil {
				return err
			}
		default:
			return err
		}
		if !slices.Equal(it.Controls, controls) {
			if err := o.SetEvidenceControls(ctx, it.ID, controls); err != nil {
				return err
			}
			it.Controls = controls
		}
		if it.Current != nil && it.Current.SHA256 == rec.Manifest.SHA256 && it.Current.DeletedAt == nil {
			if err := o.TouchEvidenceObserved(ctx, it.ID, finished); err != nil {
				return err
			}
		} else {
			v := model.EvidenceVersion{ItemID: it.ID, Version: it.Versions + 1, SHA256: rec.Manifest.SHA256, Size: rec.Manifest.Size,
				MediaType: typeJSON, FileName: fmt.Sprintf("run-%d-manifest.json", run.RunID), EffectiveFrom: finished.Format(model.DateLayout),
				CapturedAt: finished, CreatedAt: finished, CreatedBy: actor, Source: source}
			if _, err := s.record(ctx, tx, orgID, actor, it, v); err != nil {
				return err
			}
			if err := o.TouchEvidenceObserved(ctx, it.ID, finished); err != nil {
				return err
			}
			rec.NewVersion = true
		}
		rec.Item, err = o.EvidenceItem(ctx, it.ID)
		return err
	})
	if err != nil {
		return rec, fmt.Errorf("cannot record run %d: %w", run.RunID, err)
	}
	return rec, nil
}
