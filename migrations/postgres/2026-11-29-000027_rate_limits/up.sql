-- Rate limits shared by every kvar instance on the database (issue 16 item 4): the per-IP limit
-- on /auth/* and the per-user limit on person search. One row per key holds GCRA's theoretical
-- arrival time in microseconds since the Unix epoch; a check is one UPSERT … RETURNING. `denied`
-- tells whether the last check was refused (the row then keeps its arrival time). Rows whose
-- arrival time has passed hold nothing and are purged.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    tat_us BIGINT NOT NULL,
    denied BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX rate_limits_tat ON rate_limits (tat_us);
