"""Supervision of time limits on a frozen clock: on time, warned, overdue; pauses push the limits back."""
from datetime import datetime, timedelta, timezone

import pytest

from gisapp.domain.supervision import Clock, Finding, Policy, State, assess, escalates

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)  # National Day: supervision runs on holidays too
H = timedelta(hours=1)


def team_task(**kw):
    return Clock("team", T0, T0 + H, T0 + 10 * H, **kw)


@pytest.mark.parametrize("now, state, limit", [
    (T0 + 0.5 * H, State.ON_TIME, None),
    (T0 + 0.8 * H, State.WARNED, "response"),     # 80 % of the response limit used, not on scene
    (T0 + 1.5 * H, State.OVERDUE, "response"),
])
def test_a_team_not_on_scene_is_warned_then_overdue(now, state, limit):
    finding = assess(team_task(), now)
    assert (finding.state, finding.time_limit) == (state, limit)


def test_once_on_scene_only_the_handling_limit_counts():
    clock = team_task(acknowledged_at=T0 + 0.2 * H, arrived_at=T0 + 0.5 * H)
    assert assess(clock, T0 + 5 * H).state == State.ON_TIME
    assert assess(clock, T0 + 8 * H) == Finding(State.WARNED, "handling", T0 + 10 * H)
    assert assess(clock, T0 + 10 * H + timedelta(seconds=1)).state == State.OVERDUE


def test_a_department_responds_by_acknowledging():
    clock = Clock("department", T0, T0 + H, T0 + 10 * H, acknowledged_at=T0 + 0.5 * H)
    assert assess(clock, T0 + 2 * H).state == State.ON_TIME


def test_pauses_push_both_limits_back():
    parked = team_task(arrived_at=T0 + 0.5 * H, pauses=((T0 + 2 * H, T0 + 5 * H),))
    assert assess(parked, T0 + 9 * H).state == State.ON_TIME           # 6 h of the 10 h used: 3 h were paused
    assert assess(parked, T0 + 11 * H).state == State.WARNED
    assert assess(parked, T0 + 13 * H + timedelta(seconds=1)) == Finding(State.OVERDUE, "handling", T0 + 13 * H)
    pending = team_task(arrived_at=T0 + 0.5 * H, pauses=((T0 + 2 * H, None),))  # an extension still pending
    assert assess(pending, T0 + 30 * H).state == State.ON_TIME


def test_the_warning_share_is_a_policy():
    assert assess(team_task(), T0 + 0.6 * H, Policy(warn_share=0.5)).state == State.WARNED
    with pytest.raises(ValueError):
        Policy(warn_share=1.5)


def test_only_an_overdue_level_one_handling_escalates_and_only_by_policy():
    overdue = Finding(State.OVERDUE, "handling", T0)
    on = Policy(escalate_overdue=True)
    assert escalates(overdue, level=1, kind="handle", policy=on)
    assert not escalates(overdue, level=1, kind="handle", policy=Policy())
    assert not escalates(overdue, level=2, kind="handle", policy=on)
    assert not escalates(overdue, level=1, kind="support", policy=on)
    assert not escalates(Finding(State.OVERDUE, "response", T0), level=1, kind="handle", policy=on)
