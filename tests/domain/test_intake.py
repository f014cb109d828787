"""Validation of event reports: each defect has its own stable code (pure, no database)."""

import pytest

from gisapp.domain.events import Channel
from gisapp.domain.intake import parse_event_report
from gisapp.errors import ValidationFailed
from gisapp.spatial.crs import Crs

VALID = {
    "category": "urban.littering",
    "description": "垃圾堆放",
    "location": {"type": "Point", "coordinates": [118.8, 32.05]},
    "channel": "patrol",
}


def with_(**changes):
    body = dict(VALID)
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def test_minimal_report_defaults_to_wgs84_and_no_reporter():
    report = parse_event_report(VALID)
    assert report.crs is Crs.WGS84
    assert report.channel is Channel.PATROL
    assert (report.point.lon, report.point.lat) == (118.8, 32.05)
    assert report.reporter_name is None and report.client_ref is None


def test_full_report_keeps_reporter_and_client_ref():
    report = parse_event_report(
        with_(crs="GCJ-02", reporter={"name": "张三", "phone": "138 0000 1234"}, client_ref="app-1")
    )
    assert report.crs is Crs.GCJ02
    assert (report.reporter_name, report.reporter_phone, report.client_ref) == ("张三", "138 0000 1234", "app-1")


@pytest.mark.parametrize(
    "body, code",
    [
        # the body must be an object, not a list or a string
        ([1, 2], "invalid_body"),
        # typos in field names must not be silently dropped
        (with_(categry="x"), "unknown_field"),
        (with_(category=...), "missing_category"),
        # an empty or non-string category is as good as missing
        (with_(category="  "), "missing_category"),
        (with_(category=12), "missing_category"),
        (with_(location=...), "missing_location"),
        (with_(location=None), "missing_location"),
        # a bare pair instead of a GeoJSON Point
        (with_(location=[118.8, 32.05]), "malformed_location"),
        (with_(location={"type": "LineString", "coordinates": [[1, 2], [3, 4]]}), "malformed_location"),
        (with_(location={"type": "Point"}), "malformed_location"),
        # strings, booleans, nulls, three values and non-finite numbers are not coordinates
        (with_(location={"type": "Point", "coordinates": ["118.8", "32.05"]}), "invalid_coordinates"),
        (with_(location={"type": "Point", "coordinates": [True, 32.05]}), "invalid_coordinates"),
        (with_(location={"type": "Point", "coordinates": [118.8, None]}), "invalid_coordinates"),
        (with_(location={"type": "Point", "coordinates": [118.8, 32.05, 10]}), "invalid_coordinates"),
        (with_(location={"type": "Point", "coordinates": [float("nan"), 32.05]}), "invalid_coordinates"),
        # lat/lon swapped puts latitude at 118.8: out of range
        (with_(location={"type": "Point", "coordinates": [32.05, 118.8]}), "coordinates_out_of_range"),
        (with_(location={"type": "Point", "coordinates": [180.5, 0]}), "coordinates_out_of_range"),
        (with_(crs="EPSG:3857"), "unknown_crs"),
        (with_(crs=4326), "unknown_crs"),
        (with_(channel=...), "missing_channel"),
        (with_(channel="twitter"), "unknown_channel"),
        (with_(reporter="张三"), "invalid_reporter"),
        (with_(reporter={"name": "张三", "phone": "call me"}), "invalid_reporter"),
        (with_(reporter={"name": "张三", "email": "a@b"}), "invalid_reporter"),
        (with_(client_ref=""), "invalid_client_ref"),
        (with_(client_ref="x" * 129), "invalid_client_ref"),
        (with_(client_ref=7), "invalid_client_ref"),
        (with_(description="x" * 2001), "invalid_description"),
    ],
)
def test_each_defect_has_its_own_code(body, code):
    with pytest.raises(ValidationFailed) as err:
        parse_event_report(body)
    assert err.value.code == code
    assert err.value.status == 422
    assert err.value.message


def test_fingerprint_ignores_client_ref_but_not_content():
    a = parse_event_report(with_(client_ref="r1"))
    b = parse_event_report(with_(client_ref="r2"))
    c = parse_event_report(with_(client_ref="r1", description="另一件事"))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()
