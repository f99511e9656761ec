-- Incremental evaluation (docs/tests.md, "When tests run"): after a run,
-- only what could have changed is judged again.

-- The run that last added, changed, relabeled, removed or brought back the
-- resource: an evaluation judges again the resources changed by runs after
-- the one it last saw. 0 for resources stored before this column.
ALTER TABLE resources ADD COLUMN changed_run_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX resources_changed ON resources (integration_id, changed_run_id);

-- What the last evaluation covering every resource of an integration
-- judged: with which tests (a signature of their definitions), under which
-- integration name, up to which finished run, and how each resource type's
-- collection held its resources back then (none, error or mixed). A later
-- evaluation that finds the same tests and name judges again only the
-- resources changed since run_id, the types whose hold differs, and the
-- tests that read the clock or look resources up.
CREATE TABLE evaluation_marks (
    org_id         INTEGER NOT NULL REFERENCES organizations (id),
    integration_id INTEGER NOT NULL REFERENCES integrations (id),
    tests          TEXT NOT NULL,
    integration    TEXT NOT NULL,
    run_id         INTEGER NOT NULL,
    holds          TEXT NOT NULL DEFAULT '{}',
    evaluated_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, integration_id)
);
