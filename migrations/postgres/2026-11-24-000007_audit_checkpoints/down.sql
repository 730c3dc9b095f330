DROP TRIGGER notices_no_truncate ON notices;
DROP TRIGGER access_log_no_truncate ON access_log;
DROP TRIGGER notes_no_truncate ON notes;
DROP TABLE audit_checkpoints;
