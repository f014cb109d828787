"""Evaluation (standard clause 8): the figures, their formulas, periods and scopes, as pure rules.

Every figure is declared once here (`KPIS`): its key, its names, its formula in words, and the
measures its numerator and denominator are sums of. The roll-up tables (sql/034) keep those
measures; the service adds them up for a period and a scope; the API, the exports, the page and
docs/evaluation.md all read this one declaration.

A period is ``[from, to)`` in dates of the county's time zone. Its **cohort** is the events
accepted (受理/立案) on those dates; voided reports are never in a cohort. Roll-ups are kept per
day (coarse scopes), month and year: `buckets` cuts a period into the fewest whole years, months
and days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from gisapp.errors import ValidationFailed

MAX_PERIOD_DAYS = 5 * 366  # a period of more than five years is refused
# the days a period may hold: the system's records start after 2000; far enough back for the periods compared
# with a five-year one (the trends' three before it) to stay in the calendar
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2100, 1, 1)
COUNTY_TZ = ZoneInfo("Asia/Shanghai")  # the county's days (China has no daylight-saving time)


class ScopeKind(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"
    TEAM = "team"
    DEPARTMENT = "department"
    MEMBER = "member"


AREA_SCOPES = (ScopeKind.COUNTY, ScopeKind.TOWNSHIP, ScopeKind.COMMUNITY, ScopeKind.GRID)
UNIT_SCOPES = (ScopeKind.TEAM, ScopeKind.DEPARTMENT, ScopeKind.MEMBER)
# scopes with few units keep daily roll-ups; the others keep months and years (days come from the facts)
DAILY_SCOPES = frozenset({ScopeKind.COUNTY, ScopeKind.TOWNSHIP, ScopeKind.DEPARTMENT})

# the measures the roll-ups keep (sql/034 eval_rollup has one column each)
MEASURES = (
    "reported",
    "accepted",
    "closed",
    "closed_on_time",
    "handled_once",
    "reworked",
    "extended",
    "rated",
    "satisfied",
    "patrol",
    "self_handled",
    "repeats",
    "supervisions",
    "tasks_dispatched",
    "tasks_responded_on_time",
    "tasks_returned",
    "handle_tasks",
    "handle_handled",
    "handle_on_time",
    "tasks_overdue",
    "response_n",
    "response_minutes",
    "handling_n",
    "handling_minutes",
)
# measures that depend on the end of the period: computed from the late-closure table and the open tasks
AS_OF_MEASURES = ("closed_by_to", "closed_on_time_by_to", "handle_due")


class Kind(StrEnum):
    COUNT = "count"  # a number of events or records
    RATE = "rate"  # numerator / denominator, 0..1
    MINUTES = "minutes"  # a mean of working minutes: total / number


@dataclass(frozen=True)
class Kpi:
    key: str
    zh: str
    en: str
    formula_zh: str
    formula_en: str
    numerator: str  # a measure
    denominator: str | None  # a measure, or None for counts
    kind: Kind
    higher_is_better: bool = True


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "reported",
        "上报数",
        "Reported",
        "统计期内上报的事件数（含后来作废的）",
        "events reported in the period (including later voided)",
        "reported",
        None,
        Kind.COUNT,
    ),
    Kpi(
        "valid_report_rate",
        "有效上报率",
        "Valid report rate",
        "立案数 ÷ 上报数",
        "accepted ÷ reported",
        "accepted",
        "reported",
        Kind.RATE,
    ),
    Kpi(
        "accepted",
        "立案数",
        "Accepted",
        "统计期内受理（立案）的事件数，不含作废",
        "events accepted in the period (the cohort), voided excluded",
        "accepted",
        None,
        Kind.COUNT,
    ),
    Kpi(
        "timely_response_rate",
        "响应及时率",
        "Timely response rate",
        "在响应时限内签收的任务数 ÷ 派遣任务数",
        "tasks acknowledged within their response limit ÷ tasks dispatched",
        "tasks_responded_on_time",
        "tasks_dispatched",
        Kind.RATE,
    ),
    Kpi(
        "on_time_handling_rate",
        "按时处置率",
        "On-time handling rate",
        "在（延期后）处置时限内处置完成的处置任务数 ÷ 已处置或截至统计期末（不晚于现在）已到期的处置任务数",
        "handling tasks handled by their (extended) deadline ÷ handling tasks handled or due by min(to, now)",
        "handle_on_time",
        "handle_due",
        Kind.RATE,
    ),
    Kpi(
        "closure_rate",
        "结案率",
        "Closure rate",
        "截至统计期末（不晚于现在）已结案的事件数 ÷ 立案数",
        "events closed by min(to, now) ÷ accepted",
        "closed_by_to",
        "accepted",
        Kind.RATE,
    ),
    Kpi(
        "on_time_closure_rate",
        "按期结案率",
        "On-time closure rate",
        "处置按时且已结案的事件数 ÷ 立案数",
        "events closed whose handling was on time ÷ accepted",
        "closed_on_time_by_to",
        "accepted",
        Kind.RATE,
    ),
    Kpi(
        "rework_rate",
        "返工率",
        "Rework rate",
        "至少返工一次的事件数 ÷ 至少处置过一次的事件数",
        "events sent back at least once ÷ events handled at least once",
        "reworked",
        "handled_once",
        Kind.RATE,
        higher_is_better=False,
    ),
    Kpi(
        "accurate_dispatch_rate",
        "准确派遣率",
        "Accurate dispatch rate",
        "未被回退的派遣任务数 ÷ 派遣任务数",
        "dispatched tasks not returned ÷ dispatched tasks",
        "tasks_not_returned",
        "tasks_dispatched",
        Kind.RATE,
    ),
    Kpi(
        "extension_rate",
        "延期率",
        "Extension rate",
        "获批延期的事件数 ÷ 立案数",
        "events with an approved extension ÷ accepted",
        "extended",
        "accepted",
        Kind.RATE,
        higher_is_better=False,
    ),
    Kpi(
        "overdue",
        "超期数",
        "Overdue",
        "超过时限的任务数",
        "tasks that became overdue",
        "tasks_overdue",
        None,
        Kind.COUNT,
        higher_is_better=False,
    ),
    Kpi(
        "supervisions",
        "督办数",
        "Supervisions",
        "督办（预警、超期）记录数",
        "supervision records (warned, overdue)",
        "supervisions",
        None,
        Kind.COUNT,
        higher_is_better=False,
    ),
    Kpi(
        "satisfaction_rate",
        "满意率",
        "Satisfaction rate",
        "（满意 + 基本满意）÷ 已评价的事件数",
        "ratings satisfied or basically satisfied ÷ events rated",
        "satisfied",
        "rated",
        Kind.RATE,
    ),
    Kpi(
        "self_handled_rate",
        "自处置率",
        "Self-handled rate",
        "巡查上报并由本网格联勤队处置的事件数 ÷ 巡查上报事件数",
        "patrol events handled by the reporting member's own team ÷ patrol events",
        "self_handled",
        "patrol",
        Kind.RATE,
    ),
    Kpi(
        "mean_response_minutes",
        "平均响应时长",
        "Mean response time",
        "签收所用工作分钟之和 ÷ 已签收任务数",
        "working minutes from dispatch to acknowledgement ÷ tasks acknowledged",
        "response_minutes",
        "response_n",
        Kind.MINUTES,
        higher_is_better=False,
    ),
    Kpi(
        "mean_handling_minutes",
        "平均处置时长",
        "Mean handling time",
        "处置所用工作分钟之和 ÷ 已处置的处置任务数",
        "working minutes from dispatch to handling ÷ handling tasks handled",
        "handling_minutes",
        "handling_n",
        Kind.MINUTES,
        higher_is_better=False,
    ),
    Kpi(
        "repeat_rate",
        "重复投诉率",
        "Repeat rate",
        "重复投诉（重复件）数 ÷ 立案数",
        "repeat reports ÷ accepted",
        "repeats",
        "accepted",
        Kind.RATE,
        higher_is_better=False,
    ),
)
KPI_BY_KEY = {k.key: k for k in KPIS}
# measures that are a difference of two kept ones
DERIVED = {"tasks_not_returned": ("tasks_dispatched", "tasks_returned")}


@dataclass(frozen=True)
class Period:
    """Days [start, end) in the county's time zone: the one period of the evaluation and the analysis."""

    start: date  # inclusive
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self) -> tuple[datetime, datetime]:
        """The instants of its first and its end midnight in the county.

        >>> [t.isoformat() for t in Period(date(2026, 11, 1), date(2026, 12, 1)).bounds()]
        ['2026-11-01T00:00:00+08:00', '2026-12-01T00:00:00+08:00']
        """
        return (datetime.combine(self.start, time(0), COUNTY_TZ), datetime.combine(self.end, time(0), COUNTY_TZ))

    def previous(self) -> "Period":
        """The period just before (环比): as many whole months before a period of whole months (the previous
        month of a month, as the statistics offices count), otherwise as many days.

        >>> Period(date(2026, 3, 1), date(2026, 4, 1)).previous()
        Period(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 3, 1))
        >>> Period(date(2026, 3, 10), date(2026, 3, 17)).previous()
        Period(start=datetime.date(2026, 3, 3), end=datetime.date(2026, 3, 10))
        """
        months = self.whole_months()
        if months:
            return Period(_months_before(self.start, months), self.start)
        return Period(self.start - timedelta(days=self.days), self.start)

    def whole_months(self) -> int:
        """How many calendar months the period is, when it starts and ends on a first of the month; else 0."""
        if self.start.day != 1 or self.end.day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def earlier(self, n: int) -> list["Period"]:
        """The n periods of the same length just before this one, the nearest first.

        >>> [(p.start.isoformat(), p.end.isoformat()) for p in Period(date(2026, 3, 1), date(2026, 3, 8)).earlier(2)]
        [('2026-02-22', '2026-03-01'), ('2026-02-15', '2026-02-22')]
        """
        length = timedelta(days=self.days)
        return [Period(self.start - k * length, self.start - (k - 1) * length) for k in range(1, n + 1)]

    def to_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def year_before(self) -> "Period":
        """The same dates a year earlier (同比); 29 February becomes 28 February."""
        return Period(_year_earlier(self.start), _year_earlier(self.end))


def _months_before(day: date, months: int) -> date:
    """The first of the month `months` months before a first of the month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _bad(code: str, message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


DAY_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)  # one way to write a day: no week dates, no 20261101


def parse_date(raw: object, field: str) -> date:
    """A date YYYY-MM-DD (ASCII digits), or 422 invalid_<field>.

    >>> parse_date("2026-W44-1", "from")
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: from: a date such as 2026-11-01 (YYYY-MM-DD)
    """
    if not isinstance(raw, str) or not DAY_SHAPE.fullmatch(raw):
        raise _bad(f"invalid_{field}", f"{field}: a date such as 2026-11-01 (YYYY-MM-DD)", field)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _bad(f"invalid_{field}", f"{field}: a date such as 2026-11-01 (YYYY-MM-DD)", field) from None


# what parse_period answers: every route reading a period lists these among its errors
PERIOD_CODES = (
    "missing_period",
    "invalid_from",
    "invalid_to",
    "date_out_of_range",
    "invalid_period",
    "period_too_long",
)


def parse_period(
    raw_from: object, raw_to: object, *, today: date | None = None, default_days: int | None = None
) -> Period:
    """`[from, to)` from two dates YYYY-MM-DD: to after from, at most five years, within MIN_DAY..MAX_DAY. The one
    period parser of the API (evaluation, scorecards, hot spots, trends).

    Without `today` both are required (missing_period); with it, a missing `to` is tomorrow (today counted) and a
    missing `from` default_days before `to`. Codes: missing_period, invalid_from / invalid_to (not a date),
    date_out_of_range, invalid_period (to not after from), period_too_long.

    >>> parse_period("2026-01-01", "2026-02-01").days
    31
    >>> parse_period(None, None, today=date(2026, 12, 6), default_days=30)
    Period(start=datetime.date(2026, 11, 7), end=datetime.date(2026, 12, 7))
    >>> parse_period("2026-02-01", "2026-01-01")
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: to must be after from: the period is [from, to)
    """
    if today is None and (raw_from is None or raw_to is None):
        missing = "from" if raw_from is None else "to"
        raise _bad("missing_period", f"{missing} is required: the period is [from, to) in dates", missing)
    if raw_to is not None:
        end = parse_date(raw_to, "to")
    else:
        assert today is not None  # checked above: without today both dates are required
        end = today + timedelta(days=1)
    start = parse_date(raw_from, "from") if raw_from is not None else end - timedelta(days=default_days or 30)
    for name, day in (("from", start), ("to", end)):
        if not MIN_DAY <= day <= MAX_DAY:
            raise _bad("date_out_of_range", f"{name} must lie between {MIN_DAY} and {MAX_DAY}", name)
    period = Period(start, end)
    if period.end <= period.start:
        raise _bad("invalid_period", "to must be after from: the period is [from, to)", "to")
    if period.days > MAX_PERIOD_DAYS:
        raise _bad("period_too_long", f"a period is at most five years ({MAX_PERIOD_DAYS} days)", "to")
    return period


def parse_choice(raw: object, field: str, choices, default=None):
    """One of the allowed values (a StrEnum or a mapping's keys), or 422 unknown_<field>."""
    if raw is None and default is not None:
        return default
    allowed = [str(c) for c in choices]
    if not isinstance(raw, str) or raw not in allowed:
        raise _bad(f"unknown_{field}", f"{field} must be one of: {', '.join(allowed)}", field)
    return raw


@dataclass(frozen=True)
class Bucket:
    kind: str  # "y", "m" or "d"
    start: date


def buckets(period: Period, *, daily: bool = True) -> tuple[list[Bucket], list[Period]]:
    """The whole years, months (and days when `daily`) covering the period, and the stretches
    left over (only when not daily: they are read from the facts).

    >>> bs, rest = buckets(Period(date(2025, 12, 30), date(2027, 2, 2)))
    >>> [(b.kind, b.start.isoformat()) for b in bs]  # doctest: +NORMALIZE_WHITESPACE
    [('d', '2025-12-30'), ('d', '2025-12-31'), ('y', '2026-01-01'), ('m', '2027-01-01'),
     ('d', '2027-02-01')]
    >>> buckets(Period(date(2026, 3, 5), date(2026, 3, 7)), daily=False)[1]
    [Period(start=datetime.date(2026, 3, 5), end=datetime.date(2026, 3, 7))]
    """
    out: list[Bucket] = []
    rest: list[Period] = []
    day = period.start
    while day < period.end:
        year_end, month_end = date(day.year + 1, 1, 1), _month_after(day)
        if day.month == 1 and day.day == 1 and year_end <= period.end:
            out.append(Bucket("y", day))
            day = year_end
        elif day.day == 1 and month_end <= period.end:
            out.append(Bucket("m", day))
            day = month_end
        else:
            stop = min(month_end, period.end)
            if daily:
                out.extend(Bucket("d", day + timedelta(days=i)) for i in range((stop - day).days))
            else:
                rest.append(Period(day, stop))
            day = stop
    return out, rest


def _month_after(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def bucket_end(bucket: Bucket) -> date:
    """The first day after a bucket."""
    if bucket.kind == "y":
        return date(bucket.start.year + 1, 1, 1)
    if bucket.kind == "m":
        return _month_after(bucket.start)
    return bucket.start + timedelta(days=1)


def measure_value(measures: dict, name: str) -> float:
    """A kept measure, or a derived one (a difference of two kept)."""
    if name in DERIVED:
        a, b = DERIVED[name]
        return (measures.get(a) or 0) - (measures.get(b) or 0)
    return measures.get(name) or 0


def figure(kpi: Kpi, measures: dict) -> dict:
    """A figure with the counts behind it: value (None when the denominator is 0), numerator, denominator.

    >>> figure(KPI_BY_KEY["closure_rate"], {"closed_by_to": 3, "accepted": 4})
    {'value': 0.75, 'numerator': 3, 'denominator': 4}
    >>> figure(KPI_BY_KEY["closure_rate"], {})["value"] is None
    True
    """
    numerator = measure_value(measures, kpi.numerator)
    if kpi.denominator is None:
        return {"value": _number(numerator), "numerator": _number(numerator), "denominator": None}
    denominator = measure_value(measures, kpi.denominator)
    value = round(numerator / denominator, 6) if denominator else None
    if value is not None and kpi.kind is Kind.MINUTES:
        value = round(numerator / denominator, 1)
    return {"value": value, "numerator": _number(numerator), "denominator": _number(denominator)}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 1)


def figures(measures: dict) -> dict:
    """Every figure of a row of measures."""
    return {kpi.key: figure(kpi, measures) for kpi in KPIS}


# --------------------------------------------------------------------------- the query string, parsed once

UNIT_CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
PARTS = ("numerator", "denominator")
BREAKDOWNS = ("category", "kind", "channel", "level")
TREND_BUCKETS = ("day", "month")


@dataclass(frozen=True)
class Query:
    """What an evaluation request asks for, parsed and checked."""

    scope: ScopeKind
    period: Period
    code: str | None = None
    limit: int = 500
    offset: int = 0
    kpi: str | None = None  # drill-down
    part: str = "numerator"  # drill-down
    by: str = "category"  # workload
    bucket: str = "month"  # trend


def parse_code(raw: object) -> str | None:
    """A unit's code (area codes, team, member and department codes): letters, digits, '.', '_', '-'."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 64 or not set(raw) <= UNIT_CODE_CHARS:
        raise _bad("invalid_code", "code: the code of a township, community, grid, team, member or department", "code")
    return raw


def parse_int(raw: object, field: str, default: int, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum] (larger values are clamped), or 422 invalid_<field>."""
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise _bad(f"invalid_{field}", f"{field}: a whole number from {minimum}", field)
    value = int(raw)
    if value < minimum:
        raise _bad(f"invalid_{field}", f"{field}: a whole number from {minimum}", field)
    return min(value, maximum)


def parse_query(
    args, *, allowed: frozenset[str], default_scope: ScopeKind | None = None, max_limit: int = 5000
) -> Query:
    """The parameters of an evaluation route: unknown ones refused (a typo is not silently ignored).

    >>> q = parse_query({"scope": "grid", "from": "2026-11-01", "to": "2026-12-01"},
    ...                 allowed=frozenset({"scope", "from", "to"}))
    >>> q.scope, q.period.days
    (<ScopeKind.GRID: 'grid'>, 30)
    >>> parse_query({"scope": "planet", "from": "2026-11-01", "to": "2026-12-01"}, allowed=frozenset({"scope"}))
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: unknown parameter 'from'; this route takes: scope
    """
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise _bad(
            "unknown_parameter",
            f"unknown parameter {unknown[0][:40]!r}; this route takes: {', '.join(sorted(allowed))}",
            "query",
        )
    get = args.get
    scope = ScopeKind(parse_choice(get("scope"), "scope", ScopeKind, default_scope))
    kpi = parse_choice(get("kpi"), "kpi", KPI_BY_KEY) if get("kpi") is not None else None
    return Query(
        scope,
        parse_period(get("from"), get("to")),
        parse_code(get("code")),
        parse_int(get("limit"), "limit", 500 if max_limit > 100 else 100, 1, max_limit),
        parse_int(get("offset"), "offset", 0, 0, 10_000_000),
        kpi,
        parse_choice(get("part"), "part", PARTS, "numerator"),
        parse_choice(get("by"), "by", BREAKDOWNS, "category"),
        parse_choice(get("bucket"), "bucket", TREND_BUCKETS, "month"),
    )


def kpi_markdown() -> str:
    """The figures as a Markdown table (docs/evaluation.md carries it; a test keeps the two equal)."""
    head = "| key | 指标 | figure | 公式 | formula | numerator | denominator |"
    rule = "|---|---|---|---|---|---|---|"
    rows = [
        f"| `{k.key}` | {k.zh} | {k.en} | {k.formula_zh} | {k.formula_en} | `{k.numerator}` | "
        f"{f'`{k.denominator}`' if k.denominator else '—'} |"
        for k in KPIS
    ]
    return "\n".join([head, rule, *rows])
