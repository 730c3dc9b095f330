-- The legal clock: the notice ledger (immutable; corrections supersede) and computed deadlines.
-- Lockstep with postgres.

CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('landlord', 'enforcement_authority', 'social_services')),
    external_ref TEXT,
    kfm_case_number TEXT,
    arrears_amount BIGINT,
    amount_to_reinstate BIGINT,
    apartment_size_m2 INTEGER,
    sent_on DATE,
    served_on DATE,
    service_method TEXT CHECK (service_method IN ('personal', 'substitute', 'public_notice', 'by_enforcement_authority', 'unknown')),
    received_on DATE,
    eviction_at TIMESTAMP,
    execution_outcome TEXT,
    children_present BOOLEAN,
    social_services_present BOOLEAN,
    supersedes TEXT REFERENCES notices(id),
    out_of_order BOOLEAN NOT NULL,
    defect_grade TEXT NOT NULL,
    defects TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notices_case ON notices (case_id, id);
CREATE INDEX notices_kfm_case ON notices (kfm_case_number);

CREATE TABLE deadlines (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    due_on DATE NOT NULL,
    alternative_due_on DATE,
    rule_version TEXT NOT NULL,
    computed_from TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'met', 'missed', 'void')),
    computed_at TIMESTAMP NOT NULL
);
CREATE INDEX deadlines_case ON deadlines (case_id, status);
CREATE INDEX deadlines_open_due ON deadlines (status, due_on);

CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'notices is append-only'); END;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'notices is append-only'); END;
