package store

import (
	"context"
	"fmt"

	"github.com/assurehq/assure/internal/model"
)

const observationColumns = `id, run_id, resource_type, method, host, path, status, started_at, duration_us, size, sha256, content_type, error, redacted`

func scanObservation(row interface{ Scan(...any) error }) (model.Observation, error) {
	var ob model.Observation
	var started timeCol
	var us int64
	err := row.Scan(&ob.ID, &ob.RunID, &ob.ResourceType, &ob.Method, &ob.Host, &ob.Path, &ob.Status, &started, &us,
		&ob.Size, &ob.SHA256, &ob.ContentType, &ob.Error, &ob.Redacted)
	ob.StartedAt = started.T
	ob.DurationMS = float64(us) / 1000
	return ob, err
}

// InsertObservation records one call of a run and returns its id. The
// caller has already stripped credentials and stored the body as a blob.
func (o *OrgStore) InsertObservation(ctx context.Context, ob model.Observation) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO observations (org_id, run_id, resource_type, method, host, path, status, started_at, duration_us, size, sha256, content_type, error, redacted)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		o.org, ob.RunID, ob.ResourceType, ob.Method, ob.Host, ob.Path, ob.Status, ts(ob.StartedAt),
		int64(ob.DurationMS*1000), ob.Size, ob.SHA256, ob.ContentType, ob.Error, ob.Redacted).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot record observation: %w", err)
	}
	return id, nil
}

// Observation reads one observation.
func (o *OrgStore) Observation(ctx context.Context, id int64) (model.Observation, error) {
	ob, err := scanObservation(o.s.read.QueryRowContext(ctx,
		`SELECT `+observationColumns+` FROM observations WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return ob, notFound(err, "observation")
	}
	return ob, nil
}

// Observations lists a run's observations in the order they were made;
// resourceType "*" lists all of them, anything else only that listing's.
func (o *OrgStore) Observations(ctx context.Context, runID int64, resourceType string) ([]model.Observation, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+observationColumns+` FROM observations WHERE org_id = $1 AND run_id = $2 AND ($3 = '*' OR resource_type = $3) ORDER BY id`,
		o.org, runID, resourceType)
	if err != nil {
		return nil, fmt.Errorf("cannot list observations: %w", err)
	}
	defer rows.Close()
	var out []model.Observation
	for rows.Next() {
		ob, err := scanObservation(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list observations: %w", err)
		}
		out = append(out, ob)
	}
	return out, rows.Err()
}

// VersionObservations lists the observations a resource version was built
// from: those the connector named, or else every call of the listing that
// first observed it.
func (o *OrgStore) VersionObservations(ctx context.Context, v model.ResourceVersion, resourceType string) ([]model.Observation, error) {
	if len(v.ObservationIDs) == 0 {
		return o.Observations(ctx, v.RunID, resourceType)
	}
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+prefixed("ob", observationColumns)+` FROM observations ob
		 JOIN resource_version_observations l ON l.observation_id = ob.id
		 WHERE ob.org_id = $1 AND l.version_id = $2 ORDER BY ob.id`, o.org, v.ID)
	if err != nil {
		return nil, fmt.Errorf("cannot list the version's observations: %w", err)
	}
	defer rows.Close()
	var out []model.Observation
	for rows.Next() {
		ob, err := scanObservation(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list the version's observations: %w", err)
		}
		out = append(out, ob)
	}
	return out, rows.Err()
}

// ObservationDigests returns the SHA-256 of every body a run recorded, in
// order (for the ledger).
func (o *OrgStore) ObservationDigests(ctx context.Context, runID int64) ([]string, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT sha256 FROM observations WHERE org_id = $1 AND run_id = $2 ORDER BY id`, o.org, runID)
	if err != nil {
		return nil, fmt.Errorf("cannot list observation digests: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("cannot list observation digests: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountObservations counts a run's observations.
func (o *OrgStore) CountObservations(ctx context.Context, runID int64) (int, error) {
	var n int
	if err := o.s.read.QueryRowContext(ctx, `SELECT count(*) FROM observations WHERE org_id = $1 AND run_id = $2`, o.org, runID).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count observations: %w", err)
	}
	return n, nil
}
