-- Per-subject data keys (issue 14, envelope encryption): one random key per person, household,
-- case (and organization, for staff texts), stored only wrapped by the master field key. A
-- destroyed key has no `wrapped` any more: every field sealed under it is unreadable.
CREATE TABLE data_keys (
    subject_id TEXT PRIMARY KEY,
    subject_type TEXT NOT NULL CHECK (subject_type IN ('person', 'household', 'case', 'organization')),
    master_version INTEGER NOT NULL,
    wrapped BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    destroyed_at TIMESTAMPTZ,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);

-- Data steps that SQL cannot do (they need the keys): run by kvar at start and by `kvar migrate`
-- after the schema migrations, each in one transaction that also deletes its row here.
CREATE TABLE pending_data_steps (
    name TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO pending_data_steps (name, created_at) VALUES ('seal_under_data_keys', CURRENT_TIMESTAMP);
