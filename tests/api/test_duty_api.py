"""Duty status (7.1.1.4) over real HTTP: a member reports, the centers watch their area."""

from gisapp.spatial.crs import Crs, from_wgs84
from tests.support import query


def grid_of_demo_officer(live):
    ((grid, member, lon, lat, township),) = query(
        live,
        """
        SELECT g.code, u.member_code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)),
               gd.township_code
        FROM users u JOIN grids g ON g.code = u.grid_code JOIN grid_directory gd ON gd.grid_code = g.code
        WHERE u.username = 'demo-grid'""",
    )
    return grid, member, lon, lat, township


def report(live, **body):
    return live.client("demo-grid").post(live.url + "/api/v1/members/me/status", json=body, timeout=10)


def test_a_member_reports_status_and_position_in_any_crs(live):
    grid, member, lon, lat, _ = grid_of_demo_officer(live)
    assert member, "the demo grid officer reports for a member of its team"
    glon, glat = from_wgs84(lon, lat, Crs.GCJ02)  # a phone map app's coordinates
    r = report(live, duty_status="on_patrol", position={"type": "Point", "coordinates": [glon, glat]}, crs="GCJ-02")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["member"]["code"] == member and view["grid"]["code"] == grid and view["duty_status"] == "on_patrol"
    assert view["inside_own_grid"] is True and view["position_age_s"] == 0 and view["stale"] is False
    back = view["position"]["coordinates"]
    assert abs(back[0] - lon) < 1e-6 and abs(back[1] - lat) < 1e-6
    far = report(live, duty_status="on_patrol", position={"type": "Point", "coordinates": [118.7, 32.2]})
    assert far.json()["inside_own_grid"] is False
    audited = query(
        live,
        "SELECT details->>'to' FROM audit_log WHERE action = 'duty.status' AND target = %s ORDER BY id DESC LIMIT 1",
        f"member:{member}",
    )
    assert audited == [("on_patrol",)]


def test_bad_reports_are_refused_with_their_codes(live):
    assert report(live, duty_status="asleep").json()["error"]["code"] == "invalid_duty_status"
    assert report(live, duty_status="busy", mood="fine").json()["error"]["code"] == "unknown_field"
    assert report(live, duty_status="busy", position={"type": "Point", "coordinates": [500, 1]}).status_code == 422
    other = live.client("demo-township").post(
        live.url + "/api/v1/members/me/status", json={"duty_status": "busy"}, timeout=10
    )
    assert other.status_code == 403


def test_the_township_board_shows_its_members_and_the_grids_nobody_covers(live):
    grid, member, lon, lat, township = grid_of_demo_officer(live)
    report(live, duty_status="on_duty", position={"type": "Point", "coordinates": [lon, lat]})
    ((empty_team, empty_grid),) = query(
        live,
        "SELECT team_code, grid_code FROM grid_directory WHERE township_code = %s "
        "AND grid_code <> %s ORDER BY grid_code LIMIT 1",
        township,
        grid,
    )
    query(live, "UPDATE members SET duty_status = 'off_duty' WHERE team_code = %s", empty_team)
    board = live.client("demo-township").get(live.url + "/api/v1/duty", timeout=30).json()
    assert {m["grid"]["code"][:9] for m in board["members"]} == {township}
    mine = next(m for m in board["members"] if m["member"]["code"] == member)
    assert mine["duty_status"] == "on_duty" and mine["inside_own_grid"] is True and not mine["stale"]
    assert empty_grid in {g["code"] for g in board["grids_without_duty"]}
    assert board["summary"]["members"] == len(board["members"])
    county = live.client("demo-county").get(live.url + "/api/v1/duty", timeout=30).json()
    assert county["summary"]["members"] > board["summary"]["members"]
    assert live.client("demo-grid").get(live.url + "/api/v1/duty", timeout=10).status_code == 403


def test_an_officer_account_without_a_member_is_told_so(live):
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.accounts import create_user
    from gisapp.services.access.audit import Actor
    from tests.support import TEST_AUDIT_KEY

    grid, *_ = grid_of_demo_officer(live)
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            username="no-member",
            role="grid_officer",
            bound_to=grid,
            password="Nomember#2026",
        )
    engine.dispose()
    token = live.token("no-member", "Nomember#2026")
    import requests

    r = requests.post(
        live.url + "/api/v1/members/me/status",
        json={"duty_status": "on_duty"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_member"
