-- Integrations: machine clients (secret stored hashed), idempotency keys, receipts.
-- Lockstep with postgres.

CREATE TABLE integration_clients (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    last_used_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE idempotency_keys (
    id TEXT PRIMARY KEY NOT NULL,
    principal TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (principal, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE receipts (
    id TEXT PRIMARY KEY NOT NULL,
    principal TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason TEXT,
    notice_id TEXT REFERENCES notices(id),
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX receipts_org ON receipts (organization_id, id);
