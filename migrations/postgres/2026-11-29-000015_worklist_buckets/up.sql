-- Two worklist buckets join the order after `due_soon` (issue 12 item 5): `provisional` (a
-- period computed from formulär 3 without the service date) and `commitment_pending` (a rent
-- commitment awaiting its decision or delivery). The stored keys begin with the bucket's rank as
-- a base-36 digit, so the later buckets move down two places; then the cases that belong in the
-- new buckets are moved there. Every later write and the daily sweep keep the keys as before.
UPDATE cases SET worklist_key = (CASE substr(worklist_key, 1, 1)
        WHEN '3' THEN '5' WHEN '4' THEN '6' WHEN '5' THEN '7'
        WHEN '6' THEN '8' WHEN '7' THEN '9' ELSE 'a' END) || substr(worklist_key, 2)
WHERE worklist_key IS NOT NULL AND substr(worklist_key, 1, 1) IN ('3', '4', '5', '6', '7', '8');

UPDATE cases SET worklist_key = '3' || substr(worklist_key, 2)
WHERE worklist_key IS NOT NULL AND substr(worklist_key, 1, 1) IN ('5', '6', '7', '8', '9', 'a')
  AND EXISTS (SELECT 1 FROM deadlines d
              WHERE d.case_id = cases.id AND d.status = 'open' AND d.provisional
                AND d.kind IN ('reinstatement_end', 'rent_commitment_due', 'kfm_order_review_end', 'eviction_date'));

UPDATE cases SET worklist_key = '4' || substr(worklist_key, 2)
WHERE worklist_key IS NOT NULL AND substr(worklist_key, 1, 1) IN ('5', '6', '7', '8', '9', 'a')
  AND EXISTS (SELECT 1 FROM rent_commitments rc
              WHERE rc.case_id = cases.id
                AND (rc.status = 'pending' OR (rc.status = 'approved' AND rc.delivered_on IS NULL)));

-- The keys compare byte by byte, as the service merges them (and faster than a locale's rules).
ALTER TABLE cases ALTER COLUMN worklist_key TYPE TEXT COLLATE "C";

-- A caseworker's worklist is two key ranges (assigned to them, unassigned) merged: one index
-- each, instead of filtering the unit's whole range.
CREATE INDEX cases_unit_assignee_worklist ON cases (unit_id, assigned_to, worklist_key);

-- The escalation list in its order (date, id) straight from the index, stopped at one page.
DROP INDEX cases_unit_escalation;
CREATE INDEX cases_unit_escalation_order ON cases (unit_id, escalation_due_on, id);
