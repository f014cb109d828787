"""Vector tiles (MVT) of the map layers, built in PostGIS, scoped like the layers, cached in PostgreSQL.

The layers' SQL (source, properties, area filter) is gisapp/services/layers/features.py's; this module only cuts
it into Web Mercator tiles. The jurisdiction tilesets generalise at low zooms: the grids tileset shows
township outlines below the communities' min_zoom and community outlines below the grids' min_zoom
(layers/*.toml), drawn from the outlines precomputed by sql/023. Tiles are cached per caller's scope
in the table tile_cache, which triggers (sql/024) purge when a layer changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.layers import catalogue
from gisapp.domain.security import Binding
from gisapp.errors import NotFound
from gisapp.services.layers.features import AREA_SQL, area_filter, id_column, properties_sql, source_sql
from gisapp.spatial.tiles import is_tile

MAX_ZOOM = 18
EXTENT = 4096  # MVT units per tile side
BUFFER = 256  # units drawn beyond the edge, so strokes and labels do not break at tile seams
MARGIN = BUFFER / EXTENT
JURISDICTION = ("townships", "communities", "grids")  # coarse to fine
GENERALISED = {"townships", "communities"}  # have geom_z9 and geom_z12 (sql/023)
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
JSON_TYPES = {"string": "String", "number": "Number", "boolean": "Boolean"}


@dataclass(frozen=True)
class TileLayer:
    """One MVT layer of a tileset, drawn at zooms minzoom..maxzoom from the layer of the same name."""

    name: str
    minzoom: int
    maxzoom: int


@dataclass(frozen=True)
class Tile:
    data: bytes
    etag: str
    source: str  # "hit" (from the cache), "miss" (built and stored), "bypass" (built during a change: not stored)


def tilesets() -> dict[str, tuple[TileLayer, ...]]:
    """Every tileset (one per layer) and the MVT layers it holds by zoom, from the declared min_zooms."""
    min_zoom = {name: layer.min_zoom for name, layer in catalogue().items()}
    out: dict[str, tuple[TileLayer, ...]] = {}
    for name in catalogue():
        if name not in JURISDICTION:
            out[name] = (TileLayer(name, min_zoom[name], MAX_ZOOM),)
            continue
        ladder = JURISDICTION[: JURISDICTION.index(name) + 1]
        starts = [0, *(min_zoom[n] for n in ladder[1:])]
        ends = [s - 1 for s in starts[1:]] + [MAX_ZOOM]
        out[name] = tuple(TileLayer(n, s, e) for n, s, e in zip(ladder, starts, ends))
    return out


def tileset(name: str) -> tuple[TileLayer, ...]:
    found = tilesets().get(name)
    if found is None:
        raise NotFound(f"no tileset {name!r}; tilesets: {', '.join(catalogue())}", code="unknown_layer")
    return found


def geometry_column(layer: str, z: int) -> str:
    """The geometry drawn at a zoom: a precomputed outline where one serves it, else the stored one."""
    if layer in GENERALISED and z <= 9:
        return "t.geom_z9"
    if layer in GENERALISED and z <= 12:
        return "t.geom_z12"
    return "t.geom"


def scope_key(binding: Binding, code: str) -> str:
    """The cache key part of a caller's area ('grid:320102002001001')."""
    return f"{binding}:{code}"


def _layer_mvt_sql(layer: str, z: int, area_clause: str) -> str:
    """One MVT layer of the tile :z/:x/:y: the layer's features in the area meeting the buffered tile."""
    return f"""(SELECT ST_AsMVT(q, '{layer}', {EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Transform({geometry_column(layer, z)}, 3857), ST_TileEnvelope(:z, :x, :y),
                            {EXTENT}, {BUFFER}, true) AS geom,
               tile_properties(jsonb_build_object({properties_sql(layer)})) AS properties
        FROM {source_sql(layer)}
        WHERE t.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {MARGIN}), 4326)
              AND {area_clause}
        ORDER BY {id_column(layer)}) q WHERE q.geom IS NOT NULL)"""


def tile_sql(layers: tuple[TileLayer, ...], z: int, area_clause: str) -> str:
    """SELECT the bytes of a tile: the MVT layers shown at z, concatenated (an MVT is a list of layers)."""
    parts = [
        f"COALESCE({_layer_mvt_sql(layer.name, z, area_clause)}, ''::bytea)"
        for layer in layers
        if layer.minzoom <= z <= layer.maxzoom
    ]
    return "SELECT " + (" || ".join(parts) if parts else "''::bytea")


def build_tile(
    session: Session, layers: tuple[TileLayer, ...], z: int, x: int, y: int, area: tuple[str, dict]
) -> bytes:
    """The tile's bytes, straight from PostGIS (no cache)."""
    clause, params = area
    return bytes(session.execute(text(tile_sql(layers, z, clause)), {"z": z, "x": x, "y": y, **params}).scalar_one())


CACHED_SQL = text(
    "SELECT tile, etag FROM tile_cache WHERE tileset = :tileset AND z = :z AND x = :x AND y = :y AND scope = :scope"
)
STORE_SQL = text("""
    INSERT INTO tile_cache (tileset, z, x, y, scope, tile, etag, envelope)
    VALUES (:tileset, :z, :x, :y, :scope, :tile, md5(:tile),
            ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326))
    ON CONFLICT (tileset, z, x, y, scope) DO UPDATE SET tile = EXCLUDED.tile, etag = EXCLUDED.etag,
        made_at = now()
    RETURNING etag
""")


def check_tile(z: int, x: int, y: int) -> None:
    if not is_tile(z, x, y, MAX_ZOOM):
        raise NotFound(f"no tile {z}/{x}/{y}: zooms are 0..{MAX_ZOOM} and x, y 0..2^z-1", code="tile_out_of_range")


def get_tile(session: Session, name: str, z: int, x: int, y: int, binding: Binding, code: str) -> Tile:
    """A tile of a tileset in a caller's area: from the cache, or built and stored (commit to keep it)."""
    layers = tileset(name)
    check_tile(z, x, y)
    key = {"tileset": name, "z": z, "x": x, "y": y, "scope": scope_key(binding, code)}
    row = session.execute(CACHED_SQL, key).first()
    if row is not None:
        return Tile(bytes(row.tile), row.etag, "hit")
    # shared with other builders, exclusive to a change until it commits (sql/024): without it a change is in
    # progress, and a tile built now could be stored after its purge: serve it, do not store it, never wait
    storable = session.execute(text("SELECT pg_try_advisory_xact_lock_shared(tile_cache_lock_key())")).scalar_one()
    data = build_tile(session, layers, z, x, y, area_filter(binding, code))
    if not storable:
        return Tile(data, hashlib.md5(data).hexdigest(), "bypass")
    etag = session.execute(STORE_SQL, {**key, "tile": data, "margin": MARGIN}).scalar_one()
    return Tile(data, etag, "miss")


def layer_fields(session: Session, layer: str) -> dict[str, str]:
    """An MVT layer's attributes and their types, read from the layer's own SQL (a sample of its rows: an object
    property such as a grid's team becomes several attributes), labelled as declared."""
    rows = session.execute(
        text(f"""
        SELECT p.key, min(jsonb_typeof(p.value)) FROM (
            SELECT tile_properties(jsonb_build_object({properties_sql(layer)})) AS j FROM {source_sql(layer)}
            LIMIT 200) s,
            jsonb_each(s.j) p GROUP BY p.key ORDER BY p.key""")
    ).all()
    labels = {p.name: p.label for p in catalogue()[layer].properties}
    out = {}
    for key, json_type in rows:
        kind = JSON_TYPES.get(json_type, "String")
        label = labels.get(key)
        out[key] = f"{label} ({kind})" if label else kind
    return out


def area_bounds(session: Session, binding: Binding, code: str) -> list[float]:
    """[west, south, east, north] of a caller's area (the whole Mercator world when it has none)."""
    row = session.execute(
        text(f"SELECT ST_XMin(a), ST_YMin(a), ST_XMax(a), ST_YMax(a) FROM (SELECT {AREA_SQL[binding]}::box2d AS a) s"),
        {"scope_code": code},
    ).one()
    if row[0] is None:
        return [-180.0, -85.0511, 180.0, 85.0511]
    return [round(float(v), 6) for v in row]


def tilejson(session: Session, name: str, origin: str, binding: Binding, code: str) -> dict:
    """The TileJSON 3.0.0 document of a tileset, for a caller: its tiles URL, zooms, area and layers."""
    layers = tileset(name)
    decls = catalogue()
    bounds = area_bounds(session, binding, code)
    minzoom = min(layer.minzoom for layer in layers)
    vector_layers = [
        {
            "id": layer.name,
            "description": decls[layer.name].title,
            "minzoom": layer.minzoom,
            "maxzoom": layer.maxzoom,
            "fields": layer_fields(session, layer.name),
        }
        for layer in layers
    ]
    return {
        "tilejson": "3.0.0",
        "name": name,
        "description": decls[name].title,
        "scheme": "xyz",
        "tiles": [f"{origin.rstrip('/')}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": minzoom,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), max(minzoom, 12)],
        "vector_layers": vector_layers,
    }


def clear_cache(session: Session, older_than_hours: float | None = None) -> int:
    """Delete cached tiles (all, or those stored more than some hours ago); how many went."""
    if older_than_hours is None:
        return session.execute(text("DELETE FROM tile_cache")).rowcount
    return session.execute(
        text("DELETE FROM tile_cache WHERE made_at < now() - make_interval(secs => :s)"), {"s": older_than_hours * 3600}
    ).rowcount
