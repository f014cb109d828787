"""Export of a map layer (issue 5): GeoJSON, GeoPackage or zipped Shapefile, in the stored CRS or a
requested one: EPSG:4490, a CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534-4554, metres), or the
GCJ-02 / BD-09 offsets of Chinese web maps. Written with pyogrio (GDAL), the features of the caller's area.
Shapefile is the old format it is: field names are cut to 10 characters (GDAL warns), text is UTF-8."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from gisapp.errors import ValidationFailed
from gisapp.spatial.crs import Crs, UnknownCrs, crs_name, is_offset, xy_from_wgs84

FORMATS = {
    "geojson": ("GeoJSON", ".geojson", "application/geo+json"),
    "gpkg": ("GPKG", ".gpkg", "application/geopackage+sqlite3"),
    "shp": ("ESRI Shapefile", ".shp", "application/zip"),
}


def target_crs(value: str | None) -> str:
    """The CRS to write, by its canonical name (gisapp.spatial.crs): an EPSG code or a Chinese web-map offset."""
    try:
        return crs_name(value, prefixed=False)
    except UnknownCrs:
        raise ValidationFailed(
            "crs: EPSG:4326, EPSG:4490, EPSG:4534 to EPSG:4554 (CGCS2000 Gauss-Kruger), GCJ-02 or BD-09",
            code="unknown_crs",
            field="crs",
        ) from None


def export_layer(geojson_text: str, name: str, fmt: str, crs: str) -> tuple[bytes, str, str]:
    """(file bytes, file name, media type) of a FeatureCollection written in a format and CRS."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format: one of {', '.join(FORMATS)}", code="unknown_format", field="format")
    driver, suffix, media = FORMATS[fmt]
    frame = gpd.GeoDataFrame.from_features(json.loads(geojson_text)["features"], crs="EPSG:4326")
    for column in frame.columns:  # nested properties (a grid's team) become JSON text: every format keeps them
        if column != "geometry" and frame[column].map(lambda v: isinstance(v, (dict, list))).any():
            frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False) if v is not None else None)
    if crs != Crs.WGS84:
        frame["geometry"] = shapely.transform(frame.geometry.values, xy_from_wgs84(crs))
        if not is_offset(crs):  # a web-map offset moves the coordinates, the file's CRS stays WGS84
            frame = frame.set_crs(crs, allow_override=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}{suffix}"
        frame.to_file(
            path,
            driver=driver,
            engine="pyogrio",
            layer=name,
            **({"layer_options": {"ENCODING": "UTF-8"}} if fmt == "shp" else {}),
        )
        if fmt != "shp":
            return path.read_bytes(), path.name, media
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)
        return buffer.getvalue(), f"{name}.zip", media
