"""The `gisapp` command line against a real, empty database."""

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.cli import main
from gisapp.db import make_engine
from gisapp.services.jurisdiction.geocode import locate
from tests.support import empty_database


@pytest.fixture()
def empty_db(monkeypatch):
    with empty_database("gisapp_test_cli") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("GISAPP_DEMO_HISTORY_DAYS", "0")  # the demo county without its year of history
        yield url


def test_help_lists_the_commands():
    out = CliRunner().invoke(main, ["--help"]).output
    for word in ("db", "demo", "serve", "assets"):
        assert word in out
    assert "synth" in CliRunner().invoke(main, ["demo", "--help"]).output


def test_upgrade_then_load_demo_once(empty_db):
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0 and "applied" in first.output
    assert "applied 0" in runner.invoke(main, ["db", "upgrade"]).output
    loaded = runner.invoke(main, ["demo", "load", "--if-empty"])
    assert loaded.exit_code == 0, loaded.output
    again = runner.invoke(main, ["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output
    refused = runner.invoke(main, ["demo", "load"])
    assert refused.exit_code != 0
    engine = make_engine(empty_db, pool_size=1)
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM townships), (SELECT count(*) FROM communities), "
                "(SELECT count(*) FROM command_centers), (SELECT count(*) FROM teams), "
                "(SELECT count(*) FROM grids)"
            )
        ).one()
    engine.dispose()
    assert counts[:3] == (8, 61, 9)
    assert counts[3] == counts[4]
    # one demo account per role, each bound to a real area or department of the demo
    listed = runner.invoke(main, ["users", "list"]).output
    for name in (
        "demo-county",
        "demo-township",
        "demo-grid",
        "demo-dept",
        "demo-planner",
        "demo-auditor",
        "demo-security",
        "demo-admin",
    ):
        assert name in listed


def test_demo_is_refused_in_production(empty_db, monkeypatch):
    monkeypatch.setenv("GISAPP_ENV", "production")
    refused = CliRunner().invoke(main, ["demo", "load"])
    assert refused.exit_code != 0 and "production" in refused.output


def test_demo_load_lays_history_once_then_simulate_carries_on(empty_db, monkeypatch):
    monkeypatch.setenv("GISAPP_AUDIT_KEY", "cli-test-key")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(main, ["demo", "load", "--history-days", "2", "--events-per-day", "12", "--seed", "4"])
    assert loaded.exit_code == 0 and "history laid" in loaded.output, loaded.output
    engine = make_engine(empty_db, pool_size=1)
    count = (
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_log), (SELECT count(*) FROM members "
        "WHERE position_at > now() - interval '1 minute')"
    )
    with engine.connect() as conn:
        events, steps, fresh = conn.execute(text(count)).one()
    assert events > 0 and steps > events and fresh == 0
    again = runner.invoke(main, ["demo", "load", "--if-empty", "--history-days", "2"])
    assert again.exit_code == 0 and "history laid" not in again.output  # idempotent: a county with events is kept
    ticked = runner.invoke(main, ["demo", "simulate", "--once", "--seed", "4"])
    assert ticked.exit_code == 0 and "positions" in ticked.output, ticked.output
    with engine.connect() as conn:
        assert conn.execute(text(count)).one()[2] > 300  # every on-shift member posted at once
    engine.dispose()
    monkeypatch.setenv("GISAPP_DEMO_SIMULATE", "0")
    assert "turned off" in runner.invoke(main, ["demo", "simulate", "--once"]).output
    monkeypatch.setenv("GISAPP_ENV", "production")
    refused = runner.invoke(main, ["demo", "simulate", "--once"])
    assert refused.exit_code != 0 and "production" in refused.output


def test_db_start_with_external_url_starts_nothing(empty_db):
    out = CliRunner().invoke(main, ["db", "start"]).output
    assert "nothing started" in out


def test_synth_then_load_with_history(empty_db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "synth"
    made = runner.invoke(main, ["demo", "synth", "--grids", "60", "--events", "25", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(main, ["demo", "load", "--source", str(out)])
    assert loaded.exit_code == 0, loaded.output
    engine = make_engine(empty_db, pool_size=1)
    with engine.connect() as conn:
        grids, events, logged, directory = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM events), "
                "(SELECT count(DISTINCT event_id) FROM event_log), (SELECT count(*) FROM grid_directory)"
            )
        ).one()
        unrouted = conn.execute(
            text(
                "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM grids g WHERE g.code = e.grid_code "
                "AND ST_Covers(g.geom, e.geom))"
            )
        ).scalar_one()
        # the middle of an edge shared by two rectangular grids lies exactly on both boundaries
        a, b, lon, lat = conn.execute(
            text("""
            SELECT a.code, b.code, ST_X(m), ST_Y(m) FROM grids a JOIN grids b
              ON a.code < b.code AND ST_Touches(a.geom, b.geom)
             AND GeometryType(ST_Intersection(a.geom, b.geom)) = 'LINESTRING'
            CROSS JOIN LATERAL ST_LineInterpolatePoint(ST_Intersection(a.geom, b.geom), 0.5) AS m
            WHERE ST_X(ST_StartPoint(ST_Intersection(a.geom, b.geom)))
                  = ST_X(ST_EndPoint(ST_Intersection(a.geom, b.geom)))
            ORDER BY a.code, b.code LIMIT 1""")
        ).one()
        covering = (
            conn.execute(
                text(
                    "SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) ORDER BY code"
                ),
                {"x": lon, "y": lat},
            )
            .scalars()
            .all()
        )
    with Session(engine) as session:
        assert locate(session, lon, lat).grid.code == a
    engine.dispose()
    assert covering == [a, b]
    assert grids == directory == 60
    # every historical event went through intake: geocoded to the grid that covers it, and logged
    assert events == logged == 25
    assert unrouted == 0


def test_synth_history_copies_events_onto_the_loaded_county_and_rebuilds(empty_db, tmp_path):
    runner = CliRunner()
    out = tmp_path / "synth"
    assert runner.invoke(main, ["demo", "synth", "--grids", "40", "--out", str(out)]).exit_code == 0
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load", "--source", str(out), "--no-accounts"]).exit_code == 0
    made = runner.invoke(main, ["demo", "synth", "--history", "300", "--years", "1", "--until", "2026-06-01"])
    assert made.exit_code == 0, made.output
    assert "copied 300 events" in made.output and "eval_rebuild(): 300 events" in made.output
    engine = make_engine(empty_db, pool_size=1)
    with engine.connect() as conn:
        facts, pending = conn.execute(
            text("SELECT (SELECT count(*) FROM eval_event_facts), (SELECT count(*) FROM eval_dirty)")
        ).one()
    engine.dispose()
    assert (facts, pending) == (300, 0)
    # without --history the jurisdiction's files are asked for
    assert runner.invoke(main, ["demo", "synth"]).exit_code != 0


def test_users_and_audit_verify(empty_db, monkeypatch):
    monkeypatch.setenv("GISAPP_AUDIT_KEY", "cli-test-key")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load", "--no-accounts"]).exit_code == 0
    made = runner.invoke(
        main,
        [
            "users",
            "create",
            "--username",
            "demo-township",
            "--role",
            "township_dispatcher",
            "--bound-to",
            "320102002",
            "--password",
            "Meiyuan#2026",
        ],
    )
    assert made.exit_code == 0, made.output
    weak = runner.invoke(
        main,
        [
            "users",
            "create",
            "--username",
            "weakling",
            "--role",
            "planner",
            "--bound-to",
            "320102",
            "--password",
            "123456",
        ],
    )
    assert weak.exit_code != 0 and "password_too_short" in weak.output
    assert (
        runner.invoke(main, ["users", "reset-password", "demo-township", "--password", "Meiyuan#2027"]).exit_code == 0
    )
    assert runner.invoke(main, ["users", "disable", "demo-township"]).exit_code == 0
    listed = runner.invoke(main, ["users", "list"]).output
    assert "demo-township" in listed and "disabled" in listed
    ok = runner.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "3 record(s)" in ok.output
    # a record altered directly in the database is caught
    engine = make_engine(empty_db, pool_size=1)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE action = 'account.disable'"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    engine.dispose()
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at record 3" in broken.output


@pytest.fixture()
def demo_db(empty_db, monkeypatch):
    """An empty database, migrated, with the demo county and no accounts; a fixed audit key."""
    monkeypatch.setenv("GISAPP_AUDIT_KEY", "cli-test-key")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(main, ["demo", "load", "--no-accounts"])
    assert loaded.exit_code == 0, loaded.output
    return empty_db


def test_integrations_create_list_disable(demo_db):
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "integrations",
            "create",
            "--code",
            "hotline-12345",
            "--name",
            "12345 热线",
            "--county",
            "320102",
            "--channel",
            "hotline",
            "--channel",
            "public",
        ],
    )
    assert made.exit_code == 0, made.output
    assert "shown only once" in made.output
    api_key = made.output.split("store it now): ")[1].strip()
    assert api_key.startswith("gak_") and len(api_key) > 20
    listed = runner.invoke(main, ["integrations", "list"]).output
    assert "hotline-12345" in listed and "hotline,public" in listed and "active" in listed
    # the key itself is never stored, only its hash
    engine = make_engine(demo_db, pool_size=1)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM integrations WHERE code = 'hotline-12345'")).scalar_one()
    assert api_key not in stored
    assert runner.invoke(main, ["integrations", "disable", "hotline-12345"]).exit_code == 0
    assert "disabled" in runner.invoke(main, ["integrations", "list"]).output
    with engine.connect() as conn:
        actions = (
            conn.execute(text("SELECT action FROM audit_log WHERE target = 'hotline-12345' ORDER BY id"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert actions == ["integration.create", "integration.disable"]
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_integrations_errors_are_reported_by_code(demo_db):
    runner = CliRunner()
    bad_county = runner.invoke(
        main,
        ["integrations", "create", "--code", "video-1", "--name", "video", "--county", "999999", "--channel", "video"],
    )
    assert bad_county.exit_code != 0 and "unknown_binding" in bad_county.output
    bad_channel = runner.invoke(
        main,
        [
            "integrations",
            "create",
            "--code",
            "video-1",
            "--name",
            "video",
            "--county",
            "320102",
            "--channel",
            "telepathy",
        ],
    )
    assert bad_channel.exit_code != 0 and "invalid_channels" in bad_channel.output
    unknown = runner.invoke(main, ["integrations", "disable", "nobody"])
    assert unknown.exit_code != 0 and "unknown_integration" in unknown.output


def test_audit_purge_keeps_at_least_180_days(empty_db, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from gisapp.services.access.audit import Actor, record

    # only migrated: the records written here are the whole trail, the two old ones its oldest prefix
    monkeypatch.setenv("GISAPP_AUDIT_KEY", "cli-test-key")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(empty_db, pool_size=1)
    with Session(engine) as session, session.begin():
        old = datetime.now(timezone.utc) - timedelta(days=200)
        for i in range(2):
            record(session, b"cli-test-key", Actor("demo-county"), "account.login", at=old + timedelta(minutes=i))
        record(session, b"cli-test-key", Actor("demo-county"), "account.login")
    runner = CliRunner()
    refused = runner.invoke(main, ["audit", "purge", "--days", "30"])
    assert refused.exit_code != 0 and "at least 180 days" in refused.output
    # a retention longer than the records' age keeps them
    assert "purged 0 " in runner.invoke(main, ["audit", "purge", "--days", "365"]).output
    purged = runner.invoke(main, ["audit", "purge"])
    assert purged.exit_code == 0 and "purged 2 audit record(s) older than 180 days" in purged.output
    with engine.connect() as conn:
        left = conn.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    engine.dispose()
    assert left == ["account.login", "audit.purge"]
    ok = runner.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "2 record(s)" in ok.output


def test_supervise_once_as_of_a_given_time(demo_db):
    runner = CliRunner()
    done = runner.invoke(main, ["supervise", "--once", "--at", "2099-01-01T09:00:00+08:00"])
    assert done.exit_code == 0, done.output
    assert "open task(s)" in done.output
    naive = runner.invoke(main, ["supervise", "--at", "2099-01-01T09:00:00"])
    assert naive.exit_code != 0 and "offset" in naive.output


def test_supervise_escalates_overdue_events_unless_turned_off(demo_db, monkeypatch):
    """The standard's reading by default: overdue level-1 events go to the county center; the setting and the
    flag turn it off, the flag winning over the setting."""
    runner, at = CliRunner(), ["supervise", "--once", "--at", "2026-01-01T09:00:00+08:00"]
    assert "escalate to the county center" in runner.invoke(main, at).output
    monkeypatch.setenv("GISAPP_ESCALATE_OVERDUE", "0")
    assert "stay at level 1" in runner.invoke(main, at).output
    assert "escalate to the county center" in runner.invoke(main, [*at, "--escalate-overdue"]).output
    monkeypatch.setenv("GISAPP_ESCALATE_OVERDUE", "maybe")
    assert runner.invoke(main, at).exit_code != 0
    monkeypatch.delenv("GISAPP_ESCALATE_OVERDUE")
    assert "stay at level 1" in runner.invoke(main, [*at, "--no-escalate-overdue"]).output


def test_demo_load_if_empty_adds_missing_demo_accounts(demo_db):
    runner = CliRunner()
    again = runner.invoke(main, ["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "demo accounts added: demo-county" in again.output
    assert "demo accounts added" not in runner.invoke(main, ["demo", "load", "--if-empty"]).output


def test_layers_import_with_progress_retry_dry_run_and_problems(empty_db, tmp_path):
    import json

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load", "--no-accounts"]).exit_code == 0
    engine = make_engine(empty_db, pool_size=1)
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM counties) x")
        ).one()

    def cameras(*ranges):
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon + i * 1e-5, lat]},
                    "properties": {
                        "device_id": f"32010200001310{800000 + i:06d}",
                        "name": f"命令行{i}",
                        "azimuth_deg": 0,
                        "fov_deg": 90,
                        "range_m": r,
                    },
                }
                for i, r in enumerate(ranges)
            ],
        }

    good = tmp_path / "cams.geojson"
    good.write_text(json.dumps(cameras(50, 60, 70), ensure_ascii=False), encoding="utf-8")
    dry = runner.invoke(main, ["layers", "import", str(good), "--layer", "cameras", "--dry-run"])
    assert dry.exit_code == 0 and "done" in dry.output and "dry_run True" in dry.output, dry.output
    done = runner.invoke(main, ["layers", "import", str(good), "--layer", "cameras"])
    assert done.exit_code == 0 and "inserted 3" in done.output, done.output
    assert "validating" in done.output and "writing" in done.output  # the progress bars' labels
    again = runner.invoke(main, ["layers", "import", str(good), "--layer", "cameras"])
    assert again.exit_code == 0 and "already imported" in again.output
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(cameras(50, -1), ensure_ascii=False), encoding="utf-8")
    refused = runner.invoke(main, ["layers", "import", str(bad), "--layer", "cameras"])
    assert refused.exit_code == 1 and "feature 1 (32010200001310800001): out_of_range" in refused.output
    assert "nothing was imported" in refused.output
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM cameras WHERE device_id LIKE '32010200001310800%'")).scalar() == 3
        )
        assert conn.execute(text("SELECT count(*) FROM import_jobs")).scalar() == 3
        # a community's layout with its last grid merged into the one before it, as a dry run
        rows = conn.execute(
            text(
                "WITH c AS "
                "(SELECT community_code AS code FROM grids GROUP BY 1 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1), "
                "g AS (SELECT code, name, geom, row_number() OVER (ORDER BY code DESC) AS k FROM grids "
                "WHERE community_code = (SELECT code FROM c)) "
                "SELECT code, name, ST_AsGeoJSON(CASE WHEN k = 2 THEN (SELECT ST_Union(geom) FROM g WHERE k <= 2) "
                "ELSE geom END) FROM g WHERE k > 1 ORDER BY code"
            )
        ).all()
    engine.dispose()
    layout = tmp_path / "layout.geojson"
    layout.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": json.loads(geom)}
                    for code, name, geom in rows
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    preview = runner.invoke(main, ["layers", "import", str(layout), "--layer", "grids", "--dry-run"])
    assert preview.exit_code == 0 and "updated 1" in preview.output and "retired 1" in preview.output, preview.output
    assert "lose their grid" in preview.output


def test_events_reassign_is_a_dry_run_unless_applied(demo_db):
    runner = CliRunner()
    assert runner.invoke(main, ["events", "reassign"]).output.strip().endswith("0 event(s) would move")
    from gisapp.domain.intake import parse_event_report
    from gisapp.services.access.audit import Actor
    from gisapp.services.events.intake import Submitter, submit_event

    engine = make_engine(demo_db, pool_size=1)
    with Session(engine) as session, session.begin():
        # an open event, then put in a wrong grid
        lon, lat = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY code DESC LIMIT 1) x"
            )
        ).one()
        category = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")).scalar()
        report = parse_event_report(
            {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
        )
        made = submit_event(
            session, report, by=Submitter("user:t", Actor("t", "county_commander", None)), audit_key=None
        ).event
        event, grid = made["id"], made["grid"]["code"]
        other = session.execute(text("SELECT min(code) FROM grids")).scalar()
        session.execute(
            text(
                "UPDATE events SET grid_code = :o, community_code = left(:o, 12), "
                "township_code = left(:o, 9) WHERE id = :i"
            ),
            {"o": other, "i": event},
        )
    dry = runner.invoke(main, ["events", "reassign", "--grid", other])
    assert (
        dry.exit_code == 0
        and f"event {event}: {other} -> {grid}" in dry.output
        and "1 event(s) would move" in dry.output
    )
    done = runner.invoke(main, ["events", "reassign", "--apply"])
    assert done.exit_code == 0 and "1 event(s) moved" in done.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT grid_code FROM events WHERE id = :i"), {"i": event}).scalar_one() == grid
    engine.dispose()
    assert runner.invoke(main, ["events", "reassign"]).output.strip().endswith("0 event(s) would move")
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_layers_export_writes_a_file_gdal_reads_in_the_asked_crs(empty_db, tmp_path):
    import pyogrio

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load", "--no-accounts"]).exit_code == 0
    out = tmp_path / "grids.gpkg"
    done = runner.invoke(
        main, ["layers", "export", "grids", "--format", "gpkg", "--crs", "EPSG:4549", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    frame = pyogrio.read_dataframe(out)
    engine = make_engine(empty_db, pool_size=1)
    with engine.connect() as conn:
        assert len(frame) == conn.execute(text("SELECT count(*) FROM grids")).scalar()
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'layer.export'")).scalar() == 1
    engine.dispose()
    assert frame.crs.to_epsg() == 4549
    refused = runner.invoke(main, ["layers", "export", "grids", "--crs", "EPSG:3857", "--out", str(out)])
    assert refused.exit_code != 0 and "unknown_crs" in refused.output


def test_coverage_refresh_recomputes_every_road_and_location(clone_db, monkeypatch):
    url = clone_db()  # the demo county, its coverage kept by triggers since the load
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url, pool_size=1)
    with engine.begin() as conn:  # a stored row made wrong behind the triggers' back
        conn.execute(text("UPDATE key_road_coverage SET covered_m = -1"))
    result = CliRunner().invoke(main, ["coverage", "refresh"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        roads, locations, wrong = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM key_roads), (SELECT count(*) FROM key_locations), "
                "(SELECT count(*) FROM key_road_coverage WHERE covered_m < 0)"
            )
        ).one()
    engine.dispose()
    assert f"{roads} key road(s), {locations} key location(s)" in result.output and wrong == 0


def test_tiles_clear_deletes_old_cached_tiles_or_all(demo_db):
    engine = make_engine(demo_db, pool_size=1)
    with engine.begin() as conn:
        for made_at, x in (("now() - interval '2 hours'", 0), ("now()", 1)):
            conn.execute(
                text(
                    f"INSERT INTO tile_cache (tileset, z, x, y, scope, tile, etag, envelope, made_at) "
                    f"VALUES ('grids', 1, {x}, 0, 'county:320102', '', md5(''), "
                    f"ST_Transform(ST_TileEnvelope(1, {x}, 0), 4326), {made_at})"
                )
            )
    runner = CliRunner()
    assert "cleared 1 cached tile(s)" in runner.invoke(main, ["tiles", "clear", "--older-than-hours", "1"]).output
    assert "cleared 1 cached tile(s)" in runner.invoke(main, ["tiles", "clear"]).output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tile_cache")).scalar_one() == 0
    engine.dispose()
