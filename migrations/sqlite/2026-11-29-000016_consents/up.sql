-- Consent (samtycke, SPEC §9): what a person agreed that the municipality recording it may do.
-- Per person and municipality; mutable only by a withdrawal (written once) with a version. The
-- note is free text, encrypted like every note body.
CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    scope TEXT NOT NULL CHECK (scope IN ('contact_landlord', 'share_with_landlord', 'share_with_enforcement_authority', 'early_warning')),
    method TEXT NOT NULL CHECK (method IN ('written', 'oral', 'digital')),
    given_on DATE NOT NULL,
    expires_on DATE,
    note_enc BLOB,
    withdrawn_on DATE,
    withdrawn_by TEXT REFERENCES users(id),
    recorded_by TEXT NOT NULL REFERENCES users(id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (expires_on IS NULL OR expires_on >= given_on),
    CHECK (withdrawn_on IS NULL OR withdrawn_on >= given_on),
    CHECK ((withdrawn_on IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX consents_person ON consents (person_id, organization_id, id);

-- What an approved rent commitment's disclosure to the landlord rests on: the tenant's
-- share_with_landlord consent valid on the day of the decision, or a recorded legal basis
-- (its reason encrypted). NULL for commitments decided before this rule, and for rejections.
ALTER TABLE rent_commitments ADD COLUMN disclosure_basis TEXT CHECK (disclosure_basis IN ('consent', 'legal_basis'));
ALTER TABLE rent_commitments ADD COLUMN consent_id TEXT REFERENCES consents(id);
ALTER TABLE rent_commitments ADD COLUMN legal_basis_enc BLOB;

-- A landlord's arrears report: the landlord's statement whether a termination has been served
-- (none served: an early warning) and its attestation that the tenant consented to the early
-- warning (when and how). Decided from the submission alone, never from kvar's records.
ALTER TABLE notices ADD COLUMN termination_served BOOLEAN;
ALTER TABLE notices ADD COLUMN tenant_consent_given_on DATE;
ALTER TABLE notices ADD COLUMN tenant_consent_method TEXT CHECK (tenant_consent_method IN ('written', 'oral', 'digital'));
