package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Notification channels and deliveries. A delivery's items (status
// changes, reminders) are unique per channel, so an item reaches a channel
// once whichever process planned it; deliveries are claimed with a
// compare-and-set on their status, so one attempt runs at a time.

// ChannelRecord is what the notification service writes for a channel.
// Secrets holds sealed values only.
type ChannelRecord struct {
	Name         string
	Kind         model.ChannelKind
	Config       map[string]string
	Secrets      map[string]string
	MinSeverity  model.Severity
	Controls     []string
	Integrations []int64
	OnlyFailures bool
	ReminderDays []int
	Enabled      bool
	CreatedBy    string
}

const channelColumns = `id, org_id, name, kind, config, secrets, min_severity, controls, integrations, only_failures, reminder_days,
	enabled, created_by, created_at, updated_at, removed_at, change_cursor`

// ChannelState is a channel with its sealed secrets and its change cursor.
type ChannelState struct {
	model.NotificationChannel
	Sealed map[string]string
	// Cursor is the last status change planned for the channel.
	Cursor int64
}

func scanChannel(row interface{ Scan(...any) error }) (ChannelState, error) {
	var c ChannelState
	var created, updated, removed timeCol
	c.Config, c.Sealed = map[string]string{}, map[string]string{}
	err := row.Scan(&c.ID, &c.OrgID, &c.Name, &c.Kind, jsonCol[map[string]string]{&c.Config}, jsonCol[map[string]string]{&c.Sealed},
		&c.MinSeverity, jsonCol[[]string]{&c.Controls}, jsonCol[[]int64]{&c.Integrations}, &c.OnlyFailures,
		jsonCol[[]int]{&c.ReminderDays}, &c.Enabled, &c.CreatedBy, &created, &updated, &removed, &c.Cursor)
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt, c.RemovedAt = created.T, updated.T, removed.Ptr()
	if c.Controls == nil {
		c.Controls = []string{}
	}
	if c.Integrations == nil {
		c.Integrations = []int64{}
	}
	if c.ReminderDays == nil {
		c.ReminderDays = []int{}
	}
	c.SecretFields = []string{}
	for k := range c.Sealed {
		c.SecretFields = append(c.SecretFields, k)
	}
	sort.Strings(c.SecretFields)
	return c, nil
}

func (r ChannelRecord) args() (cfg, sec, controls, integrations, days string) {
	if r.Config == nil {
		r.Config = map[string]string{}
	}
	if r.Secrets == nil {
		r.Secrets = map[string]string{}
	}
	if r.Controls == nil {
		r.Controls = []string{}
	}
	if r.Integrations == nil {
		r.Integrations = []int64{}
	}
	if r.ReminderDays == nil {
		r.ReminderDays = []int{}
	}
	return jsonText(r.Config), jsonText(r.Secrets), jsonText(r.Controls), jsonText(r.Integrations), jsonText(r.ReminderDays)
}

// latestChange is the organization's newest status change id (0 for none):
// a channel starts after it, so it does not receive changes from before it
// existed (or, re-enabled, from while it was off).
const latestChange = `COALESCE((SELECT max(id) FROM status_changes WHERE org_id = $1), 0)`

// CreateChannel inserts a channel; a name already used by another channel
// of the organization is ErrConflict.
func (o *OrgStore) CreateChannel(ctx context.Context, r ChannelRecord, now time.Time) (ChannelState, error) {
	cfg, sec, controls, integrations, days := r.args()
	c, err := scanChannel(o.s.write.QueryRowContext(ctx,
		`INSERT INTO notification_channels (org_id, name, kind, config, secrets, min_severity, controls, integrations, only_failures,
		   reminder_days, enabled, created_by, created_at, updated_at, change_cursor)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, `+latestChange+`) RETURNING `+channelColumns,
		o.org, r.Name, r.Kind, cfg, sec, r.MinSeverity, controls, integrations, r.OnlyFailures, days, r.Enabled, r.CreatedBy, ts(now)))
	if err != nil {
		if isUniqueViolation(err) {
			return c, fmt.Errorf("a notification channel named %q already exists: %w", r.Name, model.ErrConflict)
		}
		return c, fmt.Errorf("cannot create notification channel: %w", err)
	}
	return c, nil
}

// UpdateChannel replaces a channel's settings. Enabling a disabled channel
// moves its cursor to the newest change: it does not catch up on what
// happened while it was off.
func (o *OrgStore) UpdateChannel(ctx context.Context, id int64, r ChannelRecord, now time.Time) error {
	cfg, sec, controls, integrations, days := r.args()
	var was bool
	if err := o.s.write.QueryRowContext(ctx, `SELECT enabled FROM notification_channels WHERE org_id = $1 AND id = $2`, o.org, id).Scan(&was); err != nil {
		return notFound(err, "notification channel")
	}
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_channels SET name = $2, config = $3, secrets = $4, min_severity = $5, controls = $6, integrations = $7,
		   only_failures = $8, reminder_days = $9, enabled = $10, updated_at = $11,
		   change_cursor = CASE WHEN $12 THEN `+latestChange+` ELSE change_cursor END
		 WHERE org_id = $1 AND id = $13 AND removed_at IS NULL`,
		o.org, r.Name, cfg, sec, r.MinSeverity, controls, integrations, r.OnlyFailures, days, r.Enabled, ts(now), r.Enabled && !was, id)
	if isUniqueViolation(err) {
		return fmt.Errorf("a notification channel named %q already exists: %w", r.Name, model.ErrConflict)
	}
	return exactlyOne(res, err, "notification channel")
}

// RemoveChannel marks a channel removed; its deliveries stay in the log,
// and those not sent yet are marked failed.
func (o *OrgStore) RemoveChannel(ctx context.Context, id int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_channels SET removed_at = $1, enabled = $2, updated_at = $1 WHERE org_id = $3 AND id = $4 AND removed_at IS NULL`,
		ts(now), false, o.org, id)
	if err := exactlyOne(res, err, "notification channel"); err != nil {
		return err
	}
	if _, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_deliveries SET status = $1, last_error = $2, lease_until = NULL
		 WHERE org_id = $3 AND channel_id = $4 AND status IN ($5, $6)`,
		model.DeliveryFailed, "the channel was removed before this was sent", o.org, id, model.DeliveryPending, model.DeliverySending); err != nil {
		return fmt.Errorf("cannot close the removed channel's deliveries: %w", err)
	}
	return nil
}

// Channels lists the organization's channels by name; removed ones only
// when includeRemoved.
func (o *OrgStore) Channels(ctx context.Context, includeRemoved bool) ([]ChannelState, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+channelColumns+` FROM notification_channels WHERE org_id = $1 AND (removed_at IS NULL OR $2) ORDER BY name, id`,
		o.org, includeRemoved)
	if err != nil {
		return nil, fmt.Errorf("cannot list notification channels: %w", err)
	}
	defer rows.Close()
	var out []ChannelState
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list notification channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel reads one channel (removed ones too).
func (o *OrgStore) Channel(ctx context.Context, id int64) (ChannelState, error) {
	c, err := scanChannel(o.s.read.QueryRowContext(ctx,
		`SELECT `+channelColumns+` FROM notification_channels WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return c, notFound(err, "notification channel")
	}
	return c, nil
}

// ChannelByName finds the channel (not removed) with a name.
func (o *OrgStore) ChannelByName(ctx context.Context, name string) (ChannelState, error) {
	c, err := scanChannel(o.s.read.QueryRowContext(ctx,
		`SELECT `+channelColumns+` FROM notification_channels WHERE org_id = $1 AND name = $2 AND removed_at IS NULL`, o.org, name))
	if err != nil {
		return c, notFound(err, fmt.Sprintf("notification channel %q", name))
	}
	return c, nil
}

// AdvanceChannelCursor moves a channel's cursor from old to next, and
// reports whether it did (false: another process planned meanwhile).
func (o *OrgStore) AdvanceChannelCursor(ctx context.Context, id, old, next int64) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_channels SET change_cursor = $1 WHERE org_id = $2 AND id = $3 AND change_cursor = $4`, next, o.org, id, old)
	if err != nil {
		return false, fmt.Errorf("cannot advance the channel's cursor: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ActiveChannelOrgs lists the organizations with at least one enabled
// channel.
func (s *Store) ActiveChannelOrgs(ctx context.Context) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT DISTINCT org_id FROM notification_channels WHERE removed_at IS NULL AND enabled = $1 ORDER BY org_id`, true)
	if err != nil {
		return nil, fmt.Errorf("cannot list organizations with notification channels: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DeliveryRecord is a planned delivery.
type DeliveryRecord struct {
	ChannelID int64
	Kind      model.DeliveryKind
	Subject   string
	Payload   []byte
	// Keys identify the items it carries ("change:12"); each goes to a
	// channel once: a key delivered before makes the insert ErrConflict.
	Keys          []string
	NextAttemptAt time.Time
}

// InsertDelivery plans a delivery with its items.
func (o *OrgStore) InsertDelivery(ctx context.Context, d DeliveryRecord, now time.Time) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO notification_deliveries (org_id, channel_id, kind, subject, payload, items, status, attempts, next_attempt_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) RETURNING id`,
		o.org, d.ChannelID, d.Kind, d.Subject, string(d.Payload), len(d.Keys), model.DeliveryPending, ts(d.NextAttemptAt), ts(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot plan a notification: %w", err)
	}
	for _, k := range d.Keys {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO notification_delivery_items (channel_id, item_key, delivery_id, org_id) VALUES ($1, $2, $3, $4)`,
			d.ChannelID, k, id, o.org); err != nil {
			if isUniqueViolation(err) {
				return 0, fmt.Errorf("%s was already delivered to channel %d: %w", k, d.ChannelID, model.ErrConflict)
			}
			return 0, fmt.Errorf("cannot plan a notification: %w", err)
		}
	}
	return id, nil
}

// DeliveredKeys returns which of keys a channel has been given already.
func (o *OrgStore) DeliveredKeys(ctx context.Context, channelID int64, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range keys {
		var n int
		err := o.s.read.QueryRowContext(ctx,
			`SELECT count(*) FROM notification_delivery_items WHERE channel_id = $1 AND item_key = $2 AND org_id = $3`, channelID, k, o.org).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("cannot read delivered notifications: %w", err)
		}
		if n > 0 {
			out[k] = true
		}
	}
	return out, nil
}

// DueDelivery names a delivery ready for an attempt.
type DueDelivery struct{ ID, OrgID int64 }

// DueDeliveries lists (across organizations) the deliveries whose attempt
// is due: pending ones whose time has come, and attempts abandoned by a
// process that stopped (their lease ran out), of enabled channels.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]DueDelivery, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT d.id, d.org_id FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id
		 WHERE ((d.status = $1 AND d.next_attempt_at <= $2) OR (d.status = $3 AND d.lease_until < $2))
		   AND c.enabled = $4 AND c.removed_at IS NULL
		 ORDER BY d.id LIMIT $5`,
		model.DeliveryPending, ts(now), model.DeliverySending, true, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list due notifications: %w", err)
	}
	defer rows.Close()
	var out []DueDelivery
	for rows.Next() {
		var d DueDelivery
		if err := rows.Scan(&d.ID, &d.OrgID); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ClaimDelivery takes a due delivery for one attempt until lease; it
// reports whether this call did.
func (o *OrgStore) ClaimDelivery(ctx context.Context, id int64, now, lease time.Time) (bool, error) {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_deliveries SET status = $1, lease_until = $2, attempts = attempts + 1, last_attempt_at = $3
		 WHERE org_id = $4 AND id = $5 AND ((status = $6 AND next_attempt_at <= $3) OR (status = $1 AND lease_until < $3))`,
		model.DeliverySending, ts(lease), ts(now), o.org, id, model.DeliveryPending)
	if err != nil {
		return false, fmt.Errorf("cannot claim notification %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeliveryOutcome is how an attempt ended.
type DeliveryOutcome struct {
	Status        model.DeliveryStatus // sent, pending (to retry) or failed
	NextAttemptAt time.Time            // for pending
	Error         string
	Response      string
	SentAt        *time.Time
}

// FinishDelivery records an attempt's outcome (only for an attempt under
// way: a lease that ran out and was taken over is not overwritten).
func (o *OrgStore) FinishDelivery(ctx context.Context, id int64, out DeliveryOutcome) error {
	next := out.NextAttemptAt
	if next.IsZero() {
		next = time.Unix(0, 0)
	}
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_deliveries SET status = $1, next_attempt_at = CASE WHEN $1 = $2 THEN $3 ELSE next_attempt_at END,
		   last_error = $4, response = $5, sent_at = $6, lease_until = NULL
		 WHERE org_id = $7 AND id = $8 AND status = $9`,
		out.Status, model.DeliveryPending, ts(next), out.Error, out.Response, tsPtr(out.SentAt), o.org, id, model.DeliverySending)
	return exactlyOne(res, err, "notification attempt under way")
}

const deliveryColumns = `d.id, d.org_id, d.channel_id, c.name, c.kind, d.kind, d.subject, d.items, d.status, d.attempts, d.next_attempt_at,
	d.last_attempt_at, d.last_error, d.response, d.created_at, d.sent_at`

func scanDelivery(row interface{ Scan(...any) error }, payload *string) (model.NotificationDelivery, error) {
	var d model.NotificationDelivery
	var next, last, created, sent timeCol
	dest := []any{&d.ID, &d.OrgID, &d.ChannelID, &d.ChannelName, &d.ChannelKind, &d.Kind, &d.Subject, &d.Items, &d.Status, &d.Attempts,
		&next, &last, &d.LastError, &d.Response, &created, &sent}
	if payload != nil {
		dest = append(dest, payload)
	}
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.NextAttemptAt, d.LastAttemptAt, d.CreatedAt, d.SentAt = next.T, last.Ptr(), created.T, sent.Ptr()
	return d, nil
}

// Delivery reads one delivery with its payload.
func (o *OrgStore) Delivery(ctx context.Context, id int64) (model.NotificationDelivery, error) {
	var payload string
	d, err := scanDelivery(o.s.read.QueryRowContext(ctx,
		`SELECT `+deliveryColumns+`, d.payload FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id
		 WHERE d.org_id = $1 AND d.id = $2`, o.org, id), &payload)
	if err != nil {
		return d, notFound(err, "notification delivery")
	}
	d.Payload = json.RawMessage(payload)
	return d, nil
}

// DeliveryFilter selects deliveries: ChannelID 0 and Status "" mean all;
// Limit 0 means 100.
type DeliveryFilter struct {
	ChannelID int64
	Status    model.DeliveryStatus
	Limit     int
}

// Deliveries lists deliveries, newest first, without payloads.
func (o *OrgStore) Deliveries(ctx context.Context, f DeliveryFilter) ([]model.NotificationDelivery, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT `+deliveryColumns+` FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id
		 WHERE d.org_id = $1 AND ($2 = 0 OR d.channel_id = $2) AND ($3 = '' OR d.status = $3)
		 ORDER BY d.id DESC LIMIT $4`, o.org, f.ChannelID, string(f.Status), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("cannot list notification deliveries: %w", err)
	}
	defer rows.Close()
	out := []model.NotificationDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("cannot list notification deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryItemKeys lists the items a delivery carried.
func (o *OrgStore) DeliveryItemKeys(ctx context.Context, deliveryID int64) ([]string, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT item_key FROM notification_delivery_items WHERE org_id = $1 AND delivery_id = $2 ORDER BY item_key`, o.org, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("cannot list a delivery's items: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RetryDelivery makes a failed delivery pending again, due now.
func (o *OrgStore) RetryDelivery(ctx context.Context, id int64, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE notification_deliveries SET status = $1, next_attempt_at = $2 WHERE org_id = $3 AND id = $4 AND status = $5`,
		model.DeliveryPending, ts(now), o.org, id, model.DeliveryFailed)
	return exactlyOne(res, err, "failed notification delivery")
}
