"""The dashboard's overdue flag follows the handling limit as it stands (extensions, parking), not the event's first."""

from __future__ import annotations

from datetime import timedelta

from gisapp.domain.permissions import Scope
from gisapp.services.command.dashboard import grid_load, open_events, today_figures
from tests.services.evaluation.test_figures import T0, _world, act, report


def test_an_approved_extension_is_not_overdue_on_the_dashboard(session):
    world = _world(session)
    event = report(session, world, T0)
    act(session, "demo-grid", event, "acknowledge", T0 + timedelta(minutes=5))
    until = T0 + timedelta(minutes=world["handling"] + 24 * 60)
    act(session, "demo-grid", event, "request_extension", T0 + timedelta(minutes=10), until=until.isoformat())
    act(session, "demo-township", event, "approve_extension", T0 + timedelta(minutes=20))
    scope = Scope("county_code", "320102", "user:tester")
    after_first_limit = T0 + timedelta(minutes=world["handling"] + 60)
    item = next(e for e in open_events(session, scope, now=after_first_limit) if e["id"] == event)
    assert not item["overdue"] and item["due"].startswith(until.isoformat()[:16])
    assert next(e for e in open_events(session, scope, now=until + timedelta(minutes=1)) if e["id"] == event)["overdue"]
    assert today_figures(session, scope, now=after_first_limit)["overdue"] == 0
    assert grid_load(session, scope, None)[world["grid"]][0] >= 1


def test_a_parked_event_is_not_overdue_by_its_limit(session):
    world = _world(session)
    event = report(session, world, T0)
    act(session, "demo-township", event, "park", T0 + timedelta(minutes=5), note="长期挂账")
    scope = Scope("county_code", "320102", "user:tester")
    later = T0 + timedelta(minutes=world["handling"] + 600)
    assert not next(e for e in open_events(session, scope, now=later) if e["id"] == event)["overdue"]
