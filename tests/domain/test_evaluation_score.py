"""The scoring rule (clause 8.4), pure: known answers, then hypothesis against a from-scratch computation in
decimal arithmetic, the weights (money-like: exact to the cent) and the ranks."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gisapp.domain.evaluation import KPI_BY_KEY, KPIS, MEASURES, Kind, Period, ScopeKind, figures
from gisapp.domain.evaluation_report import ReportKind, change, parse_report, report_periods
from gisapp.domain.evaluation_score import (
    DEFAULT_WEIGHTS,
    SCOREABLE,
    Score,
    check_period_over,
    check_weights,
    effective_weights,
    parse_kpi,
    parse_publication,
    parse_scorecard_filter,
    parse_weight,
    ranks,
    score,
)
from gisapp.errors import ValidationFailed

NO_WEIGHTS = dict.fromkeys(SCOREABLE, Decimal(0))


def unit(**measures) -> dict:
    """A unit's figures from its measures, through the one declaration of the figures."""
    return figures(
        {**dict.fromkeys(MEASURES, 0), "closed_by_to": 0, "closed_on_time_by_to": 0, "handle_due": 0, **measures}
    )


def test_the_scored_figures_are_the_rates_and_the_counts_better_lower():
    assert set(SCOREABLE) == {
        k.key for k in KPIS if k.kind is Kind.RATE or (k.kind is Kind.COUNT and not k.higher_is_better)
    }
    assert {"reported", "accepted", "mean_response_minutes", "mean_handling_minutes"}.isdisjoint(SCOREABLE)
    assert set(DEFAULT_WEIGHTS) == set(SCOREABLE) and sum(DEFAULT_WEIGHTS.values()) == 100


def test_a_known_unit_scores_the_weighted_mean_of_its_subscores():
    # closure 30/40 -> 75; rework 1/3 (lower is better) -> 66.666..; overdue 2 per 40 accepted -> 95
    figs = unit(accepted=40, closed_by_to=30, handled_once=3, reworked=1, tasks_overdue=2)
    weights = {**NO_WEIGHTS, "closure_rate": Decimal(20), "rework_rate": Decimal(10), "overdue": Decimal(10)}
    result = score(figs, weights)
    parts = {p.kpi: p.subscore for p in result.parts}
    assert (parts["closure_rate"], parts["overdue"]) == (75, 95)
    assert float(parts["rework_rate"]) == pytest.approx(200 / 3)
    # (20×75 + 10×66.67 + 10×95) ÷ 40 = 77.9166.. -> 77.92
    assert result.value == Decimal("77.92") and result.accepted == 40


def test_a_figure_with_nothing_to_count_neither_helps_nor_hurts():
    # no ratings: the satisfaction rate has no denominator, so only the closure rate counts
    figs = unit(accepted=10, closed_by_to=9)
    weights = {**NO_WEIGHTS, "closure_rate": Decimal(10), "satisfaction_rate": Decimal(90)}
    assert score(figs, weights).value == Decimal("90.00")


def test_a_unit_without_accepted_events_is_not_ranked():
    result = score(unit(reported=3), DEFAULT_WEIGHTS)
    assert result.value is None and not result.ranked


def test_counts_beyond_one_hundred_per_hundred_score_zero_not_below():
    figs = unit(accepted=2, tasks_overdue=5, supervisions=1)
    weights = {**NO_WEIGHTS, "overdue": Decimal(1), "supervisions": Decimal(1)}
    assert score(figs, weights).value == Decimal("25.00")  # (0 + 50) ÷ 2


def test_rounding_is_half_up_on_the_exact_value():
    # 201 closed of 20000: exactly 1.005, which binary floating point holds as 1.00499.. and would round down
    figs = unit(accepted=20_000, closed_by_to=201)
    assert round(201 / 20_000 * 100, 2) == 1.0
    assert score(figs, {**NO_WEIGHTS, "closure_rate": Decimal(1)}).value == Decimal("1.01")


# --------------------------------------------------------------------------- hypothesis: from scratch in decimals


def from_scratch(figs: dict, weights: dict[str, Decimal]) -> Decimal | None:
    """The rule written again, in 50-digit decimals, straight from docs/evaluation.md."""
    with localcontext() as ctx:
        ctx.prec = 50
        accepted = Decimal(figs["accepted"]["value"])
        if accepted == 0:
            return None
        total, weighted = Decimal(0), Decimal(0)
        for key in SCOREABLE:
            kpi, fig, w = KPI_BY_KEY[key], figs[key], weights[key]
            if kpi.kind is Kind.RATE:
                if not fig["denominator"]:
                    continue
                rate = Decimal(fig["numerator"]) / Decimal(fig["denominator"])
                sub = rate * 100 if kpi.higher_is_better else (1 - rate) * 100
            else:
                sub = max(Decimal(0), 100 - Decimal(fig["numerator"]) * 100 / accepted)
            if w > 0:
                total += w
                weighted += w * sub
        return None if total == 0 else (weighted / total).quantize(Decimal("0.01"), ROUND_HALF_UP)


CENTS = st.integers(0, 10_000).map(lambda c: Decimal(c).scaleb(-2))  # 0.00 .. 100.00
WEIGHTS = st.fixed_dictionaries({key: CENTS for key in SCOREABLE})


@st.composite
def unit_figures(draw) -> dict:
    """Figures of a unit: each rate's numerator at most its denominator (as the roll-ups give them)."""
    figs = {"accepted": {"value": draw(st.integers(0, 5000)), "numerator": None, "denominator": None}}
    for key in SCOREABLE:
        kpi = KPI_BY_KEY[key]
        if kpi.kind is Kind.RATE:
            den = draw(st.integers(0, 5000))
            num = draw(st.integers(0, den))
            figs[key] = {"value": num / den if den else None, "numerator": num, "denominator": den}
        else:
            n = draw(st.integers(0, 20_000))
            figs[key] = {"value": n, "numerator": n, "denominator": None}
    return figs


@given(figs=unit_figures(), weights=WEIGHTS)
def test_the_score_equals_a_from_scratch_computation(figs, weights):
    result = score(figs, weights)
    assert result.value == from_scratch(figs, weights)
    if result.value is not None:
        assert Decimal(0) <= result.value <= Decimal(100) and result.value.as_tuple().exponent == -2


@given(figs=unit_figures(), weights=WEIGHTS, factor=st.integers(1, 50))
def test_scaling_every_weight_leaves_the_score_unchanged(figs, weights, factor):
    scaled = {k: w * factor for k, w in weights.items()}
    assert score(figs, scaled).value == score(figs, weights).value


# --------------------------------------------------------------------------- weights: exact to the cent


@given(CENTS)
def test_every_weight_of_cents_from_0_to_100_reads_back_exactly(weight):
    assert parse_weight(str(weight)) == weight
    assert parse_weight(format(weight, "f")) == weight


# each case a weight that must be refused: why it is there
@pytest.mark.parametrize(
    "raw",
    [
        "-1",  # negative
        "NaN",
        "nan",
        "Infinity",
        "inf",  # not a number
        "100.01",
        "1000",
        "1e3",
        "9" * 400,  # over 100, an exponent, huge
        "12.345",  # more than two decimals
        "１０",  # full-width digits
        "12\x00",  # a NUL byte
        "",
        " 12",
        "12 ",
        "+12",
        "0x10",
        12.5,
        None,
        True,
        [],
        {"w": 1},  # wrong JSON types
    ],
)
def test_bad_weights_are_refused_with_a_stable_code(raw):
    with pytest.raises(ValidationFailed) as refused:
        parse_weight(raw)
    assert refused.value.code == "invalid_weight"


@given(st.text(max_size=12))
def test_any_text_is_a_weight_of_cents_or_refused(raw):
    try:
        weight = parse_weight(raw)
    except ValidationFailed as exc:
        assert exc.code == "invalid_weight"
    else:
        assert Decimal(0) <= weight <= Decimal(100) and weight == Decimal(raw)


def test_figures_that_carry_no_weight_are_named():
    assert parse_kpi("closure_rate") == "closure_rate"
    with pytest.raises(ValidationFailed) as unknown:
        parse_kpi("wealth")
    with pytest.raises(ValidationFailed) as volume:
        parse_kpi("reported")
    assert (unknown.value.code, volume.value.code) == ("unknown_kpi", "kpi_not_scoreable")


def test_a_county_keeps_at_least_one_weight():
    with pytest.raises(ValidationFailed) as refused:
        check_weights(NO_WEIGHTS)
    assert refused.value.code == "no_weights"
    assert effective_weights({"closure_rate": Decimal(1), "gone_figure": Decimal(5)})["closure_rate"] == 1


# --------------------------------------------------------------------------- ranks


@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(0, 40).map(lambda v: Decimal(v).scaleb(-1))),
        max_size=12,
    )
)
def test_ranks_are_competition_ranks_of_the_score(values):
    scores = {code: Score(v, 1, ()) for code, v in values.items()}
    ranked = ranks(scores)
    assert sorted(c for c, _ in ranked) == sorted(values)
    for code, rank in ranked:
        if values[code] is None:
            assert rank is None
        else:
            assert rank == 1 + sum(1 for v in values.values() if v is not None and v > values[code])
    seen = [r for _, r in ranked if r is not None]
    assert seen == sorted(seen) and [r for _, r in ranked][len(seen) :] == [None] * (len(ranked) - len(seen))


# --------------------------------------------------------------------------- what requests ask for


# each case: a publication body that is wrong, and its stable code
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "invalid_body"),
        ("township", "invalid_body"),
        ({"scope": "township", "from": "2026-11-01", "to": "2026-12-01", "colour": 1}, "unknown_field"),
        ({"from": "2026-11-01", "to": "2026-12-01"}, "missing_scope"),
        ({"scope": "planet", "from": "2026-11-01", "to": "2026-12-01"}, "unknown_scope"),
        ({"scope": "member", "from": "2026-11-01", "to": "2026-12-01"}, "unknown_scope"),  # members are not ranked
        ({"scope": ["township"], "from": "2026-11-01", "to": "2026-12-01"}, "unknown_scope"),  # a wrong JSON type
        ({"scope": "township", "from": 20261101, "to": "2026-12-01"}, "invalid_from"),
        ({"scope": "township", "from": "2026-11-01\x00", "to": "2026-12-01"}, "invalid_from"),  # a NUL byte
        ({"scope": "township", "from": "2026-12-01", "to": "2026-11-01"}, "invalid_period"),
        ({"scope": "township", "from": "2020-01-01", "to": "2026-01-01"}, "period_too_long"),
        ({"scope": "township", "from": "2026-11-01", "to": "2026-12-01", "client_ref": "a b"}, "invalid_client_ref"),
        (
            {"scope": "township", "from": "2026-11-01", "to": "2026-12-01", "client_ref": {"x": [[[]]]}},
            "invalid_client_ref",
        ),
    ],
)
def test_a_wrong_publication_gets_its_code(body, code):
    with pytest.raises(ValidationFailed) as refused:
        parse_publication(body)
    assert refused.value.code == code


def test_only_an_ended_period_is_published():
    period = Period(date(2026, 11, 1), date(2026, 12, 1))
    check_period_over(period, date(2026, 12, 1))
    with pytest.raises(ValidationFailed) as refused:
        check_period_over(period, date(2026, 11, 30))
    assert refused.value.code == "period_not_over"


def test_the_list_filter_takes_a_scope_and_a_period_or_neither():
    assert parse_scorecard_filter({}).scope is None
    wanted = parse_scorecard_filter({"scope": "team", "from": "2026-11-01", "to": "2026-12-01", "limit": "9999"})
    assert (wanted.scope, wanted.period.days, wanted.limit) == (ScopeKind.TEAM, 30, 500)
    with pytest.raises(ValidationFailed) as half:
        parse_scorecard_filter({"from": "2026-11-01"})
    assert half.value.code == "missing_period"


# --------------------------------------------------------------------------- reports


def test_report_periods_and_their_comparison():
    day = date(2026, 1, 1)  # a Thursday
    assert report_periods(ReportKind.DAILY, day) == (Period(day, date(2026, 1, 2)), Period(date(2025, 12, 31), day))
    assert report_periods(ReportKind.WEEKLY, day)[0] == Period(date(2025, 12, 29), date(2026, 1, 5))
    assert report_periods(ReportKind.MONTHLY, day) == (Period(day, date(2026, 2, 1)), Period(date(2025, 12, 1), day))
    assert change(KPI_BY_KEY["rework_rate"], {"value": 0.1}, {"value": 0.2}) == {
        "value": -10.0,
        "unit": "pp",
        "better": True,
    }
    assert change(KPI_BY_KEY["accepted"], {"value": 3}, {"value": 0}) is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"kind": "yearly"}, "unknown_kind"),
        ({"date": "2026-02-30"}, "invalid_date"),
        ({"date": "1999-12-31"}, "invalid_date"),
        ({"date": "2026-01-01", "x": "1"}, "unknown_parameter"),
    ],
)
def test_a_wrong_report_request_gets_its_code(args, code):
    with pytest.raises(ValidationFailed) as refused:
        parse_report(args, date(2026, 12, 6))
    assert refused.value.code == code
