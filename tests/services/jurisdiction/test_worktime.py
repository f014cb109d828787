"""The county's calendar: the package's data with work_calendar_days over it (real PostGIS, rolled back)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import text

from gisapp.services.jurisdiction.worktime import load_calendar

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 28)


def add_day(session, day, kind, name=""):
    session.execute(
        text("INSERT INTO work_calendar_days (day, kind, name) VALUES (:d, :k, :n)"), {"d": day, "k": kind, "n": name}
    )


def test_a_holiday_entered_by_the_county_moves_the_deadline(session):
    start = datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # an ordinary Monday
    before = load_calendar(session, today=TODAY).add(start, 1, "work_days")
    add_day(session, date(2026, 3, 10), "holiday", "本地停工")
    after = load_calendar(session, today=TODAY).add(start, 1, "work_days")
    assert before.astimezone(SH) == datetime(2026, 3, 10, 10, 0, tzinfo=SH)
    assert after.astimezone(SH) == datetime(2026, 3, 11, 10, 0, tzinfo=SH)


def test_a_row_overrides_the_package_both_ways(session):
    holiday = min(d for d in chinese_calendar.holidays if d.year == 2026 and d.weekday() < 5)
    adjusted = min(d for d in chinese_calendar.workdays if d.year == 2026)
    assert not load_calendar(session, today=TODAY).is_working_day(holiday)
    add_day(session, holiday, "workday")
    add_day(session, adjusted, "holiday")
    cal = load_calendar(session, today=TODAY)
    assert cal.is_working_day(holiday) and not cal.is_working_day(adjusted)


def test_a_year_the_package_does_not_know_comes_from_the_table(session):
    year = max(d.year for d in chinese_calendar.holidays) + 1
    assert not load_calendar(session, today=TODAY).covers(date(year, 1, 1))
    add_day(session, date(year, 1, 1), "holiday", "元旦")
    cal = load_calendar(session, today=TODAY)
    assert cal.covers(date(year, 1, 1)) and not cal.is_working_day(date(year, 1, 1))


def test_working_hours_and_zone_are_configurable(session):
    cal = load_calendar(session, hours=[("09:00", "18:00")], tz="Asia/Shanghai", today=TODAY)
    due = cal.add(datetime(2026, 3, 9, 17, 0, tzinfo=SH), 2, "work_hours")
    assert due.astimezone(SH) == datetime(2026, 3, 10, 10, 0, tzinfo=SH)
