"""SQL lives in sql/ and the services (and db.py's engine settings): the CLI, the API views and the pages call
services; a statement written in one of them fails here with its file and line."""

import re

from gisapp.config import PROJECT_ROOT

APP = PROJECT_ROOT / "gisapp"
EDGES = [
    APP / "cli.py",
    APP / "__init__.py",
    *sorted((APP / "api").rglob("*.py")),
    *sorted((APP / "web").rglob("*.py")),
]
SQL = re.compile(r"\bfrom sqlalchemy import .*\btext\b|\.execute\(|\b(SELECT|INSERT|UPDATE|DELETE|LISTEN)\s+[a-z*(]")


def test_no_sql_in_the_cli_the_views_or_the_pages():
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}"
        for path in EDGES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line) and "execute_script" not in line
    ]
    assert not found, "SQL outside sql/ and the services:\n" + "\n".join(found)
