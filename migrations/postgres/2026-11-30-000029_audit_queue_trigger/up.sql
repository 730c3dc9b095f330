-- Every audit event is queued for the sealer by the database, in the statement that inserts the
-- event (issue 16: one statement, one round trip, per event instead of two). Lockstep with
-- sqlite.
CREATE FUNCTION kvar_audit_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (event_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_events_queue AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION kvar_audit_queue();
