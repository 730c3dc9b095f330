-- Sign-in throttling per typed username (keyed hash), the same for names with and without an
-- account, so a 429 does not reveal which names exist. Replaces the counters on users.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
