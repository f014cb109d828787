"""Map layers as GeoJSON, filtered by bounding box, read from the views layers/*.toml declare (domain.layers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.layers import Layer, catalogue
from gisapp.domain.security import Binding
from gisapp.errors import NotFound

# every layer is read from its declared view (sql/038, alias t): its columns are the declared properties


def declared(name: str) -> Layer:
    """A declared layer by API name, or 404 unknown_layer."""
    found = catalogue().get(name)
    if found is None:
        raise NotFound(f"no layer {name!r}; layers: {', '.join(catalogue())}", code="unknown_layer")
    return found


def properties_sql(name: str) -> str:
    """The json_build_object arguments of a feature's properties: each declared property, its view column."""
    return ", ".join(f"'{p.name}', t.{p.name}" for p in declared(name).properties)


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
    return list(catalogue())


def describe_layers() -> list[dict]:
    """The declared layers (title, geometry type, properties, style) that the API serves."""
    return [{**layer.describe(), "url": f"/api/v1/layers/{name}"} for name, layer in catalogue().items()]


@dataclass(frozen=True)
class Selection:
    """Which features of a layer: those in an area_filter, optionally within a bbox, with given property
    values (its declared queryables), last written within a time span (either end None: open) or with one id."""

    area: tuple[str, dict]
    bbox: tuple[float, float, float, float] | None = None
    properties: dict[str, object] = field(default_factory=dict)
    time: tuple[datetime | None, datetime | None] | None = None
    feature_id: str | None = None


def id_column(name: str) -> str:
    return f"t.{declared(name).id_property}"


def time_column(name: str) -> str | None:
    """The view's column of a feature's last write (None: a timeless layer)."""
    column = declared(name).source.time
    return f"t.{column}" if column else None


def _where(name: str, selection: Selection) -> tuple[str, dict]:
    """The WHERE clause (alias t) and parameters of a selection."""
    clause, params = selection.area
    parts, params = [clause], dict(params)
    if selection.bbox is not None:
        parts.append("ST_Intersects(t.geom, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))")
        params.update(zip(("minx", "miny", "maxx", "maxy"), selection.bbox))
    for i, (prop, value) in enumerate(selection.properties.items()):
        parts.append(f"t.{declared(name).prop(prop).name} = :q{i}")
        params[f"q{i}"] = value
    if selection.time is not None:
        for bound, op, value in zip(("t0", "t1"), (">=", "<="), selection.time):
            if value is not None:
                parts.append(f"{time_column(name)} {op} :{bound}")
                params[bound] = value
    if selection.feature_id is not None:
        parts.append(f"{id_column(name)} = :fid")
        params["fid"] = selection.feature_id
    return "WHERE " + " AND ".join(parts), params


def _feature_json(name: str, *, with_id: bool) -> str:
    """SQL building one feature (alias t) as json; the id member only where asked (the OGC API)."""
    ident = f"'id', {id_column(name)}, " if with_id else ""
    return (
        f"json_build_object('type', 'Feature', {ident}'geometry', ST_AsGeoJSON(t.geom, 7)::json, "
        f"'properties', json_build_object({properties_sql(name)}))"
    )


def source_sql(name: str) -> str:
    """The FROM item of a layer: its declared view as t."""
    return f"{declared(name).source.view} t"


def layer_geojson(
    session: Session, name: str, bbox: tuple[float, float, float, float] | None, area: tuple[str, dict]
) -> str:
    """A FeatureCollection (as JSON text, built in PostGIS) of one layer within an area_filter, optionally a bbox."""
    source = source_sql(name)
    where, params = _where(name, Selection(area, bbox))
    sql = text(f"""
        SELECT json_build_object('type', 'FeatureCollection', 'name', CAST(:layer AS text),
               'features', COALESCE(json_agg(f.feature), '[]'::json))::text
        FROM (SELECT {_feature_json(name, with_id=False)} AS feature
              FROM {source} {where} ORDER BY {id_column(name)}) f
    """)
    return session.execute(sql, {"layer": name, **params}).scalar_one()


def feature_page(session: Session, name: str, selection: Selection, *, limit: int, offset: int) -> tuple[str, int, int]:
    """A page of a selection's features in id order (a JSON array as text, built in PostGIS), how many it holds
    and how many match in all."""
    source = source_sql(name)
    where, params = _where(name, selection)
    features, returned = session.execute(
        text(f"""
        SELECT COALESCE(json_agg(f.feature), '[]'::json)::text, count(*)
        FROM (SELECT {_feature_json(name, with_id=True)} AS feature FROM {source} {where}
              ORDER BY {id_column(name)} LIMIT :limit OFFSET :offset) f
    """),
        {**params, "limit": limit, "offset": offset},
    ).one()
    matched = session.execute(text(f"SELECT count(*) FROM {source} {where}"), params).scalar_one()
    return features, returned, matched


def feature_one(session: Session, name: str, area: tuple[str, dict], feature_id: str) -> tuple[dict, str | None] | None:
    """One feature of a layer in the area (None: no such feature there) and its version (None: read-only layer)."""
    source = source_sql(name)
    where, params = _where(name, Selection(area, feature_id=feature_id))
    column = declared(name).source.version
    version = f"t.{column}" if column else "NULL"
    row = session.execute(
        text(f"SELECT {_feature_json(name, with_id=True)} AS feature, {version} AS version FROM {source} {where}"),
        params,
    ).one_or_none()
    return (row.feature, row.version) if row else None


def layer_extent(session: Session, name: str, area: tuple[str, dict]) -> tuple[list[float] | None, list | None]:
    """The bbox of a layer's features in an area, and the first and last time one was written (None: timeless)."""
    source = source_sql(name)
    where, params = _where(name, Selection(area))
    moment = time_column(name) or "CAST(NULL AS timestamptz)"
    row = session.execute(
        text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), first, last FROM "
            f"(SELECT ST_Extent(t.geom) AS e, min({moment}) AS first, max({moment}) AS last "
            f"FROM {source} {where}) x"
        ),
        params,
    ).one()
    bbox = [round(v, 7) for v in row[:4]] if row[0] is not None else None
    return bbox, ([row.first, row.last] if row.first is not None else None)


def grid_in_area(session: Session, grid_code: str, area: tuple[str, dict]) -> bool:
    """Is the grid inside an area_filter (alias g)?"""
    clause, params = area
    return bool(
        session.execute(
            text(f"SELECT {clause} FROM grids g WHERE g.code = :grid"), {"grid": grid_code, **params}
        ).scalar()
    )
