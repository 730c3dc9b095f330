DROP TRIGGER audit_events_queue;
