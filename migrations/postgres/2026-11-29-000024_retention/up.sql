-- Retention (gallring, issue 14 items 2-4).
--
-- The day of the month a person was born, for the research sample (persons born on the 5th,
-- 15th or 25th by default): set when the person is created, backfilled at start by the
-- application (retention::backfill, which holds the key to the personnummer). Together with
-- birth_year it is not a birth date. erased_at marks a subject whose personal data is gone.
ALTER TABLE persons ADD COLUMN birth_day INTEGER CHECK (birth_day BETWEEN 1 AND 31);
ALTER TABLE persons ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE households ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN erased_at TIMESTAMPTZ;

-- The municipality's archive plan: the days of the month whose persons are the research sample.
ALTER TABLE organizations ADD COLUMN research_sample_days TEXT NOT NULL DEFAULT '5,15,25';

-- Legal holds: a case (and so its whole cluster) kept past its retention period until released.
-- The reason is free text, encrypted.
CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    reason_enc BYTEA,
    review_on DATE NOT NULL,
    placed_by TEXT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMPTZ NOT NULL,
    released_by TEXT REFERENCES users(id),
    released_at TIMESTAMPTZ,
    CHECK ((released_by IS NULL) = (released_at IS NULL))
);
CREATE INDEX legal_holds_case ON legal_holds (case_id);

-- A retention plan: the clusters to erase as of a date, by their membership key (no ids, no
-- names), with counts; erased only when approved per municipality by a second person.
CREATE TABLE retention_plans (
    id TEXT PRIMARY KEY,
    as_of DATE NOT NULL,
    years INTEGER NOT NULL,
    planned_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    executed_at TIMESTAMPTZ,
    summary TEXT NOT NULL
);

CREATE TABLE retention_plan_clusters (
    plan_id TEXT NOT NULL REFERENCES retention_plans(id),
    cluster_key TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    rule TEXT NOT NULL CHECK (rule IN ('limit', 'archived_sample')),
    persons INTEGER NOT NULL,
    households INTEGER NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (plan_id, cluster_key)
);

CREATE TABLE retention_plan_approvals (
    plan_id TEXT NOT NULL REFERENCES retention_plans(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    approved_by TEXT NOT NULL REFERENCES users(id),
    approved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (plan_id, organization_id)
);

-- The erasure record (gallringsprotokoll): what a run erased, per municipality and rule, who
-- planned and who approved it. Names users by username (it outlives them) and no subject.
CREATE TABLE erasure_records (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    executed_at TIMESTAMPTZ NOT NULL,
    as_of DATE NOT NULL,
    organization_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    clusters INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    households INTEGER NOT NULL,
    cases INTEGER NOT NULL,
    planned_by TEXT NOT NULL,
    approved_by TEXT NOT NULL
);

-- Archive packages of the research sample: which clusters (by membership key) a package holds,
-- and whether the archive authority's receipt has been confirmed.
CREATE TABLE archive_packages (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    clusters INTEGER NOT NULL,
    confirmed_at TIMESTAMPTZ
);

CREATE TABLE archive_package_clusters (
    package_id TEXT NOT NULL REFERENCES archive_packages(id),
    cluster_key TEXT NOT NULL,
    PRIMARY KEY (package_id, cluster_key)
);
CREATE INDEX archive_package_clusters_key ON archive_package_clusters (cluster_key);
