"""Evaluation exports: the figures of each scope as an Excel workbook (openpyxl) or one scope as CSV.

The columns are read from the one declaration of the figures (`KPIS`): a count has one column (its value), a
rate or a mean time three (value, numerator, denominator). The workbook has one sheet per scope the caller
sees, headers frozen, and a sheet 指标说明 with every figure's names and formula, the weights and the period.
The township, team and department sheets carry the live score and rank (docs/evaluation.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from gisapp.domain.areas import county_code
from gisapp.domain.evaluation import KPIS, Kind, Period, ScopeKind
from gisapp.domain.evaluation_export import EXPORT_SCOPES
from gisapp.domain.evaluation_score import SCORE_SCOPES, SCOREABLE
from gisapp.services.access.audit import Actor, record
from gisapp.services.evaluation.figures import TZ, Area, as_of
from gisapp.services.evaluation.scorecards import all_figures, current_weights, scored

SHEET_NAMES = {
    ScopeKind.COUNTY: "区县",
    ScopeKind.TOWNSHIP: "镇街",
    ScopeKind.COMMUNITY: "社区",
    ScopeKind.GRID: "网格",
    ScopeKind.TEAM: "联勤队",
    ScopeKind.DEPARTMENT: "部门",
}
NOTES_SHEET = "指标说明"
KIND_NAMES = {Kind.COUNT: "计数", Kind.RATE: "比率", Kind.MINUTES: "平均工作分钟"}
FORMATS = {Kind.RATE: "0.00%", Kind.MINUTES: "0.0", Kind.COUNT: "0"}
# text a spreadsheet would take for a formula (CSV injection): shown as text instead
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    title: str
    kpi: str | None  # None: code, name, score or rank
    part: str  # "value", "numerator", "denominator", or the unit's field
    number_format: str | None = None


def columns(with_score: bool) -> list[Column]:
    """The columns of a scope's sheet, in Chinese, from KPIS."""
    out = [Column("代码", None, "code"), Column("名称", None, "name")]
    if with_score:
        out += [Column("得分", None, "score", "0.00"), Column("排名", None, "rank", "0")]
    for kpi in KPIS:
        out.append(Column(kpi.zh, kpi.key, "value", FORMATS[kpi.kind]))
        if kpi.denominator is not None:
            out += [
                Column(f"{kpi.zh}（分子）", kpi.key, "numerator"),
                Column(f"{kpi.zh}（分母）", kpi.key, "denominator"),
            ]
    return out


@dataclass(frozen=True)
class Table:
    scope: ScopeKind
    columns: list[Column]
    rows: list[list]


def scope_table(
    session: Session, area: Area, scope: ScopeKind, period: Period, weights: dict[str, Decimal], now: datetime
) -> Table:
    """Every unit of a scope in the area with its figures (and score and rank where units are ranked)."""
    units, _ = all_figures(session, area, scope, period, now)
    with_score = scope in SCORE_SCOPES
    cols = columns(with_score)
    if with_score:
        entries = [
            (
                {
                    "code": code,
                    "name": name,
                    "rank": rank,
                    "score": None if result.value is None else float(result.value),
                },
                figures,
            )
            for rank, code, name, figures, result in scored(units, weights)
        ]
    else:
        entries = [({"code": code, "name": name}, figures) for code, name, figures in units]
    rows = [[unit[c.part] if c.kpi is None else figures[c.kpi][c.part] for c in cols] for unit, figures in entries]
    return Table(scope, cols, rows)


def _text_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """One scope as CSV: UTF-8 with a BOM (so Excel reads the Chinese), a header row, rates as fractions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else _text_safe(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(tables: list[Table], period: Period, weights: dict[str, Decimal], as_of: str) -> bytes:
    """The workbook: one sheet per scope (headers and the code and name frozen), then 指标说明."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(SHEET_NAMES[table.scope])
        _write(sheet, [c.title for c in table.columns], table.rows, [c.number_format for c in table.columns])
        sheet.freeze_panes = "C2"
    notes = book.create_sheet(NOTES_SHEET)
    _write(notes, *_notes(period, weights, as_of), [None] * 8)
    notes.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _notes(period: Period, weights: dict[str, Decimal], as_of: str) -> tuple[list, list]:
    header = ["指标", "中文名称", "Name", "公式", "Formula", "类型", "越高越好", "权重"]
    rows = [
        [
            k.key,
            k.zh,
            k.en,
            k.formula_zh,
            k.formula_en,
            KIND_NAMES[k.kind],
            "是" if k.higher_is_better else "否",
            float(weights[k.key]) if k.key in SCOREABLE else None,
        ]
        for k in KPIS
    ]
    last = period.end - timedelta(days=1)
    rows += [
        [],
        ["统计期", f"{period.start.isoformat()} 至 {last.isoformat()}"],
        ["截至", as_of],
        [
            "得分规则",
            "见 docs/evaluation.md：比率得分 = 值×100（越低越好则 (1−值)×100）；超期数、督办数按每百件立案折算，"
            "得分 = max(0, 100 − 每百件数)；总分 = Σ 权重×得分 ÷ Σ 权重；无立案的单位不排名",
        ],
    ]
    return header, rows


def _write(sheet, header: list, rows: list[list], formats: list) -> None:
    """Header in bold, then the rows; text is never taken for a formula; column widths to the header."""
    for col, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col, value=title)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col)].width = max(10, min(40, 2 * len(str(title)) + 2))
    for r, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=..." from a name stays text
            elif col <= len(formats) and formats[col - 1] and value is not None:
                cell.number_format = formats[col - 1]


def filename(scope: ScopeKind | None, period: Period, extension: str) -> tuple[str, str]:
    """(an ASCII fallback, the Chinese name) of an export file: its scope and its first and last day."""
    last = period.end - timedelta(days=1)
    days = f"{period.start:%Y%m%d}-{last:%Y%m%d}"
    return (
        f"evaluation_{scope or 'all'}_{days}.{extension}",
        f"考核指标_{SHEET_NAMES[scope] if scope else '全部'}_{days}.{extension}",
    )


def content_disposition(ascii_name: str, name: str) -> str:
    """attachment with both names: the UTF-8 one by RFC 5987 (filename*), the ASCII one for old clients."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    media_type: str
    content_disposition: str


def export(
    session: Session,
    key: bytes,
    actor: Actor,
    area: Area,
    fmt: str,
    scope: ScopeKind | None,
    period: Period,
    now: datetime | None = None,
) -> ExportFile:
    """The figures of the caller's area as a workbook (every scope it sees, or one) or as CSV (one scope); audited
    as evaluation.export with the scope, the period and the format."""
    now = now or datetime.now(timezone.utc)
    scopes = [scope] if scope else [s for s in EXPORT_SCOPES if area.is_county or s != ScopeKind.COUNTY]
    weights = current_weights(session, county_code(area.code))
    tables = [scope_table(session, area, s, period, weights, now) for s in scopes]
    cut = as_of(period, now).astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    data = to_xlsx(tables, period, weights, cut) if fmt == "xlsx" else to_csv(tables[0])
    record(
        session,
        key,
        actor,
        "evaluation.export",
        target=f"evaluation/{scope or 'all'}",
        details={
            "scope": str(scope) if scope else "all",
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "format": fmt,
            "rows": sum(len(t.rows) for t in tables),
        },
    )
    return ExportFile(data, MEDIA[fmt], content_disposition(*filename(scope, period, fmt)))
