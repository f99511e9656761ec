package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Scope reads the organization's scope for a framework. A framework never
// scoped yet returns ok false and a zero scope.
func (o *OrgStore) Scope(ctx context.Context, fw model.Framework) (sc model.Scope, ok bool, err error) {
	sc = model.Scope{Framework: fw, Categories: []model.Category{}, Subservice: []model.SubserviceOrg{}, CUECs: []model.CUEC{}, NotRelevant: []model.NotRelevant{}}
	var updated timeCol
	err = o.s.read.QueryRowContext(ctx,
		`SELECT categories, system, updated_at, updated_by FROM scopes WHERE org_id = $1 AND framework = $2`, o.org, string(fw)).
		Scan(jsonCol[[]model.Category]{&sc.Categories}, jsonCol[model.System]{&sc.System}, &updated, &sc.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, false, nil
	}
	if err != nil {
		return sc, false, fmt.Errorf("cannot read the %s scope: %w", fw, err)
	}
	sc.UpdatedAt = updated.Ptr()

	rows, err := o.s.read.QueryContext(ctx,
		`SELECT id, name, services, method FROM scope_subservice_orgs WHERE org_id = $1 AND framework = $2 ORDER BY id`, o.org, string(fw))
	if err != nil {
		return sc, false, fmt.Errorf("cannot read subservice organizations: %w", err)
	}
	index := map[int64]int{}
	for rows.Next() {
		so := model.SubserviceOrg{CSOCs: []model.CSOC{}}
		if err := rows.Scan(&so.ID, &so.Name, &so.Services, &so.Method); err != nil {
			rows.Close()
			return sc, false, fmt.Errorf("cannot read subservice organizations: %w", err)
		}
		index[so.ID] = len(sc.Subservice)
		sc.Subservice = append(sc.Subservice, so)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sc, false, err
	}
	rows, err = o.s.read.QueryContext(ctx,
		`SELECT c.id, c.subservice_id, c.control, c.criteria FROM scope_csocs c
		 JOIN scope_subservice_orgs s ON s.id = c.subservice_id
		 WHERE c.org_id = $1 AND s.framework = $2 ORDER BY c.id`, o.org, string(fw))
	if err != nil {
		return sc, false, fmt.Errorf("cannot read CSOCs: %w", err)
	}
	for rows.Next() {
		var c model.CSOC
		var sid int64
		if err := rows.Scan(&c.ID, &sid, &c.Control, jsonCol[[]string]{&c.Criteria}); err != nil {
			rows.Close()
			return sc, false, fmt.Errorf("cannot read CSOCs: %w", err)
		}
		i := index[sid]
		sc.Subservice[i].CSOCs = append(sc.Subservice[i].CSOCs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sc, false, err
	}
	rows, err = o.s.read.QueryContext(ctx,
		`SELECT id, control, criteria FROM scope_cuecs WHERE org_id = $1 AND framework = $2 ORDER BY id`, o.org, string(fw))
	if err != nil {
		return sc, false, fmt.Errorf("cannot read CUECs: %w", err)
	}
	for rows.Next() {
		var c model.CUEC
		if err := rows.Scan(&c.ID, &c.Control, jsonCol[[]string]{&c.Criteria}); err != nil {
			rows.Close()
			return sc, false, fmt.Errorf("cannot read CUECs: %w", err)
		}
		sc.CUECs = append(sc.CUECs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sc, false, err
	}
	rows, err = o.s.read.QueryContext(ctx,
		`SELECT criterion, reason FROM scope_not_relevant WHERE org_id = $1 AND framework = $2 ORDER BY criterion`, o.org, string(fw))
	if err != nil {
		return sc, false, fmt.Errorf("cannot read criteria not relevant: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n model.NotRelevant
		if err := rows.Scan(&n.Criterion, &n.Reason); err != nil {
			return sc, false, fmt.Errorf("cannot read criteria not relevant: %w", err)
		}
		sc.NotRelevant = append(sc.NotRelevant, n)
	}
	return sc, true, rows.Err()
}

// SaveScope replaces the organization's scope for sc.Framework with sc:
// categories and system description, and the lists (subservice organizations
// and their CSOCs, CUECs, criteria not relevant) as a whole. Call it inside
// InTx so a reader never sees half a scope.
func (o *OrgStore) SaveScope(ctx context.Context, sc model.Scope, by string, now time.Time) error {
	fw := string(sc.Framework)
	cats := sc.Categories
	if cats == nil {
		cats = []model.Category{}
	}
	if _, err := o.s.write.ExecContext(ctx,
		`INSERT INTO scopes (org_id, framework, categories, system, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (org_id, framework) DO UPDATE SET categories = excluded.categories, system = excluded.system,
		   updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		o.org, fw, jsonText(cats), jsonText(sc.System), ts(now), by); err != nil {
		return fmt.Errorf("cannot save the %s scope: %w", fw, err)
	}
	for _, q := range []string{
		`DELETE FROM scope_csocs WHERE org_id = $1 AND subservice_id IN (SELECT id FROM scope_subservice_orgs WHERE org_id = $1 AND framework = $2)`,
		`DELETE FROM scope_subservice_orgs WHERE org_id = $1 AND framework = $2`,
		`DELETE FROM scope_cuecs WHERE org_id = $1 AND framework = $2`,
		`DELETE FROM scope_not_relevant WHERE org_id = $1 AND framework = $2`,
	} {
		if _, err := o.s.write.ExecContext(ctx, q, o.org, fw); err != nil {
			return fmt.Errorf("cannot save the %s scope: %w", fw, err)
		}
	}
	for _, so := range sc.Subservice {
		var id int64
		err := o.s.write.QueryRowContext(ctx,
			`INSERT INTO scope_subservice_orgs (org_id, framework, name, services, method) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			o.org, fw, so.Name, so.Services, string(so.Method)).Scan(&id)
		if err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("subservice organization %q is listed twice: %w", so.Name, model.ErrConflict)
			}
			return fmt.Errorf("cannot save subservice organization %q: %w", so.Name, err)
		}
		for _, c := range so.CSOCs {
			if _, err := o.s.write.ExecContext(ctx,
				`INSERT INTO scope_csocs (org_id, subservice_id, control, criteria) VALUES ($1, $2, $3, $4)`,
				o.org, id, c.Control, jsonText(nonNil(c.Criteria))); err != nil {
				return fmt.Errorf("cannot save a CSOC of %q: %w", so.Name, err)
			}
		}
	}
	for _, c := range sc.CUECs {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO scope_cuecs (org_id, framework, control, criteria) VALUES ($1, $2, $3, $4)`,
			o.org, fw, c.Control, jsonText(nonNil(c.Criteria))); err != nil {
			return fmt.Errorf("cannot save a CUEC: %w", err)
		}
	}
	for _, n := range sc.NotRelevant {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO scope_not_relevant (org_id, framework, criterion, reason) VALUES ($1, $2, $3, $4)`,
			o.org, fw, n.Criterion, n.Reason); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("%s is marked not relevant twice: %w", n.Criterion, model.ErrConflict)
			}
			return fmt.Errorf("cannot save %s as not relevant: %w", n.Criterion, err)
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// catalogLockBase offsets the per-organization advisory lock key so it does
// not meet other locks (the migrator uses 4711001).
const catalogLockBase = 0x43_41_54 << 32 // "CAT"

// LockCatalog serializes read-modify-write changes to the organization's
// scope, controls and objectives for the rest of the transaction. The
// dialects differ here: on PostgreSQL it takes a transaction-scoped advisory
// lock per organization; on SQLite the transaction already holds the single
// write lock from BEGIN IMMEDIATE, so there is nothing more to take. Call it
// inside InTx, before reading what will be changed.
func (o *OrgStore) LockCatalog(ctx context.Context) error {
	if o.s.dialect != Postgres {
		return nil
	}
	if !o.s.inTx {
		return fmt.Errorf("cannot lock the catalog outside a transaction")
	}
	if _, err := o.s.write.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(catalogLockBase)+o.org); err != nil {
		return fmt.Errorf("cannot lock the organization's catalog: %w", err)
	}
	return nil
}
