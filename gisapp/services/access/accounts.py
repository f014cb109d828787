"""Accounts: creation under the password policy, login with lockout, bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain import areas
from gisapp.domain.security import (
    ROLE_BINDING,
    Binding,
    PasswordPolicy,
    PolicyViolation,
    Role,
    binding_code_length,
    check_password,
    password_expired,
)
from gisapp.errors import AppError, Conflict, ValidationFailed
from gisapp.services.access.audit import Actor, record

HASHER = PasswordHasher()  # argon2id, memory-hard (RFC 9106 defaults of argon2-cffi)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_TTL = timedelta(hours=12)
BINDING_TABLE = {
    Binding.COUNTY: "counties",
    Binding.TOWNSHIP: "townships",
    Binding.GRID: "grids",
    Binding.DEPARTMENT: "departments",
}
BINDING_COLUMN = {
    Binding.COUNTY: "county_code",
    Binding.TOWNSHIP: "township_code",
    Binding.GRID: "grid_code",
    Binding.DEPARTMENT: "department_code",
}


class AuthenticationFailed(AppError):
    status = 401
    code = "authentication_failed"


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    binding: Binding
    bound_to: str  # the area or department code


def _policy_error(exc: PolicyViolation) -> ValidationFailed:
    return ValidationFailed(exc.message, code=exc.code, field="password")


def create_user(
    session: Session,
    key: bytes,
    by: Actor,
    *,
    username: str,
    role: str,
    bound_to: str,
    password: str,
    display_name: str = "",
    policy: PasswordPolicy = PasswordPolicy(),
    member: str | None = None,
) -> Account:
    """Create an account bound to an area or department; audited in the same transaction."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(
            f"unknown role {role!r}; roles: {', '.join(Role)}", code="unknown_role", field="role"
        ) from None
    binding = ROLE_BINDING[role]
    length = binding_code_length(binding)
    if length is not None and (len(bound_to) != length or not bound_to.isdigit()):
        raise ValidationFailed(
            f"a {role} is bound to a {binding} code of {length} digits", code="invalid_binding", field="bound_to"
        )
    try:
        check_password(password, username=username, policy=policy)
    except PolicyViolation as exc:
        raise _policy_error(exc) from None
    if session.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first():
        raise Conflict(f"the username {username!r} is taken", code="username_taken")
    column = BINDING_COLUMN[binding]
    user_id = session.execute(
        text(
            f"INSERT INTO users (username, display_name, role, {column}, password_hash) "
            f"SELECT :u, :d, :r, :b, :h WHERE EXISTS (SELECT 1 FROM {BINDING_TABLE[binding]} WHERE code = :b) "
            "RETURNING id"
        ),
        {"u": username, "d": display_name, "r": str(role), "b": bound_to, "h": HASHER.hash(password)},
    ).scalar_one_or_none()
    if user_id is None:
        raise ValidationFailed(f"no {binding} with code {bound_to}", code="unknown_binding", field="bound_to")
    if member is not None:
        _link_member(session, user_id, role, bound_to, member)
    record(
        session,
        key,
        by,
        "account.create",
        target=username,
        details={"role": str(role), "bound_to": bound_to, **({"member": member} if member else {})},
    )
    return Account(user_id, username, role, binding, bound_to)


def _link_member(session: Session, user_id: int, role: Role, grid: str, member: str) -> None:
    """A grid officer's account reports for one member of its grid's team."""
    linked = session.execute(
        text(
            "UPDATE users SET member_code = :m WHERE id = :id AND :role = 'grid_officer' AND EXISTS ("
            "SELECT 1 FROM members m JOIN teams t ON t.code = m.team_code WHERE m.code = :m AND t.grid_code = :g) "
            "AND NOT EXISTS (SELECT 1 FROM users WHERE member_code = :m) RETURNING id"
        ),
        {"m": member, "id": user_id, "role": str(role), "g": grid},
    ).scalar_one_or_none()
    if linked is None:
        raise ValidationFailed(
            f"member {member!r} is not a free member of the team of grid {grid} "
            "(only grid officers report for a member)",
            code="invalid_member",
            field="member",
        )


def account_columns(alias: str) -> str:
    """The users columns account_from_row needs, qualified with a table alias."""
    return ", ".join(
        f"{alias}.{c}"
        for c in ("id", "username", "role", "county_code", "township_code", "grid_code", "department_code")
    )


def account_from_row(row) -> Account:
    role = Role(row.role)
    binding = ROLE_BINDING[role]
    return Account(row.id, row.username, role, binding, getattr(row, BINDING_COLUMN[binding]))


USER_SQL = text(
    "SELECT id, username, role, county_code, township_code, grid_code, department_code, "
    "password_hash, password_changed_at, failed_logins, locked_until, disabled "
    "FROM users WHERE username = :u FOR UPDATE"
)


def authenticate(
    session: Session,
    key: bytes,
    username: str,
    password: str,
    *,
    client_addr: str | None,
    now: datetime | None = None,
    policy: PasswordPolicy = PasswordPolicy(),
) -> Account:
    """Check a password; 5 failures lock the account for 15 minutes; an expired password is refused.

    Every outcome is audited.

    The caller commits whatever happens: a failed attempt must be counted and recorded.
    """
    now = now or datetime.now(timezone.utc)
    who = Actor(username, None, client_addr)
    row = session.execute(USER_SQL, {"u": username}).one_or_none()
    if row is None or row.disabled:
        HASHER.hash(password)  # same cost as a real check: no timing oracle for usernames
        record(session, key, who, "login", success=False, details={"reason": "unknown or disabled"})
        raise AuthenticationFailed("wrong username or password")
    who = Actor(username, row.role, client_addr)
    if row.locked_until is not None and row.locked_until > now:
        record(session, key, who, "login", success=False, details={"reason": "locked"})
        raise AuthenticationFailed(
            f"the account is locked until {row.locked_until.isoformat()} after repeated failed logins",
            code="account_locked",
        )
    try:
        HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        failed = row.failed_logins + 1
        locked = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
        session.execute(
            text("UPDATE users SET failed_logins = :f, locked_until = :l WHERE id = :id"),
            {"f": 0 if locked else failed, "l": locked, "id": row.id},
        )
        record(session, key, who, "login", success=False, details={"reason": "wrong password"})
        if locked:
            record(session, key, who, "account.lock", target=username, details={"until": locked.isoformat()})
        raise AuthenticationFailed("wrong username or password") from None
    session.execute(text("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = :id"), {"id": row.id})
    if password_expired(row.password_changed_at, now, policy):
        record(session, key, who, "login", success=False, details={"reason": "password expired"})
        raise AuthenticationFailed(
            f"the password is older than {policy.max_age_days} days: change it with POST /api/v1/auth/password",
            code="password_expired",
        )
    record(session, key, who, "login")
    return account_from_row(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, account: Account, *, now: datetime | None = None, ttl: timedelta = TOKEN_TTL
) -> tuple[str, datetime]:
    """A new bearer token for an authenticated account: (token, expiry). Only its hash is stored."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    session.execute(
        text("INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) VALUES (:u, :h, :c, :e)"),
        {"u": account.id, "h": _token_hash(token), "c": now, "e": expires},
    )
    return token, expires


def account_for_token(session: Session, token: str, *, now: datetime | None = None) -> Account | None:
    """The account behind a live (unexpired, unrevoked) token of an enabled user, else None."""
    now = now or datetime.now(timezone.utc)
    row = session.execute(
        text(
            f"SELECT {account_columns('u')} FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = :h AND t.revoked_at IS NULL AND t.expires_at > :now AND NOT u.disabled"
        ),
        {"h": _token_hash(token), "now": now},
    ).one_or_none()
    return account_from_row(row) if row else None


def revoke_token(session: Session, token: str, *, now: datetime | None = None) -> bool:
    """Revoke a token; False if it was unknown or already revoked."""
    now = now or datetime.now(timezone.utc)
    done = session.execute(
        text("UPDATE api_tokens SET revoked_at = :now WHERE token_hash = :h AND revoked_at IS NULL"),
        {"h": _token_hash(token), "now": now},
    )
    return done.rowcount == 1


def _user_id(session: Session, username: str) -> int:
    user_id = session.execute(
        text("SELECT id FROM users WHERE username = :u FOR UPDATE"), {"u": username}
    ).scalar_one_or_none()
    if user_id is None:
        raise ValidationFailed(f"no account {username!r}", code="unknown_user", field="username")
    return user_id


def _revoke_credentials(session: Session, user_id: int, reason: str) -> None:
    """Revoke every bearer token and end every browser session of an account."""
    session.execute(
        text("UPDATE api_tokens SET revoked_at = now() WHERE user_id = :id AND revoked_at IS NULL"), {"id": user_id}
    )
    session.execute(
        text("UPDATE web_sessions SET ended_at = now(), end_reason = :r WHERE user_id = :id AND ended_at IS NULL"),
        {"id": user_id, "r": reason},
    )


def disable_user(session: Session, key: bytes, by: Actor, username: str) -> None:
    """Disable an account and revoke its tokens; audited."""
    user_id = _user_id(session, username)
    session.execute(text("UPDATE users SET disabled = true WHERE id = :id"), {"id": user_id})
    _revoke_credentials(session, user_id, "disabled")
    record(session, key, by, "account.disable", target=username)


def reset_password(
    session: Session, key: bytes, by: Actor, username: str, password: str, policy: PasswordPolicy = PasswordPolicy()
) -> None:
    """Set a new password under the policy, unlock the account and revoke its tokens; audited."""
    user_id = _user_id(session, username)
    try:
        check_password(password, username=username, policy=policy)
    except PolicyViolation as exc:
        raise _policy_error(exc) from None
    session.execute(
        text(
            "UPDATE users SET password_hash = :h, password_changed_at = now(), failed_logins = 0, "
            "locked_until = NULL WHERE id = :id"
        ),
        {"h": HASHER.hash(password), "id": user_id},
    )
    _revoke_credentials(session, user_id, "password")
    record(session, key, by, "account.reset_password", target=username)


DEMO_PASSWORD = "Gisapp#Demo2026"  # documented in the README, for local use only


def demo_accounts(session: Session) -> list[tuple[str, Role, str]]:
    """One (username, role, bound_to) per role, bound to real areas of the loaded demo county."""
    county, township, grid = session.execute(
        text(
            "SELECT t.county_code, t.code, min(g.code) FROM townships t JOIN communities c ON c.township_code = t.code "
            "JOIN grids g ON g.community_code = c.code GROUP BY t.county_code, t.code ORDER BY t.code LIMIT 1"
        )
    ).one()
    department = session.execute(
        text(
            "SELECT code FROM departments WHERE code = 'urban_management' "
            "UNION ALL (SELECT min(code) FROM departments) LIMIT 1"
        )
    ).scalar_one()
    return [
        ("demo-county", Role.COUNTY_COMMANDER, county),
        ("demo-township", Role.TOWNSHIP_DISPATCHER, township),
        ("demo-grid", Role.GRID_OFFICER, grid),
        ("demo-dept", Role.DEPARTMENT_STAFF, department),
        ("demo-planner", Role.PLANNER, county),
        ("demo-auditor", Role.AUDITOR, county),
        ("demo-security", Role.SECURITY_ADMIN, county),
        ("demo-admin", Role.SYSTEM_ADMIN, county),
    ]


def create_demo_accounts(session: Session, key: bytes, by: Actor, *, production: bool) -> list[str]:
    """The demo's one account per role (skipping existing ones); refused in production mode."""
    if production:
        raise AppError(
            "demo accounts share a published password: refused in production mode", code="demo_in_production"
        )
    made = []
    for username, role, bound_to in demo_accounts(session):
        if session.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first():
            continue
        member = (
            session.execute(
                text(  # the demo grid officer reports for its team's leader
                    "SELECT m.code FROM members m JOIN teams t ON t.code = m.team_code WHERE t.grid_code = :g "
                    "ORDER BY m.role <> 'grid_leader', m.code LIMIT 1"
                ),
                {"g": bound_to},
            ).scalar_one_or_none()
            if role is Role.GRID_OFFICER
            else None
        )
        create_user(
            session,
            key,
            by,
            username=username,
            role=str(role),
            bound_to=bound_to,
            password=DEMO_PASSWORD,
            display_name=f"演示账号 {username}",
            member=member,
        )
        made.append(username)
    return made


def change_password(
    session: Session,
    key: bytes,
    username: str,
    old: str,
    new: str,
    *,
    client_addr: str | None,
    policy: PasswordPolicy = PasswordPolicy(),
) -> None:
    """The user's own change: the old password must be right (lockout applies), the new one follows the policy."""
    # an expired password may still be used to replace itself
    authenticate(session, key, username, old, client_addr=client_addr, policy=replace(policy, max_age_days=0))
    if new == old:
        raise ValidationFailed(
            "the new password must differ from the old one", code="password_unchanged", field="new_password"
        )
    reset_password(session, key, Actor(username, None, client_addr), username, new, policy)


def county_of(session: Session, account: Account) -> str | None:
    """The county an account works in: the prefix of its area code, or its department's county."""
    if account.binding is Binding.DEPARTMENT:
        return session.execute(
            text("SELECT county_code FROM departments WHERE code = :c"), {"c": account.bound_to}
        ).scalar_one_or_none()
    return areas.county_code(account.bound_to)


def bound_name(session: Session, account: Account) -> str:
    """The name of the area or department an account is bound to."""
    return session.execute(
        text(f"SELECT name FROM {BINDING_TABLE[account.binding]} WHERE code = :c"), {"c": account.bound_to}
    ).scalar_one()


# --- the security administrator's view of its county (三员分立) ---------------------------------------------

# accounts bound inside county :k: by the prefix of their area code, or through their department's county
IN_COUNTY = (
    "(area_county(COALESCE(county_code, township_code, grid_code)) = :k "
    "OR department_code IN (SELECT code FROM departments WHERE county_code = :k))"
)


def serves_county(session: Session, bound_to: str, county: str) -> bool:
    """Whether an area code lies in the county, or a department serves it."""
    if bound_to.isdigit():
        return bound_to.startswith(county)
    return (
        session.execute(
            text("SELECT 1 FROM departments WHERE code = :c AND county_code = :k"), {"c": bound_to, "k": county}
        ).first()
        is not None
    )


def role_in_county(session: Session, username: str, county: str) -> str | None:
    """The role of an account bound inside the county, or None when it has none there."""
    return session.execute(
        text(f"SELECT role FROM users WHERE username = :u AND {IN_COUNTY}"), {"u": username, "k": county}
    ).scalar_one_or_none()


def all_accounts(session: Session) -> list:
    """Every account by username: its role, the code it is bound to, disabled and locked_until (the CLI's list)."""
    return session.execute(
        text(
            "SELECT username, role, COALESCE(county_code, township_code, grid_code, department_code) AS bound, "
            "disabled, locked_until FROM users ORDER BY username"
        )
    ).all()


def accounts_in_county(session: Session, county: str) -> list[dict]:
    """The accounts bound inside the county, by username, without password data."""
    rows = session.execute(
        text(
            "SELECT username, display_name, role, COALESCE(county_code, township_code, grid_code, department_code) "
            f"AS bound_to, disabled, locked_until, password_changed_at, created_at FROM users WHERE {IN_COUNTY} "
            "ORDER BY username"
        ),
        {"k": county},
    )

    def iso(v):
        return v.isoformat().replace("+00:00", "Z") if v else None

    return [
        {
            **r,
            "locked_until": iso(r["locked_until"]),
            "password_changed_at": iso(r["password_changed_at"]),
            "created_at": iso(r["created_at"]),
        }
        for r in rows.mappings()
    ]
