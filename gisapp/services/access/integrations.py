"""Integrations: systems that report events for citizens (public app, 12345 hotline, video platform).

Each has its own API key (only the key's hash is stored), the channels it may report on and
the county it serves; it may create events and read back its own, nothing else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.events import Channel
from gisapp.errors import Conflict, ValidationFailed
from gisapp.services.access.audit import Actor, record

KEY_PREFIX = "gak_"  # recognisable in a leaked-secrets scan
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{2,63}$")


@dataclass(frozen=True)
class Integration:
    id: int
    code: str
    name: str
    county_code: str
    channels: tuple[str, ...]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check(code: str, channels: list[str]) -> tuple[str, ...]:
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise ValidationFailed(
            "an integration code is 3-64 lowercase letters, digits, '-' or '_'",
            code="invalid_integration_code",
            field="code",
        )
    known = {str(c) for c in Channel}
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) and c in known for c in channels):
        raise ValidationFailed(
            f"channels: one or more of {', '.join(sorted(known))}", code="invalid_channels", field="channels"
        )
    return tuple(sorted(set(channels)))


def create_integration(
    session: Session, key: bytes, by: Actor, *, code: str, name: str, county_code: str, channels: list[str]
) -> tuple[Integration, str]:
    """Register an integration; returns it and its API key, which is shown this once only."""
    chans = _check(code, channels)
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("an integration needs a name", code="invalid_integration_name", field="name")
    if session.execute(text("SELECT 1 FROM integrations WHERE code = :c"), {"c": code}).first():
        raise Conflict(f"the integration code {code!r} is taken", code="integration_taken")
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    new_id = session.execute(
        text(
            "INSERT INTO integrations (code, name, county_code, channels, key_hash) "
            "SELECT :c, :n, :k, :ch, :h WHERE EXISTS (SELECT 1 FROM counties WHERE code = :k) RETURNING id"
        ),
        {"c": code, "n": name.strip(), "k": county_code, "ch": list(chans), "h": _hash(api_key)},
    ).scalar_one_or_none()
    if new_id is None:
        raise ValidationFailed(f"no county with code {county_code}", code="unknown_binding", field="county")
    record(
        session, key, by, "integration.create", target=code, details={"county": county_code, "channels": list(chans)}
    )
    return Integration(new_id, code, name.strip(), county_code, chans), api_key


def integration_for_key(session: Session, api_key: str) -> Integration | None:
    """The enabled integration holding this key, else None."""
    row = session.execute(
        text("SELECT id, code, name, county_code, channels FROM integrations WHERE key_hash = :h AND NOT disabled"),
        {"h": _hash(api_key)},
    ).one_or_none()
    return Integration(row.id, row.code, row.name, row.county_code, tuple(row.channels)) if row else None


def disable_integration(session: Session, key: bytes, by: Actor, code: str, county: str | None = None) -> None:
    """Disable an integration (of one county, when given); its key stops working at once."""
    done = session.execute(
        text(
            "UPDATE integrations SET disabled = true WHERE code = :c AND (CAST(:k AS text) IS NULL OR county_code = :k)"
        ),
        {"c": code, "k": county},
    )
    if done.rowcount != 1:
        raise ValidationFailed(f"no integration {code!r}", code="unknown_integration", field="code")
    record(session, key, by, "integration.disable", target=code)


def list_integrations(session: Session, county: str | None = None) -> list[dict]:
    """The integrations (of one county, when given), without their key hashes."""
    rows = session.execute(
        text(
            "SELECT code, name, county_code, channels, created_at, disabled FROM integrations "
            "WHERE CAST(:k AS text) IS NULL OR county_code = :k ORDER BY code"
        ),
        {"k": county},
    ).mappings()
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "county": r["county_code"],
            "channels": list(r["channels"]),
            "created_at": r["created_at"].isoformat().replace("+00:00", "Z"),
            "disabled": r["disabled"],
        }
        for r in rows
    ]
