-- Access review (logguppföljning, SPEC §9). The access log stays append-only: new columns are
-- filled at write time and never updated. `actor_unit_id` is the reader's unit when reading (a
-- reader moved since is found by comparing it with users.unit_id); `protected` marks a read of a
-- protected person's data; `list_read` a row of a multi-subject list (cases, worklist), which
-- does not count towards the hourly volume threshold. Rows written before this migration have
-- no unit and count as single-subject reads.
ALTER TABLE access_log ADD COLUMN actor_unit_id TEXT;
ALTER TABLE access_log ADD COLUMN protected BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE access_log ADD COLUMN list_read BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX access_log_at ON access_log (at, id);

-- One review set per unit and period: a reproducible random sample (seed stored) plus every
-- flagged read. Signed off once, when every entry has a verdict.
CREATE TABLE access_reviews (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('monthly', 'on_demand')),
    seed BIGINT NOT NULL,
    sample_size INTEGER NOT NULL,
    volume_per_hour INTEGER NOT NULL,
    reads_in_period BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'signed_off')),
    generated_by TEXT REFERENCES users(id),
    generated_at TIMESTAMPTZ NOT NULL,
    signed_off_by TEXT REFERENCES users(id),
    signed_off_at TIMESTAMPTZ,
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (period_start <= period_end),
    CHECK ((status = 'signed_off') = (signed_off_by IS NOT NULL))
);
CREATE INDEX access_reviews_unit ON access_reviews (unit_id, id);
CREATE INDEX access_reviews_org ON access_reviews (organization_id, id);
-- The monthly run is idempotent: one monthly review per unit and month.
CREATE UNIQUE INDEX access_reviews_monthly ON access_reviews (unit_id, period_start)
    WHERE trigger = 'monthly';

CREATE TABLE access_review_entries (
    id TEXT PRIMARY KEY,
    review_id TEXT NOT NULL REFERENCES access_reviews(id),
    access_log_id BIGINT NOT NULL REFERENCES access_log(id),
    reasons TEXT NOT NULL,
    verdict TEXT CHECK (verdict IN ('ok', 'question', 'incident')),
    comment_enc BYTEA,
    decided_by TEXT REFERENCES users(id),
    decided_at TIMESTAMPTZ,
    CHECK ((verdict IS NULL) = (decided_by IS NULL))
);
CREATE UNIQUE INDEX access_review_entries_row ON access_review_entries (review_id, access_log_id);
