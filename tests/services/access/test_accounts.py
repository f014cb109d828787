"""Accounts: policy, binding, argon2id, lockout, tokens; every outcome audited."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.errors import Conflict, ValidationFailed
from gisapp.services.access.accounts import (
    AuthenticationFailed,
    account_for_token,
    authenticate,
    create_user,
    disable_user,
    issue_token,
    reset_password,
    revoke_token,
)
from gisapp.services.access.audit import Actor, verify
from tests.support import TEST_AUDIT_KEY

KEY = TEST_AUDIT_KEY
ADMIN = Actor("sec-admin", "security_admin", "127.0.0.1")
STRONG = "Xuanwu#2026grid"
T0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def a_grid(session):
    return session.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar_one()


def make(session, username="officer-1", role="grid_officer", bound_to=None, password=STRONG):
    return create_user(
        session, KEY, ADMIN, username=username, role=role, bound_to=bound_to or a_grid(session), password=password
    )


def audit_actions(session, actor):
    return session.execute(
        text("SELECT action, success FROM audit_log WHERE actor = :a ORDER BY id"), {"a": actor}
    ).all()


def test_account_is_stored_with_argon2id_and_audited(session):
    account = make(session)
    stored = session.execute(text("SELECT password_hash FROM users WHERE id = :id"), {"id": account.id}).scalar_one()
    assert stored.startswith("$argon2id$") and STRONG not in stored
    assert audit_actions(session, "sec-admin") == [("account.create", True)]


@pytest.mark.parametrize(
    "kwargs, code",
    [
        # a weak password is refused by the policy
        ({"password": "password1"}, "password_too_simple"),
        ({"role": "mayor"}, "unknown_role"),
        # a township dispatcher is bound to a 9-digit township code
        ({"role": "township_dispatcher", "bound_to": "320102"}, "invalid_binding"),
        ({"role": "township_dispatcher", "bound_to": "320102999"}, "unknown_binding"),
    ],
)
def test_bad_accounts_are_refused(session, kwargs, code):
    with pytest.raises(ValidationFailed) as err:
        make(session, **kwargs)
    assert err.value.code == code


def test_usernames_are_unique(session):
    make(session)
    with pytest.raises(Conflict):
        make(session)


def test_five_failures_lock_for_fifteen_minutes(session):
    make(session)
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            authenticate(session, KEY, "officer-1", "wrong", client_addr="10.0.0.1", now=T0 + timedelta(seconds=i))
    with pytest.raises(AuthenticationFailed) as err:
        authenticate(session, KEY, "officer-1", STRONG, client_addr="10.0.0.1", now=T0 + timedelta(minutes=14))
    assert err.value.code == "account_locked"
    account = authenticate(session, KEY, "officer-1", STRONG, client_addr="10.0.0.1", now=T0 + timedelta(minutes=16))
    assert account.username == "officer-1"
    actions = audit_actions(session, "officer-1")
    assert actions.count(("login", False)) == 6 and ("account.lock", True) in actions and actions[-1] == ("login", True)
    assert verify(session, KEY).ok


def test_unknown_user_fails_like_a_wrong_password(session):
    with pytest.raises(AuthenticationFailed) as err:
        authenticate(session, KEY, "nobody", "x", client_addr=None)
    assert err.value.code == "authentication_failed"


def test_tokens_expire_and_can_be_revoked(session):
    account = make(session)
    token, expires = issue_token(session, account, now=T0)
    assert account_for_token(session, token, now=T0 + timedelta(hours=1)).username == "officer-1"
    assert account_for_token(session, token, now=expires + timedelta(seconds=1)) is None
    assert revoke_token(session, token, now=T0)
    assert account_for_token(session, token, now=T0 + timedelta(minutes=1)) is None
    assert not revoke_token(session, token)


def test_disable_and_reset_revoke_tokens(session):
    account = make(session)
    token, _ = issue_token(session, account)
    reset_password(session, KEY, ADMIN, "officer-1", "Another#Strong9")
    assert account_for_token(session, token) is None
    assert authenticate(session, KEY, "officer-1", "Another#Strong9", client_addr=None)
    token, _ = issue_token(session, account)
    disable_user(session, KEY, ADMIN, "officer-1")
    assert account_for_token(session, token) is None
    with pytest.raises(AuthenticationFailed):
        authenticate(session, KEY, "officer-1", "Another#Strong9", client_addr=None)
