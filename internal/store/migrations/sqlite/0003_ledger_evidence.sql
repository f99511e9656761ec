-- The ledger (append-only, hash-chained, one log per organization), its
-- signed checkpoints, and evidence: items, their controls, their versions,
-- and each organization's retention policy. See docs/ledger.md and
-- docs/evidence.md.

-- payload is TEXT on both engines: it holds the exact canonical JSON bytes
-- that were hashed (JSONB would re-encode them).
CREATE TABLE ledger_entries (
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    seq           INTEGER NOT NULL CHECK (seq > 0),
    created_at    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor_user_id INTEGER NOT NULL DEFAULT 0,
    actor_email   TEXT NOT NULL DEFAULT '',
    actor_via     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX ledger_entries_subject ON ledger_entries (org_id, subject);

CREATE TABLE ledger_checkpoints (
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    tree_size       INTEGER NOT NULL CHECK (tree_size > 0),
    root_hash       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    key_id          TEXT NOT NULL,
    signature       TEXT NOT NULL,
    PRIMARY KEY (org_id, tree_size)
);

-- The database refuses to change or remove ledger rows.
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: they cannot be changed'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: they cannot be deleted'); END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only: they cannot be changed'); END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only: they cannot be deleted'); END;

CREATE TABLE evidence_items (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    kind               TEXT NOT NULL CHECK (kind IN ('automated', 'file', 'link', 'attestation')),
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    source_key         TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    created_by_user_id INTEGER NOT NULL DEFAULT 0,
    created_by_email   TEXT NOT NULL DEFAULT '',
    created_by_via     TEXT NOT NULL,
    legal_hold         INTEGER NOT NULL DEFAULT 0,
    last_observed_at   TEXT,
    deleted_at         TEXT
);
CREATE INDEX evidence_items_org ON evidence_items (org_id, id);
CREATE UNIQUE INDEX evidence_items_source ON evidence_items (org_id, source_key) WHERE source_key <> '';

-- Control keys are text: the controls live in the catalog.
CREATE TABLE evidence_controls (
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    item_id     INTEGER NOT NULL REFERENCES evidence_items (id),
    control_key TEXT NOT NULL,
    PRIMARY KEY (item_id, control_key)
);
CREATE INDEX evidence_controls_key ON evidence_controls (org_id, control_key);

CREATE TABLE evidence_versions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    item_id            INTEGER NOT NULL REFERENCES evidence_items (id),
    version            INTEGER NOT NULL CHECK (version > 0),
    sha256             TEXT NOT NULL,
    size               INTEGER NOT NULL,
    media_type         TEXT NOT NULL,
    file_name          TEXT NOT NULL DEFAULT '',
    url                TEXT NOT NULL DEFAULT '',
    body_text          TEXT NOT NULL DEFAULT '',
    effective_from     TEXT NOT NULL,
    effective_to       TEXT,
    expires_on         TEXT,
    captured_at        TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by_user_id INTEGER NOT NULL DEFAULT 0,
    created_by_email   TEXT NOT NULL DEFAULT '',
    created_by_via     TEXT NOT NULL,
    source             TEXT NOT NULL DEFAULT '{}',
    ledger_seq         INTEGER NOT NULL,
    superseded_at      TEXT,
    deleted_at         TEXT,
    deletion_reason    TEXT NOT NULL DEFAULT '',
    blob_deleted_at    TEXT,
    UNIQUE (item_id, version)
);
CREATE INDEX evidence_versions_org ON evidence_versions (org_id, item_id);
CREATE INDEX evidence_versions_sha ON evidence_versions (sha256);

CREATE TABLE evidence_retention (
    org_id         INTEGER PRIMARY KEY REFERENCES organizations (id),
    retention_days INTEGER NOT NULL DEFAULT 0 CHECK (retention_days >= 0),
    legal_hold     INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
);
