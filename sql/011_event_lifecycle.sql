-- The event life cycle of clauses 6.1-6.3 (issue 4): the states decided by gisapp.domain.lifecycle,
-- one task per receiver with its own deadlines and supervision state, and a richer event log.

ALTER TABLE events DROP CONSTRAINT events_status_check;
UPDATE events SET status = 'on_scene' WHERE status = 'in_progress';
UPDATE events SET status = 'voided' WHERE status = 'cancelled';
ALTER TABLE events ADD CONSTRAINT events_status_check CHECK (status IN (
    'reported', 'accepted', 'voided', 'dispatched', 'acknowledged', 'on_scene', 'handled', 'verified',
    'closed', 'parked'));
ALTER TABLE events
    ADD COLUMN parked_from text CHECK (parked_from IN ('accepted', 'dispatched', 'acknowledged', 'on_scene')),
    ADD COLUMN support_requested integer NOT NULL DEFAULT 0 CHECK (support_requested >= 0),
    ADD COLUMN rework integer NOT NULL DEFAULT 0 CHECK (rework >= 0),
    ADD COLUMN updated_at timestamptz,
    ADD CONSTRAINT events_parked_from CHECK ((status = 'parked') = (parked_from IS NOT NULL));

-- 派遣任务: what one receiver (a team or a department) must do for an event, and by when.
CREATE TABLE event_tasks (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id           bigint NOT NULL REFERENCES events (id),
    kind               text NOT NULL CHECK (kind IN ('handle', 'support')),
    team_code          text REFERENCES teams (code),
    department_code    text REFERENCES departments (code),
    member_code        text REFERENCES members (code),      -- the member sent, for support tasks
    status             text NOT NULL CHECK (status IN ('dispatched', 'acknowledged', 'on_scene', 'handled',
                                                       'returned', 'cancelled')),
    extension_pending  boolean NOT NULL DEFAULT false,
    extension_until    timestamptz,                          -- the new handling deadline asked for
    dispatched_at      timestamptz NOT NULL,
    acknowledged_at    timestamptz,
    arrived_at         timestamptz,
    handled_at         timestamptz,
    respond_by         timestamptz NOT NULL,
    handle_by          timestamptz NOT NULL,
    supervision        text NOT NULL DEFAULT 'on_time' CHECK (supervision IN ('on_time', 'warned', 'overdue')),
    CHECK (num_nonnulls(team_code, department_code) = 1),
    CHECK (kind = 'handle' OR (team_code IS NOT NULL AND member_code IS NOT NULL))
);
CREATE INDEX event_tasks_event_idx ON event_tasks (event_id);
CREATE INDEX event_tasks_team_open_idx ON event_tasks (team_code)
    WHERE status IN ('dispatched', 'acknowledged', 'on_scene');
CREATE INDEX event_tasks_department_open_idx ON event_tasks (department_code)
    WHERE status IN ('dispatched', 'acknowledged', 'on_scene');

-- events dispatched before this migration get their task
INSERT INTO event_tasks (event_id, kind, team_code, department_code, status, dispatched_at, respond_by, handle_by)
SELECT id, 'handle', team_code, CASE WHEN team_code IS NULL THEN department_code END,
       CASE status WHEN 'closed' THEN 'handled' WHEN 'voided' THEN 'cancelled' WHEN 'reported' THEN 'dispatched'
                   ELSE status END,
       created_at, respond_by, handle_by
FROM events WHERE assignee_kind IN ('team', 'department') AND status <> 'reported';

-- the log: which task, and what the step carried (photos, position, receivers, members)
ALTER TABLE event_log
    ADD COLUMN task_id bigint REFERENCES event_tasks (id),
    ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb;

-- an action retried with the same client_ref is done once
ALTER TABLE event_log ADD COLUMN client_ref text CHECK (length(client_ref) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX event_log_client_ref_key ON event_log (event_id, client_ref);
