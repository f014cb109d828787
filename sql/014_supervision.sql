-- Supervision (督办, clause 6.2.4): the records the supervision worker writes when a task nears or passes a
-- time limit; the responsible center sees them. One record per task, limit and state reached.

CREATE TABLE supervisions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES events (id),
    task_id        bigint NOT NULL REFERENCES event_tasks (id),
    at             timestamptz NOT NULL,
    state          text NOT NULL CHECK (state IN ('warned', 'overdue')),
    time_limit     text NOT NULL CHECK (time_limit IN ('response', 'handling')),
    due            timestamptz NOT NULL,              -- the limit as it stood, pauses included
    center_code    text NOT NULL REFERENCES command_centers (code),
    county_code    varchar(6) NOT NULL,
    township_code  varchar(9) NOT NULL,
    escalated      boolean NOT NULL DEFAULT false,    -- the policy sent the event to level 2
    UNIQUE (task_id, time_limit, state)
);
CREATE INDEX supervisions_township_idx ON supervisions (township_code, at DESC);
CREATE INDEX supervisions_county_idx ON supervisions (county_code, at DESC);
CREATE INDEX event_tasks_open_idx ON event_tasks (id) WHERE status IN ('dispatched', 'acknowledged', 'on_scene');
