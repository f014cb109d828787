"""Roles, password policy and personal-data masking (MLPS 2.0 / 等保 2.0 level 3 requirements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path

from gisapp.domain.areas import LENGTHS, Level


class Role(StrEnum):
    """Roles of the platform; each role binds the account to one kind of administrative unit."""

    COUNTY_COMMANDER = "county_commander"  # 指挥长/值班长, bound to county
    TOWNSHIP_DISPATCHER = "township_dispatcher"  # 分中心调度员, bound to township
    GRID_OFFICER = "grid_officer"  # 网格员/联勤队员, bound to grid
    DEPARTMENT_STAFF = "department_staff"  # 参勤单位, bound to department
    PLANNER = "planner"  # 网格规划员, county
    AUDITOR = "auditor"  # 审计管理员, county
    SECURITY_ADMIN = "security_admin"  # 安全管理员, county
    SYSTEM_ADMIN = "system_admin"  # 系统管理员, county


class Binding(StrEnum):
    """The kind of unit an account is bound to."""

    COUNTY = "county"
    TOWNSHIP = "township"
    GRID = "grid"
    DEPARTMENT = "department"


ROLE_BINDING: dict[Role, Binding] = {
    Role.COUNTY_COMMANDER: Binding.COUNTY,
    Role.TOWNSHIP_DISPATCHER: Binding.TOWNSHIP,
    Role.GRID_OFFICER: Binding.GRID,
    Role.DEPARTMENT_STAFF: Binding.DEPARTMENT,
    Role.PLANNER: Binding.COUNTY,
    Role.AUDITOR: Binding.COUNTY,
    Role.SECURITY_ADMIN: Binding.COUNTY,
    Role.SYSTEM_ADMIN: Binding.COUNTY,
}

# MLPS 2.0 separated administrator posts (三员分立): no person may hold two of them.
ADMIN_POSTS: frozenset[Role] = frozenset({Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN})

ROLE_LABELS: dict[Role, str] = {
    Role.COUNTY_COMMANDER: "指挥长/值班长",
    Role.TOWNSHIP_DISPATCHER: "分中心调度员",
    Role.GRID_OFFICER: "网格员/联勤队员",
    Role.DEPARTMENT_STAFF: "参勤单位",
    Role.PLANNER: "网格规划员",
    Role.AUDITOR: "审计管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.SYSTEM_ADMIN: "系统管理员",
}

_CODE_LENGTHS: dict[Binding, int | None] = {
    Binding.COUNTY: LENGTHS[Level.COUNTY],  # GB/T 2260 county code
    Binding.TOWNSHIP: LENGTHS[Level.TOWNSHIP],  # county code + 3-digit township code
    Binding.GRID: LENGTHS[Level.GRID],  # township code + 6-digit grid number
    Binding.DEPARTMENT: None,  # free-form department key
}


def binding_code_length(binding: Binding) -> int | None:
    """Length of the unit code an account with this binding carries (None: not a fixed-length code)."""
    return _CODE_LENGTHS[Binding(binding)]


# --------------------------------------------------------------------------- passwords


@dataclass(frozen=True)
class PasswordPolicy:
    """Password rules; the defaults follow MLPS 2.0 level 3 practice."""

    min_length: int = 8
    min_classes: int = 3  # of: lowercase, uppercase, digits, other
    max_age_days: int = 90  # 0 or less: passwords never expire
    forbid_username: bool = True  # the password must not contain the username (case-insensitive), nor its reverse
    forbid_common: bool = True

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")
        if not 1 <= self.min_classes <= 4:
            raise ValueError("min_classes must be between 1 and 4")


class PolicyViolation(ValueError):
    """A password breaks one rule of the policy; .code is stable, .message is for the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


# A username shorter than this is not searched for in the password: "li" or "wu" would reject
# far too many good passwords while protecting nothing.
_MIN_USERNAME_CHECK = 3
_MAX_COMMON_SUFFIX = 4


def _char_classes(password: str) -> int:
    lower = upper = digit = other = False
    for ch in password:
        if ch.isdecimal():
            digit = True
        elif ch.islower():
            lower = True
        elif ch.isupper():
            upper = True
        else:
            other = True
    return lower + upper + digit + other


def check_password(password: str, *, username: str, policy: PasswordPolicy = PasswordPolicy()) -> None:
    """Raise PolicyViolation for the first rule broken (length, classes, username, common), else return."""
    if len(password) < policy.min_length:
        raise PolicyViolation(
            "password_too_short",
            f"密码至少 {policy.min_length} 个字符 / at least {policy.min_length} characters",
        )
    if _char_classes(password) < policy.min_classes:
        raise PolicyViolation(
            "password_too_simple",
            f"密码须包含小写字母、大写字母、数字、特殊符号中的至少 {policy.min_classes} 类 / "
            f"use at least {policy.min_classes} of: lowercase letters, uppercase letters, digits, symbols",
        )
    name = (username or "").strip().casefold()
    if policy.forbid_username and len(name) >= _MIN_USERNAME_CHECK:
        folded = password.casefold()
        if name in folded or name[::-1] in folded:
            raise PolicyViolation(
                "password_contains_username",
                "密码不得包含用户名或其倒写 / must not contain the username or the username reversed",
            )
    if policy.forbid_common and is_common_password(password):
        raise PolicyViolation(
            "password_too_common",
            "密码过于常见，容易被猜中，请换用不常见的组合 / "
            "this password is too common and easy to guess; choose a less predictable one",
        )


@cache
def _common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
    words = (line.strip().casefold() for line in text.splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def is_common_password(password: str) -> bool:
    """True if the password, or the password less a short digit/symbol suffix, is a well-known weak one."""
    folded = password.strip().casefold()
    common = _common_passwords()
    if folded in common:
        return True
    for k in range(1, min(_MAX_COMMON_SUFFIX, len(folded) - 1) + 1):
        suffix = folded[-k:]
        if any(ch.isalpha() for ch in suffix):
            break  # longer suffixes would contain this letter too
        if folded[:-k] in common:
            return True
    return False


def password_expired(changed_at: datetime, now: datetime, policy: PasswordPolicy = PasswordPolicy()) -> bool:
    """True once the password is max_age_days old or older (age >= max_age_days); never if max_age_days <= 0."""
    if policy.max_age_days <= 0:
        return False
    return now - changed_at >= timedelta(days=policy.max_age_days)


# --------------------------------------------------------------------------- masking


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number for display: 3+4 digits kept for a mobile, 2+2 otherwise.

    >>> mask_phone("13812345678")
    '138****5678'
    >>> mask_phone("138-1234 5678")
    '138****5678'
    >>> mask_phone("025-8765432")
    '02******32'
    >>> mask_phone("1234")
    '****'
    >>> mask_phone(None) is None
    True
    """
    if phone is None:
        return None
    digits = phone.replace(" ", "").replace("-", "")
    n = len(digits)
    if n < 5:
        return "*" * n
    if n == 11:
        return digits[:3] + "*" * 4 + digits[-4:]
    return digits[:2] + "*" * (n - 4) + digits[-2:]


_NAME_SEPARATORS = frozenset(" ·•")


def mask_name(name: str | None) -> str | None:
    """Mask a person's name for display: the first character is kept, every other one becomes '*'.

    Spaces and the middle dot of transcribed names (阿卜杜·热合曼) are kept.

    >>> mask_name("张三")
    '张*'
    >>> mask_name("欧阳娜娜")
    '欧***'
    >>> mask_name("John Smith")
    'J*** *****'
    >>> mask_name("王")
    '王'
    >>> mask_name(None) is None
    True
    """
    if name is None:
        return None
    name = name.strip()
    if not name:
        return name
    return name[0] + "".join(ch if ch in _NAME_SEPARATORS else "*" for ch in name[1:])


# --------------------------------------------------------------------------- separation of duties


def separation_violation(existing_roles: set[Role], new_role: Role) -> str | None:
    """Message if granting new_role would give one account or person two separated admin posts, else None."""
    new_role = Role(new_role)
    if new_role not in ADMIN_POSTS:
        return None
    held = sorted({Role(r) for r in existing_roles} & ADMIN_POSTS - {new_role})
    if not held:
        return None
    held_zh = "、".join(ROLE_LABELS[r] for r in held)
    held_en = ", ".join(r.value for r in held)
    return (
        f"三员分立：已担任{held_zh}，不得再兼任{ROLE_LABELS[new_role]} / "
        f"separation of duties: already holds {held_en}, cannot also be {new_role.value}"
    )
