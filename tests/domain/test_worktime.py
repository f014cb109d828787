"""The working-time calendar: units, holidays and adjusted working days, pauses (pure, no database)."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gisapp.domain.worktime import WorkCalendar, normalise_pauses

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def local(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def shown(moment):
    """A result as local wall time, the way the expectations below are written."""
    assert moment.tzinfo is UTC
    return moment.astimezone(SH).strftime("%Y-%m-%d %H:%M")


def package_calendar(year=2026):
    """A calendar from the chinese-calendar package's data for one year, as the service builds it."""
    return WorkCalendar(
        holidays={d for d in chinese_calendar.holidays if d.year == year},
        workdays={d for d in chinese_calendar.workdays if d.year == year},
        known_years={year},
    )


def days_of(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


PLAIN = WorkCalendar()  # weekends only, 08:30-12:00 and 13:30-17:30
# a hand-made week: Wednesday 2026-03-11 is a holiday, Saturday 2026-03-14 is worked
HANDMADE = WorkCalendar(holidays={date(2026, 3, 11)}, workdays={date(2026, 3, 14)})


# --- which days are worked -------------------------------------------------------------------------


def test_every_day_of_2026_agrees_with_the_package():
    cal = package_calendar(2026)
    assert [cal.is_working_day(d) for d in days_of(2026)] == [chinese_calendar.is_workday(d) for d in days_of(2026)]


def test_spring_festival_2026_days_off_and_adjusted_weekend_days_come_from_the_package():
    cal = package_calendar(2026)
    festival = [d for d, name in chinese_calendar.holidays.items() if d.year == 2026 and name == "Spring Festival"]
    assert festival and not any(cal.is_working_day(d) for d in festival)
    # the adjusted working days around the festival are weekend days, and they are worked
    adjusted = [d for d in chinese_calendar.workdays if d.year == 2026 and abs((d - min(festival)).days) < 20]
    assert adjusted and all(d.weekday() >= 5 and cal.is_working_day(d) for d in adjusted)


def test_a_deadline_over_national_day_2026_skips_the_holiday_and_uses_the_adjusted_saturday():
    cal = package_calendar(2026)
    national = sorted(d for d, n in chinese_calendar.holidays.items() if d.year == 2026 and n == "National Day")
    eve = national[0] - timedelta(days=1)
    assert cal.is_working_day(eve)
    # three working days after the eve, counted with the package's own is_workday
    expected, day, left = None, eve, 3
    while left:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            left, expected = left - 1, day
    assert expected.weekday() >= 5  # the package's adjusted working Saturday after the holiday
    due = cal.add(datetime.combine(eve, time(10, 0), tzinfo=SH), 3, "work_days")
    assert due.astimezone(SH) == datetime.combine(expected, time(10, 0), tzinfo=SH)
    assert due.astimezone(SH).date() > national[-1]


def test_an_aware_datetime_stands_for_its_local_date():
    # 2026-03-13 20:00 UTC is Saturday 04:00 in Shanghai
    assert PLAIN.is_working_day(datetime(2026, 3, 13, 20, 0, tzinfo=UTC)) is False
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.is_working_day(datetime(2026, 3, 13, 20, 0))


def test_a_day_both_holiday_and_working_day_is_refused():
    with pytest.raises(ValueError, match="both holiday and working day"):
        WorkCalendar(holidays={date(2026, 3, 14)}, workdays={date(2026, 3, 14)})


# --- work_hours --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, hours, due",
    [
        # inside the morning, no boundary crossed
        (local(2026, 3, 9, 9, 0), 2, "2026-03-09 11:00"),
        # across the lunch break: 11:00-12:00 then 13:30-14:30
        (local(2026, 3, 9, 11, 0), 2, "2026-03-09 14:30"),
        # started in the lunch break: the clock starts at 13:30
        (local(2026, 3, 9, 12, 40), 1, "2026-03-09 14:30"),
        # overnight: 17:00-17:30 then next morning from 08:30
        (local(2026, 3, 9, 17, 0), 1, "2026-03-10 09:00"),
        # started in the evening: nothing counts until the next opening
        (local(2026, 3, 9, 21, 0), 1, "2026-03-10 09:30"),
        # across a weekend: Friday 16:00-17:30 then Monday
        (local(2026, 3, 6, 16, 0), 3, "2026-03-09 10:00"),
        # started on a Sunday
        (local(2026, 3, 8, 10, 0), 1, "2026-03-09 09:30"),
        # ending exactly at a close gives the close, not the next opening
        (local(2026, 3, 9, 16, 30), 1, "2026-03-09 17:30"),
        # a fraction of an hour
        (local(2026, 3, 9, 8, 30), 0.25, "2026-03-09 08:45"),
    ],
)
def test_work_hours_on_a_plain_calendar(start, hours, due):
    assert shown(PLAIN.add(start, hours, "work_hours")) == due


def test_work_hours_skip_a_holiday_and_count_an_adjusted_saturday():
    # Tuesday 2026-03-10 17:00: 30 min on Tuesday, Wednesday is a holiday, 7.5 h on Thursday,
    # 7.5 h on Friday, then the worked Saturday
    assert shown(HANDMADE.add(local(2026, 3, 10, 17, 0), 16, "work_hours")) == "2026-03-14 09:00"
    assert shown(PLAIN.add(local(2026, 3, 10, 17, 0), 16, "work_hours")) == "2026-03-13 09:00"


def test_zero_is_the_start_itself_in_utc():
    start = local(2026, 3, 8, 10, 0)
    assert PLAIN.add(start, 0, "work_hours") == start and PLAIN.add(start, 0, "work_hours").tzinfo is UTC


def test_other_working_hours_and_zone():
    cal = WorkCalendar(periods=[("09:00", "17:00")], tz="Asia/Urumqi")
    due = cal.add(datetime(2026, 3, 9, 16, 0, tzinfo=ZoneInfo("Asia/Urumqi")), 2, "work_hours")
    assert due.astimezone(ZoneInfo("Asia/Urumqi")).strftime("%d %H:%M") == "10 10:00"


@pytest.mark.parametrize(
    "periods",
    [
        # overnight period
        [("22:00", "06:00")],
        # overlapping periods
        [("08:00", "12:00"), ("11:00", "14:00")],
        # no period at all
        [],
    ],
)
def test_bad_working_periods_are_refused(periods):
    with pytest.raises(ValueError):
        WorkCalendar(periods=periods)


# --- work_days ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days, due",
    [
        # inside working hours: the same local time N working days later
        (local(2026, 3, 9, 10, 0), 1, "2026-03-10 10:00"),
        (local(2026, 3, 9, 15, 0), 3, "2026-03-12 15:00"),
        # over a weekend
        (local(2026, 3, 13, 10, 0), 1, "2026-03-16 10:00"),
        # after closing: the end of the next working day
        (local(2026, 3, 9, 19, 0), 1, "2026-03-10 17:30"),
        # before opening on a working day: that day counts, ending at its close
        (local(2026, 3, 9, 7, 0), 1, "2026-03-09 17:30"),
        # on a Saturday: the end of Monday
        (local(2026, 3, 14, 10, 0), 1, "2026-03-16 17:30"),
        # in the lunch break: counted from 13:30, ending at 12:00 (the same working time)
        (local(2026, 3, 9, 12, 30), 1, "2026-03-10 12:00"),
        # half a working day (3.75 h): the morning's 3.5 h and a quarter of an hour after lunch
        (local(2026, 3, 9, 8, 30), 0.5, "2026-03-09 13:45"),
    ],
)
def test_work_days_on_a_plain_calendar(start, days, due):
    assert shown(PLAIN.add(start, days, "work_days")) == due


def test_work_days_skip_a_holiday_and_count_an_adjusted_saturday():
    # Tuesday 10:00 + 3: Wednesday off, Thursday, Friday, worked Saturday
    assert shown(HANDMADE.add(local(2026, 3, 10, 10, 0), 3, "work_days")) == "2026-03-14 10:00"


# --- minutes -----------------------------------------------------------------------------------------


def test_minutes_are_wall_clock_at_night_and_on_holidays():
    assert shown(HANDMADE.add(local(2026, 3, 10, 23, 50), 30, "minutes")) == "2026-03-11 00:20"


# --- elapsed -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, unit, amount",
    [
        # a whole working week
        (local(2026, 3, 9), local(2026, 3, 16), "work_days", 5.0),
        # the holiday is not counted, the worked Saturday is
        (local(2026, 3, 9), local(2026, 3, 15), "work_hours", 5 * 7.5),
        # a night only
        (local(2026, 3, 9, 18, 0), local(2026, 3, 10, 8, 0), "work_hours", 0.0),
        # wall clock
        (local(2026, 3, 9, 18, 0), local(2026, 3, 10, 8, 0), "minutes", 14 * 60.0),
        # an end before the start counts nothing
        (local(2026, 3, 10), local(2026, 3, 9), "work_hours", 0.0),
    ],
)
def test_elapsed(start, end, unit, amount):
    assert HANDMADE.elapsed(start, end, unit) == amount


def test_share_of_a_limit_used():
    limit = 2  # work_days
    used = PLAIN.elapsed(local(2026, 3, 9, 10, 0), local(2026, 3, 10, 10, 0), "work_days") / limit
    assert used == 0.5


# --- pauses ------------------------------------------------------------------------------------------


def test_a_pause_during_working_hours_moves_the_deadline_by_its_working_time():
    start = local(2026, 3, 9, 9, 0)
    # extension pending Monday 10:00-11:00: one working hour stopped
    pause = (local(2026, 3, 9, 10, 0), local(2026, 3, 9, 11, 0))
    assert shown(PLAIN.add(start, 2, "work_hours", pauses=[pause])) == "2026-03-09 12:00"
    assert PLAIN.elapsed(start, local(2026, 3, 9, 12, 0), "work_hours", pauses=[pause]) == 2.0


def test_a_pause_outside_working_hours_changes_nothing_for_work_hours_but_does_for_minutes():
    start = local(2026, 3, 9, 17, 0)
    night = (local(2026, 3, 9, 18, 0), local(2026, 3, 10, 8, 0))
    assert PLAIN.add(start, 1, "work_hours", pauses=[night]) == PLAIN.add(start, 1, "work_hours")
    assert shown(PLAIN.add(start, 120, "minutes", pauses=[night])) == "2026-03-10 09:00"


def test_a_case_parked_over_days_and_a_pause_started_before_the_clock():
    start = local(2026, 3, 9, 10, 0)
    pauses = [
        (local(2026, 3, 9, 9, 0), local(2026, 3, 9, 11, 0)),  # before the start: 1 h of it counts
        (local(2026, 3, 10, 8, 0), local(2026, 3, 12, 8, 0)),
    ]  # parked Tuesday and Wednesday
    assert shown(PLAIN.add(start, 1, "work_days", pauses=pauses)) == "2026-03-12 11:00"
    assert PLAIN.elapsed(start, local(2026, 3, 12, 11, 0), "work_days", pauses=pauses) == 1.0


def test_overlapping_pauses_count_once():
    a, b, c = local(2026, 3, 9, 9, 0), local(2026, 3, 9, 10, 0), local(2026, 3, 9, 11, 0)
    assert normalise_pauses([(a, c), (b, c), (a, b)]) == ((a.astimezone(UTC), c.astimezone(UTC)),)
    assert (
        PLAIN.elapsed(local(2026, 3, 9, 8, 30), local(2026, 3, 9, 12, 0), "work_hours", pauses=[(a, c), (b, c)]) == 1.5
    )


def test_a_pause_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        PLAIN.add(local(2026, 3, 9), 1, "work_hours", pauses=[(local(2026, 3, 9, 11), local(2026, 3, 9, 10))])


# --- refused input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        # naive start
        lambda: PLAIN.add(datetime(2026, 3, 9, 9, 0), 1, "work_hours"),
        # naive end
        lambda: PLAIN.elapsed(local(2026, 3, 9), datetime(2026, 3, 10), "minutes"),
        # naive pause bound
        lambda: PLAIN.add(local(2026, 3, 9), 1, "minutes", pauses=[(datetime(2026, 3, 9), local(2026, 3, 10))]),
        # a date is not an instant
        lambda: PLAIN.add(date(2026, 3, 9), 1, "work_hours"),
        # unknown unit
        lambda: PLAIN.add(local(2026, 3, 9), 1, "fortnights"),
        # negative amount
        lambda: PLAIN.add(local(2026, 3, 9), -1, "work_hours"),
        # not a finite number
        lambda: PLAIN.add(local(2026, 3, 9), float("inf"), "work_hours"),
        # a weekend of seven days would never end
        lambda: WorkCalendar(weekend=set(range(7))),
    ],
)
def test_refused_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# --- properties --------------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31), timezones=st.just(SH))
calendars = st.sampled_from([PLAIN, HANDMADE, package_calendar(2026)])


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=instants, minutes=st.integers(0, 60 * 200))
def test_elapsed_undoes_add_in_work_hours(cal, start, minutes):
    hours = minutes / 60
    due = cal.add(start, hours, "work_hours")
    assert due >= start and cal.elapsed(start, due, "work_hours") == hours


@settings(max_examples=100, deadline=None)
@given(
    cal=calendars,
    start=instants,
    minutes=st.integers(1, 60 * 100),
    pause_at=st.timedeltas(timedelta(0), timedelta(days=10)),
    pause_for=st.timedeltas(timedelta(0), timedelta(days=5)),
)
def test_elapsed_undoes_add_with_a_pause(cal, start, minutes, pause_at, pause_for):
    pauses = [(start + pause_at, start + pause_at + pause_for)]
    due = cal.add(start, minutes / 60, "work_hours", pauses=pauses)
    assert cal.elapsed(start, due, "work_hours", pauses=pauses) == minutes / 60
    # the deadline is the earliest such instant: a minute earlier, less has run
    assert cal.elapsed(start, due - timedelta(minutes=1), "work_hours", pauses=pauses) < minutes / 60
