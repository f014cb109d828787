"""Duplicates (clause 6.3): proposals near in place and time, merges by the center of both events, and the
merged report's reporter following the main event, on the demo county inside a rolled-back transaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.domain.intake import parse_event_report
from gisapp.domain.lifecycle import NotYourStep, TransitionNotAllowed, parse_step
from gisapp.domain.permissions import Scope, event_scope
from gisapp.errors import Conflict, NotFound, ValidationFailed
from gisapp.services.access.accounts import account_columns, account_from_row
from gisapp.services.access.audit import Actor
from gisapp.services.events.duplicates import PROPOSE_SQL, followed, merge, propose
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.events.lifecycle import perform
from gisapp.services.events.tracking import public_view, rate, tracking_token
from tests.support import TEST_AUDIT_KEY as KEY

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
STAFF = Submitter("user:tester", Actor("tester", "county_commander", None), "320102")
CITIZEN_APP = Submitter("integration:citizen-app", Actor("citizen-app", "integration", None), "320102", accepts=False)
METRE_LON = 1 / 96_000  # about a metre of longitude near 32° N (a degree is some 94-95 km there)


@pytest.fixture()
def spot(session) -> dict:
    """A point inside demo-grid's grid (demo-township is the center of its level-1 events) and two categories."""
    lon, lat = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grids g "
            "JOIN users u ON u.grid_code = g.code WHERE u.username = 'demo-grid') x"
        )
    ).one()
    cats = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 2")).scalars().all()
    return {"lon": lon, "lat": lat, "cats": cats}


def account(session, username: str):
    return account_from_row(
        session.execute(
            text(f"SELECT {account_columns('u')} FROM users u WHERE u.username = :u"), {"u": username}
        ).one()
    )


def scope_of(acc) -> Scope:
    return event_scope(str(acc.role), acc.bound_to, f"user:{acc.username}")


def report(
    session,
    spot,
    *,
    east_m: float = 0,
    minutes: float = 0,
    channel: str = "patrol",
    by=STAFF,
    category: str | None = None,
) -> int:
    """An event east_m metres east of the spot, reported `minutes` after NOW; staff reports are dispatched."""
    body = {
        "category": category or spot["cats"][0],
        "channel": channel,
        "location": {"type": "Point", "coordinates": [spot["lon"] + east_m * METRE_LON, spot["lat"]]},
    }
    event = submit_event(
        session, parse_event_report(body), by=by, audit_key=None, now=NOW + timedelta(minutes=minutes)
    ).event
    return event["id"]


def act(session, username: str, event_id: int, action: str, **fields) -> None:
    acc = account(session, username)
    perform(
        session,
        KEY,
        acc,
        Actor(username, str(acc.role), None),
        event_id,
        parse_step({"action": action, **fields}),
        scope_of(acc),
    )


def close(session, event_id: int, reply: str = "已处理完毕") -> None:
    for who, action in (
        ("demo-grid", "acknowledge"),
        ("demo-grid", "arrive"),
        ("demo-grid", "handle"),
        ("demo-township", "verify"),
    ):
        act(session, who, event_id, action)
    act(session, "demo-township", event_id, "close", note=reply)


def merge_as(session, username: str, duplicate_id: int, into_id: int, note: str = "同一事件"):
    acc = account(session, username)
    return merge(session, KEY, acc, Actor(username, str(acc.role), None), duplicate_id, into_id, note)


def county_scope() -> Scope:
    return Scope("county_code", "320102", "user:tester")


# --- proposals ------------------------------------------------------------------------------------------


def test_proposal_lists_other_channels_near_in_place_and_time_and_not_far_or_old_ones(session, spot):
    main = report(session, spot)
    public = report(session, spot, east_m=60, minutes=12, channel="public", by=CITIZEN_APP)
    hotline = report(session, spot, east_m=30, minutes=-25, channel="hotline", category=spot["cats"][1])
    patrol = report(session, spot, east_m=10, minutes=5)  # same channel: after the others
    report(session, spot, east_m=600, minutes=3, channel="hotline")  # too far
    report(session, spot, east_m=5, minutes=-180, channel="public", by=CITIZEN_APP)  # too old
    items = propose(session, main, county_scope())
    assert [i["id"] for i in items] == [hotline, public, patrol]
    first = items[0]
    assert first["channel"] == "hotline" and first["same_category"] is False and first["same_channel"] is False
    assert first["category"]["code"] == spot["cats"][1] and first["category"]["name"]
    assert 25 < first["distance_m"] < 35 and first["minutes_apart"] == 25.0
    assert items[1]["status"] == "reported" and items[1]["same_category"] is True


def test_proposal_window_and_radius_follow_the_parameters(session, spot):
    main = report(session, spot)
    later = report(session, spot, east_m=150, minutes=50, channel="hotline")
    assert [i["id"] for i in propose(session, main, county_scope())] == [later]
    assert propose(session, main, county_scope(), minutes=30) == []
    assert propose(session, main, county_scope(), radius_m=100) == []


def test_proposal_leaves_out_merged_voided_and_closed_events(session, spot):
    main = report(session, spot)
    voided = report(session, spot, east_m=20, channel="hotline", by=CITIZEN_APP)
    act(session, "demo-township", voided, "void", note="无效来电")
    closed = report(session, spot, east_m=20, channel="video")
    close(session, closed)
    merged = report(session, spot, east_m=20, channel="public", by=CITIZEN_APP)
    other = report(session, spot, east_m=20, channel="referral")
    merge_as(session, "demo-township", merged, other)
    assert [i["id"] for i in propose(session, main, county_scope())] == [other]


def test_proposal_of_an_event_outside_the_scope_is_not_found(session, spot):
    main = report(session, spot)
    with pytest.raises(NotFound):
        propose(session, main, Scope("township_code", "320102999", "user:nobody"))


def test_proposal_uses_the_gist_index_for_the_box(session, spot):
    main = report(session, spot)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        session.execute(
            text("EXPLAIN " + PROPOSE_SQL.format(scope="true")),
            {"id": main, "r": 200.0, "mpd": 110_000.0, "minutes": 60, "limit": 50},
        ).scalars()
    )
    assert "events_geom_gist" in plan, plan


# --- merging ----------------------------------------------------------------------------------------------


def test_the_township_center_merges_a_duplicate_keeping_its_source(session, spot):
    main = report(session, spot)
    dup = report(session, spot, east_m=20, minutes=8, channel="public", by=CITIZEN_APP)
    session.execute(
        text("UPDATE events SET reporter_name = '李四', reporter_phone = '13800002222' WHERE id = :id"), {"id": dup}
    )
    staff_dup = report(session, spot, east_m=15, minutes=3, channel="video")  # dispatched: a task to cancel
    done = merge_as(session, "demo-township", dup, main, "同一占道经营")
    assert (done.duplicate_id, done.into_id, done.replayed) == (dup, main, False)
    merge_as(session, "demo-township", staff_dup, main)
    rows = session.execute(
        text("SELECT id, status, merged_into, reporter_name, channel FROM events WHERE id = ANY(:ids) ORDER BY id"),
        {"ids": [dup, staff_dup]},
    ).all()
    assert [(r.status, r.merged_into) for r in rows] == [("voided", main), ("voided", main)]
    assert rows[0].reporter_name == "李四" and rows[0].channel == "public"
    tasks = session.execute(text("SELECT status FROM event_tasks WHERE event_id = :id"), {"id": staff_dup}).scalars()
    assert set(tasks) == {"cancelled"}
    log = session.execute(
        text(
            "SELECT event_id, action, note, details FROM event_log WHERE action LIKE 'merged_%' "
            "AND event_id = ANY(:ids) ORDER BY id"
        ),
        {"ids": [main, dup]},
    ).all()
    assert [(r.event_id, r.action, r.details) for r in log] == [
        (dup, "merged_into", {"into": main}),
        (main, "merged_from", {"from": dup}),
        (main, "merged_from", {"from": staff_dup}),
    ]
    assert log[0].note == "同一占道经营"
    audited = session.execute(
        text("SELECT actor, details FROM audit_log WHERE action = 'event.merge' AND target = :t"), {"t": f"event:{dup}"}
    ).all()
    assert audited == [("demo-township", {"into": main, "from": "reported"})]


def test_merging_again_into_the_same_event_changes_nothing(session, spot):
    main = report(session, spot)
    dup = report(session, spot, east_m=20, channel="hotline", by=CITIZEN_APP)
    merge_as(session, "demo-township", dup, main)
    count = "SELECT (SELECT count(*) FROM event_log) + (SELECT count(*) FROM audit_log)"
    before = session.execute(text(count)).scalar_one()
    again = merge_as(session, "demo-township", dup, main)
    assert again.replayed and again.as_dict() == {"id": dup, "merged_into": main, "status": "voided"}
    assert session.execute(text(count)).scalar_one() == before


# why each refusal: (who, what is wrong with the pair) -> the error class and its stable code
@pytest.mark.parametrize(
    "case, error, code",
    [
        # the grid officer receives the events but is not their center
        ("grid_officer", NotYourStep, "not_your_step"),
        # a closed event has had its answer: nothing more is merged into it
        ("into_closed", TransitionNotAllowed, "transition_not_allowed"),
        # a voided event is not a case any more
        ("into_voided", TransitionNotAllowed, "transition_not_allowed"),
        # an event merged away: the caller must merge into the event it follows
        ("into_merged", TransitionNotAllowed, "transition_not_allowed"),
        # a closed case keeps its own history and rating
        ("duplicate_closed", TransitionNotAllowed, "transition_not_allowed"),
        # a report merged into one event is not merged into another
        ("duplicate_merged_elsewhere", Conflict, "already_merged"),
        ("into_itself", ValidationFailed, "merge_into_itself"),
    ],
)
def test_merge_refusals(session, spot, case, error, code):
    main = report(session, spot)
    dup = report(session, spot, east_m=20, channel="hotline", by=CITIZEN_APP)
    other = report(session, spot, east_m=40, channel="video")
    who, duplicate, into = "demo-township", dup, main
    if case == "grid_officer":
        who = "demo-grid"
    elif case == "into_closed":
        close(session, main)
    elif case == "into_voided":
        into = report(session, spot, east_m=30, channel="public", by=CITIZEN_APP)
        act(session, "demo-township", into, "void")
    elif case == "into_merged":
        merge_as(session, "demo-township", main, other)
    elif case == "duplicate_closed":
        duplicate = other
        close(session, other)
    elif case == "duplicate_merged_elsewhere":
        merge_as(session, "demo-township", dup, other)
    elif case == "into_itself":
        into = dup
    with pytest.raises(error) as raised:
        merge_as(session, who, duplicate, into)
    assert raised.value.code == code


def test_an_event_outside_the_callers_area_is_not_found(session, spot):
    main = report(session, spot)
    with pytest.raises(NotFound):
        merge_as(session, "demo-township", 10**12, main)


def test_an_invalid_note_or_target_is_refused(session, spot):
    main = report(session, spot)
    with pytest.raises(ValidationFailed) as raised:
        merge_as(session, "demo-township", main, main + 1, "x" * 2001)
    assert raised.value.code == "invalid_note"
    with pytest.raises(ValidationFailed) as raised:
        merge_as(session, "demo-township", main, "7")
    assert raised.value.code == "invalid_into"


# --- the merged report's reporter ---------------------------------------------------------------------


def test_a_merged_report_follows_the_main_event_to_its_closing_reply_and_rating(session, spot):
    main = report(session, spot)
    dup = report(session, spot, east_m=20, minutes=7, channel="public", by=CITIZEN_APP)
    token = tracking_token(KEY, dup)
    merge_as(session, "demo-township", dup, main)
    view = public_view(session, KEY, token)
    assert (view["id"], view["merged_into"], view["status"]) == (dup, main, "dispatched")
    assert view["reported_at"] == "2026-11-28T08:07:00Z"
    close(session, main, reply="摊点已清理，感谢反映")
    view = public_view(session, KEY, token)
    assert view["status"] == "closed" and view["reply"] == "摊点已清理，感谢反映" and view["can_rate"]
    assert [m["step"] for m in view["milestones"]][-1] == "close"
    rated = rate(session, KEY, token, "satisfied", None, client_addr=None)
    assert rated["id"] == dup and rated["rating"] == "satisfied"
    assert public_view(session, KEY, tracking_token(KEY, main))["rating"] == "satisfied"  # one rating per case
    assert public_view(session, KEY, tracking_token(KEY, main))["merged_into"] is None


def test_followed_walks_through_later_merges(session, spot):
    first = report(session, spot)
    second = report(session, spot, east_m=10, channel="hotline", by=CITIZEN_APP)
    third = report(session, spot, east_m=20, channel="public", by=CITIZEN_APP)
    merge_as(session, "demo-township", third, second)
    merge_as(session, "demo-township", second, first)
    assert [followed(session, e) for e in (first, second, third)] == [first, first, first]
    assert followed(session, 10**12) == 10**12
