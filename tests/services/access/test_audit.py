"""The audit chain in PostGIS: append-only, and any direct alteration is caught by verify."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gisapp.errors import ValidationFailed
from gisapp.services.access.audit import Actor, purge, record, verify

KEY = b"test-audit-key"
WHO = Actor("demo-county", "county_commander", "127.0.0.1")


@pytest.fixture(autouse=True)
def empty_trail(session):
    """Each test starts from an empty audit trail (whatever the template holds); rolled back after."""
    session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    session.execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER"))
    session.execute(text("DELETE FROM audit_checkpoints"))
    session.execute(text("DELETE FROM audit_log"))
    session.execute(text("ALTER TABLE audit_checkpoints ENABLE TRIGGER USER"))
    session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _fill(session, n=5):
    return [
        record(session, KEY, WHO, "event.dispatch", target=f"event:{i}", details={"n": i, "名": "张三"})
        for i in range(n)
    ]


def test_records_chain_and_verify(session):
    ids = _fill(session)
    assert ids == sorted(ids)
    result = verify(session, KEY)
    assert result.ok and result.checked == 5


def test_a_wrong_key_does_not_verify(session):
    _fill(session, 2)
    assert not verify(session, b"another key").ok


def test_the_database_refuses_update_and_delete(session):
    (first, *_) = _fill(session, 2)
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(text(sql), {"id": first})


@pytest.mark.parametrize(
    "tamper, reason",
    [
        # a DBA edits a record's content behind the application's back
        ("UPDATE audit_log SET target = 'event:999' WHERE id = :id", "altered"),
        # a record disappears from the middle of the chain
        ("DELETE FROM audit_log WHERE id = :id", "removed or inserted"),
    ],
)
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


# Retention: records older than the retention period leave the chain only as its oldest prefix,
# through purge, which leaves a checkpoint so the rest still verifies.

NOW = datetime.now(timezone.utc)
OLD = NOW - timedelta(days=200)
SYSTEM = Actor("cli:ops", "system", "local")


def _hash_of(session, record_id):
    return session.execute(text("SELECT hash FROM audit_log WHERE id = :id"), {"id": record_id}).scalar_one()


def test_purge_removes_only_the_old_prefix_and_leaves_a_checkpoint(session):
    old = [
        record(session, KEY, WHO, "account.login", target=f"old:{i}", at=OLD + timedelta(minutes=i)) for i in range(3)
    ]
    recent = record(session, KEY, WHO, "event.dispatch", target="recent")
    # old by its timestamp, but after a recent record in the chain: not part of the prefix, so it stays
    late_old = record(session, KEY, WHO, "event.dispatch", target="late-old", at=OLD)
    last_hash = _hash_of(session, old[-1])

    assert purge(session, KEY, SYSTEM, retention_days=180) == 3

    left = session.execute(text("SELECT id, action, details FROM audit_log ORDER BY id")).all()
    assert [r.id for r in left[:2]] == [recent, late_old]
    assert left[2].action == "audit.purge"
    assert left[2].details == {"purged": 3, "upto_id": old[-1], "last_hash": last_hash, "retention_days": 180}
    checkpoint = session.execute(
        text("SELECT upto_id, last_hash, purged FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
    ).one()
    assert tuple(checkpoint) == (old[-1], last_hash, 3)
    result = verify(session, KEY)
    assert result.ok and result.checked == 3


def test_purge_with_nothing_old_enough_removes_nothing(session):
    _fill(session, 2)
    record(session, KEY, WHO, "account.login", at=NOW - timedelta(days=100))
    assert purge(session, KEY, SYSTEM, retention_days=180) == 0
    assert session.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'audit.purge'")).scalar_one() == 0


def test_a_longer_retention_keeps_records_the_default_would_purge(session):
    record(session, KEY, WHO, "account.login", at=OLD)
    assert purge(session, KEY, SYSTEM, retention_days=365) == 0
    assert purge(session, KEY, SYSTEM, retention_days=180) == 1


def test_verify_after_purge_still_catches_an_alteration(session):
    record(session, KEY, WHO, "account.login", at=OLD)
    kept = _fill(session, 3)
    purge(session, KEY, SYSTEM, retention_days=180)
    session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    session.execute(text("UPDATE audit_log SET target = 'event:999' WHERE id = :id"), {"id": kept[1]})
    session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    result = verify(session, KEY)
    assert result.first_broken == kept[1] and "altered" in result.reason


def test_a_checkpoint_written_by_hand_does_not_hide_a_removed_prefix(session):
    ids = _fill(session, 4)
    # someone with database rights removes the first records and fakes the checkpoint purge would leave
    session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    session.execute(text("DELETE FROM audit_log WHERE id <= :id"), {"id": ids[1]})
    session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    session.execute(
        text(
            "INSERT INTO audit_checkpoints (upto_id, last_hash, purged) "
            "SELECT :id, prev_hash, 2 FROM audit_log WHERE id = :next"
        ),
        {"id": ids[1], "next": ids[2]},
    )
    result = verify(session, KEY)
    assert result.first_broken == ids[2] and "not attested" in result.reason


@pytest.mark.parametrize("days", [0, 30, 179])
def test_purge_refuses_a_retention_below_180_days(session, days):
    record(session, KEY, WHO, "account.login", at=OLD)
    with pytest.raises(ValidationFailed) as refused:
        purge(session, KEY, SYSTEM, retention_days=days)
    assert refused.value.code == "retention_too_short"
    assert session.execute(text("SELECT count(*) FROM audit_log")).scalar_one() >= 1


def test_the_database_refuses_deleting_an_old_record_outside_purge(session):
    old = record(session, KEY, WHO, "account.login", at=OLD)
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": old})


def test_the_database_refuses_deleting_a_recent_record_even_during_purge(session):
    (recent,) = _fill(session, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("SELECT set_config('gisapp.audit_purge', 'on', true)"))
            session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": recent})
    assert session.execute(text("SELECT count(*) FROM audit_log WHERE id = :id"), {"id": recent}).scalar_one() == 1


def test_checkpoints_are_append_only(session):
    record(session, KEY, WHO, "account.login", at=OLD)
    purge(session, KEY, SYSTEM, retention_days=180)
    for sql in ("UPDATE audit_checkpoints SET last_hash = 'x'", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DBAPIError, match="audit_checkpoints is append-only"):
            with session.begin_nested():
                session.execute(text(sql))
