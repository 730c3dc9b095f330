ALTER TABLE notices DROP COLUMN reported_name_enc;
DROP INDEX persons_organization;
ALTER TABLE persons DROP COLUMN needs_review;
ALTER TABLE persons DROP COLUMN organization_id;
