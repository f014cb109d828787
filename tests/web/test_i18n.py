"""Both languages are complete: the same keys in zh and en, none empty, and every key the templates and the
dashboard's scripts use (literal or built from the domain's states, actions, roles and layers) is there."""

import re

import pytest

from gisapp.config import PROJECT_ROOT
from gisapp.domain.evaluation_report import ReportKind
from gisapp.domain.events import Channel, EventStatus, Priority
from gisapp.domain.lifecycle import Action, TaskStatus
from gisapp.domain.security import Role
from gisapp.services.command.duty import DUTY
from gisapp.services.layers.features import layer_names
from gisapp.spatial.hotspots import HOT_CLASSES
from gisapp.web.i18n import LANGUAGES, catalog, cst

TEMPLATES = PROJECT_ROOT / "gisapp" / "web" / "templates"
SCRIPTS = [
    *(PROJECT_ROOT / "static" / "js" / "dash").glob("*.js"),
    *(PROJECT_ROOT / "static" / "js" / "eval").glob("*.js"),
    PROJECT_ROOT / "static" / "js" / "map.js",
]


def used_keys() -> set[str]:
    keys = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(["']([^"']+)["']\)""", text))
        keys |= {k for k in re.findall(r'data-i18n="([^"{]+)"', text)}
    for path in SCRIPTS:
        keys |= set(re.findall(r"""\bt\(["']([^"']+)["']\)""", path.read_text(encoding="utf-8")))
    for page, folder in (("planner", "plan"), ("officer", "officer")):  # their t("key") is the catalog's "<page>.key"
        for path in (PROJECT_ROOT / "static" / "js" / folder).glob("*.js"):
            text = path.read_text(encoding="utf-8")
            keys |= {f"{page}.{k}" for k in re.findall(r"""\bt\(["']([^"']+)["']\s*[,)]""", text)}
    legend = (PROJECT_ROOT / "static" / "js" / "dash" / "legend.js").read_text(encoding="utf-8")
    keys |= set(re.findall(r'"((?:legend|duty)\.[a-z_0-9]+)"', legend))  # the legend's rows name their keys
    return keys


def built_keys() -> set[str]:
    """Keys the scripts build from a value: "status." + e.status and the like."""
    return (
        {f"status.{s}" for s in EventStatus}
        | {f"action.{a}" for a in Action}
        | {f"role.{r}" for r in Role}
        | {f"task.status.{s}" for s in TaskStatus}
        | {f"priority.{p}" for p in Priority}
        | {f"channel.{c}" for c in Channel}
        | {f"duty.{d}" for d in DUTY}
        | {f"layer.{n}" for n in layer_names()}
        | {f"figure.{f}" for f in ("reported", "closed", "open", "warned", "overdue", "level2", "on_duty")}
        | {f"supervision.{s}" for s in ("on_time", "warned", "overdue")}
        | {"level.1", "level.2"}
        | {f"limit.{x}" for x in ("response", "handling")}
        | {f"task.{k}" for k in ("handle", "support")}
        | {f"search.kind.{k}" for k in ("event", "point", "township", "community", "grid", "key-location", "key-road")}
        | evaluation_keys()
        | {f"report.kind.{k}" for k in ReportKind}
        | {f"report.class.{c}" for c in HOT_CLASSES}
    )


def evaluation_keys() -> set[str]:
    """The evaluation page's keys built from the domain's scopes and breakdowns, the presets and the comparisons."""
    from gisapp.domain.evaluation import BREAKDOWNS, PARTS, ScopeKind

    return (
        {f"eval.scope.{s}" for s in ScopeKind}
        | {f"eval.by.{b}" for b in BREAKDOWNS}
        | {f"eval.drill.{p}" for p in PARTS}
        | {"eval.cmp.previous", "eval.cmp.year_before"}
        | {f"eval.preset.{p}" for p in ("this_month", "last_month", "this_year", "last_year", "custom")}
    )


def test_both_languages_have_the_same_keys_and_no_empty_string():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    assert all(v.strip() for lang in LANGUAGES for v in catalog(lang).values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_in_use_is_translated(lang):
    missing = (used_keys() | built_keys()) - set(catalog(lang))
    assert not missing


def test_times_are_shown_in_china_standard_time():
    # 16:30 UTC is half past midnight the next day in Beijing (UTC+8, no daylight saving)
    assert cst("2026-07-01T16:30:00Z") == "2026-07-02 00:30"
