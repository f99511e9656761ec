package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const runColumns = `id, org_id, integration_id, status, triggered_by, started_at, finished_at, error, resources, added, changed, removed, calls`

func scanRun(row interface{ Scan(...any) error }) (model.Run, error) {
	var r model.Run
	var started, finished timeCol
	err := row.Scan(&r.ID, &r.OrgID, &r.IntegrationID, &r.Status, &r.Trigger, &started, &finished, &r.Error,
		&r.Resources, &r.Added, &r.Changed, &r.Removed, &r.Calls)
	r.StartedAt, r.FinishedAt = started.T, finished.Ptr()
	return r, err
}

// StartRun records a new running run. The database allows one running run
// per integration (a unique partial index), so a second start, from this
// process or another, is ErrConflict.
func (o *OrgStore) StartRun(ctx context.Context, integrationID int64, trigger, runner string, now time.Time) (model.Run, error) {
	r, err := scanRun(o.s.write.QueryRowContext(ctx,
		`INSERT INTO collection_runs (org_id, integration_id, status, triggered_by, runner, started_at, heartbeat_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+runColumns,
		o.org, integrationID, model.RunRunning, trigger, runner, ts(now)))
	if err != nil {
		if isUniqueViolation(err) {
			return r, fmt.Errorf("a collection of this integration is already running: %w", model.ErrConflict)
		}
		return r, fmt.Errorf("cannot start run: %w", err)
	}
	return r, nil
}

// HeartbeatRun records that a running run's process is alive.
func (o *OrgStore) HeartbeatRun(ctx context.Context, runID int64, now time.Time) error {
	if _, err := o.s.write.ExecContext(ctx,
		`UPDATE collection_runs SET heartbeat_at = $1 WHERE org_id = $2 AND id = $3 AND status = $4`,
		ts(now), o.org, runID, model.RunRunning); err != nil {
		return fmt.Errorf("cannot record run heartbeat: %w", err)
	}
	return nil
}

// FinishRun stores a run's final status, reason and counts. Only a running
// run can finish (one that was declared interrupted stays failed).
func (o *OrgStore) FinishRun(ctx context.Context, r model.Run) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE collection_runs SET status = $1, finished_at = $2, error = $3, resources = $4, added = $5, changed = $6, removed = $7, calls = $8
		 WHERE org_id = $9 AND id = $10 AND status = $11`,
		r.Status, tsPtr(r.FinishedAt), r.Error, r.Resources, r.Added, r.Changed, r.Removed, r.Calls, o.org, r.ID, model.RunRunning)
	if err := exactlyOne(res, err, "running run"); err != nil {
		return fmt.Errorf("cannot finish run %d (it was marked interrupted meanwhile?): %w", r.ID, err)
	}
	return nil
}

// InterruptStaleRuns marks failed every running run (of any organization)
// whose process has not sent a heartbeat since staleBefore: its process
// crashed or was killed. It returns how many it marked.
func (s *Store) InterruptStaleRuns(ctx context.Context, staleBefore, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx,
		`UPDATE collection_runs SET status = $1, finished_at = $2,
		   error = 'interrupted: the process running this collection stopped before it finished (no heartbeat since ' || heartbeat_at || ')'
		 WHERE status = $3 AND heartbeat_at < $4`,
		model.RunFailed, ts(now), model.RunRunning, ts(staleBefore))
	if err != nil {
		return 0, fmt.Errorf("cannot mark interrupted runs: %w", err)
	}
	return res.RowsAffected()
}

// RunFilter selects runs: IntegrationID 0 means all; Limit 0 means 50.
type RunFilter struct {
	IntegrationID int64
	Limit         int
}

// Runs lists runs, newest first.
func (o *OrgStore) Runs(ctx context.Context, f RunFilter) ([]model.Run, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+runColumns+` FROM collection_runs WHERE org_id = $1 AND ($2 = 0 OR integration_id = $2) ORDER BY id DESC LIMIT $3`,
		o.org, f.IntegrationID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list runs: %w", err)
	}
	defer rows.Close()
	var out []model.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestRuns returns each integration's most recent run.
func (o *OrgStore) LatestRuns(ctx context.Context) (map[int64]model.Run, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+runColumns+` FROM collection_runs r
		 WHERE org_id = $1 AND id = (SELECT max(id) FROM collection_runs x WHERE x.integration_id = r.integration_id)`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot list latest runs: %w", err)
	}
	defer rows.Close()
	out := map[int64]model.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list latest runs: %w", err)
		}
		out[r.IntegrationID] = r
	}
	return out, rows.Err()
}

// Run reads one run.
func (o *OrgStore) Run(ctx context.Context, id int64) (model.Run, error) {
	r, err := scanRun(o.s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM collection_runs WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return r, notFound(err, "run")
	}
	return r, nil
}

// InsertListing stores one resource type's listing result within a run.
func (o *OrgStore) InsertListing(ctx context.Context, l model.Listing) error {
	scopes := l.FailedScopes
	if scopes == nil {
		scopes = map[string]string{}
	}
	fs := jsonText(scopes)
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO run_listings (run_id, org_id, resource_type, status, resources, added, changed, unchanged, removed, error, failed_scopes, started_at, finished_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		l.RunID, o.org, l.ResourceType, l.Status, l.Resources, l.Added, l.Changed, l.Unchanged, l.Removed, l.Error, fs, ts(l.StartedAt), ts(l.FinishedAt))
	if err != nil {
		return fmt.Errorf("cannot store the listing of %s: %w", l.ResourceType, err)
	}
	return nil
}

// Listings returns a run's listings by resource type.
func (o *OrgStore) Listings(ctx context.Context, runID int64) ([]model.Listing, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT run_id, resource_type, status, resources, added, changed, unchanged, removed, error, failed_scopes, started_at, finished_at
		 FROM run_listings WHERE org_id = $1 AND run_id = $2 ORDER BY resource_type`, o.org, runID)
	if err != nil {
		return nil, fmt.Errorf("cannot list the run's listings: %w", err)
	}
	defer rows.Close()
	var out []model.Listing
	for rows.Next() {
		var l model.Listing
		var fs string
		var started, finished timeCol
		if err := rows.Scan(&l.RunID, &l.ResourceType, &l.Status, &l.Resources, &l.Added, &l.Changed, &l.Unchanged, &l.Removed, &l.Error, &fs, &started, &finished); err != nil {
			return nil, fmt.Errorf("cannot list the run's listings: %w", err)
		}
		l.StartedAt, l.FinishedAt = started.T, finished.T
		l.FailedScopes = map[string]string{}
		_ = json.Unmarshal([]byte(fs), &l.FailedScopes)
		out = append(out, l)
	}
	return out, rows.Err()
}

// RecordFreshness notes that a listing of (integration, type) ran in runID;
// complete is set when it succeeded in full, and then stands as the "last
// seen" time of every present resource of that type that did not change.
func (o *OrgStore) RecordFreshness(ctx context.Context, integrationID int64, resourceType string, runID int64, status model.RunStatus, attempt time.Time, complete *time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO listing_freshness (integration_id, resource_type, org_id, last_run_id, last_status, last_attempt_at, last_complete_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (integration_id, resource_type) DO UPDATE SET
		   last_run_id = excluded.last_run_id, last_status = excluded.last_status, last_attempt_at = excluded.last_attempt_at,
		   last_complete_at = COALESCE(excluded.last_complete_at, listing_freshness.last_complete_at)`,
		integrationID, resourceType, o.org, runID, status, ts(attempt), tsPtr(complete))
	if err != nil {
		return fmt.Errorf("cannot record listing freshness: %w", err)
	}
	return nil
}
