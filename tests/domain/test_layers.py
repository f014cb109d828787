"""The layer declarations (layers/*.toml) and their loader, pure: every file loads, and a bad one fails loudly
naming the file and the key."""

from __future__ import annotations

import pytest

from gisapp.domain.layers import LayerDeclarationError, catalogue, check_properties, load_layers, parse_layer

GOOD = """
name = "things"
title = "东西"
title_en = "Things"
geometry_type = "Point"
min_zoom = 12
order = 1
id = "code"
editable = true

[source]
table = "things"
view = "layer_things"

[properties]
code = { type = "string", label = "编码", pattern = "[A-Z][0-9]{3}" }
size = { type = "integer", label = "大小", minimum = 1, maximum = 9, required = false, default = 1 }
"""


def write(tmp_path, text: str, name: str = "things.toml"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_committed_layers_load_in_their_declared_order():
    layers = catalogue()
    assert list(layers) == [
        "townships",
        "communities",
        "grids",
        "key-roads",
        "key-locations",
        "coverage-gaps",
        "cameras",
    ]
    cameras = layers["cameras"]
    assert cameras.id_property == "device_id" and cameras.source.view == "layer_cameras"
    assert cameras.prop("range_m").maximum == 5000 and cameras.prop("online").default is True
    assert [p.name for p in layers["key-roads"].writable] == ["code", "name", "road_class"]


def test_a_good_file_loads_into_frozen_definitions(tmp_path):
    things = load_layers(write(tmp_path, GOOD))["things"]
    assert things.accepts == ("Point",) and things.prop("size").required is False
    with pytest.raises(AttributeError):
        things.title = "x"  # frozen
    values, problems = check_properties(things, {"code": "A123"})
    assert values == {"code": "A123", "size": 1} and problems == []


# why each case: a typo in a key, a type the loader does not know, bounds on a text, a pattern that is not a
# regular expression, an id that is not a property, a default that breaks its own bounds, a required property
# with a default, an editable layer without a table, a view name that could smuggle SQL, broken TOML
@pytest.mark.parametrize(
    "change, key",
    [
        (lambda t: t.replace("min_zoom = 12", "minzoom = 12"), "minzoom"),
        (lambda t: t.replace('type = "integer"', 'type = "int"'), "properties.size.type"),
        (lambda t: t.replace('pattern = "[A-Z][0-9]{3}"', "maximum = 3"), "properties.code"),
        (lambda t: t.replace('pattern = "[A-Z][0-9]{3}"', 'pattern = "[A-Z"'), "properties.code.pattern"),
        (lambda t: t.replace('id = "code"', 'id = "serial"'), "id"),
        (lambda t: t.replace("default = 1", "default = 10"), "properties.size.default"),
        (lambda t: t.replace("required = false, ", ""), "properties.size.default"),
        (lambda t: t.replace('table = "things"\n', ""), "source.table"),
        (lambda t: t.replace('view = "layer_things"', 'view = "x; DROP TABLE grids"'), "source.view"),
        (lambda t: t.replace("[source]", "[source"), ""),
    ],
)
def test_a_bad_declaration_fails_loudly_with_its_file_and_key(tmp_path, change, key):
    with pytest.raises(LayerDeclarationError) as failed:
        load_layers(write(tmp_path, change(GOOD)))
    assert failed.value.file == "things.toml" and failed.value.key == key, str(failed.value)
    assert str(failed.value).startswith(f"things.toml: {key}")


def test_an_empty_directory_is_an_error(tmp_path):
    with pytest.raises(LayerDeclarationError):
        load_layers(tmp_path)


def test_loose_values_from_text_files_are_parsed_and_json_is_taken_as_typed():
    cameras = catalogue()["cameras"]
    given = {
        "device_id": "32010200001320000001",
        "name": " 东门 ",
        "azimuth_deg": "90",
        "fov_deg": "60",
        "range_m": "120",
        "online": "是",
    }
    values, problems = check_properties(cameras, given, loose=True)
    assert problems == [] and values["range_m"] == 120.0 and values["online"] is True and values["name"] == "东门"
    _, strict = check_properties(cameras, given)
    assert {p.property for p in strict} == {"azimuth_deg", "fov_deg", "range_m", "online"}
    assert {p.code for p in strict} == {"invalid_property"}


def test_parse_layer_names_the_file_it_was_given():
    with pytest.raises(LayerDeclarationError, match="^x.toml: title"):
        parse_layer("x.toml", {"name": "x"})
