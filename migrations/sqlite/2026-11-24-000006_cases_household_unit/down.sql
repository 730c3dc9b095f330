CREATE INDEX cases_household ON cases (household_id);
DROP INDEX cases_household_unit;
