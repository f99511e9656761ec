-- The catalog, per organization: the scope of each framework (categories,
-- system description elements, subservice organizations with their CSOCs,
-- CUECs, criteria not relevant), SOC 1 objectives, controls and their
-- mappings. JSON columns are TEXT here, JSONB on PostgreSQL.

CREATE TABLE scopes (
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    framework  TEXT NOT NULL CHECK (framework IN ('soc1', 'soc2')),
    categories TEXT NOT NULL DEFAULT '[]',
    system     TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, framework)
);

CREATE TABLE scope_subservice_orgs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    INTEGER NOT NULL REFERENCES organizations (id),
    framework TEXT NOT NULL,
    name      TEXT NOT NULL,
    services  TEXT NOT NULL DEFAULT '',
    method    TEXT NOT NULL CHECK (method IN ('carve_out', 'inclusive')),
    UNIQUE (org_id, framework, name)
);

CREATE TABLE scope_csocs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    subservice_id INTEGER NOT NULL REFERENCES scope_subservice_orgs (id) ON DELETE CASCADE,
    control       TEXT NOT NULL,
    criteria      TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX scope_csocs_subservice ON scope_csocs (subservice_id);

CREATE TABLE scope_cuecs (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    INTEGER NOT NULL REFERENCES organizations (id),
    framework TEXT NOT NULL,
    control   TEXT NOT NULL,
    criteria  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX scope_cuecs_org ON scope_cuecs (org_id, framework);

CREATE TABLE scope_not_relevant (
    org_id    INTEGER NOT NULL REFERENCES organizations (id),
    framework TEXT NOT NULL,
    criterion TEXT NOT NULL,
    reason    TEXT NOT NULL CHECK (reason <> ''),
    PRIMARY KEY (org_id, framework, criterion)
);

CREATE TABLE objectives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('itgc', 'business_process')),
    family       TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    objective    TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    template_key TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT '',
    retired_at   TEXT,
    UNIQUE (org_id, key)
);

CREATE TABLE controls (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    key             TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL DEFAULT '',
    frequency       TEXT NOT NULL CHECK (frequency IN ('continuous', 'daily', 'weekly', 'monthly', 'quarterly', 'semi_annual', 'annual', 'event_driven')),
    nature          TEXT NOT NULL CHECK (nature IN ('automated', 'manual', 'it_dependent_manual')),
    status          TEXT NOT NULL CHECK (status IN ('planned', 'implemented', 'retired')),
    evidence        TEXT NOT NULL DEFAULT '[]',
    library_key     TEXT NOT NULL DEFAULT '',
    library_version TEXT NOT NULL DEFAULT '',
    edited          TEXT NOT NULL DEFAULT '[]',
    -- The library's text of each field when last adopted or upgraded: an
    -- upgrade offers a change to an edited field only if the library changed it.
    library_text    TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, key)
);

CREATE TABLE control_criteria (
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    control_id INTEGER NOT NULL REFERENCES controls (id) ON DELETE CASCADE,
    criterion  TEXT NOT NULL,
    rationale  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (control_id, criterion)
);
CREATE INDEX control_criteria_org ON control_criteria (org_id, criterion);

CREATE TABLE control_objectives (
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    control_id   INTEGER NOT NULL REFERENCES controls (id) ON DELETE CASCADE,
    objective_id INTEGER NOT NULL REFERENCES objectives (id),
    rationale    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (control_id, objective_id)
);
CREATE INDEX control_objectives_org ON control_objectives (org_id, objective_id);
