-- Persons per municipality (issue 13 item 1): a person row belongs to the municipality that
-- registered it, and its blind index is keyed with that municipality, so a lookup finds only
-- the caller's municipality's record. The rows of before are split by the application at start
-- (persons::split, which holds the keys): each keeps one municipality, the others get a copy
-- flagged needs_review (what a second municipality typed was not kept).
ALTER TABLE persons ADD COLUMN organization_id TEXT REFERENCES organizations(id);
ALTER TABLE persons ADD COLUMN needs_review BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX persons_organization ON persons (organization_id);

-- The name a landlord or Kronofogden typed, kept on the notice as reported (encrypted, bound
-- to the notice); the municipality's record is never overwritten by it.
ALTER TABLE notices ADD COLUMN reported_name_enc BYTEA;
