"""Geocoding a point to its grid, and so to its community, township, county and responders.

Shared-edge rule: a point on an edge (or vertex) shared by several grids is covered by all of
them (ST_Covers, boundary included); it goes to the grid with the lowest code. Codes are
fixed, so the rule is deterministic and needs no geometry beyond the indexed covers test.
It reads grid_directory (sql/008_grid_directory.sql): one row per grid with its parents' names,
its team and its centers, so a look-up is one indexed covers test on one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gisapp.db import Prepared
from gisapp.errors import OutsideJurisdiction


@dataclass(frozen=True)
class Area:
    code: str
    name: str

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True)
class Location:
    grid: Area
    community: Area
    township: Area
    county: Area
    team: Area | None
    township_center: Area | None
    county_center: Area | None


DIRECTORY_COLUMNS = """
grid_code, grid_name, community_code, community_name, township_code, township_name,
county_code, county_name, team_code, team_name, sub_center_code, sub_center_name,
county_center_code, county_center_name"""


def covering_grid(lon: str, lat: str) -> str:
    """SQL of the covering grid through the GiST index, lowest code first (the shared-edge rule)."""
    return f"""
SELECT {DIRECTORY_COLUMNS} FROM grid_directory
WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326))
ORDER BY grid_code LIMIT 1"""


LOCATE = Prepared("gisapp_locate", covering_grid("$1", "$2"), ("float8", "float8"))


def _area(row, prefix: str) -> Area | None:
    code = getattr(row, f"{prefix}_code")
    return Area(code, getattr(row, f"{prefix}_name")) if code is not None else None


def outside(lon: float, lat: float) -> OutsideJurisdiction:
    return OutsideJurisdiction(
        f"the point ({lon:.6f}, {lat:.6f}) is outside every grid of the "
        "jurisdiction; check the coordinates and their crs"
    )


def locate(session: Session, lon: float, lat: float) -> Location:
    """The grid containing a WGS84 point, with its parents, team and centers."""
    row = LOCATE.fetch_one(session, (lon, lat))
    if row is None:
        raise outside(lon, lat)
    return location_from_row(row)


def location_from_row(row) -> Location:
    """A Location from a row carrying DIRECTORY_COLUMNS."""
    return Location(
        grid=_area(row, "grid"),
        community=_area(row, "community"),
        township=_area(row, "township"),
        county=_area(row, "county"),
        team=_area(row, "team"),
        township_center=_area(row, "sub_center"),
        county_center=_area(row, "county_center"),
    )
