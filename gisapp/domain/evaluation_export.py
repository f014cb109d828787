"""What an evaluation export asks for: a format, a scope (one, or every scope the caller sees) and a period."""

from __future__ import annotations

from dataclasses import dataclass

from gisapp.domain.evaluation import Period, ScopeKind, parse_choice, parse_period
from gisapp.errors import ValidationFailed

EXPORT_FORMATS = ("xlsx", "csv")
EXPORT_SCOPES = (
    ScopeKind.COUNTY,
    ScopeKind.TOWNSHIP,
    ScopeKind.COMMUNITY,
    ScopeKind.GRID,
    ScopeKind.TEAM,
    ScopeKind.DEPARTMENT,
)
EXPORT_FIELDS = frozenset({"format", "scope", "from", "to"})


@dataclass(frozen=True)
class ExportQuery:
    format: str
    scope: ScopeKind | None  # None: every scope the caller sees (a workbook only)
    period: Period


def parse_export(args: dict) -> ExportQuery:
    """format xlsx or csv (422 unknown_format), scope of EXPORT_SCOPES (CSV: required), [from, to).

    >>> try:
    ...     parse_export({"format": "csv", "from": "2026-11-01", "to": "2026-12-01"})
    ... except ValidationFailed as exc:
    ...     print(type(exc).__name__, exc.code, exc.field)
    ...     print(exc)
    ValidationFailed missing_scope scope
    a CSV file holds one scope: give scope (county, township, community, grid, team, department)
    """
    unknown = sorted(set(args) - EXPORT_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"unknown parameter {unknown[0][:40]!r}; this route takes: format, scope, from, to",
            code="unknown_parameter",
            field="query",
        )
    fmt = parse_choice(args.get("format"), "format", EXPORT_FORMATS)
    raw_scope = args.get("scope")
    if raw_scope in (None, "") and fmt == "csv":
        raise ValidationFailed(
            f"a CSV file holds one scope: give scope ({', '.join(EXPORT_SCOPES)})", code="missing_scope", field="scope"
        )
    scope = None if raw_scope in (None, "") else ScopeKind(parse_choice(raw_scope, "scope", EXPORT_SCOPES))
    return ExportQuery(fmt, scope, parse_period(args.get("from"), args.get("to")))
