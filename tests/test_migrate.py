"""The migrator against a real, empty PostGIS database."""

import shutil
import threading

import pytest
from sqlalchemy import text

from gisapp.config import PROJECT_ROOT
from gisapp.db import make_engine
from gisapp.errors import MigrationError
from gisapp.migrate import discover, upgrade
from tests.support import empty_database


@pytest.fixture()
def empty_engine():
    with empty_database("gisapp_test_mig") as url:
        engine = make_engine(url, pool_size=4)
        yield engine
        engine.dispose()


@pytest.fixture()
def sql_copy(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(PROJECT_ROOT / "sql", target)
    return target


def test_upgrade_applies_every_file_once_in_order(empty_engine):
    names = [m.name for m in discover(PROJECT_ROOT / "sql")]
    assert upgrade(empty_engine, PROJECT_ROOT / "sql") == names
    assert upgrade(empty_engine, PROJECT_ROOT / "sql") == []
    with empty_engine.connect() as conn:
        recorded = conn.execute(text("SELECT name FROM schema_migrations ORDER BY version")).scalars().all()
        assert recorded == names
        assert conn.execute(text("SELECT postgis_lib_version()")).scalar_one()


def test_tables_have_gist_indexes_on_geometry(empty_engine):
    upgrade(empty_engine, PROJECT_ROOT / "sql")
    with empty_engine.connect() as conn:
        gist = set(conn.execute(text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")).scalars())
    assert {
        "counties",
        "townships",
        "communities",
        "grids",
        "key_roads",
        "key_locations",
        "cameras",
        "events",
        "members",
    } <= gist


def test_edited_applied_file_is_refused(empty_engine, sql_copy):
    upgrade(empty_engine, sql_copy)
    first = sorted(sql_copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="edited"):
        upgrade(empty_engine, sql_copy)


def test_missing_applied_file_is_refused(empty_engine, sql_copy):
    upgrade(empty_engine, sql_copy)
    sorted(sql_copy.glob("*.sql"))[-1].unlink()
    with pytest.raises(MigrationError, match="missing"):
        upgrade(empty_engine, sql_copy)


def test_failing_file_leaves_no_record_and_no_partial_change(empty_engine, sql_copy):
    (sql_copy / "900_broken.sql").write_text("CREATE TABLE half_done (id int);\nSELECT no_such_function();\n")
    with pytest.raises(Exception):
        upgrade(empty_engine, sql_copy)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('half_done')")).scalar_one() is None
        assert conn.execute(text("SELECT count(*) FROM schema_migrations WHERE version = '900'")).scalar_one() == 0
        # the files before the broken one did apply, each in its own transaction
        assert conn.execute(text("SELECT count(*) FROM schema_migrations")).scalar_one() == len(
            list((PROJECT_ROOT / "sql").glob("*.sql"))
        )


def test_badly_named_file_is_refused(sql_copy):
    (sql_copy / "7_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNN_lower_snake"):
        discover(sql_copy)


def test_two_concurrent_upgrades_apply_each_file_once(empty_engine):
    results, errors = [], []

    def run():
        try:
            results.append(upgrade(empty_engine, PROJECT_ROOT / "sql"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(len(r) for r in results) == [0, 0, len(discover(PROJECT_ROOT / "sql"))]


def test_percent_signs_in_sql_stay_literal(empty_engine, sql_copy):
    # RAISE formats use '%': the migrator must not treat it as a driver placeholder
    (sql_copy / "901_percent.sql").write_text(
        "DO $$ BEGIN RAISE NOTICE '% percent', 100; END $$;\nCREATE TABLE pct (v text DEFAULT '100%');\n"
    )
    applied = upgrade(empty_engine, sql_copy)
    assert applied[-1] == "901_percent.sql"
