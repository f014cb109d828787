"""Evaluation (考核, standard clause 8): figures by scope and period, traced to their events, with trends and
workload. Thin views: the query string is parsed once (domain/evaluation.parse_query), the service answers."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import Response, request, url_for

from gisapp.api import access, audit_key, db_session, require_json_body
from gisapp.api.schemas import error_responses
from gisapp.domain.areas import county_code
from gisapp.domain.evaluation import KPIS, PERIOD_CODES, ScopeKind, parse_query
from gisapp.domain.evaluation_export import parse_export
from gisapp.domain.evaluation_score import parse_publication, parse_score_scope, parse_scorecard_filter
from gisapp.errors import ValidationFailed
from gisapp.services.evaluation import figures as service
from gisapp.services.evaluation import scorecards as published
from gisapp.services.evaluation.export import export as export_file

bp = APIBlueprint("evaluation", __name__, url_prefix="/api/v1/evaluation", tag="evaluation")
bp.before_request(require_json_body)

PERIOD = frozenset({"from", "to"})
BAD_QUERY = (
    "unknown_parameter, unknown_scope, missing_period, invalid_from, invalid_to, invalid_period, "
    "period_too_long, invalid_code, invalid_limit, invalid_offset"
)


def caller_area() -> service.Area:
    return service.area_of(access.current().account)


def query_args() -> dict:
    """The query string, first value of each name (a repeated name is refused)."""
    repeated = [name for name in request.args if len(request.args.getlist(name)) > 1]
    if repeated:
        raise ValidationFailed(
            f"{repeated[0][:40]!r} is given more than once", code="repeated_parameter", field=repeated[0][:40]
        )
    return request.args.to_dict()


def _ready():
    return service.folded(db_session())


@bp.get("")
@bp.doc(
    summary="Figures of each township, community, grid, team, member or department of the caller's area for "
    "[from, to) (dates, China Standard Time), each with numerator and denominator, the previous "
    "period (环比) and the same period a year before (同比)",
    responses=error_responses(
        "unit_not_found",
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_code",
        "invalid_limit",
        "invalid_offset",
        "scope_above_area",
    ),
)
def figures():
    query = parse_query(
        query_args(), allowed=PERIOD | {"scope", "code", "limit", "offset"}, default_scope=ScopeKind.TOWNSHIP
    )
    area = caller_area()
    answer = service.evaluate(
        _ready(), area, query.scope, query.period, code=query.code, limit=query.limit, offset=query.offset
    )
    answer["kpis"] = [
        {
            "key": k.key,
            "name": k.zh,
            "name_en": k.en,
            "formula": k.formula_zh,
            "formula_en": k.formula_en,
            "kind": str(k.kind),
            "higher_is_better": k.higher_is_better,
        }
        for k in KPIS
    ]
    return answer


@bp.get("/drill")
@bp.doc(
    summary="The events counted in one figure's numerator or denominator for one unit (paged by id)",
    responses=error_responses(
        "unit_not_found",
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_code",
        "invalid_limit",
        "invalid_offset",
        "unknown_kpi",
        "missing_kpi",
        "unknown_part",
        "missing_code",
        "no_denominator",
    ),
)
def drill():
    query = parse_query(
        query_args(), allowed=PERIOD | {"scope", "code", "kpi", "part", "limit", "offset"}, max_limit=500
    )
    if query.kpi is None:
        raise ValidationFailed("kpi is required: the figure to trace", code="missing_kpi", field="kpi")
    if query.code is None:
        raise ValidationFailed("code is required: the unit whose figure is traced", code="missing_code", field="code")
    return service.drill(
        _ready(),
        caller_area(),
        query.kpi,
        query.part,
        query.scope,
        query.code,
        query.period,
        limit=query.limit,
        offset=query.offset,
    )


@bp.get("/trend")
@bp.doc(
    summary="One unit's figures day by day or month by month over [from, to)",
    responses=error_responses(
        "unit_not_found",
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_code",
        "invalid_limit",
        "invalid_offset",
        "unknown_bucket",
        "missing_code",
        "trend_too_long",
    ),
)
def trend():
    query = parse_query(query_args(), allowed=PERIOD | {"scope", "code", "bucket"}, default_scope=ScopeKind.COUNTY)
    area = caller_area()
    code = query.code or area.code
    scope = query.scope if query.code else (ScopeKind.COUNTY if area.is_county else ScopeKind.TOWNSHIP)
    return service.trend(_ready(), area, scope, code, query.period, query.bucket)


@bp.get("/workload")
@bp.doc(
    summary="Events reported and accepted in [from, to) by category, kind, channel or level (clause 8.3), "
    "in the caller's area or one of its townships",
    responses=error_responses(
        "unit_not_found",
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_code",
        "invalid_limit",
        "invalid_offset",
        "unknown_by",
    ),
)
def workload():
    query = parse_query(query_args(), allowed=PERIOD | {"by", "code"}, default_scope=ScopeKind.TOWNSHIP)
    return service.workload(_ready(), caller_area(), query.period, query.by, query.code)


# ----------------------------------------------------------------------------- scorecards (clause 8.4)


@bp.get("/ranking")
@bp.doc(
    summary="The live (unpublished) ranking of the townships, teams or departments of the caller's area for "
    "[from, to), scored with the county's current weights (docs/evaluation.md)",
    responses=error_responses(
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_code",
        "invalid_limit",
        "invalid_offset",
        "scope_above_area",
    ),
)
def ranking():
    query = parse_query(query_args(), allowed=PERIOD | {"scope"}, default_scope=ScopeKind.TOWNSHIP)
    scope = parse_score_scope(str(query.scope))
    area = caller_area()
    session = _ready()
    return published.ranking(
        session, area, scope, query.period, weights=published.current_weights(session, county_code(area.code))
    )


def _county() -> str:
    return county_code(caller_area().code)


@bp.get("/scorecards")
@bp.doc(
    summary="The published scorecards of the caller's county (without their rows), newest period first; "
    "of one scope, or overlapping [from, to)",
    responses=error_responses(
        "unknown_parameter",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_limit",
        "invalid_offset",
    ),
)
def scorecards():
    wanted = parse_scorecard_filter(query_args())
    return published.list_scorecards(
        db_session(), _county(), wanted.scope, wanted.period, limit=wanted.limit, offset=wanted.offset
    )


@bp.get("/scorecards/<int:scorecard_id>")
@bp.doc(
    summary="One published scorecard: each unit's rank, score, figures, subscores and the weights used",
    responses=error_responses("scorecard_not_found"),
)
def scorecard(scorecard_id: int):
    return published.scorecard(db_session(), _county(), scorecard_id)


@bp.post("/scorecards")
@bp.doc(
    summary="Publish the scorecard of a scope (township, team, department) and an ended period of the county: "
    "stored with the weights used and never changed; a retry with the same client_ref answers the "
    "first (200)",
    responses=error_responses(
        "scorecard_exists",
        "client_ref_conflict",
        "invalid_body",
        "unknown_field",
        "missing_scope",
        "unknown_scope",
        *PERIOD_CODES,
        "invalid_client_ref",
        "period_not_over",
    ),
)
def publish_scorecard():
    publication = parse_publication(request.get_json(silent=True))
    principal = access.current()
    session = _ready()
    card, created = published.publish(session, audit_key(), principal.actor, _county(), publication)
    session.commit()
    if not created:
        return card, 200
    return card, 201, {"Location": url_for("evaluation.scorecard", scorecard_id=card["id"])}


@bp.get("/export")
@bp.doc(
    summary="The figures of the caller's area as an Excel workbook (a sheet per scope it sees, and 指标说明 "
    "with the formulas) or one scope as CSV (UTF-8 with BOM); audited",
    responses=error_responses(
        "unknown_parameter",
        "unknown_format",
        "missing_scope",
        "unknown_scope",
        *PERIOD_CODES,
        "scope_above_area",
    ),
)
def export():
    query = parse_export(query_args())
    principal = access.current()
    area = caller_area()
    session = _ready()
    made = export_file(session, audit_key(), principal.actor, area, query.format, query.scope, query.period)
    session.commit()
    return Response(
        made.data,
        mimetype=made.media_type.split(";")[0],
        headers={
            "Content-Type": made.media_type,
            "Content-Disposition": made.content_disposition,
            "Cache-Control": "no-store",
        },
    )
