-- Evaluation (clause 8): the figures of townships, communities, grids, teams, members and departments,
-- kept by incremental roll-ups (docs/evaluation.md).
--
-- How the roll-ups stay true:
--   1. Every change of an event, its tasks, its log or its supervision records marks the event dirty
--      (statement triggers into eval_dirty, in the changing transaction: cheap, no hot rows).
--   2. eval_fold() claims dirty events, takes their old facts' contributions out of the roll-ups,
--      recomputes their facts from the rows, and adds the new contributions back, in one transaction
--      under an advisory lock. The supervision worker folds every pass; the evaluation API folds what
--      is pending before it answers, so a figure is exact as of the last committed step.
--   3. eval_rebuild() (sql/036) recomputes everything from scratch, set-wise (after a bulk load, or to check);
--      it also fills the roll-ups of the events a database already holds, once its definition is in place.
-- Facts are per event and per task (eval_event_facts, eval_task_facts): what the cohort figures count.
-- Whether a task was acknowledged or handled in time is judged by the life-cycle service at that step,
-- with the supervision clock (pauses, extensions, working time), and kept on the task row.

-- the judgement of each step, kept on the task (set by gisapp/services/events/lifecycle.py)
ALTER TABLE event_tasks
    ADD COLUMN acknowledged_on_time boolean,        -- acknowledged by its response limit (pauses counted)
    ADD COLUMN response_work_minutes double precision,  -- working minutes from dispatch to acknowledgement
    ADD COLUMN handled_on_time boolean,             -- handled by its (extended) handling limit
    ADD COLUMN handling_work_minutes double precision,  -- working minutes from dispatch to handling
    ADD COLUMN handled_by text REFERENCES members (code),  -- the member whose account handled it
    ADD COLUMN open_due timestamptz;                -- an unhandled task's handling limit as of its last step
                                                    -- (NULL while paused, or once it ended before it)

-- tasks from before this migration: judged on their stored limits (no pauses known), in clock minutes
UPDATE event_tasks SET
    acknowledged_on_time = CASE WHEN acknowledged_at IS NOT NULL THEN acknowledged_at <= respond_by END,
    response_work_minutes = CASE WHEN acknowledged_at IS NOT NULL
                                 THEN extract(epoch FROM acknowledged_at - dispatched_at) / 60 END,
    handled_on_time = CASE WHEN handled_at IS NOT NULL THEN handled_at <= handle_by END,
    handling_work_minutes = CASE WHEN handled_at IS NOT NULL THEN extract(epoch FROM handled_at - dispatched_at) / 60 END,
    open_due = CASE WHEN status IN ('dispatched', 'acknowledged', 'on_scene') THEN handle_by END;

-- the county's day of an instant (dates of periods are local dates; China has no daylight-saving time)
CREATE FUNCTION eval_day(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$;

CREATE TABLE eval_dirty (event_id bigint PRIMARY KEY);

CREATE TABLE eval_event_facts (
    event_id        bigint PRIMARY KEY,
    county_code     varchar(6) NOT NULL,
    township_code   varchar(9) NOT NULL,
    community_code  varchar(12) NOT NULL,
    grid_code       varchar(15) NOT NULL,
    category_code   text NOT NULL,
    channel         text NOT NULL,
    level           smallint NOT NULL,
    reported_day    date NOT NULL,
    accepted_day    date,               -- the cohort; NULL: not accepted (yet), or voided
    closed_day      date,
    closed_on_time  boolean NOT NULL,   -- closed, and every handling task handled by its limit
    handled_once    boolean NOT NULL,
    reworked        boolean NOT NULL,
    extended        boolean NOT NULL,
    rated           boolean NOT NULL,
    satisfied       boolean NOT NULL,
    patrol          boolean NOT NULL,
    self_handled    boolean NOT NULL,
    repeats         boolean NOT NULL,
    supervisions    integer NOT NULL
);
CREATE INDEX eval_event_facts_county_idx ON eval_event_facts (county_code, accepted_day);
CREATE INDEX eval_event_facts_township_idx ON eval_event_facts (township_code, accepted_day);
CREATE INDEX eval_event_facts_reported_idx ON eval_event_facts (county_code, reported_day);

CREATE TABLE eval_task_facts (
    task_id            bigint PRIMARY KEY,
    event_id           bigint NOT NULL,
    unit_kind          text NOT NULL CHECK (unit_kind IN ('team', 'department')),
    unit_code          text NOT NULL,
    member_code        text,            -- the member sent (support) or who handled it
    kind               text NOT NULL,
    responded_on_time  boolean NOT NULL,
    returned           boolean NOT NULL,
    handle_task        boolean NOT NULL,  -- a handling task that was not returned
    handled            boolean NOT NULL,
    handled_on_time    boolean NOT NULL,
    open_due           timestamptz,       -- unhandled handling task: its limit (for "due by min(to, now)")
    overdue            boolean NOT NULL,
    response_minutes   double precision,
    handling_minutes   double precision
);
CREATE INDEX eval_task_facts_event_idx ON eval_task_facts (event_id);
CREATE INDEX eval_task_facts_open_idx ON eval_task_facts (open_due) WHERE open_due IS NOT NULL;
CREATE INDEX eval_task_facts_unit_idx ON eval_task_facts (unit_kind, unit_code);
CREATE INDEX eval_task_facts_member_idx ON eval_task_facts (member_code) WHERE member_code IS NOT NULL;

-- the roll-ups: one row per scope unit, bucket (d: day, m: month, y: year) and township of the events
-- counted (so a township sees exactly its part of a department's figures). Days are kept for the scopes
-- with few units (county, township, department); the others keep months and years.
CREATE TABLE eval_rollup (
    scope_kind     text NOT NULL CHECK (scope_kind IN ('county', 'township', 'community', 'grid', 'team',
                                                       'department', 'member')),
    bucket         char(1) NOT NULL CHECK (bucket IN ('d', 'm', 'y')),
    bucket_start   date NOT NULL,
    county_code    varchar(6) NOT NULL,
    township_code  varchar(9) NOT NULL,
    code           text NOT NULL,
    reported                 bigint NOT NULL DEFAULT 0,
    accepted                 bigint NOT NULL DEFAULT 0,
    closed                   bigint NOT NULL DEFAULT 0,   -- closed before the bucket's end
    closed_on_time           bigint NOT NULL DEFAULT 0,
    handled_once             bigint NOT NULL DEFAULT 0,
    reworked                 bigint NOT NULL DEFAULT 0,
    extended                 bigint NOT NULL DEFAULT 0,
    rated                    bigint NOT NULL DEFAULT 0,
    satisfied                bigint NOT NULL DEFAULT 0,
    patrol                   bigint NOT NULL DEFAULT 0,
    self_handled             bigint NOT NULL DEFAULT 0,
    repeats                  bigint NOT NULL DEFAULT 0,
    supervisions             bigint NOT NULL DEFAULT 0,
    tasks_dispatched         bigint NOT NULL DEFAULT 0,
    tasks_responded_on_time  bigint NOT NULL DEFAULT 0,
    tasks_returned           bigint NOT NULL DEFAULT 0,
    handle_tasks             bigint NOT NULL DEFAULT 0,
    handle_handled           bigint NOT NULL DEFAULT 0,
    handle_on_time           bigint NOT NULL DEFAULT 0,
    tasks_overdue            bigint NOT NULL DEFAULT 0,
    response_n               bigint NOT NULL DEFAULT 0,
    response_minutes         double precision NOT NULL DEFAULT 0,
    handling_n               bigint NOT NULL DEFAULT 0,
    handling_minutes         double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_kind, bucket, bucket_start, county_code, township_code, code)
);
CREATE INDEX eval_rollup_township_idx ON eval_rollup (township_code, scope_kind, bucket, bucket_start);

-- closures after the end of their cohort's bucket, by day: "closed by min(to, now)" for any `to`
CREATE TABLE eval_late_closures (
    scope_kind     text NOT NULL,
    bucket         char(1) NOT NULL,
    bucket_start   date NOT NULL,
    county_code    varchar(6) NOT NULL,
    township_code  varchar(9) NOT NULL,
    code           text NOT NULL,
    closed_day     date NOT NULL,
    n              bigint NOT NULL DEFAULT 0,
    n_on_time      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_kind, bucket, bucket_start, county_code, township_code, code, closed_day)
);

-- workload (clause 8.3: by category, channel and level; kind through the category) per township, by month
-- and year; the days of a partial month are read from the facts
CREATE TABLE eval_workload (
    bucket         char(1) NOT NULL CHECK (bucket IN ('m', 'y')),
    bucket_start   date NOT NULL,
    county_code    varchar(6) NOT NULL,
    township_code  varchar(9) NOT NULL,
    category_code  text NOT NULL,
    channel        text NOT NULL,
    level          smallint NOT NULL,
    reported       bigint NOT NULL DEFAULT 0,
    accepted       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, bucket_start, county_code, township_code, category_code, channel, level)
);

-- the facts of some events counted per event (each event's supervision records, by event_id)
CREATE INDEX supervisions_event_idx ON supervisions (event_id);

-- the facts of some events (ids), from the rows
CREATE FUNCTION eval_compute_facts(ids bigint[]) RETURNS void LANGUAGE sql AS $$
WITH chosen AS (SELECT e.* FROM events e WHERE e.id = ANY(ids))
INSERT INTO eval_event_facts
SELECT e.id, e.county_code, e.township_code, e.community_code, e.grid_code, e.category_code, e.channel, e.level,
       eval_day(e.created_at),
       CASE WHEN e.status NOT IN ('reported', 'voided') THEN eval_day(COALESCE(
           (SELECT min(l.at) FROM event_log l WHERE l.event_id = e.id AND l.action = 'accept'), e.created_at)) END,
       CASE WHEN e.status = 'closed' THEN eval_day(e.closed_at) END,
       e.status = 'closed' AND COALESCE((SELECT bool_and(t.handled_on_time IS TRUE) FROM event_tasks t
                                         WHERE t.event_id = e.id AND t.kind = 'handle' AND t.status = 'handled'), false),
       EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id AND l.action = 'handle'),
       e.rework > 0,
       EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id AND l.action = 'approve_extension'),
       e.rating IS NOT NULL,
       e.rating IS NOT NULL AND e.rating IN ('satisfied', 'basically_satisfied'),
       e.channel = 'patrol',
       e.channel = 'patrol' AND EXISTS (
           SELECT 1 FROM users u JOIN members m ON m.code = u.member_code
           JOIN event_tasks t ON t.team_code = m.team_code
           WHERE e.submitted_by = 'user:' || u.username AND t.event_id = e.id AND t.kind = 'handle'
             AND t.status = 'handled'),
       e.repeat_of IS NOT NULL,
       (SELECT count(*) FROM supervisions s WHERE s.event_id = e.id)
FROM chosen e;

WITH chosen AS (SELECT t.* FROM event_tasks t WHERE t.event_id = ANY(ids))
INSERT INTO eval_task_facts
SELECT t.id, t.event_id, CASE WHEN t.team_code IS NOT NULL THEN 'team' ELSE 'department' END,
       COALESCE(t.team_code, t.department_code), COALESCE(t.member_code, t.handled_by), t.kind,
       t.acknowledged_on_time IS TRUE, t.status = 'returned', t.kind = 'handle' AND t.status <> 'returned',
       t.kind = 'handle' AND t.status = 'handled', t.kind = 'handle' AND t.status = 'handled' AND t.handled_on_time IS TRUE,
       CASE WHEN t.kind = 'handle' AND t.status NOT IN ('handled', 'returned') THEN t.open_due END,
       EXISTS (SELECT 1 FROM supervisions s WHERE s.task_id = t.id AND s.state = 'overdue'),
       CASE WHEN t.acknowledged_at IS NOT NULL THEN t.response_work_minutes END,
       CASE WHEN t.status = 'handled' THEN t.handling_work_minutes END
FROM chosen t;
$$;

-- what the facts of some events add to each scope unit, on the day each counts on:
-- "reported" on the day reported, the rest on the day accepted (the cohort)
CREATE FUNCTION eval_contributions(ids bigint[]) RETURNS TABLE (
    scope_kind text, code text, county_code varchar, township_code varchar, day date, reported bigint,
    accepted bigint, closed_day date, closed_on_time boolean,
    handled_once bigint, reworked bigint, extended bigint, rated bigint, satisfied bigint, patrol bigint,
    self_handled bigint, repeats bigint, supervisions bigint, tasks_dispatched bigint,
    tasks_responded_on_time bigint, tasks_returned bigint, handle_tasks bigint, handle_handled bigint,
    handle_on_time bigint, tasks_overdue bigint, response_n bigint, response_minutes double precision,
    handling_n bigint, handling_minutes double precision
) LANGUAGE sql STABLE AS $$
WITH ev AS (
    SELECT f.* FROM eval_event_facts f WHERE f.event_id = ANY(ids)
), tk AS (
    SELECT t.* FROM eval_task_facts t WHERE t.event_id = ANY(ids)
), holders AS (  -- each event's areas (all its tasks) and each unit or member that held one of its tasks
    SELECT ev.event_id, a.scope_kind, a.code, NULL::text AS unit_kind, NULL::text AS unit_code
    FROM ev CROSS JOIN LATERAL (VALUES ('county', ev.county_code::text), ('township', ev.township_code::text),
                                       ('community', ev.community_code::text), ('grid', ev.grid_code::text))
                       a(scope_kind, code)
    UNION
    SELECT event_id, unit_kind, unit_code, unit_kind, unit_code FROM tk
    UNION
    SELECT event_id, 'member', member_code, 'member', member_code FROM tk WHERE member_code IS NOT NULL
), sums AS (
    SELECT h.event_id, h.scope_kind, h.code,
           count(tk.task_id) AS tasks_dispatched,
           count(*) FILTER (WHERE tk.responded_on_time) AS tasks_responded_on_time,
           count(*) FILTER (WHERE tk.returned) AS tasks_returned,
           count(*) FILTER (WHERE tk.handle_task) AS handle_tasks,
           count(*) FILTER (WHERE tk.handled) AS handle_handled,
           count(*) FILTER (WHERE tk.handled_on_time) AS handle_on_time,
           count(*) FILTER (WHERE tk.overdue) AS tasks_overdue,
           count(tk.response_minutes) AS response_n, COALESCE(sum(tk.response_minutes), 0) AS response_minutes,
           count(tk.handling_minutes) AS handling_n, COALESCE(sum(tk.handling_minutes), 0) AS handling_minutes
    FROM holders h
    LEFT JOIN tk ON tk.event_id = h.event_id AND (
        h.unit_kind IS NULL
        OR (h.unit_kind = 'member' AND tk.member_code = h.unit_code)
        OR (h.unit_kind = tk.unit_kind AND tk.unit_code = h.unit_code))
    GROUP BY h.event_id, h.scope_kind, h.code
)
SELECT s.scope_kind, s.code, ev.county_code, ev.township_code, ev.reported_day, 1::bigint, 0::bigint, NULL::date,
       false, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
       0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::float8,
       0::bigint, 0::float8
FROM sums s JOIN ev USING (event_id)
UNION ALL
SELECT s.scope_kind, s.code, ev.county_code, ev.township_code, ev.accepted_day, 0, 1, ev.closed_day,
       ev.closed_on_time, ev.handled_once::int, ev.reworked::int, ev.extended::int, ev.rated::int,
       ev.satisfied::int, ev.patrol::int, ev.self_handled::int, ev.repeats::int, ev.supervisions,
       s.tasks_dispatched, s.tasks_responded_on_time, s.tasks_returned, s.handle_tasks, s.handle_handled,
       s.handle_on_time, s.tasks_overdue, s.response_n, s.response_minutes, s.handling_n, s.handling_minutes
FROM sums s JOIN ev USING (event_id)
WHERE ev.accepted_day IS NOT NULL
$$;

-- add (sign 1) or take out (sign -1) the contributions of some events' facts
CREATE FUNCTION eval_apply(ids bigint[], sign integer) RETURNS void LANGUAGE sql AS $$
WITH b AS (
    SELECT c.*, k.bucket, k.bucket_start, k.bucket_end
    FROM eval_contributions(ids) c
    CROSS JOIN LATERAL (VALUES
        ('d', c.day, c.day + 1),
        ('m', date_trunc('month', c.day)::date, (date_trunc('month', c.day) + interval '1 month')::date),
        ('y', date_trunc('year', c.day)::date, (date_trunc('year', c.day) + interval '1 year')::date)
    ) k(bucket, bucket_start, bucket_end)
    WHERE k.bucket <> 'd' OR c.scope_kind IN ('county', 'township', 'department')
), late AS (
    INSERT INTO eval_late_closures AS l (scope_kind, bucket, bucket_start, county_code, township_code, code,
                                         closed_day, n, n_on_time)
    SELECT scope_kind, bucket, bucket_start, county_code, township_code, code, closed_day,
           sign * count(*), sign * count(*) FILTER (WHERE closed_on_time)
    FROM b WHERE closed_day >= bucket_end
    GROUP BY scope_kind, bucket, bucket_start, county_code, township_code, code, closed_day
    ON CONFLICT (scope_kind, bucket, bucket_start, county_code, township_code, code, closed_day)
    DO UPDATE SET n = l.n + EXCLUDED.n, n_on_time = l.n_on_time + EXCLUDED.n_on_time
)
INSERT INTO eval_rollup AS r (scope_kind, bucket, bucket_start, county_code, township_code, code,
    reported, accepted, closed, closed_on_time, handled_once, reworked, extended, rated, satisfied, patrol,
    self_handled, repeats, supervisions, tasks_dispatched, tasks_responded_on_time, tasks_returned, handle_tasks,
    handle_handled, handle_on_time, tasks_overdue, response_n, response_minutes, handling_n, handling_minutes)
SELECT scope_kind, bucket, bucket_start, county_code, township_code, code,
       sign * sum(reported), sign * sum(accepted),
       sign * count(*) FILTER (WHERE closed_day < bucket_end),
       sign * count(*) FILTER (WHERE closed_day < bucket_end AND closed_on_time),
       sign * sum(handled_once), sign * sum(reworked), sign * sum(extended), sign * sum(rated), sign * sum(satisfied),
       sign * sum(patrol), sign * sum(self_handled), sign * sum(repeats), sign * sum(supervisions),
       sign * sum(tasks_dispatched), sign * sum(tasks_responded_on_time), sign * sum(tasks_returned),
       sign * sum(handle_tasks), sign * sum(handle_handled), sign * sum(handle_on_time), sign * sum(tasks_overdue),
       sign * sum(response_n), sign * sum(response_minutes), sign * sum(handling_n), sign * sum(handling_minutes)
FROM b
GROUP BY scope_kind, bucket, bucket_start, county_code, township_code, code
ON CONFLICT (scope_kind, bucket, bucket_start, county_code, township_code, code) DO UPDATE SET
    reported = r.reported + EXCLUDED.reported, accepted = r.accepted + EXCLUDED.accepted,
    closed = r.closed + EXCLUDED.closed, closed_on_time = r.closed_on_time + EXCLUDED.closed_on_time,
    handled_once = r.handled_once + EXCLUDED.handled_once, reworked = r.reworked + EXCLUDED.reworked,
    extended = r.extended + EXCLUDED.extended, rated = r.rated + EXCLUDED.rated,
    satisfied = r.satisfied + EXCLUDED.satisfied, patrol = r.patrol + EXCLUDED.patrol,
    self_handled = r.self_handled + EXCLUDED.self_handled, repeats = r.repeats + EXCLUDED.repeats,
    supervisions = r.supervisions + EXCLUDED.supervisions,
    tasks_dispatched = r.tasks_dispatched + EXCLUDED.tasks_dispatched,
    tasks_responded_on_time = r.tasks_responded_on_time + EXCLUDED.tasks_responded_on_time,
    tasks_returned = r.tasks_returned + EXCLUDED.tasks_returned,
    handle_tasks = r.handle_tasks + EXCLUDED.handle_tasks, handle_handled = r.handle_handled + EXCLUDED.handle_handled,
    handle_on_time = r.handle_on_time + EXCLUDED.handle_on_time, tasks_overdue = r.tasks_overdue + EXCLUDED.tasks_overdue,
    response_n = r.response_n + EXCLUDED.response_n, response_minutes = r.response_minutes + EXCLUDED.response_minutes,
    handling_n = r.handling_n + EXCLUDED.handling_n, handling_minutes = r.handling_minutes + EXCLUDED.handling_minutes
$$;

CREATE FUNCTION eval_apply_workload(ids bigint[], sign integer) RETURNS void LANGUAGE sql AS $$
WITH ev AS (
    SELECT f.* FROM eval_event_facts f WHERE f.event_id = ANY(ids)
), counted AS (
    SELECT county_code, township_code, category_code, channel, level, reported_day AS day, 1 AS reported,
           0 AS accepted FROM ev
    UNION ALL
    SELECT county_code, township_code, category_code, channel, level, accepted_day, 0, 1 FROM ev
    WHERE accepted_day IS NOT NULL
)
INSERT INTO eval_workload AS w (bucket, bucket_start, county_code, township_code, category_code, channel, level,
                                reported, accepted)
SELECT k.bucket, k.bucket_start, c.county_code, c.township_code, c.category_code, c.channel, c.level,
       sign * sum(c.reported), sign * sum(c.accepted)
FROM counted c CROSS JOIN LATERAL (VALUES ('m', date_trunc('month', c.day)::date),
                                          ('y', date_trunc('year', c.day)::date)) k(bucket, bucket_start)
GROUP BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (bucket, bucket_start, county_code, township_code, category_code, channel, level) DO UPDATE SET
    reported = w.reported + EXCLUDED.reported, accepted = w.accepted + EXCLUDED.accepted
$$;

-- the events' contributions out, their facts recomputed, the new contributions in
CREATE FUNCTION eval_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM eval_apply(ids, -1);
    PERFORM eval_apply_workload(ids, -1);
    DELETE FROM eval_task_facts WHERE event_id = ANY(ids);
    DELETE FROM eval_event_facts WHERE event_id = ANY(ids);
    PERFORM eval_compute_facts(ids);
    PERFORM eval_apply(ids, 1);
    PERFORM eval_apply_workload(ids, 1);
END $$;

-- fold up to max_events dirty events into the roll-ups; one folder at a time; returns how many
CREATE FUNCTION eval_fold(max_events integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM eval_dirty) THEN
        RETURN 0;  -- nothing pending: readers do not queue on the lock
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gisapp.eval_fold'));
    WITH claimed AS (
        DELETE FROM eval_dirty WHERE event_id IN (
            SELECT event_id FROM eval_dirty ORDER BY event_id LIMIT max_events FOR UPDATE SKIP LOCKED)
        RETURNING event_id)
    SELECT array_agg(event_id) INTO ids FROM claimed;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM eval_refresh(ids);
    RETURN cardinality(ids);
END $$;

-- mark the events a statement changed (transition tables: one insert per statement, also for COPY)
CREATE FUNCTION eval_mark_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO eval_dirty (event_id) SELECT DISTINCT id FROM changed ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION eval_mark_related() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO eval_dirty (event_id) SELECT DISTINCT event_id FROM changed ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER eval_events_inserted AFTER INSERT ON events REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_events();
CREATE TRIGGER eval_events_updated AFTER UPDATE ON events REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_events();
CREATE TRIGGER eval_tasks_inserted AFTER INSERT ON event_tasks REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_related();
CREATE TRIGGER eval_tasks_updated AFTER UPDATE ON event_tasks REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_related();
CREATE TRIGGER eval_log_inserted AFTER INSERT ON event_log REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_related();
CREATE TRIGGER eval_supervisions_inserted AFTER INSERT ON supervisions REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION eval_mark_related();
