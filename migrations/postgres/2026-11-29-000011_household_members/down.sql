ALTER TABLE household_members DROP COLUMN moved_out_on;
