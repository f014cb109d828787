"""Server-rendered pages; front-end libraries come from npm and are bundled by flask-assets."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_assets import Bundle, Environment

from gisapp.config import PROJECT_ROOT

bp = Blueprint("web", __name__, template_folder="templates")

BUNDLES = {
    "map_js": Bundle("leaflet/dist/leaflet.js", "js/i18n.js", "js/map.js", output="gen/map.%(version)s.js"),
    "map_css": Bundle("leaflet/dist/leaflet.css", "css/app.css", output="gen/map.%(version)s.css"),
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
    """The county overview map (the full dashboard comes with the map issue)."""
    return render_template("map.html")
