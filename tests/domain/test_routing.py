"""Routing and deadlines: level 1 as the rule, level 2 as the backstop (pure)."""

from datetime import datetime, timezone

import pytest

from gisapp.domain.deadlines import deadlines_for
from gisapp.domain.routing import Party, route_event

COUNTY = Party("center", "320102-C", "县中心")
SUB = Party("center", "320102002-C", "分中心")
TEAM = Party("team", "T1", "一队")
DEPT = Party("department", "urban_management", "城管局")


def test_level_one_goes_to_the_grid_team_through_the_sub_center():
    r = route_event(category_level=1, grid_team=TEAM, township_center=SUB, county_center=COUNTY, department=DEPT)
    assert (int(r.level), r.center, r.assignee) == (1, SUB, TEAM)


def test_level_two_goes_to_the_county_center_and_the_department():
    r = route_event(category_level=2, grid_team=TEAM, township_center=SUB, county_center=COUNTY, department=DEPT)
    assert (int(r.level), r.center, r.assignee) == (2, COUNTY, DEPT)


@pytest.mark.parametrize(
    "team, sub",
    [
        # a grid without a team cannot take level 1
        (None, SUB),
        # a township without a sub-center cannot dispatch level 1
        (TEAM, None),
    ],
)
def test_level_one_without_team_or_sub_center_falls_back_to_county(team, sub):
    r = route_event(category_level=1, grid_team=team, township_center=sub, county_center=COUNTY, department=DEPT)
    assert (int(r.level), r.center, r.assignee) == (2, COUNTY, DEPT)


def test_level_two_without_department_stays_with_the_county_center():
    r = route_event(category_level=2, grid_team=TEAM, township_center=SUB, county_center=COUNTY, department=None)
    assert r.assignee == COUNTY


def test_deadlines_count_from_acceptance():
    t0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
    d = deadlines_for(t0, response_minutes=30, handling_minutes=3 * 24 * 60)
    assert d.respond_by == datetime(2026, 11, 28, 8, 30, tzinfo=timezone.utc)
    assert d.handle_by == datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def test_deadlines_reject_handling_shorter_than_response():
    with pytest.raises(ValueError):
        deadlines_for(datetime.now(timezone.utc), response_minutes=60, handling_minutes=30)
