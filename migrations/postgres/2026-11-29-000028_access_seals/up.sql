-- The access log sealed in batches (issue 18 item 5, security table row 22): one row per sealed
-- batch of access_log rows, ids (prev batch's last_id, last_id], hash = HMAC(audit key, previous
-- batch's hash ‖ the batch's rows in id order); each batch is anchored by an audit event.
CREATE TABLE access_seals (
    seq BIGINT PRIMARY KEY,
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    sealed_at TIMESTAMPTZ NOT NULL,
    CHECK (first_id <= last_id AND row_count >= 1)
);
CREATE TRIGGER access_seals_append_only BEFORE UPDATE OR DELETE ON access_seals
    FOR EACH ROW EXECUTE FUNCTION kvar_append_only();
CREATE TRIGGER access_seals_no_truncate BEFORE TRUNCATE ON access_seals
    FOR EACH STATEMENT EXECUTE FUNCTION kvar_append_only();

-- Ids are drawn before commit: a row with a smaller id may commit after one with a larger id.
-- Every statement inserting access rows takes this shared advisory lock (before its ids are
-- drawn, held to its commit); the sealer takes it exclusively for an instant to read a horizon
-- below which no row can still appear. One function call per statement, no extra statement.
CREATE FUNCTION kvar_access_log_horizon() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(118156185174019);
    RETURN NULL;
END;
$$;
CREATE TRIGGER access_log_horizon BEFORE INSERT ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION kvar_access_log_horizon();
