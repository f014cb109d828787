"""Reading a layer file for import (issue 5): GeoJSON, GeoPackage, zipped Shapefile or CSV with coordinates,
its CRS found in the file or declared by the caller, every geometry reprojected to the storage EPSG:4326.

Accepted CRSs: EPSG:4326, EPSG:4490 (taken as WGS84), the CGCS2000 3-degree Gauss-Kruger zones EPSG:4534-4554
and their zone-prefixed twins EPSG:4513-4533 (metres, through pyproj), and the GCJ-02 / BD-09 offsets, which
have no EPSG code and so are only ever declared by the caller. Nothing is guessed from value ranges: degrees
look the same in WGS84, CGCS2000, GCJ-02 and BD-09 (a few hundred metres apart), so a file without a CRS
(a CSV, a Shapefile without .prj) is refused unless the caller declares one.

GeoJSON and CSV are parsed here (json, csv) so that one broken feature or row is reported with its index
instead of failing the whole file inside GDAL; GeoPackage and Shapefile are read with pyogrio (GDAL).
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from gisapp.errors import UnsupportedMediaType, ValidationFailed
from gisapp.spatial.crs import (
    GEOGRAPHIC,
    UnacceptedCrs,
    UnknownCrs,
    crs_name,
    file_crs_name,
    gauss_kruger_prefixed_srid,
    is_offset,
    xy_to_wgs84,
)

SUFFIXES = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp", ".csv": "csv"}
ACCEPTED = "EPSG:4326, EPSG:4490, EPSG:4513-4554 (CGCS2000 Gauss-Kruger), GCJ-02 or BD-09"
# CSV: the coordinate columns recognised (case-insensitive), first match wins; or one WKT column
CSV_XY = (("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("x", "y"), ("经度", "纬度"))
CSV_WKT = ("wkt", "geometry", "geom", "the_geom")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")  # required; .prj and .cpg are optional


class FileRefused(ValidationFailed):
    """The file as a whole cannot be imported (unreadable, no CRS, an unknown CRS ...)."""

    code = "unreadable_file"


@dataclass
class SourceFeature:
    index: int  # position in the file, from 0 (a CSV's data rows, header not counted)
    properties: dict
    geometry: BaseGeometry | None  # in EPSG:4326 once read_layer_file returns
    error: str | None = None  # why no geometry could be read


@dataclass
class SourceFile:
    format: str
    crs: str  # the CRS the coordinates were in (EPSG:xxxx, GCJ-02, BD-09)
    features: list[SourceFeature]


def file_format(filename: str) -> str:
    """geojson, gpkg, shp (a .zip) or csv from the file name; 415 for anything else."""
    fmt = SUFFIXES.get(Path(filename or "").suffix.lower())
    if fmt is None:
        raise UnsupportedMediaType(
            f"{filename!r}: send a .geojson/.json, .gpkg, zipped Shapefile (.zip) or .csv file",
            code="unknown_file_type",
        )
    return fmt


def declared_crs(value: str | None) -> str | None:
    """The caller's CRS in canonical form (None: not declared); 422 unknown_crs for one not accepted."""
    if value is None or not str(value).strip():
        return None
    try:
        return crs_name(value)
    except UnknownCrs:
        raise ValidationFailed(f"crs {value!r}: one of {ACCEPTED}", code="unknown_crs", field="crs") from None


def _name_of(crs) -> str:
    """The accepted name of a CRS read from a file; unsupported_crs for others."""
    try:
        return file_crs_name(crs)
    except UnacceptedCrs as exc:
        raise FileRefused(
            f"the file's CRS {exc.name!r} is not accepted: reproject it to one of {ACCEPTED}", code="unsupported_crs"
        ) from None


def resolve_crs(from_file: str | None, declared: str | None, fmt: str) -> str:
    """The CRS of the coordinates: the file's, the caller's, or both when they agree."""
    if from_file is None and declared is None:
        hint = "a CSV has no CRS" if fmt == "csv" else "the file names no CRS (a Shapefile without .prj?)"
        raise FileRefused(
            f"{hint}: declare it (crs), e.g. EPSG:4326, EPSG:4549, GCJ-02", code="crs_required", field="crs"
        )
    if declared is None or from_file is None or declared == from_file:
        return declared or from_file
    if from_file in GEOGRAPHIC and (declared in GEOGRAPHIC or is_offset(declared)):
        return declared  # offset coordinates are routinely labelled WGS84: the caller knows better
    raise FileRefused(
        f"the file says {from_file} but crs {declared} was declared: remove one", code="crs_conflict", field="crs"
    )


def read_layer_file(
    data: bytes,
    filename: str,
    declared: str | None = None,
    *,
    layer: str = "",
    max_unpacked_bytes: int = 512 * 1024 * 1024,
) -> SourceFile:
    """The features of a file with their geometry in EPSG:4326 (FileRefused / 415 when it cannot be read)."""
    fmt = file_format(filename)
    declared = declared_crs(declared)
    if fmt == "geojson":
        features, file_crs = _read_geojson(data)
    elif fmt == "csv":
        features, file_crs = _read_csv(data), None
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = _unpack_shapefile(data, Path(tmp), max_unpacked_bytes) if fmt == "shp" else Path(tmp) / "in.gpkg"
            if fmt == "gpkg":
                path.write_bytes(data)
            features, file_crs = _read_with_gdal(path, layer)
    try:
        crs = resolve_crs(file_crs, declared, fmt)
    except FileRefused as refused:
        if refused.code == "crs_required":
            refused.message += coordinate_hint(features)
        raise
    transform = _transformer(crs)
    for feature in features:
        if feature.geometry is not None:
            feature.geometry = transform(shapely.force_2d(feature.geometry))
    return SourceFile(fmt, crs, features)


def coordinate_hint(features: list[SourceFeature]) -> str:
    """What the coordinates look like (a hint for the caller; never applied: see the module's docstring).

    >>> coordinate_hint([SourceFeature(0, {}, shapely.Point(40_500_000, 3_550_000))])
    '; the values look like Gauss-Kruger zone 40 with its prefix: EPSG:4528?'
    """
    shapes = [f.geometry for f in features if f.geometry is not None and not f.geometry.is_empty]
    if not shapes:
        return ""
    west, south, east, north = shapely.total_bounds(shapes)
    if -180 <= west and east <= 180 and -90 <= south and north <= 90:
        return "; the values look like degrees: EPSG:4326, EPSG:4490, GCJ-02 and BD-09 all do, say which"
    zones = {int(west // 1_000_000), int(east // 1_000_000)}
    if len(zones) == 1 and (srid := gauss_kruger_prefixed_srid(zone := zones.pop())):
        return f"; the values look like Gauss-Kruger zone {zone} with its prefix: EPSG:{srid}?"
    if 0 <= west and east <= 1_000_000:
        return "; the values look like Gauss-Kruger metres without a zone: EPSG:4534-4554 (CM 120°E: EPSG:4549)"
    return ""


def _transformer(crs: str):
    """geometry -> geometry in EPSG:4326."""
    if crs in GEOGRAPHIC:
        return lambda geom: geom
    to_4326 = xy_to_wgs84(crs)
    return lambda geom: shapely.transform(geom, to_4326)


# --- GeoJSON --------------------------------------------------------------------------------------


def _read_geojson(data: bytes) -> tuple[list[SourceFeature], str | None]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileRefused("the GeoJSON is not UTF-8 text (RFC 7946 asks for UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise FileRefused(f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise FileRefused("the GeoJSON is not a FeatureCollection with a features list")
    return [_geojson_feature(i, f) for i, f in enumerate(doc["features"])], _geojson_crs(doc.get("crs"))


def _geojson_crs(member) -> str:
    """The legacy `crs` member (GeoJSON 2008) if present, else RFC 7946's CRS84."""
    if member is None:
        return "EPSG:4326"
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    try:
        return _name_of(name)
    except UnknownCrs:
        raise FileRefused(
            f"the GeoJSON crs member {json.dumps(member, ensure_ascii=False)[:120]} is not a CRS "
            'name: use {"type": "name", "properties": {"name": "EPSG:4549"}}',
            code="unsupported_crs",
        ) from None


def _geojson_feature(index: int, feature) -> SourceFeature:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return SourceFeature(index, {}, None, "not a GeoJSON Feature")
    props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    if feature.get("geometry") is None:
        return SourceFeature(index, props, None, "the feature has no geometry")
    try:
        return SourceFeature(index, props, shapely.geometry.shape(feature["geometry"]))
    except Exception as exc:  # noqa: BLE001 - shapely raises several kinds for malformed GeoJSON
        return SourceFeature(index, props, None, f"malformed GeoJSON geometry ({type(exc).__name__})")


# --- CSV ------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Excel in China writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise FileRefused("the CSV is neither UTF-8 nor GB18030 text") from None


def _read_csv(data: bytes) -> list[SourceFeature]:
    try:
        rows = list(csv.DictReader(io.StringIO(_decode(data), newline="")))
    except csv.Error as exc:
        raise FileRefused(f"the CSV cannot be parsed: {exc}") from None
    if not rows:
        raise FileRefused("the CSV has a header and no rows, or nothing at all")
    columns = {name.strip().lower(): name for name in rows[0] if name is not None}
    xy = next(((columns[x], columns[y]) for x, y in CSV_XY if x in columns and y in columns), None)
    wkt = next((columns[w] for w in CSV_WKT if w in columns), None)
    if xy is None and wkt is None:
        raise FileRefused(
            "the CSV has no coordinate columns: lon,lat (or lng,lat / longitude,latitude / x,y / "
            "经度,纬度) or a WKT column (wkt, geometry, geom, the_geom)",
            code="no_coordinates",
        )
    used = set(xy or ()) | {wkt}
    return [_csv_row(i, row, xy, wkt, used) for i, row in enumerate(rows)]


def _csv_row(index: int, row: dict, xy, wkt, used: set) -> SourceFeature:
    props = {
        k.strip(): (v.strip() if isinstance(v, str) and v.strip() else None)
        for k, v in row.items()
        if k is not None and k not in used
    }
    if xy is not None:
        raw = (row.get(xy[0]) or "").strip(), (row.get(xy[1]) or "").strip()
        try:
            x, y = float(raw[0]), float(raw[1])
        except ValueError:
            return SourceFeature(index, props, None, f"non-numeric coordinate {xy[0]}={raw[0]!r}, {xy[1]}={raw[1]!r}")
        if not (math.isfinite(x) and math.isfinite(y)):
            return SourceFeature(index, props, None, f"coordinate not finite: {raw[0]}, {raw[1]}")
        return SourceFeature(index, props, shapely.Point(x, y))
    try:
        return SourceFeature(index, props, shapely.from_wkt((row.get(wkt) or "").strip()))
    except shapely.errors.GEOSException:
        return SourceFeature(index, props, None, f"the {wkt} column is not WKT")


# --- GeoPackage and Shapefile (GDAL) ----------------------------------------------------------------


def _unpack_shapefile(data: bytes, into: Path, max_bytes: int) -> Path:
    """The .shp of the zip with its sibling parts, written under into; refused when parts are missing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError):
        raise FileRefused("the file is not a readable zip archive (truncated or damaged?)") from None
    shps = [m for m in members if m.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        raise FileRefused(
            "the zip has no .shp file" if not shps else f"the zip has {len(shps)} .shp files: send one layer per zip",
            code="missing_shapefile_part" if not shps else "ambiguous_layer",
        )
    stem = shps[0].filename[:-4]
    parts = {
        m.filename[len(stem) :].lower(): m
        for m in members
        if m.filename[: len(stem)] == stem and m.filename[len(stem) :].lower() in (*SHAPEFILE_PARTS, ".prj", ".cpg")
    }
    missing = [p for p in SHAPEFILE_PARTS if p not in parts]
    if missing:
        raise FileRefused(
            f"the zip lacks {', '.join(missing)} beside {shps[0].filename}", code="missing_shapefile_part"
        )
    if sum(m.file_size for m in parts.values()) > max_bytes:
        raise FileRefused(f"the shapefile unpacks to more than {max_bytes} bytes", code="file_too_large")
    try:
        for suffix, member in parts.items():  # our own names: nothing in the zip chooses a path
            (into / f"layer{suffix}").write_bytes(archive.read(member))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileRefused("the zip archive is damaged (a CRC or length error): send it again") from None
    return into / "layer.shp"


def _read_with_gdal(path: Path, layer: str) -> tuple[list[SourceFeature], str | None]:
    import geopandas as gpd
    import pyogrio

    try:
        options = {"layer": _gpkg_layer(pyogrio.list_layers(path), layer)} if path.suffix == ".gpkg" else {}
        if path.suffix == ".shp" and not path.with_suffix(".cpg").exists():
            options["encoding"] = "UTF-8"  # no .cpg: take UTF-8 (what we and QGIS write) rather than Latin-1
        frame = gpd.read_file(path, engine="pyogrio", **options)
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - GDAL's errors for unreadable files come in several classes
        raise FileRefused(f"the file cannot be read as {path.suffix[1:].upper()}: {type(exc).__name__}") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise FileRefused("the file's layer has no geometry column", code="missing_geometry")
    file_crs = _name_of(frame.crs) if frame.crs is not None else None
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = []
    for index, (props, geom) in enumerate(zip(frame[columns].to_dict("records"), frame.geometry.values)):
        props = {k: _plain(v) for k, v in props.items()}
        features.append(SourceFeature(index, props, geom, None if geom is not None else "the feature has no geometry"))
    return features, file_crs


def _gpkg_layer(layers, wanted: str) -> str:
    """The GeoPackage layer to read: the only one, or the one named like the target layer."""
    names = [str(name) for name, _ in layers]
    if len(names) == 1:
        return names[0]
    for name in names:
        if name.lower().replace("_", "-") == wanted:
            return name
    raise FileRefused(
        f"the GeoPackage has layers {', '.join(names)}: keep one, or name it {wanted}", code="ambiguous_layer"
    )


def _plain(value):
    """numpy / pandas values as plain Python (NaN and NaT as None)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
