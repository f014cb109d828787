"""The pages' language: one catalog per language (messages/<lang>.json) for the templates and the scripts.

Simplified Chinese is the default; English is chosen with the language button, which keeps the choice
in the `gisapp_lang` cookie (a year). Templates call t("key"); scripts read the same catalog from the
page (a JSON block, not a script: the CSP allows no inline code). Times are shown in China Standard Time.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, request
from markupsafe import Markup

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "gisapp_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
CST = ZoneInfo("Asia/Shanghai")
MESSAGES = Path(__file__).parent / "messages"


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: str) -> dict[str, str]:
    """The strings of one language."""
    return json.loads((MESSAGES / f"{lang}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=len(LANGUAGES))
def catalog_block(lang: str) -> Markup:
    """The catalog as the page's JSON block, made once per language (every page carries it)."""
    # </ cannot end the JSON block early: json.dumps escapes no slash, so do it here
    return Markup(json.dumps({"lang": lang, "strings": catalog(lang)}, ensure_ascii=False).replace("</", "<\\/"))


def current_lang() -> str:
    """The language the browser chose (cookie), else Simplified Chinese."""
    chosen = request.cookies.get(COOKIE, DEFAULT)
    return chosen if chosen in LANGUAGES else DEFAULT


def translate(key: str, lang: str | None = None) -> str:
    """A string of the catalog; a missing key shows as itself (a test keeps both catalogs complete)."""
    return catalog(lang or current_lang()).get(key, key)


def cst(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time shown in China Standard Time (UTC+8, no daylight saving).

    >>> cst("2026-01-05T17:30:00Z")
    '2026-01-06 01:30'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(CST).strftime(fmt)


def register_i18n(app: Flask) -> None:
    """t(), lang, html_lang and the page's catalog in every template; the cst filter."""
    app.jinja_env.filters["cst"] = cst

    @app.context_processor
    def language():
        lang = current_lang()
        strings = catalog(lang)
        return {
            "t": lambda key: strings.get(key, key),
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "i18n_catalog": catalog_block(lang),
        }
