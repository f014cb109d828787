"""SQLAlchemy 2.0 typed models mirroring sql/; the SQL files stay the source of truth."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gisapp.config import SRID


class Base(DeclarativeBase):
    pass


def _geom(kind: str):
    return mapped_column(Geometry(kind, srid=SRID, spatial_index=False), nullable=False)


class County(Base):
    __tablename__ = "counties"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    geom = _geom("MULTIPOLYGON")


class Township(Base):
    __tablename__ = "townships"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    geom = _geom("MULTIPOLYGON")


class Community(Base):
    __tablename__ = "communities"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"))
    geom = _geom("MULTIPOLYGON")


class GridCode(Base):
    """The register of every grid code ever issued (022): a retired code is never issued again."""
    __tablename__ = "grid_codes"
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    community_code: Mapped[str] = mapped_column(String(12))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Grid(Base):
    __tablename__ = "grids"
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code"))
    geom = _geom("MULTIPOLYGON")


class CommandCenter(Base):
    __tablename__ = "command_centers"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    county_code: Mapped[str | None] = mapped_column(ForeignKey("counties.code"))
    township_code: Mapped[str | None] = mapped_column(ForeignKey("townships.code"))
    duty_phone: Mapped[str | None] = mapped_column(Text)


class Department(Base):
    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str] = mapped_column(Text)
    leader_name: Mapped[str | None] = mapped_column(Text)
    leader_title: Mapped[str | None] = mapped_column(Text)
    leader_phone: Mapped[str | None] = mapped_column(Text)
    liaison_name: Mapped[str | None] = mapped_column(Text)
    liaison_phone: Mapped[str | None] = mapped_column(Text)
    duty_phone: Mapped[str | None] = mapped_column(Text)
    county_code: Mapped[str | None] = mapped_column(ForeignKey("counties.code"))  # the county it serves


class Team(Base):
    __tablename__ = "teams"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code", ondelete="SET NULL"), unique=True)


class Member(Base):
    __tablename__ = "members"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    team_code: Mapped[str] = mapped_column(ForeignKey("teams.code"))
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    duty_status: Mapped[str] = mapped_column(Text)
    position = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=True)
    position_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CategoryKind(Base):
    __tablename__ = "category_kinds"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class Category(Base):
    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind_code: Mapped[str] = mapped_column(ForeignKey("category_kinds.code"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    priority: Mapped[str] = mapped_column(Text)
    response_minutes: Mapped[int] = mapped_column(Integer)
    handling_minutes: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(SmallInteger)


class KeyRoad(Base):
    __tablename__ = "key_roads"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    road_class: Mapped[str] = mapped_column(Text)
    geom = _geom("MULTILINESTRING")


class KeyLocation(Base):
    __tablename__ = "key_locations"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[int] = mapped_column(SmallInteger)
    geom = _geom("GEOMETRY")


class Camera(Base):
    __tablename__ = "cameras"
    device_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    azimuth_deg: Mapped[float] = mapped_column(Float)
    fov_deg: Mapped[float] = mapped_column(Float)
    range_m: Mapped[float] = mapped_column(Float)
    online: Mapped[bool] = mapped_column(Boolean)
    geom = _geom("POINT")


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    submitted_by: Mapped[str] = mapped_column(Text)  # "user:<name>" / "integration:<code>"; client_ref is per submitter
    client_ref: Mapped[str | None] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(SmallInteger)
    priority: Mapped[str] = mapped_column(Text)
    geom = _geom("POINT")
    reported_crs: Mapped[str] = mapped_column(Text)
    reported_lon: Mapped[float] = mapped_column(Float)
    reported_lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grid_codes.code"))
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code"))
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    center_code: Mapped[str] = mapped_column(ForeignKey("command_centers.code"))
    assignee_kind: Mapped[str] = mapped_column(Text)
    team_code: Mapped[str | None] = mapped_column(ForeignKey("teams.code"))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    respond_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    handle_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventLog(Base):
    __tablename__ = "event_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
