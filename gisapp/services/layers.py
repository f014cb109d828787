"""Map layers as GeoJSON, filtered by bounding box; their declarations live in layers/*.toml."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.security import Binding
from gisapp.errors import NotFound

# what the online cameras see of a road (alias r), and the stretches they miss (clause 7.1.3.2)
SEEN_SQL = ("(SELECT ST_Union(c.view) FROM cameras c "
            "WHERE c.online AND c.view && r.geom AND ST_Intersects(c.view, r.geom))")
GAPS_SQL = "ST_Multi(CASE WHEN seen IS NULL THEN r.geom ELSE ST_CollectionExtract(ST_Difference(r.geom, seen), 2) END)"

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
    "coverage-gaps": (f"(SELECT r.code, r.name, r.geom AS road_geom, {GAPS_SQL} AS geom "
                      f"FROM (SELECT r.*, {SEEN_SQL} AS seen "
                      "FROM key_roads r) r) t",
                      "'code', t.code, 'name', t.name, 'gap_m', round(ST_Length(t.geom::geography)::numeric, 1)"),
    "cameras": ("cameras t", "'device_id', t.device_id, 'name', t.name, 'azimuth_deg', t.azimuth_deg, "
                "'fov_deg', t.fov_deg, 'range_m', t.range_m, 'online', t.online"),
}
ORDER = {"cameras": "t.device_id"}
# a column whose box covers each feature's geometry and which a box filter reaches before the geometry is
# computed (a derived layer's stored source), so a bbox or a tile computes only the features it shows
BOX_COLUMN = {"coverage-gaps": "t.road_geom"}


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


def layer_geojson(session: Session, name: str, bbox: tuple[float, float, float, float] | None,
                  area: tuple[str, dict]) -> str:
    """A FeatureCollection (as JSON text, built in PostGIS) of one layer within an area_filter, optionally a bbox."""
    if name not in LAYER_QUERIES:
        raise NotFound(f"no layer {name!r}; layers: {', '.join(LAYER_QUERIES)}", code="unknown_layer")
    source, props = LAYER_QUERIES[name]
    clause, params = area
    where = f"WHERE {clause}"
    if bbox is not None:
        where += f" AND {BOX_COLUMN.get(name, 't.geom')} && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
        params = {**params, **dict(zip(("minx", "miny", "maxx", "maxy"), bbox))}
    sql = text(f"""
        SELECT json_build_object('type', 'FeatureCollection', 'name', CAST(:layer AS text),
               'features', COALESCE(json_agg(f.feature), '[]'::json))::text
        FROM (SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
                                       'properties', json_build_object({props})) AS feature
              FROM {source} {where} ORDER BY {ORDER.get(name, 't.code')}) f
    """)
    return session.execute(sql, {"layer": name, **params}).scalar_one()


def grid_in_area(session: Session, grid_code: str, area: tuple[str, dict]) -> bool:
    """Is the grid inside an area_filter (alias g)?"""
    clause, params = area
    return bool(session.execute(text(f"SELECT {clause} FROM grids g WHERE g.code = :grid"),
                                {"grid": grid_code, **params}).scalar())
