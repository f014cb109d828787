"""The figures' declaration, periods and buckets, and the query string parser (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gisapp.config import PROJECT_ROOT
from gisapp.domain.evaluation import (
    KPIS,
    MAX_PERIOD_DAYS,
    Period,
    ScopeKind,
    bucket_end,
    buckets,
    figure,
    kpi_markdown,
    parse_query,
)
from gisapp.errors import ValidationFailed

ALL = frozenset({"scope", "from", "to", "code", "limit", "offset", "kpi", "part", "by", "bucket"})


def test_docs_carry_the_table_of_figures():
    docs = (PROJECT_ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    assert kpi_markdown() in docs, "docs/evaluation.md lacks the table of domain.evaluation.kpi_markdown()"


def test_every_figure_counts_measures_the_rollups_keep():
    from gisapp.domain.evaluation import AS_OF_MEASURES, DERIVED, MEASURES

    known = set(MEASURES) | set(AS_OF_MEASURES) | set(DERIVED)
    for kpi in KPIS:
        assert kpi.numerator in known and (kpi.denominator is None or kpi.denominator in known), kpi.key


@given(st.dates(date(2000, 1, 1), date(2040, 1, 1)), st.integers(1, 3 * 366))
def test_buckets_cover_the_period_exactly_once(start, days):
    period = Period(start, date.fromordinal(start.toordinal() + days))
    whole, rest = buckets(period)
    assert not rest
    covered = sorted((b.start, bucket_end(b)) for b in whole)
    assert covered[0][0] == period.start and covered[-1][1] == period.end
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:]))


@given(st.dates(date(2000, 1, 1), date(2040, 1, 1)), st.integers(1, 3 * 366))
def test_without_days_the_rest_is_the_partial_months(start, days):
    period = Period(start, date.fromordinal(start.toordinal() + days))
    whole, rest = buckets(period, daily=False)
    assert all(b.kind in "my" for b in whole)
    spans = sorted([(b.start, bucket_end(b)) for b in whole] + [(p.start, p.end) for p in rest])
    assert spans[0][0] == period.start and spans[-1][1] == period.end
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(p.days <= 31 for p in rest)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_a_rate_is_its_numerator_over_its_denominator(num, den):
    value = figure(next(k for k in KPIS if k.key == "closure_rate"), {"closed_by_to": num, "accepted": den})
    assert value["numerator"] == num and value["denominator"] == den
    assert value["value"] == (round(num / den, 6) if den else None)


def test_previous_and_year_before_periods():
    period = Period(date(2024, 2, 29), date(2024, 3, 2))
    assert period.previous() == Period(date(2024, 2, 27), date(2024, 2, 29))
    assert period.year_before() == Period(date(2023, 2, 28), date(2023, 3, 2))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # the scope must be one of the seven
        ({"scope": "planet", "from": "2026-01-01", "to": "2026-02-01"}, "unknown_scope"),
        # a period needs both ends, in order, at most five years
        ({"from": "2026-01-01"}, "missing_period"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "invalid_period"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "period_too_long"),
        # dates are YYYY-MM-DD, nothing else
        ({"from": "2026-1-1", "to": "2026-02-01"}, "invalid_from"),
        ({"from": "2026-01-01", "to": "２０２６-02-01"}, "invalid_to"),
        # codes are plain ASCII, no NUL
        ({"from": "2026-01-01", "to": "2026-02-01", "code": "32\x00"}, "invalid_code"),
        # numbers: digits only, clamped, never negative
        ({"from": "2026-01-01", "to": "2026-02-01", "limit": "１０"}, "invalid_limit"),
        ({"from": "2026-01-01", "to": "2026-02-01", "offset": "1e3"}, "invalid_offset"),
        ({"from": "2026-01-01", "to": "2026-02-01", "kpi": "wealth"}, "unknown_kpi"),
        ({"from": "2026-01-01", "to": "2026-02-01", "nope": "1"}, "unknown_parameter"),
    ],
)
def test_bad_query_strings_get_stable_codes(args, code):
    with pytest.raises(ValidationFailed) as caught:
        parse_query(args, allowed=ALL, default_scope=ScopeKind.GRID)
    assert caught.value.code == code


def test_five_years_is_the_longest_period():
    assert MAX_PERIOD_DAYS >= 5 * 365
    q = parse_query(
        {"from": "2021-01-01", "to": "2026-01-01", "limit": "999999999"}, allowed=ALL, default_scope=ScopeKind.GRID
    )
    assert q.limit == 5000
