package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// ResourceState is what the collector compares an observation with: the
// stored resource's identity, labels and current content hash.
type ResourceState struct {
	ID          int64
	Name, Scope string
	ContentHash string
	VersionID   int64
	Removed     bool
}

// ResourceStates returns every stored resource of one integration and type
// (removed ones too), by external id: one read per listing.
func (o *OrgStore) ResourceStates(ctx context.Context, integrationID int64, resourceType string) (map[string]ResourceState, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT id, external_id, name, scope, content_hash, current_version_id, removed_at IS NOT NULL
		 FROM resources WHERE org_id = $1 AND integration_id = $2 AND resource_type = $3`, o.org, integrationID, resourceType)
	if err != nil {
		return nil, fmt.Errorf("cannot read stored resources: %w", err)
	}
	defer rows.Close()
	out := map[string]ResourceState{}
	for rows.Next() {
		var s ResourceState
		var ext string
		if err := rows.Scan(&s.ID, &ext, &s.Name, &s.Scope, &s.ContentHash, &s.VersionID, &s.Removed); err != nil {
			return nil, fmt.Errorf("cannot read stored resources: %w", err)
		}
		out[ext] = s
	}
	return out, rows.Err()
}

// NewVersion is one content state to store.
type NewVersion struct {
	Name, Scope    string
	ContentHash    string
	Attributes     []byte // canonical JSON
	RunID          int64
	ObservedAt     time.Time
	ObservationIDs []int64
}

// InsertResource stores a resource seen for the first time with its first
// version, and returns the resource id.
func (o *OrgStore) InsertResource(ctx context.Context, integrationID int64, resourceType, externalID string, v NewVersion) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO resources (org_id, integration_id, resource_type, external_id, name, scope, first_seen_at, last_seen_at, content_hash, changed_run_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id`,
		o.org, integrationID, resourceType, externalID, v.Name, v.Scope, ts(v.ObservedAt), v.ContentHash, v.RunID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot store resource %s: %w", externalID, err)
	}
	_, err = o.AddVersion(ctx, id, v)
	return id, err
}

// AddVersion stores a new content state of a resource and makes it current;
// a resource that had been removed is present again. The version's run is
// recorded as the resource's last change (incremental evaluation reads it).
func (o *OrgStore) AddVersion(ctx context.Context, resourceID int64, v NewVersion) (int64, error) {
	var vid int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO resource_versions (org_id, resource_id, content_hash, attributes, run_id, observed_at)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		o.org, resourceID, v.ContentHash, string(v.Attributes), v.RunID, ts(v.ObservedAt)).Scan(&vid)
	if err != nil {
		return 0, fmt.Errorf("cannot store resource version: %w", err)
	}
	for _, ob := range dedupeIDs(v.ObservationIDs) {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO resource_version_observations (version_id, observation_id) VALUES ($1, $2)`, vid, ob); err != nil {
			return 0, fmt.Errorf("cannot link resource version to observation %d: %w", ob, err)
		}
	}
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE resources SET content_hash = $1, current_version_id = $2, name = $3, scope = $4, last_seen_at = $5,
		   removed_at = NULL, removed_run_id = NULL, changed_run_id = $6
		 WHERE org_id = $7 AND id = $8`,
		v.ContentHash, vid, v.Name, v.Scope, ts(v.ObservedAt), v.RunID, o.org, resourceID)
	return vid, exactlyOne(res, err, "resource")
}

func dedupeIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RelabelResource changes a resource's name or scope without a new version;
// runID is recorded as its last change (tests read the name, and the scope
// decides whether a failed part of a listing holds it back).
func (o *OrgStore) RelabelResource(ctx context.Context, id int64, name, scope string, runID int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE resources SET name = $1, scope = $2, last_seen_at = $3, changed_run_id = $4 WHERE org_id = $5 AND id = $6`,
		name, scope, ts(now), runID, o.org, id)
	return exactlyOne(res, err, "resource")
}

// TouchResource records that an unchanged resource was seen at now (only
// needed when its listing was partial: a complete listing stands for all).
func (o *OrgStore) TouchResource(ctx context.Context, id int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE resources SET last_seen_at = $1 WHERE org_id = $2 AND id = $3`, ts(now), o.org, id)
	return exactlyOne(res, err, "resource")
}

// MarkResourceRemoved records that a resource was absent from a successful
// listing. It stays stored with its versions.
func (o *OrgStore) MarkResourceRemoved(ctx context.Context, id, runID int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE resources SET removed_at = $1, removed_run_id = $2, changed_run_id = $2 WHERE org_id = $3 AND id = $4 AND removed_at IS NULL`,
		ts(now), runID, o.org, id)
	return exactlyOne(res, err, "resource")
}

// ResourceFilter selects resources. Status is "present" (default),
// "removed" or "all"; Limit 0 means 100 and -1 means no limit.
type ResourceFilter struct {
	Type          string
	IntegrationID int64
	Status        string
	Query         string // part of the name or external id, any case
	Limit, Offset int
}

// resourceSelect reads a resource with its current attributes; last seen is
// the later of the resource's own time and its listing's last complete run.
const resourceSelect = `SELECT r.id, r.org_id, r.integration_id, i.name, i.connector, r.resource_type, r.external_id, r.name, r.scope,
	r.first_seen_at,
	CASE WHEN r.removed_at IS NULL AND f.last_complete_at IS NOT NULL AND f.last_complete_at > r.last_seen_at THEN f.last_complete_at ELSE r.last_seen_at END,
	r.removed_at, r.content_hash, r.current_version_id, v.attributes
	FROM resources r
	JOIN integrations i ON i.id = r.integration_id
	JOIN resource_versions v ON v.id = r.current_version_id
	LEFT JOIN listing_freshness f ON f.integration_id = r.integration_id AND f.resource_type = r.resource_type`

const resourceWhere = ` WHERE r.org_id = $1 AND ($2 = '' OR r.resource_type = $2) AND ($3 = 0 OR r.integration_id = $3)
	AND ($4 = 'all' OR ($4 = 'present' AND r.removed_at IS NULL) OR ($4 = 'removed' AND r.removed_at IS NOT NULL))
	AND ($5 = '' OR lower(r.name) LIKE $5 OR lower(r.external_id) LIKE $5)`

func scanResource(row interface{ Scan(...any) error }) (model.Resource, error) {
	var r model.Resource
	var first, last, removed timeCol
	var attrs []byte
	err := row.Scan(&r.ID, &r.OrgID, &r.IntegrationID, &r.Integration, &r.Connector, &r.Type, &r.ExternalID, &r.Name, &r.Scope,
		&first, &last, &removed, &r.ContentHash, &r.VersionID, &attrs)
	if err != nil {
		return r, err
	}
	r.FirstSeenAt, r.LastSeenAt, r.RemovedAt = first.T, last.T, removed.Ptr()
	r.Attributes, err = decodeAttributes(attrs)
	return r, err
}

// decodeAttributes reads stored JSON attributes, keeping numbers exact.
func decodeAttributes(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("cannot decode stored attributes: %w", err)
	}
	return m, nil
}

func (f ResourceFilter) args(org int64) []any {
	status := f.Status
	if status == "" {
		status = "present"
	}
	q := ""
	if s := strings.TrimSpace(f.Query); s != "" {
		s = strings.NewReplacer(`%`, ``, `_`, ``).Replace(strings.ToLower(s))
		q = "%" + s + "%"
	}
	return []any{org, f.Type, f.IntegrationID, status, q}
}

// Resources lists resources matching f by type and name, with the total
// number that match.
func (o *OrgStore) Resources(ctx context.Context, f ResourceFilter) ([]model.Resource, int, error) {
	args := f.args(o.org)
	var total int
	if err := o.s.read.QueryRowContext(ctx, `SELECT count(*) FROM resources r`+resourceWhere, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cannot count resources: %w", err)
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 100
	case limit < 0:
		limit = total + 1
	}
	rows, err := o.s.read.QueryContext(ctx, resourceSelect+resourceWhere+` ORDER BY r.resource_type, r.name, r.id LIMIT $6 OFFSET $7`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot list resources: %w", err)
	}
	defer rows.Close()
	var out []model.Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("cannot list resources: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Resource reads one resource with its current attributes.
func (o *OrgStore) Resource(ctx context.Context, id int64) (model.Resource, error) {
	r, err := scanResource(o.s.read.QueryRowContext(ctx, resourceSelect+` WHERE r.org_id = $1 AND r.id = $2`, o.org, id))
	if err != nil {
		return r, notFound(err, "resource")
	}
	return r, nil
}

// ResourceVersions lists a resource's versions, newest first, each with the
// observations the connector named for it.
func (o *OrgStore) ResourceVersions(ctx context.Context, resourceID int64) ([]model.ResourceVersion, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT id, resource_id, content_hash, run_id, observed_at, attributes FROM resource_versions
		 WHERE org_id = $1 AND resource_id = $2 ORDER BY id DESC`, o.org, resourceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list resource versions: %w", err)
	}
	var out []model.ResourceVersion
	for rows.Next() {
		var v model.ResourceVersion
		var observed timeCol
		var attrs []byte
		if err := rows.Scan(&v.ID, &v.ResourceID, &v.ContentHash, &v.RunID, &observed, &attrs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list resource versions: %w", err)
		}
		v.ObservedAt = observed.T
		if v.Attributes, err = decodeAttributes(attrs); err != nil {
			rows.Close()
			return nil, err
		}
		v.ObservationIDs = []int64{}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	links, err := o.s.read.QueryContext(ctx,
		`SELECT l.version_id, l.observation_id FROM resource_version_observations l
		 JOIN resource_versions v ON v.id = l.version_id
		 WHERE v.org_id = $1 AND v.resource_id = $2 ORDER BY l.observation_id`, o.org, resourceID)
	if err != nil {
		return nil, fmt.Errorf("cannot list version observations: %w", err)
	}
	defer links.Close()
	idx := map[int64]int{}
	for i, v := range out {
		idx[v.ID] = i
	}
	for links.Next() {
		var vid, ob int64
		if err := links.Scan(&vid, &ob); err != nil {
			return nil, fmt.Errorf("cannot list version observations: %w", err)
		}
		if i, ok := idx[vid]; ok {
			out[i].ObservationIDs = append(out[i].ObservationIDs, ob)
		}
	}
	return out, links.Err()
}

// TypeCount is how many resources of a type are present and removed.
type TypeCount struct {
	Type    string `json:"type"`
	Present int    `json:"present"`
	Removed int    `json:"removed"`
}

// ResourceTypeCounts counts the organization's resources per type.
func (o *OrgStore) ResourceTypeCounts(ctx context.Context) ([]TypeCount, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT resource_type, sum(CASE WHEN removed_at IS NULL THEN 1 ELSE 0 END), sum(CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END)
		 FROM resources WHERE org_id = $1 GROUP BY resource_type ORDER BY resource_type`, o.org)
	if err != nil {
		return nil, fmt.Errorf("cannot count resources: %w", err)
	}
	defer rows.Close()
	var out []TypeCount
	for rows.Next() {
		var c TypeCount
		if err := rows.Scan(&c.Type, &c.Present, &c.Removed); err != nil {
			return nil, fmt.Errorf("cannot count resources: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
