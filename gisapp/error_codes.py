"""Where each error code is raised, read from the source; and the error table of docs/api.md.

The catalogue (gisapp/errors.py, CATALOGUE) says what a code means and its HTTP status; this module finds
every code the package can raise, so a test can fail when one is missing from the catalogue, and writes
the table with the modules that raise each code:

    python -m gisapp.error_codes --write     # rewrites the table in docs/api.md
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from gisapp.errors import CATALOGUE

PACKAGE = Path(__file__).resolve().parent
DOC = PACKAGE.parent / "docs" / "api.md"
BEGIN, END = "<!-- error codes: begin (python -m gisapp.error_codes --write) -->", "<!-- error codes: end -->"
# exceptions that carry a code into an AppError elsewhere (security.PolicyViolation -> ValidationFailed 422;
# domain/layers._Refused -> a property problem, raised by edits as ValidationFailed 422)
CODE_CARRIERS = {"PolicyViolation": 0, "_Refused": 0}
# the body declarations of gisapp/domain/body.py: the position of a Field's code (a Body's are keywords only)
DECLARATIONS = {"Field": 2, "Body": None}


@dataclass(frozen=True)
class Raised:
    """A code the source raises (pattern: an f-string such as invalid_{name}, as a regular expression)."""

    code: str
    module: str
    pattern: bool = False


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(p.relative_to(PACKAGE.parent)), ast.parse(p.read_text(encoding="utf-8")))
        for p in sorted(PACKAGE.rglob("*.py"))
    ]


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _error_classes(trees) -> dict[str, str | None]:
    """Every AppError subclass in the package -> its own `code` (None: inherited)."""
    classes = {"AppError": "bad_request"}
    defs = [node for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in defs:
            if node.name not in classes and any(_name(b) in classes for b in node.bases):
                own = [
                    st.value.value
                    for st in node.body
                    if isinstance(st, ast.Assign)
                    and isinstance(st.value, ast.Constant)
                    and any(getattr(t, "id", "") == "code" for t in st.targets)
                ]
                classes[node.name] = own[0] if own else None
                grew = True
    return classes


def _helpers(trees, classes) -> dict[tuple[str | None, str], int]:
    """Functions passing their `code` parameter on to an error or to another such function:
    (module, name) -> the parameter's position; module None for public names, used across modules."""
    found: dict[tuple[str | None, str], int] = {(None, name): index for name, index in CODE_CARRIERS.items()}
    grew = True
    while grew:
        grew = False
        for module, tree in trees:
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or _helper_key(module, fn.name) in found:
                    continue
                params = [a.arg for a in fn.args.args]
                if "code" in params and any(_passes_code(c, module, classes, found) for c in ast.walk(fn)):
                    found[_helper_key(module, fn.name)] = params.index("code") - (params[:1] == ["self"])
                    grew = True
    return found


def _helper_key(module: str, name: str) -> tuple[str | None, str]:
    return (module if name.startswith("_") else None, name)


def _helper_index(helpers, module: str, name: str) -> int | None:
    return helpers.get((module, name), helpers.get((None, name)))


def _passes_code(call: ast.AST, module: str, classes, helpers) -> bool:
    if not isinstance(call, ast.Call):
        return False
    is_code = lambda e: isinstance(e, ast.Name) and e.id == "code"  # noqa: E731
    if any(kw.arg == "code" and is_code(kw.value) for kw in call.keywords):
        return _name(call.func) in classes or _helper_index(helpers, module, _name(call.func)) is not None
    index = _helper_index(helpers, module, _name(call.func))
    return index is not None and len(call.args) > index and is_code(call.args[index])


def _codes_in(expr: ast.expr) -> list[tuple[str, bool]]:
    """String constants (and f-string patterns) an expression can evaluate to."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [(expr.value, False)]
    if isinstance(expr, ast.IfExp):
        return _codes_in(expr.body) + _codes_in(expr.orelse)
    if isinstance(expr, ast.JoinedStr):
        return [
            ("".join(re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+" for v in expr.values), True)
        ]
    return []


def raised_codes() -> list[Raised]:
    """Every code the package raises, with the module raising it."""
    trees = _modules()
    classes = _error_classes(trees)
    helpers = _helpers(trees, classes)
    out: list[Raised] = []
    for module, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and classes.get(node.name):
                out.append(Raised(classes[node.name], module))
            if isinstance(node, ast.Dict):  # a query schema's field metadata: {"error_code": "..."}
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "error_code":
                        out += [Raised(c, module, p) for c, p in _codes_in(value)]
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in DECLARATIONS:
                out += [Raised(c, module, p) for c, p in _declared_codes(node, DECLARATIONS[name])]
            if name in classes:
                given = [kw.value for kw in node.keywords if kw.arg == "code"]
                codes = _codes_in(given[0]) if given else ([(_default(name, classes), False)])
                out += [Raised(c, module, p) for c, p in codes if c]
            elif _helper_index(helpers, module, name) is not None:
                index = _helper_index(helpers, module, name)
                given = [kw.value for kw in node.keywords if kw.arg == "code"]
                arg = given[0] if given else node.args[index] if len(node.args) > index else None
                out += [Raised(c, module, p) for c, p in (_codes_in(arg) if arg is not None else [])]
    return out


def _declared_codes(call: ast.Call, position: int | None) -> list[tuple[str, bool]]:
    """The codes a body declaration (gisapp/domain/body.py) answers: a Field's code (3rd argument), `missing`,
    `codes`; a Body's `extra_codes` and the refusals of every body (invalid_body, unknown_field)."""
    found = [call.args[position]] if position is not None and len(call.args) > position else []
    for kw in call.keywords:
        if kw.arg in ("code", "missing"):
            found.append(kw.value)
        elif kw.arg in ("codes", "extra_codes") and isinstance(kw.value, (ast.Tuple, ast.List)):
            found += kw.value.elts
    codes = [c for e in found for c in _codes_in(e)]
    return codes + ([("invalid_body", False), ("unknown_field", False)] if position is None else [])


def _default(name: str, classes: dict[str, str | None]) -> str | None:
    return classes.get(name) or {"ValidationFailed": "validation_failed"}.get(name)


def missing_from_catalogue(raised: list[Raised] | None = None) -> list[Raised]:
    """Raised codes the catalogue does not list (a pattern needs at least one listed code it matches)."""
    raised = raised_codes() if raised is None else raised
    return [
        r for r in raised if not (any(re.fullmatch(r.code, c) for c in CATALOGUE) if r.pattern else r.code in CATALOGUE)
    ]


def where_used(raised: list[Raised] | None = None) -> dict[str, list[str]]:
    """code -> the modules raising it; a code built by an f-string (invalid_{name}) is credited to the
    pattern's modules only when no module names it literally."""
    raised = raised_codes() if raised is None else raised
    where: dict[str, set[str]] = defaultdict(set)
    for r in raised:
        if not r.pattern:
            where[r.code].add(r.module)
    by_pattern: dict[str, set[str]] = defaultdict(set)
    for r in (r for r in raised if r.pattern):
        for code in CATALOGUE:
            if re.fullmatch(r.code, code) and code not in where:
                by_pattern[code].add(r.module)
    where.update(by_pattern)
    from gisapp.api.errors import HTTP_CODES  # the codes of the framework's own errors (405, 406, 500 ...)

    for code in HTTP_CODES.values():
        where[code].add("gisapp/api/errors.py")
    return {code: sorted(modules) for code, modules in where.items()}


def markdown() -> str:
    """The error table of docs/api.md: every catalogued code, its status, meaning and where it is raised."""
    where = where_used()
    rows = ["| code | status | meaning | raised in |", "|---|---|---|---|"]
    for entry in sorted(CATALOGUE.values(), key=lambda e: (e.status, e.code)):
        modules = ", ".join(f"`{m.removeprefix('gisapp/')}`" for m in where.get(entry.code, [])) or "(framework)"
        rows.append(f"| `{entry.code}` | {' or '.join(map(str, entry.statuses))} | {entry.meaning} | {modules} |")
    return "\n".join(rows)


def document_section(text: str) -> str:
    """docs/api.md with its error table regenerated."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(document_section(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(markdown())
