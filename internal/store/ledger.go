package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/assurehq/assure/internal/model"
)

// ledgerLockBase marks Assure's ledger locks among PostgreSQL advisory
// locks; the organization id is added to it.
const ledgerLockBase = int64(0x41535355) << 24

// LockLedger serializes appends to the organization's ledger until the
// transaction ends, so two writers cannot both take the same sequence
// number. SQLite needs nothing: a transaction there holds the write lock.
func (o *OrgStore) LockLedger(ctx context.Context) error {
	if !o.s.inTx {
		return errors.New("cannot lock the ledger outside a transaction")
	}
	if o.s.dialect == Postgres {
		if _, err := o.s.write.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, ledgerLockBase+o.org); err != nil {
			return fmt.Errorf("cannot lock the ledger: %w", err)
		}
	}
	return nil
}

// LedgerHead returns the last entry's sequence number and hash (0 and ""
// for an empty ledger).
func (o *OrgStore) LedgerHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := o.s.write.QueryRowContext(ctx,
		`SELECT seq, hash FROM ledger_entries WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, o.org).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("cannot read the ledger head: %w", err)
	}
	return seq, hash, nil
}

// AppendLedgerEntry inserts an entry; the caller has locked the ledger and
// computed the hashes.
func (o *OrgStore) AppendLedgerEntry(ctx context.Context, e model.LedgerEntry) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO ledger_entries (org_id, seq, created_at, kind, actor_user_id, actor_email, actor_via, subject, payload, prev_hash, hash)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		o.org, e.Seq, ts(e.Time), e.Kind, e.Actor.UserID, e.Actor.Email, e.Actor.Via, e.Subject, string(e.Payload), e.PrevHash, e.Hash)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("ledger entry %d: %w", e.Seq, model.ErrConflict)
		}
		return fmt.Errorf("cannot append ledger entry: %w", err)
	}
	return nil
}

const ledgerColumns = `org_id, seq, created_at, kind, actor_user_id, actor_email, actor_via, subject, payload, prev_hash, hash`

func scanLedgerEntry(row interface{ Scan(...any) error }) (model.LedgerEntry, error) {
	var e model.LedgerEntry
	var at timeCol
	var payload string
	err := row.Scan(&e.OrgID, &e.Seq, &at, &e.Kind, &e.Actor.UserID, &e.Actor.Email, &e.Actor.Via, &e.Subject, &payload, &e.PrevHash, &e.Hash)
	e.Time, e.Payload = at.T, []byte(payload)
	return e, err
}

func (o *OrgStore) ledgerQuery(ctx context.Context, what, query string, args ...any) ([]model.LedgerEntry, error) {
	rows, err := o.s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	defer rows.Close()
	var out []model.LedgerEntry
	for rows.Next() {
		e, err := scanLedgerEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", what, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LedgerEntries returns up to limit entries with seq > after, in order.
func (o *OrgStore) LedgerEntries(ctx context.Context, after int64, limit int) ([]model.LedgerEntry, error) {
	return o.ledgerQuery(ctx, "ledger entries",
		`SELECT `+ledgerColumns+` FROM ledger_entries WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, o.org, after, limit)
}

// LedgerEntriesFor returns the entries about one subject ("evidence:12"), in order.
func (o *OrgStore) LedgerEntriesFor(ctx context.Context, subject string) ([]model.LedgerEntry, error) {
	return o.ledgerQuery(ctx, "ledger entries",
		`SELECT `+ledgerColumns+` FROM ledger_entries WHERE org_id = $1 AND subject = $2 ORDER BY seq`, o.org, subject)
}

// LedgerEntry reads one entry.
func (o *OrgStore) LedgerEntry(ctx context.Context, seq int64) (model.LedgerEntry, error) {
	e, err := scanLedgerEntry(o.s.read.QueryRowContext(ctx,
		`SELECT `+ledgerColumns+` FROM ledger_entries WHERE org_id = $1 AND seq = $2`, o.org, seq))
	if err != nil {
		return e, notFound(err, fmt.Sprintf("ledger entry %d", seq))
	}
	return e, nil
}

// LedgerSize is the highest sequence number (0 for an empty ledger).
func (o *OrgStore) LedgerSize(ctx context.Context) (int64, error) {
	var n int64
	if err := o.s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM ledger_entries WHERE org_id = $1`, o.org).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot read the ledger size: %w", err)
	}
	return n, nil
}

// LedgerHashes returns the stored hashes of entries 1…size in order (for
// proofs; verification recomputes them from the entries).
func (o *OrgStore) LedgerHashes(ctx context.Context, size int64) ([]string, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT seq, hash FROM ledger_entries WHERE org_id = $1 AND seq <= $2 ORDER BY seq`, o.org, size)
	if err != nil {
		return nil, fmt.Errorf("cannot read ledger hashes: %w", err)
	}
	defer rows.Close()
	out := make([]string, 0, size)
	for rows.Next() {
		var seq int64
		var h string
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, fmt.Errorf("cannot read ledger hashes: %w", err)
		}
		if seq != int64(len(out))+1 {
			return nil, fmt.Errorf("ledger entry %d is missing", len(out)+1)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(out)) != size {
		return nil, fmt.Errorf("the ledger has %d entries, fewer than %d", len(out), size)
	}
	return out, nil
}

const checkpointColumns = `org_id, tree_size, root_hash, created_at, installation_id, key_id, signature`

func scanCheckpoint(row interface{ Scan(...any) error }) (model.LedgerCheckpoint, error) {
	var c model.LedgerCheckpoint
	var at timeCol
	err := row.Scan(&c.OrgID, &c.TreeSize, &c.RootHash, &at, &c.InstallationID, &c.KeyID, &c.Signature)
	c.Time = at.T
	return c, err
}

// AddCheckpoint stores a signed checkpoint; one already stored for the same
// size is a conflict.
func (o *OrgStore) AddCheckpoint(ctx context.Context, c model.LedgerCheckpoint) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO ledger_checkpoints (`+checkpointColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.org, c.TreeSize, c.RootHash, ts(c.Time), c.InstallationID, c.KeyID, c.Signature)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("a checkpoint at size %d: %w", c.TreeSize, model.ErrConflict)
		}
		return fmt.Errorf("cannot store checkpoint: %w", err)
	}
	return nil
}

// Checkpoints lists the organization's checkpoints by size.
func (o *OrgStore) Checkpoints(ctx context.Context) ([]model.LedgerCheckpoint, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM ledger_checkpoints WHERE org_id = $1 ORDER BY tree_size`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot list checkpoints: %w", err)
	}
	defer rows.Close()
	var out []model.LedgerCheckpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list checkpoints: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LatestCheckpoint returns the largest checkpoint; ok is false when there is none.
func (o *OrgStore) LatestCheckpoint(ctx context.Context) (model.LedgerCheckpoint, bool, error) {
	c, err := scanCheckpoint(o.s.read.QueryRowContext(ctx,
		`SELECT `+checkpointColumns+` FROM ledger_checkpoints WHERE org_id = $1 ORDER BY tree_size DESC LIMIT 1`, o.org))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("cannot read the latest checkpoint: %w", err)
	}
	return c, true, nil
}
