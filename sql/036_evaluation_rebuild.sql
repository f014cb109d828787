-- eval_rebuild() at province scale (docs/benchmarks-evaluation.md): the same facts and roll-ups as the
-- incremental fold of sql/034, computed set-wise.
--
-- Why: on 300,000 synthetic events a first rebuild, written as the fold over every event, ran for minutes and
-- grew worse than linearly.
--   1. The facts counted each event's supervision records with a subquery on supervisions.event_id, then
--      without an index: a sequential scan of supervisions per event (sql/034 now indexes it).
--   2. That rebuild went through the incremental path: every event's contribution to each unit holding it
--      (four areas, its teams or departments, its members), once on the report day and once on the acceptance
--      day, multiplied by the three buckets, materialised twice (roll-ups and late closures) and grouped with
--      the default 4MB of work_mem: 27 rows per event spilled to disk, ~2 GB of temporary files per 300,000.
-- What changes: eval_rebuild() computes the facts with one grouped pass
-- over each table (hash joins instead of per-event subqueries), and the roll-ups with GROUPING SETS over one
-- row per event (areas) or per event and unit (teams, departments, members): every bucket and level in one
-- aggregation, the closures judged per bucket with a flag per event; year rows of the workload are summed from
-- its month rows; work_mem is raised for the rebuild's own transaction. The incremental fold (eval_fold,
-- eval_refresh, eval_apply) is unchanged and gives the same rows (tests/demo/test_history.py,
-- tests/services/evaluation/test_figures.py).

-- every event's and task's facts, each table read once (the definitions of eval_compute_facts, sql/034)
CREATE FUNCTION eval_compute_all_facts() RETURNS void LANGUAGE sql AS $$
INSERT INTO eval_event_facts
SELECT e.id, e.county_code, e.township_code, e.community_code, e.grid_code, e.category_code, e.channel, e.level,
       eval_day(e.created_at),
       CASE WHEN e.status NOT IN ('reported', 'voided') THEN eval_day(COALESCE(l.accepted_at, e.created_at)) END,
       CASE WHEN e.status = 'closed' THEN eval_day(e.closed_at) END,
       e.status = 'closed' AND COALESCE(h.all_on_time, false),
       COALESCE(l.handled, false),
       e.rework > 0,
       COALESCE(l.extended, false),
       e.rating IS NOT NULL,
       e.rating IS NOT NULL AND e.rating IN ('satisfied', 'basically_satisfied'),
       e.channel = 'patrol',
       e.channel = 'patrol' AND own.event_id IS NOT NULL,
       e.repeat_of IS NOT NULL,
       COALESCE(s.n, 0)
FROM events e
LEFT JOIN (SELECT event_id, min(at) FILTER (WHERE action = 'accept') AS accepted_at,
                  bool_or(action = 'handle') AS handled, bool_or(action = 'approve_extension') AS extended
           FROM event_log WHERE action IN ('accept', 'handle', 'approve_extension') GROUP BY event_id) l
       ON l.event_id = e.id
LEFT JOIN (SELECT event_id, bool_and(handled_on_time IS TRUE) AS all_on_time FROM event_tasks
           WHERE kind = 'handle' AND status = 'handled' GROUP BY event_id) h ON h.event_id = e.id
LEFT JOIN (SELECT event_id, count(*) AS n FROM supervisions GROUP BY event_id) s ON s.event_id = e.id
-- the reporter's team (an account is one member's, a username one account's) and whether it handled the event
LEFT JOIN (SELECT 'user:' || u.username AS submitted_by, m.team_code FROM users u
           JOIN members m ON m.code = u.member_code) r ON r.submitted_by = e.submitted_by
LEFT JOIN (SELECT DISTINCT event_id, team_code FROM event_tasks
           WHERE kind = 'handle' AND status = 'handled' AND team_code IS NOT NULL) own
       ON own.event_id = e.id AND own.team_code = r.team_code;

INSERT INTO eval_task_facts
SELECT t.id, t.event_id, CASE WHEN t.team_code IS NOT NULL THEN 'team' ELSE 'department' END,
       COALESCE(t.team_code, t.department_code), COALESCE(t.member_code, t.handled_by), t.kind,
       t.acknowledged_on_time IS TRUE, t.status = 'returned', t.kind = 'handle' AND t.status <> 'returned',
       t.kind = 'handle' AND t.status = 'handled', t.kind = 'handle' AND t.status = 'handled' AND t.handled_on_time IS TRUE,
       CASE WHEN t.kind = 'handle' AND t.status NOT IN ('handled', 'returned') THEN t.open_due END,
       o.task_id IS NOT NULL,
       CASE WHEN t.acknowledged_at IS NOT NULL THEN t.response_work_minutes END,
       CASE WHEN t.status = 'handled' THEN t.handling_work_minutes END
FROM event_tasks t
LEFT JOIN (SELECT DISTINCT task_id FROM supervisions WHERE state = 'overdue') o ON o.task_id = t.id;
$$;

-- the end of the day, month and year bucket a day falls in
CREATE FUNCTION eval_bucket_end(bucket char, day date) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE bucket WHEN 'd' THEN day + 1
                       WHEN 'm' THEN (date_trunc('month', day) + interval '1 month')::date
                       ELSE (date_trunc('year', day) + interval '1 year')::date END
$$;

-- One contribution row per event (areas) or per event and unit (teams, departments, members): "reported" on
-- the report day, everything else on the acceptance day, with "closed before the end of its day / month /
-- year bucket" as flags. The roll-ups group these rows by GROUPING SETS.
CREATE VIEW eval_rebuild_event_rows AS
SELECT f.event_id, f.county_code, f.township_code, f.community_code, f.grid_code, f.reported_day AS day,
       1 AS reported, 0 AS accepted, 0 AS closed_d, 0 AS closed_m, 0 AS closed_y, 0 AS on_time_d, 0 AS on_time_m,
       0 AS on_time_y, 0 AS handled_once, 0 AS reworked, 0 AS extended, 0 AS rated, 0 AS satisfied, 0 AS patrol,
       0 AS self_handled, 0 AS repeats, 0 AS supervisions, false AS counts_tasks
FROM eval_event_facts f
UNION ALL
SELECT f.event_id, f.county_code, f.township_code, f.community_code, f.grid_code, f.accepted_day, 0, 1,
       COALESCE(f.closed_day < eval_bucket_end('d', f.accepted_day), false)::int,  -- closed_day NULL: not closed
       COALESCE(f.closed_day < eval_bucket_end('m', f.accepted_day), false)::int,
       COALESCE(f.closed_day < eval_bucket_end('y', f.accepted_day), false)::int,
       COALESCE(f.closed_on_time AND f.closed_day < eval_bucket_end('d', f.accepted_day), false)::int,
       COALESCE(f.closed_on_time AND f.closed_day < eval_bucket_end('m', f.accepted_day), false)::int,
       COALESCE(f.closed_on_time AND f.closed_day < eval_bucket_end('y', f.accepted_day), false)::int,
       f.handled_once::int, f.reworked::int, f.extended::int, f.rated::int, f.satisfied::int, f.patrol::int,
       f.self_handled::int, f.repeats::int, f.supervisions, true
FROM eval_event_facts f WHERE f.accepted_day IS NOT NULL;

CREATE FUNCTION eval_rebuild_rollups() RETURNS void LANGUAGE sql AS $$
-- areas: the event's rows with all its tasks; county and township rows are the same groups
WITH tk AS (
    SELECT event_id, count(*) AS tasks_dispatched, count(*) FILTER (WHERE responded_on_time) AS tasks_responded_on_time,
           count(*) FILTER (WHERE returned) AS tasks_returned, count(*) FILTER (WHERE handle_task) AS handle_tasks,
           count(*) FILTER (WHERE handled) AS handle_handled, count(*) FILTER (WHERE handled_on_time) AS handle_on_time,
           count(*) FILTER (WHERE overdue) AS tasks_overdue, count(response_minutes) AS response_n,
           COALESCE(sum(response_minutes), 0) AS response_minutes, count(handling_minutes) AS handling_n,
           COALESCE(sum(handling_minutes), 0) AS handling_minutes
    FROM eval_task_facts GROUP BY event_id
), rows AS (
    SELECT r.*, date_trunc('month', r.day)::date AS month, date_trunc('year', r.day)::date AS year,
           CASE WHEN r.counts_tasks THEN tk.tasks_dispatched ELSE 0 END AS tasks_dispatched,
           CASE WHEN r.counts_tasks THEN tk.tasks_responded_on_time ELSE 0 END AS tasks_responded_on_time,
           CASE WHEN r.counts_tasks THEN tk.tasks_returned ELSE 0 END AS tasks_returned,
           CASE WHEN r.counts_tasks THEN tk.handle_tasks ELSE 0 END AS handle_tasks,
           CASE WHEN r.counts_tasks THEN tk.handle_handled ELSE 0 END AS handle_handled,
           CASE WHEN r.counts_tasks THEN tk.handle_on_time ELSE 0 END AS handle_on_time,
           CASE WHEN r.counts_tasks THEN tk.tasks_overdue ELSE 0 END AS tasks_overdue,
           CASE WHEN r.counts_tasks THEN tk.response_n ELSE 0 END AS response_n,
           CASE WHEN r.counts_tasks THEN tk.response_minutes ELSE 0 END AS response_minutes,
           CASE WHEN r.counts_tasks THEN tk.handling_n ELSE 0 END AS handling_n,
           CASE WHEN r.counts_tasks THEN tk.handling_minutes ELSE 0 END AS handling_minutes
    FROM eval_rebuild_event_rows r LEFT JOIN tk USING (event_id)
), grouped AS (
    SELECT county_code, township_code, community_code, grid_code, day, month, year,
           sum(reported) AS reported, sum(accepted) AS accepted, sum(closed_d) AS closed_d, sum(closed_m) AS closed_m,
           sum(closed_y) AS closed_y, sum(on_time_d) AS on_time_d, sum(on_time_m) AS on_time_m,
           sum(on_time_y) AS on_time_y, sum(handled_once) AS handled_once, sum(reworked) AS reworked,
           sum(extended) AS extended, sum(rated) AS rated, sum(satisfied) AS satisfied, sum(patrol) AS patrol,
           sum(self_handled) AS self_handled, sum(repeats) AS repeats, sum(supervisions) AS supervisions,
           sum(tasks_dispatched) AS tasks_dispatched, sum(tasks_responded_on_time) AS tasks_responded_on_time,
           sum(tasks_returned) AS tasks_returned, sum(handle_tasks) AS handle_tasks,
           sum(handle_handled) AS handle_handled, sum(handle_on_time) AS handle_on_time,
           sum(tasks_overdue) AS tasks_overdue, sum(response_n) AS response_n, sum(response_minutes) AS response_minutes,
           sum(handling_n) AS handling_n, sum(handling_minutes) AS handling_minutes
    FROM rows
    GROUP BY GROUPING SETS ((county_code, township_code, day), (county_code, township_code, month),
                            (county_code, township_code, year), (county_code, township_code, community_code, month),
                            (county_code, township_code, community_code, year),
                            (county_code, township_code, grid_code, month), (county_code, township_code, grid_code, year))
)
INSERT INTO eval_rollup (scope_kind, bucket, bucket_start, county_code, township_code, code,
    reported, accepted, closed, closed_on_time, handled_once, reworked, extended, rated, satisfied, patrol,
    self_handled, repeats, supervisions, tasks_dispatched, tasks_responded_on_time, tasks_returned, handle_tasks,
    handle_handled, handle_on_time, tasks_overdue, response_n, response_minutes, handling_n, handling_minutes)
SELECT s.scope_kind, k.bucket, k.bucket_start, g.county_code, g.township_code, s.code, g.reported, g.accepted,
       CASE k.bucket WHEN 'd' THEN g.closed_d WHEN 'm' THEN g.closed_m ELSE g.closed_y END,
       CASE k.bucket WHEN 'd' THEN g.on_time_d WHEN 'm' THEN g.on_time_m ELSE g.on_time_y END,
       g.handled_once, g.reworked, g.extended, g.rated, g.satisfied, g.patrol, g.self_handled, g.repeats,
       g.supervisions, g.tasks_dispatched, g.tasks_responded_on_time, g.tasks_returned, g.handle_tasks,
       g.handle_handled, g.handle_on_time, g.tasks_overdue, g.response_n, g.response_minutes, g.handling_n,
       g.handling_minutes
FROM grouped g
CROSS JOIN LATERAL (SELECT CASE WHEN g.day IS NOT NULL THEN 'd' WHEN g.month IS NOT NULL THEN 'm' ELSE 'y' END,
                           COALESCE(g.day, g.month, g.year)) k(bucket, bucket_start)
CROSS JOIN LATERAL (
    SELECT 'grid', g.grid_code::text WHERE g.grid_code IS NOT NULL
    UNION ALL SELECT 'community', g.community_code::text WHERE g.community_code IS NOT NULL
    UNION ALL SELECT 'county', g.county_code::text WHERE g.grid_code IS NULL AND g.community_code IS NULL
    UNION ALL SELECT 'township', g.township_code::text WHERE g.grid_code IS NULL AND g.community_code IS NULL
) s(scope_kind, code);

-- teams, departments (with days) and members: the event's rows with the unit's own tasks
WITH units AS (
    SELECT event_id, unit_kind AS scope_kind, unit_code AS code, count(*) AS tasks_dispatched,
           count(*) FILTER (WHERE responded_on_time) AS tasks_responded_on_time,
           count(*) FILTER (WHERE returned) AS tasks_returned, count(*) FILTER (WHERE handle_task) AS handle_tasks,
           count(*) FILTER (WHERE handled) AS handle_handled, count(*) FILTER (WHERE handled_on_time) AS handle_on_time,
           count(*) FILTER (WHERE overdue) AS tasks_overdue, count(response_minutes) AS response_n,
           COALESCE(sum(response_minutes), 0) AS response_minutes, count(handling_minutes) AS handling_n,
           COALESCE(sum(handling_minutes), 0) AS handling_minutes
    FROM eval_task_facts GROUP BY event_id, unit_kind, unit_code
    UNION ALL
    SELECT event_id, 'member', member_code, count(*), count(*) FILTER (WHERE responded_on_time),
           count(*) FILTER (WHERE returned), count(*) FILTER (WHERE handle_task), count(*) FILTER (WHERE handled),
           count(*) FILTER (WHERE handled_on_time), count(*) FILTER (WHERE overdue), count(response_minutes),
           COALESCE(sum(response_minutes), 0), count(handling_minutes), COALESCE(sum(handling_minutes), 0)
    FROM eval_task_facts WHERE member_code IS NOT NULL GROUP BY event_id, member_code
), rows AS (
    SELECT u.scope_kind, u.code, r.county_code, r.township_code, r.reported, r.accepted, r.closed_d, r.closed_m,
           r.closed_y, r.on_time_d, r.on_time_m, r.on_time_y, r.handled_once, r.reworked, r.extended, r.rated,
           r.satisfied, r.patrol, r.self_handled, r.repeats, r.supervisions,
           CASE WHEN u.scope_kind = 'department' THEN r.day END AS day,
           date_trunc('month', r.day)::date AS month, date_trunc('year', r.day)::date AS year,
           CASE WHEN r.counts_tasks THEN u.tasks_dispatched ELSE 0 END AS tasks_dispatched,
           CASE WHEN r.counts_tasks THEN u.tasks_responded_on_time ELSE 0 END AS tasks_responded_on_time,
           CASE WHEN r.counts_tasks THEN u.tasks_returned ELSE 0 END AS tasks_returned,
           CASE WHEN r.counts_tasks THEN u.handle_tasks ELSE 0 END AS handle_tasks,
           CASE WHEN r.counts_tasks THEN u.handle_handled ELSE 0 END AS handle_handled,
           CASE WHEN r.counts_tasks THEN u.handle_on_time ELSE 0 END AS handle_on_time,
           CASE WHEN r.counts_tasks THEN u.tasks_overdue ELSE 0 END AS tasks_overdue,
           CASE WHEN r.counts_tasks THEN u.response_n ELSE 0 END AS response_n,
           CASE WHEN r.counts_tasks THEN u.response_minutes ELSE 0 END AS response_minutes,
           CASE WHEN r.counts_tasks THEN u.handling_n ELSE 0 END AS handling_n,
           CASE WHEN r.counts_tasks THEN u.handling_minutes ELSE 0 END AS handling_minutes
    FROM units u JOIN eval_rebuild_event_rows r USING (event_id)
), grouped AS (
    SELECT GROUPING(day, month, year) AS set_of, scope_kind, code, county_code, township_code, day, month, year,
           sum(reported) AS reported, sum(accepted) AS accepted, sum(closed_d) AS closed_d, sum(closed_m) AS closed_m,
           sum(closed_y) AS closed_y, sum(on_time_d) AS on_time_d, sum(on_time_m) AS on_time_m,
           sum(on_time_y) AS on_time_y, sum(handled_once) AS handled_once, sum(reworked) AS reworked,
           sum(extended) AS extended, sum(rated) AS rated, sum(satisfied) AS satisfied, sum(patrol) AS patrol,
           sum(self_handled) AS self_handled, sum(repeats) AS repeats, sum(supervisions) AS supervisions,
           sum(tasks_dispatched) AS tasks_dispatched, sum(tasks_responded_on_time) AS tasks_responded_on_time,
           sum(tasks_returned) AS tasks_returned, sum(handle_tasks) AS handle_tasks,
           sum(handle_handled) AS handle_handled, sum(handle_on_time) AS handle_on_time,
           sum(tasks_overdue) AS tasks_overdue, sum(response_n) AS response_n, sum(response_minutes) AS response_minutes,
           sum(handling_n) AS handling_n, sum(handling_minutes) AS handling_minutes
    FROM rows
    GROUP BY GROUPING SETS ((scope_kind, code, county_code, township_code, day),
                            (scope_kind, code, county_code, township_code, month),
                            (scope_kind, code, county_code, township_code, year))
)
INSERT INTO eval_rollup (scope_kind, bucket, bucket_start, county_code, township_code, code,
    reported, accepted, closed, closed_on_time, handled_once, reworked, extended, rated, satisfied, patrol,
    self_handled, repeats, supervisions, tasks_dispatched, tasks_responded_on_time, tasks_returned, handle_tasks,
    handle_handled, handle_on_time, tasks_overdue, response_n, response_minutes, handling_n, handling_minutes)
SELECT g.scope_kind, k.bucket, k.bucket_start, g.county_code, g.township_code, g.code, g.reported, g.accepted,
       CASE k.bucket WHEN 'd' THEN g.closed_d WHEN 'm' THEN g.closed_m ELSE g.closed_y END,
       CASE k.bucket WHEN 'd' THEN g.on_time_d WHEN 'm' THEN g.on_time_m ELSE g.on_time_y END,
       g.handled_once, g.reworked, g.extended, g.rated, g.satisfied, g.patrol, g.self_handled, g.repeats,
       g.supervisions, g.tasks_dispatched, g.tasks_responded_on_time, g.tasks_returned, g.handle_tasks,
       g.handle_handled, g.handle_on_time, g.tasks_overdue, g.response_n, g.response_minutes, g.handling_n,
       g.handling_minutes
FROM grouped g
CROSS JOIN LATERAL (SELECT CASE g.set_of WHEN 3 THEN 'd' WHEN 5 THEN 'm' ELSE 'y' END,
                           COALESCE(g.day, g.month, g.year)) k(bucket, bucket_start)
WHERE g.set_of <> 3 OR g.day IS NOT NULL;  -- days are kept for departments only
$$;

-- closures after the end of their cohort's bucket, by closing day (eval_late_closures), the same way
CREATE FUNCTION eval_rebuild_late_closures() RETURNS void LANGUAGE sql AS $$
WITH holders AS (
    SELECT event_id, 'area' AS scope_kind, NULL::text AS code FROM eval_event_facts
    WHERE accepted_day IS NOT NULL AND closed_day IS NOT NULL
    UNION ALL
    SELECT DISTINCT event_id, unit_kind, unit_code FROM eval_task_facts
    UNION ALL
    SELECT DISTINCT event_id, 'member', member_code FROM eval_task_facts WHERE member_code IS NOT NULL
), closed AS (
    SELECT h.scope_kind, h.code, f.county_code, f.township_code, f.community_code, f.grid_code, f.closed_on_time,
           CASE WHEN h.scope_kind IN ('area', 'department') THEN f.accepted_day END AS day,
           date_trunc('month', f.accepted_day)::date AS month, date_trunc('year', f.accepted_day)::date AS year,
           CASE WHEN f.closed_day >= eval_bucket_end('d', f.accepted_day) THEN f.closed_day END AS late_d,
           CASE WHEN f.closed_day >= eval_bucket_end('m', f.accepted_day) THEN f.closed_day END AS late_m,
           CASE WHEN f.closed_day >= eval_bucket_end('y', f.accepted_day) THEN f.closed_day END AS late_y
    FROM holders h JOIN eval_event_facts f USING (event_id)
    WHERE f.accepted_day IS NOT NULL AND f.closed_day IS NOT NULL
), grouped AS (
    SELECT GROUPING(day, month, year) AS set_of, GROUPING(code, community_code, grid_code) AS level,
           scope_kind, code, county_code, township_code, community_code, grid_code, day, month, year,
           COALESCE(late_d, late_m, late_y) AS closed_day, count(*) AS n, count(*) FILTER (WHERE closed_on_time) AS n_on_time
    FROM closed
    GROUP BY GROUPING SETS ((scope_kind, code, county_code, township_code, day, late_d),
                            (scope_kind, code, county_code, township_code, month, late_m),
                            (scope_kind, code, county_code, township_code, year, late_y),
                            (scope_kind, county_code, township_code, community_code, month, late_m),
                            (scope_kind, county_code, township_code, community_code, year, late_y),
                            (scope_kind, county_code, township_code, grid_code, month, late_m),
                            (scope_kind, county_code, township_code, grid_code, year, late_y))
)
INSERT INTO eval_late_closures (scope_kind, bucket, bucket_start, county_code, township_code, code, closed_day,
                                n, n_on_time)
SELECT s.scope_kind, k.bucket, k.bucket_start, g.county_code, g.township_code, s.code, g.closed_day, g.n, g.n_on_time
FROM grouped g
CROSS JOIN LATERAL (SELECT CASE g.set_of WHEN 3 THEN 'd' WHEN 5 THEN 'm' ELSE 'y' END,
                           COALESCE(g.day, g.month, g.year)) k(bucket, bucket_start)
CROSS JOIN LATERAL (  -- level 3: units, or the county and township of area rows; 5: communities; 6: grids
    SELECT g.scope_kind, g.code WHERE g.level = 3 AND g.scope_kind <> 'area'
    UNION ALL SELECT 'county', g.county_code::text WHERE g.level = 3 AND g.scope_kind = 'area'
    UNION ALL SELECT 'township', g.township_code::text WHERE g.level = 3 AND g.scope_kind = 'area'
    UNION ALL SELECT 'community', g.community_code::text WHERE g.level = 5 AND g.scope_kind = 'area'
    UNION ALL SELECT 'grid', g.grid_code::text WHERE g.level = 6 AND g.scope_kind = 'area'
) s(scope_kind, code)
WHERE g.closed_day IS NOT NULL               -- closed after its bucket's end
  AND (g.set_of <> 3 OR g.day IS NOT NULL);  -- days are kept for areas' county and township, and departments
$$;

-- the workload by month, and each year as the sum of its months
CREATE FUNCTION eval_rebuild_workload() RETURNS void LANGUAGE sql AS $$
INSERT INTO eval_workload (bucket, bucket_start, county_code, township_code, category_code, channel, level,
                           reported, accepted)
SELECT 'm', date_trunc('month', r.day)::date, f.county_code, f.township_code, f.category_code, f.channel, f.level,
       sum(r.reported), sum(r.accepted)
FROM eval_rebuild_event_rows r JOIN eval_event_facts f USING (event_id)
GROUP BY 2, 3, 4, 5, 6, 7;

INSERT INTO eval_workload (bucket, bucket_start, county_code, township_code, category_code, channel, level,
                           reported, accepted)
SELECT 'y', date_trunc('year', bucket_start)::date, county_code, township_code, category_code, channel, level,
       sum(reported), sum(accepted)
FROM eval_workload WHERE bucket = 'm'
GROUP BY 2, 3, 4, 5, 6, 7;
$$;

CREATE FUNCTION eval_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('gisapp.eval_fold'));
    PERFORM set_config('work_mem', '256MB', true);  -- this transaction only: the groupings stay in memory
    TRUNCATE eval_rollup, eval_late_closures, eval_workload, eval_task_facts, eval_event_facts, eval_dirty;
    PERFORM eval_compute_all_facts();
    ANALYZE eval_event_facts;
    ANALYZE eval_task_facts;
    PERFORM eval_rebuild_rollups();
    PERFORM eval_rebuild_late_closures();
    PERFORM eval_rebuild_workload();
    RETURN (SELECT count(*) FROM eval_event_facts);
END $$;

-- the roll-ups of the events the database already holds (the dirty queue carries what comes after)
SELECT eval_rebuild();
