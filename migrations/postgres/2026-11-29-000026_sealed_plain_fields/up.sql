-- Personal data that was stored in clear gets sealed under its subject's data key (issue 14):
-- addresses (household, tenancy, a rent commitment letter's copy), Kronofogden case numbers
-- (with a blind index for matching), closure and reopening reasons. The data step
-- `seal_plain_fields` (run by kvar after the migrations, it holds the keys) fills these columns
-- from the clear ones and then drops the clear columns, in one transaction.
ALTER TABLE households ADD COLUMN address_enc BYTEA;
ALTER TABLE tenancies ADD COLUMN address_enc BYTEA;
ALTER TABLE rent_commitments ADD COLUMN letter_address_enc BYTEA;
ALTER TABLE notices ADD COLUMN kfm_case_enc BYTEA;
ALTER TABLE notices ADD COLUMN kfm_case_index TEXT;
CREATE INDEX notices_kfm_case_index ON notices (kfm_case_index);
ALTER TABLE closure_requests ADD COLUMN reason_enc BYTEA;
ALTER TABLE case_closures ADD COLUMN reopen_reason_enc BYTEA;
INSERT INTO pending_data_steps (name, created_at) VALUES ('seal_plain_fields', CURRENT_TIMESTAMP);
