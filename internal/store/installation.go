package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// InstallationValue reads an installation-wide setting; ok is false when unset.
func (s *Store) InstallationValue(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT value FROM installation WHERE key = $1`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cannot read installation setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetInstallationValueOnce stores a setting unless it is already set, and
// returns the value that holds afterwards (so two processes agree).
func (s *Store) SetInstallationValueOnce(ctx context.Context, key, value string) (string, error) {
	if _, err := s.write.ExecContext(ctx, `INSERT INTO installation (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("cannot store installation setting %s: %w", key, err)
	}
	var v string
	if err := s.write.QueryRowContext(ctx, `SELECT value FROM installation WHERE key = $1`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("cannot read installation setting %s: %w", key, err)
	}
	return v, nil
}
