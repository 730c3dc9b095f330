-- The access log sealed in batches (issue 18 item 5, security table row 22): one row per sealed
-- batch of access_log rows, ids (prev batch's last_id, last_id], hash = HMAC(audit key, previous
-- batch's hash ‖ the batch's rows in id order); each batch is anchored by an audit event.
-- SQLite has one writer: ids commit in order, so no horizon lock is needed.
CREATE TABLE access_seals (
    seq INTEGER PRIMARY KEY NOT NULL,
    first_id INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    sealed_at TIMESTAMP NOT NULL,
    CHECK (first_id <= last_id AND row_count >= 1)
);
CREATE TRIGGER access_seals_no_update BEFORE UPDATE ON access_seals
BEGIN SELECT RAISE(ABORT, 'access_seals is append-only'); END;
CREATE TRIGGER access_seals_no_delete BEFORE DELETE ON access_seals
BEGIN SELECT RAISE(ABORT, 'access_seals is append-only'); END;
