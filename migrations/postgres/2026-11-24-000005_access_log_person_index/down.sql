DROP INDEX access_log_person;
CREATE INDEX access_log_subject ON access_log (subject_id, id);
