DROP TABLE access_review_entries;
DROP TABLE access_reviews;
DROP INDEX access_log_at;
ALTER TABLE access_log DROP COLUMN list_read;
ALTER TABLE access_log DROP COLUMN protected;
ALTER TABLE access_log DROP COLUMN actor_unit_id;
