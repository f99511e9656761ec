-- Collection: integrations (configured connectors with sealed secrets),
-- collection runs with their per-type listings, observations (the recorded
-- calls behind every fact: provenance), and resources versioned by content
-- hash. Nothing here is deleted: removals are marked with removed_at.

CREATE TABLE integrations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    connector        TEXT NOT NULL,
    name             TEXT NOT NULL,
    config           TEXT NOT NULL DEFAULT '{}', -- non-secret fields
    secrets          TEXT NOT NULL DEFAULT '{}', -- field → AES-256-GCM sealed value
    enabled          INTEGER NOT NULL DEFAULT 1,
    interval_seconds INTEGER NOT NULL DEFAULT 3600,
    rate_limit       REAL NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    removed_at       TEXT
);
CREATE UNIQUE INDEX integrations_name ON integrations (org_id, name) WHERE removed_at IS NULL;

CREATE TABLE collection_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES organizations (id),
    integration_id INTEGER NOT NULL REFERENCES integrations (id),
    status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    triggered_by   TEXT NOT NULL,
    runner         TEXT NOT NULL DEFAULT '',
    started_at     TEXT NOT NULL,
    heartbeat_at   TEXT NOT NULL,
    finished_at    TEXT,
    error          TEXT NOT NULL DEFAULT '',
    resources      INTEGER NOT NULL DEFAULT 0,
    added          INTEGER NOT NULL DEFAULT 0,
    changed        INTEGER NOT NULL DEFAULT 0,
    removed        INTEGER NOT NULL DEFAULT 0,
    calls          INTEGER NOT NULL DEFAULT 0
);
-- Never two runs of one integration at once, whichever process starts them.
CREATE UNIQUE INDEX collection_runs_one_running ON collection_runs (integration_id) WHERE status = 'running';
CREATE INDEX collection_runs_integration ON collection_runs (integration_id, id);
CREATE INDEX collection_runs_org ON collection_runs (org_id, id);

-- One row per resource type per run.
CREATE TABLE run_listings (
    run_id        INTEGER NOT NULL REFERENCES collection_runs (id),
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    resource_type TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('succeeded', 'partial', 'failed')),
    resources     INTEGER NOT NULL DEFAULT 0,
    added         INTEGER NOT NULL DEFAULT 0,
    changed       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    removed       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    failed_scopes TEXT NOT NULL DEFAULT '{}',
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    PRIMARY KEY (run_id, resource_type)
);

-- Freshness per integration × resource type: an unchanged resource costs no
-- write; its "last seen" is the last complete listing of its type.
CREATE TABLE listing_freshness (
    integration_id   INTEGER NOT NULL REFERENCES integrations (id),
    resource_type    TEXT NOT NULL,
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    last_run_id      INTEGER NOT NULL REFERENCES collection_runs (id),
    last_status      TEXT NOT NULL,
    last_attempt_at  TEXT NOT NULL,
    last_complete_at TEXT,
    PRIMARY KEY (integration_id, resource_type)
);

CREATE TABLE observations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    run_id        INTEGER NOT NULL REFERENCES collection_runs (id),
    resource_type TEXT NOT NULL DEFAULT '',
    method        TEXT NOT NULL,
    host          TEXT NOT NULL,
    path          TEXT NOT NULL,
    status        INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    duration_us   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    redacted      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX observations_run ON observations (run_id, id);
-- Retention asks whether a blob is still some raw response before deleting it.
CREATE INDEX observations_sha256 ON observations (sha256);

CREATE TABLE resources (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    integration_id     INTEGER NOT NULL REFERENCES integrations (id),
    resource_type      TEXT NOT NULL,
    external_id        TEXT NOT NULL,
    name               TEXT NOT NULL,
    scope              TEXT NOT NULL DEFAULT '',
    first_seen_at      TEXT NOT NULL,
    last_seen_at       TEXT NOT NULL,
    removed_at         TEXT,
    removed_run_id     INTEGER REFERENCES collection_runs (id),
    content_hash       TEXT NOT NULL,
    current_version_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (integration_id, resource_type, external_id)
);
CREATE INDEX resources_org_type ON resources (org_id, resource_type, id);

CREATE TABLE resource_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    resource_id  INTEGER NOT NULL REFERENCES resources (id),
    content_hash TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    run_id       INTEGER NOT NULL REFERENCES collection_runs (id),
    observed_at  TEXT NOT NULL
);
CREATE INDEX resource_versions_resource ON resource_versions (resource_id, id);

-- The calls a version was built from, when the connector named them
-- (connector.Track); otherwise the version stands on every call of its
-- listing (observations with the same run and resource type).
CREATE TABLE resource_version_observations (
    version_id     INTEGER NOT NULL REFERENCES resource_versions (id),
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    PRIMARY KEY (version_id, observation_id)
);
