"""Area codes: the national division codes of a county (6 digits), a township (9) and a community (12), and the
grid codes that extend them (15). A code starts with its parent's code (sql/002's CHECKs), so the parents of
an area are prefixes of its code. This is the one place that knows the lengths; SQL names the same prefixes with
area_county(), area_township() and area_community() (sql/039), which mirror LENGTHS
(tests/test_sql_mirrors.py checks that they agree).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"


LENGTHS = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.COMMUNITY: 12, Level.GRID: 15}  # mirrored by sql/039
SQL_PREFIX_FUNCTIONS = {Level.COUNTY: "area_county", Level.TOWNSHIP: "area_township", Level.COMMUNITY: "area_community"}
_BY_LENGTH = {n: level for level, n in LENGTHS.items()}


@dataclass(frozen=True)
class AreaCode:
    """A county, township, community or grid code, and the codes of the areas it lies in.

    >>> grid = AreaCode("320102002001001")
    >>> grid.level, grid.county, grid.township, grid.community
    (<Level.GRID: 'grid'>, '320102', '320102002', '320102002001')
    >>> AreaCode("320102").township is None, AreaCode("320102002").contains("320102002001001")
    (True, True)
    >>> AreaCode("32010")
    Traceback (most recent call last):
    ValueError: an area code is 6, 9, 12 or 15 digits, not '32010'
    """

    code: str

    def __post_init__(self) -> None:
        if not (
            isinstance(self.code, str) and self.code.isascii() and self.code.isdigit() and len(self.code) in _BY_LENGTH
        ):
            raise ValueError(f"an area code is 6, 9, 12 or 15 digits, not {self.code!r}")

    @classmethod
    def of(cls, code: object) -> "AreaCode | None":
        """The area code, or None when the text is not one."""
        try:
            return cls(code)  # type: ignore[arg-type]
        except ValueError:
            return None

    @property
    def level(self) -> Level:
        return _BY_LENGTH[len(self.code)]

    def at(self, level: Level) -> str | None:
        """The code of the area at `level` containing this one (itself at its own level; None below it)."""
        n = LENGTHS[level]
        return self.code[:n] if n <= len(self.code) else None

    @property
    def county(self) -> str:
        return self.code[: LENGTHS[Level.COUNTY]]

    @property
    def township(self) -> str | None:
        return self.at(Level.TOWNSHIP)

    @property
    def community(self) -> str | None:
        return self.at(Level.COMMUNITY)

    def contains(self, other: str) -> bool:
        """Whether the area of `other` (a code) lies in this one (or is it)."""
        return isinstance(other, str) and other.startswith(self.code)

    def __str__(self) -> str:
        return self.code


def prefix(code: str, level: Level) -> str:
    """The code of the area at `level` that `code` lies in: its prefix. Not a check: a malformed code gives a
    prefix that names no area (the callers' look-ups then find nothing and say so).

    >>> prefix("320102002001003", Level.COMMUNITY), prefix("320102002", Level.COUNTY)
    ('320102002001', '320102')
    """
    return code[: LENGTHS[level]]


def prefixes(codes: Iterable[str], level: Level) -> list[str]:
    """The codes at `level` of many codes at once (bulk writers such as the demo history); see :func:`prefix`.

    >>> prefixes(["320102002001003", "320102003001001"], Level.TOWNSHIP), prefixes([], Level.COUNTY)
    (['320102002', '320102003'], [])
    """
    n = LENGTHS[level]
    return [code[:n] for code in codes]


def is_grid_of(code: object, community: str) -> bool:
    """Whether `code` is a well-formed grid code (15 digits) of the community `community`.

    >>> is_grid_of("320102002001003", "320102002001"), is_grid_of("320102002002003", "320102002001")
    (True, False)
    >>> is_grid_of("32010200200100a", "320102002001"), is_grid_of("320102002001003 ", "320102002001")
    (False, False)
    """
    area = AreaCode.of(code)
    return area is not None and area.level is Level.GRID and area.community == community


def county_code(code: str) -> str:
    """The county code of an area or grid code (its first six digits).

    >>> county_code("320102002001")
    '320102'
    """
    return prefix(code, Level.COUNTY)


def community_code(grid_code: str) -> str:
    """The community code of a grid code (its first twelve digits).

    >>> community_code("320102002001003")
    '320102002001'
    """
    return prefix(grid_code, Level.COMMUNITY)
