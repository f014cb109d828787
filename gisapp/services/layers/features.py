"""Map layers as GeoJSON, filtered by bounding box; their declarations live in layers/*.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.security import Binding
from gisapp.errors import NotFound

# name -> (FROM clause with alias t, properties as SQL json_build_object arguments)
LAYER_QUERIES: dict[str, tuple[str, str]] = {
    "townships": ("townships t", "'code', t.code, 'name', t.name, 'county_code', t.county_code"),
    "communities": ("communities t JOIN townships p ON p.code = t.township_code",
                    "'code', t.code, 'name', t.name, 'township_code', t.township_code, "
                    "'township_name', p.name"),
    "grids": ("grids t JOIN communities c ON c.code = t.community_code "
              "LEFT JOIN teams tm ON tm.grid_code = t.code",
              "'code', t.code, 'name', t.name, 'community_code', t.community_code, "
              "'community_name', c.name, 'township_code', c.township_code, "
              "'team', CASE WHEN tm.code IS NULL THEN NULL ELSE json_build_object("
              "'code', tm.code, 'name', tm.name, 'members', (SELECT count(*) FROM members m "
              "WHERE m.team_code = tm.code), 'on_duty', (SELECT count(*) FROM members m "
              "WHERE m.team_code = tm.code AND m.duty_status IN ('on_duty', 'on_patrol'))) END"),
    "key-roads": ("key_roads t", "'code', t.code, 'name', t.name, 'road_class', t.road_class, "
                  "'length_m', round(ST_Length(t.geom::geography)::numeric, 1)"),
    "key-locations": ("key_locations t", "'code', t.code, 'name', t.name, 'kind', t.kind, "
                      "'risk_level', t.risk_level"),
    # the stretches of key roads no online camera sees (clause 7.1.3.2), kept by triggers (sql/027)
    "coverage-gaps": ("(SELECT r.code, r.name, k.gaps AS geom FROM key_roads r "
                      "JOIN key_road_coverage k ON k.road_code = r.code) t",
                      "'code', t.code, 'name', t.name, 'gap_m', round(ST_Length(t.geom::geography)::numeric, 1)"),
    "cameras": ("cameras t", "'device_id', t.device_id, 'name', t.name, 'azimuth_deg', t.azimuth_deg, "
                "'fov_deg', t.fov_deg, 'range_m', t.range_m, 'online', t.online"),
}
# each layer's feature id (its primary key, also the order of features): code unless named here
ID_COLUMN = {"cameras": "t.device_id"}
# when a feature was last written (sql/029): the `datetime` of OGC API queries; other layers are timeless
TIME_COLUMN = {name: "t.updated_at" for name in ("grids", "key-roads", "key-locations", "cameras")}
# a feature's version as its ETag: a grid's is its community's layout version (grid_edit.etag), since a
# grid changes only together with its neighbours; the others count their own writes (sql/029)
VERSION_SQL = {"grids": "t.community_code || '-' || c.layout_version",
               "key-roads": "t.code || '-' || t.version", "key-locations": "t.code || '-' || t.version",
               "cameras": "t.device_id || '-' || t.version"}
# properties a client may filter on (?township_code=...): the SQL expression and its JSON type
_CODE_NAME = {"code": ("t.code", "string"), "name": ("t.name", "string")}
QUERYABLES: dict[str, dict[str, tuple[str, str]]] = {
    "townships": {**_CODE_NAME, "county_code": ("t.county_code", "string")},
    "communities": {**_CODE_NAME, "township_code": ("t.township_code", "string")},
    "grids": {**_CODE_NAME, "community_code": ("t.community_code", "string"),
              "township_code": ("c.township_code", "string")},
    "key-roads": {**_CODE_NAME, "road_class": ("t.road_class", "string")},
    "key-locations": {**_CODE_NAME, "kind": ("t.kind", "string"), "risk_level": ("t.risk_level", "integer")},
    "cameras": {"device_id": ("t.device_id", "string"), "name": ("t.name", "string"),
                "online": ("t.online", "boolean")},
    "coverage-gaps": dict(_CODE_NAME),
}


# the area an account sees on the map: its county, its township, its grid with the grids around it,
# or for department staff (who work county-wide) the county their department serves
AREA_SQL: dict[Binding, str] = {
    Binding.COUNTY: "(SELECT geom FROM counties WHERE code = :scope_code)",
    Binding.TOWNSHIP: "(SELECT geom FROM townships WHERE code = :scope_code)",
    Binding.GRID: "(SELECT ST_Union(n.geom) FROM grids o JOIN grids n ON ST_Intersects(n.geom, o.geom) "
                  "WHERE o.code = :scope_code)",
    Binding.DEPARTMENT: "(SELECT k.geom FROM counties k JOIN departments d ON d.county_code = k.code "
                        "WHERE d.code = :scope_code)",
}
INSIDE = "ST_Relate({feature}, {area}, 'T********')"  # interiors meet: a shared edge alone is not in


def area_filter(binding: Binding, code: str, feature: str = "t.geom") -> tuple[str, dict]:
    """SQL that keeps the features inside an account's area."""
    return INSIDE.format(feature=feature, area=AREA_SQL[binding]), {"scope_code": code}


def layer_names() -> list[str]:
    return list(LAYER_QUERIES)


@lru_cache(maxsize=1)
def _declarations(layers_dir: str) -> dict[str, dict]:
    out = {}
    for path in sorted(Path(layers_dir).glob("*.toml")):
        with path.open("rb") as fh:
            decl = tomllib.load(fh)
        out[path.stem] = decl  # the file name is the API name (key-roads); "name" is the table
    return out


def layer_declarations(layers_dir: Path) -> dict[str, dict]:
    """The layers/*.toml declarations by API name (title, min_zoom, properties, style ...)."""
    return _declarations(str(layers_dir))


def describe_layers(layers_dir: Path) -> list[dict]:
    """The declared layers (title, geometry type, properties, style) that the API serves."""
    decls = _declarations(str(layers_dir))
    return [{"name": name, **{k: v for k, v in decls.get(name, {}).items() if k != "name"},
             "url": f"/api/v1/layers/{name}"} for name in LAYER_QUERIES]


@dataclass(frozen=True)
class Selection:
    """Which features of a layer: those in an area_filter, optionally within a bbox, with given property
    values (QUERYABLES), last written within a time span (either end None: open) or with one id."""

    area: tuple[str, dict]
    bbox: tuple[float, float, float, float] | None = None
    properties: dict[str, object] = field(default_factory=dict)
    time: tuple[datetime | None, datetime | None] | None = None
    feature_id: str | None = None


def _known(name: str) -> tuple[str, str]:
    if name not in LAYER_QUERIES:
        raise NotFound(f"no layer {name!r}; layers: {', '.join(LAYER_QUERIES)}", code="unknown_layer")
    return LAYER_QUERIES[name]


def id_column(name: str) -> str:
    return ID_COLUMN.get(name, "t.code")


def _where(name: str, selection: Selection) -> tuple[str, dict]:
    """The WHERE clause (alias t) and parameters of a selection."""
    clause, params = selection.area
    parts, params = [clause], dict(params)
    if selection.bbox is not None:
        parts.append("ST_Intersects(t.geom, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))")
        params.update(zip(("minx", "miny", "maxx", "maxy"), selection.bbox))
    for i, (prop, value) in enumerate(selection.properties.items()):
        parts.append(f"{QUERYABLES[name][prop][0]} = :q{i}")
        params[f"q{i}"] = value
    if selection.time is not None:
        for bound, op, value in zip(("t0", "t1"), (">=", "<="), selection.time):
            if value is not None:
                parts.append(f"{TIME_COLUMN[name]} {op} :{bound}")
                params[bound] = value
    if selection.feature_id is not None:
        parts.append(f"{id_column(name)} = :fid")
        params["fid"] = selection.feature_id
    return "WHERE " + " AND ".join(parts), params


def _feature_json(name: str, props: str, *, with_id: bool) -> str:
    """SQL building one feature (alias t) as json; the id member only where asked (the OGC API)."""
    ident = f"'id', {id_column(name)}, " if with_id else ""
    return (f"json_build_object('type', 'Feature', {ident}'geometry', ST_AsGeoJSON(t.geom, 7)::json, "
            f"'properties', json_build_object({props}))")


def layer_geojson(session: Session, name: str, bbox: tuple[float, float, float, float] | None,
                  area: tuple[str, dict]) -> str:
    """A FeatureCollection (as JSON text, built in PostGIS) of one layer within an area_filter, optionally a bbox."""
    source, props = _known(name)
    where, params = _where(name, Selection(area, bbox))
    sql = text(f"""
        SELECT json_build_object('type', 'FeatureCollection', 'name', CAST(:layer AS text),
               'features', COALESCE(json_agg(f.feature), '[]'::json))::text
        FROM (SELECT {_feature_json(name, props, with_id=False)} AS feature
              FROM {source} {where} ORDER BY {id_column(name)}) f
    """)
    return session.execute(sql, {"layer": name, **params}).scalar_one()


def feature_page(session: Session, name: str, selection: Selection, *, limit: int,
                 offset: int) -> tuple[str, int, int]:
    """A page of a selection's features in id order (a JSON array as text, built in PostGIS), how many it holds
    and how many match in all."""
    source, props = _known(name)
    where, params = _where(name, selection)
    features, returned = session.execute(text(f"""
        SELECT COALESCE(json_agg(f.feature), '[]'::json)::text, count(*)
        FROM (SELECT {_feature_json(name, props, with_id=True)} AS feature FROM {source} {where}
              ORDER BY {id_column(name)} LIMIT :limit OFFSET :offset) f
    """), {**params, "limit": limit, "offset": offset}).one()
    matched = session.execute(text(f"SELECT count(*) FROM {source} {where}"), params).scalar_one()
    return features, returned, matched


def feature_one(session: Session, name: str, area: tuple[str, dict], feature_id: str) -> tuple[dict, str | None] | None:
    """One feature of a layer in the area (None: no such feature there) and its version (None: read-only layer)."""
    source, props = _known(name)
    where, params = _where(name, Selection(area, feature_id=feature_id))
    version = VERSION_SQL.get(name, "NULL")
    row = session.execute(text(f"SELECT {_feature_json(name, props, with_id=True)} AS feature, {version} AS version "
                               f"FROM {source} {where}"), params).one_or_none()
    return (row.feature, row.version) if row else None


def layer_extent(session: Session, name: str, area: tuple[str, dict]) -> tuple[list[float] | None, list | None]:
    """The bbox of a layer's features in an area, and the first and last time one was written (None: timeless)."""
    source, _ = _known(name)
    where, params = _where(name, Selection(area))
    moment = TIME_COLUMN.get(name, "CAST(NULL AS timestamptz)")
    row = session.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), first, last FROM "
                               f"(SELECT ST_Extent(t.geom) AS e, min({moment}) AS first, max({moment}) AS last "
                               f"FROM {source} {where}) x"), params).one()
    bbox = [round(v, 7) for v in row[:4]] if row[0] is not None else None
    return bbox, ([row.first, row.last] if row.first is not None else None)


def grid_in_area(session: Session, grid_code: str, area: tuple[str, dict]) -> bool:
    """Is the grid inside an area_filter (alias g)?"""
    clause, params = area
    return bool(session.execute(text(f"SELECT {clause} FROM grids g WHERE g.code = :grid"),
                                {"grid": grid_code, **params}).scalar())
