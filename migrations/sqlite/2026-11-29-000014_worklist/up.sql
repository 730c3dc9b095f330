-- The worklist's stored order (SPEC §4.5, issue 12 item 5): a case's next open legal deadline,
-- its escalation date (children, no completed home visit in the cycle) and its sort key
-- (bucket, children, date, id; NULL when closed), kept by worklist::repo::refresh_case on every
-- write and by the daily sweep when time alone moves a case. Backfilled here for today.
ALTER TABLE cases ADD COLUMN next_due_on DATE;
ALTER TABLE cases ADD COLUMN escalation_due_on DATE;
ALTER TABLE cases ADD COLUMN worklist_key TEXT;

-- The days the sweep has run (the sweep moves the cases whose bucket changed since the last).
CREATE TABLE worklist_sweeps (
    swept_on DATE PRIMARY KEY NOT NULL
);

UPDATE cases SET next_due_on = (
    SELECT MIN(d.due_on) FROM deadlines d
    WHERE d.case_id = cases.id AND d.status = 'open'
      AND d.kind IN ('reinstatement_end', 'rent_commitment_due', 'kfm_order_review_end', 'eviction_date')
);

UPDATE cases SET escalation_due_on = (
    SELECT MIN(d.due_on) FROM deadlines d
    WHERE d.case_id = cases.id AND d.status = 'open'
      AND d.kind IN ('reinstatement_end', 'eviction_date')
)
WHERE children_involved AND status <> 'closed' AND NOT EXISTS (
    SELECT 1 FROM interventions i
    WHERE i.case_id = cases.id AND i.kind = 'home_visit' AND i.status = 'completed'
      AND COALESCE(i.ended_on, i.started_on, date(i.created_at)) >= COALESCE((
          SELECT MAX(COALESCE(n.served_on, n.sent_on, date(n.created_at))) FROM notices n
          WHERE n.case_id = cases.id AND n.kind = 'termination_served'
      ), '0000-01-01')
);

UPDATE cases SET worklist_key =
    (CASE
        WHEN next_due_on < date('now') THEN '0'
        WHEN next_due_on <= date('now', '+14 days') THEN '2'
        WHEN EXISTS (SELECT 1 FROM deadlines d WHERE d.case_id = cases.id
                     AND d.kind = 'reinstatement_end' AND d.status = 'missed')
             AND legal_stage IN ('terminated', 'reinstatement_running', 'reinstatement_lapsed') THEN '3'
        WHEN legal_stage = 'reinstatement_lapsed' THEN '3'
        WHEN assigned_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = cases.assigned_to
                     AND u.status = 'active' AND u.unit_id = cases.unit_id) THEN '4'
        WHEN status = 'reopened' THEN '5'
        WHEN assigned_to IS NULL AND status = 'new' THEN '6'
        WHEN date(last_activity_at) < date('now', '-14 days') THEN '7'
        ELSE '8'
    END)
    || (CASE WHEN children_involved THEN '0' ELSE '1' END)
    || COALESCE(next_due_on, date(last_activity_at))
    || id
WHERE status <> 'closed';

INSERT INTO worklist_sweeps (swept_on) VALUES (date('now'));

CREATE INDEX cases_unit_worklist ON cases (unit_id, worklist_key);
CREATE INDEX cases_unit_escalation ON cases (unit_id, escalation_due_on);
CREATE INDEX cases_next_due ON cases (next_due_on);
CREATE INDEX cases_last_activity ON cases (last_activity_at);
