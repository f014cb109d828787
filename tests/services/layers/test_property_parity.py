"""Import and OGC edit refuse exactly the same property values, with the same codes (issue 12).

The cases are generated from the layers' declarations (layers/*.toml): for every writable property of every
editable layer, values of the wrong JSON type, absent and null, empty and blank text, NUL bytes and lone
surrogates, too long, outside the allowed values, pattern misses, just inside and just outside each bound,
fractions for integers, NaN and infinities, and integers too large for any column. Each value goes into an
otherwise valid feature, through the import (a GeoJSON file, written to the database) and through an OGC
Part 4 create, against the real PostGIS, each in a savepoint rolled back.

Grids: an import of one grid is refused by the layout checks whatever its properties, and a grid edit by the
topology checks, so for grids the outcomes compared are the property checks' codes alone.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from gisapp.domain.layers import Property, catalogue
from gisapp.domain.security import Binding
from gisapp.errors import AppError
from gisapp.services.access.audit import Actor
from gisapp.services.layers.edit import create_feature
from gisapp.services.layers.features import area_filter
from gisapp.services.layers.import_read import read_layer_file
from gisapp.services.layers.importer import import_layer
from tests.support import TEST_AUDIT_KEY

COUNTY = "320102"
PLANNER = Actor("demo-planner", "planner", "127.0.0.1")
PROPERTY_CODES = frozenset({"missing_property", "invalid_property", "out_of_range", "invalid_feature_id"})
ABSENT = object()
EDITABLE = [name for name, layer in catalogue().items() if layer.editable]


def _bounds_cases(prop: Property) -> list:
    out = []
    for bound, inclusive in ((prop.minimum, True), (prop.exclusive_minimum, False)):
        if bound is not None:
            out += [bound - 1, bound - 0.5, bound] + ([bound + 0.5] if not inclusive else [])
    for bound, inclusive in ((prop.maximum, True), (prop.exclusive_maximum, False)):
        if bound is not None:
            out += [bound + 1, bound + 0.5, bound] + ([bound - 0.5] if not inclusive else [])
    return out


def values_for(prop: Property, valid) -> list:
    """The values to try for a property: the valid one, absent, null, and every kind of wrong one."""
    cases = [valid, ABSENT, None, [], {}, [valid]]
    if prop.type == "string":
        cases += [5, 5.5, True, "", "   ", "\x00", f"{valid}\x00", "\ud800", f"{valid}\udfff", f"  {valid}  "]
        if prop.max_length:
            cases += ["名" * prop.max_length, "名" * (prop.max_length + 1)]
        if prop.values:
            cases += [*prop.values, prop.values[0].upper(), "other"]
        if prop.pattern:
            cases += [f"-{valid}", f"{valid}!", valid[:-1], valid + "0", f"{valid} "]
    elif prop.type in ("integer", "number"):
        cases += [
            "12",
            "",
            True,
            False,
            2.5,
            10**30,
            -(10**30),
            10**400,
            float("nan"),
            float("inf"),
            float("-inf"),
            1e308,
            *_bounds_cases(prop),
        ]
    elif prop.type == "boolean":
        cases += ["true", "yes", 0, 1, False, True]
    return cases


def base_feature(session, layer: str, n: int) -> dict:
    """A valid new feature of the layer inside the demo county."""
    lon, lat = session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM counties WHERE code = :c) x"),
        {"c": COUNTY},
    ).one()
    point = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
    if layer == "cameras":
        return {
            "type": "Feature",
            "geometry": point,
            "properties": {
                "device_id": f"32010200001310{800000 + n:06d}",
                "name": "核对摄像机",
                "azimuth_deg": 90,
                "fov_deg": 60,
                "range_m": 80,
                "online": True,
            },
        }
    if layer == "key-locations":
        return {
            "type": "Feature",
            "geometry": point,
            "properties": {"code": f"L8{n:03d}", "name": "核对部位", "kind": "school", "risk_level": 2},
        }
    if layer == "key-roads":
        line = {
            "type": "LineString",
            "coordinates": [point["coordinates"], [point["coordinates"][0] + 0.001, point["coordinates"][1]]],
        }
        return {
            "type": "Feature",
            "geometry": line,
            "properties": {"code": f"R8{n:03d}", "name": "核对路", "road_class": "primary"},
        }
    code, geometry = session.execute(
        text("SELECT code, ST_AsGeoJSON(geom, 7)::json FROM grids ORDER BY code LIMIT 1")
    ).one()
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code[:12] + "9" + f"{n % 100:02d}", "name": "核对网格"},
    }


def with_value(feature: dict, name: str, value) -> dict:
    properties = {k: v for k, v in feature["properties"].items() if k != name}
    if value is not ABSENT:
        properties[name] = value
    return {**feature, "properties": properties}


def import_outcome(session, layer: str, feature: dict) -> set[str]:
    """The import's codes for the feature (empty: written)."""
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()  # ASCII: \\ud800 survives
    savepoint = session.begin_nested()
    try:
        import_layer(
            session,
            TEST_AUDIT_KEY,
            PLANNER,
            COUNTY,
            layer,
            read_layer_file(data, "f.geojson"),
            file_name="f.geojson",
            file_hash="0" * 64,
        )
        return set()
    except AppError as refused:
        return {p["check"] for p in refused.details} if isinstance(refused.details, list) else {refused.code}
    finally:
        savepoint.rollback()


def edit_outcome(session, layer: str, feature: dict) -> tuple[set[str], str | None]:
    """The OGC create's code and field for the feature (empty: written)."""
    savepoint = session.begin_nested()
    try:
        create_feature(
            session, TEST_AUDIT_KEY, PLANNER, layer, area_filter(Binding.COUNTY, COUNTY), feature, reason="核对"
        )
        return set(), None
    except AppError as refused:
        return {refused.code}, refused.field
    finally:
        savepoint.rollback()


def cases():
    for layer in EDITABLE:
        for prop in catalogue()[layer].writable:
            yield layer, prop


@pytest.mark.parametrize("layer, prop", list(cases()), ids=lambda v: v if isinstance(v, str) else v.name)
def test_import_and_edit_refuse_the_same_values_with_the_same_codes(session, layer, prop):
    base = base_feature(session, layer, 0)
    valid = base["properties"][prop.name]
    assert import_outcome(session, layer, base) & PROPERTY_CODES == set()
    disagreements = []
    for n, value in enumerate(values_for(prop, valid), 1):
        feature = (
            with_value(base_feature(session, layer, n), prop.name, value)
            if prop.name != catalogue()[layer].id_property
            else with_value(base, prop.name, value)
        )
        imported = import_outcome(session, layer, feature)
        edited, field = edit_outcome(session, layer, feature)
        if layer == "grids":  # the layout's and topology's refusals are not the property check's
            imported, edited = imported & PROPERTY_CODES, edited & PROPERTY_CODES
        if imported != edited or (edited and field != prop.name):
            disagreements.append((value if not isinstance(value, str) else ascii(value), imported, edited, field))
    assert not disagreements, f"{layer}.{prop.name}: (value, import, edit, field) {disagreements}"


def test_the_strictest_range_of_a_camera_holds_on_both_paths(session):
    """range_m was capped at 5,000 m on import only; now both refuse 5,001 and accept 5,000."""
    far = with_value(base_feature(session, "cameras", 1), "range_m", 5001)
    assert import_outcome(session, "cameras", far) == {"out_of_range"}
    assert edit_outcome(session, "cameras", far) == ({"out_of_range"}, "range_m")
    edge = with_value(base_feature(session, "cameras", 2), "range_m", 5000)
    assert import_outcome(session, "cameras", edge) == set() and edit_outcome(session, "cameras", edge)[0] == set()
