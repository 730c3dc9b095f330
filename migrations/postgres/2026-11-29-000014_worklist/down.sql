DROP INDEX cases_last_activity;
DROP INDEX cases_next_due;
DROP INDEX cases_unit_escalation;
DROP INDEX cases_unit_worklist;
DROP TABLE worklist_sweeps;
ALTER TABLE cases DROP COLUMN worklist_key;
ALTER TABLE cases DROP COLUMN escalation_due_on;
ALTER TABLE cases DROP COLUMN next_due_on;
