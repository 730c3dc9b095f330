DROP TRIGGER access_log_horizon ON access_log;
DROP FUNCTION kvar_access_log_horizon();
DROP TABLE access_seals;
