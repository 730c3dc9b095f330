-- Statistics for analysts and the county board (issue 15).
--
-- The county (län) an organization belongs to: set by administrators; for a municipality it is
-- the first two digits of its kommunkod, backfilled here.
ALTER TABLE organizations ADD COLUMN county_code TEXT;
UPDATE organizations SET county_code = substr(municipality_code, 1, 2)
WHERE municipality_code IS NOT NULL;

-- Kronofogden's counts of children registered and not registered at the address, when a
-- kfm_executed event carries them.
ALTER TABLE notices ADD COLUMN children_registered INTEGER;
ALTER TABLE notices ADD COLUMN children_not_registered INTEGER;

-- What each case contributes to the series (stats::facts::refresh recomputes a case's rows on
-- every write that can change them). Pseudonymous: a case id, its organization and unit, a
-- month, a figure, a histogram bucket (days, for medians; else 0) and a number. No person id,
-- name or personnummer.
CREATE TABLE stats_facts (
    case_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    figure TEXT NOT NULL,
    month DATE NOT NULL,
    bucket INTEGER NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (case_id, unit_id, figure, month, bucket)
);

-- The same summed per unit and month: what the series read (never the raw rows), kept in the
-- transaction that changes a case's facts. The primary key serves the series' reads (units of a
-- county, figures, a range of months).
CREATE TABLE stats_cells (
    organization_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    figure TEXT NOT NULL,
    month DATE NOT NULL,
    bucket INTEGER NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (unit_id, figure, month, bucket)
);

-- The facts of the cases that exist when this migration runs are computed by the application
-- right after it (stats::facts::backfill, from kvar migrate and start-up).
