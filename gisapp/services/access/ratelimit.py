"""Fixed-window rate limits kept in PostgreSQL, so every worker and host shares one count.

Each call counts one hit in every bucket it names (e.g. the client address and the account) and
refuses with 429 when any bucket is over its limit for the current window. The count is committed
before the request does its work, on the request's own connection: a refused or failed request
still counts, and no second connection is taken.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.errors import RateLimited

HIT_SQL = text("""
INSERT INTO rate_windows (bucket, window_start, hits)
SELECT b, to_timestamp(:start), 1 FROM unnest(CAST(:buckets AS text[])) AS b
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1
RETURNING bucket, hits
""")
PRUNE_SQL = text("DELETE FROM rate_windows WHERE window_start < to_timestamp(:before)")
PRUNE_CHANCE = 0.01
WINDOW = 60  # seconds


@dataclass(frozen=True)
class Limit:
    """At most `hits` requests per window (a minute) in one bucket; hits <= 0 switches it off."""

    bucket: str
    hits: int


def hit(session: Session, limits: list[Limit], *, now: datetime | None = None, window: int = WINDOW) -> None:
    """Count one request in each bucket for the current window; raise RateLimited if any is over its limit.

    Commits the session: call it before the request's own writes (its reads so far are only the caller's
    credentials), so the count stands whatever happens to the request.
    """
    active = [lim for lim in limits if lim.hits > 0]
    if not active:
        return
    ts = (now or datetime.now(timezone.utc)).timestamp()
    start = int(ts // window * window)
    counts = dict(session.execute(HIT_SQL, {"start": start, "buckets": [lim.bucket for lim in active]}).all())
    if random.random() < PRUNE_CHANCE:
        session.execute(PRUNE_SQL, {"before": start - max(3600, 2 * window)})
    session.commit()
    over = [lim for lim in active if counts[lim.bucket] > lim.hits]
    if over:
        retry = max(1, int(start + window - ts + 0.999))
        raise RateLimited(
            f"too many requests ({over[0].hits} per {window} s); try again in {retry} s", retry_after=retry
        )
