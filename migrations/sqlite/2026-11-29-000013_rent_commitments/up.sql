-- Rent commitments (förbindelser, JB 12:44): the social board's written promise to pay, drafted
-- by a caseworker, decided by another supervisor (four eyes), delivered to the landlord. Mutable
-- (status, decision, delivery) with a version; a decision and a delivery are each written once.
-- The letter's contents (number, tenant name, apartment reference, address) are fixed at approval.
CREATE TABLE rent_commitments (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    landlord_organization_id TEXT NOT NULL REFERENCES organizations(id),
    tenancy_id TEXT NOT NULL REFERENCES tenancies(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    months_covered INTEGER NOT NULL CHECK (months_covered BETWEEN 1 AND 24),
    reason_enc BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    drafted_by TEXT NOT NULL REFERENCES users(id),
    decided_by TEXT REFERENCES users(id),
    decided_at TIMESTAMP,
    decision_reason_enc BLOB,
    number TEXT,
    issued_on DATE,
    tenant_name_enc BLOB,
    apartment_ref TEXT,
    street TEXT,
    postal_code TEXT,
    city TEXT,
    delivered_on DATE,
    delivery_channel TEXT CHECK (delivery_channel IN ('portal', 'email', 'post', 'hand')),
    delivery_notice_id TEXT REFERENCES notices(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (decided_by IS NULL OR decided_by <> drafted_by)
);
CREATE INDEX rent_commitments_case ON rent_commitments (case_id, id);
CREATE INDEX rent_commitments_landlord ON rent_commitments (landlord_organization_id, status, id);
CREATE UNIQUE INDEX rent_commitments_number ON rent_commitments (organization_id, number);

-- Above this amount (whole kronor) only a supervisor may draft a commitment; NULL: no limit.
ALTER TABLE units ADD COLUMN rent_commitment_limit BIGINT;
