"""The intake service inside a rolled-back transaction on the demo county."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gisapp.domain.intake import parse_event_report
from gisapp.errors import OutsideJurisdiction, ValidationFailed
from gisapp.services.access.audit import Actor
from gisapp.services.events.intake import Submitter, submit_event
from tests.support import TEST_AUDIT_KEY

BY = Submitter("user:tester", Actor("tester", "county_commander", "10.0.0.9"), "320102")

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)


def a_point(session, offset=5):
    return session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p), code FROM (SELECT code, ST_PointOnSurface(geom) p "
            "FROM grids ORDER BY code OFFSET :o LIMIT 1) g"
        ),
        {"o": offset},
    ).one()


def category(session, level):
    return session.execute(
        text("SELECT code, response_minutes, handling_minutes FROM categories WHERE level = :l ORDER BY code LIMIT 1"),
        {"l": level},
    ).one()


def report(code, lon, lat, **extra):
    return parse_event_report(
        {"category": code, "location": {"type": "Point", "coordinates": [lon, lat]}, "channel": "hotline", **extra}
    )


def test_event_deadlines_and_log_are_written_together(session):
    lon, lat, grid = a_point(session)
    code, response, handling = category(session, 1)
    result = submit_event(session, report(code, lon, lat, client_ref="svc-1"), by=BY, audit_key=TEST_AUDIT_KEY, now=T0)
    assert result.created
    row = session.execute(
        text("SELECT grid_code, status, respond_by, handle_by, team_code FROM events WHERE id = :id"),
        {"id": result.event["id"]},
    ).one()
    assert row.grid_code == grid and row.status == "dispatched" and row.team_code == "T" + grid
    assert (row.respond_by - T0).total_seconds() == response * 60
    assert (row.handle_by - T0).total_seconds() == handling * 60
    log = session.execute(
        text("SELECT actor, action, at FROM event_log WHERE event_id = :id"), {"id": result.event["id"]}
    ).all()
    assert [(r.actor, r.action, r.at) for r in log] == [("tester", "created", T0)]


def test_unknown_category_and_outside_point_write_nothing(session):
    lon, lat, _ = a_point(session)
    before = session.execute(text("SELECT count(*) FROM events")).scalar_one()
    with pytest.raises(ValidationFailed) as err:
        submit_event(session, report("nope", lon, lat), by=BY, audit_key=TEST_AUDIT_KEY)
    assert err.value.code == "unknown_category"
    with pytest.raises(OutsideJurisdiction):
        submit_event(session, report(category(session, 1).code, 121.47, 31.23), by=BY, audit_key=TEST_AUDIT_KEY)
    assert session.execute(text("SELECT count(*) FROM events")).scalar_one() == before


def test_event_log_is_append_only(session):
    lon, lat, _ = a_point(session)
    result = submit_event(session, report(category(session, 1).code, lon, lat), by=BY, audit_key=TEST_AUDIT_KEY)
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(
                text("UPDATE event_log SET note = 'rewritten' WHERE event_id = :id"), {"id": result.event["id"]}
            )
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("DELETE FROM event_log WHERE event_id = :id"), {"id": result.event["id"]})


def test_status_outside_the_vocabulary_is_refused_by_the_database(session):
    lon, lat, _ = a_point(session)
    result = submit_event(session, report(category(session, 1).code, lon, lat), by=BY, audit_key=TEST_AUDIT_KEY)
    with pytest.raises(DBAPIError):
        with session.begin_nested():
            session.execute(text("UPDATE events SET status = 'lost' WHERE id = :id"), {"id": result.event["id"]})


def audit_count(session, target=None):
    sql = "SELECT count(*) FROM audit_log WHERE action = 'event.create'" + (" AND target = :t" if target else "")
    return session.execute(text(sql), {"t": target}).scalar_one()


def test_each_new_event_is_audited_in_its_transaction_and_a_refusal_is_not(session):
    lon, lat, _ = a_point(session)
    before = audit_count(session)
    result = submit_event(
        session, report(category(session, 1).code, lon, lat, client_ref="aud-1"), by=BY, audit_key=TEST_AUDIT_KEY
    )
    row = session.execute(
        text(
            "SELECT actor, role, client_addr, success, details FROM audit_log "
            "WHERE action = 'event.create' AND target = :t"
        ),
        {"t": f"event:{result.event['id']}"},
    ).one()
    assert (row.actor, row.role, row.client_addr, row.success) == ("tester", "county_commander", "10.0.0.9", True)
    assert row.details["grid"] == result.event["grid"]["code"]
    # a retry is not a new business change: no second record
    again = submit_event(
        session, report(category(session, 1).code, lon, lat, client_ref="aud-1"), by=BY, audit_key=TEST_AUDIT_KEY
    )
    assert not again.created and audit_count(session) == before + 1
    with pytest.raises(ValidationFailed):
        submit_event(session, report("nope", lon, lat), by=BY, audit_key=TEST_AUDIT_KEY)
    assert audit_count(session) == before + 1


def test_client_refs_belong_to_their_submitter(session):
    lon, lat, _ = a_point(session)
    code = category(session, 1).code
    other = Submitter("integration:app-12345", Actor("app-12345", "integration", None), "320102")
    mine = submit_event(session, report(code, lon, lat, client_ref="same"), by=BY, audit_key=TEST_AUDIT_KEY)
    theirs = submit_event(
        session, report(code, lon, lat, client_ref="same", description="另一件"), by=other, audit_key=TEST_AUDIT_KEY
    )
    assert mine.created and theirs.created and mine.event["id"] != theirs.event["id"]


def test_a_submitter_reports_only_in_its_own_county(session):
    lon, lat, _ = a_point(session)
    elsewhere = Submitter("user:x", Actor("x", "township_dispatcher", None), "320104")
    with pytest.raises(OutsideJurisdiction, match="outside the county you serve"):
        submit_event(session, report(category(session, 1).code, lon, lat), by=elsewhere, audit_key=TEST_AUDIT_KEY)
