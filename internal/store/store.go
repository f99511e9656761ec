// Package store is the only place that speaks SQL. One Store type, one file
// per noun, static SQL strings written once for both engines: placeholders
// are $1…$n (SQLite accepts them too), times go through ts() and scanTime,
// and where the dialects really differ the file says so next to the query.
//
// Every query on organization data goes through an OrgStore, which carries
// the organization id, so a query cannot forget its tenant.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/assurehq/assure/internal/model"
)

// Dialect names the SQL engine behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the relational store. Outside a transaction reads go to a pool of
// readers and writes to the writer (one connection on SQLite, so concurrent
// writers queue instead of failing with "database is locked"). Inside InTx
// both go to the transaction.
type Store struct {
	dialect Dialect
	read    querier
	write   querier
	writeDB *sql.DB // nil inside a transaction
	dbs     []*sql.DB
	inTx    bool
}

// OpenSQLite opens (creating if needed) the SQLite database at path.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s (choose a writable --data directory): %w", filepath.Dir(path), err)
	}
	// WAL lets readers run beside the writer; busy_timeout makes a second
	// process (a CLI command beside serve) wait instead of failing; foreign
	// keys are off by default in SQLite; _txlock=immediate takes the write lock
	// at BEGIN so a transaction never fails halfway on lock upgrade.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	u := "file:" + path + "?" + pragmas
	w, err := sql.Open("sqlite", u+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, describeSQLiteOpen(err))
	}
	// Prove the file is writable now rather than on the first user action.
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS _assure_probe (x INTEGER); DROP TABLE _assure_probe`); err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot write to SQLite database %s: %w", path, describeSQLiteOpen(err))
	}
	r, err := sql.Open("sqlite", u+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	return &Store{dialect: SQLite, read: r, write: w, writeDB: w, dbs: []*sql.DB{w, r}}, nil
}

func describeSQLiteOpen(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_READONLY || se.Code() == sqlite3.SQLITE_CANTOPEN) {
		return fmt.Errorf("the file or its directory is not writable (check permissions or choose another --data): %w", err)
	}
	return err
}

// OpenPostgres connects to PostgreSQL at url.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("cannot open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect to PostgreSQL: %w", oneLine(err))
	}
	return &Store{dialect: Postgres, read: db, write: db, writeDB: db, dbs: []*sql.DB{db}}, nil
}

// oneLine shortens pgx's multi-line connection errors (one line per address
// tried) to the innermost cause, so the operator reads one line.
func oneLine(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return errors.New(strings.TrimSpace(msg[:i]))
	}
	return err
}

// Dialect reports the engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes every pool.
func (s *Store) Close() error {
	var errs []error
	for _, db := range s.dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// InTx runs fn in one transaction on a Store bound to it: every method called
// on the inner Store joins the transaction. fn's error rolls back.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot begin transaction: %w", err)
	}
	inner := &Store{dialect: s.dialect, read: tx, write: tx, inTx: true}
	if err := fn(inner); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot commit transaction: %w", err)
	}
	return nil
}

// Org returns the store view scoped to one organization.
func (s *Store) Org(orgID int64) *OrgStore { return &OrgStore{s: s, org: orgID} }

// OrgStore is the Store seen from one organization: every method filters on
// (or writes) its org id.
type OrgStore struct {
	s   *Store
	org int64
}

// ID is the organization this view is scoped to.
func (o *OrgStore) ID() int64 { return o.org }

// InTx runs fn in a transaction scoped to the same organization.
func (o *OrgStore) InTx(ctx context.Context, fn func(tx *OrgStore) error) error {
	return o.s.InTx(ctx, func(tx *Store) error { return fn(tx.Org(o.org)) })
}

// Store returns the unscoped store (for installation-wide nouns: users).
func (o *OrgStore) Store() *Store { return o.s }

// timeLayout is how SQLite stores times: fixed-width UTC text, so that text
// order is time order. PostgreSQL columns are timestamptz and accept the same
// text on input.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ts converts a time for a query argument.
func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// tsPtr converts an optional time for a query argument.
func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// timeCol scans a time column from either engine (text on SQLite,
// timestamptz on PostgreSQL) into a UTC time; NULL leaves Valid false.
type timeCol struct {
	T     time.Time
	Valid bool
}

func (c *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		c.Valid = false
		return nil
	case time.Time:
		c.T, c.Valid = v.UTC(), true
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
}

func (c *timeCol) parse(s string) error {
	for _, layout := range []string{timeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			c.T, c.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("cannot parse stored time %q", s)
}

// Ptr returns the time or nil.
func (c timeCol) Ptr() *time.Time {
	if !c.Valid {
		return nil
	}
	t := c.T
	return &t
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound turns sql.ErrNoRows into model.ErrNotFound, naming the thing.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, model.ErrNotFound)
	}
	return fmt.Errorf("cannot read %s: %w", what, err)
}

// exactlyOne checks that an UPDATE or DELETE touched one row.
func exactlyOne(res sql.Result, err error, what string) error {
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%s: %w", what, model.ErrConflict)
		}
		return fmt.Errorf("cannot change %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("cannot change %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, model.ErrNotFound)
	}
	return nil
}
