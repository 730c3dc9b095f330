-- Members change after a household is registered: a member who moved out keeps their row (the
-- history of who lived there) with the date; only current members count for children_involved.
ALTER TABLE household_members ADD COLUMN moved_out_on DATE;
