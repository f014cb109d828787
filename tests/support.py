"""Helpers shared by tests: where the test PostGIS server is and how to administer it."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from gisapp.config import PROJECT_ROOT

TEST_AUDIT_KEY = b"test-audit-key-not-for-production"  # the key of the test template's audit records


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from gisapp.embedded import EmbeddedPostgres

    return EmbeddedPostgres(PROJECT_ROOT / "var").url("postgres")


def with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


# CI sets it (.ci/run): there a test that needs the database and finds none fails instead of skipping
REQUIRE_DB = os.environ.get("GISAPP_REQUIRE_DB", "") not in ("", "0")
_unreachable: list[str] = []  # why the server could not be reached, once known: later tests skip at once


def no_database(reason: str) -> None:
    """Skip the test (locally) or fail it (GISAPP_REQUIRE_DB=1, CI) because no PostGIS is reachable."""
    message = (
        f"no PostGIS reachable ({reason}); start the embedded one with `.venv/bin/gisapp db start` "
        "or set TEST_DATABASE_URL"
    )
    if REQUIRE_DB:
        pytest.fail(message + " [GISAPP_REQUIRE_DB is set: database tests must run]", pytrace=False)
    pytest.skip(message)


def _admin_connection():
    """An autocommit connection to the server's postgres database, or the test skipped (failed in CI)."""
    from gisapp.errors import SetupError

    if _unreachable:
        no_database(_unreachable[0])
    try:
        dsn = with_db(server_url(), "postgres").replace("postgresql+psycopg2://", "postgresql://")
        conn = psycopg2.connect(dsn, connect_timeout=10)
    except (SetupError, psycopg2.OperationalError) as exc:
        _unreachable.append(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        no_database(_unreachable[0])
    conn.autocommit = True
    return conn


def admin(sql: str) -> None:
    conn = _admin_connection()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def distance_m(a, b) -> float:
    """Geodesic distance in metres between two (lon, lat) points."""
    from pyproj import Geod

    return Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2]


@contextmanager
def empty_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the test server (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield with_db(server_url(), name)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(live, sql: str, *args) -> list[tuple]:
    """Run SQL on a live server's database and commit; the rows it returns (none for a change)."""
    conn = live.db()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()
