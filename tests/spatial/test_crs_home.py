"""gisapp/spatial/crs.py is the one home of CRS names and conversions: no other module of the app or the benchmarks
parses a CRS name, maps EPSG codes, keeps a table of Gauss-Kruger zones or builds a pyproj transformation."""

import re

import pytest

from gisapp.config import PROJECT_ROOT

HOME = PROJECT_ROOT / "gisapp" / "spatial" / "crs.py"
FORBIDDEN = {
    # pyproj's CRS and Transformer (pyproj.Geod, geodesic distances, is not a CRS and stays where it is used)
    "pyproj CRS or Transformer": re.compile(
        r"\bTransformer\b|\bpyproj\.CRS\b|from pyproj import .*\bCRS\b|"
        r"\bCRS\.from_|\bCRSError\b"
    ),
    "a geopandas reprojection": re.compile(r"\.to_crs\(|\.to_epsg\("),
    "a spelling of a CRS normalised by hand": re.compile(r"[\"'](EPSG4326|EPSG4490|GCJ02|BD09|BD09LL|CGCS2000)[\"']"),
    "Gauss-Kruger zone arithmetic": re.compile(r"\b45(13|34)\s*\+|range\(\s*45\d\d"),
}


def sources():
    for folder in ("gisapp", "bench"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path != HOME:
                yield path


# one case per kind of duplicate: a failure names the file and the line to route through gisapp.spatial.crs
@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_crs_parsing_lives_only_in_spatial_crs(kind):
    pattern = FORBIDDEN[kind]
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}"
        for path in sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{kind} outside gisapp/spatial/crs.py:\n" + "\n".join(found)


def test_the_home_has_what_the_others_use():
    text = HOME.read_text(encoding="utf-8")
    assert all(pattern.search(text) for kind, pattern in FORBIDDEN.items() if kind != "a geopandas reprojection")
