// Package storetest runs tests against every database engine: SQLite always,
// PostgreSQL when ASSURE_TEST_POSTGRES_URL names a server. Each test gets a
// fresh, migrated database (a temporary file, or a schema of its own).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/assurehq/assure/internal/store"
)

// PostgresEnv names the variable that enables PostgreSQL-backed tests.
const PostgresEnv = "ASSURE_TEST_POSTGRES_URL"

// Engine is one database engine a test can run on.
type Engine struct {
	Name string
	// Open returns a fresh database: URL is "" for SQLite (use Dir) or the
	// PostgreSQL URL bound to a new schema.
	Open func(t testing.TB) (st *store.Store, dir, url string)
}

// Each runs fn as a subtest per engine with a fresh, migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			st, _, _ := e.Open(t)
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			fn(t, st)
		})
	}
}

// Engines lists SQLite and PostgreSQL.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", Open: func(t testing.TB) (*store.Store, string, string) {
			dir := t.TempDir()
			st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "assure.db"))
			if err != nil {
				t.Fatalf("open sqlite: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st, dir, ""
		}},
		{Name: "postgres", Open: func(t testing.TB) (*store.Store, string, string) {
			u := PostgresURL(t)
			st, err := store.OpenPostgres(context.Background(), u)
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st, t.TempDir(), u
		}},
	}
}

// PostgresURL creates a schema for this test on the server named by
// ASSURE_TEST_POSTGRES_URL (skipping the test when it is unset) and returns a
// URL whose connections use it. The schema is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the PostgreSQL tests: .ci/run sets %s", PostgresEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://user@host:port/db?sslmode=disable to run them", PostgresEnv)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("cannot create schema on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// EachWithDB is Each with a second, raw connection to the same database, for
// tests that change rows behind the store's back (tampering, crash states).
func EachWithDB(t *testing.T, fn func(t *testing.T, st *store.Store, db *sql.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) {
			st, dir, u := e.Open(t)
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			fn(t, st, RawDB(t, dir, u))
		})
	}
}

// RawDB opens a plain database/sql handle on the database an Engine opened
// (dir for SQLite, url for PostgreSQL).
func RawDB(t testing.TB, dir, u string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if u == "" {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "assure.db")+"?_pragma=busy_timeout(10000)")
	} else {
		db, err = sql.Open("pgx", u)
	}
	if err != nil {
		t.Fatalf("raw database handle: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DropLedgerTriggers removes the append-only triggers on the ledger tables,
// as someone with direct database access could, so a test can then change
// or delete ledger rows and check that verification notices.
func DropLedgerTriggers(t testing.TB, db *sql.DB, dialect store.Dialect) {
	t.Helper()
	stmts := []string{
		`DROP TRIGGER ledger_entries_no_update`, `DROP TRIGGER ledger_entries_no_delete`,
		`DROP TRIGGER ledger_checkpoints_no_update`, `DROP TRIGGER ledger_checkpoints_no_delete`,
	}
	if dialect == store.Postgres {
		stmts = []string{
			`ALTER TABLE ledger_entries DISABLE TRIGGER USER`, `ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER`,
		}
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
