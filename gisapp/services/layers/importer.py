"""Import of a map layer from a file (issue 5): every feature checked, then all of it written or nothing.

Key roads, key locations and cameras are upserted by code / device id: new ones inserted, existing ones
updated (when something changed), and features absent from the file are kept: an import adds and
corrects, it never deletes. Grids are different: the grids of a community in the file are that
community's whole new layout, so they go through the grid editing service (topology checks, versions,
audit) and the community's grids absent from the file are retired. Communities not in the file keep
their grids.

Every problem of every feature is reported (ImportRejected, 422 `import_rejected`, details: index, id,
check, message, where) before anything is written; the caller's transaction is then rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.db import from_db, geometry_sql, to_db
from gisapp.domain import layer_rules as rules
from gisapp.domain.areas import community_code
from gisapp.domain.layers import catalogue
from gisapp.errors import NotFound, ValidationFailed
from gisapp.services.access.audit import Actor, record
from gisapp.services.jurisdiction.grid_edit import DEFAULT_MIN_AREA_M2
from gisapp.services.layers.import_read import SourceFile
from gisapp.spatial.topology import check_layout

Progress = Callable[[str, int, int], None]  # (stage, processed, total)
MAX_PROBLEMS = 1000  # reported in full up to this many; the count is always exact


class ImportRejected(ValidationFailed):
    """Some features cannot be imported: nothing was written."""

    code = "import_rejected"


@dataclass
class Checked:
    rows: list[tuple[int, dict]]  # (index in the file, row to write)
    problems: list[rules.Problem]


def _no_progress(stage: str, processed: int, total: int) -> None:
    return None


def county_boundary(session: Session, county: str) -> shapely.Geometry:
    geom = session.execute(
        geometry_sql("SELECT geom FROM counties WHERE code = :c", columns=("geom",)), {"c": county}
    ).scalar()
    if geom is None:
        raise NotFound(f"no county {county}", code="unknown_county")
    return from_db(geom)


def check_source(
    session: Session,
    county: str,
    layer: str,
    source: SourceFile,
    progress: Progress = _no_progress,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> Checked:
    """Every feature against the layer's rules, the county, and what the database already holds."""
    area = rules.county_area(county_boundary(session, county))
    loose = source.format != "geojson"  # JSON is typed like an edit; CSV cells are text, dBase/GPKG columns loose
    total, rows, problems = len(source.features), [], []
    for n, feature in enumerate(source.features, 1):
        row, found = rules.check_feature(
            layer, feature.index, feature.properties, feature.geometry, feature.error, county, area, loose=loose
        )
        problems += found
        if row is not None:
            rows.append((feature.index, row))
        progress("validating", n, total)
    if not source.features:
        problems.append(rules.Problem(None, None, "empty_file", "the file has no features"))
    problems += rules.duplicates(layer, rows)
    problems += (
        _grid_problems(session, county, rows, min_area_m2)
        if layer == "grids"
        else _foreign_rows(session, county, layer, rows)
    )
    return Checked(rows, problems)


def _foreign_rows(session: Session, county: str, layer: str, rows: list[tuple[int, dict]]) -> list[rules.Problem]:
    """Existing features with the file's codes that lie in another area: not the caller's to change."""
    table, key = _table(layer)
    ids = [row[key] for _, row in rows]
    foreign = {
        r[0]
        for r in session.execute(
            text(
                f"SELECT t.{key} FROM {table} t WHERE t.{key} = ANY(:ids) AND NOT EXISTS "
                "(SELECT 1 FROM counties k WHERE k.code = :county AND ST_Intersects(k.geom, t.geom))"
            ),
            {"ids": ids, "county": county},
        )
    }
    return [
        rules.Problem(
            i, row[key], "foreign_feature", f"{key} {row[key]} exists outside county {county}", row["geometry"]
        )
        for i, row in rows
        if row[key] in foreign
    ]


def _grid_problems(
    session: Session, county: str, rows: list[tuple[int, dict]], min_area_m2: float
) -> list[rules.Problem]:
    """Each community's grids in the file must tile it, with the same checks as an edit."""
    by_community: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for index, row in rows:
        by_community[community_code(row["code"])].append((index, row))
    known = {
        r.code: from_db(r.geom)
        for r in session.execute(
            geometry_sql(
                "SELECT code, geom FROM communities WHERE code = ANY(:c) AND area_county(code) = :county",
                columns=("geom",),
            ),
            {"c": list(by_community), "county": county},
        )
    }
    problems = _retired_codes(session, rows)
    for community, members in sorted(by_community.items()):
        if community not in known:
            problems += [
                rules.Problem(
                    i, row["code"], "unknown_community", f"no community {community} in county {county}", row["geometry"]
                )
                for i, row in members
            ]
            continue
        index_of = {row["code"]: i for i, row in members}
        layout = {row["code"]: row["geometry"] for _, row in members}
        for p in check_layout(community, known[community], layout, min_area_m2=min_area_m2):
            problems.append(rules.Problem(index_of.get(p.grid), p.grid, p.code, p.message, p.where))
    return problems


def _retired_codes(session: Session, rows: list[tuple[int, dict]]) -> list[rules.Problem]:
    """Grid codes retired before: a code is never issued again (022)."""
    retired = set(
        session.execute(
            text("SELECT code FROM grid_codes WHERE code = ANY(:c) AND retired_at IS NOT NULL"),
            {"c": [row["code"] for _, row in rows]},
        ).scalars()
    )
    return [
        rules.Problem(
            i,
            row["code"],
            "grid_code_retired",
            f"grid code {row['code']} was retired and is never reused: give the grid a new code",
            row["geometry"],
        )
        for i, row in rows
        if row["code"] in retired
    ]


def report(problems: list[rules.Problem]) -> list[dict]:
    return [p.to_dict() for p in problems[:MAX_PROBLEMS]]


def reject(problems: list[rules.Problem]) -> ImportRejected:
    shown = "" if len(problems) <= MAX_PROBLEMS else f" (the first {MAX_PROBLEMS} are listed)"
    rejected = ImportRejected(
        f"{len(problems)} problem(s) in the file{shown}; nothing was imported", details=report(problems)
    )
    rejected.count = len(problems)
    return rejected


# --- writing ----------------------------------------------------------------------------------------

CHANGED = "NOT ST_OrderingEquals(t.geom, EXCLUDED.geom)"


def _table(layer: str) -> tuple[str, str]:
    declared = catalogue()[layer]
    return declared.source.table, declared.id_property


def upsert_sql(layer: str):
    """Insert a feature, or update the one with its id when a property or the geometry differs; RETURNING
    inserted (NULL when nothing changed). Built from the layer's declared writable properties."""
    declared = catalogue()[layer]
    key = declared.id_property
    names = [p.name for p in declared.writable if p.name != key]
    geometry = ":geom"  # a geometry parameter (gisapp.db.geometry_sql)
    if declared.geometry_type.startswith("Multi"):
        geometry = f"ST_Multi({geometry})"
    return geometry_sql(
        f"INSERT INTO {declared.source.table} AS t ({key}, {', '.join(names)}, geom) "
        f"VALUES (:{key}, {', '.join(':' + n for n in names)}, {geometry}) ON CONFLICT ({key}) DO UPDATE "
        f"SET {', '.join(f'{n} = EXCLUDED.{n}' for n in names)}, geom = EXCLUDED.geom "
        f"WHERE ({', '.join('t.' + n for n in names)}) IS DISTINCT FROM "
        f"({', '.join('EXCLUDED.' + n for n in names)}) OR {CHANGED} RETURNING (xmax = 0) AS inserted",
        params=("geom",),
    )


def _upsert(session: Session, layer: str, rows: list[tuple[int, dict]], progress: Progress) -> dict:
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    upsert = upsert_sql(layer)
    for n, (_, row) in enumerate(rows, 1):
        params = {k: v for k, v in row.items() if k != "geometry"} | {"geom": to_db(row["geometry"])}
        inserted = session.execute(upsert, params).scalar_one_or_none()
        counts["unchanged" if inserted is None else "inserted" if inserted else "updated"] += 1
        progress("writing", n, len(rows))
    return counts


def _write_grids(
    session: Session,
    key: bytes,
    actor: Actor,
    rows: list[tuple[int, dict]],
    reason: str,
    progress: Progress,
    min_area_m2: float,
    preview: bool = False,
) -> dict:
    """Each community's layout through the grid editing service: checked again, versioned, audited.

    With preview, nothing is written and the result carries each community's impact (events leaving their
    grid, teams losing theirs ...) as the editing service foresees it."""
    by_community: dict[str, dict[str, dict]] = defaultdict(dict)
    for _, row in rows:
        by_community[community_code(row["code"])][row["code"]] = row
    counts, done = {"inserted": 0, "updated": 0, "unchanged": 0, "retired": 0, "names_kept": []}, 0
    impacts = {}
    for community, grids in sorted(by_community.items()):
        plan = _grid_plan(session, community, grids)
        for name in ("inserted", "updated", "unchanged", "retired"):
            counts[name] += len(plan[name])
        counts["names_kept"] += plan["names_kept"]
        if plan["inserted"] or plan["updated"] or plan["retired"]:
            edited = _edit_community(session, key, actor, community, grids, plan, reason, min_area_m2, preview)
            impacts[community] = edited["impact"]
        done += len(grids)
        progress("validating" if preview else "writing", done, len(rows))
    return counts | ({"impact": impacts} if preview else {})


def _edit_community(
    session: Session,
    key: bytes,
    actor: Actor,
    community: str,
    grids: dict[str, dict],
    plan: dict[str, list[str]],
    reason: str,
    min_area_m2: float,
    preview: bool,
) -> dict:
    """One community's new layout as one grid edit, based on the layout version read under its lock."""
    from gisapp.domain.grid_edit import GridItem
    from gisapp.services.jurisdiction import grid_edit

    extra = {}
    if plan["inserted"]:
        extra["creates"] = [GridItem(c, grids[c]["geometry"], grids[c]["name"]) for c in plan["inserted"]]
    if plan["retired"]:
        extra["retires"] = plan["retired"]
    _, tag = grid_edit.layout(session, community)
    return grid_edit.edit(
        session,
        key,
        actor,
        community,
        [GridItem(c, grids[c]["geometry"]) for c in plan["updated"]],
        if_match=tag,
        reason=reason,
        min_area_m2=min_area_m2,
        preview=preview,
        **extra,
    )


def _multi(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom


def _grid_plan(session: Session, community: str, grids: dict[str, dict]) -> dict[str, list[str]]:
    """Which grids of the community the file creates, reshapes, leaves as they are, and retires.

    Grid editing changes shapes, not names: an existing grid keeps its name (names_kept lists those the
    file names otherwise)."""
    current = {
        r.code: (r.name, from_db(r.geom))
        for r in session.execute(
            geometry_sql("SELECT code, name, geom FROM grids WHERE community_code = :c", columns=("geom",)),
            {"c": community},
        )
    }
    plan = {
        "inserted": [],
        "updated": [],
        "unchanged": [],
        "retired": sorted(set(current) - set(grids)),
        "names_kept": sorted(c for c, row in grids.items() if c in current and current[c][0] != row["name"]),
    }
    for code, row in sorted(grids.items()):
        if code not in current:
            plan["inserted"].append(code)
        elif shapely.equals_exact(current[code][1], _multi(row["geometry"]), 1e-9):
            plan["unchanged"].append(code)
        else:
            plan["updated"].append(code)
    return plan


def _preview(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    rows: list[tuple[int, dict]],
    reason: str,
    progress: Progress,
    min_area_m2: float,
) -> dict:
    """A dry run's counts: grids through the editing service's preview, inside a savepoint rolled back
    (the service records first versions of grids that have none: a dry run leaves even that out); other
    layers: how many features are new and how many match an existing one (to update, or unchanged)."""
    if layer != "grids":
        table, key_column = _table(layer)
        ids = [row[key_column] for _, row in rows]
        matched = session.execute(
            text(f"SELECT count(*) FROM {table} WHERE {key_column} = ANY(:ids)"), {"ids": ids}
        ).scalar()
        return {"inserted": len(ids) - matched, "matched": matched, "dry_run": True}
    savepoint = session.begin_nested()
    try:
        return _write_grids(session, key, actor, rows, reason, progress, min_area_m2, preview=True) | {"dry_run": True}
    finally:
        savepoint.rollback()


def import_layer(
    session: Session,
    key: bytes,
    actor: Actor,
    county: str,
    layer: str,
    source: SourceFile,
    *,
    file_name: str,
    file_hash: str,
    dry_run: bool = False,
    reason: str | None = None,
    progress: Progress = _no_progress,
    min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> dict:
    """Check every feature, then (unless dry_run) write them all in the session's transaction; the counts."""
    if layer not in rules.importable():
        raise NotFound(f"no importable layer {layer}: one of {', '.join(rules.importable())}", code="unknown_layer")
    checked = check_source(session, county, layer, source, progress, min_area_m2)
    if checked.problems:
        raise reject(checked.problems)
    summary = {"features": len(source.features), "crs": str(source.crs), "format": source.format}
    reason = reason or f"import of {file_name}"
    if dry_run:
        return summary | _preview(session, key, actor, layer, checked.rows, reason, progress, min_area_m2)
    counts = (
        _write_grids(session, key, actor, checked.rows, reason, progress, min_area_m2)
        if layer == "grids"
        else _upsert(session, layer, checked.rows, progress)
    )
    record(
        session,
        key,
        actor,
        "layer.import",
        target=f"layer:{layer}",
        details={"file": file_name, "sha256": file_hash, "county": county, **summary, **counts},
    )
    return summary | counts
