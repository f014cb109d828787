"""Who receives a new event (standard 6.2.1): level 1 as the rule, level 2 as the backstop."""

from __future__ import annotations

from dataclasses import dataclass

from gisapp.domain.events import ResponseLevel


@dataclass(frozen=True)
class Party:
    kind: str  # "team" | "department" | "center"
    code: str
    name: str


@dataclass(frozen=True)
class Route:
    level: ResponseLevel
    center: Party  # the center that dispatches and supervises
    assignee: Party  # who must acknowledge and handle


def route_event(
    *,
    category_level: int,
    grid_team: Party | None,
    township_center: Party | None,
    county_center: Party,
    department: Party | None,
    urgent: bool = False,
) -> Route:
    """Route a new event.

    Level-1 categories go to the grid's joint-duty team through the township sub-center.
    Level-2 categories, emergencies (urgent priority) of any category and events a staff
    reporter marks as concerning several townships or departments (`urgent=True` here too) go
    to the county center and the responsible department. A level-1
    event whose grid has no team, or whose township has no sub-center, cannot be handled at
    level 1 and falls back to the county center (the backstop).

    >>> county = Party("center", "C", "县中心"); sub = Party("center", "S", "分中心")
    >>> team = Party("team", "T1", "一队"); dept = Party("department", "d", "城管")
    >>> route_event(category_level=1, grid_team=team, township_center=sub,
    ...             county_center=county, department=dept).assignee.code
    'T1'
    >>> r = route_event(category_level=2, grid_team=team, township_center=sub,
    ...                 county_center=county, department=dept)
    >>> (int(r.level), r.center.code, r.assignee.code)
    (2, 'C', 'd')
    >>> int(route_event(category_level=1, grid_team=team, township_center=sub, county_center=county,
    ...                 department=dept, urgent=True).level)
    2
    >>> route_event(category_level=1, grid_team=None, township_center=sub,
    ...             county_center=county, department=None).assignee.code
    'C'
    """
    if category_level == ResponseLevel.TOWNSHIP and grid_team and township_center and not urgent:
        return Route(ResponseLevel.TOWNSHIP, township_center, grid_team)
    if category_level in (ResponseLevel.TOWNSHIP, ResponseLevel.COUNTY):
        assignee = department if department else county_center
        return Route(ResponseLevel.COUNTY, county_center, assignee)
    raise ValueError(f"unknown response level {category_level}")
