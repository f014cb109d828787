"""Event analysis (信息研判, standard 7.1.1.5): hot and cold grids (Getis-Ord Gi*) and emerging categories.

What is counted: the **cohort** of the evaluation (docs/evaluation.md): the events accepted (受理) on the
period's days in Asia/Shanghai, voided reports (duplicates merged into another included) never, read from the
evaluation's facts (eval_event_facts, sql/034), in the grids of the caller's area (a county or a township).
Every live grid of the area is in the analysis, with 0 when it had no event; events of retired grids are not
(they have no place on the map). A township's analysis is of its own grids: Gi* compares each grid's
neighbourhood with the mean of the area analysed, and neighbours across the township's border are left out.

The counting sits in two functions only, `event_counts_by_grid` and `event_counts_by_category`; both fold
pending steps into the facts first.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.analysis import PREVIOUS_PERIODS, Period, trend
from gisapp.errors import ValidationFailed
from gisapp.services.command.support import ensure_adjacency
from gisapp.services.evaluation.figures import AREA_COLUMNS, Area, fold
from gisapp.spatial.hotspots import COLD_CLASSES, HOT_CLASSES, NOT_SIGNIFICANT, getis_ord_star, method

# the events counted: the cohort of [start, end) in the area; {column} from AREA_COLUMNS only
COUNTED = """FROM eval_event_facts WHERE {column} = :area AND accepted_day >= :start AND accepted_day < :end"""
COUNTS_BY_GRID = """
WITH counted AS (
    SELECT grid_code, count(*) AS n {counted} AND (CAST(:category AS text) IS NULL OR category_code = :category)
    GROUP BY grid_code
)
SELECT g.code, COALESCE(c.n, 0) AS n FROM grids g LEFT JOIN counted c ON c.grid_code = g.code
WHERE left(g.code, length(:area)) = :area"""
COUNTS_BY_CATEGORY = "SELECT category_code, count(*) AS n {counted} GROUP BY category_code"
GRID_NAMES = text("SELECT code, name FROM grids WHERE left(code, length(:area)) = :area")
# each contact once, both grids in the area (codes start with their area's code: sql/002's CHECKs)
PAIRS = text("""SELECT grid_code, neighbour_code FROM grid_adjacency
WHERE grid_code < neighbour_code AND left(grid_code, length(:area)) = :area
  AND left(neighbour_code, length(:area)) = :area""")


def _count_params(area_column: str, area_code: str, start: date, end: date) -> dict:
    if area_column not in AREA_COLUMNS.values():
        raise ValueError(f"not an area column: {area_column!r}")
    return {"area": area_code, "start": start, "end": end}


def event_counts_by_grid(
    session: Session, area_column: str, area_code: str, category: str | None, start: date, end: date
) -> dict[str, int]:
    """Accepted events per grid of the area reported on the days [start, end) (county time), of one category
    or all (None); every live grid of the area is a key, 0 when it had none."""
    fold(session)  # the facts as of every committed step
    sql = COUNTS_BY_GRID.format(counted=COUNTED.format(column=area_column))
    params = {**_count_params(area_column, area_code, start, end), "category": category}
    return {code: n for code, n in session.execute(text(sql), params)}


def event_counts_by_category(
    session: Session, area_column: str, area_code: str, start: date, end: date
) -> dict[str, int]:
    """Accepted events per category in the area on the days [start, end); categories without any left out."""
    fold(session)
    sql = COUNTS_BY_CATEGORY.format(counted=COUNTED.format(column=area_column))
    return {code: n for code, n in session.execute(text(sql), _count_params(area_column, area_code, start, end))}


def category_names(session: Session) -> dict[str, str]:
    """The catalogue: category code -> name."""
    return dict(session.execute(text("SELECT code, name FROM categories ORDER BY code")).all())


def _category(session: Session, code: str | None) -> dict | None:
    if code is None:
        return None
    names = category_names(session)  # checked here, in Python: no odd string reaches a statement
    if code not in names:
        raise ValidationFailed(
            "unknown category: see /api/v1/categories for the codes", code="unknown_category", field="category"
        )
    return {"code": code, "name": names[code]}


def adjacency_pairs(session: Session, area: Area) -> list[tuple[str, str]]:
    """The contacts between grids of the area (each once), from the app's graph, refreshed first if stale."""
    ensure_adjacency(session)
    return [tuple(row) for row in session.execute(PAIRS, {"area": area.code})]


def hot_spots(session: Session, area: Area, category: str | None, period: Period) -> dict:
    """Gi* of the accepted events per grid of the area in the period: every grid with its count, z, p, class."""
    chosen = _category(session, category)
    counts = event_counts_by_grid(session, area.column, area.code, category, period.start, period.end)
    codes = sorted(counts)
    result = getis_ord_star(codes, [counts[c] for c in codes], adjacency_pairs(session, area))
    names = dict(session.execute(GRID_NAMES, {"area": area.code}).all())
    grids = [
        {"code": r["code"], "name": names[r["code"]], **{k: r[k] for k in ("count", "z", "p", "class")}}
        for r in result.rows()
    ]
    return {
        "period": period.to_dict(),
        "category": chosen,
        "method": method(),
        "grids": grids,
        "summary": {
            "hot": sum(k in HOT_CLASSES for k in result.classes),
            "cold": sum(k in COLD_CLASSES for k in result.classes),
        },
    }


def hot_spot_features(session: Session, analysis: dict) -> dict:
    """The significant grids of an analysis as a GeoJSON FeatureCollection (EPSG:4326) for the map, with the
    period, category, method and summary beside the features."""
    significant = [g for g in analysis["grids"] if g["class"] != NOT_SIGNIFICANT]
    shapes = dict(
        session.execute(
            text("SELECT code, ST_AsGeoJSON(geom, 7)::json FROM grids WHERE code = ANY(:c)"),
            {"c": [g["code"] for g in significant]},
        ).all()
    )
    features = [
        {"type": "Feature", "id": g["code"], "geometry": shapes[g["code"]], "properties": g} for g in significant
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        **{k: analysis[k] for k in ("period", "category", "method", "summary")},
    }


def emerging_trends(session: Session, area: Area, period: Period, previous: int = PREVIOUS_PERIODS) -> dict:
    """Each category's count in the period against the mean of the `previous` periods of the same length
    before it; emerging categories first, then the busiest."""
    earlier = period.earlier(previous)
    now = event_counts_by_category(session, area.column, area.code, period.start, period.end)
    before = [event_counts_by_category(session, area.column, area.code, p.start, p.end) for p in earlier]
    items = []
    for code, name in category_names(session).items():
        t = trend(now.get(code, 0), [counts.get(code, 0) for counts in before])
        items.append(
            {
                "category": code,
                "name": name,
                "count": t.count,
                "previous_mean": round(t.previous_mean, 2),
                "ratio": None if t.ratio is None else round(t.ratio, 2),
                "emerging": t.emerging,
            }
        )
    items.sort(key=lambda i: (not i["emerging"], -i["count"], i["category"]))
    return {"period": period.to_dict(), "previous_periods": [p.to_dict() for p in earlier], "items": items}
