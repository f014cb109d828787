-- Approved extensions (延期, clause 6.2.4): when a task's handling deadline was last set by an approved extension.
-- The approved time is the deadline from then on: the supervision counts pauses against it only from the
-- approval (gisapp/domain/supervision.py effective_due), so the request's waiting time is not added to it.
-- NULL: the deadline is the category's limit counted from dispatch.

ALTER TABLE event_tasks ADD COLUMN extension_approved_at timestamptz;

-- Tasks extended before this column: the latest approval of their event since dispatch, where the
-- deadline is the time asked for (an approval set handle_by to it).
UPDATE event_tasks t SET extension_approved_at = a.at
FROM (SELECT event_id, max(at) AS at FROM event_log WHERE action = 'approve_extension' GROUP BY event_id) a
WHERE a.event_id = t.event_id AND t.extension_until IS NOT NULL AND NOT t.extension_pending
  AND t.handle_by = t.extension_until AND a.at >= t.dispatched_at;
