ALTER TABLE tenancies DROP COLUMN converted_on;
