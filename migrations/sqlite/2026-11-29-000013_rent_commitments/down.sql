ALTER TABLE notices DROP COLUMN delivered_on;
ALTER TABLE units DROP COLUMN rent_commitment_limit;
DROP TABLE rent_commitments;
