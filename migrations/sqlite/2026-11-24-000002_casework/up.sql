-- Case work: persons (encrypted identity + blind index), households, tenancies, cases and
-- their closure requests, notes, interventions; the access log. Lockstep with postgres.

CREATE TABLE persons (
    id TEXT PRIMARY KEY NOT NULL,
    pnr_enc BLOB NOT NULL,
    pnr_index TEXT NOT NULL UNIQUE,
    name_enc BLOB NOT NULL,
    birth_year INTEGER NOT NULL,
    protected_identity BOOLEAN NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE households (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    municipality_code TEXT NOT NULL,
    street TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    city TEXT NOT NULL,
    created_by TEXT NOT NULL, -- a user id, or client:<id> for intake from an integration
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE household_members (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    relation TEXT NOT NULL CHECK (relation IN ('self', 'partner', 'child', 'other')),
    residence TEXT CHECK (residence IN ('permanent', 'alternating', 'visiting')),
    minor_until DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (household_id, person_id)
);
CREATE INDEX household_members_person ON household_members (person_id);

CREATE TABLE tenancies (
    id TEXT PRIMARY KEY NOT NULL,
    household_id TEXT NOT NULL REFERENCES households(id),
    landlord_organization_id TEXT NOT NULL REFERENCES organizations(id),
    street TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    city TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    apartment_number TEXT NOT NULL,
    rooms INTEGER,
    size_m2 INTEGER,
    monthly_rent BIGINT NOT NULL,
    contract_type TEXT NOT NULL CHECK (contract_type IN ('first_hand', 'municipal_second_hand', 'sublet', 'other')),
    start_on DATE,
    end_on DATE,
    conversion_months INTEGER,
    conversion_conditions TEXT,
    conversion_review_on DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tenancies_household ON tenancies (household_id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    tenancy_id TEXT REFERENCES tenancies(id),
    status TEXT NOT NULL,
    legal_stage TEXT NOT NULL,
    risk_level TEXT NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    children_involved BOOLEAN NOT NULL,
    assigned_to TEXT REFERENCES users(id),
    outcome TEXT,
    homelessness_situation INTEGER,
    closed_at TIMESTAMP,
    last_activity_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Keyset pages (id DESC: UUIDv7 is time-ordered) within a unit, with and without filters.
CREATE INDEX cases_unit ON cases (unit_id, id);
CREATE INDEX cases_unit_status ON cases (unit_id, status, id);
CREATE INDEX cases_unit_assigned ON cases (unit_id, assigned_to, id);
CREATE INDEX cases_unit_stage ON cases (unit_id, legal_stage, id);
CREATE INDEX cases_unit_children ON cases (unit_id, children_involved, id);
CREATE INDEX cases_household ON cases (household_id);

CREATE TABLE closure_requests (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    requested_by TEXT NOT NULL REFERENCES users(id),
    outcome TEXT NOT NULL,
    homelessness_situation INTEGER,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by TEXT REFERENCES users(id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX closure_requests_case ON closure_requests (case_id, status);

CREATE TABLE notes (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    body_enc BLOB NOT NULL,
    corrects_note_id TEXT REFERENCES notes(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notes_case ON notes (case_id, id);

CREATE TABLE interventions (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'ongoing', 'completed', 'cancelled')),
    started_on DATE,
    ended_on DATE,
    amount BIGINT,
    outcome TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interventions_case ON interventions (case_id, id);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    operation TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    case_id TEXT,
    request_id TEXT,
    decision TEXT NOT NULL CHECK (decision IN ('granted', 'denied'))
);
CREATE INDEX access_log_case ON access_log (case_id, id);
CREATE INDEX access_log_subject ON access_log (subject_id, id);

CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes
BEGIN SELECT RAISE(ABORT, 'notes is append-only'); END;
CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes
BEGIN SELECT RAISE(ABORT, 'notes is append-only'); END;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
