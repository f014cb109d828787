"""Scorecards, exports and the duty report over real HTTP on the demo county: a live ranking, a publication that
stays as published while the weights (set through the CLI) and the events change, XLSX and CSV read back, audit
records, the report page in both languages, and hostile input answered 4xx with a stable code."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
import requests
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from gisapp.cli import main
from gisapp.db import make_engine
from gisapp.domain.evaluation import KPIS
from gisapp.domain.supervision import Policy
from gisapp.services.events.supervision import run_pass
from tests.services.evaluation.test_figures import KEY, T0, _world, close, handle, report, scenario
from tests.support import TEST_AUDIT_KEY, query

DAY = {"from": "2026-11-02", "to": "2026-11-03"}


@pytest.fixture(scope="module")
def past(live):
    """The five reports of 2 November 2026 with known outcomes, one more left waiting, a supervision pass."""
    engine = make_engine(live.database_url, pool_size=1)
    with Session(engine) as session, session.begin():
        world = _world(session)
        ids = scenario(session, world)
        ids["waiting"] = report(session, world, T0 + timedelta(hours=1))
    with Session(engine) as session:  # the pass commits its own batches
        run_pass(session, KEY, now=T0 + timedelta(days=3), policy=Policy())
    engine.dispose()
    return {**world, **ids}


def get(live, who: str, path: str, **params):
    return live.client(who).get(live.url + "/api/v1/evaluation" + path, params=params, timeout=60)


def post(live, who: str, body, **kwargs):
    return live.client(who).post(live.url + "/api/v1/evaluation/scorecards", json=body, timeout=60, **kwargs)


def audited(live, action: str) -> list[dict]:
    return [row[0] for row in query(live, "SELECT details FROM audit_log WHERE action = %s ORDER BY id", action)]


def test_the_live_ranking_scores_each_township(live, past):
    r = get(live, "demo-county", "/ranking", scope="township", **DAY)
    assert r.status_code == 200, r.text
    body = r.json()
    # the known answer of tests/services/evaluation/test_scorecards.py, with the waiting report in the cohort too
    top = body["rows"][0]
    assert (top["code"], top["rank"], body["units"], body["ranked"]) == (past["township"], 1, 8, 1)
    assert top["accepted"] == 5 and 0 < top["score"] < 100
    assert top["parts"]["closure_rate"] == {
        "value": 0.4,
        "numerator": 2,
        "denominator": 5,
        "weight": 15.0,
        "subscore": 40.0,
    }
    own = get(live, "demo-township", "/ranking", scope="team", **DAY).json()
    assert own["units"] >= 1 and all(row["code"].startswith("T320102002") for row in own["rows"])


def test_a_publication_stays_as_published(live, past, monkeypatch):
    body = {"scope": "township", **DAY, "client_ref": "nov-02-townships"}
    first = post(live, "demo-auditor", body)
    assert first.status_code == 201, first.text
    card = first.json()
    assert first.headers["Location"].endswith(f"/api/v1/evaluation/scorecards/{card['id']}")
    assert post(live, "demo-auditor", body).json() == card  # a retry: the first, 200
    twice = post(live, "demo-county", {"scope": "township", **DAY})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "scorecard_exists"
    assert twice.json()["error"]["details"] == {"id": card["id"]}
    # the county changes a weight through the CLI, and two more reports of that day are handled and closed
    monkeypatch.setenv("DATABASE_URL", live.database_url)
    monkeypatch.setenv("GISAPP_AUDIT_KEY", TEST_AUDIT_KEY.decode())
    changed = CliRunner().invoke(main, ["evaluation", "weights", "set", "--kpi", "closure_rate", "--weight", "60"])
    assert changed.exit_code == 0 and "closure_rate: weight 15 -> 60" in changed.output, changed.output
    engine = make_engine(live.database_url, pool_size=1)
    with Session(engine) as session, session.begin():
        for _ in range(2):
            extra = report(session, past, T0 + timedelta(hours=2))
            handle(session, extra, T0 + timedelta(hours=2, minutes=5), T0 + timedelta(hours=3))
            close(session, extra, T0 + timedelta(hours=4))
    engine.dispose()
    live_now = get(live, "demo-county", "/ranking", scope="township", **DAY).json()["rows"][0]
    assert live_now["accepted"] == 7 and live_now["parts"]["closure_rate"]["weight"] == 60.0
    assert live_now["score"] != card["rows"][0]["score"]
    assert get(live, "demo-township", f"/scorecards/{card['id']}").json() == card  # announced to the townships
    listed = get(live, "demo-county", "/scorecards", scope="township", **{"from": "2026-11-01", "to": "2026-12-01"})
    assert [item["id"] for item in listed.json()["items"]] == [card["id"]]
    assert audited(live, "evaluation.publish")[-1]["client_ref"] == "nov-02-townships"
    assert audited(live, "evaluation.weights")[-1] == {"kpi": "closure_rate", "weight": "60", "previous": "15"}
    reset = CliRunner().invoke(main, ["evaluation", "weights", "reset"])
    assert reset.exit_code == 0 and "1 choice(s) removed" in reset.output
    shown = CliRunner().invoke(main, ["evaluation", "weights"])
    assert "closure_rate" in shown.output and "total" in shown.output and "    100" in shown.output


def test_the_township_dispatcher_does_not_publish_and_an_unknown_scorecard_is_404(live, past):
    assert post(live, "demo-township", {"scope": "team", **DAY}).status_code == 403
    missing = get(live, "demo-county", "/scorecards/999999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "scorecard_not_found"


def test_the_cli_refuses_bad_weights_by_code(live, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", live.database_url)
    before = query(live, "SELECT (SELECT count(*) FROM eval_weights), (SELECT count(*) FROM audit_log)")
    for kpi, weight, code in (
        ("closure_rate", "-5", "invalid_weight"),
        ("closure_rate", "NaN", "invalid_weight"),
        ("closure_rate", "1e9", "invalid_weight"),
        ("wealth", "5", "unknown_kpi"),
        ("reported", "5", "kpi_not_scoreable"),
        ("closure_rate", "5\x00", "invalid_weight"),
    ):
        refused = CliRunner().invoke(main, ["evaluation", "weights", "set", "--kpi", kpi, "--weight", weight])
        assert refused.exit_code != 0 and code in refused.output, (kpi, weight, refused.output)
    assert query(live, "SELECT (SELECT count(*) FROM eval_weights), (SELECT count(*) FROM audit_log)") == before


# ----------------------------------------------------------------------------- exports


def filename_of(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="evaluation_')
    return unquote(disposition.split("filename*=UTF-8''")[1])


def figures_of(live, scope: str, code: str) -> dict:
    """The figures the evaluation API gives for one unit on that day (what an export must hold)."""
    r = get(live, "demo-county", "", scope=scope, code=code, **DAY)
    assert r.status_code == 200, r.text
    return r.json()["rows"][0]["kpis"]


def ranked_score(live, code: str) -> float:
    rows = get(live, "demo-county", "/ranking", scope="township", **DAY).json()["rows"]
    return next(row["score"] for row in rows if row["code"] == code)


def test_the_workbook_has_a_sheet_per_scope_frozen_headers_and_the_formulas(live, past):
    query(live, "UPDATE teams SET name = '=1+2' WHERE code = (SELECT max(code) FROM teams)")  # a formula as a name
    r = get(live, "demo-county", "/export", format="xlsx", **DAY)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert filename_of(r) == "考核指标_全部_20261102-20261102.xlsx"
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["区县", "镇街", "社区", "网格", "联勤队", "部门", "指标说明"]
    townships = book["镇街"]
    header = [c.value for c in townships[1]]
    assert header[:4] == ["代码", "名称", "得分", "排名"] and townships.freeze_panes == "C2"
    assert {"结案率", "结案率（分子）", "结案率（分母）", "超期数"} <= set(header)
    row = next(r for r in townships.iter_rows(min_row=2, values_only=True) if r[0] == past["township"])
    values, kpis = dict(zip(header, row)), figures_of(live, "township", past["township"])
    assert values["排名"] == 1 and values["得分"] == ranked_score(live, past["township"])
    assert (values["立案数"], values["结案率（分子）"], values["结案率（分母）"]) == (
        kpis["accepted"]["value"],
        kpis["closure_rate"]["numerator"],
        kpis["closure_rate"]["denominator"],
    )
    assert values["结案率"] == pytest.approx(kpis["closure_rate"]["value"]) and townships.max_row == 9
    assert len([r for r in book["区县"].iter_rows(min_row=2)]) == 1
    notes = {r[0]: r for r in book["指标说明"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    for kpi in KPIS:
        assert notes[kpi.key][1:5] == (kpi.zh, kpi.en, kpi.formula_zh, kpi.formula_en)
    named = next(c for c in book["联勤队"]["B"] if c.value == "=1+2")
    assert named.data_type == "s"  # text, not a formula
    assert audited(live, "evaluation.export")[-1] == {
        "scope": "all",
        **DAY,
        "format": "xlsx",
        "rows": sum(s.max_row - 1 for s in book.worksheets[:-1]),
    }


def test_a_township_workbook_has_no_county_sheet(live, past):
    book = load_workbook(io.BytesIO(get(live, "demo-township", "/export", format="xlsx", **DAY).content))
    assert book.sheetnames == ["镇街", "社区", "网格", "联勤队", "部门", "指标说明"]
    assert [r[0] for r in book["镇街"].iter_rows(min_row=2, values_only=True)] == [past["township"]]


def test_the_csv_of_one_scope_reads_back_in_excel_encoding(live, past):
    r = get(live, "demo-auditor", "/export", format="csv", scope="grid", **DAY)
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf") and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert filename_of(r) == "考核指标_网格_20261102-20261102.csv"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    ((grids,),) = query(live, "SELECT count(*) FROM grids")
    assert len(rows) == grids and "得分" not in rows[0]
    mine, kpis = next(row for row in rows if row["代码"] == past["grid"]), figures_of(live, "grid", past["grid"])
    assert (mine["立案数"], mine["上报数"], mine["结案率"], mine["满意率（分子）"], mine["满意率（分母）"]) == tuple(
        str(v)
        for v in (
            kpis["accepted"]["value"],
            kpis["reported"]["value"],
            kpis["closure_rate"]["value"],
            kpis["satisfaction_rate"]["numerator"],
            kpis["satisfaction_rate"]["denominator"],
        )
    )
    assert float(mine["结案率"]) == pytest.approx(kpis["closure_rate"]["value"]) and mine["平均响应时长"] != ""
    assert audited(live, "evaluation.export")[-1]["format"] == "csv"
    team_csv = get(live, "demo-county", "/export", format="csv", scope="team", **DAY).content.decode("utf-8-sig")
    assert "'=1+2" in team_csv  # a name that would be a formula is quoted as text


# ----------------------------------------------------------------------------- the duty report page


def page(live, who: str, lang: str | None = None, **params):
    cookies = {"gisapp_lang": lang} if lang else None
    return live.client(who).get(live.url + "/evaluation/report", params=params, cookies=cookies, timeout=60)


def test_the_monthly_report_prints_figures_overdue_tasks_and_hot_spots_in_chinese(live, past):
    r = page(live, "demo-township", kind="monthly", date="2026-11-20")
    assert r.status_code == 200, r.text
    html = r.text
    assert '<html lang="zh-CN">' in html and "值班月报" in html and "统计期 2026-11-01 至 2026-11-30" in html
    assert f'<tr data-event="{past["waiting"]}">' in html and 'id="overdue"' in html and 'id="supervisions"' in html
    assert f'<tr data-grid="{past["grid"]}">' in html and "结案率" in html and "/static/gen/report." in html
    assert "report." not in html.split("<body")[1].split('id="i18n-catalog"')[0]  # every word in the catalog


def test_the_report_in_english_and_a_day_without_anything(live, past):
    r = page(live, "demo-county", "en", kind="daily", date="2026-10-01")
    assert r.status_code == 200, r.text
    html = r.text
    assert '<html lang="en">' in html and "Daily report" in html and "Closure rate" in html
    assert 'id="hot-spots-none"' in html and 'id="supervisions-none"' in html


def test_the_report_refuses_a_bad_kind_and_other_roles(live, past):
    bad = page(live, "demo-county", kind="yearly")
    assert bad.status_code == 422 and "unknown_kind" in bad.text
    assert page(live, "demo-grid").status_code == 403


# ----------------------------------------------------------------------------- hostile input

# each case: a hostile or mistaken query string, and the stable code it must get (never a 500)
BAD_QUERIES = [
    ("/ranking", {"scope": "grid", **DAY}, "unknown_scope"),  # grids are not ranked
    ("/ranking", {"scope": "township", "from": "2026-11-03", "to": "2026-11-02"}, "invalid_period"),
    ("/ranking", {"scope": "township", "from": "2019-01-01", "to": "2026-01-02"}, "period_too_long"),
    ("/ranking", {"scope": "township", "from": "2026-11-02\x00", "to": "2026-11-03"}, "invalid_text"),
    ("/ranking", {"scope": "township", "weight": "5", **DAY}, "unknown_parameter"),
    ("/export", {"format": "pdf", **DAY}, "unknown_format"),
    ("/export", {"format": "csv", **DAY}, "missing_scope"),
    ("/export", {"format": "csv", "scope": "member", **DAY}, "unknown_scope"),  # members are not exported
    ("/export", {"format": "xlsx"}, "missing_period"),
    ("/export", {"format": ["xlsx", "csv"], **DAY}, "repeated_parameter"),
    ("/scorecards", {"scope": "planet"}, "unknown_scope"),
    ("/scorecards", {"from": "2026-11-01"}, "missing_period"),
    ("/scorecards", {"limit": "-1"}, "invalid_limit"),
]


@pytest.mark.parametrize(("path", "params", "code"), BAD_QUERIES)
def test_hostile_query_strings_get_a_stable_code(live, past, path, params, code):
    r = get(live, "demo-county", path, **params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


# each case: a hostile publication body, and its status and stable code
BAD_BODIES = [
    ({"scope": "township", "from": "2026-11-02"}, 422, "missing_period"),
    ({"scope": 7, **DAY}, 422, "unknown_scope"),  # a wrong JSON type
    ({"scope": {"$ne": 1}, **DAY}, 422, "unknown_scope"),
    ({"scope": "township", "from": ["2026-11-02"], "to": "2026-11-03"}, 422, "invalid_from"),
    ({"scope": "township\x00", **DAY}, 422, "invalid_text"),  # a NUL byte: refused at the edge
    ({"scope": "township", **DAY, "weights": {"closure_rate": 100}}, 422, "unknown_field"),  # no weights from outside
    ({"scope": "township", "from": "2026-11-03", "to": "2026-11-02"}, 422, "invalid_period"),
    (
        {"scope": "department", "from": "2026-11-01", "to": (date.today() + timedelta(days=2)).isoformat()},
        422,
        "period_not_over",
    ),
    ([["township"]], 422, "invalid_body"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_hostile_bodies_get_a_stable_code_and_write_nothing(live, past, body, status, code):
    before = query(live, "SELECT count(*) FROM eval_scorecards")
    r = post(live, "demo-county", body)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert query(live, "SELECT count(*) FROM eval_scorecards") == before


# raw bodies: deep nesting, invalid JSON, a NUL escape, the wrong media type
@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, "application/json", 413, "payload_too_large"),
        ("[" * 30_000 + "]" * 30_000, "application/json", 400, "json_too_deep"),
        ('{"scope": "township", "from": "2026-11-02", "to": ', "application/json", 400, "malformed_json"),
        (
            '{"scope": "town\\u0000ship", "from": "2026-11-02", "to": "2026-11-03"}',
            "application/json",
            422,
            "invalid_text",
        ),
        ("scope=township", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_raw_bodies_get_a_4xx(live, past, raw, content_type, status, code):
    r = live.client("demo-county").post(
        live.url + "/api/v1/evaluation/scorecards",
        data=raw.encode(),
        headers={"Content-Type": content_type},
        timeout=60,
    )
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text[:200]


def test_no_body_at_all_is_an_invalid_body(live, past):
    r = requests.post(
        live.url + "/api/v1/evaluation/scorecards",
        timeout=60,
        headers={"Authorization": live.client("demo-county").headers["Authorization"]},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_body")
    assert json.loads(r.text)["error"]["message"]


def test_the_evaluation_page_links_the_reports_and_the_export(live, past):
    html = live.client("demo-county").get(live.url + "/evaluation", timeout=60).text
    for kind in ("daily", "weekly", "monthly"):
        assert f'href="/evaluation/report?kind={kind}"' in html
    assert 'id="export"' in html
