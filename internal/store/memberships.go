package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const memberQuery = `SELECT ` + userColumns + `, m.org_id, m.role, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1`

func scanMember(row interface{ Scan(...any) error }) (model.Member, error) {
	var m model.Member
	var role string
	var joined timeCol
	u, err := scanUser(row, &m.OrgID, &role, &joined)
	m.User, m.Role, m.JoinedAt = u, model.Role(role), joined.T
	return m, err
}

// AddMember gives a user a role in the organization; an existing membership
// is ErrConflict.
func (o *OrgStore) AddMember(ctx context.Context, userID int64, role model.Role, now time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		o.org, userID, string(role), ts(now))
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("the user is already a member: %w", model.ErrConflict)
		}
		return fmt.Errorf("cannot add member: %w", err)
	}
	return nil
}

// Members lists the organization's members by e-mail.
func (o *OrgStore) Members(ctx context.Context) ([]model.Member, error) {
	rows, err := o.s.read.QueryContext(ctx, memberQuery+` ORDER BY u.email`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot list members: %w", err)
	}
	defer rows.Close()
	var out []model.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Member reads one member.
func (o *OrgStore) Member(ctx context.Context, userID int64) (model.Member, error) {
	m, err := scanMember(o.s.read.QueryRowContext(ctx, memberQuery+` AND m.user_id = $2`, o.org, userID))
	if err != nil {
		return m, notFound(err, "member")
	}
	return m, nil
}

// SetMemberRole changes a member's role.
func (o *OrgStore) SetMemberRole(ctx context.Context, userID int64, role model.Role) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3`, string(role), o.org, userID)
	return exactlyOne(res, err, "member")
}

// RemoveMember ends a membership and the sessions and tokens it carried.
func (o *OrgStore) RemoveMember(ctx context.Context, userID int64, now time.Time) error {
	if _, err := o.s.write.ExecContext(ctx, `DELETE FROM sessions WHERE org_id = $1 AND user_id = $2`, o.org, userID); err != nil {
		return fmt.Errorf("cannot end the member's sessions: %w", err)
	}
	if _, err := o.s.write.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND revoked_at IS NULL`, ts(now), o.org, userID); err != nil {
		return fmt.Errorf("cannot revoke the member's tokens: %w", err)
	}
	res, err := o.s.write.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, o.org, userID)
	return exactlyOne(res, err, "member")
}

// CountOwners counts the organization's owners (there must always be one).
func (o *OrgStore) CountOwners(ctx context.Context) (int, error) {
	var n int
	err := o.s.read.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner'`, o.org).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cannot count owners: %w", err)
	}
	return n, nil
}
