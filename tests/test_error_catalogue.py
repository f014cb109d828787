"""One catalogue of error codes (gisapp/errors.py): every code the source raises is in it, docs/api.md's
table is generated from it, and the OpenAPI error responses built from it name only catalogued codes."""

from __future__ import annotations

import pytest

from gisapp.error_codes import DOC, Raised, document_section, missing_from_catalogue, raised_codes, where_used
from gisapp.errors import CATALOGUE


def test_every_code_raised_in_gisapp_is_in_the_catalogue():
    missing = missing_from_catalogue()
    assert not missing, "add to CATALOGUE in gisapp/errors.py: " + ", ".join(f"{r.code} ({r.module})" for r in missing)


def test_every_catalogued_code_is_raised_somewhere():
    unused = sorted(set(CATALOGUE) - set(where_used()))
    assert not unused, f"catalogued but raised nowhere (remove them, or the scanner misses a way of raising): {unused}"


def test_the_scanner_sees_the_ways_codes_are_raised():
    codes = {r.code for r in raised_codes()}
    # a keyword (intake), a helper's positional code (lifecycle._bad), a class attribute (NotYourStep), a helper
    # passing code on to a helper (intake._optional_text), an exception carrying a code (PolicyViolation)
    assert {
        "unknown_priority",
        "unknown_action",
        "not_your_step",
        "invalid_description",
        "password_too_short",
        "csrf_failed",
        "number_out_of_range",
    } <= codes
    assert missing_from_catalogue([Raised("no_such_code_anywhere", "gisapp/x.py")])


def test_the_error_table_of_docs_api_md_is_generated_from_the_catalogue():
    text = DOC.read_text(encoding="utf-8")
    assert text == document_section(text), "run: python -m gisapp.error_codes --write"


def test_the_openapi_error_responses_name_only_catalogued_codes(app_spec):
    for path, operations in app_spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                enum = schema.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum")
                for code in enum or []:
                    assert code in CATALOGUE and int(status) in CATALOGUE[code].statuses, (path, method, code)


def test_the_intake_document_lists_the_fields_and_codes_the_parser_has(app_spec):
    from gisapp.domain.intake import ALLOWED_FIELDS

    assert set(app_spec["components"]["schemas"]["EventIn"]["properties"]) == ALLOWED_FIELDS
    responses = app_spec["paths"]["/api/v1/events"]["post"]["responses"]
    assert (
        "unknown_priority"
        in responses["422"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"][
            "enum"
        ]
    )


def test_every_error_response_of_the_document_comes_from_the_catalogue(app_spec):
    # an error answer documented as free text (the old error_response helper) names no codes: refuse it
    for path, operations in app_spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if int(status) < 400 or "error" not in schema.get("properties", {}):
                    continue  # not the project's error shape (a health answer, the framework's own)
                enum = schema["properties"]["error"].get("properties", {}).get("code", {}).get("enum")
                assert enum, f"{method.upper()} {path} {status}: list its codes with error_responses(...)"


def test_no_route_documents_an_error_as_free_text():
    from pathlib import Path

    import gisapp.api.schemas as schemas

    assert not hasattr(schemas, "error_response"), "error_responses(*codes) builds errors from the catalogue"
    api = Path(schemas.__file__).parent
    assert not [p.name for p in api.glob("*.py") if "error_response(" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize(
    "path, method, component, declaration",
    [
        # each body declared in the domain: the document lists its fields and every code reading it answers
        ("/api/v1/events", "post", "EventIn", "gisapp.domain.intake:EVENT_REPORT"),
        ("/api/v1/events/{event_id}/actions", "post", "StepIn", "gisapp.domain.lifecycle:STEP"),
        ("/api/v1/communities/{code}/grids", "put", "GridEditIn", "gisapp.domain.grid_edit:EDIT"),
        ("/api/v1/grids/{code}/split", "post", "GridSplitIn", "gisapp.domain.grid_edit:SPLIT"),
        ("/api/v1/grids/{code}/restore", "post", "GridRestoreIn", "gisapp.domain.grid_edit:RESTORE"),
    ],
)
def test_a_declared_body_is_documented_with_its_fields_and_codes(app_spec, path, method, component, declaration):
    import importlib

    module, name = declaration.split(":")
    body = getattr(importlib.import_module(module), name)
    assert set(app_spec["components"]["schemas"][component]["properties"]) == body.names
    documented = {
        code
        for response in app_spec["paths"][path][method]["responses"].values()
        for code in response.get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("properties", {})
        .get("error", {})
        .get("properties", {})
        .get("code", {})
        .get("enum", [])
    }
    assert set(body.codes()) <= documented


@pytest.fixture(scope="module")
def app_spec():
    from gisapp import create_app
    from gisapp.config import Settings

    app = create_app(Settings(database_url="postgresql+psycopg2://nobody@127.0.0.1:1/none"))  # the document only
    return app.spec
