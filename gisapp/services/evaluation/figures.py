"""Evaluation figures (clause 8) from the roll-ups: fold pending changes, add up buckets, trace figures to events.

The roll-ups (sql/034) hold, per scope unit and day/month/year bucket, the measures the figures are
ratios of (gisapp.domain.evaluation.KPIS). A period is cut into the fewest buckets; what depends on
the end of the period ("closed by min(to, now)", "due by min(to, now)") is added from the late-closure
table and the unhandled tasks; stretches of a period that no bucket of a fine scope covers are read
from the facts. Every figure can be traced to the events behind it (`drill`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.areas import AreaCode, Level
from gisapp.domain.evaluation import COUNTY_TZ, DAILY_SCOPES, KPI_BY_KEY, MEASURES, Period, ScopeKind, buckets, figures
from gisapp.domain.security import Binding
from gisapp.errors import Forbidden, NotFound, ValidationFailed
from gisapp.services.access.accounts import Account

TZ = COUNTY_TZ
FOLD_BATCH = 5000


@dataclass(frozen=True)
class Area:
    """The part of the county a caller evaluates: its county, or its township."""

    column: str  # "county_code" or "township_code"
    code: str

    @property
    def is_county(self) -> bool:
        return self.column == "county_code"


AREA_COLUMNS = {Binding.COUNTY: "county_code", Binding.TOWNSHIP: "township_code"}


def area_of(account: Account | None) -> Area:
    """The caller's area: its county (county commander, auditor) or its township (dispatcher)."""
    column = AREA_COLUMNS.get(account.binding) if account is not None else None
    if column is None:
        raise Forbidden("evaluation and analysis are of a county or a township; this account is bound to neither")
    return Area(column, account.bound_to)


def folded(session: Session) -> Session:
    """The session after folding every committed step into the roll-ups (and committing): figures exact."""
    fold(session)
    session.commit()
    return session


def fold(session: Session, *, batch: int = FOLD_BATCH) -> int:
    """Fold every pending change into the roll-ups (in the caller's transaction); how many events."""
    total = 0
    while True:
        done = session.execute(text("SELECT eval_fold(:n)"), {"n": batch}).scalar_one()
        total += done
        if done < batch:
            return total


def rebuild(session: Session) -> int:
    """Recompute every fact and roll-up from the rows; how many events."""
    return session.execute(text("SELECT eval_rebuild()")).scalar_one()


# ----------------------------------------------------------------------------- the units of a scope

DIRECTORY = {
    ScopeKind.COUNTY: "SELECT code, name FROM counties WHERE code LIKE :prefix || '%'",
    ScopeKind.TOWNSHIP: "SELECT code, name FROM townships WHERE code LIKE :prefix || '%'",
    ScopeKind.COMMUNITY: "SELECT code, name FROM communities WHERE code LIKE :prefix || '%'",
    ScopeKind.GRID: "SELECT code, name FROM grids WHERE code LIKE :prefix || '%'",
    ScopeKind.TEAM: "SELECT t.code, t.name FROM teams t WHERE t.grid_code LIKE :prefix || '%'",
    ScopeKind.MEMBER: "SELECT m.code, m.name FROM members m JOIN teams t ON t.code = m.team_code "
    "WHERE t.grid_code LIKE :prefix || '%'",
    ScopeKind.DEPARTMENT: "SELECT code, name FROM departments WHERE county_code = area_county(:prefix)",
}


def units(session: Session, area: Area, scope: ScopeKind, code: str | None, limit: int, offset: int):
    """The scope's units in the area, by code (one page), and how many there are; 404 for a code outside."""
    if scope == ScopeKind.COUNTY and not area.is_county:
        raise ValidationFailed(
            "a township sees its own township: choose scope township or below", code="scope_above_area", field="scope"
        )
    base = DIRECTORY[scope]
    params = {"prefix": area.code, "code": code, "limit": limit, "offset": offset}
    where = " AND code = :code" if code else ""
    rows = session.execute(
        text(f"SELECT code, name FROM ({base}) u WHERE true{where} ORDER BY code LIMIT :limit OFFSET :offset"), params
    ).all()
    if code and not rows:
        raise NotFound(f"no {scope} {code!r} in your area", code="unit_not_found")
    total = 1 if code else session.execute(text(f"SELECT count(*) FROM ({base}) u"), params).scalar_one()
    return [(r.code, r.name) for r in rows], total


# ----------------------------------------------------------------------------- measures of a period

_SUMS = ", ".join(f"sum({m}) AS {m}" for m in MEASURES)
BUCKET_SQL = f"""
SELECT code, {_SUMS} FROM eval_rollup
WHERE scope_kind = :scope AND {{area}} = :area AND code = ANY(:codes)
  AND (bucket, bucket_start) IN (SELECT * FROM unnest(CAST(:kinds AS char(1)[]), CAST(:starts AS date[])))
GROUP BY code
"""
LATE_SQL = """
SELECT l.code, sum(l.n) AS n, sum(l.n_on_time) AS n_on_time FROM eval_late_closures l
JOIN unnest(CAST(:kinds AS char(1)[]), CAST(:starts AS date[])) b(kind, start)
  ON l.bucket = b.kind AND l.bucket_start = b.start
WHERE l.scope_kind = :scope AND l.{area} = :area AND l.code = ANY(:codes) AND l.closed_day < :to
GROUP BY l.code
"""
# the code of a fact row in a scope: (event facts e, task facts t)
CODE_OF = {
    ScopeKind.COUNTY: "e.county_code",
    ScopeKind.TOWNSHIP: "e.township_code",
    ScopeKind.COMMUNITY: "e.community_code",
    ScopeKind.GRID: "e.grid_code",
    ScopeKind.TEAM: "t.unit_code",
    ScopeKind.DEPARTMENT: "t.unit_code",
    ScopeKind.MEMBER: "t.member_code",
}
UNIT_FILTER = {
    ScopeKind.TEAM: "t.unit_kind = 'team'",
    ScopeKind.DEPARTMENT: "t.unit_kind = 'department'",
    ScopeKind.MEMBER: "t.member_code IS NOT NULL",
}
OPEN_DUE_SQL = """
SELECT {code} AS code, count(*) AS n FROM eval_task_facts t JOIN eval_event_facts e USING (event_id)
WHERE t.open_due < :asof AND e.accepted_day >= :start AND e.accepted_day < :end AND e.{area} = :area
  AND {code} = ANY(:codes) AND {unit}
GROUP BY 1
"""
RESIDUAL_SQL = f"""
SELECT c.code, {", ".join(f"sum(c.{m}) AS {m}" for m in MEASURES if m not in ("closed", "closed_on_time"))},
       count(*) FILTER (WHERE c.accepted = 1 AND c.closed_day < :to) AS closed,
       count(*) FILTER (WHERE c.accepted = 1 AND c.closed_day < :to AND c.closed_on_time) AS closed_on_time
FROM eval_contributions(ARRAY(
    SELECT event_id FROM eval_event_facts e WHERE e.{{area}} = :area AND {{held}}
      AND ((e.accepted_day >= :start AND e.accepted_day < :end) OR (e.reported_day >= :start AND e.reported_day < :end))
)) c
WHERE c.scope_kind = :scope AND c.code = ANY(:codes) AND c.day >= :start AND c.day < :end
GROUP BY c.code
"""


def as_of(period: Period, now: datetime) -> datetime:
    """min(to, now): the end of the period (midnight in the county) or now, whichever is earlier."""
    end = datetime.combine(period.end, datetime.min.time(), tzinfo=TZ)
    return min(end, now)


def measures(
    session: Session, area: Area, scope: ScopeKind, codes: list[str], period: Period, now: datetime
) -> dict[str, dict]:
    """{code: {measure: value}} for the period, the end-dependent measures included."""
    out: dict[str, dict] = {c: dict.fromkeys(MEASURES, 0) for c in codes}
    if not codes:
        return out
    whole, rest = buckets(period, daily=scope in DAILY_SCOPES)
    params = {
        "scope": str(scope),
        "area": area.code,
        "codes": codes,
        "to": period.end,
        "kinds": [b.kind for b in whole],
        "starts": [b.start for b in whole],
    }
    if whole:
        for row in session.execute(text(BUCKET_SQL.format(area=area.column)), params).mappings():
            _add(out[row["code"]], row)
        for row in session.execute(text(LATE_SQL.format(area=area.column)), params).mappings():
            out[row["code"]]["closed"] += row["n"]
            out[row["code"]]["closed_on_time"] += row["n_on_time"]
    for stretch in rest:
        for row in session.execute(
            text(RESIDUAL_SQL.format(area=area.column, held=_held(scope))),
            {**params, "start": stretch.start, "end": stretch.end},
        ).mappings():
            _add(out[row["code"]], row)
    due = _open_due(session, area, scope, codes, period, now)
    for code, values in out.items():
        values["closed_by_to"], values["closed_on_time_by_to"] = values["closed"], values["closed_on_time"]
        values["handle_due"] = values["handle_handled"] + due.get(code, 0)
    return out


def _held(scope: ScopeKind) -> str:
    """The condition on an event's facts (e) that one of the units asked for holds it: only their events'
    contributions are worked out for a stretch read from the facts (a page of grids, not the whole county)."""
    unit = UNIT_FILTER.get(scope)
    if unit is None:
        return f"{CODE_OF[scope]} = ANY(:codes)"
    return (
        f"EXISTS (SELECT 1 FROM eval_task_facts t WHERE t.event_id = e.event_id AND {unit} "
        f"AND {CODE_OF[scope]} = ANY(:codes))"
    )


def _add(target: dict, row) -> None:
    for name in MEASURES:
        value = row.get(name)
        if value is not None:
            target[name] += float(value) if name.endswith("minutes") else int(value)


def _open_due(
    session: Session, area: Area, scope: ScopeKind, codes: list[str], period: Period, now: datetime
) -> dict[str, int]:
    sql = OPEN_DUE_SQL.format(code=CODE_OF[scope], area=area.column, unit=UNIT_FILTER.get(scope, "true"))
    rows = session.execute(
        text(sql),
        {"asof": as_of(period, now), "start": period.start, "end": period.end, "area": area.code, "codes": codes},
    )
    return {r.code: r.n for r in rows}


# ----------------------------------------------------------------------------- the answer


def evaluate(
    session: Session,
    area: Area,
    scope: ScopeKind,
    period: Period,
    *,
    code: str | None = None,
    now: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
    compare: bool = True,
) -> dict:
    """The figures of each unit of a scope in the caller's area, with the previous period and a year before."""
    now = now or datetime.now(timezone.utc)
    page, total = units(session, area, scope, code, limit, offset)
    codes = [c for c, _ in page]
    periods = {"current": period}
    if compare:
        periods.update(previous=period.previous(), year_before=period.year_before())
    found = {name: measures(session, area, scope, codes, p, now) for name, p in periods.items()}
    rows = []
    for c, name in page:
        row = {"code": c, "name": name, "kpis": figures(found["current"][c])}
        if compare:
            row["previous"] = figures(found["previous"][c])
            row["year_before"] = figures(found["year_before"][c])
        rows.append(row)
    if code:
        _add_medians(session, area, scope, code, period, rows[0])
    answer = {
        "period": _period(period),
        "scope": str(scope),
        "as_of": _iso(as_of(period, now)),
        "total": total,
        "rows": rows,
    }
    if compare:
        answer.update(previous_period=_period(periods["previous"]), year_before_period=_period(periods["year_before"]))
    return answer


MEDIAN_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t.response_minutes) FILTER (WHERE t.response_minutes IS NOT NULL),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.handling_minutes) FILTER (WHERE t.handling_minutes IS NOT NULL)
FROM eval_task_facts t JOIN eval_event_facts e USING (event_id)
WHERE e.accepted_day >= :start AND e.accepted_day < :end AND e.{area} = :area AND {code} = :code AND {unit}
"""


def _add_medians(session: Session, area: Area, scope: ScopeKind, code: str, period: Period, row: dict) -> None:
    """The medians of one unit's response and handling minutes (read from the facts: a median does not add up)."""
    sql = MEDIAN_SQL.format(area=area.column, code=CODE_OF[scope], unit=UNIT_FILTER.get(scope, "true"))
    response, handling = session.execute(
        text(sql), {"start": period.start, "end": period.end, "area": area.code, "code": code}
    ).one()
    row["medians"] = {"response_minutes": _round(response), "handling_minutes": _round(handling)}


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _period(period: Period) -> dict:
    return period.to_dict()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# ----------------------------------------------------------------------------- tracing a figure

# measure -> the condition on an event's facts (e) that counts it; task measures are conditions on tasks (t)
EVENT_COUNTED = {
    "reported": "true",
    "accepted": "true",
    "closed_by_to": "e.closed_day < :to",
    "closed_on_time_by_to": "e.closed_day < :to AND e.closed_on_time",
    "handled_once": "e.handled_once",
    "reworked": "e.reworked",
    "extended": "e.extended",
    "rated": "e.rated",
    "satisfied": "e.satisfied",
    "patrol": "e.patrol",
    "self_handled": "e.self_handled",
    "repeats": "e.repeats",
    "supervisions": "e.supervisions > 0",
}
TASK_COUNTED = {
    "tasks_dispatched": "true",
    "tasks_responded_on_time": "t.responded_on_time",
    "tasks_returned": "t.returned",
    "tasks_not_returned": "NOT t.returned",
    "handle_handled": "t.handled",
    "handle_on_time": "t.handled_on_time",
    "handle_due": "(t.handled OR t.open_due < :asof)",
    "tasks_overdue": "t.overdue",
    "response_minutes": "t.response_minutes IS NOT NULL",
    "response_n": "t.response_minutes IS NOT NULL",
    "handling_minutes": "t.handling_minutes IS NOT NULL",
    "handling_n": "t.handling_minutes IS NOT NULL",
}
DRILL_SQL = """
SELECT e.event_id AS id, count(t.task_id) AS tasks, ev.category_code, ev.status, ev.grid_code, e.accepted_day,
       e.reported_day, count(*) OVER () AS total
FROM eval_event_facts e JOIN events ev ON ev.id = e.event_id
{join}
WHERE e.{area} = :area AND {day} >= :start AND {day} < :end AND ({counted}) AND {scope_filter}
GROUP BY e.event_id, ev.category_code, ev.status, ev.grid_code, e.accepted_day, e.reported_day
ORDER BY e.event_id
LIMIT :limit OFFSET :offset
"""


def drill(
    session: Session,
    area: Area,
    kpi: str,
    part: str,
    scope: ScopeKind,
    code: str,
    period: Period,
    *,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict:
    """The events counted in one figure's numerator or denominator for one unit (paged, by id)."""
    now = now or datetime.now(timezone.utc)
    units(session, area, scope, code, 1, 0)  # 404 outside the caller's area
    figure = KPI_BY_KEY[kpi]
    measure = figure.numerator if part == "numerator" else figure.denominator
    if measure is None:
        raise ValidationFailed(f"{kpi} is a count: it has no denominator", code="no_denominator", field="part")
    sql = _drill_sql(area, scope, measure)
    rows = (
        session.execute(
            text(sql),
            {
                "area": area.code,
                "start": period.start,
                "end": period.end,
                "to": period.end,
                "asof": as_of(period, now),
                "code": code,
                "limit": limit,
                "offset": offset,
            },
        )
        .mappings()
        .all()
    )
    total = rows[0]["total"] if rows else _drill_total(session, sql, area, scope, period, now, code)
    items = [
        {
            "id": r["id"],
            "category": r["category_code"],
            "status": r["status"],
            "grid_code": r["grid_code"],
            "accepted_day": r["accepted_day"] and r["accepted_day"].isoformat(),
            "reported_day": r["reported_day"].isoformat(),
            "tasks": r["tasks"],
        }
        for r in rows
    ]
    return {
        "kpi": kpi,
        "part": part,
        "measure": measure,
        "scope": str(scope),
        "code": code,
        "period": _period(period),
        "total": total,
        "items": items,
    }


def _drill_sql(area: Area, scope: ScopeKind, measure: str) -> str:
    day = "e.reported_day" if measure == "reported" else "e.accepted_day"
    unit = UNIT_FILTER.get(scope)
    if measure in TASK_COUNTED:
        counted = TASK_COUNTED[measure]
        join = "JOIN eval_task_facts t ON t.event_id = e.event_id"
        scope_filter = f"{unit} AND {CODE_OF[scope]} = :code" if unit else f"{CODE_OF[scope]} = :code"
    else:
        counted = EVENT_COUNTED[measure]
        join = "LEFT JOIN eval_task_facts t ON false"
        scope_filter = (
            (
                f"EXISTS (SELECT 1 FROM eval_task_facts t WHERE t.event_id = e.event_id AND {unit} "
                f"AND {CODE_OF[scope]} = :code)"
            )
            if unit
            else f"{CODE_OF[scope]} = :code"
        )
    return DRILL_SQL.format(join=join, area=area.column, day=day, counted=counted, scope_filter=scope_filter)


def _drill_total(session, sql, area, scope, period, now, code) -> int:
    """The total when the page is past the end: count the rows without a page."""
    return session.execute(
        text(f"SELECT count(*) FROM ({sql.replace('LIMIT :limit OFFSET :offset', '')}) x"),
        {
            "area": area.code,
            "start": period.start,
            "end": period.end,
            "to": period.end,
            "asof": as_of(period, now),
            "code": code,
        },
    ).scalar_one()


def today_local(now: datetime | None = None) -> date:
    """Today's date in the county."""
    return (now or datetime.now(timezone.utc)).astimezone(TZ).date()


# ----------------------------------------------------------------------------- workload and trends

BREAKDOWN_COLUMN = {
    "category": "w.category_code",
    "channel": "w.channel",
    "level": "w.level::text",
    "kind": "c.kind_code",
}
WORKLOAD_SQL = """
SELECT {column} AS key, sum(w.reported) AS reported, sum(w.accepted) AS accepted
FROM eval_workload w JOIN categories c ON c.code = w.category_code
JOIN unnest(CAST(:kinds AS char(1)[]), CAST(:starts AS date[])) b(kind, start)
  ON w.bucket = b.kind AND w.bucket_start = b.start
WHERE w.{area} = :area AND w.township_code LIKE :prefix || '%'
GROUP BY 1
"""
WORKLOAD_FACTS_SQL = """
SELECT {column} AS key, count(*) FILTER (WHERE w.reported_day >= :start AND w.reported_day < :end) AS reported,
       count(*) FILTER (WHERE w.accepted_day >= :start AND w.accepted_day < :end) AS accepted
FROM eval_event_facts w JOIN categories c ON c.code = w.category_code
WHERE w.{area} = :area AND w.township_code LIKE :prefix || '%'
  AND ((w.reported_day >= :start AND w.reported_day < :end) OR (w.accepted_day >= :start AND w.accepted_day < :end))
GROUP BY 1
"""
NAMES = {
    "category": "SELECT code, name, name_en FROM categories",
    "kind": "SELECT code, name, name_en FROM category_kinds",
}


def workload(session: Session, area: Area, period: Period, by: str, code: str | None = None) -> dict:
    """Events reported and accepted in the period by category, kind, channel or level (clause 8.3)."""
    prefix = code or area.code
    asked = AreaCode.of(code) if code else None
    if code and (asked is None or asked.level not in (Level.COUNTY, Level.TOWNSHIP) or not code.startswith(area.code)):
        raise NotFound(f"no county or township {code!r} in your area", code="unit_not_found")
    whole, rest = buckets(period, daily=False)
    column = BREAKDOWN_COLUMN[by]
    params = {"area": area.code, "prefix": prefix, "kinds": [b.kind for b in whole], "starts": [b.start for b in whole]}
    counts: dict[str, dict] = {}
    queries = [(WORKLOAD_SQL, params)] if whole else []
    queries += [(WORKLOAD_FACTS_SQL, {**params, "start": s.start, "end": s.end}) for s in rest]
    for sql, values in queries:
        for row in session.execute(text(sql.format(column=column, area=area.column)), values):
            entry = counts.setdefault(str(row.key), {"reported": 0, "accepted": 0})
            entry["reported"] += int(row.reported)
            entry["accepted"] += int(row.accepted)
    names = {r.code: (r.name, r.name_en) for r in session.execute(text(NAMES[by]))} if by in NAMES else {}
    rows = [
        {"key": key, "name": names.get(key, (key, key))[0], "name_en": names.get(key, (key, key))[1], **n}
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1]["accepted"], kv[0]))
    ]
    return {"period": _period(period), "by": by, "code": prefix, "rows": rows}


def trend(
    session: Session, area: Area, scope: ScopeKind, code: str, period: Period, bucket: str, now: datetime | None = None
) -> dict:
    """One unit's figures day by day or month by month over the period (for the charts)."""
    now = now or datetime.now(timezone.utc)
    units(session, area, scope, code, 1, 0)
    if bucket == "day" and period.days > 400:
        raise ValidationFailed(
            "a daily trend covers at most 400 days: choose bucket=month", code="trend_too_long", field="bucket"
        )
    points = []
    for part in _steps(period, bucket):
        values = measures(session, area, scope, [code], part, now)[code]
        points.append({"from": part.start.isoformat(), "to": part.end.isoformat(), "kpis": figures(values)})
    return {"scope": str(scope), "code": code, "bucket": bucket, "period": _period(period), "points": points}


def _steps(period: Period, bucket: str) -> list[Period]:
    out, day = [], period.start
    while day < period.end:
        if bucket == "day":
            stop = day.fromordinal(day.toordinal() + 1)
        else:
            stop = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        stop = min(stop, period.end)
        out.append(Period(day, stop))
        day = stop
    return out
