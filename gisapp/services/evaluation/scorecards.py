"""Scorecards (考核, clause 8.4): the county's weights, live rankings, and published scorecards that never change.

The figures come from the evaluation service (`evaluate`); the rule from `gisapp.domain.evaluation_score`.
A published scorecard stores each unit's figures, subscores, score and rank with the weights used, in
append-only tables (sql/035): changing the weights or late steps afterwards changes nothing in it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.evaluation import KPI_BY_KEY, Period, ScopeKind
from gisapp.domain.evaluation_score import (
    DEFAULT_WEIGHTS,
    RULE,
    SCOREABLE,
    Publication,
    Score,
    check_period_over,
    check_weights,
    effective_weights,
    ranks,
    round2,
    score,
)
from gisapp.errors import Conflict, NotFound
from gisapp.services.access.audit import Actor, record
from gisapp.services.evaluation.figures import Area, evaluate, fold, today_local

PAGE = 5000


# ----------------------------------------------------------------------------- weights


def _chosen(session: Session, county: str) -> dict:
    rows = session.execute(
        text("SELECT kpi, weight, updated_at, updated_by FROM eval_weights WHERE county_code = :c"), {"c": county}
    ).all()
    return {r.kpi: r for r in rows}


def current_weights(session: Session, county: str) -> dict[str, Decimal]:
    """The weights in force in a county: its choices over the defaults."""
    return effective_weights({kpi: row.weight for kpi, row in _chosen(session, county).items()})


def weight_table(session: Session, county: str) -> list[dict]:
    """Each scored figure with its weight, its default and who set it (for `gisapp evaluation weights show`)."""
    chosen = _chosen(session, county)
    out = []
    for key in SCOREABLE:
        row = chosen.get(key)
        out.append(
            {
                "kpi": key,
                "name": KPI_BY_KEY[key].zh,
                "name_en": KPI_BY_KEY[key].en,
                "weight": row.weight if row else DEFAULT_WEIGHTS.get(key, Decimal(0)),
                "default": DEFAULT_WEIGHTS.get(key, Decimal(0)),
                "set_by": row.updated_by if row else None,
                "set_at": row.updated_at if row else None,
            }
        )
    return out


def _lock_county(session: Session, county: str, what: str) -> None:
    if session.execute(text("SELECT 1 FROM counties WHERE code = :c"), {"c": county}).first() is None:
        raise NotFound(f"no county {county!r}", code="unknown_county")
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"gisapp.{what}:{county}"})


def set_weight(session: Session, key: bytes, actor: Actor, county: str, kpi: str, weight: Decimal) -> dict:
    """Give one figure a weight in a county (audited); at least one figure keeps a weight above 0."""
    _lock_county(session, county, "eval_weights")
    before = current_weights(session, county)
    check_weights({**before, kpi: weight})
    session.execute(
        text(
            "INSERT INTO eval_weights (county_code, kpi, weight, updated_at, updated_by) "
            "VALUES (:c, :k, :w, now(), :by) "
            "ON CONFLICT (county_code, kpi) DO UPDATE SET weight = EXCLUDED.weight, updated_at = EXCLUDED.updated_at, "
            "updated_by = EXCLUDED.updated_by"
        ),
        {"c": county, "k": kpi, "w": weight, "by": actor.name},
    )
    record(
        session,
        key,
        actor,
        "evaluation.weights",
        target=county,
        details={"kpi": kpi, "weight": str(weight), "previous": str(before[kpi])},
    )
    return {"kpi": kpi, "weight": weight, "previous": before[kpi]}


def reset_weights(session: Session, key: bytes, actor: Actor, county: str, kpi: str | None = None) -> int:
    """Back to the default weight: one figure, or all (audited); how many choices were removed."""
    _lock_county(session, county, "eval_weights")
    removed = session.execute(
        text("DELETE FROM eval_weights WHERE county_code = :c AND (:k IS NULL OR kpi = :k)"), {"c": county, "k": kpi}
    ).rowcount
    check_weights(current_weights(session, county))
    record(
        session, key, actor, "evaluation.weights", target=county, details={"reset": kpi or "all", "removed": removed}
    )
    return removed


# ----------------------------------------------------------------------------- figures and rankings


def all_figures(session: Session, area: Area, scope: ScopeKind, period: Period, now: datetime) -> tuple[list, str]:
    """[(code, name, figures)] of every unit of a scope in the area, and the answer's as_of."""
    out, offset = [], 0
    while True:
        answer = evaluate(session, area, scope, period, now=now, limit=PAGE, offset=offset, compare=False)
        out.extend((row["code"], row["name"], row["kpis"]) for row in answer["rows"])
        offset += PAGE
        if offset >= answer["total"]:
            return out, answer["as_of"]


def scored(units: list, weights: dict[str, Decimal]) -> list[tuple[int | None, str, str, dict, Score]]:
    """(rank, code, name, figures, score) best first, the unranked last."""
    scores = {code: score(figures, weights) for code, _, figures in units}
    by_code = {code: (name, figures) for code, name, figures in units}
    return [(rank, code, *by_code[code], scores[code]) for code, rank in ranks(scores)]


def _number(value: Decimal) -> float:
    return float(value)


def row_view(rank: int | None, code: str, name: str, figures: dict, result: Score) -> dict:
    """One unit of a ranking: its score, rank, and each scored figure with its weight and subscore."""
    parts = {
        p.kpi: {
            **figures[p.kpi],
            "weight": _number(p.weight),
            "subscore": None if p.subscore is None else _number(round2(p.subscore)),
        }
        for p in result.parts
    }
    return {
        "rank": rank,
        "code": code,
        "name": name,
        "score": None if result.value is None else _number(result.value),
        "accepted": result.accepted,
        "parts": parts,
    }


def ranking(
    session: Session,
    area: Area,
    scope: ScopeKind,
    period: Period,
    *,
    weights: dict[str, Decimal],
    now: datetime | None = None,
) -> dict:
    """The live ranking of the units of a scope in the area, with the weights given."""
    now = now or datetime.now(timezone.utc)
    units, as_of = all_figures(session, area, scope, period, now)
    rows = [row_view(*entry) for entry in scored(units, weights)]
    return {
        "scope": str(scope),
        "period": _period(period),
        "as_of": as_of,
        "rule": RULE,
        "weights": {k: _number(w) for k, w in weights.items()},
        "units": len(rows),
        "ranked": sum(1 for r in rows if r["rank"] is not None),
        "rows": rows,
    }


def _period(period: Period) -> dict:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


# ----------------------------------------------------------------------------- published scorecards

HEAD_COLUMNS = (
    "id, scope, period_from, period_to, weights, rule, as_of, units, ranked, published_at, published_by, client_ref"
)
INSERT_SCORECARD = text("""
INSERT INTO eval_scorecards (county_code, scope, period_from, period_to, weights, rule, as_of, units, ranked,
                             published_at, published_by, client_ref)
VALUES (:county, :scope, :start, :end, CAST(:weights AS jsonb), :rule, :as_of, :units, :ranked, :at, :by, :ref)
RETURNING id
""")
INSERT_ROW = text("""
INSERT INTO eval_scorecard_rows (scorecard_id, code, name, rank, score, accepted, parts)
VALUES (:id, :code, :name, :rank, :score, :accepted, CAST(:parts AS jsonb))
""")


def publish(
    session: Session, key: bytes, actor: Actor, county: str, publication: Publication, now: datetime | None = None
) -> tuple[dict, bool]:
    """Publish the scorecard of a scope and an ended period (audited); (the scorecard, whether it is new).

    A retry with the same client_ref answers the first; a second scorecard of the same scope and period is 409
    scorecard_exists (a published ranking is final). Publications of a county are serialised by a lock."""
    now = now or datetime.now(timezone.utc)
    _lock_county(session, county, "eval_scorecards")
    retried = _retried(session, county, actor, publication)
    if retried is not None:
        return retried, False
    period = publication.period
    existing = session.execute(
        text(
            "SELECT id FROM eval_scorecards "
            "WHERE county_code = :c AND scope = :s AND period_from = :f AND period_to = :t"
        ),
        {"c": county, "s": str(publication.scope), "f": period.start, "t": period.end},
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            f"the {publication.scope} scorecard of this period is already published (id {existing}): "
            "a published ranking is final",
            code="scorecard_exists",
            details={"id": existing},
        )
    check_period_over(period, today_local(now))
    fold(session)  # every committed step is in the figures published
    weights = current_weights(session, county)
    result = ranking(session, Area("county_code", county), publication.scope, period, weights=weights, now=now)
    scorecard_id = _store(session, county, actor, publication, result, now)
    record(
        session,
        key,
        actor,
        "evaluation.publish",
        target=f"scorecard:{scorecard_id}",
        details={
            "scope": str(publication.scope),
            **result["period"],
            "units": result["units"],
            "ranked": result["ranked"],
            "client_ref": publication.client_ref,
        },
        at=now,
    )
    return scorecard(session, county, scorecard_id), True


def _retried(session: Session, county: str, actor: Actor, publication: Publication) -> dict | None:
    """The scorecard this caller published with the same client_ref; 409 client_ref_conflict if it differs."""
    if publication.client_ref is None:
        return None
    found = session.execute(
        text(
            "SELECT id, county_code, scope, period_from, period_to FROM eval_scorecards "
            "WHERE published_by = :by AND client_ref = :ref"
        ),
        {"by": actor.name, "ref": publication.client_ref},
    ).one_or_none()
    if found is None:
        return None
    same = (found.county_code, found.scope, found.period_from, found.period_to) == (
        county,
        str(publication.scope),
        publication.period.start,
        publication.period.end,
    )
    if not same:
        raise Conflict(
            "this client_ref was used for another publication", code="client_ref_conflict", field="client_ref"
        )
    return scorecard(session, county, found.id)


def _store(session: Session, county: str, actor: Actor, publication: Publication, result: dict, now: datetime) -> int:
    scorecard_id = session.execute(
        INSERT_SCORECARD,
        {
            "county": county,
            "scope": str(publication.scope),
            "start": publication.period.start,
            "end": publication.period.end,
            "weights": json.dumps(result["weights"]),
            "rule": result["rule"],
            "as_of": result["as_of"],
            "units": result["units"],
            "ranked": result["ranked"],
            "at": now,
            "by": actor.name,
            "ref": publication.client_ref,
        },
    ).scalar_one()
    if result["rows"]:
        session.execute(
            INSERT_ROW,
            [
                {
                    "id": scorecard_id,
                    "code": r["code"],
                    "name": r["name"],
                    "rank": r["rank"],
                    "score": r["score"],
                    "accepted": r["accepted"],
                    "parts": json.dumps(r["parts"], ensure_ascii=False),
                }
                for r in result["rows"]
            ],
        )
    return scorecard_id


def _head(row) -> dict:
    return {
        "id": row.id,
        "scope": row.scope,
        "period": {"from": row.period_from.isoformat(), "to": row.period_to.isoformat()},
        "rule": row.rule,
        "weights": row.weights,
        "as_of": _iso(row.as_of),
        "units": row.units,
        "ranked": row.ranked,
        "published_at": _iso(row.published_at),
        "published_by": row.published_by,
        "client_ref": row.client_ref,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def scorecard(session: Session, county: str, scorecard_id: int) -> dict:
    """One published scorecard of a county with its rows, best first; 404 scorecard_not_found."""
    head = session.execute(
        text(f"SELECT {HEAD_COLUMNS} FROM eval_scorecards WHERE id = :id AND county_code = :c"),
        {"id": scorecard_id, "c": county},
    ).one_or_none()
    if head is None:
        raise NotFound(f"no published scorecard {scorecard_id} in your county", code="scorecard_not_found")
    rows = session.execute(
        text(
            "SELECT rank, code, name, score, accepted, parts FROM eval_scorecard_rows "
            "WHERE scorecard_id = :id ORDER BY rank NULLS LAST, score DESC, code"
        ),
        {"id": scorecard_id},
    ).all()
    return {
        **_head(head),
        "rows": [
            {
                "rank": r.rank,
                "code": r.code,
                "name": r.name,
                "score": None if r.score is None else float(r.score),
                "accepted": r.accepted,
                "parts": r.parts,
            }
            for r in rows
        ],
    }


def list_scorecards(
    session: Session, county: str, scope: ScopeKind | None, period: Period | None, *, limit: int, offset: int
) -> dict:
    """The published scorecards of a county, newest period first; those of one scope, or overlapping a period."""
    where = (
        "county_code = :c AND (CAST(:s AS text) IS NULL OR scope = :s) AND (CAST(:f AS date) IS NULL OR "
        "(period_from < :t AND period_to > :f))"
    )
    params = {
        "c": county,
        "s": str(scope) if scope else None,
        "f": period.start if period else None,
        "t": period.end if period else None,
    }
    total = session.execute(text(f"SELECT count(*) FROM eval_scorecards WHERE {where}"), params).scalar_one()
    rows = session.execute(
        text(
            f"SELECT {HEAD_COLUMNS} FROM eval_scorecards WHERE {where} "
            "ORDER BY period_from DESC, id DESC LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    return {"items": [_head(r) for r in rows], "total": total}
