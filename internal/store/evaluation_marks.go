package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EvaluationMark is what the last evaluation covering every resource of an
// integration judged (migrations 0007): the tests (a signature of their
// definitions), the integration's name, the latest finished run whose
// changes it saw, and how each resource type's collection held its
// resources back (check's hold classes). Incremental evaluation starts from
// it.
type EvaluationMark struct {
	IntegrationID int64
	Tests         string
	Integration   string
	RunID         int64
	Holds         map[string]string
	EvaluatedAt   time.Time
}

// EvaluationMarks returns the organization's marks by integration.
func (o *OrgStore) EvaluationMarks(ctx context.Context) (map[int64]EvaluationMark, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT integration_id, tests, integration, run_id, holds, evaluated_at FROM evaluation_marks WHERE org_id = $1`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot read evaluation marks: %w", err)
	}
	defer rows.Close()
	out := map[int64]EvaluationMark{}
	for rows.Next() {
		var m EvaluationMark
		var at timeCol
		if err := rows.Scan(&m.IntegrationID, &m.Tests, &m.Integration, &m.RunID, jsonCol[map[string]string]{&m.Holds}, &at); err != nil {
			return nil, fmt.Errorf("cannot read evaluation marks: %w", err)
		}
		m.EvaluatedAt = at.T
		out[m.IntegrationID] = m
	}
	return out, rows.Err()
}

// EvaluationMark returns one integration's mark; ok is false without one.
func (o *OrgStore) EvaluationMark(ctx context.Context, integrationID int64) (EvaluationMark, bool, error) {
	var m EvaluationMark
	var at timeCol
	err := o.s.read.QueryRowContext(ctx,
		`SELECT integration_id, tests, integration, run_id, holds, evaluated_at FROM evaluation_marks WHERE org_id = $1 AND integration_id = $2`,
		o.org, integrationID).Scan(&m.IntegrationID, &m.Tests, &m.Integration, &m.RunID, jsonCol[map[string]string]{&m.Holds}, &at)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return m, false, nil
		}
		return m, false, fmt.Errorf("cannot read the evaluation mark: %w", err)
	}
	m.EvaluatedAt = at.T
	return m, true, nil
}

// SaveEvaluationMark records an integration's mark (in the transaction that
// stores the evaluation's results).
func (o *OrgStore) SaveEvaluationMark(ctx context.Context, m EvaluationMark) error {
	holds := m.Holds
	if holds == nil {
		holds = map[string]string{}
	}
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO evaluation_marks (org_id, integration_id, tests, integration, run_id, holds, evaluated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (org_id, integration_id) DO UPDATE SET tests = excluded.tests, integration = excluded.integration,
		   run_id = excluded.run_id, holds = excluded.holds, evaluated_at = excluded.evaluated_at`,
		o.org, m.IntegrationID, m.Tests, m.Integration, m.RunID, jsonText(holds), ts(m.EvaluatedAt))
	if err != nil {
		return fmt.Errorf("cannot record the evaluation mark: %w", err)
	}
	return nil
}
