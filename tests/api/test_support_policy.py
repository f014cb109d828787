"""With the automatic-support policy on, a team's request is dispatched at once to the best candidates."""

import pytest

from tests.api.test_support_api import act, on_duty, report, world  # noqa: F401 (world is a fixture)
from tests.conftest import start_server


@pytest.fixture(scope="module")
def live(clone_db):
    srv, server = start_server(clone_db(), auto_support=True)
    yield srv
    server.shutdown()
    server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()


def test_the_policy_sends_the_nearest_members_without_waiting_for_the_commander(live, world):
    lon, lat = world["point"]
    near = on_duty(live, world["ring1"][0], lon + 0.0005, lat)
    on_duty(live, world["ring1"][1], lon + 0.003, lat)
    event_id = report(live, world)
    act(live, "demo-grid", event_id, "acknowledge")
    after = act(live, "demo-grid", event_id, "request_support", members=1, note="现场人手不足")
    support = [t for t in after["tasks"] if t["kind"] == "support"]
    assert [t["member"]["code"] for t in support] == [near] and after["support_requested"] == 0
    assert [s["actor"] for s in after["timeline"][-2:]] == ["demo-grid", "dispatch-policy"]
    assert after["timeline"][-1]["action"] == "confirm_support"
