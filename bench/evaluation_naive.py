"""The anchor of the evaluation benchmark: the same figures by a plain GROUP BY over the rows, no roll-ups.

What a developer would write without sql/034: take the events of the scope's units in the caller's area,
work out each event's acceptance day from its log, keep the cohort of the period and count, joining
event_tasks for the task figures; the log, the supervision records and the reporter's team are looked up
per event with correlated subqueries (each on an index). The definitions are those of the evaluation
facts (sql/034 eval_compute_facts, eval_contributions) and of `gisapp.services.evaluation.figures.measures`:
a unit holds an event when one of the event's tasks is the unit's (teams, departments, members), an area
holds the events inside it; "reported" counts on the report day, everything else on the acceptance day.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import text

from gisapp.domain.evaluation import AS_OF_MEASURES, MEASURES, Period, ScopeKind

TZ = ZoneInfo("Asia/Shanghai")
LOCAL = "AT TIME ZONE 'Asia/Shanghai')::date"

# the events each unit of the scope holds (code, event id), in the caller's area
HELD = {
    ScopeKind.COUNTY: "SELECT e.county_code AS code, e.id FROM events e WHERE e.{area} = :area "
    "AND e.county_code = ANY(:codes)",
    ScopeKind.TOWNSHIP: "SELECT e.township_code AS code, e.id FROM events e WHERE e.{area} = :area "
    "AND e.township_code = ANY(:codes)",
    ScopeKind.COMMUNITY: "SELECT e.community_code AS code, e.id FROM events e WHERE e.{area} = :area "
    "AND e.community_code = ANY(:codes)",
    ScopeKind.GRID: "SELECT e.grid_code AS code, e.id FROM events e WHERE e.{area} = :area "
    "AND e.grid_code = ANY(:codes)",
    ScopeKind.TEAM: "SELECT DISTINCT t.team_code AS code, e.id FROM event_tasks t JOIN events e ON e.id = t.event_id "
    "WHERE e.{area} = :area AND t.team_code = ANY(:codes)",
    ScopeKind.DEPARTMENT: "SELECT DISTINCT t.department_code AS code, e.id FROM event_tasks t "
    "JOIN events e ON e.id = t.event_id "
    "WHERE e.{area} = :area AND t.department_code = ANY(:codes)",
    ScopeKind.MEMBER: "SELECT DISTINCT COALESCE(t.member_code, t.handled_by) AS code, e.id FROM event_tasks t "
    "JOIN events e ON e.id = t.event_id WHERE e.{area} = :area "
    "AND COALESCE(t.member_code, t.handled_by) = ANY(:codes)",
}
# which of an event's tasks count for the unit (area scopes: all of them)
MINE = {
    ScopeKind.TEAM: "t.team_code = c.code",
    ScopeKind.DEPARTMENT: "t.department_code = c.code",
    ScopeKind.MEMBER: "COALESCE(t.member_code, t.handled_by) = c.code",
}

NAIVE_SQL = """
WITH held AS ({held}),
ev AS (
    SELECT h.code, e.id, e.status, e.channel, e.rework, e.rating, e.repeat_of, e.submitted_by, e.closed_at,
           e.created_at,
           CASE WHEN e.status NOT IN ('reported', 'voided') THEN (COALESCE(
               (SELECT min(l.at) FROM event_log l WHERE l.event_id = e.id AND l.action = 'accept'),
               e.created_at) {local} END AS accepted_day
    FROM held h JOIN events e ON e.id = h.id
    WHERE e.created_at < :end_at  -- accepted on or after the report
),
cohort AS (SELECT * FROM ev WHERE accepted_day >= :start AND accepted_day < :end),
reported AS (SELECT code, count(*) AS reported FROM ev WHERE created_at >= :start_at GROUP BY code),
event_sums AS (
    SELECT c.code, count(*) AS accepted,
           count(*) FILTER (WHERE c.status = 'closed' AND (c.closed_at {local} < :end) AS closed,
           count(*) FILTER (WHERE c.status = 'closed' AND (c.closed_at {local} < :end
               AND EXISTS (SELECT 1 FROM event_tasks t WHERE t.event_id = c.id AND t.kind = 'handle'
                           AND t.status = 'handled')
               AND NOT EXISTS (SELECT 1 FROM event_tasks t WHERE t.event_id = c.id AND t.kind = 'handle'
                               AND t.status = 'handled' AND t.handled_on_time IS NOT TRUE)) AS closed_on_time,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = c.id
                                          AND l.action = 'handle')) AS handled_once,
           count(*) FILTER (WHERE c.rework > 0) AS reworked,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = c.id
                                          AND l.action = 'approve_extension')) AS extended,
           count(c.rating) AS rated,
           count(*) FILTER (WHERE c.rating IN ('satisfied', 'basically_satisfied')) AS satisfied,
           count(*) FILTER (WHERE c.channel = 'patrol') AS patrol,
           count(*) FILTER (WHERE c.channel = 'patrol' AND EXISTS (
               SELECT 1 FROM event_tasks t JOIN members m ON m.team_code = t.team_code
               JOIN users u ON u.member_code = m.code
               WHERE t.event_id = c.id AND t.kind = 'handle' AND t.status = 'handled'
                 AND c.submitted_by = 'user:' || u.username)) AS self_handled,
           count(c.repeat_of) AS repeats,
           sum((SELECT count(*) FROM event_tasks t JOIN supervisions s ON s.task_id = t.id
                WHERE t.event_id = c.id)) AS supervisions
    FROM cohort c GROUP BY c.code
),
task_sums AS (
    SELECT c.code, count(*) AS tasks_dispatched,
           count(*) FILTER (WHERE t.acknowledged_on_time) AS tasks_responded_on_time,
           count(*) FILTER (WHERE t.status = 'returned') AS tasks_returned,
           count(*) FILTER (WHERE t.kind = 'handle' AND t.status <> 'returned') AS handle_tasks,
           count(*) FILTER (WHERE t.kind = 'handle' AND t.status = 'handled') AS handle_handled,
           count(*) FILTER (WHERE t.kind = 'handle' AND t.status = 'handled' AND t.handled_on_time) AS handle_on_time,
           count(*) FILTER (WHERE t.kind = 'handle' AND t.status NOT IN ('handled', 'returned')
                            AND t.open_due < :asof) AS open_due,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM supervisions s WHERE s.task_id = t.id
                                          AND s.state = 'overdue')) AS tasks_overdue,
           count(t.response_work_minutes) FILTER (WHERE t.acknowledged_at IS NOT NULL) AS response_n,
           COALESCE(sum(t.response_work_minutes) FILTER (WHERE t.acknowledged_at IS NOT NULL), 0) AS response_minutes,
           count(t.handling_work_minutes) FILTER (WHERE t.status = 'handled') AS handling_n,
           COALESCE(sum(t.handling_work_minutes) FILTER (WHERE t.status = 'handled'), 0) AS handling_minutes
    FROM cohort c JOIN event_tasks t ON t.event_id = c.id AND {mine}
    GROUP BY c.code
)
SELECT * FROM reported r
FULL JOIN event_sums s USING (code)
FULL JOIN task_sums k USING (code)
"""


def naive_sql(scope: ScopeKind, area_column: str) -> str:
    """The anchor's SQL for a scope, in an area given by its column (county_code or township_code)."""
    return NAIVE_SQL.format(held=HELD[scope].format(area=area_column), local=LOCAL, mine=MINE.get(scope, "true"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


def naive_measures(session, area, scope: ScopeKind, codes: list[str], period: Period, now: datetime) -> dict[str, dict]:
    """{code: {measure: value}} as `measures` gives them, counted from the rows."""
    asof = min(_midnight(period.end), now)
    rows = session.execute(
        text(naive_sql(scope, area.column)),
        {
            "area": area.code,
            "codes": codes,
            "start": period.start,
            "end": period.end,
            "start_at": _midnight(period.start),
            "end_at": _midnight(period.end),
            "asof": asof,
        },
    ).mappings()
    out = {c: dict.fromkeys((*MEASURES, *AS_OF_MEASURES), 0) for c in codes}
    for row in rows:
        values = out[row["code"]]
        for name in MEASURES:
            if row.get(name) is not None:
                values[name] = float(row[name]) if name.endswith("minutes") else int(row[name])
        values["closed_by_to"], values["closed_on_time_by_to"] = values["closed"], values["closed_on_time"]
        values["handle_due"] = values["handle_handled"] + int(row["open_due"] or 0)
    return out
