-- Whether a caller sees a household is asked as "cases of this household in my unit". With one
-- unit holding a million cases, PostgreSQL's generic plan took the unit index (and read the whole
-- unit) instead of the household's few cases; an index on both makes the household the way in.
CREATE INDEX cases_household_unit ON cases (household_id, unit_id);
DROP INDEX cases_household;
