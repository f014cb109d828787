"""The printable duty report (值班日报、周报、月报) of the caller's county or township: a thin page over
gisapp.services.evaluation.report. Figures are named from the declaration of the figures (KPIS) in the page's
language; the rest of the words come from the catalogs."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from gisapp.api import access, db_session
from gisapp.api.evaluation import caller_area, query_args
from gisapp.domain.evaluation import Kind, Kpi, Period
from gisapp.domain.evaluation_report import ReportKind, parse_report, report_periods
from gisapp.services.evaluation.figures import folded, today_local
from gisapp.services.evaluation.report import report
from gisapp.web.i18n import current_lang, translate


def show_report():
    """Parse kind and date, fold pending steps into the roll-ups, render the report."""
    area = caller_area()
    kind, day = parse_report(query_args(), today_local())
    session = folded(db_session())
    found = report(session, area, kind, day)
    lang = current_lang()
    rows = [
        {
            "key": f["kpi"].key,
            "name": f["kpi"].zh if lang == "zh" else f["kpi"].en,
            "formula": f["kpi"].formula_zh if lang == "zh" else f["kpi"].formula_en,
            "current": shown(f["kpi"], f["current"], lang),
            "previous": shown(f["kpi"], f["previous"], lang),
            "change": shown_change(f["change"], lang),
            "better": (f["change"] or {}).get("better"),
        }
        for f in found["figures"]
    ]
    principal = access.current()
    return render_template(
        "report.html",
        r=found,
        rows=rows,
        kinds=list(ReportKind),
        period=_days(found["period"]),
        previous=_days(found["previous"]),
        before=report_periods(kind, day)[1].start.isoformat(),
        after=found["period"].end.isoformat(),
        principal=principal,
    )


def _days(period: Period) -> dict:
    """A period as its first and last day (a printed report names the days it covers)."""
    return {"first": period.start.isoformat(), "last": (period.end - timedelta(days=1)).isoformat()}


def shown(kpi: Kpi, figure: dict, lang: str) -> str:
    """A figure's value as printed: rates in per cent, mean times in minutes, counts as they are; — when none.

    >>> from gisapp.domain.evaluation import KPI_BY_KEY
    >>> shown(KPI_BY_KEY["closure_rate"], {"value": 0.75}, "zh"), shown(KPI_BY_KEY["overdue"], {"value": None}, "en")
    ('75.0%', '—')
    """
    value = figure.get("value")
    if value is None:
        return "—"
    if kpi.kind is Kind.RATE:
        return f"{value * 100:.1f}%"
    if kpi.kind is Kind.MINUTES:
        return f"{value:.1f} {translate('report.minutes', lang)}"
    return f"{value:g}"


def shown_change(change: dict | None, lang: str) -> str:
    """环比 as printed: +5.0 pp (rates) or +50.0% (counts, mean times); — when there is nothing to compare."""
    if change is None:
        return "—"
    unit = translate("report.points", lang) if change["unit"] == "pp" else "%"
    return f"{change['value']:+.1f}{'' if unit == '%' else ' '}{unit}"
