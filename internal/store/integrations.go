package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// IntegrationRecord is what the collection service writes for an
// integration. Secrets holds sealed values only (field → ciphertext): the
// store never sees a secret in clear.
type IntegrationRecord struct {
	Connector string
	Name      string
	Config    map[string]string
	Secrets   map[string]string
	Enabled   bool
	Interval  time.Duration
	RateLimit float64
}

const integrationColumns = `id, org_id, connector, name, config, secrets, enabled, interval_seconds, rate_limit, created_at, updated_at, removed_at`

func scanIntegration(row interface{ Scan(...any) error }) (model.Integration, map[string]string, error) {
	var in model.Integration
	var cfg, sec string
	var secs int64
	var created, updated, removed timeCol
	err := row.Scan(&in.ID, &in.OrgID, &in.Connector, &in.Name, &cfg, &sec, &in.Enabled, &secs, &in.RateLimit, &created, &updated, &removed)
	if err != nil {
		return in, nil, err
	}
	in.CreatedAt, in.UpdatedAt, in.RemovedAt = created.T, updated.T, removed.Ptr()
	in.Interval = model.Duration(time.Duration(secs) * time.Second)
	in.Config = map[string]string{}
	if err := json.Unmarshal([]byte(cfg), &in.Config); err != nil {
		return in, nil, fmt.Errorf("integration %d has unreadable config: %w", in.ID, err)
	}
	sealed := map[string]string{}
	if err := json.Unmarshal([]byte(sec), &sealed); err != nil {
		return in, nil, fmt.Errorf("integration %d has unreadable secrets: %w", in.ID, err)
	}
	in.SecretFields = []string{}
	for k := range sealed {
		in.SecretFields = append(in.SecretFields, k)
	}
	sort.Strings(in.SecretFields)
	return in, sealed, nil
}

func (r IntegrationRecord) encode() (cfg, sec string, err error) {
	if r.Config == nil {
		r.Config = map[string]string{}
	}
	if r.Secrets == nil {
		r.Secrets = map[string]string{}
	}
	return jsonText(r.Config), jsonText(r.Secrets), nil
}

// CreateIntegration inserts an integration; a name already used by another
// (not removed) integration of the organization is ErrConflict.
func (o *OrgStore) CreateIntegration(ctx context.Context, r IntegrationRecord, now time.Time) (model.Integration, error) {
	cfg, sec, err := r.encode()
	if err != nil {
		return model.Integration{}, fmt.Errorf("cannot encode integration: %w", err)
	}
	in, _, err := scanIntegration(o.s.write.QueryRowContext(ctx,
		`INSERT INTO integrations (org_id, connector, name, config, secrets, enabled, interval_seconds, rate_limit, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING `+integrationColumns,
		o.org, r.Connector, r.Name, cfg, sec, r.Enabled, int64(r.Interval/time.Second), r.RateLimit, ts(now)))
	if err != nil {
		if isUniqueViolation(err) {
			return in, fmt.Errorf("an integration named %q already exists: %w", r.Name, model.ErrConflict)
		}
		return in, fmt.Errorf("cannot create integration: %w", err)
	}
	return in, nil
}

// UpdateIntegration replaces an integration's name, configuration, sealed
// secrets, interval and rate limit.
func (o *OrgStore) UpdateIntegration(ctx context.Context, id int64, r IntegrationRecord, now time.Time) error {
	cfg, sec, err := r.encode()
	if err != nil {
		return fmt.Errorf("cannot encode integration: %w", err)
	}
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE integrations SET name = $1, config = $2, secrets = $3, enabled = $4, interval_seconds = $5, rate_limit = $6, updated_at = $7
		 WHERE org_id = $8 AND id = $9 AND removed_at IS NULL`,
		r.Name, cfg, sec, r.Enabled, int64(r.Interval/time.Second), r.RateLimit, ts(now), o.org, id)
	if isUniqueViolation(err) {
		return fmt.Errorf("an integration named %q already exists: %w", r.Name, model.ErrConflict)
	}
	return exactlyOne(res, err, "integration")
}

// Integrations lists the organization's integrations by name; removed ones
// only when includeRemoved.
func (o *OrgStore) Integrations(ctx context.Context, includeRemoved bool) ([]model.Integration, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations WHERE org_id = $1 AND (removed_at IS NULL OR $2) ORDER BY name, id`,
		o.org, includeRemoved)
	if err != nil {
		return nil, fmt.Errorf("cannot list integrations: %w", err)
	}
	defer rows.Close()
	var out []model.Integration
	for rows.Next() {
		in, _, err := scanIntegration(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list integrations: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Integration reads one integration (removed ones too) with its sealed secrets.
func (o *OrgStore) Integration(ctx context.Context, id int64) (model.Integration, map[string]string, error) {
	in, sealed, err := scanIntegration(o.s.read.QueryRowContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return in, nil, notFound(err, "integration")
	}
	return in, sealed, nil
}

// IntegrationByName finds the integration (not removed) with a name.
func (o *OrgStore) IntegrationByName(ctx context.Context, name string) (model.Integration, error) {
	in, _, err := scanIntegration(o.s.read.QueryRowContext(ctx,
		`SELECT `+integrationColumns+` FROM integrations WHERE org_id = $1 AND name = $2 AND removed_at IS NULL`, o.org, name))
	if err != nil {
		return in, notFound(err, fmt.Sprintf("integration %q", name))
	}
	return in, nil
}

// RemoveIntegration marks an integration removed (its runs, observations
// and resources stay) and marks its present resources removed.
func (o *OrgStore) RemoveIntegration(ctx context.Context, id int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE integrations SET removed_at = $1, enabled = $2, updated_at = $1 WHERE org_id = $3 AND id = $4 AND removed_at IS NULL`,
		ts(now), false, o.org, id)
	if err := exactlyOne(res, err, "integration"); err != nil {
		return err
	}
	if _, err := o.s.write.ExecContext(ctx,
		`UPDATE resources SET removed_at = $1 WHERE org_id = $2 AND integration_id = $3 AND removed_at IS NULL`,
		ts(now), o.org, id); err != nil {
		return fmt.Errorf("cannot mark the integration's resources removed: %w", err)
	}
	return nil
}
