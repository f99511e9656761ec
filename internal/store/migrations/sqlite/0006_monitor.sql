-- Continuous monitoring: the scheduler's plan per integration, notification
-- channels, and the deliveries sent through them (with the items each
-- delivery carried, unique per channel: a status change or a reminder is
-- delivered once per channel, whichever process plans it).

-- When the scheduler next collects each integration. A row is claimed by
-- moving next_run_at forward with a compare-and-set, so two servers on one
-- database never start the same due run.
CREATE TABLE integration_schedules (
    integration_id   INTEGER PRIMARY KEY REFERENCES integrations (id),
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    next_run_at      TEXT NOT NULL,
    interval_seconds INTEGER NOT NULL,            -- the interval next_run_at was planned with
    failures         INTEGER NOT NULL DEFAULT 0,  -- failed runs in a row (back-off)
    last_run_id      INTEGER,
    claimed_at       TEXT,
    claimed_by       TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL
);
CREATE INDEX integration_schedules_due ON integration_schedules (next_run_at);

CREATE TABLE notification_channels (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES organizations (id),
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    config         TEXT NOT NULL DEFAULT '{}', -- non-secret settings
    secrets        TEXT NOT NULL DEFAULT '{}', -- field → AES-256-GCM sealed value
    min_severity   TEXT NOT NULL DEFAULT 'low',
    controls       TEXT NOT NULL DEFAULT '[]', -- only changes of tests for these controls (empty: all)
    integrations   TEXT NOT NULL DEFAULT '[]', -- only changes from these integration ids (empty: all)
    only_failures  INTEGER NOT NULL DEFAULT 0,
    reminder_days  TEXT NOT NULL DEFAULT '[]', -- evidence expiry reminders, days before expiry
    enabled        INTEGER NOT NULL DEFAULT 1,
    change_cursor  INTEGER NOT NULL DEFAULT 0,   -- the last status change planned for this channel
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    removed_at     TEXT
);
CREATE UNIQUE INDEX notification_channels_name ON notification_channels (org_id, name) WHERE removed_at IS NULL;

-- One message to one channel, with its attempts.
CREATE TABLE notification_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    channel_id      INTEGER NOT NULL REFERENCES notification_channels (id),
    kind            TEXT NOT NULL CHECK (kind IN ('changes', 'reminders', 'test')),
    subject         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    items           INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_attempt_at TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    response        TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE INDEX notification_deliveries_org ON notification_deliveries (org_id, id);
CREATE INDEX notification_deliveries_channel ON notification_deliveries (channel_id, id);

-- What each delivery carried: "change:<status change id>" or
-- "expiry:<evidence version id>:<days>". The key makes every item go to a
-- channel once.
CREATE TABLE notification_delivery_items (
    channel_id  INTEGER NOT NULL REFERENCES notification_channels (id),
    item_key    TEXT NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES notification_deliveries (id),
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (channel_id, item_key)
);
CREATE INDEX notification_delivery_items_delivery ON notification_delivery_items (delivery_id);
