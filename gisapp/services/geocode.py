"""Geocoding a point to its grid, and so to its community, township, county and responders.

Shared-edge rule: a point on an edge (or vertex) shared by several grids is covered by all of
them (ST_Covers, boundary included); it goes to the grid with the lowest code. Codes are
fixed, so the rule is deterministic and needs no geometry beyond the indexed covers test.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

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


LOCATE_SQL = text("""
SELECT g.code AS grid_code, g.name AS grid_name,
       c.code AS community_code, c.name AS community_name,
       t.code AS township_code, t.name AS township_name,
       k.code AS county_code, k.name AS county_name,
       tm.code AS team_code, tm.name AS team_name,
       sc.code AS sub_center_code, sc.name AS sub_center_name,
       cc.code AS county_center_code, cc.name AS county_center_name
FROM grids g
JOIN communities c ON c.code = g.community_code
JOIN townships t ON t.code = c.township_code
JOIN counties k ON k.code = t.county_code
LEFT JOIN teams tm ON tm.grid_code = g.code
LEFT JOIN command_centers sc ON sc.township_code = t.code AND sc.level = 'township'
LEFT JOIN command_centers cc ON cc.county_code = k.code AND cc.level = 'county'
WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
ORDER BY g.code
LIMIT 1
""")


def _area(row, prefix: str) -> Area | None:
    code = getattr(row, f"{prefix}_code")
    return Area(code, getattr(row, f"{prefix}_name")) if code is not None else None


def locate(session: Session, lon: float, lat: float) -> Location:
    """The grid containing a WGS84 point, with its parents, team and centers."""
    row = session.execute(LOCATE_SQL, {"lon": lon, "lat": lat}).one_or_none()
    if row is None:
        raise OutsideJurisdiction(
            f"the point ({lon:.6f}, {lat:.6f}) is outside every grid of the jurisdiction; "
            "check the coordinates and their crs")
    return Location(
        grid=_area(row, "grid"), community=_area(row, "community"),
        township=_area(row, "township"), county=_area(row, "county"),
        team=_area(row, "team"), township_center=_area(row, "sub_center"),
        county_center=_area(row, "county_center"),
    )
