-- Closures are rows: each closure keeps its outcome, homelessness situation and who decided it;
-- reopening stamps the row (when, by whom, why) instead of erasing it. The case's own outcome
-- columns keep describing the current closure only.
CREATE TABLE case_closures (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    outcome TEXT NOT NULL,
    homelessness_situation INTEGER,
    closed_at TIMESTAMP NOT NULL,
    -- The user who closed it or filed the approved request (unknown for closures backfilled below).
    closed_by TEXT REFERENCES users(id),
    -- The supervisor whose approval of a closure request closed it.
    approved_by TEXT REFERENCES users(id),
    closure_request_id TEXT REFERENCES closure_requests(id),
    reopened_at TIMESTAMP,
    -- A user id, or the submitter key (client:<id> / user:<id>) of an intake that reopened it.
    reopened_by TEXT,
    reopen_reason TEXT
);
CREATE INDEX case_closures_case ON case_closures (case_id, closed_at);
-- Cases closed before this table: their current closure, decider unknown.
INSERT INTO case_closures (id, case_id, outcome, homelessness_situation, closed_at)
SELECT id, id, outcome, homelessness_situation, closed_at FROM cases
WHERE status = 'closed' AND outcome IS NOT NULL AND closed_at IS NOT NULL;
