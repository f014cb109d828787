"""The rules of edited map features, pure: property types, codes and ranges as the layers declare them (and
the SQL CHECKs say), geometry types and validity, ids, and JSON merge patch."""

import pytest
import shapely
from shapely.geometry import mapping

from gisapp.domain.features import check_geometry, clean_feature, clean_properties, merge_patch
from gisapp.domain.layers import catalogue
from gisapp.errors import ValidationFailed

POINT = {"type": "Point", "coordinates": [118.8, 32.05]}


def camera(**props) -> dict:
    return {
        "type": "Feature",
        "geometry": POINT,
        "properties": {
            "device_id": "32010200001320000001",
            "name": "摄像机",
            "azimuth_deg": 0,
            "fov_deg": 360,
            "range_m": 50,
            **props,
        },
    }


def code_of(call) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.code


def test_the_kinds_of_key_locations_are_those_the_layer_declares():
    kinds = catalogue()["key-locations"].prop("kind").values
    assert clean_properties("key-locations", {"name": "x", "kind": kinds[-1]})["kind"] == kinds[-1]
    assert code_of(lambda: clean_properties("key-locations", {"name": "x", "kind": "harbour"})) == "invalid_property"


def test_defaults_fill_optional_properties_and_computed_ones_are_ignored():
    assert clean_feature("cameras", camera()).properties["online"] is True
    road = clean_properties("key-roads", {"name": " 中山路 ", "road_class": "trunk", "length_m": 1.0})
    assert road == {"name": "中山路", "road_class": "trunk"}
    assert clean_properties("key-locations", {"name": "学校", "kind": "school"})["risk_level"] == 1


# why each case: the bounds of the camera CHECKs of sql/005 (azimuth 0 <= a < 360, 0 < fov <= 360, range > 0)
# and the declared 5 km of a camera's range, just inside and just outside each, and the integer range of a key
# location's risk level
@pytest.mark.parametrize(
    "layer, prop, value, ok",
    [
        ("cameras", "azimuth_deg", 0, True),
        ("cameras", "azimuth_deg", 359.9, True),
        ("cameras", "azimuth_deg", 360, False),
        ("cameras", "azimuth_deg", -1, False),
        ("cameras", "fov_deg", 360, True),
        ("cameras", "fov_deg", 0, False),
        ("cameras", "range_m", 0, False),
        ("cameras", "range_m", 0.5, True),
        ("cameras", "range_m", 5000, True),
        ("cameras", "range_m", 5000.5, False),
        ("key-locations", "risk_level", 3, True),
        ("key-locations", "risk_level", 0, False),
        ("key-locations", "risk_level", 2.5, False),
    ],
)
def test_ranges_follow_the_sql_checks(layer, prop, value, ok):
    base = {"cameras": camera()["properties"], "key-locations": {"name": "x", "kind": "school"}}[layer]
    call = lambda: clean_properties(layer, {**base, prop: value})  # noqa: E731
    if ok:
        assert call()[prop] == value
    else:
        assert code_of(call) in ("out_of_range", "invalid_property")


# why each case: a boolean is not a number, a number is not a text, an empty name, a value outside the list
@pytest.mark.parametrize("props", [{"range_m": True}, {"name": 5}, {"name": "  "}, {"online": "yes"}])
def test_wrong_types_are_invalid_property(props):
    assert code_of(lambda: clean_feature("cameras", camera(**props))) == "invalid_property"


def test_ids_come_from_the_path_the_id_member_or_the_property_and_must_agree():
    assert clean_feature("cameras", camera(), "32010200001320000001").id == "32010200001320000001"
    assert code_of(lambda: clean_feature("cameras", camera(), "32010200001320000002")) == "id_mismatch"
    assert code_of(lambda: clean_feature("cameras", camera(device_id="123"))) == "invalid_feature_id"
    road = {
        "type": "Feature",
        "id": "R9",
        "geometry": {"type": "LineString", "coordinates": [[118.8, 32], [118.9, 32]]},
        "properties": {"name": "路", "road_class": "primary"},
    }
    assert clean_feature("key-roads", road).id == "R9"


def test_geometries_must_be_of_the_layer_valid_and_in_range():
    bowtie = mapping(shapely.Polygon([(118.8, 32.0), (118.9, 32.1), (118.9, 32.0), (118.8, 32.1)]))
    assert code_of(lambda: check_geometry("grids", bowtie)) == "invalid_geometry"
    assert code_of(lambda: check_geometry("grids", POINT)) == "invalid_geometry_type"
    assert (
        code_of(lambda: check_geometry("cameras", {"type": "Point", "coordinates": [3e6, 3.5e6]})) == "invalid_geometry"
    )  # projected metres, not lon/lat
    assert code_of(lambda: check_geometry("cameras", {"type": "Point", "coordinates": "x"})) == "malformed_geometry"
    assert check_geometry("key-locations", POINT).equals(shapely.Point(118.8, 32.05))
    assert {n for n, layer in catalogue().items() if layer.editable} == {
        "grids",
        "key-roads",
        "key-locations",
        "cameras",
    }


def test_merge_patch_removes_with_null_and_replaces_arrays_whole():
    assert merge_patch({"a": [1, 2], "b": 1}, {"a": [3], "b": None}) == {"a": [3]}
    assert merge_patch({"p": {"x": 1}}, {"p": "flat"}) == {"p": "flat"}
