"""The audit trail: append-only records chained by HMAC-SHA-256 (GB/T 22239-2019 8.1.4.3).

Each record's hash covers the previous record's hash and this record's content, keyed with a
secret the database does not hold: whoever edits a row directly (or deletes one, or inserts one
in the middle) breaks the chain at that point, and `verify` names the first broken record.
Appends are serialised with a transaction-scoped advisory lock, so the chain is a line even
under concurrent writers; the record commits or rolls back with the business change it belongs to.

Retention (`purge`) removes the oldest records as a prefix of the chain and leaves a checkpoint
holding the hash of the last one removed; `verify` starts from the newest checkpoint, and
requires it to be attested by the chained "audit.purge" record that names it, so a checkpoint
inserted by hand cannot hide a removed prefix.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.config import MIN_AUDIT_RETENTION_DAYS
from gisapp.errors import ValidationFailed

AUDIT_LOCK = 3_335_2017_01

LAST_SQL = text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
INSERT_SQL = text("""
INSERT INTO audit_log (at, actor, role, client_addr, action, target, success, details, prev_hash, hash)
VALUES (:at, :actor, :role, :client_addr, :action, :target, :success, CAST(:details AS jsonb),
        :prev_hash, :hash)
RETURNING id
""")


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (username and role) or a system process, and from where."""

    name: str
    role: str | None = None
    client_addr: str | None = None


def _digest(
    key: bytes,
    prev_hash: str,
    at: datetime,
    actor: str,
    role: str | None,
    client_addr: str | None,
    action: str,
    target: str,
    success: bool,
    details: dict,
) -> str:
    content = json.dumps(
        [
            prev_hash,
            at.astimezone(timezone.utc).isoformat(),
            actor,
            role,
            client_addr,
            action,
            target,
            success,
            details,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def record(
    session: Session,
    key: bytes,
    actor: Actor,
    action: str,
    *,
    target: str = "",
    success: bool = True,
    details: dict | None = None,
    at: datetime | None = None,
) -> int:
    """Append one audit record in the session's transaction; returns its id."""
    details = details or {}
    at = at or datetime.now(timezone.utc)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
    prev_hash = session.execute(LAST_SQL).scalar_one_or_none() or ""
    digest = _digest(key, prev_hash, at, actor.name, actor.role, actor.client_addr, action, target, success, details)
    return session.execute(
        INSERT_SQL,
        {
            "at": at,
            "actor": actor.name,
            "role": actor.role,
            "client_addr": actor.client_addr,
            "action": action,
            "target": target,
            "success": success,
            "details": json.dumps(details, ensure_ascii=False),
            "prev_hash": prev_hash,
            "hash": digest,
        },
    ).scalar_one()


def record_if_changed(session: Session, key: bytes, actor: Actor, action: str, details: dict) -> bool:
    """Append a record unless the latest record of this action carries the same details (e.g. the
    security policy each app instance starts with: recorded once per change, not once per start)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
    last = session.execute(
        text("SELECT details FROM audit_log WHERE action = :a ORDER BY id DESC LIMIT 1"), {"a": action}
    ).scalar_one_or_none()
    if last == json.loads(json.dumps(details)):
        return False
    record(session, key, actor, action, details=details)
    return True


@dataclass(frozen=True)
class Verification:
    checked: int
    first_broken: int | None  # id of the first record whose link or content does not verify
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


# The newest checkpoint, and the audit.purge record after it that names it (None when forged).
CHECKPOINT_SQL = text("""
SELECT c.upto_id, c.last_hash,
       (SELECT min(l.id) FROM audit_log l WHERE l.id > c.upto_id AND l.action = 'audit.purge'
           AND l.details ->> 'upto_id' = c.upto_id::text AND l.details ->> 'last_hash' = c.last_hash) AS attested_by
FROM audit_checkpoints c ORDER BY c.id DESC LIMIT 1
""")


def verify(session: Session, key: bytes, *, batch: int = 5000) -> Verification:
    """Walk the chain from the newest checkpoint (else the first record); report the first record that
    does not verify."""
    checkpoint = session.execute(CHECKPOINT_SQL).one_or_none()
    prev_hash, last_id = (checkpoint.last_hash, checkpoint.upto_id) if checkpoint else ("", 0)
    checked, attested = 0, checkpoint is None
    while True:
        rows = session.execute(
            text(
                "SELECT id, at, actor, role, client_addr, action, target, success, details, prev_hash, hash "
                "FROM audit_log WHERE id > :last ORDER BY id LIMIT :n"
            ),
            {"last": last_id, "n": batch},
        ).all()
        if not rows:
            break
        for r in rows:
            if r.prev_hash != prev_hash:
                return Verification(
                    checked, r.id, "the link to the previous record is broken (a record was removed or inserted)"
                )
            expected = _digest(
                key, prev_hash, r.at, r.actor, r.role, r.client_addr, r.action, r.target, r.success, r.details
            )
            if not hmac.compare_digest(expected, r.hash):
                return Verification(checked, r.id, "the record's content does not match its hash (it was altered)")
            attested = attested or r.id == checkpoint.attested_by
            prev_hash, checked, last_id = r.hash, checked + 1, r.id
    if attested:
        return Verification(checked, None, None)
    # Name the record whose link rests on the unattested checkpoint (or the checkpoint's own bound).
    first = session.execute(text("SELECT min(id) FROM audit_log WHERE id > :u"), {"u": checkpoint.upto_id}).scalar_one()
    return Verification(
        checked,
        first or checkpoint.upto_id,
        "the retention checkpoint is not attested by an audit.purge record (records were removed)",
    )


# The oldest records forming a prefix of the chain: every id below the first record at or after the
# cutoff. The cutoff never passes the database's own 180-day bound, so the guard trigger accepts them.
PURGEABLE_SQL = text("""
WITH bound AS (SELECT LEAST(CAST(:cutoff AS timestamptz), now() - interval '180 days') AS cutoff)
SELECT id, hash FROM audit_log
WHERE id < COALESCE((SELECT min(id) FROM audit_log, bound WHERE at >= bound.cutoff), 9223372036854775807)
ORDER BY id DESC LIMIT 1
""")


def purge(session: Session, key: bytes, by: Actor, *, retention_days: int, now: datetime | None = None) -> int:
    """Remove the records older than the retention period, leave a checkpoint and an audit.purge record;
    returns how many were removed. The caller commits."""
    if retention_days < MIN_AUDIT_RETENTION_DAYS:
        raise ValidationFailed(
            f"audit records are kept at least {MIN_AUDIT_RETENTION_DAYS} days",
            code="retention_too_short",
            field="retention_days",
        )
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
    last = session.execute(PURGEABLE_SQL, {"cutoff": cutoff}).one_or_none()
    if last is None:
        return 0
    session.execute(text("SELECT set_config('gisapp.audit_purge', 'on', true)"))
    purged = session.execute(text("DELETE FROM audit_log WHERE id <= :u"), {"u": last.id}).rowcount
    session.execute(text("SELECT set_config('gisapp.audit_purge', 'off', true)"))
    session.execute(
        text("INSERT INTO audit_checkpoints (upto_id, last_hash, purged) VALUES (:u, :h, :n)"),
        {"u": last.id, "h": last.hash, "n": purged},
    )
    record(
        session,
        key,
        by,
        "audit.purge",
        target="audit_log",
        details={"purged": purged, "upto_id": last.id, "last_hash": last.hash, "retention_days": retention_days},
    )
    return purged


def list_records(
    session: Session,
    *,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict], int]:
    """A page of audit records, newest first, and the total matching the filter."""
    clauses, params = [], {}
    for column, value in (("actor", actor), ("action", action)):
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if since is not None:
        clauses.append("at >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("at < :until")
        params["until"] = until
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    total = session.execute(text(f"SELECT count(*) FROM audit_log{where}"), params).scalar_one()
    rows = session.execute(
        text(
            f"SELECT id, at, actor, role, client_addr, action, target, success, details FROM audit_log{where} "
            "ORDER BY id DESC LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).mappings()
    return [{**r, "at": r["at"].isoformat().replace("+00:00", "Z")} for r in rows], total
