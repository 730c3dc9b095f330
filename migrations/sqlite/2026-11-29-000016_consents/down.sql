ALTER TABLE notices DROP COLUMN tenant_consent_method;
ALTER TABLE notices DROP COLUMN tenant_consent_given_on;
ALTER TABLE notices DROP COLUMN termination_served;
ALTER TABLE rent_commitments DROP COLUMN legal_basis_enc;
ALTER TABLE rent_commitments DROP COLUMN consent_id;
ALTER TABLE rent_commitments DROP COLUMN disclosure_basis;
DROP INDEX consents_person;
DROP TABLE consents;
