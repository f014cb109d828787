"""The embedded PostGIS: a private cluster under var/, created with initdb on first use.

It listens on a free loopback port with password (SCRAM) authentication. PostgreSQL refuses
to run as root, so when invoked as root the cluster belongs to, and runs as, the `postgres`
system user; if that user cannot reach the project folder (e.g. a clone under /root), the
cluster lives under /var/lib/gisapp/<hash of the folder> and var/ records where.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from gisapp.errors import SetupError

DB_USER = "gisapp"
DB_NAME = "gisapp"
SYSTEM_PACKAGES = "postgresql postgresql-contrib postgresql-postgis"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def find_bindir() -> Path:
    """The newest PostgreSQL server binaries on this machine that have PostGIS installed."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    for postgres in candidates:
        version = postgres.parent.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return postgres.parent
    raise SetupError(
        "PostgreSQL with PostGIS 3 is not installed. Install the system packages "
        f"({SYSTEM_PACKAGES}) with apt-get as root, or run `make run` as root, "
        "or set DATABASE_URL to an external PostGIS."
    )


class EmbeddedPostgres:
    """Create, start, stop and locate the private cluster."""

    def __init__(self, var_dir: Path):
        self.var_dir = Path(var_dir).resolve()
        self.meta_dir = self.var_dir / "pg"
        self.as_root = os.geteuid() == 0

    # where things are -----------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The folder holding the cluster (data/, log)."""
        pointer = self.meta_dir / "home"
        if pointer.exists():
            return Path(pointer.read_text().strip())
        return self.meta_dir / "cluster"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def _secret(self, name: str) -> str | None:
        # the password and port live beside the cluster they belong to: a new checkout at a
        # path whose cluster already exists (same /var/lib/gisapp/<hash>) finds them there
        path = self.home / name
        return path.read_text().strip() if path.exists() else None

    def _keep(self, name: str, value: str) -> None:
        path = self.home / name
        path.write_text(value)
        os.chmod(path, 0o600)

    def url(self, database: str = DB_NAME) -> str:
        """SQLAlchemy URL of a database in the cluster."""
        port, password = self._secret("port"), self._secret("password")
        if not port or not password:
            raise SetupError(
                "the embedded database is not set up: run `gisapp db start` (or `make run`), or set DATABASE_URL"
            )
        return f"postgresql+psycopg2://{DB_USER}:{quote(password)}@127.0.0.1:{port}/{database}"

    # running commands -----------------------------------------------------------------
    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, check=False, capture_output=True, text=True, **kw)

    def _postgres_can_reach(self, path: Path) -> bool:
        return self._run(["test", "-x", str(path)]).returncode == 0

    def _choose_home(self) -> None:
        self.meta_dir.mkdir(parents=True, exist_ok=True)
        if (self.meta_dir / "home").exists():
            return
        home = self.meta_dir / "cluster"
        if self.as_root and not self._postgres_can_reach(self.meta_dir):
            digest = hashlib.sha1(str(self.var_dir).encode()).hexdigest()[:12]
            home = Path("/var/lib/gisapp") / digest
        (self.meta_dir / "home").write_text(str(home))

    # life cycle ------------------------------------------------------------------------
    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        bindir = find_bindir()
        return self._run([str(bindir / "pg_ctl"), "status", "-D", str(self.data_dir)]).returncode == 0

    def init(self) -> bool:
        """initdb on first use; returns True when a new cluster was created."""
        bindir = find_bindir()
        self._choose_home()
        if (self.data_dir / "PG_VERSION").exists():
            if self._secret("password"):
                return False
            self._set_aside_orphan(bindir)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-made cluster from an interrupted initdb
        self.home.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        pwfile = self.home / "initdb.pw"
        pwfile.write_text(password)
        os.chmod(pwfile, 0o600)
        if self.as_root:
            shutil.chown(self.home, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            done = self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    DB_USER,
                    "--pwfile",
                    str(pwfile),
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise SetupError(f"initdb failed: {done.stderr.strip()[-2000:]}")
        self._keep("password", password)
        return True

    def _set_aside_orphan(self, bindir: Path) -> None:
        """Move away a cluster nobody can log in to (its password was lost with an old checkout)."""
        self._run([str(bindir / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data_dir)])
        target = self.home / f"data.orphaned.{int(time.time())}"
        self.data_dir.rename(target)
        print(f"the cluster in {self.data_dir} had no recorded password: moved to {target}")

    def start(self) -> str:
        """Start the cluster if it is not running, create the app database; return its URL."""
        self.init()
        if not self.is_running():
            port = int(self._secret("port") or 0)
            if not port or not _port_free(port):
                port = _free_port()
            self._keep("port", str(port))
            bindir = find_bindir()
            options = (
                f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c max_connections=200 -c shared_buffers=256MB -c fsync=on"
            )
            done = self._run(
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.home / "postgres.log"),
                    "-o",
                    options,
                ]
            )
            if done.returncode != 0:
                raise SetupError(
                    f"the embedded PostgreSQL did not start: {done.stderr.strip()} (see {self.home / 'postgres.log'})"
                )
        self._wait_ready()
        self.ensure_database(DB_NAME)
        return self.url()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self._dsn("postgres")).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _dsn(self, database: str) -> str:
        return self.url(database).replace("postgresql+psycopg2://", "postgresql://")

    def ensure_database(self, name: str) -> None:
        """CREATE DATABASE name unless it exists."""
        import psycopg2

        conn = psycopg2.connect(self._dsn("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def stop(self) -> bool:
        """Stop the cluster; returns False if it was not running."""
        if not self.is_running():
            return False
        bindir = find_bindir()
        done = self._run([str(bindir / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data_dir)])
        if done.returncode != 0:
            raise SetupError(f"pg_ctl stop failed: {done.stderr.strip()}")
        return True
