"""The Python mirrors of the schema (models, enums) agree with sql/."""
import re

from sqlalchemy import inspect, text

from gisapp.domain.events import Channel, EventStatus, Priority
from gisapp.models import Base


def check_values(session, table, column):
    defs = session.execute(text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
        "AND contype = 'c'"), {"t": table}).scalars().all()
    (definition,) = [d for d in defs if re.search(rf"\b{column}\b", d) and "ANY" in d]
    return set(re.findall(r"'([a-z_]+)'::text", definition))


def test_enums_mirror_the_check_constraints(session):
    assert check_values(session, "events", "status") == {s.value for s in EventStatus}
    assert check_values(session, "events", "channel") == {c.value for c in Channel}
    assert check_values(session, "events", "priority") == {p.value for p in Priority}


def test_every_model_column_exists_in_the_database(session):
    inspector = inspect(session.connection())
    for table in Base.metadata.sorted_tables:
        actual = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= actual, table.name
