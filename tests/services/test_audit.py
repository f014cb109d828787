"""The audit chain in PostGIS: append-only, and any direct alteration is caught by verify."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gisapp.services.audit import Actor, record, verify

KEY = b"test-audit-key"
WHO = Actor("demo-county", "county_commander", "127.0.0.1")


def _fill(session, n=5):
    return [record(session, KEY, WHO, "event.dispatch", target=f"event:{i}", details={"n": i, "名": "张三"})
            for i in range(n)]


def test_records_chain_and_verify(session):
    ids = _fill(session)
    assert ids == sorted(ids)
    result = verify(session, KEY)
    assert result.ok and result.checked >= 5


def test_a_wrong_key_does_not_verify(session):
    _fill(session, 2)
    assert not verify(session, b"another key").ok


def test_the_database_refuses_update_and_delete(session):
    (first, *_) = _fill(session, 2)
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(sql), {"id": first})


@pytest.mark.parametrize("tamper, reason", [
    # a DBA edits a record's content behind the application's back
    ("UPDATE audit_log SET target = 'event:999' WHERE id = :id", "altered"),
    # a record disappears from the middle of the chain
    ("DELETE FROM audit_log WHERE id = :id", "removed or inserted"),
])
def test_verify_names_the_first_broken_record(session, tamper, reason):
    ids = _fill(session, 5)
    session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    session.execute(text(tamper), {"id": ids[2]})
    session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    result = verify(session, KEY)
    assert not result.ok
    expected = ids[2] if "altered" == reason else ids[3]
    assert result.first_broken == expected
    assert reason in result.reason
