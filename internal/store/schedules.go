package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// The scheduler's plan: when each integration is next collected. Claims
// are compare-and-set on next_run_at, so of several servers on one
// database exactly one starts a due run.

const scheduleColumns = `integration_id, org_id, next_run_at, interval_seconds, failures, last_run_id`

func scanSchedule(row interface{ Scan(...any) error }) (model.Schedule, error) {
	var s model.Schedule
	var next timeCol
	var secs int64
	var last sql.NullInt64
	if err := row.Scan(&s.IntegrationID, &s.OrgID, &next, &secs, &s.Failures, &last); err != nil {
		return s, err
	}
	s.NextRunAt, s.Interval = next.T, model.Duration(time.Duration(secs)*time.Second)
	if last.Valid {
		s.LastRunID = &last.Int64
	}
	return s, nil
}

// SetSchedule writes an integration's plan (inserting it the first time).
func (o *OrgStore) SetSchedule(ctx context.Context, s model.Schedule, now time.Time) error {
	var last any
	if s.LastRunID != nil {
		last = *s.LastRunID
	}
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO integration_schedules (integration_id, org_id, next_run_at, interval_seconds, failures, last_run_id, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (integration_id) DO UPDATE SET next_run_at = excluded.next_run_at, interval_seconds = excluded.interval_seconds,
		   failures = excluded.failures, last_run_id = COALESCE(excluded.last_run_id, integration_schedules.last_run_id),
		   updated_at = excluded.updated_at`,
		s.IntegrationID, o.org, ts(s.NextRunAt), int64(s.Interval.Std()/time.Second), s.Failures, last, ts(now))
	if err != nil {
		return fmt.Errorf("cannot store the schedule of integration %d: %w", s.IntegrationID, err)
	}
	return nil
}

// InsertScheduleIfAbsent writes a first plan unless the integration has one
// already (another server may have planned it meanwhile); it reports
// whether it wrote.
func (o *OrgStore) InsertScheduleIfAbsent(ctx context.Context, s model.Schedule, now time.Time) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`INSERT INTO integration_schedules (integration_id, org_id, next_run_at, interval_seconds, failures, updated_at)
		 VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (integration_id) DO NOTHING`,
		s.IntegrationID, o.org, ts(s.NextRunAt), int64(s.Interval.Std()/time.Second), ts(now))
	if err != nil {
		return false, fmt.Errorf("cannot plan integration %d: %w", s.IntegrationID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Schedule reads one integration's plan.
func (o *OrgStore) Schedule(ctx context.Context, integrationID int64) (model.Schedule, bool, error) {
	s, err := scanSchedule(o.s.read.QueryRowContext(ctx,
		`SELECT `+scheduleColumns+` FROM integration_schedules WHERE org_id = $1 AND integration_id = $2`, o.org, integrationID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("cannot read the schedule of integration %d: %w", integrationID, err)
	}
	return s, true, nil
}

// Schedules returns the plan of every integration of the organization that
// has one.
func (o *OrgStore) Schedules(ctx context.Context) (map[int64]model.Schedule, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM integration_schedules WHERE org_id = $1`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot read schedules: %w", err)
	}
	defer rows.Close()
	out := map[int64]model.Schedule{}
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read schedules: %w", err)
		}
		out[s.IntegrationID] = s
	}
	return out, rows.Err()
}

// ClaimSchedule takes a due integration for one run: it moves next_run_at
// from a time at or before now to until, and reports whether this call
// did (false: not due any more, or another server claimed it first).
func (o *OrgStore) ClaimSchedule(ctx context.Context, integrationID int64, now, until time.Time, runner string) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE integration_schedules SET next_run_at = $1, claimed_at = $2, claimed_by = $3, updated_at = $2
		 WHERE org_id = $4 AND integration_id = $5 AND next_run_at <= $2`,
		ts(until), ts(now), runner, o.org, integrationID)
	if err != nil {
		return false, fmt.Errorf("cannot claim integration %d: %w", integrationID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReplanSchedule moves an integration's next run from old to next (for an
// interval that changed), unless it moved meanwhile; it reports whether it
// did.
func (o *OrgStore) ReplanSchedule(ctx context.Context, integrationID int64, old, next time.Time, interval time.Duration, now time.Time) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE integration_schedules SET next_run_at = $1, interval_seconds = $2, updated_at = $3
		 WHERE org_id = $4 AND integration_id = $5 AND next_run_at = $6`,
		ts(next), int64(interval/time.Second), ts(now), o.org, integrationID, ts(old))
	if err != nil {
		return false, fmt.Errorf("cannot replan integration %d: %w", integrationID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Planned is an integration as the scheduler sees it: its current interval,
// its plan (if any) and when its latest run started.
type Planned struct {
	IntegrationID int64
	OrgID         int64
	Interval      time.Duration
	Schedule      *model.Schedule
	LastStartedAt *time.Time
}

// Unplanned lists the enabled integrations (of every organization) that
// have no plan yet, or whose plan was made with another interval.
func (s *Store) Unplanned(ctx context.Context) ([]Planned, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT i.id, i.org_id, i.interval_seconds, s.next_run_at, s.interval_seconds, s.failures,
		        (SELECT max(r.started_at) FROM collection_runs r WHERE r.integration_id = i.id)
		 FROM integrations i LEFT JOIN integration_schedules s ON s.integration_id = i.id
		 WHERE i.removed_at IS NULL AND i.enabled = $1 AND (s.integration_id IS NULL OR s.interval_seconds <> i.interval_seconds)
		 ORDER BY i.id`, true)
	if err != nil {
		return nil, fmt.Errorf("cannot list unplanned integrations: %w", err)
	}
	defer rows.Close()
	var out []Planned
	for rows.Next() {
		var p Planned
		var secs int64
		var next, last timeCol
		var planSecs, failures sql.NullInt64
		if err := rows.Scan(&p.IntegrationID, &p.OrgID, &secs, &next, &planSecs, &failures, &last); err != nil {
			return nil, fmt.Errorf("cannot list unplanned integrations: %w", err)
		}
		p.Interval = time.Duration(secs) * time.Second
		if next.Valid {
			p.Schedule = &model.Schedule{IntegrationID: p.IntegrationID, OrgID: p.OrgID, NextRunAt: next.T,
				Interval: model.Duration(time.Duration(planSecs.Int64) * time.Second), Failures: int(failures.Int64)}
		}
		p.LastStartedAt = last.Ptr()
		out = append(out, p)
	}
	return out, rows.Err()
}

// DueSchedules lists the plans (of every organization) whose next run is
// at or before now, of enabled integrations that are not removed, the
// longest waiting first.
func (s *Store) DueSchedules(ctx context.Context, now time.Time, limit int) ([]model.Schedule, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT s.integration_id, s.org_id, s.next_run_at, s.interval_seconds, s.failures, s.last_run_id
		 FROM integration_schedules s JOIN integrations i ON i.id = s.integration_id
		 WHERE s.next_run_at <= $1 AND i.removed_at IS NULL AND i.enabled = $2
		 ORDER BY s.next_run_at, s.integration_id LIMIT $3`, ts(now), true, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list due integrations: %w", err)
	}
	defer rows.Close()
	var out []model.Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list due integrations: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}
