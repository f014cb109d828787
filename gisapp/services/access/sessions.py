"""Browser sessions: a random id in an HttpOnly cookie, its hash and CSRF token in the database.

A new id at every login (no fixation); idle sessions end after 30 minutes, every session after
12 hours (GB/T 22239-2019 8.1.4.1 d, 8.1.4.2); a disabled account or a changed password ends them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.services.access.accounts import Account, account_columns, account_from_row

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session


@dataclass(frozen=True)
class WebSession:
    id: int
    account: Account
    csrf_token: str


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(
    session: Session, account: Account, *, client_addr: str | None, now: datetime | None = None
) -> tuple[str, WebSession]:
    """A new session for an authenticated account: (cookie value, session)."""
    now = now or datetime.now(timezone.utc)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session_id = session.execute(
        text(
            "INSERT INTO web_sessions (user_id, session_hash, csrf_token, client_addr, created_at, last_seen_at) "
            "VALUES (:u, :h, :c, :a, :now, :now) RETURNING id"
        ),
        {"u": account.id, "h": _hash(cookie), "c": csrf, "a": client_addr, "now": now},
    ).scalar_one()
    return cookie, WebSession(session_id, account, csrf)


@dataclass(frozen=True)
class Lookup:
    """What a session cookie leads to: a live session, or why there is none."""

    session: WebSession | None
    ended: str | None = None  # 'idle' or 'expired' when this lookup ended it


def session_for_cookie(
    session: Session,
    cookie: str,
    *,
    now: datetime | None = None,
    idle: timedelta = IDLE,
    absolute: timedelta = ABSOLUTE,
) -> Lookup:
    """The live session behind a cookie; a session past its idle or absolute limit is ended here."""
    now = now or datetime.now(timezone.utc)
    row = session.execute(
        text(
            f"SELECT s.id AS session_id, s.csrf_token, s.created_at, s.last_seen_at, {account_columns('u')} "
            "FROM web_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.session_hash = :h AND s.ended_at IS NULL AND NOT u.disabled"
        ),
        {"h": _hash(cookie)},
    ).one_or_none()
    if row is None:
        return Lookup(None)
    reason = "expired" if now - row.created_at >= absolute else "idle" if now - row.last_seen_at >= idle else None
    if reason:
        end_session(session, row.session_id, reason, now=now)
        return Lookup(None, reason)
    if now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(
            text("UPDATE web_sessions SET last_seen_at = :now WHERE id = :id"), {"now": now, "id": row.session_id}
        )
    return Lookup(WebSession(row.session_id, account_from_row(row), row.csrf_token))


def end_session(session: Session, session_id: int, reason: str, *, now: datetime | None = None) -> None:
    session.execute(
        text("UPDATE web_sessions SET ended_at = :now, end_reason = :r WHERE id = :id AND ended_at IS NULL"),
        {"now": now or datetime.now(timezone.utc), "r": reason, "id": session_id},
    )
