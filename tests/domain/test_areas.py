"""Area codes: one place that knows the lengths of county, township, community and grid codes."""

from __future__ import annotations

import pytest

from gisapp.domain.areas import AreaCode, Level, community_code, county_code, prefix


@pytest.mark.parametrize(
    ("code", "level", "county", "township", "community"),
    [
        # each level, and the parents a code carries in its prefix
        ("320102", Level.COUNTY, "320102", None, None),
        ("320102002", Level.TOWNSHIP, "320102", "320102002", None),
        ("320102002001", Level.COMMUNITY, "320102", "320102002", "320102002001"),
        ("320102002001003", Level.GRID, "320102", "320102002", "320102002001"),
    ],
)
def test_a_code_knows_its_level_and_its_parents(code, level, county, township, community):
    area = AreaCode(code)
    assert (area.level, area.county, area.township, area.community) == (level, county, township, community)
    assert AreaCode(county).contains(code) and str(area) == code


@pytest.mark.parametrize(
    "bad",
    [
        "32010",  # a length no level has
        "3201020020010031",  # one digit too many for a grid
        "32010２",  # a full-width digit is a digit to Python, not in a division code
        "3201\x0002",  # a NUL byte
        "",
        None,
    ],
)
def test_what_is_not_an_area_code(bad):
    assert AreaCode.of(bad) is None
    with pytest.raises(ValueError):
        AreaCode(bad)


def test_prefixes_do_not_check():
    # the callers' look-ups find nothing for a malformed code and say so: slicing never raises
    assert prefix("12", Level.COMMUNITY) == "12"
    assert county_code("320102002001003") == "320102" and community_code("320102002001003") == "320102002001"
