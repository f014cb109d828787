"""Roles, password policy, masking and separation of admin posts (pure)."""

from datetime import datetime, timedelta, timezone

import pytest

from gisapp.domain.security import (
    ADMIN_POSTS,
    ROLE_BINDING,
    ROLE_LABELS,
    Binding,
    PasswordPolicy,
    PolicyViolation,
    Role,
    binding_code_length,
    check_password,
    is_common_password,
    mask_name,
    mask_phone,
    password_expired,
    separation_violation,
)

STRONG = "Tide7#Lantern"


def violation(password: str, username: str = "zhangwei", policy: PasswordPolicy = PasswordPolicy()) -> str | None:
    try:
        check_password(password, username=username, policy=policy)
    except PolicyViolation as e:
        assert e.message and str(e) == e.message
        return e.code
    return None


# ---------------------------------------------------------------- roles


def test_every_role_has_a_binding_and_a_label():
    assert set(ROLE_BINDING) == set(Role)
    assert set(ROLE_LABELS) == set(Role)
    assert all(ROLE_LABELS[r].strip() for r in Role)


def test_admin_posts_are_the_three_separated_posts_bound_to_the_county():
    assert ADMIN_POSTS == {Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN}
    assert all(ROLE_BINDING[r] is Binding.COUNTY for r in ADMIN_POSTS)


@pytest.mark.parametrize(
    "role, binding",
    [
        # the commander works for the whole county
        (Role.COUNTY_COMMANDER, Binding.COUNTY),
        # a dispatcher sits in a township sub-center
        (Role.TOWNSHIP_DISPATCHER, Binding.TOWNSHIP),
        # a grid officer patrols one grid
        (Role.GRID_OFFICER, Binding.GRID),
        # department staff belong to their department
        (Role.DEPARTMENT_STAFF, Binding.DEPARTMENT),
        # the planner draws grids for the whole county
        (Role.PLANNER, Binding.COUNTY),
    ],
)
def test_role_binding(role, binding):
    assert ROLE_BINDING[role] is binding


@pytest.mark.parametrize(
    "binding, length",
    [
        # GB/T 2260 county code
        (Binding.COUNTY, 6),
        # county code + 3-digit township
        (Binding.TOWNSHIP, 9),
        # township code + 6-digit grid number
        (Binding.GRID, 15),
        # departments carry a free-form key
        (Binding.DEPARTMENT, None),
    ],
)
def test_binding_code_length(binding, length):
    assert binding_code_length(binding) == length


# ---------------------------------------------------------------- password policy


def test_a_strong_password_passes():
    assert violation(STRONG) is None


@pytest.mark.parametrize(
    "password, code",
    [
        # 7 characters: one short of the minimum, though otherwise strong
        ("Ti7#Lan", "password_too_short"),
        # empty password
        ("", "password_too_short"),
        # length is checked before classes: short and simple reports too_short
        ("abc", "password_too_short"),
        # only lowercase letters
        ("tidelantern", "password_too_simple"),
        # lowercase + digits: two classes of the three required
        ("tide7lantern", "password_too_simple"),
        # uppercase + symbols: two classes
        ("TIDE#LANTERN", "password_too_simple"),
        # classes are checked before the username
        ("zhangweizhangwei", "password_too_simple"),
    ],
)
def test_length_and_classes(password, code):
    assert violation(password) == code


def test_exactly_min_length_with_three_classes_passes():
    # 8 characters, lowercase + uppercase + digit
    assert violation("Tide7Lan") is None


@pytest.mark.parametrize(
    "password",
    [
        # the username as is
        "zhangwei#2024X",
        # the username in another case
        "X9!ZhangWei",
        # the username reversed
        "iewgnahz#2024X",
        # the username reversed, other case
        "IEWGNAHZ#2024x",
    ],
)
def test_username_rejected(password):
    assert violation(password, username="zhangwei") == "password_contains_username"


def test_username_rule_can_be_switched_off():
    assert violation("zhangwei#2024X", policy=PasswordPolicy(forbid_username=False)) is None


def test_very_short_username_is_not_searched():
    # "li" would reject far too many passwords; usernames under 3 characters are not searched for
    assert violation("Olive#Tree7", username="li") is None


@pytest.mark.parametrize(
    "password",
    [
        # a listed password with capitals: matching is case-insensitive
        "P@ssw0rd",
        # listed keyboard pattern with an added capital
        "1QAZ2wsx!",
        # listed password + digits and a symbol (4 chars)
        "Password123!",
        # listed Chinese favourite + symbol
        "Woaini1314!",
        # listed password + 4 digits
        "Qwerty2024",
        # listed password + one symbol
        "Abcd1234#",
    ],
)
def test_common_passwords_rejected(password):
    assert violation(password) == "password_too_common"


def test_common_rule_can_be_switched_off():
    assert violation("P@ssw0rd", policy=PasswordPolicy(forbid_common=False)) is None


@pytest.mark.parametrize(
    "password, common",
    [
        # the top entry of every list
        ("123456", True),
        # Chinese favourites
        ("5201314", True),
        ("WOAINI1314", True),
        # sequence pattern in the list
        ("qwertyuiop", True),
        # listed word + 4 digits/symbols
        ("password123!", True),
        # listed word + exactly 4 digits
        ("dallas1234", True),
        # a suffix of 5 characters is too long to count as "the same password"
        ("dallas12345", False),
        # a letter in the suffix: not a common password plus decoration
        ("passwordx1", False),
        # an unrelated password
        ("tide7#lantern", False),
    ],
)
def test_is_common_password(password, common):
    assert is_common_password(password) is common


def test_bundled_list_is_large_and_lowercase():
    from gisapp.domain.security import _common_passwords

    words = _common_passwords()
    assert len(words) >= 300
    assert all(w == w.lower() and not w.startswith("#") for w in words)


def test_messages_are_chinese_then_english():
    with pytest.raises(PolicyViolation) as e:
        check_password("short", username="u")
    assert e.value.message.startswith("密码至少 8 个字符")
    assert "at least 8 characters" in e.value.message
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        # a policy must require at least one character
        {"min_length": 0},
        # there are only four character classes
        {"min_classes": 5},
    ],
)
def test_invalid_policy(kwargs):
    with pytest.raises(ValueError):
        PasswordPolicy(**kwargs)


# ---------------------------------------------------------------- expiry

CHANGED = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "age, expired",
    [
        # a fresh password
        (timedelta(0), False),
        # one second before the 90th day: still valid
        (timedelta(days=90) - timedelta(seconds=1), False),
        # exactly 90 days: expired (age >= max_age_days)
        (timedelta(days=90), True),
        # long past
        (timedelta(days=400), True),
    ],
)
def test_password_expired(age, expired):
    assert password_expired(CHANGED, CHANGED + age) is expired


def test_expiry_can_be_disabled():
    assert password_expired(CHANGED, CHANGED + timedelta(days=1000), PasswordPolicy(max_age_days=0)) is False


def test_custom_max_age():
    assert password_expired(CHANGED, CHANGED + timedelta(days=30), PasswordPolicy(max_age_days=30)) is True


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    "phone, masked",
    [
        # 11-digit mobile: first 3 and last 4 kept
        ("13812345678", "138****5678"),
        # spaces and dashes removed first
        ("138 1234-5678", "138****5678"),
        # 8-digit landline: first 2 and last 2 kept, middle masked to the same length
        ("87654321", "87****21"),
        # 5 digits: the shortest length that is partly shown
        ("12345", "12*45"),
        # fewer than 5 digits: all masked
        ("1234", "****"),
        # empty string stays empty
        ("", ""),
        # missing stays missing
        (None, None),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    "name, masked",
    [
        # two-character Chinese name
        ("张三", "张*"),
        # compound surname: only the first character is kept
        ("欧阳娜娜", "欧***"),
        # single character: nothing to mask
        ("王", "王"),
        # Latin name: spaces kept
        ("John Smith", "J*** *****"),
        # transcribed name: the middle dot is kept
        ("阿卜杜·热合曼", "阿**·***"),
        # surrounding blanks are dropped
        ("  李四 ", "李*"),
        # missing stays missing
        (None, None),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


# ---------------------------------------------------------------- separation of duties


@pytest.mark.parametrize(
    "existing, new, violates",
    [
        # a system admin cannot also be the auditor
        ({Role.SYSTEM_ADMIN}, Role.AUDITOR, True),
        # an auditor cannot also be the security admin
        ({Role.AUDITOR}, Role.SECURITY_ADMIN, True),
        # a person with a commander account and a security-admin account cannot get the system-admin post
        ({Role.COUNTY_COMMANDER, Role.SECURITY_ADMIN}, Role.SYSTEM_ADMIN, True),
        # re-granting the same post merges nothing
        ({Role.AUDITOR}, Role.AUDITOR, False),
        # the first admin post of a person is fine
        (set(), Role.SECURITY_ADMIN, False),
        # an operational role beside an admin post is not a merge of admin posts
        ({Role.SYSTEM_ADMIN}, Role.COUNTY_COMMANDER, False),
        # an admin post for a person holding only operational roles
        ({Role.GRID_OFFICER, Role.PLANNER}, Role.AUDITOR, False),
        # plain strings (as read from the database) are accepted
        ({"auditor"}, "system_admin", True),
    ],
)
def test_separation_violation(existing, new, violates):
    assert (separation_violation(existing, new) is not None) is violates


def test_separation_message_names_both_posts():
    msg = separation_violation({Role.AUDITOR}, Role.SYSTEM_ADMIN)
    assert "审计管理员" in msg and "系统管理员" in msg and "separation of duties" in msg
