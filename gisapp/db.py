"""Engine and sessions: one engine per app, one session per request."""

from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

from geoalchemy2 import Geometry
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from gisapp.config import SRID

# Geometry crossing the database edge: GeoAlchemy2's type writes a parameter as EWKB with the storage SRID
# (ST_GeomFromEWKT of its hex form: exact) and reads a column as EWKB, so a statement names its geometry
# parameters and columns (geometry_sql) and the services see shapely geometry only. Bulk reads of many thousands
# of rows (adjacency, re-assignment) decode with shapely's vectorised from_wkb instead: one call, not one per row.
GEOMETRY = Geometry(srid=SRID, spatial_index=False)


def geometry_sql(
    sql: str, *, params: tuple[str, ...] = (), columns: tuple[str, ...] = ()
) -> TextClause | TextualSelect:
    """A text() statement whose named parameters take geometry (to_db) and named result columns give it (from_db)."""
    statement = text(sql)
    if params:
        statement = statement.bindparams(*(bindparam(name, type_=GEOMETRY) for name in params))
    if columns:
        return statement.columns(**dict.fromkeys(columns, GEOMETRY))
    return statement


def to_db(geom: BaseGeometry) -> WKBElement:
    """A shapely geometry (WGS84) as a geometry parameter."""
    return from_shape(geom, srid=SRID, extended=True)


def from_db(value: WKBElement) -> BaseGeometry:
    """A geometry column as shapely."""
    return to_shape(value)


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine with UTC sessions and a 30 s statement timeout.

    No pre-ping: it would cost a round trip per request. After a database restart the first
    statement on a stale connection fails, SQLAlchemy invalidates the whole pool, and the next
    request reconnects; pool_recycle bounds the age of idle connections.
    """
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,  # SQL errors in logs never carry the values: they may be personal data
        # generic plans for our prepared statements: their plan does not depend on the values
        connect_args={"options": "-c timezone=UTC -c statement_timeout=30000 -c plan_cache_mode=force_generic_plan"},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def without_statement_timeout(session: Session) -> None:
    """Lift the engine's statement timeout for the rest of this transaction (maintenance work the CLI runs)."""
    session.execute(text("SET LOCAL statement_timeout = 0"))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]):
    return namedtuple("Row", columns)


@dataclass(frozen=True)
class Prepared:
    """A hot statement prepared once per connection (PREPARE), then only executed.

    psycopg2 has no automatic server-side preparation; without it PostgreSQL plans the
    statement on every call, which costs as much as running a geocoding look-up. The statement
    runs on the session's own DBAPI connection, inside the session's transaction, through a
    plain cursor: SQLAlchemy's execution layer would cost as much again as the query.
    Prepared statements belong to the connection and survive rollbacks; they do not survive a
    transaction-pooling proxy (pgbouncer in transaction mode), which this app does not use.
    """

    name: str
    sql: str  # positional parameters $1, $2, ...
    types: tuple[str, ...]  # their SQL types

    def _execute(self, session: Session, params: Sequence):
        """EXECUTE on the session's connection, preparing it there first; the open cursor."""
        dbapi = session.connection().connection
        prepared = dbapi.info.setdefault("gisapp.prepared", set())
        cur = dbapi.cursor()
        if self.name not in prepared:
            cur.execute(f"PREPARE {self.name} ({', '.join(self.types)}) AS {self.sql}")
            prepared.add(self.name)
        cur.execute(f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})", tuple(params))
        return cur

    def fetch_one(self, session: Session, params: Sequence):
        """The first row (a named tuple) or None."""
        with self._execute(session, params) as cur:
            row = cur.fetchone()
            return None if row is None else _row_type(tuple(d.name for d in cur.description))(*row)

    def fetch_all(self, session: Session, params: Sequence) -> list:
        """All rows, as named tuples."""
        with self._execute(session, params) as cur:
            row_type = _row_type(tuple(d.name for d in cur.description))
            return [row_type(*row) for row in cur.fetchall()]
