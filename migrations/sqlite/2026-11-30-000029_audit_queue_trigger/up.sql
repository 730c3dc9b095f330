-- Every audit event is queued for the sealer by the database, in the statement that inserts the
-- event (issue 16: one statement per event instead of two). Lockstep with postgres.
CREATE TRIGGER audit_events_queue AFTER INSERT ON audit_events
BEGIN
    INSERT INTO audit_pending (event_id) VALUES (NEW.id);
END;
