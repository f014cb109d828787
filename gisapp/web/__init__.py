"""Server-rendered pages; front-end libraries come from npm and are bundled by flask-assets."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request
from flask_assets import Bundle, Environment

from gisapp.config import PROJECT_ROOT

bp = Blueprint("web", __name__, template_folder="templates")

# the dashboard's modules (static/js/dash/), each a small IIFE adding to window.GISAPP; order matters
DASH_MODULES = (
    "core",
    "coords",
    "source",
    "basemap",
    "areas",
    "events",
    "members",
    "panel",
    "support",
    "detail",
    "live",
    "legend",
    "search",
    "main",
)

# the evaluation page's modules (static/js/eval/), in the same style; order matters
EVAL_MODULES = ("format", "state", "table", "drill", "unit", "charts", "trend", "workload", "choropleth", "main")

# the planner's editor (static/js/plan/) and the grid officer's page (static/js/officer/), in the same style, each
# with its own core (its API answers every status rather than rejecting refusals); order matters
PLAN_MODULES = (
    "core",
    "map",
    "session",
    "answers",
    "grids",
    "community",
    "reshape",
    "operations",
    "pending",
    "impact",
    "problems",
    "conflict",
    "fix",
    "save",
    "history",
    "import",
    "main",
)
OFFICER_MODULES = ("core", "geo", "map", "state", "grids", "position", "duty", "tasks", "report", "main")

BUNDLES = {
    "map_js": Bundle("leaflet/dist/leaflet.js", "js/i18n.js", "js/map.js", output="gen/map.%(version)s.js"),
    "map_css": Bundle("leaflet/dist/leaflet.css", "css/app.css", output="gen/map.%(version)s.css"),
    # the commander dashboard: Leaflet and markercluster from npm, then our small modules in load order
    "command_js": Bundle(
        "leaflet/dist/leaflet.js",
        "leaflet.markercluster/dist/leaflet.markercluster.js",
        "js/i18n.js",
        *(f"js/dash/{name}.js" for name in DASH_MODULES),
        output="gen/command.%(version)s.js",
    ),
    "command_css": Bundle(
        "leaflet/dist/leaflet.css",
        "leaflet.markercluster/dist/MarkerCluster.css",
        "css/app.css",
        "css/dash.css",
        output="gen/command.%(version)s.css",
    ),
    # the evaluation page: ECharts and Leaflet from npm, the dashboard's core, datum and basemap modules, then its own
    "evaluation_js": Bundle(
        "leaflet/dist/leaflet.js",
        "echarts/dist/echarts.common.min.js",
        "js/i18n.js",
        *(f"js/dash/{name}.js" for name in ("core", "coords", "basemap")),
        *(f"js/eval/{name}.js" for name in EVAL_MODULES),
        output="gen/evaluation.%(version)s.js",
    ),
    "evaluation_css": Bundle(
        "leaflet/dist/leaflet.css",
        "css/app.css",
        "css/dash.css",
        "css/evaluation.css",
        output="gen/evaluation.%(version)s.css",
    ),
    "login_js": Bundle("js/i18n.js", "js/login.js", output="gen/login.%(version)s.js"),
    "login_css": Bundle("css/app.css", output="gen/login.%(version)s.css"),
    "planner_js": Bundle(
        "leaflet/dist/leaflet.js",
        "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.js",
        "js/i18n.js",
        *(f"js/plan/{name}.js" for name in PLAN_MODULES),
        output="gen/planner.%(version)s.js",
    ),
    "planner_css": Bundle(
        "leaflet/dist/leaflet.css",
        "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css",
        "css/app.css",
        "css/planner.css",
        output="gen/planner.%(version)s.css",
    ),
    "officer_js": Bundle(
        "leaflet/dist/leaflet.js",
        "js/i18n.js",
        *(f"js/officer/{name}.js" for name in OFFICER_MODULES),
        output="gen/officer.%(version)s.js",
    ),
    "officer_css": Bundle(
        "leaflet/dist/leaflet.css", "css/app.css", "css/officer.css", output="gen/officer.%(version)s.css"
    ),
    "report_js": Bundle("js/i18n.js", "js/report.js", output="gen/report.%(version)s.js"),
    "report_css": Bundle("css/app.css", "css/report.css", output="gen/report.%(version)s.css"),
}


def register_assets(app: Flask) -> Environment:
    """Bundle npm packages (node_modules) and our own static files into static/gen."""
    env = Environment(app)
    env.load_path = [str(PROJECT_ROOT / "static"), str(PROJECT_ROOT / "node_modules")]
    env.directory = str(PROJECT_ROOT / "static")
    env.url = "/static"
    env.url_expire = False
    for name, bundle in BUNDLES.items():
        env.register(name, bundle)
    return env


@bp.get("/")
def index():
    """The overview map, with a link to the caller's own view (dashboard, planner's editor, officer's page)."""
    from gisapp.api import access
    from gisapp.domain.permissions import allowed
    from gisapp.domain.security import ROLE_LABELS

    principal = access.current()
    return render_template(
        "map.html",
        principal=principal,
        role_label=ROLE_LABELS[principal.account.role],
        csrf_token=principal.web_session.csrf_token if principal.web_session else "",
        sees_layers=allowed("layers.index", principal.caller),
        sees_command=allowed("web.command", principal.caller),
        sees_evaluation=allowed("web.evaluation", principal.caller),
        sees_planner=allowed("web.planner", principal.caller),
        sees_officer=allowed("web.officer", principal.caller),
    )


@bp.get("/command")
def command():
    """The commander dashboard (指挥调度, 7.2.1.1) of county commanders and township dispatchers."""
    from gisapp.api import access
    from gisapp.domain.permissions import allowed
    from gisapp.domain.security import ROLE_LABELS

    principal = access.current()
    return render_template(
        "command.html",
        principal=principal,
        role_label=ROLE_LABELS[principal.account.role],
        csrf_token=principal.web_session.csrf_token if principal.web_session else "",
        sees_evaluation=allowed("web.evaluation", principal.caller),
        config={"role": str(principal.account.role), "area": principal.account.bound_to, "basemap": _basemap()},
    )


def _basemap() -> dict | None:
    """The configured basemap (none by default: the jurisdiction's own layers on a plain background)."""
    from gisapp.api import settings

    cfg = settings()
    return (
        {
            "url": cfg.basemap_url,
            "crs": str(cfg.basemap_datum),
            "subdomains": cfg.basemap_subdomains,
            "attribution": cfg.basemap_attribution,
        }
        if cfg.basemap_url
        else None
    )


@bp.get("/evaluation")
def evaluation():
    """The evaluation page (考核评价, clause 8) of county commanders, township dispatchers and the auditor."""
    from flask import current_app

    from gisapp.api import access
    from gisapp.domain.permissions import allowed

    principal = access.current()
    caller = principal.caller
    # the export (导出 Excel) and the printable duty reports (值班日报、周报、月报), for the roles allowed them
    export = "evaluation.export" in current_app.view_functions and allowed("evaluation.export", caller)
    report = allowed("web.evaluation_report", caller)
    return render_template(
        "evaluation.html",
        principal=principal,
        csrf_token=principal.web_session.csrf_token if principal.web_session else "",
        sees_command=allowed("web.command", caller),
        config={
            "role": str(principal.account.role),
            "area": principal.account.bound_to,
            "basemap": _basemap(),
            # what this role may read besides the figures (the auditor reads no
            # map layers and no events: the page then shows neither)
            "map": allowed("layers.features", caller),
            "events": allowed("events.read_event", caller),
            "export": "/api/v1/evaluation/export" if export else None,
            "report": "/evaluation/report" if report else None,
        },
    )


def _role_page(template: str, **extra):
    """A page of one role's work: the caller's name and role, and the session's CSRF token for its fetch calls."""
    from gisapp.api import access
    from gisapp.domain.security import ROLE_LABELS

    principal = access.current()
    return render_template(
        template,
        principal=principal,
        role_label=ROLE_LABELS[principal.account.role],
        csrf_token=principal.web_session.csrf_token if principal.web_session else "",
        **extra,
    )


@bp.get("/planner")
def planner():
    """The grid planner's editor (网格规划): reshape, split, merge, create, check, save, history."""
    from gisapp.domain.layers import catalogue

    # the new grid's form: a field per writable property of the grids layer, with its declared rules
    return _role_page("planner.html", grid_fields=catalogue()["grids"].writable)


@bp.get("/officer")
def officer():
    """The grid officer's phone page (网格员): my grid, my position, my tasks, reports, duty status."""
    return _role_page("officer.html")


@bp.get("/evaluation/report")
def evaluation_report():
    """The printable duty report (值班日报、周报、月报) of the caller's county or township."""
    from gisapp.web.report import show_report

    return show_report()


@bp.route("/login", methods=["GET", "POST"])
def login():
    from gisapp.web.login import show_login, submit_login

    return submit_login() if request.method == "POST" else show_login()


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password (the way out of an expired one)."""
    from gisapp.web.login import show_password, submit_password

    return submit_password() if request.method == "POST" else show_password()


@bp.post("/logout")
def logout():
    from gisapp.api.access import SESSION_COOKIE
    from gisapp.web.login import end_login

    end_login()
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
