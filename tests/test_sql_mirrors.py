"""Python definitions that SQL mirrors agree with sql/: the area-code widths (domain/areas.py and sql/039)."""

import pytest
from sqlalchemy import text

from gisapp.domain.areas import LENGTHS, SQL_PREFIX_FUNCTIONS, Level, prefix

GRID = "320102002001003"


# every level that has a parent function in SQL, each a case: a width changed on one side only fails here
@pytest.mark.parametrize("level", list(SQL_PREFIX_FUNCTIONS), ids=str)
def test_area_code_functions_cut_the_widths_of_domain_areas(session, level):
    function = SQL_PREFIX_FUNCTIONS[level]
    got = session.execute(
        text(f"SELECT {function}(:c), pg_get_functiondef(CAST(:f AS regproc))"), {"c": GRID, "f": function}
    ).one()
    assert got[0] == prefix(GRID, level)
    assert f'"left"(code, {LENGTHS[level]})' in got[1]  # how PostgreSQL prints the body back


def test_every_parent_level_has_its_sql_function():
    assert set(SQL_PREFIX_FUNCTIONS) == set(LENGTHS) - {Level.GRID}


# the planner inlines the functions: the plan shows the left() they wrap, so indexes on left(code, n) still match
@pytest.mark.parametrize("function", sorted(SQL_PREFIX_FUNCTIONS.values()))
def test_area_code_functions_are_inlined(session, function):
    plan = "\n".join(session.execute(text(f"EXPLAIN VERBOSE SELECT {function}(code) FROM grids")).scalars())
    assert '"left"(' in plan and function not in plan, plan
