package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const orgColumns = `id, slug, name, time_zone, created_at`

func scanOrg(row interface{ Scan(...any) error }) (model.Organization, error) {
	var o model.Organization
	var created timeCol
	err := row.Scan(&o.ID, &o.Slug, &o.Name, &o.TimeZone, &created)
	o.CreatedAt = created.T
	return o, err
}

// CreateOrganization inserts an organization; a taken slug is ErrConflict.
func (s *Store) CreateOrganization(ctx context.Context, slug, name, timeZone string, now time.Time) (model.Organization, error) {
	row := s.write.QueryRowContext(ctx,
		`INSERT INTO organizations (slug, name, time_zone, created_at) VALUES ($1, $2, $3, $4) RETURNING `+orgColumns,
		slug, name, timeZone, ts(now))
	o, err := scanOrg(row)
	if err != nil {
		if isUniqueViolation(err) {
			return o, fmt.Errorf("organization %q already exists: %w", slug, model.ErrConflict)
		}
		return o, fmt.Errorf("cannot create organization: %w", err)
	}
	return o, nil
}

// Organizations lists every organization of the installation, oldest first.
func (s *Store) Organizations(ctx context.Context) ([]model.Organization, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cannot list organizations: %w", err)
	}
	defer rows.Close()
	var out []model.Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list organizations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OrganizationBySlug finds an organization by its slug.
func (s *Store) OrganizationBySlug(ctx context.Context, slug string) (model.Organization, error) {
	o, err := scanOrg(s.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE slug = $1`, slug))
	if err != nil {
		return o, notFound(err, fmt.Sprintf("organization %q", slug))
	}
	return o, nil
}

// Organization reads the organization this view is scoped to.
func (o *OrgStore) Organization(ctx context.Context) (model.Organization, error) {
	org, err := scanOrg(o.s.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, o.org))
	if err != nil {
		return org, notFound(err, "organization")
	}
	return org, nil
}

// UpdateOrganization changes the display name and time zone.
func (o *OrgStore) UpdateOrganization(ctx context.Context, name, timeZone string) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE organizations SET name = $1, time_zone = $2 WHERE id = $3`, name, timeZone, o.org)
	return exactlyOne(res, err, "organization")
}
