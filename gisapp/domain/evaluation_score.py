"""Scorecards (考核, clause 8.4): the scoring rule and the ranking, as pure rules.

Every figure that may carry a weight is read from the one declaration of the figures (`KPIS`):

- a **rate** scores ``100 × value`` (``100 × (1 − value)`` when lower is better);
- a **count that is better lower** (overdue tasks, supervision records) is put per 100 accepted
  events and scores ``max(0, 100 − count × 100 ÷ accepted)``;
- counts of volume (reported, accepted) and mean times are not scored: volume is not merit, and a mean
  time mixes categories with different limits (the timely and on-time rates judge each task against
  its own limit).

The **score** of a unit is the weighted mean of the subscores it has: ``Σ weight × subscore ÷ Σ weight``
over the figures with a weight above 0 and a denominator above 0 for that unit (a figure with nothing to
count, e.g. a satisfaction rate without ratings, neither helps nor hurts). It is computed exactly
(fractions) and rounded half up to two decimals once, at the end. A unit with no accepted event in the
period is **not ranked**. Ranks are competition ranks ("1224") of the rounded score; ties are listed by code.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from gisapp.domain.evaluation import (
    KPI_BY_KEY,
    KPIS,
    Kind,
    Kpi,
    Period,
    ScopeKind,
    parse_choice,
    parse_int,
    parse_period,
)
from gisapp.errors import ValidationFailed

RULE = "2026-12.1"  # the rule's version, stored with each published scorecard
SCORE_SCOPES = (ScopeKind.TOWNSHIP, ScopeKind.TEAM, ScopeKind.DEPARTMENT)
MAX_WEIGHT = Decimal(100)
NORMALISER = "accepted"  # counts are put per 100 of this figure


def scoreable(kpi: Kpi) -> bool:
    """Rates, and the counts that are better lower (normalised per 100 accepted events).

    >>> scoreable(KPI_BY_KEY["closure_rate"]), scoreable(KPI_BY_KEY["overdue"]), scoreable(KPI_BY_KEY["reported"])
    (True, True, False)
    """
    return kpi.kind is Kind.RATE or (kpi.kind is Kind.COUNT and not kpi.higher_is_better)


SCOREABLE: tuple[str, ...] = tuple(k.key for k in KPIS if scoreable(k))

# the weights a county starts with (they add up to 100); `gisapp evaluation weights set` changes them
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    key: Decimal(w)
    for key, w in (
        ("timely_response_rate", 15),
        ("on_time_handling_rate", 20),
        ("closure_rate", 15),
        ("on_time_closure_rate", 10),
        ("satisfaction_rate", 15),
        ("rework_rate", 5),
        ("accurate_dispatch_rate", 5),
        ("self_handled_rate", 5),
        ("overdue", 10),
        ("valid_report_rate", 0),
        ("extension_rate", 0),
        ("supervisions", 0),
        ("repeat_rate", 0),
    )
}

_WEIGHT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


# --------------------------------------------------------------------------- weights, parsed at the edge


def parse_weight(raw: object) -> Decimal:
    """A weight: a number from 0 to 100 with at most two decimals (no sign, exponent, NaN or infinity).

    >>> parse_weight("12.5"), parse_weight(20)
    (Decimal('12.5'), Decimal('20'))
    >>> parse_weight("NaN")
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: weight: a number from 0 to 100 with at most two decimals, such as 15 or 12.5
    """
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(text, str) or not _WEIGHT.fullmatch(text) or Decimal(text) > MAX_WEIGHT:
        raise ValidationFailed(
            "weight: a number from 0 to 100 with at most two decimals, such as 15 or 12.5",
            code="invalid_weight",
            field="weight",
        )
    return Decimal(text)


def parse_kpi(raw: object) -> str:
    """A figure that may carry a weight: 422 unknown_kpi, or kpi_not_scoreable for volume counts and mean times."""
    if not isinstance(raw, str) or raw not in KPI_BY_KEY:
        raise ValidationFailed(f"kpi must be one of: {', '.join(SCOREABLE)}", code="unknown_kpi", field="kpi")
    if raw not in SCOREABLE:
        raise ValidationFailed(
            f"{raw} is not scored (volume counts and mean times carry no weight); "
            f"choose one of: {', '.join(SCOREABLE)}",
            code="kpi_not_scoreable",
            field="kpi",
        )
    return raw


def effective_weights(chosen: dict[str, Decimal]) -> dict[str, Decimal]:
    """The defaults, overlaid by a county's choices (choices of figures no longer scored are ignored)."""
    return {key: chosen.get(key, DEFAULT_WEIGHTS.get(key, Decimal(0))) for key in SCOREABLE}


def check_weights(weights: dict[str, Decimal]) -> None:
    """At least one figure keeps a weight above 0 (else nothing could be scored): 422 no_weights."""
    if not any(w > 0 for w in weights.values()):
        raise ValidationFailed("at least one figure must keep a weight above 0", code="no_weights", field="weight")


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class Part:
    kpi: str
    weight: Decimal
    subscore: Fraction | None  # None: nothing to count for this unit


@dataclass(frozen=True)
class Score:
    value: Decimal | None  # None: not ranked
    accepted: int
    parts: tuple[Part, ...]

    @property
    def ranked(self) -> bool:
        return self.value is not None


def _exact(value: int | float | Decimal) -> Fraction:
    return Fraction(str(value))


def subscore(kpi: Kpi, figures: dict) -> Fraction | None:
    """One figure's subscore 0..100 for a unit (its figures as `gisapp.domain.evaluation.figures` gives them).

    >>> subscore(KPI_BY_KEY["closure_rate"], {"closure_rate": {"numerator": 3, "denominator": 4}})
    Fraction(75, 1)
    >>> subscore(KPI_BY_KEY["overdue"], {"overdue": {"numerator": 250}, "accepted": {"value": 100}})
    Fraction(0, 1)
    """
    figure = figures[kpi.key]
    if kpi.kind is Kind.RATE:
        if not figure["denominator"]:
            return None
        rate = min(max(_exact(figure["numerator"]) / _exact(figure["denominator"]), Fraction(0)), Fraction(1))
        return 100 * rate if kpi.higher_is_better else 100 * (1 - rate)
    accepted = figures[NORMALISER]["value"]
    if not accepted:
        return None
    return max(Fraction(0), 100 - 100 * _exact(figure["numerator"]) / _exact(accepted))


def round2(value: Fraction) -> Decimal:
    """Half up to two decimals, exactly (no binary floating point on the way).

    >>> round2(Fraction(1, 8)), round2(Fraction(2, 3)), round2(Fraction(100))
    (Decimal('0.13'), Decimal('0.67'), Decimal('100.00'))
    """
    return Decimal(math.floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def score(figures: dict, weights: dict[str, Decimal]) -> Score:
    """A unit's score: the weighted mean of its subscores, or None when it accepted no event (not ranked)."""
    accepted = int(figures[NORMALISER]["value"] or 0)
    parts = tuple(Part(key, weights.get(key, Decimal(0)), subscore(KPI_BY_KEY[key], figures)) for key in SCOREABLE)
    counted = [p for p in parts if p.weight > 0 and p.subscore is not None]
    total = sum((_exact(p.weight) for p in counted), Fraction(0))
    if accepted == 0 or total == 0:
        return Score(None, accepted, parts)
    weighted = sum((_exact(p.weight) * p.subscore for p in counted if p.subscore is not None), Fraction(0))
    return Score(round2(weighted / total), accepted, parts)


def ranks(scores: dict[str, Score]) -> list[tuple[str, int | None]]:
    """(code, rank) best first: competition ranks of the rounded score, ties by code, the unranked last by code.

    >>> s = lambda v: Score(None if v is None else Decimal(v), 1, ())
    >>> ranks({"b": s("90"), "a": s("90"), "c": s("95"), "d": s(None), "e": s("80")})
    [('c', 1), ('a', 2), ('b', 2), ('e', 4), ('d', None)]
    """
    ranked = sorted((c for c, s in scores.items() if s.ranked), key=lambda c: (-(scores[c].value or 0), c))
    out: list[tuple[str, int | None]] = []
    for position, code in enumerate(ranked, start=1):
        same = out and scores[out[-1][0]].value == scores[code].value
        out.append((code, out[-1][1] if same else position))
    return out + [(c, None) for c in sorted(c for c, s in scores.items() if not s.ranked)]


# --------------------------------------------------------------------------- what a request asks for


@dataclass(frozen=True)
class Publication:
    """A request to publish the scorecard of a scope and a period (POST /api/v1/evaluation/scorecards)."""

    scope: ScopeKind
    period: Period
    client_ref: str | None = None


PUBLICATION_FIELDS = frozenset({"scope", "from", "to", "client_ref"})
_CLIENT_REF = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def parse_score_scope(raw: object) -> ScopeKind:
    """township, team or department: 422 missing_scope or unknown_scope."""
    if raw is None:
        raise ValidationFailed("scope is required: township, team or department", code="missing_scope", field="scope")
    return ScopeKind(parse_choice(raw, "scope", SCORE_SCOPES))


def parse_publication(body: object) -> Publication:
    """The body of a publication, checked field by field (unknown fields refused, each defect its own code)."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            'send {"scope": "township", "from": "2026-11-01", "to": "2026-12-01"}', code="invalid_body"
        )
    unknown = sorted(set(body) - PUBLICATION_FIELDS)
    if unknown:
        name = "".join(ch for ch in unknown[0][:40] if ch.isprintable())
        raise ValidationFailed(
            f"unknown field {name!r}; the fields are: {', '.join(sorted(PUBLICATION_FIELDS))}",
            code="unknown_field",
            field=name,
        )
    client_ref = body.get("client_ref")
    if client_ref is not None and not (isinstance(client_ref, str) and _CLIENT_REF.fullmatch(client_ref)):
        raise ValidationFailed(
            "client_ref: 1 to 64 letters, digits, '.', '_', ':' or '-'", code="invalid_client_ref", field="client_ref"
        )
    return Publication(parse_score_scope(body.get("scope")), parse_period(body.get("from"), body.get("to")), client_ref)


def check_period_over(period: Period, today: date) -> None:
    """Only a period that has ended is published (its figures still move while it runs): 422 period_not_over."""
    if period.end > today:
        raise ValidationFailed(
            f"the period ends on {period.end.isoformat()}: publish it from that day on",
            code="period_not_over",
            field="to",
        )


@dataclass(frozen=True)
class ScorecardFilter:
    """Which published scorecards a list asks for: one scope or all, those overlapping a period or all."""

    scope: ScopeKind | None
    period: Period | None
    limit: int = 50
    offset: int = 0


SCORECARD_FILTER_FIELDS = frozenset({"scope", "from", "to", "limit", "offset"})


def parse_scorecard_filter(args: dict) -> ScorecardFilter:
    """scope, from and to (both or neither), limit (to 500), offset; unknown parameters refused."""
    unknown = sorted(set(args) - SCORECARD_FILTER_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"unknown parameter {unknown[0][:40]!r}; this route takes: {', '.join(sorted(SCORECARD_FILTER_FIELDS))}",
            code="unknown_parameter",
            field="query",
        )
    scope = parse_score_scope(args["scope"]) if args.get("scope") not in (None, "") else None
    dated = "from" in args or "to" in args
    period = parse_period(args.get("from"), args.get("to")) if dated else None
    return ScorecardFilter(
        scope,
        period,
        parse_int(args.get("limit"), "limit", 50, 1, 500),
        parse_int(args.get("offset"), "offset", 0, 0, 10_000_000),
    )
