"""The schema agrees with the Python that mirrors it (the enums) and refuses what the domain forbids."""

import re

import pytest
from sqlalchemy import text

from gisapp.domain.events import Channel, EventStatus, Priority


def check_values(session, table, column):
    defs = (
        session.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                "AND contype = 'c'"
            ),
            {"t": table},
        )
        .scalars()
        .all()
    )
    (definition,) = [d for d in defs if re.search(rf"\b{column}\b", d) and "ANY" in d]
    return set(re.findall(r"'([a-z_]+)'::text", definition))


def test_enums_mirror_the_check_constraints(session):
    assert check_values(session, "events", "status") == {s.value for s in EventStatus}
    assert check_values(session, "events", "channel") == {c.value for c in Channel}
    assert check_values(session, "events", "priority") == {p.value for p in Priority}


def test_schema_refuses_what_the_domain_forbids(session):
    from sqlalchemy.exc import IntegrityError

    grid = session.execute(text("SELECT code, community_code FROM grids ORDER BY code LIMIT 1")).one()
    cases = [
        # a second county center for the same county
        "INSERT INTO command_centers (code, name, level, county_code) VALUES ('X-C', 'x', 'county', '320102')",
        # a grid whose code does not extend its community's code
        f"INSERT INTO grids (code, name, community_code, geom) SELECT '999999999999001', 'x', "
        f"'{grid.community_code}', geom FROM grids WHERE code = '{grid.code}'",
        # a second grid leader in one team
        f"INSERT INTO members (code, team_code, name, role, duty_status) VALUES ('MX', 'T{grid.code}', 'x', "
        "'grid_leader', 'on_duty')",
        # a duty status outside the vocabulary
        f"INSERT INTO members (code, team_code, name, role, duty_status) VALUES ('MY', 'T{grid.code}', 'x', "
        "'volunteer', 'asleep')",
        # a camera id that is not a 20-digit national video id
        "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, geom) VALUES "
        "('123', 'x', 0, 90, 50, ST_SetSRID(ST_MakePoint(118.8, 32.05), 4326))",
    ]
    for sql in cases:
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.execute(text(sql))


def test_database_errors_do_not_list_their_parameters(shared_engine):
    """SQLAlchemy's error text leaves the parameters out; the server's own text may still quote them,
    which is why unexpected errors are logged without their message (api/errors.log_unexpected)."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as err, shared_engine.connect() as conn:
        conn.execute(text("SELECT CAST(:phone AS integer), :name"), {"phone": "13812345678x", "name": "张三丰"})
    assert "[SQL parameters hidden" in str(err.value) and "'phone': " not in str(err.value)
