package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const userColumns = `u.id, u.email, u.name, u.created_at, u.disabled_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (model.User, error) {
	var u model.User
	var created, disabled timeCol
	dest := append([]any{&u.ID, &u.Email, &u.Name, &created, &disabled}, extra...)
	err := row.Scan(dest...)
	u.CreatedAt, u.DisabledAt = created.T, disabled.Ptr()
	return u, err
}

// CreateUser inserts a user; a taken e-mail is ErrConflict. The e-mail must
// already be normalized (model.NormalizeEmail).
func (s *Store) CreateUser(ctx context.Context, email, name, passwordHash string, now time.Time) (model.User, error) {
	row := s.write.QueryRowContext(ctx,
		`INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id, email, name, created_at, disabled_at`,
		email, name, passwordHash, ts(now))
	u, err := scanUser(row)
	if err != nil {
		if isUniqueViolation(err) {
			return u, fmt.Errorf("a user with that e-mail already exists: %w", model.ErrConflict)
		}
		return u, fmt.Errorf("cannot create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds a user and their password hash, for sign-in.
func (s *Store) UserByEmail(ctx context.Context, email string) (model.User, string, error) {
	var hash string
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.email = $1`, email), &hash)
	if err != nil {
		return u, "", notFound(err, "user")
	}
	return u, hash, nil
}

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id int64) (model.User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if err != nil {
		return u, notFound(err, "user")
	}
	return u, nil
}

// SetPasswordHash replaces a user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	return exactlyOne(res, err, "user")
}

// UserOrganizations lists the organizations a user belongs to, with the role.
func (s *Store) UserOrganizations(ctx context.Context, userID int64) ([]model.Organization, []model.Role, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT o.id, o.slug, o.name, o.time_zone, o.created_at, m.role
		   FROM memberships m JOIN organizations o ON o.id = m.org_id
		  WHERE m.user_id = $1 ORDER BY o.id`, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot list the user's organizations: %w", err)
	}
	defer rows.Close()
	var orgs []model.Organization
	var roles []model.Role
	for rows.Next() {
		var o model.Organization
		var created timeCol
		var role string
		if err := rows.Scan(&o.ID, &o.Slug, &o.Name, &o.TimeZone, &created, &role); err != nil {
			return nil, nil, fmt.Errorf("cannot list the user's organizations: %w", err)
		}
		o.CreatedAt = created.T
		orgs, roles = append(orgs, o), append(roles, model.Role(role))
	}
	return orgs, roles, rows.Err()
}
