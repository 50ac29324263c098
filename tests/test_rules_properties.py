"""Property: the one goal-rule implementation (data.rules) equals a plain day-by-day reference.

The reference below walks the calendar one day at a time with the `holidays` package and the
state's own days off (5 June, 24 and 31 December), with no numpy and nothing shared with
`data.rules` / `data.workdays`. Dates are drawn around the days off (Easter, Christmas, New Year,
Grundlovsdag, Store Bededag before and after 2024), where an off-by-one would show.
"""

from __future__ import annotations

import calendar
import datetime as dt

import holidays
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from data.rules import by_day_deadline, deadline, evaluate, first_not_overdue, goals_met
from data.workdays import days_taken

YEARS = range(2019, 2031)
# A year either side: dates are drawn up to 12 days around a day off, deadlines run into the next year.
CALENDAR_YEARS = range(YEARS.start - 1, YEARS.stop + 2)
DAYS_OFF = set(holidays.country_holidays("DK", years=list(CALENDAR_YEARS)).keys()) | {
    dt.date(year, month, day) for year in CALENDAR_YEARS for month, day in ((6, 5), (12, 24), (12, 31))
}
ANCHORS = sorted(day for day in DAYS_OFF if day.year in YEARS)


def ref_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in DAYS_OFF


def ref_days_taken(received: dt.date, completed: dt.date) -> int:
    """Working days after the day of receipt up to and including the day of completion."""
    count, day = 0, received
    while day < completed:
        day += dt.timedelta(days=1)
        count += ref_working_day(day)
    return count


def ref_deadline(received: dt.date, d: int) -> dt.date:
    """Day D of the month received (the next month if received after day D), at most the month's last day,
    moved forward to the next working day."""
    year, month = received.year, received.month
    if received.day > d:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    deadline = dt.date(year, month, min(d, calendar.monthrange(year, month)[1]))
    while not ref_working_day(deadline):
        deadline += dt.timedelta(days=1)
    return deadline


def ref_met(kind: str, value: int, received: dt.date, completed: dt.date) -> bool:
    if kind == "within_days":
        return ref_days_taken(received, completed) <= value
    return completed <= ref_deadline(received, value)


near_day_off = st.builds(lambda anchor, shift: anchor + dt.timedelta(days=shift),
                         st.sampled_from(ANCHORS), st.integers(-12, 12))
case = st.tuples(
    near_day_off,
    st.integers(0, 45),  # calendar days from receipt to completion
    st.sampled_from(["within_days", "by_day_of_month"]),
    st.integers(1, 31),  # N (used modulo 11 for within_days) or D
)


def _rule(kind: str, value: int) -> int:
    return value % 11 if kind == "within_days" else value


@settings(max_examples=400, deadline=None)
@given(case)
def test_scalar_rules_equal_the_reference(args):
    received, span, kind, value = args
    completed = received + dt.timedelta(days=span)
    value = _rule(kind, value)
    assert days_taken(received, completed) == ref_days_taken(received, completed)
    assert evaluate(kind, value, received, completed) == ref_met(kind, value, received, completed)
    if kind == "by_day_of_month":
        assert by_day_deadline(received, value) == ref_deadline(received, value)


@settings(max_examples=60, deadline=None)
@given(st.lists(case, min_size=1, max_size=40))
def test_the_importers_vectorised_form_equals_the_reference(cases):
    # `goals_met` is what the importer calls for a chunk of mixed goals (data/cases_import/validate.py).
    received = np.array([c[0] for c in cases], dtype="datetime64[D]")
    completed = np.array([c[0] + dt.timedelta(days=c[1]) for c in cases], dtype="datetime64[D]")
    by_day = np.array([c[2] == "by_day_of_month" for c in cases])
    values = np.array([_rule(c[2], c[3]) for c in cases], dtype=np.int64)
    taken = days_taken(received, completed)
    met = goals_met(by_day, values, received, completed, taken)
    expected = [ref_met(c[2], _rule(c[2], c[3]), c[0], c[0] + dt.timedelta(days=c[1])) for c in cases]
    assert met.tolist() == expected
    assert taken.tolist() == [ref_days_taken(c[0], c[0] + dt.timedelta(days=c[1])) for c in cases]


@settings(max_examples=300, deadline=None)
@given(case)
def test_deadline_is_the_last_day_that_meets_the_goal(args):
    received, _span, kind, value = args
    value = _rule(kind, value)
    last = deadline(kind, value, received)
    assert ref_met(kind, value, received, last)
    next_working = last + dt.timedelta(days=1)
    while not ref_working_day(next_working):
        next_working += dt.timedelta(days=1)
    assert not ref_met(kind, value, received, next_working)


@settings(max_examples=300, deadline=None)
@given(case)
def test_an_open_case_is_overdue_exactly_when_completing_today_would_be_late(args):
    today, span, kind, value = args
    value = _rule(kind, value)
    received = today - dt.timedelta(days=span)
    first = first_not_overdue(kind, value, today)
    assert (received < first) == (not ref_met(kind, value, received, today))
