package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// CreateSession stores a session under the hash of its cookie secret.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, sess model.Session) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, user_id, org_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		tokenHash, sess.UserID, sess.OrgID, sess.CSRFToken, ts(sess.CreatedAt), ts(sess.ExpiresAt))
	if err != nil {
		return fmt.Errorf("cannot create session: %w", err)
	}
	return nil
}

// Session reads an unexpired session by its hash.
func (s *Store) Session(ctx context.Context, tokenHash string, now time.Time) (model.Session, error) {
	var sess model.Session
	var created, expires timeCol
	err := s.read.QueryRowContext(ctx,
		`SELECT user_id, org_id, csrf_token, flash, created_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
		tokenHash, ts(now)).Scan(&sess.UserID, &sess.OrgID, &sess.CSRFToken, &sess.Flash, &created, &expires)
	if err != nil {
		return sess, notFound(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = created.T, expires.T
	return sess, nil
}

// SetSessionFlash stores (or clears, with "") the message shown on the next page.
func (s *Store) SetSessionFlash(ctx context.Context, tokenHash, flash string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE sessions SET flash = $1 WHERE token_hash = $2`, flash, tokenHash)
	if err != nil {
		return fmt.Errorf("cannot store the message: %w", err)
	}
	return nil
}

// SetSessionOrg switches the organization a session acts in.
func (s *Store) SetSessionOrg(ctx context.Context, tokenHash string, orgID int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET org_id = $1 WHERE token_hash = $2`, orgID, tokenHash)
	return exactlyOne(res, err, "session")
}

// ExtendSession pushes a session's expiry forward (sliding expiry).
func (s *Store) ExtendSession(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE sessions SET expires_at = $1 WHERE token_hash = $2`, ts(expires), tokenHash)
	if err != nil {
		return fmt.Errorf("cannot extend session: %w", err)
	}
	return nil
}

// DeleteSession signs a browser out.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("cannot delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions signs a user out everywhere (after a password change).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("cannot delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that can no longer be used.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("cannot delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
