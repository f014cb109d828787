"""The event life cycle as a pure state machine: every path of the standard's flowchart, and properties."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisapp.domain.events import EventStatus as S
from gisapp.domain.lifecycle import (
    Action,
    Args,
    Caller,
    Case,
    NotYourStep,
    Task,
    TransitionNotAllowed,
    apply,
)
from gisapp.domain.lifecycle import (
    TaskStatus as T,
)

CENTER = Caller(is_center=True)
TEAM = Caller(receivers=frozenset({"team:T1"}))
URBAN = Caller(receivers=frozenset({"department:urban"}))
WATER = Caller(receivers=frozenset({"department:water"}))
HELPER = Caller(receivers=frozenset({"team:T2"}))


def run(case, *steps):
    for action, caller, *args in steps:
        case = apply(case, action, caller, *args)
    return case


def level1():
    return run(Case(S.REPORTED, 1), ("accept", CENTER), ("dispatch", CENTER, Args(receivers=("team:T1",))))


def test_level_one_from_report_to_closure():
    case = level1()
    assert case.status == S.DISPATCHED and case.tasks == (Task("team:T1"),)
    case = run(case, ("acknowledge", TEAM), ("arrive", TEAM))
    assert case.status == S.ON_SCENE
    case = run(case, ("handle", TEAM), ("verify", CENTER), ("close", CENTER))
    assert case.status == S.CLOSED and case.tasks[0].status == T.HANDLED


def test_void_ends_a_report():
    case = apply(Case(S.REPORTED, 1), "void", CENTER)
    assert case.status == S.VOIDED
    with pytest.raises(TransitionNotAllowed):
        apply(case, "accept", CENTER)


def test_level_two_waits_for_every_department():
    case = run(Case(S.ACCEPTED, 2), ("dispatch", CENTER, Args(receivers=("department:urban", "department:water"))))
    case = run(case, ("acknowledge", URBAN), ("handle", URBAN))
    assert case.status == S.DISPATCHED  # water has not acknowledged yet
    case = run(case, ("acknowledge", WATER))
    assert case.status == S.ACKNOWLEDGED
    case = run(case, ("handle", WATER))
    assert case.status == S.HANDLED


def test_a_mis_dispatched_task_is_returned_and_dispatched_again():
    case = run(level1(), ("return", TEAM))
    assert case.status == S.ACCEPTED and case.tasks[0].status == T.RETURNED
    case = apply(case, "dispatch", CENTER, Args(receivers=("team:T2",)))
    assert case.status == S.DISPATCHED and [t.receiver for t in case.tasks] == ["team:T1", "team:T2"]


def test_escalation_cancels_level_one_tasks_and_waits_for_the_county():
    case = run(level1(), ("acknowledge", TEAM), ("escalate", CENTER))
    assert (case.level, case.status, case.tasks[0].status) == (2, S.ACCEPTED, T.CANCELLED)
    with pytest.raises(TransitionNotAllowed):
        apply(case, "escalate", CENTER)  # level 2 is the top
    case = run(case, ("dispatch", CENTER, Args(receivers=("department:urban",))), ("acknowledge", URBAN))
    assert case.status == S.ACKNOWLEDGED


def test_extension_is_requested_then_approved_or_refused():
    case = run(level1(), ("acknowledge", TEAM), ("request_extension", TEAM))
    assert case.tasks[0].extension_pending
    with pytest.raises(TransitionNotAllowed):
        apply(case, "request_extension", TEAM)
    assert not apply(case, "approve_extension", CENTER).tasks[0].extension_pending
    assert not apply(case, "refuse_extension", CENTER).tasks[0].extension_pending
    with pytest.raises(TransitionNotAllowed):
        apply(apply(case, "refuse_extension", CENTER), "approve_extension", CENTER)


def test_parking_stops_the_receivers_and_restore_returns_to_where_it_was():
    case = run(level1(), ("acknowledge", TEAM), ("park", CENTER))
    assert case.status == S.PARKED and case.parked_from == S.ACKNOWLEDGED
    with pytest.raises(TransitionNotAllowed):
        apply(case, "arrive", TEAM)
    assert apply(case, "restore", CENTER).status == S.ACKNOWLEDGED


def test_failed_verification_sends_the_work_back():
    case = run(level1(), ("acknowledge", TEAM), ("arrive", TEAM), ("handle", TEAM), ("send_back", CENTER))
    assert (case.status, case.rework, case.tasks[0].status) == (S.DISPATCHED, 1, T.DISPATCHED)
    case = run(case, ("acknowledge", TEAM), ("handle", TEAM), ("verify", CENTER), ("close", CENTER))
    assert case.status == S.CLOSED and case.rework == 1


def test_support_is_requested_on_site_and_confirmed_by_the_center():
    case = run(level1(), ("acknowledge", TEAM), ("arrive", TEAM), ("request_support", TEAM, Args(members=2)))
    assert case.support_requested == 2
    case = apply(case, "confirm_support", CENTER, Args(support=(("team:T2", "M11"), ("team:T2", "M12"))))
    support = [t for t in case.tasks if t.kind == "support"]
    assert [t.member for t in support] == ["M11", "M12"] and case.support_requested == 0
    case = run(case, ("acknowledge", HELPER), ("arrive", HELPER))
    assert case.status == S.ON_SCENE  # support does not move the event itself
    case = run(case, ("handle", TEAM), ("verify", CENTER), ("close", CENTER))
    assert all(t.status in (T.HANDLED, T.CANCELLED) for t in case.tasks)


@pytest.mark.parametrize("action, caller", [("accept", TEAM), ("acknowledge", CENTER), ("verify", URBAN)])
def test_each_step_belongs_to_its_party(action, caller):
    with pytest.raises(NotYourStep):
        apply(Case(S.REPORTED, 1), action, caller)


def test_a_receiver_acts_only_on_its_own_task():
    with pytest.raises(TransitionNotAllowed):
        apply(level1(), "acknowledge", URBAN)


ACTIONS = st.sampled_from(list(Action))
CALLERS = st.sampled_from([CENTER, TEAM, URBAN, HELPER])
ARGS = st.sampled_from(
    [
        Args(),
        Args(receivers=("team:T1",)),
        Args(receivers=("department:urban", "team:T1")),
        Args(members=1),
        Args(support=(("team:T2", "M5"),)),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(ACTIONS, CALLERS, ARGS), max_size=40), st.sampled_from([1, 2]))
def test_no_sequence_of_actions_reaches_an_invalid_state(steps, level):
    case = Case(S.REPORTED, level)
    for action, caller, args in steps:
        before = case
        try:
            case = apply(case, action, caller, args)
        except (TransitionNotAllowed, NotYourStep):
            assert case == before  # a refused step changes nothing
            continue
        assert case.status in set(S) and case.level in (1, 2) and case.level >= before.level
        assert all(t.status in set(T) for t in case.tasks)
        assert len(case.tasks) >= len(before.tasks)  # tasks are never forgotten
        assert (case.status == S.PARKED) == (case.parked_from is not None)
        if before.status in (S.CLOSED, S.VOIDED):
            raise AssertionError("an ended event changed")
        if case.status == S.CLOSED:
            assert before.status == S.VERIFIED and not any(
                t.status in (T.DISPATCHED, T.ACKNOWLEDGED, T.ON_SCENE) for t in case.tasks
            )
        if case.status in (S.DISPATCHED, S.ACKNOWLEDGED, S.ON_SCENE, S.HANDLED):
            assert any(t.kind == "handle" and t.status not in (T.RETURNED, T.CANCELLED) for t in case.tasks)
