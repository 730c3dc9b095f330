-- Arrears cycles (issue 12): payments carry their amount, rent commitments their delivery date;
-- deadlines belong to a cycle, may be provisional, list every reading of their date, and carry
-- the flags and the sum paid they were computed with. Lockstep with the other backend.
ALTER TABLE notices ADD COLUMN amount_paid BIGINT;
ALTER TABLE notices ADD COLUMN delivered_on DATE;
ALTER TABLE deadlines ADD COLUMN cycle INTEGER;
ALTER TABLE deadlines ADD COLUMN provisional BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deadlines ADD COLUMN readings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deadlines ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deadlines ADD COLUMN paid BIGINT;
