-- Tests and their results: status intervals per test × resource (a new row
-- only when a status changes), the outbox of status changes that
-- notifications read, exceptions, and the tests an organization wrote.

-- A test's status for one resource over [from_at, to_at); to_at is NULL
-- while it holds. At most one open interval per test × resource.
CREATE TABLE test_status (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    test_id     TEXT NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resources (id),
    status      TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error', 'skipped')),
    message     TEXT NOT NULL DEFAULT '',
    from_at     TEXT NOT NULL,
    to_at       TEXT
);
CREATE UNIQUE INDEX test_status_open ON test_status (test_id, resource_id) WHERE to_at IS NULL;
CREATE INDEX test_status_resource ON test_status (org_id, resource_id, from_at);
CREATE INDEX test_status_test ON test_status (org_id, test_id, from_at);
CREATE INDEX test_status_current ON test_status (org_id, to_at, status);

-- One row per transition, in the transaction that changed the interval.
CREATE TABLE status_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES organizations (id),
    test_id        TEXT NOT NULL,
    test_title     TEXT NOT NULL,
    severity       TEXT NOT NULL,
    resource_id    INTEGER NOT NULL REFERENCES resources (id),
    resource_type  TEXT NOT NULL,
    resource_name  TEXT NOT NULL,
    integration_id INTEGER NOT NULL REFERENCES integrations (id),
    integration    TEXT NOT NULL,
    from_status    TEXT NOT NULL DEFAULT '',
    to_status      TEXT NOT NULL DEFAULT '',
    message        TEXT NOT NULL DEFAULT '',
    at             TEXT NOT NULL,
    controls       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX status_changes_org ON status_changes (org_id, id);

-- An accepted failure: of one resource (resource_id) or of every resource
-- (resource_id NULL), until expires_at. Never deleted: revoking sets revoked_at.
CREATE TABLE test_exceptions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    test_id            TEXT NOT NULL,
    resource_id        INTEGER REFERENCES resources (id),
    reason             TEXT NOT NULL,
    approver           TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    revoked_at         TEXT,
    revoked_by         TEXT NOT NULL DEFAULT '',
    expiry_recorded_at TEXT
);
CREATE INDEX test_exceptions_org ON test_exceptions (org_id, test_id);

-- Tests an organization wrote through the API or the pages, as the YAML
-- source it submitted (validated like a file in the tests directory).
CREATE TABLE custom_tests (
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    test_id    TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (org_id, test_id)
);
