package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// dateCol scans a calendar day: DATE on PostgreSQL, 'YYYY-MM-DD' text on
// SQLite; NULL is "".
type dateCol struct{ S string }

func (c *dateCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		c.S = ""
	case time.Time:
		c.S = v.UTC().Format(model.DateLayout)
	case string:
		c.S = v[:min(len(v), 10)]
	case []byte:
		c.S = string(v[:min(len(v), 10)])
	default:
		return fmt.Errorf("cannot scan %T into a date", src)
	}
	return nil
}

// dateArg passes a day, or NULL for "".
func dateArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const itemColumns = `id, org_id, kind, title, description, source_key, created_at, created_by_user_id, created_by_email, created_by_via, legal_hold, last_observed_at, deleted_at`

func scanItem(row interface{ Scan(...any) error }) (model.EvidenceItem, error) {
	var it model.EvidenceItem
	var created, observed, deleted timeCol
	err := row.Scan(&it.ID, &it.OrgID, &it.Kind, &it.Title, &it.Description, &it.SourceKey, &created,
		&it.CreatedBy.UserID, &it.CreatedBy.Email, &it.CreatedBy.Via, &it.LegalHold, &observed, &deleted)
	it.CreatedAt, it.LastObservedAt, it.DeletedAt = created.T, observed.Ptr(), deleted.Ptr()
	it.Controls = []string{}
	return it, err
}

const versionColumns = `id, item_id, version, sha256, size, media_type, file_name, url, body_text, effective_from, effective_to, expires_on,
	captured_at, created_at, created_by_user_id, created_by_email, created_by_via, source, ledger_seq, superseded_at, deleted_at, deletion_reason, blob_deleted_at`

func scanVersion(row interface{ Scan(...any) error }) (model.EvidenceVersion, error) {
	var v model.EvidenceVersion
	var from, to, expires dateCol
	var captured, created, superseded, deleted, blobDeleted timeCol
	var source map[string]any
	err := row.Scan(&v.ID, &v.ItemID, &v.Version, &v.SHA256, &v.Size, &v.MediaType, &v.FileName, &v.URL, &v.Text, &from, &to, &expires,
		&captured, &created, &v.CreatedBy.UserID, &v.CreatedBy.Email, &v.CreatedBy.Via, jsonCol[map[string]any]{&source}, &v.LedgerSeq, &superseded, &deleted, &v.DeletionReason, &blobDeleted)
	v.EffectiveFrom, v.EffectiveTo, v.ExpiresOn = from.S, to.S, expires.S
	v.CapturedAt, v.CreatedAt, v.Source = captured.T, created.T, nilIfEmpty(source)
	v.SupersededAt, v.DeletedAt, v.BlobDeletedAt = superseded.Ptr(), deleted.Ptr(), blobDeleted.Ptr()
	return v, err
}

// CreateEvidenceItem inserts an item (without versions) and returns its id.
func (o *OrgStore) CreateEvidenceItem(ctx context.Context, it model.EvidenceItem) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO evidence_items (org_id, kind, title, description, source_key, created_at, created_by_user_id, created_by_email, created_by_via, last_observed_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		o.org, it.Kind, it.Title, it.Description, it.SourceKey, ts(it.CreatedAt), it.CreatedBy.UserID, it.CreatedBy.Email, it.CreatedBy.Via, tsPtr(it.LastObservedAt)).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("evidence for source %s: %w", it.SourceKey, model.ErrConflict)
		}
		return 0, fmt.Errorf("cannot create evidence item: %w", err)
	}
	return id, nil
}

// SetEvidenceControls replaces the controls an item is linked to.
func (o *OrgStore) SetEvidenceControls(ctx context.Context, itemID int64, keys []string) error {
	if _, err := o.s.write.ExecContext(ctx, `DELETE FROM evidence_controls WHERE org_id = $1 AND item_id = $2`, o.org, itemID); err != nil {
		return fmt.Errorf("cannot link evidence to controls: %w", err)
	}
	for _, k := range keys {
		if _, err := o.s.write.ExecContext(ctx, `INSERT INTO evidence_controls (org_id, item_id, control_key) VALUES ($1, $2, $3)`, o.org, itemID, k); err != nil {
			return fmt.Errorf("cannot link evidence to control %s: %w", k, err)
		}
	}
	return nil
}

// AddEvidenceVersion inserts a version and returns its id.
func (o *OrgStore) AddEvidenceVersion(ctx context.Context, v model.EvidenceVersion) (int64, error) {
	src := jsonArg(v.Source)
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO evidence_versions (org_id, item_id, version, sha256, size, media_type, file_name, url, body_text, effective_from, effective_to, expires_on,
		   captured_at, created_at, created_by_user_id, created_by_email, created_by_via, source, ledger_seq)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
		o.org, v.ItemID, v.Version, v.SHA256, v.Size, v.MediaType, v.FileName, v.URL, v.Text, v.EffectiveFrom, dateArg(v.EffectiveTo), dateArg(v.ExpiresOn),
		ts(v.CapturedAt), ts(v.CreatedAt), v.CreatedBy.UserID, v.CreatedBy.Email, v.CreatedBy.Via, src, v.LedgerSeq).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("evidence %d version %d: %w", v.ItemID, v.Version, model.ErrConflict)
		}
		return 0, fmt.Errorf("cannot add evidence version: %w", err)
	}
	return id, nil
}

// SupersedeEvidenceVersions marks every earlier, not yet superseded version
// of an item as superseded at.
func (o *OrgStore) SupersedeEvidenceVersions(ctx context.Context, itemID int64, before int, at time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`UPDATE evidence_versions SET superseded_at = $1 WHERE org_id = $2 AND item_id = $3 AND version < $4 AND superseded_at IS NULL`,
		ts(at), o.org, itemID, before)
	if err != nil {
		return fmt.Errorf("cannot supersede evidence versions: %w", err)
	}
	return nil
}

// EvidenceItem reads one item with its controls, current version and
// version count.
func (o *OrgStore) EvidenceItem(ctx context.Context, id int64) (model.EvidenceItem, error) {
	it, err := scanItem(o.s.read.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM evidence_items WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return it, notFound(err, fmt.Sprintf("evidence item %d", id))
	}
	items := []model.EvidenceItem{it}
	if err := o.fillItems(ctx, items); err != nil {
		return it, err
	}
	return items[0], nil
}

// EvidenceItemBySource finds the item of an automated source.
func (o *OrgStore) EvidenceItemBySource(ctx context.Context, key string) (model.EvidenceItem, error) {
	it, err := scanItem(o.s.read.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM evidence_items WHERE org_id = $1 AND source_key = $2`, o.org, key))
	if err != nil {
		return it, notFound(err, "evidence for "+key)
	}
	items := []model.EvidenceItem{it}
	if err := o.fillItems(ctx, items); err != nil {
		return it, err
	}
	return items[0], nil
}

// EvidenceFilter narrows ListEvidence.
type EvidenceFilter struct {
	Control        string             // only items linked to this control
	Kind           model.EvidenceKind // only this kind
	IncludeDeleted bool               // also items the retention policy emptied
}

// ListEvidence lists the organization's items, newest first.
func (o *OrgStore) ListEvidence(ctx context.Context, f EvidenceFilter) ([]model.EvidenceItem, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+itemColumns+` FROM evidence_items i
		WHERE org_id = $1
		  AND ($2 = '' OR EXISTS (SELECT 1 FROM evidence_controls c WHERE c.item_id = i.id AND c.control_key = $2))
		  AND ($3 = '' OR kind = $3)
		  AND ($4 OR deleted_at IS NULL)
		ORDER BY id DESC`, o.org, f.Control, string(f.Kind), f.IncludeDeleted)
	if err != nil {
		return nil, fmt.Errorf("cannot list evidence: %w", err)
	}
	var items []model.EvidenceItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list evidence: %w", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, o.fillItems(ctx, items)
}

// fillItems loads controls, current versions and version counts.
func (o *OrgStore) fillItems(ctx context.Context, items []model.EvidenceItem) error {
	if len(items) == 0 {
		return nil
	}
	byID := map[int64]*model.EvidenceItem{}
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	rows, err := o.s.read.QueryContext(ctx, `SELECT item_id, control_key FROM evidence_controls WHERE org_id = $1 ORDER BY control_key`, o.org)
	if err != nil {
		return fmt.Errorf("cannot read evidence controls: %w", err)
	}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		if it := byID[id]; it != nil {
			it.Controls = append(it.Controls, key)
		}
	}
	rows.Close()
	rows, err = o.s.read.QueryContext(ctx, `SELECT `+versionColumns+` FROM evidence_versions v WHERE org_id = $1 ORDER BY item_id, version`, o.org)
	if err != nil {
		return fmt.Errorf("cannot read evidence versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return fmt.Errorf("cannot read evidence versions: %w", err)
		}
		if it := byID[v.ItemID]; it != nil {
			it.Versions++
			vv := v
			it.Current = &vv
		}
	}
	return rows.Err()
}

// EvidenceVersions lists an item's versions, oldest first.
func (o *OrgStore) EvidenceVersions(ctx context.Context, itemID int64) ([]model.EvidenceVersion, error) {
	return o.versions(ctx, `SELECT `+versionColumns+` FROM evidence_versions WHERE org_id = $1 AND item_id = $2 ORDER BY version`, o.org, itemID)
}

// AllEvidenceVersions lists every version in the organization (verification, retention).
func (o *OrgStore) AllEvidenceVersions(ctx context.Context) ([]model.EvidenceVersion, error) {
	return o.versions(ctx, `SELECT `+versionColumns+` FROM evidence_versions WHERE org_id = $1 ORDER BY item_id, version`, o.org)
}

func (o *OrgStore) versions(ctx context.Context, q string, args ...any) ([]model.EvidenceVersion, error) {
	rows, err := o.s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read evidence versions: %w", err)
	}
	defer rows.Close()
	var out []model.EvidenceVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read evidence versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// TouchEvidenceObserved records that automated evidence was confirmed at.
func (o *OrgStore) TouchEvidenceObserved(ctx context.Context, itemID int64, at time.Time) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE evidence_items SET last_observed_at = $1 WHERE org_id = $2 AND id = $3`, ts(at), o.org, itemID)
	return exactlyOne(res, err, "evidence item")
}

// SetEvidenceHold sets or releases an item's legal hold.
func (o *OrgStore) SetEvidenceHold(ctx context.Context, itemID int64, hold bool) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE evidence_items SET legal_hold = $1 WHERE org_id = $2 AND id = $3`, hold, o.org, itemID)
	return exactlyOne(res, err, "evidence item")
}

// MarkEvidenceVersionDeleted records that the retention policy removed a
// version (the row and its hash stay).
func (o *OrgStore) MarkEvidenceVersionDeleted(ctx context.Context, versionID int64, at time.Time, reason string) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE evidence_versions SET deleted_at = $1, deletion_reason = $2 WHERE org_id = $3 AND id = $4 AND deleted_at IS NULL`, ts(at), reason, o.org, versionID)
	return exactlyOne(res, err, "evidence version")
}

// MarkEvidenceItemDeleted records that every version of an item is gone.
func (o *OrgStore) MarkEvidenceItemDeleted(ctx context.Context, itemID int64, at time.Time) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE evidence_items SET deleted_at = $1 WHERE org_id = $2 AND id = $3`, ts(at), o.org, itemID)
	return exactlyOne(res, err, "evidence item")
}

// MarkEvidenceBlobDeleted records that a deleted version's file is gone from the blob store.
func (o *OrgStore) MarkEvidenceBlobDeleted(ctx context.Context, versionID int64, at time.Time) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE evidence_versions SET blob_deleted_at = $1 WHERE org_id = $2 AND id = $3`, ts(at), o.org, versionID)
	return exactlyOne(res, err, "evidence version")
}

// BlobStillReferenced reports whether any organization still has a version
// (not deleted by retention) whose content is this blob. Blobs are shared
// across organizations by content, so retention in one never removes
// another's file, and never a file that is also a collection run's raw
// response. Other nouns that keep blobs add their check here.
func (s *Store) BlobStillReferenced(ctx context.Context, sha256 string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM evidence_versions WHERE sha256 = $1 AND deleted_at IS NULL)
		+ (SELECT count(*) FROM observations WHERE sha256 = $1)`, sha256).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("cannot check blob references: %w", err)
	}
	return n > 0, nil
}

// RetentionPolicy reads the organization's policy (the zero policy keeps
// everything).
func (o *OrgStore) RetentionPolicy(ctx context.Context) (model.RetentionPolicy, error) {
	var p model.RetentionPolicy
	var at timeCol
	err := o.s.read.QueryRowContext(ctx, `SELECT retention_days, legal_hold, updated_at FROM evidence_retention WHERE org_id = $1`, o.org).Scan(&p.Days, &p.LegalHold, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("cannot read the retention policy: %w", err)
	}
	p.UpdatedAt = at.T
	return p, nil
}

// SetRetentionPolicy stores the organization's policy.
func (o *OrgStore) SetRetentionPolicy(ctx context.Context, p model.RetentionPolicy) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO evidence_retention (org_id, retention_days, legal_hold, updated_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (org_id) DO UPDATE SET retention_days = excluded.retention_days, legal_hold = excluded.legal_hold, updated_at = excluded.updated_at`,
		o.org, p.Days, p.LegalHold, ts(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("cannot store the retention policy: %w", err)
	}
	return nil
}
