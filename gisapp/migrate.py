"""Apply sql/NNN_name.sql in order, recording each file in schema_migrations.

Each file and its record go in one transaction; an advisory lock keeps two migrators
apart; a recorded file that was edited or removed stops everything before anything runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from gisapp.errors import MigrationError

LOCK_KEY = 3_335_2017  # DB32/T 3335-2017
FILE_PATTERN = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    checksum: str
    sql: str


def discover(sql_dir: Path) -> list[Migration]:
    """The migration files, in order; a badly named .sql file or a repeated number is an error."""
    found: dict[str, Migration] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_lower_snake.sql")
        version = match.group(1)
        if version in found:
            raise MigrationError(f"two migration files share number {version}")
        body = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(body.encode()).hexdigest()
        found[version] = Migration(version, path.name, checksum, body)
    return [found[v] for v in sorted(found)]


def check_history(files: list[Migration], applied: dict[str, tuple[str, str]]) -> list[Migration]:
    """The files still to apply, after checking the applied ones are unchanged and present."""
    by_version = {m.version: m for m in files}
    for version, (name, checksum) in sorted(applied.items()):
        current = by_version.get(version)
        if current is None:
            raise MigrationError(f"migration {name} was applied but its file is missing")
        if current.checksum != checksum:
            raise MigrationError(f"migration {name} was edited after it was applied; write a new numbered file instead")
    return [m for m in files if m.version not in applied]


def upgrade(engine: Engine, sql_dir: Path) -> list[str]:
    """Apply every pending migration; return the names applied."""
    files = discover(sql_dir)
    done: list[str] = []
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        conn.execute(text("SET statement_timeout = 0"))  # a migration may rebuild a province's layers
        conn.commit()
        try:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"
                )
            )
            conn.commit()
            rows = conn.execute(text("SELECT version, name, checksum FROM schema_migrations")).all()
            pending = check_history(files, {r.version: (r.name, r.checksum) for r in rows})
            for migration in pending:
                # the raw cursor with no parameters: a '%' in the SQL (RAISE formats) stays literal
                with conn.connection.cursor() as cursor:
                    cursor.execute(migration.sql)
                conn.execute(
                    text("INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)"),
                    {"v": migration.version, "n": migration.name, "c": migration.checksum},
                )
                conn.commit()
                done.append(migration.name)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            conn.execute(text("RESET statement_timeout"))
            conn.commit()
    return done
