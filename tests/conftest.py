"""Fixtures: a real PostGIS, a template database with the demo county, live HTTP servers.

The template (migrated + demo county loaded) is built once per run; tests that need their own
data get a clone of it (CREATE DATABASE ... TEMPLATE), so tests never see each other's rows.
TEST_DATABASE_URL may point at an external PostGIS whose role can CREATE DATABASE.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from gisapp.config import PROJECT_ROOT, Settings
from gisapp.db import make_engine
from gisapp.services.access.accounts import DEMO_PASSWORD
from tests.support import TEST_AUDIT_KEY
from tests.support import admin as _admin
from tests.support import server_url as _server_url
from tests.support import with_db as _with_db

TEMPLATE = f"gisapp_test_tpl_{os.getpid()}"  # one per run: concurrent runs do not clash
DEMO = Path(os.environ.get("GISAPP_TEST_DEMO_DIR") or PROJECT_ROOT / "layers" / "demo")


@pytest.fixture(scope="session")
def template_url():
    """A database with every migration applied and the demo county loaded."""
    from gisapp.db import make_session_factory, transaction
    from gisapp.migrate import upgrade
    from gisapp.services.access.accounts import create_demo_accounts
    from gisapp.services.access.audit import Actor
    from gisapp.services.jurisdiction.areas import load_jurisdiction

    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{TEMPLATE}"')
    url = _with_db(_server_url(), TEMPLATE)
    engine = make_engine(url, pool_size=1)
    upgrade(engine, PROJECT_ROOT / "sql")
    with transaction(make_session_factory(engine)) as session:
        load_jurisdiction(session, DEMO)
        create_demo_accounts(session, TEST_AUDIT_KEY, Actor("tests", "system", None), production=False)
    engine.dispose()
    yield url
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@pytest.fixture(scope="session")
def clone_db(template_url):
    """A factory of fresh databases cloned from the template; all dropped at the end."""
    made: list[str] = []

    def clone() -> str:
        name = f"gisapp_test_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        made.append(name)
        return _with_db(template_url, name)

    yield clone
    for name in made:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_engine(clone_db):
    engine = make_engine(clone_db(), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture()
def session(shared_engine):
    """A session inside a transaction that is rolled back after the test."""
    conn = shared_engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint")
    yield sess
    sess.close()
    outer.rollback()
    conn.close()


class LiveServer:
    def __init__(self, url: str, database_url: str, app):
        self.url, self.database_url, self.app = url, database_url, app
        self._clients: dict[str, requests.Session] = {}

    def db(self):
        return psycopg2.connect(self.database_url.replace("postgresql+psycopg2://", "postgresql://"))

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        r = requests.post(
            self.url + "/api/v1/auth/token", json={"username": username, "password": password}, timeout=30
        )
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def client(self, username: str = "demo-county") -> requests.Session:
        """A requests session carrying a bearer token of the (demo) account; one per account and server."""
        if username not in self._clients:
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {self.token(username)}"
            self._clients[username] = http
        return self._clients[username]


def start_server(database_url: str, prepare=None, **overrides) -> tuple[LiveServer, object]:
    """Serve the app over HTTP on a free port; prepare(app) may add to it before it serves."""
    from gisapp import create_app

    overrides.setdefault("audit_key_value", TEST_AUDIT_KEY)
    app = create_app(Settings(database_url=database_url, **overrides))
    if prepare is not None:
        prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", database_url, app), server


@pytest.fixture(scope="module")
def live(clone_db):
    """The app over real HTTP on a free loopback port, on a database of this module's own."""
    srv, server = start_server(clone_db())
    yield srv
    server.shutdown()
    server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()
