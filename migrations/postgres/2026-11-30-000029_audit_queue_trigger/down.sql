DROP TRIGGER audit_events_queue ON audit_events;
DROP FUNCTION kvar_audit_queue();
