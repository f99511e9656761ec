package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Migrations are forward-only SQL files, one directory per dialect, with the
// same version numbers in both. A landed file is never edited: a change is a
// new file. TestMigrationsMatchAcrossDialects keeps the two directories in step.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

func loadMigrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_name.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: m[2], SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s must be numbered 1, 2, 3… without gaps; found %04d at position %d", d, m.Version, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary was built for.
func (s *Store) LatestVersion() int {
	ms, err := loadMigrations(s.dialect)
	if err != nil {
		panic(err) // the embedded files are part of the binary; TestMigrations covers them
	}
	return len(ms)
}

// SchemaVersion is the version the database is at: 0 for an empty database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	var err error
	switch s.dialect {
	case SQLite:
		var n int
		err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
		exists = n > 0
	case Postgres:
		err = s.read.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read the schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("cannot read the schema version: %w", err)
	}
	return v, nil
}

// SchemaError says the database and the binary disagree on the schema.
type SchemaError struct {
	Database, Binary int
}

func (e *SchemaError) Error() string {
	if e.Database > e.Binary {
		return fmt.Sprintf("the database schema is at version %d, newer than this assure binary knows (%d): run a newer assure release against this database", e.Database, e.Binary)
	}
	return fmt.Sprintf("the database schema is at version %d but this assure binary needs version %d: run `assure migrate` (back up the database first)", e.Database, e.Binary)
}

// CheckSchema returns a *SchemaError unless the database is exactly at the
// binary's version.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if latest := s.LatestVersion(); v != latest {
		return &SchemaError{Database: v, Binary: latest}
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied. It refuses a database newer than the binary.
// Concurrent callers are serialized (SQLite: the write lock taken at BEGIN;
// PostgreSQL: an advisory lock), and each re-reads the version under the lock.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	ms, err := loadMigrations(s.dialect)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		err := s.InTx(ctx, func(tx *Store) error {
			if tx.dialect == Postgres {
				if _, err := tx.write.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4711001)`); err != nil {
					return fmt.Errorf("cannot lock for migration: %w", err)
				}
			}
			if _, err := tx.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
				return fmt.Errorf("cannot create schema_migrations: %w", err)
			}
			var cur int
			if err := tx.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
				return fmt.Errorf("cannot read the schema version: %w", err)
			}
			if cur > len(ms) {
				return &SchemaError{Database: cur, Binary: len(ms)}
			}
			if cur >= m.Version {
				return nil
			}
			if _, err := tx.write.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s failed: %w", m.Version, m.Name, err)
			}
			if _, err := tx.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, ts(time.Now())); err != nil {
				return fmt.Errorf("cannot record migration %04d: %w", m.Version, err)
			}
			applied = append(applied, m.Version)
			return nil
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}
