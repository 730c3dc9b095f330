DROP TABLE audit_chain;
DROP TABLE audit_pending;
DROP TABLE audit_events;
DROP FUNCTION kvar_append_only();
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE units;
DROP TABLE organizations;
