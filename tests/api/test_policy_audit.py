"""A change of the effective security policy is audited: once per change, not once per start."""

from tests.conftest import start_server


def policy_records(srv):
    conn = srv.db()
    with conn.cursor() as cur:
        cur.execute("SELECT actor, details FROM audit_log WHERE action = 'policy.change' ORDER BY id")
        rows = cur.fetchall()
    conn.close()
    return rows


def test_policy_changes_are_audited_once_each(clone_db):
    url = clone_db()
    for overrides in ({}, {}, {"session_idle_minutes": 15}):
        srv, server = start_server(url, **overrides)
        server.shutdown()
        server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
        srv.app.extensions["gisapp.engine"].dispose()
    rows = policy_records(srv)
    assert [r[0] for r in rows] == ["system", "system"]
    assert rows[0][1]["session_idle_minutes"] == 30 and rows[1][1]["session_idle_minutes"] == 15
    assert rows[1][1]["password_policy"] == {"min_length": 8, "min_classes": 3, "max_age_days": 90}
