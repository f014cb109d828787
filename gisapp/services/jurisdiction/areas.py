"""Loading a generated jurisdiction (layers/demo or a synth output) into the database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from psycopg2.extras import execute_values
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.events import EventStatus
from gisapp.domain.intake import parse_event_report
from gisapp.services.access.audit import Actor
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.jurisdiction.adjacency import refresh_adjacency
from gisapp.services.jurisdiction.grid_edit import FIRST_VERSIONS

BATCH = 2000
CLOSE_IMPORTED = text("""
WITH closed AS (UPDATE events SET status = 'closed', closed_at = handle_by WHERE id = :id RETURNING id, handle_by),
tasks AS (UPDATE event_tasks t SET status = 'handled', acknowledged_at = t.dispatched_at,
                 handled_at = c.handle_by FROM closed c WHERE t.event_id = c.id)
INSERT INTO event_log (event_id, at, actor, action, from_status, to_status, note)
SELECT id, handle_by, 'import', 'closed', 'dispatched', 'closed', 'closed in the imported history'
FROM closed
""")


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _jsonl(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _geojson(feature: dict) -> str:
    return json.dumps(feature["geometry"], separators=(",", ":"))


AREA_TABLES = (
    # file, table, parent column
    ("county.geojson", "counties", None),
    ("townships.geojson", "townships", "county_code"),
    ("communities.geojson", "communities", "township_code"),
    ("grids.geojson", "grids", "community_code"),
)

MULTI = "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))"
POINT = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)"


def is_loaded(session: Session) -> bool:
    """True when the jurisdiction tables already hold a county."""
    return session.execute(text("SELECT EXISTS (SELECT 1 FROM counties)")).scalar_one()


def has_county(session: Session, code: str) -> bool:
    """Whether the county `code` is loaded."""
    return session.execute(text("SELECT EXISTS (SELECT 1 FROM counties WHERE code = :c)"), {"c": code}).scalar_one()


def county_codes(session: Session) -> list[str]:
    """The codes of the loaded counties, in order."""
    return session.execute(text("SELECT code FROM counties ORDER BY code")).scalars().all()


def _insert(cursor, sql: str, rows: Iterable[tuple], template: str) -> int:
    rows = list(rows)
    for start in range(0, len(rows), BATCH):
        execute_values(cursor, sql, rows[start : start + BATCH], template=template)
    return len(rows)


def _load_areas(cur, src: Path, counts: dict) -> None:
    for filename, table, parent in AREA_TABLES:
        feats = _features(src / filename)
        if parent:
            counts[table] = _insert(
                cur,
                f"INSERT INTO {table} (code, name, {parent}, geom) VALUES %s",
                (
                    (f["properties"]["code"], f["properties"]["name"], f["properties"]["parent_code"], _geojson(f))
                    for f in feats
                ),
                f"(%s, %s, %s, {MULTI})",
            )
        else:
            counts[table] = _insert(
                cur,
                f"INSERT INTO {table} (code, name, geom) VALUES %s",
                ((f["properties"]["code"], f["properties"]["name"], _geojson(f)) for f in feats),
                f"(%s, %s, {MULTI})",
            )


def _load_organisation(cur, src: Path, counts: dict) -> None:
    centers = _json(src / "centers.json")
    counts["command_centers"] = _insert(
        cur,
        "INSERT INTO command_centers (code, name, level, county_code, township_code, duty_phone) VALUES %s",
        (
            (
                c["code"],
                c["name"],
                c["level"],
                c["area_code"] if c["level"] == "county" else None,
                c["area_code"] if c["level"] == "township" else None,
                c.get("duty_phone"),
            )
            for c in centers
        ),
        "(%s, %s, %s, %s, %s, %s)",
    )
    depts = _json(src / "departments.json")
    county = _features(src / "county.geojson")[0]["properties"]["code"]  # a data set is one county
    counts["departments"] = _insert(
        cur,
        "INSERT INTO departments (code, name, short_name, leader_name, leader_title, leader_phone, "
        "liaison_name, liaison_phone, duty_phone, county_code) VALUES %s",
        (
            (
                d["code"],
                d["name"],
                d["short_name"],
                d["leader"]["name"],
                d["leader"].get("title"),
                d["leader"].get("phone"),
                d["liaison"]["name"],
                d["liaison"].get("phone"),
                d.get("duty_phone"),
                county,
            )
            for d in depts
        ),
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    )
    catalogue = _json(src / "categories.json")
    _insert(
        cur,
        "INSERT INTO category_kinds (code, name, name_en) VALUES %s",
        ((k["code"], k["name"], k["name_en"]) for k in catalogue["kinds"]),
        "(%s, %s, %s)",
    )
    counts["categories"] = _insert(
        cur,
        "INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
        "response_minutes, handling_minutes, level, handling_unit, handling_amount) VALUES %s",
        (
            (
                c["code"],
                c["name"],
                c["name_en"],
                c["kind"],
                c["department"],
                c["priority"],
                c["response_minutes"],
                c["handling_minutes"],
                c["level"],
                c.get("handling_unit", "minutes"),
                c.get("handling_amount"),
            )
            for c in catalogue["categories"]
        ),
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    )
    counts["teams"] = _insert(
        cur,
        "INSERT INTO teams (code, name, grid_code) VALUES %s",
        ((t["code"], t["name"], t["grid_code"]) for t in _json(src / "teams.json")),
        "(%s, %s, %s)",
    )
    members = _json(src / "members.json")
    counts["members"] = _insert(
        cur,
        "INSERT INTO members (code, team_code, name, role, phone, duty_status, position, position_at) VALUES %s",
        (
            (
                m["code"],
                m["team_code"],
                m["name"],
                m["role"],
                m.get("phone"),
                m["duty_status"],
                *(m["position"] if m.get("position") else (None, None)),
                m.get("position_at") if m.get("position") else None,
            )
            for m in members
        ),
        f"(%s, %s, %s, %s, %s, %s, {POINT}, %s)",
    )  # ST_MakePoint(NULL, NULL) is NULL


def _load_features(cur, src: Path, counts: dict) -> None:
    roads = _features(src / "key_roads.geojson")
    counts["key_roads"] = _insert(
        cur,
        "INSERT INTO key_roads (code, name, road_class, geom) VALUES %s",
        ((f["properties"]["code"], f["properties"]["name"], f["properties"]["road_class"], _geojson(f)) for f in roads),
        f"(%s, %s, %s, {MULTI})",
    )
    locations = _features(src / "key_locations.geojson")
    counts["key_locations"] = _insert(
        cur,
        "INSERT INTO key_locations (code, name, kind, risk_level, geom) VALUES %s",
        (
            (
                f["properties"]["code"],
                f["properties"]["name"],
                f["properties"]["kind"],
                f["properties"].get("risk_level", 1),
                _geojson(f),
            )
            for f in locations
        ),
        "(%s, %s, %s, %s, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))",
    )
    cameras = _features(src / "cameras.geojson")
    counts["cameras"] = _insert(
        cur,
        "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, online, geom) VALUES %s",
        (
            (
                p["device_id"],
                p["name"],
                p["azimuth_deg"],
                p["fov_deg"],
                p["range_m"],
                p["online"],
                *f["geometry"]["coordinates"][:2],
            )
            for f in cameras
            for p in [f["properties"]]
        ),
        f"(%s, %s, %s, %s, %s, %s, {POINT})",
    )


def load_jurisdiction(session: Session, src: Path, *, progress: Callable[[str], None] = lambda s: None) -> dict:
    """Insert every layer file of src into empty tables, in one transaction (the caller's)."""
    counts: dict[str, int] = {}
    cur = session.connection().connection.cursor()
    for step in (_load_areas, _load_organisation, _load_features):
        progress(step.__name__.removeprefix("_load_"))
        step(cur, src, counts)
    session.execute(text("SELECT refresh_grid_directory()"))
    session.execute(text("SET LOCAL statement_timeout = 0"))  # a province-sized layer takes a minute
    refresh_adjacency(session)  # support from adjacent grids (013); the full build runs in process
    session.execute(FIRST_VERSIONS, {"community": None})  # every grid's history starts here (021)
    progress("events")
    counts["events"] = load_history(session, src / "events.jsonl")
    return counts


IMPORT = Submitter("system:import", Actor("import", "system", None))


def load_history(session: Session, path: Path) -> int:
    """Historical events (synthetic data sets): routed and logged through the intake service."""
    count = 0
    for item in _jsonl(path):
        report = parse_event_report(
            {
                "category": item["category"],
                "description": item.get("description", ""),
                "location": {"type": "Point", "coordinates": item["location"]},
                "channel": item["channel"],
                "client_ref": item.get("client_ref"),
            }
        )
        at = datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
        result = submit_event(session, report, by=IMPORT, audit_key=None, now=at)
        if item.get("status") == EventStatus.CLOSED and result.created:
            session.execute(CLOSE_IMPORTED, {"id": result.event["id"]})
        count += 1
    return count
