"""Event analysis (信息研判, standard 7.1.1.5): hot and cold grids, and the categories on the rise."""

from __future__ import annotations

from datetime import datetime

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import OneOf
from flask import jsonify

from gisapp.api import access, db_session
from gisapp.api.params import load_query
from gisapp.api.schemas import CodeName, error_responses
from gisapp.domain.analysis import COUNTY_TZ, DEFAULT_DAYS, EMERGING_MIN_COUNT, EMERGING_RATIO, PREVIOUS_PERIODS, Period
from gisapp.domain.evaluation import MAX_PERIOD_DAYS, PERIOD_CODES, parse_period
from gisapp.services.evaluation.figures import area_of
from gisapp.services.evaluation.hotspots import emerging_trends, hot_spot_features, hot_spots

bp = APIBlueprint("analysis", __name__, url_prefix="/api/v1/analysis", tag="analysis")


class PeriodQuery(Schema):
    # documents the parameters; domain/evaluation.parse_period reads them (the API's one period parser)
    from_ = String(
        data_key="from",
        metadata={
            "description": f"first day counted, YYYY-MM-DD, county time (default: {DEFAULT_DAYS} days before `to`)"
        },
    )
    to = String(
        metadata={
            "description": "first day NOT counted, YYYY-MM-DD (default: tomorrow, so today is "
            f"counted); the period holds 1 to {MAX_PERIOD_DAYS} days"
        }
    )


class HotSpotQuery(PeriodQuery):
    category = String(
        metadata={
            "error_code": "unknown_category",
            "description": "a category code from /api/v1/categories (default: all)",
        }
    )
    format = String(
        validate=OneOf(["json", "geojson"]),
        metadata={
            "error_code": "invalid_format",
            "description": "json (default): every grid; geojson: a FeatureCollection of the "
            "significant grids with their shapes (EPSG:4326)",
        },
    )


class PeriodOut(Schema):
    from_ = String(data_key="from", attribute="from")
    to = String()


class HotSpotGrid(Schema):
    code = String()
    name = String()
    count = Integer(metadata={"description": "accepted events in the grid in the period"})
    z = Float(metadata={"description": "Gi* z-score"})
    p = Float(metadata={"description": "two-sided p-value (normal approximation)"})
    class_ = String(
        data_key="class",
        attribute="class",
        metadata={"description": "hot_99, hot_95, hot_90, not_significant, cold_90, cold_95, cold_99"},
    )


class HotSpotSummary(Schema):
    hot = Integer()
    cold = Integer()


class HotSpotsOut(Schema):
    period = Nested(PeriodOut)
    category = Nested(CodeName, allow_none=True, metadata={"description": "null: all categories"})
    method = Dict(metadata={"description": "statistic, library versions, weights, p-value, levels"})
    grids = List(Nested(HotSpotGrid), metadata={"description": "every grid of the caller's area, by code"})
    summary = Nested(HotSpotSummary)


class TrendItem(Schema):
    category = String()
    name = String()
    count = Integer()
    previous_mean = Float()
    ratio = Float(allow_none=True, metadata={"description": "count / previous_mean; null when that mean is 0"})
    emerging = Boolean(
        metadata={"description": f"count >= {EMERGING_MIN_COUNT} and ratio >= {EMERGING_RATIO} (or previous_mean 0)"}
    )


class TrendsOut(Schema):
    period = Nested(PeriodOut)
    previous_periods = List(Nested(PeriodOut), metadata={"description": "the nearest first"})
    items = List(Nested(TrendItem))


def _period(args: dict) -> Period:
    return parse_period(
        args.get("from_"), args.get("to"), today=datetime.now(COUNTY_TZ).date(), default_days=DEFAULT_DAYS
    )


@bp.get("/hotspots")
@bp.input(HotSpotQuery, location="query", validation=False)
@bp.output(HotSpotsOut)
@bp.doc(
    summary="Hot and cold grids of the caller's county or township (Getis-Ord Gi* of the accepted events per "
    "grid in the period [from, to), significant at 99/95/90 %)",
    responses=error_responses(
        "unknown_category",
        "invalid_format",
        *PERIOD_CODES[1:],  # both have defaults: never missing_period
        "unknown_parameter",
        "repeated_parameter",
    ),
)
def hotspots(query_data):
    args = load_query(HotSpotQuery())
    session = db_session()  # the counts fold pending steps into the facts themselves
    analysis = hot_spots(session, area_of(access.current().account), args.get("category"), _period(args))
    session.commit()  # keeps what the counts folded, and a refresh of the adjacency graph if reading needed one
    if args.get("format") == "geojson":
        response = jsonify(hot_spot_features(session, analysis))
        response.mimetype = "application/geo+json"
        return response
    return analysis


@bp.get("/trends")
@bp.input(PeriodQuery, location="query", validation=False)
@bp.output(TrendsOut)
@bp.doc(
    summary=f"Each category's accepted events in the caller's area in the period [from, to) against the mean "
    f"of the {PREVIOUS_PERIODS} periods of the same length before it; emerging ones first",
    responses=error_responses(
        *PERIOD_CODES[1:],  # both have defaults: never missing_period
        "unknown_parameter",
        "repeated_parameter",
    ),
)
def trends(query_data):
    args = load_query(PeriodQuery())
    session = db_session()
    answer = emerging_trends(session, area_of(access.current().account), _period(args))
    session.commit()  # keeps what the counts folded into the facts
    return answer
