package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Test results are kept as status intervals: one row per test × resource
// for each span of time its status held. An evaluation that finds the same
// status writes nothing; a change closes the open interval and opens the
// next one, and records the transition in status_changes, in one
// transaction.

// EvalResource is a resource as the test evaluation reads it: its
// identity, its integration, and its current attributes (JSON). Removed is
// set (and Attributes empty) only by ChangedEvalResources.
type EvalResource struct {
	ID            int64
	IntegrationID int64
	Integration   string
	Type          string
	ExternalID    string
	Name          string
	Scope         string
	LastSeenAt    time.Time
	VersionID     int64
	Removed       bool
	Attributes    []byte
}

const evalResourceSelect = `SELECT r.id, r.integration_id, i.name, r.resource_type, r.external_id, r.name, r.scope, r.last_seen_at,
		r.current_version_id, r.removed_at IS NOT NULL, CASE WHEN r.removed_at IS NULL THEN v.attributes END
	 FROM resources r
	 JOIN integrations i ON i.id = r.integration_id
	 JOIN resource_versions v ON v.id = r.current_version_id`

func (o *OrgStore) evalResources(ctx context.Context, fn func(EvalResource) error, query string, args ...any) error {
	rows, err := o.s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("cannot read resources for evaluation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r EvalResource
		var seen timeCol
		var attrs []byte
		if err := rows.Scan(&r.ID, &r.IntegrationID, &r.Integration, &r.Type, &r.ExternalID, &r.Name, &r.Scope, &seen,
			&r.VersionID, &r.Removed, &attrs); err != nil {
			return fmt.Errorf("cannot read resources for evaluation: %w", err)
		}
		r.LastSeenAt = seen.T
		r.Attributes = attrs
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EvalResources streams the present resources of one integration (0: all)
// and one type ("" : all) to fn, in id order, without holding them all.
func (o *OrgStore) EvalResources(ctx context.Context, integrationID int64, resourceType string, fn func(EvalResource) error) error {
	return o.evalResources(ctx, fn, evalResourceSelect+`
		 WHERE r.org_id = $1 AND r.removed_at IS NULL AND ($2 = 0 OR r.integration_id = $2) AND ($3 = '' OR r.resource_type = $3)
		   AND i.removed_at IS NULL
		 ORDER BY r.id`, o.org, integrationID, resourceType)
}

// ChangedEvalResources streams the resources of one integration that runs
// after sinceRunID added, changed, relabeled, removed or brought back, in id
// order: present ones with their attributes, removed ones with Removed set.
func (o *OrgStore) ChangedEvalResources(ctx context.Context, integrationID, sinceRunID int64, fn func(EvalResource) error) error {
	return o.evalResources(ctx, fn, evalResourceSelect+`
		 WHERE r.org_id = $1 AND r.integration_id = $2 AND r.changed_run_id > $3
		 ORDER BY r.id`, o.org, integrationID, sinceRunID)
}

// FinishedRuns returns, per integration of the organization, its latest
// finished run: every change of that run and the runs before it is stored.
func (o *OrgStore) FinishedRuns(ctx context.Context) (map[int64]int64, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT integration_id, max(id) FROM collection_runs WHERE org_id = $1 AND finished_at IS NOT NULL GROUP BY integration_id`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot read the latest runs: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var in, run int64
		if err := rows.Scan(&in, &run); err != nil {
			return nil, fmt.Errorf("cannot read the latest runs: %w", err)
		}
		out[in] = run
	}
	return out, rows.Err()
}

// ListingState is the latest listing of one resource type by one
// integration: what the evaluation needs to know whether a resource's data
// can be trusted (its collection did not fail, and it is fresh).
type ListingState struct {
	IntegrationID  int64
	Integration    string
	Enabled        bool
	Interval       time.Duration
	ResourceType   string
	LastRunID      int64
	LastStatus     model.RunStatus
	LastAttemptAt  time.Time
	LastCompleteAt *time.Time
	Error          string
	// FailedScopes are the scopes that failed in the latest listing.
	FailedScopes map[string]string
}

// ListingStates returns the latest listing of every (integration, type)
// of the organization's integrations that are not removed.
func (o *OrgStore) ListingStates(ctx context.Context) ([]ListingState, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT f.integration_id, i.name, i.enabled, i.interval_seconds, f.resource_type, f.last_run_id, f.last_status,
		        f.last_attempt_at, f.last_complete_at, COALESCE(l.error, ''), COALESCE(l.failed_scopes, '{}')
		 FROM listing_freshness f
		 JOIN integrations i ON i.id = f.integration_id
		 LEFT JOIN run_listings l ON l.run_id = f.last_run_id AND l.resource_type = f.resource_type
		 WHERE f.org_id = $1 AND i.removed_at IS NULL
		 ORDER BY f.integration_id, f.resource_type`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot read listing states: %w", err)
	}
	defer rows.Close()
	var out []ListingState
	for rows.Next() {
		var l ListingState
		var secs int64
		var attempt, complete timeCol
		var scopes map[string]string
		if err := rows.Scan(&l.IntegrationID, &l.Integration, &l.Enabled, &secs, &l.ResourceType, &l.LastRunID, &l.LastStatus,
			&attempt, &complete, &l.Error, jsonCol[map[string]string]{&scopes}); err != nil {
			return nil, fmt.Errorf("cannot read listing states: %w", err)
		}
		l.Interval = time.Duration(secs) * time.Second
		l.LastAttemptAt, l.LastCompleteAt = attempt.T, complete.Ptr()
		l.FailedScopes = scopes
		out = append(out, l)
	}
	return out, rows.Err()
}

// OpenStatus is a test × resource's current (open) interval.
type OpenStatus struct {
	ID         int64
	TestID     string
	ResourceID int64
	Status     model.TestStatus
	Message    string
	From       time.Time
}

// openStatusSelect leaves the message out: the evaluation compares
// statuses only, and reading a message per open interval is most of the
// bytes.
const openStatusSelect = `SELECT s.id, s.test_id, s.resource_id, s.status, '', s.from_at FROM test_status s`

func (o *OrgStore) openStatuses(ctx context.Context, query string, args ...any) ([]OpenStatus, error) {
	rows, err := o.s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read current test statuses: %w", err)
	}
	defer rows.Close()
	var out []OpenStatus
	for rows.Next() {
		var s OpenStatus
		var from timeCol
		if err := rows.Scan(&s.ID, &s.TestID, &s.ResourceID, &s.Status, &s.Message, &from); err != nil {
			return nil, fmt.Errorf("cannot read current test statuses: %w", err)
		}
		s.From = from.T
		out = append(out, s)
	}
	return out, rows.Err()
}

// OpenStatuses returns every open interval of the organization.
func (o *OrgStore) OpenStatuses(ctx context.Context) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` WHERE s.org_id = $1 AND s.to_at IS NULL`, o.org)
}

// OpenStatusesOfIntegration returns the open intervals of one
// integration's resources.
func (o *OrgStore) OpenStatusesOfIntegration(ctx context.Context, integrationID int64) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` JOIN resources r ON r.id = s.resource_id
		WHERE s.org_id = $1 AND s.to_at IS NULL AND r.integration_id = $2`, o.org, integrationID)
}

// OpenStatusesOfType returns the open intervals of one integration's
// resources of one type.
func (o *OrgStore) OpenStatusesOfType(ctx context.Context, integrationID int64, resourceType string) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` JOIN resources r ON r.id = s.resource_id
		WHERE s.org_id = $1 AND s.to_at IS NULL AND r.integration_id = $2 AND r.resource_type = $3`, o.org, integrationID, resourceType)
}

// OpenStatusesOfChanged returns the open intervals of the resources of one
// integration that runs after sinceRunID changed (see ChangedEvalResources).
func (o *OrgStore) OpenStatusesOfChanged(ctx context.Context, integrationID, sinceRunID int64) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` JOIN resources r ON r.id = s.resource_id
		WHERE s.org_id = $1 AND s.to_at IS NULL AND r.integration_id = $2 AND r.changed_run_id > $3`, o.org, integrationID, sinceRunID)
}

// OpenStatusesOfTestIn returns the open intervals of one test on one
// integration's resources.
func (o *OrgStore) OpenStatusesOfTestIn(ctx context.Context, testID string, integrationID int64) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` JOIN resources r ON r.id = s.resource_id
		WHERE s.org_id = $1 AND s.to_at IS NULL AND s.test_id = $2 AND r.integration_id = $3`, o.org, testID, integrationID)
}

// OpenStatusesOfTest returns the open intervals of one test.
func (o *OrgStore) OpenStatusesOfTest(ctx context.Context, testID string) ([]OpenStatus, error) {
	return o.openStatuses(ctx, openStatusSelect+` WHERE s.org_id = $1 AND s.to_at IS NULL AND s.test_id = $2`, o.org, testID)
}

// CloseStatus ends an open interval at t.
func (o *OrgStore) CloseStatus(ctx context.Context, id int64, t time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE test_status SET to_at = $1 WHERE org_id = $2 AND id = $3 AND to_at IS NULL`, ts(t), o.org, id)
	return exactlyOne(res, err, "open test status")
}

// OpenStatus starts an interval at t.
func (o *OrgStore) OpenStatus(ctx context.Context, testID string, resourceID int64, status model.TestStatus, message string, t time.Time) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO test_status (org_id, test_id, resource_id, status, message, from_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		o.org, testID, resourceID, status, message, ts(t)).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("test %s already has an open status for resource %d: %w", testID, resourceID, model.ErrConflict)
		}
		return 0, fmt.Errorf("cannot record a test status: %w", err)
	}
	return id, nil
}

// StatusWriter writes one evaluation's changes in a transaction with each
// statement prepared once (thousands of rows on a first evaluation).
type StatusWriter struct {
	o                   *OrgStore
	closeS, openS, chgS *sql.Stmt
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// StatusWriter prepares the writer; call it inside InTx and Close it.
func (o *OrgStore) StatusWriter(ctx context.Context) (*StatusWriter, error) {
	p, ok := o.s.write.(preparer)
	if !ok {
		return nil, fmt.Errorf("cannot prepare statements on %T", o.s.write)
	}
	w := &StatusWriter{o: o}
	var err error
	if w.closeS, err = p.PrepareContext(ctx, `UPDATE test_status SET to_at = $1 WHERE org_id = $2 AND id = $3 AND to_at IS NULL`); err != nil {
		return nil, fmt.Errorf("cannot prepare: %w", err)
	}
	if w.openS, err = p.PrepareContext(ctx, `INSERT INTO test_status (org_id, test_id, resource_id, status, message, from_at) VALUES ($1, $2, $3, $4, $5, $6)`); err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot prepare: %w", err)
	}
	if w.chgS, err = p.PrepareContext(ctx, `INSERT INTO status_changes (org_id, test_id, test_title, severity, resource_id, resource_type, resource_name, integration_id, integration,
		   from_status, to_status, message, at, controls)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+changeColumns); err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot prepare: %w", err)
	}
	return w, nil
}

// Close releases the statements.
func (w *StatusWriter) Close() {
	for _, s := range []*sql.Stmt{w.closeS, w.openS, w.chgS} {
		if s != nil {
			s.Close()
		}
	}
}

// CloseStatus ends an open interval at t.
func (w *StatusWriter) CloseStatus(ctx context.Context, id int64, t time.Time) error {
	res, err := w.closeS.ExecContext(ctx, ts(t), w.o.org, id)
	return exactlyOne(res, err, "open test status")
}

// OpenStatus starts an interval at t.
func (w *StatusWriter) OpenStatus(ctx context.Context, testID string, resourceID int64, status model.TestStatus, message string, t time.Time) error {
	_, err := w.openS.ExecContext(ctx, w.o.org, testID, resourceID, status, message, ts(t))
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("test %s already has an open status for resource %d: %w", testID, resourceID, model.ErrConflict)
		}
		return fmt.Errorf("cannot record a test status: %w", err)
	}
	return nil
}

// InsertStatusChange records one transition and returns it with its id.
func (w *StatusWriter) InsertStatusChange(ctx context.Context, c model.StatusChange) (model.StatusChange, error) {
	controls := c.Controls
	if controls == nil {
		controls = []string{}
	}
	got, err := scanChange(w.chgS.QueryRowContext(ctx, w.o.org, c.TestID, c.TestTitle, c.Severity, c.ResourceID, c.ResourceType, c.ResourceName,
		c.IntegrationID, c.Integration, c.From, c.To, c.Message, ts(c.At), jsonText(controls)))
	if err != nil {
		return got, fmt.Errorf("cannot record a status change: %w", err)
	}
	return got, nil
}

// IntervalFilter selects status intervals overlapping [From, To): of one
// test ("" : all), one resource (0: all), one status ("" : all). A zero
// From or To leaves that side open.
type IntervalFilter struct {
	TestID     string
	ResourceID int64
	Status     model.TestStatus
	From, To   time.Time
}

// Intervals lists the intervals matching f, by test, resource and start.
// "Status at T" is the interval overlapping [T, T+1µs); "time failing in a
// period" is the sum of the overlaps of its fail intervals.
func (o *OrgStore) Intervals(ctx context.Context, f IntervalFilter) ([]model.StatusInterval, error) {
	from, to := "", ""
	if !f.From.IsZero() {
		from = ts(f.From)
	}
	if !f.To.IsZero() {
		to = ts(f.To)
	}
	// The bounds are compared as text on SQLite (fixed-width UTC) and as
	// timestamptz on PostgreSQL; '' means unbounded, so it is tested before
	// any cast.
	q := `SELECT s.id, s.test_id, s.resource_id, r.resource_type, r.name, s.status, s.message, s.from_at, s.to_at
		FROM test_status s JOIN resources r ON r.id = s.resource_id
		WHERE s.org_id = $1 AND ($2 = '' OR s.test_id = $2) AND ($3 = 0 OR s.resource_id = $3) AND ($4 = '' OR s.status = $4)
		  AND ($5 = '' OR s.to_at IS NULL OR s.to_at > ` + o.s.timeParam(5) + `)
		  AND ($6 = '' OR s.from_at < ` + o.s.timeParam(6) + `)
		ORDER BY s.test_id, s.resource_id, s.from_at`
	rows, err := o.s.read.QueryContext(ctx, q, o.org, f.TestID, f.ResourceID, string(f.Status), from, to)
	if err != nil {
		return nil, fmt.Errorf("cannot read test status intervals: %w", err)
	}
	defer rows.Close()
	out := []model.StatusInterval{}
	for rows.Next() {
		var iv model.StatusInterval
		var start, end timeCol
		if err := rows.Scan(&iv.ID, &iv.TestID, &iv.ResourceID, &iv.ResourceType, &iv.ResourceName, &iv.Status, &iv.Message, &start, &end); err != nil {
			return nil, fmt.Errorf("cannot read test status intervals: %w", err)
		}
		iv.From, iv.To = start.T, end.Ptr()
		out = append(out, iv)
	}
	return out, rows.Err()
}

// timeParam is placeholder n used as a time: PostgreSQL must be told that a
// text parameter (also compared with ”) is a timestamp.
func (s *Store) timeParam(n int) string {
	if s.dialect == Postgres {
		return fmt.Sprintf("NULLIF($%d, '')::timestamptz", n)
	}
	return fmt.Sprintf("$%d", n)
}

// StatusCount is how many resources have a status in a test now.
type StatusCount struct {
	TestID string
	Status model.TestStatus
	Count  int
}

// CurrentStatusCounts counts the open intervals per test and status.
func (o *OrgStore) CurrentStatusCounts(ctx context.Context) ([]StatusCount, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT test_id, status, count(*) FROM test_status WHERE org_id = $1 AND to_at IS NULL GROUP BY test_id, status ORDER BY test_id, status`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot count test statuses: %w", err)
	}
	defer rows.Close()
	var out []StatusCount
	for rows.Next() {
		var c StatusCount
		if err := rows.Scan(&c.TestID, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("cannot count test statuses: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CurrentResult is an open interval with its resource.
type CurrentResult struct {
	model.StatusInterval
	ExternalID    string
	IntegrationID int64
	Integration   string
}

// CurrentResults lists the open intervals of one test ("" : every test),
// failing ones first.
func (o *OrgStore) CurrentResults(ctx context.Context, testID string) ([]CurrentResult, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT s.id, s.test_id, s.resource_id, r.resource_type, r.name, s.status, s.message, s.from_at, r.external_id, r.integration_id, i.name
		 FROM test_status s JOIN resources r ON r.id = s.resource_id JOIN integrations i ON i.id = r.integration_id
		 WHERE s.org_id = $1 AND s.to_at IS NULL AND ($2 = '' OR s.test_id = $2)
		 ORDER BY CASE s.status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'skipped' THEN 2 ELSE 3 END, s.test_id, r.name, r.id`, o.org, testID)
	if err != nil {
		return nil, fmt.Errorf("cannot read current test results: %w", err)
	}
	defer rows.Close()
	out := []CurrentResult{}
	for rows.Next() {
		var c CurrentResult
		var start timeCol
		if err := rows.Scan(&c.ID, &c.TestID, &c.ResourceID, &c.ResourceType, &c.ResourceName, &c.Status, &c.Message, &start,
			&c.ExternalID, &c.IntegrationID, &c.Integration); err != nil {
			return nil, fmt.Errorf("cannot read current test results: %w", err)
		}
		c.From = start.T
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- Status changes (the outbox) -------------------------------------------

const changeColumns = `id, org_id, test_id, test_title, severity, resource_id, resource_type, resource_name, integration_id, integration,
	from_status, to_status, message, at, controls`

func scanChange(row interface{ Scan(...any) error }) (model.StatusChange, error) {
	var c model.StatusChange
	var at timeCol
	err := row.Scan(&c.ID, &c.OrgID, &c.TestID, &c.TestTitle, &c.Severity, &c.ResourceID, &c.ResourceType, &c.ResourceName,
		&c.IntegrationID, &c.Integration, &c.From, &c.To, &c.Message, &at, jsonCol[[]string]{&c.Controls})
	c.At = at.T
	if c.Controls == nil {
		c.Controls = []string{}
	}
	return c, err
}

// InsertStatusChange records one transition and returns it with its id.
func (o *OrgStore) InsertStatusChange(ctx context.Context, c model.StatusChange) (model.StatusChange, error) {
	controls := c.Controls
	if controls == nil {
		controls = []string{}
	}
	got, err := scanChange(o.s.write.QueryRowContext(ctx,
		`INSERT INTO status_changes (org_id, test_id, test_title, severity, resource_id, resource_type, resource_name, integration_id, integration,
		   from_status, to_status, message, at, controls)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+changeColumns,
		o.org, c.TestID, c.TestTitle, c.Severity, c.ResourceID, c.ResourceType, c.ResourceName, c.IntegrationID, c.Integration,
		c.From, c.To, c.Message, ts(c.At), jsonText(controls)))
	if err != nil {
		return got, fmt.Errorf("cannot record a status change: %w", err)
	}
	return got, nil
}

// StatusChangesAfter returns the organization's status changes with an id
// above afterID, oldest first, at most limit (0: 100).
func (o *OrgStore) StatusChangesAfter(ctx context.Context, afterID int64, limit int) ([]model.StatusChange, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryChanges(ctx, o.s.read, `SELECT `+changeColumns+` FROM status_changes WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		o.org, afterID, limit)
}

// StatusChangesAfter returns every organization's status changes with an
// id above afterID, oldest first, at most limit (0: 100): what a
// notification dispatcher serving all organizations reads.
func (s *Store) StatusChangesAfter(ctx context.Context, afterID int64, limit int) ([]model.StatusChange, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryChanges(ctx, s.read, `SELECT `+changeColumns+` FROM status_changes WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
}

// StatusChangeFilter selects status changes: of one test, one resource,
// within [From, To); Limit 0 means 100.
type StatusChangeFilter struct {
	TestID     string
	ResourceID int64
	From, To   time.Time
	Limit      int
}

// StatusChanges lists status changes matching f, newest first.
func (o *OrgStore) StatusChanges(ctx context.Context, f StatusChangeFilter) ([]model.StatusChange, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	from, to := "", ""
	if !f.From.IsZero() {
		from = ts(f.From)
	}
	if !f.To.IsZero() {
		to = ts(f.To)
	}
	return queryChanges(ctx, o.s.read, `SELECT `+changeColumns+` FROM status_changes
		WHERE org_id = $1 AND ($2 = '' OR test_id = $2) AND ($3 = 0 OR resource_id = $3)
		  AND ($4 = '' OR at >= `+o.s.timeParam(4)+`) AND ($5 = '' OR at < `+o.s.timeParam(5)+`)
		ORDER BY id DESC LIMIT $6`, o.org, f.TestID, f.ResourceID, from, to, f.Limit)
}

func queryChanges(ctx context.Context, q querier, query string, args ...any) ([]model.StatusChange, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read status changes: %w", err)
	}
	defer rows.Close()
	out := []model.StatusChange{}
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read status changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- Exceptions ------------------------------------------------------------

const exceptionSelect = `SELECT e.id, e.org_id, e.test_id, COALESCE(e.resource_id, 0), COALESCE(r.name, ''), COALESCE(r.resource_type, ''),
	e.reason, e.approver, e.expires_at, e.created_by, e.created_at, e.revoked_at, e.revoked_by, e.expiry_recorded_at
	FROM test_exceptions e LEFT JOIN resources r ON r.id = e.resource_id`

func scanException(row interface{ Scan(...any) error }) (model.Exception, error) {
	var e model.Exception
	var expires, created, revoked, recorded timeCol
	err := row.Scan(&e.ID, &e.OrgID, &e.TestID, &e.ResourceID, &e.ResourceName, &e.ResourceType, &e.Reason, &e.Approver,
		&expires, &e.CreatedBy, &created, &revoked, &e.RevokedBy, &recorded)
	e.ExpiresAt, e.CreatedAt, e.RevokedAt, e.ExpiryRecorded = expires.T, created.T, revoked.Ptr(), recorded.Ptr()
	return e, err
}

// InsertException stores a new exception.
func (o *OrgStore) InsertException(ctx context.Context, e model.Exception) (model.Exception, error) {
	var res any
	if e.ResourceID != 0 {
		res = e.ResourceID
	}
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO test_exceptions (org_id, test_id, resource_id, reason, approver, expires_at, created_by, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		o.org, e.TestID, res, e.Reason, e.Approver, ts(e.ExpiresAt), e.CreatedBy, ts(e.CreatedAt)).Scan(&id)
	if err != nil {
		return e, fmt.Errorf("cannot store the exception: %w", err)
	}
	return o.Exception(ctx, id)
}

// Exception reads one exception.
func (o *OrgStore) Exception(ctx context.Context, id int64) (model.Exception, error) {
	e, err := scanException(o.s.read.QueryRowContext(ctx, exceptionSelect+` WHERE e.org_id = $1 AND e.id = $2`, o.org, id))
	if err != nil {
		return e, notFound(err, "exception")
	}
	return e, nil
}

// ExceptionFilter selects exceptions: of one test ("" : all), one resource
// (0: all, including exceptions for every resource of a test).
type ExceptionFilter struct {
	TestID     string
	ResourceID int64
}

// Exceptions lists exceptions (active, expired and revoked), newest first.
func (o *OrgStore) Exceptions(ctx context.Context, f ExceptionFilter) ([]model.Exception, error) {
	rows, err := o.s.read.QueryContext(ctx, exceptionSelect+`
		WHERE e.org_id = $1 AND ($2 = '' OR e.test_id = $2) AND ($3 = 0 OR e.resource_id = $3 OR e.resource_id IS NULL)
		ORDER BY e.id DESC`, o.org, f.TestID, f.ResourceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list exceptions: %w", err)
	}
	defer rows.Close()
	out := []model.Exception{}
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list exceptions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RevokeException ends an exception early.
func (o *OrgStore) RevokeException(ctx context.Context, id int64, by string, t time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE test_exceptions SET revoked_at = $1, revoked_by = $2 WHERE org_id = $3 AND id = $4 AND revoked_at IS NULL`,
		ts(t), by, o.org, id)
	return exactlyOne(res, err, "unrevoked exception")
}

// RecordExceptionExpiry notes that an exception's expiry was put on the
// ledger; false when another process did it first.
func (o *OrgStore) RecordExceptionExpiry(ctx context.Context, id int64, t time.Time) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE test_exceptions SET expiry_recorded_at = $1 WHERE org_id = $2 AND id = $3 AND expiry_recorded_at IS NULL AND revoked_at IS NULL`,
		ts(t), o.org, id)
	if err != nil {
		return false, fmt.Errorf("cannot record the exception's expiry: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- Custom tests ----------------------------------------------------------

// CustomTest is a test an organization wrote, as the YAML it submitted.
type CustomTest struct {
	TestID    string     `json:"id"`
	Source    string     `json:"source"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedBy string     `json:"updated_by"`
	UpdatedAt time.Time  `json:"updated_at"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// CustomTests lists the organization's tests (not removed).
func (o *OrgStore) CustomTests(ctx context.Context) ([]CustomTest, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT test_id, source, created_by, created_at, updated_by, updated_at, removed_at FROM custom_tests
		 WHERE org_id = $1 AND removed_at IS NULL ORDER BY test_id`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot list custom tests: %w", err)
	}
	defer rows.Close()
	var out []CustomTest
	for rows.Next() {
		var c CustomTest
		var created, updated, removed timeCol
		if err := rows.Scan(&c.TestID, &c.Source, &c.CreatedBy, &created, &c.UpdatedBy, &updated, &removed); err != nil {
			return nil, fmt.Errorf("cannot list custom tests: %w", err)
		}
		c.CreatedAt, c.UpdatedAt, c.RemovedAt = created.T, updated.T, removed.Ptr()
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveCustomTest creates or replaces a test (a removed one comes back).
func (o *OrgStore) SaveCustomTest(ctx context.Context, id, source, by string, t time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO custom_tests (org_id, test_id, source, created_by, created_at, updated_by, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $4, $5)
		 ON CONFLICT (org_id, test_id) DO UPDATE SET source = excluded.source, updated_by = excluded.updated_by,
		   updated_at = excluded.updated_at, removed_at = NULL`,
		o.org, id, source, by, ts(t))
	if err != nil {
		return fmt.Errorf("cannot save test %s: %w", id, err)
	}
	return nil
}

// RemoveCustomTest marks a test removed (its source stays for the record).
func (o *OrgStore) RemoveCustomTest(ctx context.Context, id, by string, t time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE custom_tests SET removed_at = $1, updated_by = $2, updated_at = $1 WHERE org_id = $3 AND test_id = $4 AND removed_at IS NULL`,
		ts(t), by, o.org, id)
	return exactlyOne(res, err, fmt.Sprintf("custom test %q", id))
}
