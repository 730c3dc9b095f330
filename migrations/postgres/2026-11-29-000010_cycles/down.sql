ALTER TABLE deadlines DROP COLUMN paid;
ALTER TABLE deadlines DROP COLUMN flags;
ALTER TABLE deadlines DROP COLUMN readings;
ALTER TABLE deadlines DROP COLUMN provisional;
ALTER TABLE deadlines DROP COLUMN cycle;
ALTER TABLE notices DROP COLUMN delivered_on;
ALTER TABLE notices DROP COLUMN amount_paid;
