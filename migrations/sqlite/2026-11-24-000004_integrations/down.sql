DROP TABLE receipts;
DROP TABLE idempotency_keys;
DROP TABLE integration_clients;
