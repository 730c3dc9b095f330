ALTER TABLE units DROP COLUMN rent_commitment_limit;
DROP TABLE rent_commitments;
