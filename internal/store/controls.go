package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Controls are the organization's own controls, adopted from the library or
// written by it. Later parts of the product name them by key: tests,
// evidence and audits.

const controlColumns = `id, key, title, description, owner, frequency, nature, status, evidence, library_key, library_version, edited, library_text, created_at, updated_at, updated_by`

func scanControl(row interface{ Scan(...any) error }) (model.Control, error) {
	c := model.Control{Evidence: []string{}, Edited: []model.ControlField{}, Criteria: []model.CriterionMapping{}, Objectives: []model.ObjectiveMapping{},
		LibraryText: map[model.ControlField]string{}}
	var created, updated timeCol
	err := row.Scan(&c.ID, &c.Key, &c.Title, &c.Description, &c.Owner, &c.Frequency, &c.Nature, &c.Status,
		jsonCol[[]string]{&c.Evidence}, &c.LibraryKey, &c.LibraryVersion, jsonCol[[]model.ControlField]{&c.Edited},
		jsonCol[map[model.ControlField]string]{&c.LibraryText}, &created, &updated, &c.UpdatedBy)
	c.CreatedAt, c.UpdatedAt = created.T, updated.T
	return c, err
}

// CreateControl stores a control with its mappings; a taken key is
// ErrConflict. Objective mappings name objectives by key; call it inside InTx.
func (o *OrgStore) CreateControl(ctx context.Context, c model.Control, now time.Time) (model.Control, error) {
	out, err := scanControl(o.s.write.QueryRowContext(ctx,
		`INSERT INTO controls (org_id, key, title, description, owner, frequency, nature, status, evidence, library_key, library_version, edited, library_text, created_at, updated_at, updated_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15) RETURNING `+controlColumns,
		o.org, c.Key, c.Title, c.Description, c.Owner, string(c.Frequency), string(c.Nature), string(c.Status),
		jsonText(nonNil(c.Evidence)), c.LibraryKey, c.LibraryVersion, jsonText(nonNil(c.Edited)), jsonText(nonNilMap(c.LibraryText)), ts(now), c.UpdatedBy))
	if err != nil {
		if isUniqueViolation(err) {
			return out, fmt.Errorf("control %s already exists: %w", c.Key, model.ErrConflict)
		}
		return out, fmt.Errorf("cannot create control %s: %w", c.Key, err)
	}
	if err := o.writeMappings(ctx, out.ID, c); err != nil {
		return out, err
	}
	return o.Control(ctx, c.Key)
}

// UpdateControl replaces a control's fields and mappings (found by key).
// Call it inside InTx.
func (o *OrgStore) UpdateControl(ctx context.Context, c model.Control, now time.Time) (model.Control, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`UPDATE controls SET title = $1, description = $2, owner = $3, frequency = $4, nature = $5, status = $6, evidence = $7,
		   library_key = $8, library_version = $9, edited = $10, library_text = $11, updated_at = $12, updated_by = $13
		 WHERE org_id = $14 AND key = $15 RETURNING id`,
		c.Title, c.Description, c.Owner, string(c.Frequency), string(c.Nature), string(c.Status), jsonText(nonNil(c.Evidence)),
		c.LibraryKey, c.LibraryVersion, jsonText(nonNil(c.Edited)), jsonText(nonNilMap(c.LibraryText)), ts(now), c.UpdatedBy, o.org, c.Key).Scan(&id)
	if err != nil {
		return model.Control{}, notFound(err, "control "+c.Key)
	}
	for _, q := range []string{`DELETE FROM control_criteria WHERE org_id = $1 AND control_id = $2`, `DELETE FROM control_objectives WHERE org_id = $1 AND control_id = $2`} {
		if _, err := o.s.write.ExecContext(ctx, q, o.org, id); err != nil {
			return model.Control{}, fmt.Errorf("cannot change the mappings of %s: %w", c.Key, err)
		}
	}
	if err := o.writeMappings(ctx, id, c); err != nil {
		return model.Control{}, err
	}
	return o.Control(ctx, c.Key)
}

func (o *OrgStore) writeMappings(ctx context.Context, id int64, c model.Control) error {
	for _, m := range c.Criteria {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO control_criteria (org_id, control_id, criterion, rationale) VALUES ($1, $2, $3, $4)`,
			o.org, id, m.CriterionID, m.Rationale); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("control %s maps to %s twice: %w", c.Key, m.CriterionID, model.ErrConflict)
			}
			return fmt.Errorf("cannot map %s to %s: %w", c.Key, m.CriterionID, err)
		}
	}
	for _, m := range c.Objectives {
		res, err := o.s.write.ExecContext(ctx,
			`INSERT INTO control_objectives (org_id, control_id, objective_id, rationale)
			 SELECT $1, $2, id, $3 FROM objectives WHERE org_id = $1 AND key = $4`,
			o.org, id, m.Rationale, m.ObjectiveKey)
		if err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("control %s maps to objective %s twice: %w", c.Key, m.ObjectiveKey, model.ErrConflict)
			}
			return fmt.Errorf("cannot map %s to objective %s: %w", c.Key, m.ObjectiveKey, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.Invalid("objectives", "objective %q does not exist: create it first (assure objectives add)", m.ObjectiveKey)
		}
	}
	return nil
}

// Controls lists the organization's controls by key, with their mappings.
func (o *OrgStore) Controls(ctx context.Context) ([]model.Control, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+controlColumns+` FROM controls WHERE org_id = $1 ORDER BY key`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot list controls: %w", err)
	}
	out := []model.Control{}
	byID := map[int64]int{}
	for rows.Next() {
		c, err := scanControl(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list controls: %w", err)
		}
		byID[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := o.attachMappings(ctx, 0, func(id int64) *model.Control {
		if i, ok := byID[id]; ok {
			return &out[i]
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// Control reads one control by key, with its mappings.
func (o *OrgStore) Control(ctx context.Context, key string) (model.Control, error) {
	c, err := scanControl(o.s.read.QueryRowContext(ctx, `SELECT `+controlColumns+` FROM controls WHERE org_id = $1 AND key = $2`, o.org, key))
	if err != nil {
		return c, notFound(err, "control "+key)
	}
	err = o.attachMappings(ctx, c.ID, func(id int64) *model.Control {
		if id == c.ID {
			return &c
		}
		return nil
	})
	return c, err
}

// attachMappings reads the mappings of one control (controlID) or of all
// (0) and hands each to the control get returns.
func (o *OrgStore) attachMappings(ctx context.Context, controlID int64, get func(int64) *model.Control) error {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT control_id, criterion, rationale FROM control_criteria WHERE org_id = $1 AND (control_id = $2 OR $2 = 0) ORDER BY control_id, criterion`,
		o.org, controlID)
	if err != nil {
		return fmt.Errorf("cannot read control mappings: %w", err)
	}
	for rows.Next() {
		var id int64
		var m model.CriterionMapping
		if err := rows.Scan(&id, &m.CriterionID, &m.Rationale); err != nil {
			rows.Close()
			return fmt.Errorf("cannot read control mappings: %w", err)
		}
		if c := get(id); c != nil {
			c.Criteria = append(c.Criteria, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = o.s.read.QueryContext(ctx,
		`SELECT m.control_id, ob.key, m.rationale FROM control_objectives m JOIN objectives ob ON ob.id = m.objective_id
		 WHERE m.org_id = $1 AND (m.control_id = $2 OR $2 = 0) ORDER BY m.control_id, ob.key`, o.org, controlID)
	if err != nil {
		return fmt.Errorf("cannot read control mappings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m model.ObjectiveMapping
		if err := rows.Scan(&id, &m.ObjectiveKey, &m.Rationale); err != nil {
			return fmt.Errorf("cannot read control mappings: %w", err)
		}
		if c := get(id); c != nil {
			c.Objectives = append(c.Objectives, m)
		}
	}
	return rows.Err()
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
