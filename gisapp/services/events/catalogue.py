"""The event-category catalogue (standard clause 5)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def list_categories(session: Session) -> list[dict]:
    """Every sub-category with its kind, department, priority, level and time limits."""
    rows = session.execute(
        text("""
        SELECT c.code, c.name, c.name_en, c.kind_code, k.name AS kind_name, c.level, c.priority,
               c.response_minutes, c.handling_minutes, c.handling_unit, c.handling_amount,
               d.code AS department_code, d.name AS department_name
        FROM categories c
        JOIN category_kinds k ON k.code = c.kind_code
        JOIN departments d ON d.code = c.department_code
        ORDER BY c.kind_code, c.code""")
    ).mappings()
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "name_en": r["name_en"],
            "kind": r["kind_code"],
            "kind_name": r["kind_name"],
            "level": r["level"],
            "department": {"code": r["department_code"], "name": r["department_name"]},
            "priority": r["priority"],
            "limits": {
                "response_minutes": r["response_minutes"],
                "handling_minutes": r["handling_minutes"],
                "handling_unit": r["handling_unit"],
                "handling_amount": None if r["handling_amount"] is None else float(r["handling_amount"]),
            },
        }
        for r in rows
    ]
