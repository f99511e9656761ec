-- Audits (docs/audits.md): each engagement with the scope, control set and
-- sample size table frozen at creation, its invited members, the
-- populations pulled from collected data, reproducible samples with the
-- auditor's result per item, the request list with its attachments
-- (evidence items), and comments.

CREATE TABLE audits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    framework       TEXT NOT NULL CHECK (framework IN ('soc1', 'soc2')),
    audit_type      INTEGER NOT NULL CHECK (audit_type IN (1, 2)),
    as_of           TEXT,                         -- YYYY-MM-DD (Type 1)
    period_from     TEXT,                         -- YYYY-MM-DD, included (Type 2)
    period_to       TEXT,                         -- YYYY-MM-DD, included (Type 2)
    status          TEXT NOT NULL CHECK (status IN ('planning', 'fieldwork', 'review', 'issued')),
    firm            TEXT NOT NULL DEFAULT '',
    scope           TEXT NOT NULL,                -- the scope as frozen (JSON)
    controls        TEXT NOT NULL,                -- the control set as frozen (JSON)
    sampling        TEXT NOT NULL,                -- the sample size table (JSON)
    catalog_version TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL,
    CHECK ((audit_type = 1 AND as_of IS NOT NULL) OR (audit_type = 2 AND period_from IS NOT NULL AND period_to IS NOT NULL AND period_from <= period_to))
);
CREATE INDEX audits_org ON audits (org_id, id);

-- Who is invited to an audit (auditors see only their audits).
CREATE TABLE audit_members (
    audit_id INTEGER NOT NULL REFERENCES audits (id),
    org_id   INTEGER NOT NULL REFERENCES organizations (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (audit_id, user_id)
);
CREATE INDEX audit_members_user ON audit_members (org_id, user_id);

CREATE TABLE audit_populations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    audit_id    INTEGER NOT NULL REFERENCES audits (id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    source      TEXT NOT NULL,               -- integrations and resource types (JSON)
    query       TEXT NOT NULL,               -- description and exact parameters (JSON)
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    produced_at TEXT NOT NULL,
    produced_by TEXT NOT NULL,
    item_count  INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    evidence_id INTEGER REFERENCES evidence_items (id),
    controls    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_populations_audit ON audit_populations (org_id, audit_id, id);

CREATE TABLE audit_samples (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organizations (id),
    audit_id          INTEGER NOT NULL REFERENCES audits (id),
    control_key       TEXT NOT NULL,
    frequency         TEXT NOT NULL,
    basis             TEXT NOT NULL CHECK (basis IN ('occurrences', 'days', 'population')),
    population_id     INTEGER REFERENCES audit_populations (id),
    population_sha256 TEXT NOT NULL,
    population_size   INTEGER NOT NULL,
    seed              INTEGER NOT NULL,
    size              INTEGER NOT NULL,
    rule              TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    created_by        TEXT NOT NULL
);
CREATE INDEX audit_samples_audit ON audit_samples (org_id, audit_id, control_key, id);

CREATE TABLE audit_sample_items (
    sample_id        INTEGER NOT NULL REFERENCES audit_samples (id),
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    position         INTEGER NOT NULL,
    population_index INTEGER NOT NULL,
    stratum          INTEGER NOT NULL,
    item_key         TEXT NOT NULL,
    label            TEXT NOT NULL,
    at               TEXT NOT NULL,
    window_to        TEXT,
    resource_id      INTEGER NOT NULL DEFAULT 0,
    result           TEXT NOT NULL DEFAULT 'pending' CHECK (result IN ('pending', 'pass', 'exception')),
    note             TEXT NOT NULL DEFAULT '',
    tested_by        TEXT NOT NULL DEFAULT '',
    tested_at        TEXT,
    PRIMARY KEY (sample_id, position)
);

CREATE TABLE audit_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    audit_id    INTEGER NOT NULL REFERENCES audits (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    control_key TEXT NOT NULL DEFAULT '',
    sample_id   INTEGER REFERENCES audit_samples (id),
    owner       TEXT NOT NULL DEFAULT '',
    due_on      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'accepted')),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX audit_requests_audit ON audit_requests (org_id, audit_id, id);

CREATE TABLE audit_request_attachments (
    request_id  INTEGER NOT NULL REFERENCES audit_requests (id),
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    evidence_id INTEGER NOT NULL REFERENCES evidence_items (id),
    attached_at TEXT NOT NULL,
    attached_by TEXT NOT NULL,
    PRIMARY KEY (request_id, evidence_id)
);

CREATE TABLE audit_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    audit_id    INTEGER NOT NULL REFERENCES audits (id),
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    author      TEXT NOT NULL,
    author_role TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX audit_comments_audit ON audit_comments (org_id, audit_id, id);
