"""The tilesets' zoom ladder (from layers/*.toml) and the SQL a tile is cut with: pure, no database."""

from gisapp.services.layers.features import layer_names
from gisapp.services.layers.tiles import MAX_ZOOM, TileLayer, geometry_column, tile_sql, tilesets


def test_every_layer_has_a_tileset_covering_its_zooms_without_gaps_or_overlaps():
    sets = tilesets()
    assert list(sets) == layer_names()
    for name, layers in sets.items():
        assert layers[-1].name == name and layers[-1].maxzoom == MAX_ZOOM
        assert all(a.maxzoom + 1 == b.minzoom for a, b in zip(layers, layers[1:])), name


def test_the_grids_tileset_shows_townships_then_communities_then_grids_at_the_declared_zooms():
    assert tilesets()["grids"] == (
        TileLayer("townships", 0, 11),
        TileLayer("communities", 12, 12),
        TileLayer("grids", 13, MAX_ZOOM),
    )


# point layers are not generalised; below their min_zoom their tiles are empty
def test_point_layers_start_at_their_min_zoom():
    assert tilesets()["cameras"] == (TileLayer("cameras", 15, MAX_ZOOM),)
    assert tile_sql(tilesets()["cameras"], 14, "true") == "SELECT ''::bytea"


# the outline precomputed for the zooms up to 9, then up to 12, then the stored geometry
def test_outlines_are_generalised_by_zoom_and_grids_never():
    assert [geometry_column("townships", z) for z in (5, 9, 10, 12, 13)] == [
        "t.geom_z9",
        "t.geom_z9",
        "t.geom_z12",
        "t.geom_z12",
        "t.geom",
    ]
    assert geometry_column("grids", 8) == "t.geom"
