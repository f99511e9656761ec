package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const objectiveColumns = `id, key, kind, family, title, objective, description, template_key, created_at, updated_at, updated_by, retired_at`

func scanObjective(row interface{ Scan(...any) error }) (model.Objective, error) {
	var ob model.Objective
	var created, updated, retired timeCol
	err := row.Scan(&ob.ID, &ob.Key, &ob.Kind, &ob.Family, &ob.Title, &ob.Objective, &ob.Description, &ob.TemplateKey, &created, &updated, &ob.UpdatedBy, &retired)
	ob.CreatedAt, ob.UpdatedAt, ob.RetiredAt = created.T, updated.T, retired.Ptr()
	return ob, err
}

// CreateObjective stores a SOC 1 objective; a taken key is ErrConflict.
func (o *OrgStore) CreateObjective(ctx context.Context, ob model.Objective, now time.Time) (model.Objective, error) {
	out, err := scanObjective(o.s.write.QueryRowContext(ctx,
		`INSERT INTO objectives (org_id, key, kind, family, title, objective, description, template_key, created_at, updated_at, updated_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING `+objectiveColumns,
		o.org, ob.Key, string(ob.Kind), ob.Family, ob.Title, ob.Objective, ob.Description, ob.TemplateKey, ts(now), ob.UpdatedBy))
	if err != nil {
		if isUniqueViolation(err) {
			return out, fmt.Errorf("objective %s already exists: %w", ob.Key, model.ErrConflict)
		}
		return out, fmt.Errorf("cannot create objective %s: %w", ob.Key, err)
	}
	return out, nil
}

// Objectives lists the organization's objectives by key, retired ones too
// when includeRetired.
func (o *OrgStore) Objectives(ctx context.Context, includeRetired bool) ([]model.Objective, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+objectiveColumns+` FROM objectives WHERE org_id = $1 AND (retired_at IS NULL OR $2) ORDER BY key`, o.org, includeRetired)
	if err != nil {
		return nil, fmt.Errorf("cannot list objectives: %w", err)
	}
	defer rows.Close()
	out := []model.Objective{}
	for rows.Next() {
		ob, err := scanObjective(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list objectives: %w", err)
		}
		out = append(out, ob)
	}
	return out, rows.Err()
}

// Objective reads one objective by key.
func (o *OrgStore) Objective(ctx context.Context, key string) (model.Objective, error) {
	ob, err := scanObjective(o.s.read.QueryRowContext(ctx, `SELECT `+objectiveColumns+` FROM objectives WHERE org_id = $1 AND key = $2`, o.org, key))
	if err != nil {
		return ob, notFound(err, "objective "+key)
	}
	return ob, nil
}

// UpdateObjective changes an objective's text (found by key).
func (o *OrgStore) UpdateObjective(ctx context.Context, ob model.Objective, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE objectives SET kind = $1, family = $2, title = $3, objective = $4, description = $5, updated_at = $6, updated_by = $7
		 WHERE org_id = $8 AND key = $9`,
		string(ob.Kind), ob.Family, ob.Title, ob.Objective, ob.Description, ts(now), ob.UpdatedBy, o.org, ob.Key)
	return exactlyOne(res, err, "objective "+ob.Key)
}

// RetireObjective marks an objective retired; it stays for the record.
func (o *OrgStore) RetireObjective(ctx context.Context, key, by string, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE objectives SET retired_at = $1, updated_at = $1, updated_by = $2 WHERE org_id = $3 AND key = $4 AND retired_at IS NULL`, ts(now), by, o.org, key)
	return exactlyOne(res, err, "active objective "+key)
}
