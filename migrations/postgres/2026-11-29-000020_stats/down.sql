DROP TABLE stats_cells;
DROP TABLE stats_facts;
ALTER TABLE notices DROP COLUMN children_not_registered;
ALTER TABLE notices DROP COLUMN children_registered;
ALTER TABLE organizations DROP COLUMN county_code;
