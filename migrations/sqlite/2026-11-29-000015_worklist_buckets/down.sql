DROP INDEX cases_unit_escalation_order;
CREATE INDEX cases_unit_escalation ON cases (unit_id, escalation_due_on);
DROP INDEX cases_unit_assignee_worklist;

-- Back to the nine buckets: the two new ones fall to `other` until the case's next write.
UPDATE cases SET worklist_key = (CASE substr(worklist_key, 1, 1)
        WHEN '5' THEN '3' WHEN '6' THEN '4' WHEN '7' THEN '5'
        WHEN '8' THEN '6' WHEN '9' THEN '7' ELSE '8' END) || substr(worklist_key, 2)
WHERE worklist_key IS NOT NULL AND substr(worklist_key, 1, 1) IN ('3', '4', '5', '6', '7', '8', '9', 'a');
