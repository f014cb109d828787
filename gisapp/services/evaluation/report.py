"""Duty reports (值班日报、周报、月报) of the caller's county or township: the figures of the period with 环比,
the overdue list (open tasks past their limit, supervision records of the period) and the hot spots.

The hot spots are the analysis's (gisapp.services.evaluation.hotspots): grids whose neighbourhood holds significantly
more accepted events than the area's mean (Getis-Ord Gi*), the highest z first.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.evaluation import KPIS, Period, ScopeKind
from gisapp.domain.evaluation_report import ReportKind, changes, report_periods
from gisapp.services.evaluation.figures import TZ, Area, as_of, evaluate
from gisapp.services.evaluation.hotspots import hot_spots as analyse_hot_spots
from gisapp.spatial.hotspots import HOT_CLASSES

LIST_LIMIT = 100
HOT_SPOTS = 10

OVERDUE_TASKS_SQL = """
SELECT t.id AS task_id, t.event_id, t.kind, t.status, t.open_due AS due, e.grid_code, g.name AS grid_name,
       c.name AS category, c.name_en AS category_en, COALESCE(tm.name, d.name) AS unit, count(*) OVER () AS total
FROM event_tasks t JOIN events e ON e.id = t.event_id JOIN categories c ON c.code = e.category_code
LEFT JOIN grids g ON g.code = e.grid_code LEFT JOIN teams tm ON tm.code = t.team_code
LEFT JOIN departments d ON d.code = t.department_code
WHERE t.status IN ('dispatched', 'acknowledged', 'on_scene') AND t.open_due < :asof AND e.{column} = :area
ORDER BY t.open_due, t.id
LIMIT :limit
"""
SUPERVISIONS_SQL = """
SELECT s.id, s.event_id, s.task_id, s.at, s.state, s.time_limit, s.due, s.escalated, e.grid_code, g.name AS grid_name,
       c.name AS category, c.name_en AS category_en, count(*) OVER () AS total
FROM supervisions s JOIN events e ON e.id = s.event_id JOIN categories c ON c.code = e.category_code
LEFT JOIN grids g ON g.code = e.grid_code
WHERE s.{column} = :area AND s.at >= :start AND s.at < :end
ORDER BY s.at, s.id
LIMIT :limit
"""


def report(session: Session, area: Area, kind: ReportKind, day: date, now: datetime | None = None) -> dict:
    """What a printed duty report shows for the caller's area (figures folded by the caller beforehand)."""
    now = now or datetime.now(timezone.utc)
    current, previous = report_periods(kind, day)
    scope = ScopeKind.COUNTY if area.is_county else ScopeKind.TOWNSHIP
    found = {
        name: evaluate(session, area, scope, p, code=area.code, now=now, compare=False)
        for name, p in (("current", current), ("previous", previous))
    }
    now_kpis, before_kpis = found["current"]["rows"][0]["kpis"], found["previous"]["rows"][0]["kpis"]
    delta = changes(now_kpis, before_kpis)
    figures = [
        {"kpi": k, "current": now_kpis[k.key], "previous": before_kpis[k.key], "change": delta[k.key]} for k in KPIS
    ]
    cut = as_of(current, now)
    return {
        "kind": str(kind),
        "day": day,
        "period": current,
        "previous": previous,
        "as_of": cut,
        "area": {"code": area.code, "name": found["current"]["rows"][0]["name"]},
        "figures": figures,
        "overdue_tasks": _listed(session, OVERDUE_TASKS_SQL, area, {"asof": cut}),
        "supervisions": _listed(session, SUPERVISIONS_SQL, area, _bounds(current)),
        "hot_spots": hot_spots(session, area, current),
    }


def _bounds(period: Period) -> dict:
    """The instants a period of local dates runs between."""
    start = datetime.combine(period.start, datetime.min.time(), tzinfo=TZ)
    end = datetime.combine(period.end, datetime.min.time(), tzinfo=TZ)
    return {"start": start, "end": end}


def _listed(session: Session, sql: str, area: Area, params: dict) -> dict:
    rows = (
        session.execute(text(sql.format(column=area.column)), {**params, "area": area.code, "limit": LIST_LIMIT})
        .mappings()
        .all()
    )
    return {"total": rows[0]["total"] if rows else 0, "items": [dict(r) for r in rows]}


def hot_spots(session: Session, area: Area, period: Period) -> list[dict]:
    """The hot grids of the area in the period (Getis-Ord Gi*, gisapp.services.evaluation.hotspots), highest z first."""
    analysis = analyse_hot_spots(session, area, None, period)
    hot = sorted((g for g in analysis["grids"] if g["class"] in HOT_CLASSES), key=lambda g: (-g["z"], g["code"]))
    return hot[:HOT_SPOTS]
