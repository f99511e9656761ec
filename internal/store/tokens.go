package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

const tokenColumns = `id, org_id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (model.APIToken, error) {
	var t model.APIToken
	var created, expires, used, revoked timeCol
	err := row.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Prefix, &created, &expires, &used, &revoked)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = created.T, expires.Ptr(), used.Ptr(), revoked.Ptr()
	return t, err
}

// CreateToken stores a token by the hash of its secret.
func (o *OrgStore) CreateToken(ctx context.Context, userID int64, name, prefix, hash string, created time.Time, expires *time.Time) (model.APIToken, error) {
	t, err := scanToken(o.s.write.QueryRowContext(ctx,
		`INSERT INTO api_tokens (org_id, user_id, name, prefix, token_hash, created_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+tokenColumns,
		o.org, userID, name, prefix, hash, ts(created), tsPtr(expires)))
	if err != nil {
		return t, fmt.Errorf("cannot create token: %w", err)
	}
	return t, nil
}

// Tokens lists the organization's tokens; userID 0 lists everyone's.
func (o *OrgStore) Tokens(ctx context.Context, userID int64) ([]model.APIToken, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE org_id = $1 AND (user_id = $2 OR $2 = 0) ORDER BY id`, o.org, userID)
	if err != nil {
		return nil, fmt.Errorf("cannot list tokens: %w", err)
	}
	defer rows.Close()
	var out []model.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Token reads one of the organization's tokens.
func (o *OrgStore) Token(ctx context.Context, id int64) (model.APIToken, error) {
	t, err := scanToken(o.s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return t, notFound(err, "token")
	}
	return t, nil
}

// RevokeToken marks a token revoked; it keeps its row as a record.
func (o *OrgStore) RevokeToken(ctx context.Context, id int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL`, ts(now), o.org, id)
	return exactlyOne(res, err, "token")
}

// TokenByHash finds a token by the hash of its secret, across organizations:
// the token itself says which organization it acts in.
func (s *Store) TokenByHash(ctx context.Context, hash string) (model.APIToken, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash))
	if err != nil {
		return t, notFound(err, "token")
	}
	return t, nil
}

// TouchToken records when a token was last used.
func (s *Store) TouchToken(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ts(now), id); err != nil {
		return fmt.Errorf("cannot record token use: %w", err)
	}
	return nil
}
