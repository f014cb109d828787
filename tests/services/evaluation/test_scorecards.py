"""Scorecards on real PostGIS: the rule on events built through intake and the life cycle (known answers), the
score of every unit against a from-scratch computation (hypothesis), publication that freezes a ranking, the
weights (audited, never all zero), and the duty report's lists."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gisapp.domain.evaluation import Period, ScopeKind
from gisapp.domain.evaluation_report import ReportKind
from gisapp.domain.evaluation_score import DEFAULT_WEIGHTS, SCOREABLE, Publication
from gisapp.domain.supervision import Policy
from gisapp.errors import Conflict, NotFound, ValidationFailed
from gisapp.services.access.audit import Actor
from gisapp.services.evaluation.figures import Area, fold
from gisapp.services.evaluation.report import report as duty_report
from gisapp.services.evaluation.scorecards import (
    all_figures,
    current_weights,
    list_scorecards,
    publish,
    ranking,
    reset_weights,
    scorecard,
    scored,
    set_weight,
)
from gisapp.services.events.supervision import run_pass
from tests.domain.test_evaluation_score import WEIGHTS, from_scratch
from tests.services.evaluation.test_figures import COUNTY, DAY, KEY, T0, close, handle, report, scenario, world  # noqa: F401

LATER = T0 + timedelta(days=30)
COMMANDER = Actor("demo-county", "county_commander", None)


def audit_actions(session, action: str) -> list[dict]:
    return [
        r.details
        for r in session.execute(text("SELECT details FROM audit_log WHERE action = :a ORDER BY id"), {"a": action})
    ]


def row_of(answer: dict, code: str) -> dict:
    return next(r for r in answer["rows"] if r["code"] == code)


def test_the_five_reports_score_as_worked_out_by_hand(session, world):
    scenario(session, world)
    fold(session)
    answer = ranking(session, COUNTY, ScopeKind.TOWNSHIP, DAY, weights=DEFAULT_WEIGHTS, now=LATER)
    mine = row_of(answer, world["township"])
    subscores = {k: v["subscore"] for k, v in mine["parts"].items()}
    # timely 2/4, on-time handling 2/3, closure 2/4, on-time closure 2/4, satisfaction 1/1, rework 1/3 (lower is
    # better), accurate dispatch 3/4, self-handled 0/4, no overdue task
    assert subscores["timely_response_rate"] == 50 and subscores["on_time_handling_rate"] == 66.67
    assert (subscores["rework_rate"], subscores["accurate_dispatch_rate"], subscores["overdue"]) == (66.67, 75, 100)
    # (15×50 + 20×66.67 + 15×50 + 10×50 + 15×100 + 5×66.67 + 5×75 + 5×0 + 10×100) ÷ 100 = 65.4166..
    assert mine["score"] == 65.42 and mine["rank"] == 1 and mine["accepted"] == 4
    # the seven other townships accepted nothing that day: listed, not ranked
    assert (answer["units"], answer["ranked"]) == (8, 1)
    assert all(r["rank"] is None and r["score"] is None for r in answer["rows"][1:])
    team = row_of(ranking(session, COUNTY, ScopeKind.TEAM, DAY, weights=DEFAULT_WEIGHTS, now=LATER), world["team"])
    assert (team["rank"], team["score"]) == (1, 65.42)


def test_every_units_score_equals_a_from_scratch_computation_with_any_weights(session, world):
    scenario(session, world)
    late = report(session, world, T0 + timedelta(hours=2))  # a second team's worth of figures: one more open case
    assert late
    fold(session)
    units = {
        scope: all_figures(session, COUNTY, scope, DAY, LATER)[0]
        for scope in (ScopeKind.TOWNSHIP, ScopeKind.TEAM, ScopeKind.DEPARTMENT)
    }

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(weights=WEIGHTS.filter(lambda w: any(v > 0 for v in w.values())))
    def check(weights):
        for found in units.values():
            for rank, code, _, figures, result in scored(found, weights):
                assert result.value == from_scratch(figures, weights), code
                assert (rank is None) == (result.value is None)

    check()


def test_a_published_ranking_never_changes_when_weights_change_or_events_arrive(session, world):
    scenario(session, world)
    card, created = publish(
        session, KEY, COMMANDER, "320102", Publication(ScopeKind.TOWNSHIP, DAY, "nov-02"), now=LATER
    )
    assert created and card["weights"] == {k: float(v) for k, v in DEFAULT_WEIGHTS.items()}
    assert row_of(card, world["township"])["score"] == 65.42
    # the county changes its weights, and more events of that day are handled and closed late
    set_weight(session, KEY, COMMANDER, "320102", "closure_rate", Decimal(60))
    for _ in range(3):
        extra = report(session, world, T0 + timedelta(hours=1))
        handle(session, extra, T0 + timedelta(hours=1, minutes=5), T0 + timedelta(hours=2))
        close(session, extra, T0 + timedelta(hours=3))
    fold(session)
    live = ranking(session, COUNTY, ScopeKind.TOWNSHIP, DAY, weights=current_weights(session, "320102"), now=LATER)
    assert row_of(live, world["township"])["score"] != 65.42 and row_of(live, world["township"])["accepted"] == 7
    assert scorecard(session, "320102", card["id"]) == card
    # and nobody edits it behind the service's back: the rows are append-only
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("UPDATE eval_scorecard_rows SET score = 100 WHERE scorecard_id = :i"), {"i": card["id"]})
    published = audit_actions(session, "evaluation.publish")
    assert published[-1]["scope"] == "township" and published[-1]["from"] == "2026-11-02"


def test_publishing_twice_is_refused_and_a_retry_gets_the_first(session, world):
    scenario(session, world)
    first, created = publish(session, KEY, COMMANDER, "320102", Publication(ScopeKind.TEAM, DAY, "r-1"), now=LATER)
    again, created_again = publish(
        session, KEY, COMMANDER, "320102", Publication(ScopeKind.TEAM, DAY, "r-1"), now=LATER + timedelta(days=1)
    )
    assert (created, created_again) == (True, False) and again == first
    with pytest.raises(Conflict) as twice:
        publish(session, KEY, COMMANDER, "320102", Publication(ScopeKind.TEAM, DAY), now=LATER)
    assert twice.value.code == "scorecard_exists" and twice.value.details == {"id": first["id"]}
    with pytest.raises(Conflict) as reused:
        publish(session, KEY, COMMANDER, "320102", Publication(ScopeKind.DEPARTMENT, DAY, "r-1"), now=LATER)
    assert reused.value.code == "client_ref_conflict"
    # a period still running is not published, and nothing of it is written
    before = session.execute(text("SELECT count(*) FROM eval_scorecards")).scalar_one()
    with pytest.raises(ValidationFailed) as running:
        publish(session, KEY, COMMANDER, "320102", Publication(ScopeKind.TOWNSHIP, DAY), now=T0)
    assert running.value.code == "period_not_over"
    assert session.execute(text("SELECT count(*) FROM eval_scorecards")).scalar_one() == before
    listed = list_scorecards(
        session, "320102", ScopeKind.TEAM, Period(date(2026, 11, 1), date(2026, 12, 1)), limit=10, offset=0
    )
    assert listed["total"] == 1 and listed["items"][0]["id"] == first["id"] and "rows" not in listed["items"][0]
    with pytest.raises(NotFound):
        scorecard(session, "320999", first["id"])  # another county's caller


def test_weights_are_audited_and_never_all_zero(session):
    set_weight(session, KEY, COMMANDER, "320102", "overdue", Decimal("12.5"))
    assert current_weights(session, "320102")["overdue"] == Decimal("12.5")
    assert audit_actions(session, "evaluation.weights")[-1] == {"kpi": "overdue", "weight": "12.5", "previous": "10"}
    others = [key for key in SCOREABLE if key != "closure_rate"]
    for key in others:
        set_weight(session, KEY, COMMANDER, "320102", key, Decimal(0))
    with pytest.raises(ValidationFailed) as refused:
        set_weight(session, KEY, COMMANDER, "320102", "closure_rate", Decimal(0))
    assert refused.value.code == "no_weights"
    assert current_weights(session, "320102")["closure_rate"] == DEFAULT_WEIGHTS["closure_rate"]
    assert reset_weights(session, KEY, COMMANDER, "320102") == len(others)
    assert current_weights(session, "320102") == DEFAULT_WEIGHTS
    with pytest.raises(NotFound) as unknown:
        set_weight(session, KEY, COMMANDER, "999999", "overdue", Decimal(1))
    assert unknown.value.code == "unknown_county"


def test_the_monthly_report_lists_overdue_tasks_supervisions_and_hot_spots(session, world):
    scenario(session, world)
    waiting = report(session, world, T0 + timedelta(hours=1))  # dispatched, never acknowledged
    run_pass(session, KEY, now=T0 + timedelta(days=3), policy=Policy())
    fold(session)
    found = duty_report(
        session, Area("township_code", world["township"]), ReportKind.MONTHLY, date(2026, 11, 20), now=LATER
    )
    assert found["period"] == Period(date(2026, 11, 1), date(2026, 12, 1))
    assert waiting in {t["event_id"] for t in found["overdue_tasks"]["items"]}
    assert {s["event_id"] for s in found["supervisions"]["items"]} >= {waiting}
    hot = {spot["code"]: spot for spot in found["hot_spots"]}  # Gi*: the grid with all five and its neighbourhood
    assert hot[world["grid"]]["count"] == 5 and hot[world["grid"]]["class"].startswith("hot_")
    accepted = next(f for f in found["figures"] if f["kpi"].key == "accepted")
    assert (accepted["current"]["value"], accepted["previous"]["value"], accepted["change"]) == (5, 0, None)
